//! `auth.*` Web API methods. Each is a server function at `POST /api/auth.<verb>`
//! with JSON in and the `{"ok": ...}` envelope out.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::Me;
use crate::api::{Empty, Reply};
use crate::error::AppError;

/// Result of `auth.signup` and `auth.login`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Session {
    pub user_id: Uuid,
    pub workspace_id: Uuid,
}

/// Creates a workspace and its owner, and logs the caller in.
#[server(prefix = "/api", endpoint = "auth.signup", input = server_fn::codec::Json)]
pub async fn signup(
    workspace_name: String,
    email: String,
    password: String,
    display_name: String,
) -> Result<Reply<Session>, AppError> {
    let st = crate::state::state()?;
    let input = super::actions::SignupInput { workspace_name, email, password, display_name };
    let actor = super::actions::signup(&crate::core::ctx::Ctx::from(&st), input).await?;
    let session: tower_sessions::Session = leptos_axum::extract().await.map_err(|_| AppError::Internal)?;
    super::session::establish_session(&session, &actor).await?;
    Ok(Reply::new(Session { user_id: actor.member_id, workspace_id: actor.workspace_id }))
}

/// Logs in with email and password; sets the session cookie.
#[server(prefix = "/api", endpoint = "auth.login", input = server_fn::codec::Json)]
pub async fn login(
    email: String,
    password: String,
    workspace_id: Option<Uuid>,
) -> Result<Reply<Session>, AppError> {
    let st = crate::state::state()?;
    let ip = super::session::client_ip().await;
    let actor = super::queries::login(&st.db, &st.login_limiter, &email, &password, workspace_id, ip).await?;
    let session: tower_sessions::Session = leptos_axum::extract().await.map_err(|_| AppError::Internal)?;
    super::session::establish_session(&session, &actor).await?;
    Ok(Reply::new(Session { user_id: actor.member_id, workspace_id: actor.workspace_id }))
}

/// Ends the browser session. Harmless when not logged in.
#[server(prefix = "/api", endpoint = "auth.logout", input = server_fn::codec::Json)]
pub async fn logout() -> Result<Reply<Empty>, AppError> {
    let session: tower_sessions::Session = leptos_axum::extract().await.map_err(|_| AppError::Internal)?;
    session.flush().await.map_err(|e| {
        tracing::error!(error = %e, "session store failure");
        AppError::Internal
    })?;
    Ok(Reply::new(Empty {}))
}

/// Who is calling: member, workspace and role.
#[server(prefix = "/api", endpoint = "auth.test", input = server_fn::codec::Json)]
pub async fn test() -> Result<Reply<Me>, AppError> {
    let actor = super::session::require_actor().await?;
    let st = crate::state::state()?;
    Ok(Reply::new(super::queries::me(&st.db, &actor).await?))
}
