//! Reading API tokens: the caller's list, and bearer authentication (which
//! also notes when a token was last used).

use sqlx::PgPool;
use time::{Duration, OffsetDateTime};

use super::TokenInfo;
use crate::auth::secrets::hash_secret;
use crate::auth::{Actor, AuthVia, Role};
use crate::error::{AppError, AppResult};

/// Prefix of personal tokens, so secret scanners can spot a leaked one.
pub const TOKEN_PREFIX: &str = "tsp_";
/// Characters of the token kept in clear.
pub(super) const SHOWN_PREFIX_LEN: usize = 12;

/// The actor's own live tokens.
pub async fn list(db: &PgPool, actor: &Actor) -> AppResult<Vec<TokenInfo>> {
    list_for(db, actor.member_id).await
}

/// A member's live tokens (their own page, or an admin's member page).
pub async fn list_for(db: &PgPool, member: uuid::Uuid) -> AppResult<Vec<TokenInfo>> {
    let rows = sqlx::query_as!(
        TokenInfo,
        r#"select api_token_id as id, label, prefix, created_at, expires_at, last_used_at from api_token
           where member_id = $1 and revoked_at is null and (expires_at is null or expires_at > now())
           order by created_at desc"#,
        member
    )
    .fetch_all(db)
    .await?;
    Ok(rows)
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
        credential: Some(row.api_token_id),
    })
}
