//! Sign-in sessions (`auth_session` rows): what a browser's cookie points at.
//!
//! The cookie's tower-session holds only the row's id. Every request reads
//! the row joined to its member, so a revoked row or a deactivated member is
//! locked out at the next request, on every node, with no cache to expire.
//! The row also says where and when the session was used, which is what the
//! account page and an admin's member page list.
//!
//! Revoking rows is a write that sockets must hear about; the actions that
//! do it (`auth::actions`, `admin::actions`) call [`revoke`] inside their
//! `Tx` and emit `AuthRevoked` for the ids it returns.

use std::net::IpAddr;

use axum::http::HeaderMap;
use sqlx::{PgConnection, PgPool};
use time::OffsetDateTime;
use uuid::Uuid;

use super::{device_label, Actor, AuthVia, Role, SessionInfo};
use crate::error::{AppError, AppResult};

/// How long an unused session lives (the cookie's inactivity expiry).
pub const IDLE_DAYS: i64 = 14;

/// Where a sign-in comes from.
#[derive(Debug, Clone, Default)]
pub struct Device {
    pub user_agent: String,
    pub ip: Option<IpAddr>,
}

impl Device {
    pub fn new(headers: &HeaderMap, ip: Option<IpAddr>) -> Device {
        let ua = headers.get(http::header::USER_AGENT).and_then(|v| v.to_str().ok()).unwrap_or("");
        Device { user_agent: ua.chars().take(512).collect(), ip }
    }
}

/// Records a new sign-in for `actor` and audits it; returns the row's id.
pub async fn start(tx: &mut PgConnection, actor: &Actor, device: &Device) -> AppResult<Uuid> {
    let id = Uuid::now_v7();
    let ip = device.ip.map(|i| i.to_string()).unwrap_or_default();
    sqlx::query(
        "insert into auth_session (auth_session_id, account_id, member_id, user_agent, ip) values ($1, $2, $3, $4, $5)",
    )
    .bind(id)
    .bind(actor.account_id)
    .bind(actor.member_id)
    .bind(&device.user_agent)
    .bind(&ip)
    .execute(&mut *tx)
    .await?;
    let detail = serde_json::json!({"session": id, "ip": ip, "device": device_label(&device.user_agent)});
    crate::db::audit(tx, actor.workspace_id, Some(actor.member_id), "auth.signed_in", detail).await?;
    Ok(id)
}

#[derive(sqlx::FromRow)]
struct Live {
    member_id: Uuid,
    account_id: Uuid,
    workspace_id: Uuid,
    role: String,
    last_seen_at: OffsetDateTime,
}

/// The actor of a live session; `not_authed` once it is revoked, expired or
/// its member deactivated. Notes the use at most once a minute.
pub async fn actor(db: &PgPool, id: Uuid) -> AppResult<Actor> {
    let row: Live = sqlx::query_as(
        "select s.member_id, m.account_id, m.workspace_id, m.role, s.last_seen_at
           from auth_session s join member m using (member_id)
          where s.auth_session_id = $1 and s.revoked_at is null and m.deactivated_at is null
            and s.last_seen_at > now() - make_interval(days => $2)",
    )
    .bind(id)
    .bind(IDLE_DAYS as i32)
    .fetch_optional(db)
    .await?
    .ok_or(AppError::NotAuthed)?;
    if OffsetDateTime::now_utc() - row.last_seen_at > time::Duration::minutes(1) {
        sqlx::query("update auth_session set last_seen_at = now() where auth_session_id = $1")
            .bind(id)
            .execute(db)
            .await?;
    }
    Ok(Actor {
        account_id: row.account_id,
        member_id: row.member_id,
        workspace_id: row.workspace_id,
        role: Role::parse(&row.role)?,
        via: AuthVia::Session,
        credential: Some(id),
    })
}

/// Points a session at another member of the same account (workspace switch).
pub async fn switch(db: &PgPool, id: Uuid, member: Uuid) -> AppResult<()> {
    sqlx::query("update auth_session set member_id = $2 where auth_session_id = $1 and revoked_at is null")
        .bind(id)
        .bind(member)
        .execute(db)
        .await?;
    Ok(())
}

#[derive(sqlx::FromRow)]
struct Row {
    auth_session_id: Uuid,
    user_agent: String,
    ip: String,
    created_at: OffsetDateTime,
    last_seen_at: OffsetDateTime,
}

/// A member's live sessions, most recently used first.
pub async fn list(db: &PgPool, member: Uuid, current: Option<Uuid>) -> AppResult<Vec<SessionInfo>> {
    let rows: Vec<Row> = sqlx::query_as(
        "select auth_session_id, user_agent, ip, created_at, last_seen_at from auth_session
          where member_id = $1 and revoked_at is null and last_seen_at > now() - make_interval(days => $2)
          order by last_seen_at desc limit 100",
    )
    .bind(member)
    .bind(IDLE_DAYS as i32)
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| SessionInfo {
            id: r.auth_session_id,
            device: device_label(&r.user_agent),
            ip: r.ip,
            created_at: r.created_at,
            last_seen_at: r.last_seen_at,
            current: Some(r.auth_session_id) == current,
        })
        .collect())
}

/// Which sessions to revoke.
#[derive(Debug, Clone, Copy)]
pub enum Which {
    /// One session of a member.
    One { member: Uuid, session: Uuid },
    /// Every session of a member, but one.
    Member { member: Uuid, keep: Option<Uuid> },
    /// Every session of an account (in every workspace), but one.
    AccountExcept { account: Uuid, keep: Option<Uuid> },
}

/// Revokes sessions; returns each revoked (member, session).
pub async fn revoke(tx: &mut PgConnection, which: Which) -> AppResult<Vec<(Uuid, Uuid)>> {
    let q = match which {
        Which::One { member, session } => sqlx::query_as(
            "update auth_session set revoked_at = now()
              where auth_session_id = $1 and member_id = $2 and revoked_at is null
          returning member_id, auth_session_id",
        )
        .bind(session)
        .bind(member),
        Which::Member { member, keep } => sqlx::query_as(
            "update auth_session set revoked_at = now()
              where member_id = $1 and revoked_at is null and auth_session_id is distinct from $2
          returning member_id, auth_session_id",
        )
        .bind(member)
        .bind(keep),
        Which::AccountExcept { account, keep } => sqlx::query_as(
            "update auth_session set revoked_at = now()
              where account_id = $1 and revoked_at is null and auth_session_id is distinct from $2
          returning member_id, auth_session_id",
        )
        .bind(account)
        .bind(keep),
    };
    let revoked: Vec<(Uuid, Uuid)> = q.fetch_all(&mut *tx).await?;
    let sessions: Vec<Uuid> = revoked.iter().map(|(_, s)| *s).collect();
    // A signed-out device is told nothing more.
    crate::notify::push::store::forget_sessions(tx, &sessions).await?;
    Ok(revoked)
}
