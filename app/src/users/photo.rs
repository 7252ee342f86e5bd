//! A member's profile photo: `users.setPhoto` (upload, crop to a square,
//! two sizes) and `users.deletePhoto`. Each change is a `Tx` that emits
//! `profile_updated` with the new `avatar_version`, so every open page
//! loads the new picture; the old objects go to the storage sweeper.

use uuid::Uuid;

use super::queries::PROFILE_COLUMNS;
use super::Profile;
use crate::auth::Actor;
use crate::core::ctx::Ctx;
use crate::error::AppResult;
use crate::files::images::Crop;
use crate::files::pictures;
use crate::files::upload::FileService;

/// Stores a new photo for the caller.
pub async fn set_photo(
    ctx: &Ctx,
    files: &FileService,
    actor: &Actor,
    bytes: Vec<u8>,
    crop: Option<Crop>,
) -> AppResult<Profile> {
    let base = format!("avatars/{}/{}/{}", actor.workspace_id, actor.member_id, Uuid::now_v7());
    let mime = files.store_picture(&base, bytes, crop).await?;
    let saved = replace(ctx, actor, Some((&base, mime))).await;
    if saved.is_err() {
        files.forget_picture(&base).await;
    }
    files.nudge_sweeper();
    saved.map(|p| p.expect("a new photo always changes the profile"))
}

/// Removes the caller's photo (their initials show again). `None` when
/// there was none: nothing changed and nothing is announced.
pub async fn delete_photo(ctx: &Ctx, files: &FileService, actor: &Actor) -> AppResult<Option<Profile>> {
    let done = replace(ctx, actor, None).await;
    files.nudge_sweeper();
    done
}

async fn replace(ctx: &Ctx, actor: &Actor, new: Option<(&str, &str)>) -> AppResult<Option<Profile>> {
    let mut tx = ctx.begin().await?;
    let old: Option<String> =
        sqlx::query_scalar("select avatar_key from member where member_id = $1 for no key update")
            .bind(actor.member_id)
            .fetch_one(&mut *tx)
            .await?;
    if old.is_none() && new.is_none() {
        return Ok(None);
    }
    let row = sqlx::query(&format!(
        "update member set avatar_key = $2, avatar_mime = $3, avatar_version = avatar_version + 1
          where member_id = $1 returning {PROFILE_COLUMNS}"
    ))
    .bind(actor.member_id)
    .bind(new.map(|n| n.0))
    .bind(new.map(|n| n.1))
    .fetch_one(&mut *tx)
    .await?;
    if let Some(old) = old {
        pictures::trash(&mut tx, &old).await?;
    }
    super::actions::save(tx, actor, row).await.map(Some)
}
