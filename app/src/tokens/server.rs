//! Server-only token actions, and bearer authentication.

use sqlx::PgPool;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use super::{TokenInfo, MAX_EXPIRES_IN_DAYS};
use crate::auth::secrets::{hash_secret, new_secret};
use crate::auth::{validate_name, Actor, AuthVia, Role};
use crate::db::audit;
use crate::error::{AppError, AppResult};

/// Prefix of personal tokens, so secret scanners can spot a leaked one.
pub const TOKEN_PREFIX: &str = "tsp_";
/// Characters of the token kept in clear.
const SHOWN_PREFIX_LEN: usize = 12;

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

/// The actor's own live tokens.
pub async fn list(db: &PgPool, actor: &Actor) -> AppResult<Vec<TokenInfo>> {
    let rows = sqlx::query_as!(
        TokenInfo,
        r#"select api_token_id as id, label, prefix, created_at, expires_at, last_used_at from api_token
           where member_id = $1 and revoked_at is null and (expires_at is null or expires_at > now())
           order by created_at desc"#,
        actor.member_id
    )
    .fetch_all(db)
    .await?;
    Ok(rows)
}

/// Revokes one of the actor's own tokens; anyone else's is `token_not_found`.
pub async fn revoke(db: &PgPool, actor: &Actor, token: Uuid) -> AppResult<()> {
    let mut tx = db.begin().await?;
    let done = sqlx::query!(
        "update api_token set revoked_at = now() where api_token_id = $1 and member_id = $2 and revoked_at is null",
        token,
        actor.member_id
    )
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() == 0 {
        return Err(AppError::NotFound("token_not_found"));
    }
    audit(
        &mut tx,
        actor.workspace_id,
        Some(actor.member_id),
        "token.revoked",
        serde_json::json!({"api_token_id": token}),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Resolves a bearer token. Unknown, revoked and expired tokens, and tokens of
/// deactivated members, are all `invalid_auth`.
pub async fn authenticate(db: &PgPool, raw: &str) -> AppResult<Actor> {
    if !raw.starts_with(TOKEN_PREFIX) || raw.len() > 128 {
        return Err(AppError::InvalidAuth);
    }
    let row = sqlx::query!(
        r#"select t.api_token_id, t.last_used_at, m.member_id, m.account_id, m.workspace_id, m.role
           from api_token t join member m using (member_id)
           where t.token_hash = $1 and t.revoked_at is null
             and (t.expires_at is null or t.expires_at > now()) and m.deactivated_at is null"#,
        hash_secret(raw)
    )
    .fetch_optional(db)
    .await?
    .ok_or(AppError::InvalidAuth)?;
    // Record use at most once a minute: a busy integration must not turn every read into a write.
    if row.last_used_at.is_none_or(|t| OffsetDateTime::now_utc() - t > Duration::minutes(1)) {
        sqlx::query!("update api_token set last_used_at = now() where api_token_id = $1", row.api_token_id)
            .execute(db)
            .await?;
    }
    Ok(Actor {
        account_id: row.account_id,
        member_id: row.member_id,
        workspace_id: row.workspace_id,
        role: Role::parse(&row.role)?,
        via: AuthVia::Token,
    })
}
