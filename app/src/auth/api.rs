//! `auth.*` Web API methods. Each is a server function at `POST /api/auth.<verb>`
//! with JSON in and the `{"ok": ...}` envelope out.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{Me, SessionInfo};
use crate::api::{Empty, Reply};
use crate::error::AppError;

/// Result of `auth.signup` and `auth.login`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Session {
    pub user_id: Uuid,
    pub workspace_id: Uuid,
}

/// Result of `auth.signup`: the new owner, or `check_email` (the address
/// has an account; its owner was mailed and nobody was signed in).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SignedUp {
    pub check_email: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<Uuid>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workspace_id: Option<Uuid>,
}

/// Creates a workspace and its owner, and logs the caller in. For an email
/// that already has an account, see [`super::signup`].
#[server(prefix = "/api", endpoint = "auth.signup", input = server_fn::codec::Json)]
pub async fn signup(
    workspace_name: String,
    email: String,
    password: String,
    display_name: String,
) -> Result<Reply<SignedUp>, AppError> {
    use super::signup::Outcome;
    let st = crate::state::state()?;
    let input = super::actions::SignupInput { workspace_name, email, password, display_name };
    let ctx = crate::core::ctx::Ctx::from(&st);
    let device = super::session::device().await;
    // Only a browser session counts as "signed in as that account" here.
    let session = super::session::browser_session().await?;
    let me = super::session::actor_from_request(&st.db, &Default::default(), Some(&session)).await.ok();
    match super::signup::signup(&ctx, &st.limits, input, me.as_ref(), device.ip, &st.public_url).await? {
        Outcome::SignedUp(actor) => {
            super::session::establish_session(&ctx, &session, &actor, &device).await?;
            Ok(Reply::new(SignedUp {
                check_email: false,
                user_id: Some(actor.member_id),
                workspace_id: Some(actor.workspace_id),
            }))
        }
        Outcome::CheckEmail => {
            Ok(Reply::new(SignedUp { check_email: true, user_id: None, workspace_id: None }))
        }
    }
}

/// Logs in with email and password; sets the session cookie.
#[server(prefix = "/api", endpoint = "auth.login", input = server_fn::codec::Json)]
pub async fn login(
    email: String,
    password: String,
    workspace_id: Option<Uuid>,
) -> Result<Reply<Session>, AppError> {
    let st = crate::state::state()?;
    let device = super::session::device().await;
    let actor = super::actions::login(&st.db, &st.limits, &email, &password, workspace_id, device.ip).await?;
    let session = super::session::browser_session().await?;
    super::session::establish_session(&crate::core::ctx::Ctx::from(&st), &session, &actor, &device).await?;
    Ok(Reply::new(Session { user_id: actor.member_id, workspace_id: actor.workspace_id }))
}

/// Ends the browser session (its sockets close). Harmless when not logged in.
#[server(prefix = "/api", endpoint = "auth.logout", input = server_fn::codec::Json)]
pub async fn logout() -> Result<Reply<Empty>, AppError> {
    if let Some(actor) = super::session::current_actor().await? {
        super::actions::sign_out(&crate::core::ctx::Ctx::current()?, &actor).await?;
    }
    let session = super::session::browser_session().await?;
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

/// Result of `auth.sessions.list`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionList {
    pub sessions: Vec<SessionInfo>,
}

/// The caller's signed-in browsers in this workspace, the current one marked.
#[server(prefix = "/api", endpoint = "auth.sessions.list", input = server_fn::codec::Json)]
pub async fn sessions_list() -> Result<Reply<SessionList>, AppError> {
    let actor = super::session::require_actor().await?;
    let st = crate::state::state()?;
    let current = actor.credential.filter(|_| actor.via == super::AuthVia::Session);
    Ok(Reply::new(SessionList { sessions: super::logins::list(&st.db, actor.member_id, current).await? }))
}

/// How many sessions a revocation or password change ended.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ended {
    pub ended: usize,
}

/// Signs out one of the caller's sessions, or every other one when
/// `session` is omitted. Their open pages return to the sign-in page.
#[server(prefix = "/api", endpoint = "auth.sessions.revoke", input = server_fn::codec::Json)]
pub async fn sessions_revoke(session: Option<Uuid>) -> Result<Reply<Ended>, AppError> {
    let actor = super::session::require_session_actor().await?;
    let ended =
        super::actions::revoke_own_sessions(&crate::core::ctx::Ctx::current()?, &actor, session).await?;
    Ok(Reply::new(Ended { ended }))
}

/// Changes the caller's password (the current one is required, and checks
/// of it are rate-limited). Every other session of the account ends.
#[server(prefix = "/api", endpoint = "auth.password.change", input = server_fn::codec::Json)]
pub async fn password_change(
    current_password: String,
    new_password: String,
) -> Result<Reply<Ended>, AppError> {
    let actor = super::session::require_session_actor().await?;
    let st = crate::state::state()?;
    let ip = super::session::client_ip().await;
    let ctx = crate::core::ctx::Ctx::from(&st);
    let ended =
        super::actions::change_password(&ctx, &st.limits, &actor, &current_password, &new_password, ip)
            .await?;
    Ok(Reply::new(Ended { ended }))
}

/// Result of `auth.password.resetRequest`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResetRequested {
    /// False when this server has no SMTP: the link goes to the server log.
    pub email_configured: bool,
}

/// Mails a single-use reset link (valid 30 minutes) when `email` has an
/// account. The answer is the same whether or not it does.
#[server(prefix = "/api", endpoint = "auth.password.resetRequest", input = server_fn::codec::Json)]
pub async fn password_reset_request(email: String) -> Result<Reply<ResetRequested>, AppError> {
    let st = crate::state::state()?;
    let ip = super::session::client_ip().await;
    let ctx = crate::core::ctx::Ctx::from(&st);
    super::reset::request(&ctx, &st.limits, &email, ip, &st.public_url).await?;
    Ok(Reply::new(ResetRequested { email_configured: st.mail.configured() }))
}

/// Sets a new password from a reset link's `token`; every session of the
/// account ends. Errors: `invalid_reset_link`, `weak_password`.
#[server(prefix = "/api", endpoint = "auth.password.reset", input = server_fn::codec::Json)]
pub async fn password_reset(token: String, new_password: String) -> Result<Reply<Empty>, AppError> {
    let st = crate::state::state()?;
    let ip = super::session::client_ip().await;
    // A reset link is a secret like a password: guesses take from the IP's budget.
    st.limits.password_ip(ip).await?;
    super::reset::reset(&crate::core::ctx::Ctx::from(&st), &token, &new_password, ip).await?;
    Ok(Reply::new(Empty {}))
}
