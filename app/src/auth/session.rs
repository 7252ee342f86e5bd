//! Who is calling: sessions (ids only; roles and deactivation are read
//! fresh on every request), bearer tokens, the caller of a server function,
//! and the client's IP.

use axum::http::HeaderMap;
use sqlx::PgPool;
use tower_sessions::Session;
use uuid::Uuid;

use super::queries::actor_for_member;
use super::{Actor, AuthVia};
use crate::error::{AppError, AppResult};

/// Session keys. The session stores ids only; roles and deactivation are read
/// fresh on every request, so a demotion or deactivation applies at once.
pub const SESSION_ACCOUNT: &str = "account_id";
pub const SESSION_MEMBER: &str = "member_id";

/// Binds a session to an actor, with a fresh session id (no fixation).
pub async fn establish_session(session: &Session, actor: &Actor) -> AppResult<()> {
    let fail = |e: tower_sessions::session::Error| {
        tracing::error!(error = %e, "session store failure");
        AppError::Internal
    };
    session.cycle_id().await.map_err(fail)?;
    session.insert(SESSION_ACCOUNT, actor.account_id).await.map_err(fail)?;
    session.insert(SESSION_MEMBER, actor.member_id).await.map_err(fail)?;
    Ok(())
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
    let member_id: Option<Uuid> = session.get(SESSION_MEMBER).await.map_err(|e| {
        tracing::error!(error = %e, "session store failure");
        AppError::Internal
    })?;
    let member_id = member_id.ok_or(AppError::NotAuthed)?;
    actor_for_member(db, member_id, AuthVia::Session).await
}

/// The caller of the current server function, or `not_authed`/`invalid_auth`.
pub async fn require_actor() -> AppResult<Actor> {
    let st = crate::state::state()?;
    let headers: HeaderMap = leptos_axum::extract().await.map_err(|_| AppError::Internal)?;
    let session: Option<Session> = leptos_axum::extract().await.ok();
    actor_from_request(&st.db, &headers, session.as_ref()).await
}

/// The caller, or `None` when nobody is logged in (for pages that render either way).
pub async fn current_actor() -> AppResult<Option<Actor>> {
    match require_actor().await {
        Ok(a) => Ok(Some(a)),
        Err(AppError::NotAuthed | AppError::InvalidAuth) => Ok(None),
        Err(e) => Err(e),
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
