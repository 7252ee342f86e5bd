//! Server-side shared state, reachable from axum handlers (as `State`) and from
//! server functions (as Leptos context).

use std::sync::Arc;

use axum::extract::FromRef;
use leptos::config::LeptosOptions;
use leptos::prelude::use_context;
use sqlx::PgPool;

use crate::core::ctx::Ctx;
use crate::error::{AppError, AppResult};
use crate::ratelimit::Limits;

/// Everything a request handler needs. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub db: PgPool,
    pub leptos_options: LeptosOptions,
    pub limits: Arc<Limits>,
    /// The externally visible base URL, e.g. `https://chat.example.com`.
    /// Used for invite links and the Origin check.
    pub public_url: String,
    /// Whether to take the client IP from `X-Forwarded-For`.
    pub trust_proxy: bool,
    /// Sockets, the event bus and presence.
    pub rt: Arc<crate::realtime::service::Realtime>,
    /// File storage, thumbnails and the storage sweeper.
    pub files: Arc<crate::files::upload::FileService>,
    /// The pool searches use: small, with a `statement_timeout`, so that
    /// one class of request cannot take every connection.
    pub search_db: PgPool,
    /// Meilisearch, when `MEILI_URL` is set.
    pub meili: Option<Arc<crate::search::meili::Meili>>,
    /// Outgoing mail (SMTP, or the log when it is not configured).
    pub mail: Arc<crate::mail::worker::Mailer>,
    /// Workspace exports.
    pub exports: crate::exports::job::Exporter,
    /// Slack imports.
    pub imports: crate::imports::job::Importer,
    /// The retention job (its scheduler runs on every node).
    pub retention: crate::retention::job::Retention,
    /// Web Push: the VAPID public key and the allowed endpoints.
    pub push: Arc<crate::notify::push::PushConfig>,
    /// Postgres's word statistics, which choose a search's plan.
    pub search_stats: Arc<crate::search::postgres::plan::Stats>,
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(s: &AppState) -> Self {
        s.leptos_options.clone()
    }
}

impl FromRef<AppState> for PgPool {
    fn from_ref(s: &AppState) -> Self {
        s.db.clone()
    }
}

/// The state inside a server function or SSR resource.
pub fn state() -> AppResult<AppState> {
    use_context::<AppState>().ok_or_else(|| {
        tracing::error!("AppState missing from the Leptos context");
        AppError::Internal
    })
}

impl Ctx {
    /// The context of the running server function or SSR resource.
    pub fn current() -> AppResult<Ctx> {
        Ok(Ctx::from(&state()?))
    }
}

impl From<&AppState> for Ctx {
    fn from(st: &AppState) -> Ctx {
        Ctx::new(st.db.clone(), st.rt.hub.bus().clone())
    }
}
