//! [`Ctx`]: what an action needs from the server, and nothing else.
//!
//! Server functions take it from the Leptos context ([`Ctx::current`]),
//! axum routes and background jobs from the shared state ([`Ctx::from`]),
//! and tests build one over their own database and bus ([`Ctx::new`]). It
//! dereferences to the pool, so reads keep taking `&PgPool`.

use std::ops::Deref;
use std::sync::Arc;

use sqlx::PgPool;

use super::tx::Tx;
use crate::error::AppResult;
use crate::realtime::bus::EventBus;
use crate::state::AppState;

/// The database and the event bus. Cheap to clone.
#[derive(Clone)]
pub struct Ctx {
    pub db: PgPool,
    bus: Arc<dyn EventBus>,
}

impl Ctx {
    pub fn new(db: PgPool, bus: Arc<dyn EventBus>) -> Ctx {
        Ctx { db, bus }
    }

    /// For command-line tools (migrate, seed) that run without sockets: the
    /// events of their writes reach nobody in this process, and clients of
    /// a running server pick the changes up when they load or resume.
    pub fn offline(db: PgPool) -> Ctx {
        Ctx { db, bus: Arc::new(crate::realtime::bus::LocalBus::default()) }
    }

    /// The context of the running server function or SSR resource.
    pub fn current() -> AppResult<Ctx> {
        Ok(Ctx::from(&crate::state::state()?))
    }

    /// Starts a transaction whose events go out when it commits.
    pub async fn begin(&self) -> AppResult<Tx> {
        Tx::begin(&self.db, self.bus.clone()).await
    }
}

impl From<&AppState> for Ctx {
    fn from(st: &AppState) -> Ctx {
        Ctx { db: st.db.clone(), bus: st.rt.hub.bus().clone() }
    }
}

impl Deref for Ctx {
    type Target = PgPool;
    fn deref(&self) -> &PgPool {
        &self.db
    }
}
