//! Writing a member's own settings: the profile and custom status (each a
//! `Tx` that emits `profile_updated` to the workspace, so every open page
//! shows the change), and the manual away flag, which the presence service
//! (`realtime::presence`) announces, combined with the member's sockets.

use sqlx::PgPool;
use time::{Duration, OffsetDateTime};

use super::queries::{profile_from, PROFILE_COLUMNS};
use super::{validate_time_zone, Profile, MAX_STATUS_LEN, MAX_TITLE_LEN};
use crate::auth::{validate_name, Actor};
use crate::core::ctx::Ctx;
use crate::core::tx::Tx;
use crate::error::{AppError, AppResult, Rule};
use crate::realtime::bus::Topic;
use crate::realtime::Event;

/// What `users.profile.set` takes.
#[derive(Debug, Clone)]
pub struct ProfileInput {
    pub display_name: String,
    pub full_name: String,
    pub title: String,
    pub time_zone: String,
}

fn bounded(field: &str, v: &str, max: usize) -> AppResult<String> {
    let v = v.trim();
    if v.chars().count() > max || v.chars().any(|c| c.is_control() || crate::core::text::is_spoofing(c)) {
        return Err(AppError::InvalidArguments(format!(
            "{field} must be at most {max} characters, without control, invisible or direction-changing characters"
        )));
    }
    Ok(v.to_string())
}

/// Announces the fresh profile and commits.
pub(super) async fn save(mut tx: Tx, actor: &Actor, row: sqlx::postgres::PgRow) -> AppResult<Profile> {
    let profile = profile_from(&row)?;
    tx.emit(Topic::Workspace(actor.workspace_id), Event::ProfileUpdated { profile: profile.clone() });
    tx.commit().await?;
    Ok(profile)
}

/// Changes the caller's display name, full name, title and time zone.
pub async fn set_profile(ctx: &Ctx, actor: &Actor, input: ProfileInput) -> AppResult<Profile> {
    let name = validate_name("display_name", &input.display_name)?;
    let full = bounded("full_name", &input.full_name, 80)?;
    let title = bounded("title", &input.title, MAX_TITLE_LEN)?;
    let tz = validate_time_zone(&input.time_zone)?;
    let mut tx = ctx.begin().await?;
    let row = sqlx::query(&format!(
        "update member set display_name = $2, full_name = $3, title = $4, time_zone = $5
          where member_id = $1 returning {PROFILE_COLUMNS}"
    ))
    .bind(actor.member_id)
    .bind(name)
    .bind(full)
    .bind(title)
    .bind(tz)
    .fetch_one(&mut *tx)
    .await?;
    save(tx, actor, row).await
}

/// Sets the caller's custom status, or clears it (empty emoji and text).
/// `emoji` is an emoji or a `:shortcode:`; it expires after
/// `expires_in_minutes` (the browser turns "today" and "this week" into
/// minutes in the person's own time zone), or never.
pub async fn set_status(
    ctx: &Ctx,
    actor: &Actor,
    emoji: &str,
    text: &str,
    expires_in_minutes: Option<i64>,
) -> AppResult<Profile> {
    let text = bounded("text", text, MAX_STATUS_LEN)?;
    let emoji = match emoji.trim() {
        "" if text.is_empty() => String::new(),
        "" => "💬".to_string(),
        e => crate::messages::markdown::canonical_emoji(e)
            .ok_or(AppError::Invalid(Rule::InvalidEmoji))?
            .as_str()
            .to_string(),
    };
    if expires_in_minutes.is_some_and(|m| !(1..=60 * 24 * 366).contains(&m)) {
        return Err(AppError::InvalidArguments("expires_in_minutes must be between 1 and 527040".into()));
    }
    let expires_at = match emoji.is_empty() {
        true => None,
        false => expires_in_minutes.map(|m| OffsetDateTime::now_utc() + Duration::minutes(m)),
    };
    let mut tx = ctx.begin().await?;
    let row = sqlx::query(&format!(
        "update member set status_emoji = $2, status_text = $3, status_expires_at = $4
          where member_id = $1 returning {PROFILE_COLUMNS}"
    ))
    .bind(actor.member_id)
    .bind(emoji)
    .bind(text)
    .bind(expires_at)
    .fetch_one(&mut *tx)
    .await?;
    save(tx, actor, row).await
}

/// Sets (or clears) the caller's manual away flag.
pub async fn set_away(db: &PgPool, actor: &Actor, away: bool) -> AppResult<()> {
    sqlx::query!("update member set presence_away = $2 where member_id = $1", actor.member_id, away)
        .execute(db)
        .await?;
    Ok(())
}
