//! Password reset by email: a single-use link, valid for 30 minutes, whose
//! use sets the new password and signs out every session of the account.
//!
//! Asking never says whether the address has an account (the answer is the
//! same, and so is the work done before it), and asking is rate-limited
//! with the login buckets, so nobody can flood an inbox or probe for
//! accounts through it.

use std::net::IpAddr;

use uuid::Uuid;

use super::actions::emit_revoked;
use super::logins::{self, Which};
use super::passwords::hash_password;
use super::secrets::{hash_secret, new_secret};
use super::{validate_email, validate_password};
use crate::core::ctx::Ctx;
use crate::error::{AppError, AppResult, Rule};
use crate::mail::outbox::{queue, Mail};

/// How long a reset link works.
pub const RESET_MINUTES: i64 = 30;
const TOKEN_PREFIX: &str = "tsr_";

/// Audits `action` in every workspace the account is an active member of.
async fn audit_account(
    conn: &mut sqlx::PgConnection,
    account: Uuid,
    action: &str,
    ip: &str,
) -> AppResult<()> {
    sqlx::query(
        "insert into audit_log (workspace_id, actor_member_id, action, detail)
         select workspace_id, member_id, $2, jsonb_build_object('ip', $3::text)
           from member where account_id = $1 and deactivated_at is null",
    )
    .bind(account)
    .bind(action)
    .bind(ip)
    .execute(conn)
    .await?;
    Ok(())
}

/// Queues a reset mail when `email` has an account; answers the same either way.
pub async fn request(
    ctx: &Ctx,
    limiter: &crate::ratelimit::Limits,
    email: &str,
    ip: Option<IpAddr>,
    public_url: &str,
) -> AppResult<()> {
    let email = validate_email(email)?;
    limiter.password(&email, ip).await?;
    let mut tx = ctx.begin().await?;
    let account: Option<Uuid> = sqlx::query_scalar("select account_id from account where email = $1")
        .bind(&email)
        .fetch_optional(&mut *tx)
        .await?;
    let Some(account) = account else { return Ok(()) };
    let (token, hash) = new_secret(TOKEN_PREFIX);
    sqlx::query(
        "insert into password_reset (token_hash, account_id, expires_at)
         values ($1, $2, now() + make_interval(mins => $3))",
    )
    .bind(hash)
    .bind(account)
    .bind(RESET_MINUTES as i32)
    .execute(&mut *tx)
    .await?;
    let url = format!("{}/reset/{token}", public_url.trim_end_matches('/'));
    let body = format!(
        "Someone (hopefully you) asked to reset the password of the ThreadSpace account for {email}.\n\n\
         Open this link within {RESET_MINUTES} minutes to choose a new one:\n\n{url}\n\n\
         Using it signs you out everywhere. If you did not ask for this, ignore this mail: your password stays \
         as it is.\n"
    );
    let mail =
        Mail { to: email, subject: "Reset your ThreadSpace password".into(), body, kind: "password_reset" };
    queue(&mut tx, &mail).await?;
    let ip = ip.map(|i| i.to_string()).unwrap_or_default();
    audit_account(&mut tx, account, "auth.password_reset_requested", &ip).await?;
    tx.commit().await
}

/// Sets a new password from a reset link. The link is used up, every other
/// link of the account dies with it, and every session of the account ends.
pub async fn reset(ctx: &Ctx, token: &str, new_password: &str, ip: Option<IpAddr>) -> AppResult<()> {
    validate_password(new_password)?;
    let invalid = AppError::Invalid(Rule::InvalidResetLink);
    if !token.starts_with(TOKEN_PREFIX) || token.len() > 128 {
        return Err(invalid);
    }
    // Hashing is deliberately slow: only for a link that exists, so that
    // made-up links cost the server a lookup, not an argon2 run.
    let live: Option<i32> = sqlx::query_scalar(
        "select 1 from password_reset where token_hash = $1 and used_at is null and expires_at > now()",
    )
    .bind(hash_secret(token))
    .fetch_optional(&ctx.db)
    .await?;
    if live.is_none() {
        return Err(invalid);
    }
    let hash = hash_password(new_password.to_string()).await?;
    let mut tx = ctx.begin().await?;
    let account: Option<Uuid> = sqlx::query_scalar(
        "update password_reset set used_at = now()
          where token_hash = $1 and used_at is null and expires_at > now() returning account_id",
    )
    .bind(hash_secret(token))
    .fetch_optional(&mut *tx)
    .await?;
    let account = account.ok_or(invalid)?;
    sqlx::query("update password_reset set used_at = now() where account_id = $1 and used_at is null")
        .bind(account)
        .execute(&mut *tx)
        .await?;
    sqlx::query("update account set password_hash = $2 where account_id = $1")
        .bind(account)
        .bind(hash)
        .execute(&mut *tx)
        .await?;
    let revoked = logins::revoke(&mut tx, Which::AccountExcept { account, keep: None }).await?;
    let ip = ip.map(|i| i.to_string()).unwrap_or_default();
    audit_account(&mut tx, account, "auth.password_reset", &ip).await?;
    emit_revoked(&mut tx, &revoked);
    tx.commit().await
}
