//! [`Ctx`]: what an action needs from the server, and nothing else.
//!
//! Server functions take it from the Leptos context (`Ctx::current`),
//! axum routes and background jobs from the shared state (`Ctx::from`; both
//! live in `crate::state`, so that this module does not import the state
//! that is built from the services that use it),
//! and tests build one over their own database and bus ([`Ctx::new`]). It
//! dereferences to the pool, so reads keep taking `&PgPool`.

use std::ops::Deref;
use std::sync::Arc;

use sqlx::PgPool;

use super::tx::Tx;
use crate::error::AppResult;
use crate::realtime::bus::EventBus;

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

    /// Starts a transaction whose events go out when it commits.
    pub async fn begin(&self) -> AppResult<Tx> {
        Tx::begin(&self.db, self.bus.clone()).await
    }
}

impl Deref for Ctx {
    type Target = PgPool;
    fn deref(&self) -> &PgPool {
        &self.db
    }
}
