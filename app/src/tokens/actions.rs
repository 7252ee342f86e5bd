//! Creating and revoking API tokens. Creating is silent (see
//! `core::catalog`): a token concerns only its owner, who sees the answer.
//! Revoking emits `AuthRevoked`, which closes the sockets the token opened.

use sqlx::PgPool;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use super::queries::{SHOWN_PREFIX_LEN, TOKEN_PREFIX};
use super::{TokenInfo, MAX_EXPIRES_IN_DAYS};
use crate::auth::secrets::new_secret;
use crate::auth::{validate_name, Actor};
use crate::core::ctx::Ctx;
use crate::db::audit;
use crate::error::{AppError, AppResult, Missing};
use crate::realtime::bus::Topic;
use crate::realtime::Event;

/// Creates a token for the actor; the secret is returned only here.
pub async fn create(
    db: &PgPool,
    actor: &Actor,
    label: &str,
    expires_in_days: Option<i64>,
) -> AppResult<(TokenInfo, String)> {
    let label = validate_name("label", label)?;
    if let Some(d) = expires_in_days {
        if !(1..=MAX_EXPIRES_IN_DAYS).contains(&d) {
            return Err(AppError::InvalidArguments(format!(
                "expires_in_days must be between 1 and {MAX_EXPIRES_IN_DAYS}, or omitted for no expiry"
            )));
        }
    }
    let (token, hash) = new_secret(TOKEN_PREFIX);
    let prefix: String = token.chars().take(SHOWN_PREFIX_LEN).collect();
    let id = Uuid::now_v7();
    let expires_at = expires_in_days.map(|d| OffsetDateTime::now_utc() + Duration::days(d));
    let mut tx = db.begin().await?;
    let created_at = sqlx::query_scalar!(
        "insert into api_token (api_token_id, member_id, label, prefix, token_hash, expires_at) values ($1, $2, $3, $4, $5, $6) returning created_at",
        id,
        actor.member_id,
        label,
        prefix,
        hash,
        expires_at
    )
    .fetch_one(&mut *tx)
    .await?;
    audit(
        &mut tx,
        actor.workspace_id,
        Some(actor.member_id),
        "token.created",
        serde_json::json!({"api_token_id": id}),
    )
    .await?;
    tx.commit().await?;
    Ok((TokenInfo { id, label, prefix, created_at, expires_at, last_used_at: None }, token))
}

/// Revokes one of the actor's own tokens; anyone else's is `token_not_found`.
/// Sockets opened with it close (`AuthRevoked` to its member).
pub async fn revoke(ctx: &Ctx, actor: &Actor, token: Uuid) -> AppResult<()> {
    let mut tx = ctx.begin().await?;
    let done = sqlx::query!(
        "update api_token set revoked_at = now() where api_token_id = $1 and member_id = $2 and revoked_at is null",
        token,
        actor.member_id
    )
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() == 0 {
        return Err(AppError::NotFound(Missing::Token));
    }
    audit(
        &mut tx,
        actor.workspace_id,
        Some(actor.member_id),
        "token.revoked",
        serde_json::json!({"api_token_id": token}),
    )
    .await?;
    let ev = Event::AuthRevoked { sessions: vec![], tokens: vec![token], all: false };
    tx.emit(Topic::Member(actor.member_id), ev);
    tx.commit().await
}
