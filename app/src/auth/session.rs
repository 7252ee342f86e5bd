//! Who is calling: sessions (the id of a sign-in row; roles, revocation and
//! deactivation are read fresh on every request), bearer tokens, the caller
//! of a server function, and the client's IP.

use axum::http::HeaderMap;
use sqlx::PgPool;
use tower_sessions::Session;
use uuid::Uuid;

use super::logins::{self, Device};
use super::Actor;
use crate::core::ctx::Ctx;
use crate::error::{AppError, AppResult};

/// The session key: the id of the `auth_session` row (see [`super::logins`]).
/// Roles, revocation and deactivation are read fresh on every request, so
/// each applies at once.
pub const SESSION_LOGIN: &str = "login_id";

fn store_failure(e: tower_sessions::session::Error) -> AppError {
    tracing::error!(error = %e, "session store failure");
    AppError::Internal
}

/// Signs a browser in as `actor`: records the sign-in (audited) and binds the
/// cookie to it, with a fresh session id (no fixation).
pub async fn establish_session(
    ctx: &Ctx,
    session: &Session,
    actor: &Actor,
    device: &Device,
) -> AppResult<()> {
    let mut tx = ctx.begin().await?;
    let id = logins::start(&mut tx, actor, device).await?;
    tx.commit().await?;
    session.cycle_id().await.map_err(store_failure)?;
    session.insert(SESSION_LOGIN, id).await.map_err(store_failure)?;
    Ok(())
}

/// The sign-in row this browser's cookie points at, if any.
pub async fn login_id(session: &Session) -> AppResult<Option<Uuid>> {
    session.get(SESSION_LOGIN).await.map_err(store_failure)
}

/// Resolves the caller: a bearer token when an `Authorization` header is
/// present (and then only that), otherwise the session.
pub async fn actor_from_request(
    db: &PgPool,
    headers: &HeaderMap,
    session: Option<&Session>,
) -> AppResult<Actor> {
    if let Some(value) = headers.get(http::header::AUTHORIZATION) {
        let token = value
            .to_str()
            .ok()
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or(AppError::InvalidAuth)?;
        return crate::tokens::queries::authenticate(db, token).await;
    }
    let session = session.ok_or(AppError::NotAuthed)?;
    let id = login_id(session).await?.ok_or(AppError::NotAuthed)?;
    logins::actor(db, id).await
}

/// Where the current server function's request comes from.
pub async fn device() -> Device {
    let headers: HeaderMap = leptos_axum::extract().await.unwrap_or_default();
    Device::new(&headers, client_ip().await)
}

/// The current server function's tower-session.
pub async fn browser_session() -> AppResult<Session> {
    leptos_axum::extract().await.map_err(|_| AppError::Internal)
}

/// The caller of the current server function, or `not_authed`/`invalid_auth`.
pub async fn require_actor() -> AppResult<Actor> {
    // The API gateway resolved it already when it took the rate limit.
    if let Ok(axum::Extension(actor)) = leptos_axum::extract::<axum::Extension<Actor>>().await {
        return Ok(actor);
    }
    let st = crate::state::state()?;
    let headers: HeaderMap = leptos_axum::extract().await.map_err(|_| AppError::Internal)?;
    let session: Option<Session> = leptos_axum::extract().await.ok();
    actor_from_request(&st.db, &headers, session.as_ref()).await
}

/// The caller, who must be a signed-in browser: what a stolen API token
/// must not be able to do (make tokens, change the password, end the
/// browser sessions, move to another workspace) answers `session_only`.
pub async fn require_session_actor() -> AppResult<Actor> {
    let actor = require_actor().await?;
    if actor.via == super::AuthVia::Token {
        return Err(AppError::Refused(crate::error::Refusal::SessionOnly));
    }
    Ok(actor)
}

/// The caller, or `None` when nobody is logged in (for pages that render either way).
pub async fn current_actor() -> AppResult<Option<Actor>> {
    match require_actor().await {
        Ok(a) => Ok(Some(a)),
        Err(AppError::NotAuthed | AppError::InvalidAuth) => Ok(None),
        Err(e) => Err(e),
    }
}

/// The caller of an `admin.*` method: an owner or admin of their
/// workspace. For anyone else the method does not exist (`unknown_method`,
/// exactly as for a method that is not there), so nothing is revealed.
pub async fn admin_caller() -> AppResult<Actor> {
    let actor = require_actor().await?;
    if actor.role.is_admin() {
        Ok(actor)
    } else {
        Err(AppError::UnknownMethod)
    }
}

/// Fails with `forbidden` unless the actor is an owner or admin.
pub fn require_admin(actor: &Actor) -> AppResult<()> {
    if actor.role.is_admin() {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

/// The client's IP: the first `X-Forwarded-For` hop when behind a trusted
/// proxy (`THREADSPACE_TRUST_PROXY`), else the socket's peer address.
pub async fn client_ip() -> Option<std::net::IpAddr> {
    let st = crate::state::state().ok()?;
    if st.trust_proxy {
        let headers: HeaderMap = leptos_axum::extract().await.ok()?;
        if let Some(ip) = forwarded_ip(&headers) {
            return Some(ip);
        }
    }
    let info: axum::extract::ConnectInfo<std::net::SocketAddr> = leptos_axum::extract().await.ok()?;
    Some(info.0.ip())
}

/// The first address in `X-Forwarded-For`, if it parses.
pub fn forwarded_ip(headers: &HeaderMap) -> Option<std::net::IpAddr> {
    headers.get("x-forwarded-for")?.to_str().ok()?.split(',').next()?.trim().parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forwarded_ip_takes_the_first_hop() {
        let mut h = HeaderMap::new();
        h.insert("x-forwarded-for", "203.0.113.9, 10.0.0.1".parse().unwrap());
        assert_eq!(forwarded_ip(&h), Some("203.0.113.9".parse().unwrap()));
        h.insert("x-forwarded-for", "garbage".parse().unwrap());
        assert_eq!(forwarded_ip(&h), None);
    }
}
