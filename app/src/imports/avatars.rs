//! Profile photos from the export: a person's picture is imported when the
//! zip has it (`profile.image_original` or `image_512` as a path in the
//! zip, or `__avatars/<user id>.png|jpg`), made into the same square sizes
//! as an uploaded photo. Only people the import made (deactivated, with no
//! photo yet) get one, so running the import again changes nothing.

use std::collections::HashMap;

use uuid::Uuid;

use super::model::Source;
use super::read::User;
use crate::core::ctx::Ctx;
use crate::error::AppResult;
use crate::files::upload::FileService;

/// The largest picture read from the zip.
const MAX_PICTURE_BYTES: u64 = 10 * 1024 * 1024;

/// The picture's entry in the zip, if it has one.
pub fn entry(src: &Source, u: &User) -> Option<String> {
    let from_profile = [u.profile.image_original.as_deref(), u.profile.image_512.as_deref()]
        .into_iter()
        .flatten()
        .filter(|p| !p.contains("://"))
        .map(str::to_string);
    let by_id = ["png", "jpg", "jpeg"].iter().map(|ext| format!("__avatars/{}.{ext}", u.id));
    from_profile.chain(by_id).find(|p| src.zip.has(p))
}

/// Stores the pictures of imported people who have none; returns how many.
pub async fn attach(
    ctx: &Ctx,
    files: &FileService,
    src: &mut Source,
    workspace: Uuid,
    people: &HashMap<String, Uuid>,
) -> AppResult<u64> {
    let wanted: Vec<(Uuid, String)> =
        src.users.clone().iter().filter_map(|u| Some((*people.get(&u.id)?, entry(src, u)?))).collect();
    if wanted.is_empty() {
        return Ok(0);
    }
    let ids: Vec<Uuid> = wanted.iter().map(|w| w.0).collect();
    let bare: Vec<Uuid> = sqlx::query_scalar(
        "select member_id from member where member_id = any($1) and avatar_key is null and deactivated_at is not null",
    )
    .bind(&ids)
    .fetch_all(&**ctx)
    .await?;
    let mut stored = 0;
    for (member, path) in wanted.into_iter().filter(|w| bare.contains(&w.0)) {
        let Ok(bytes) = src.zip.read(&path, MAX_PICTURE_BYTES) else { continue };
        let base = format!("avatars/{workspace}/{member}/{}", Uuid::now_v7());
        let Ok(mime) = files.store_picture(&base, bytes, None).await else {
            tracing::info!(path, "import: a profile picture is not an image we read");
            continue;
        };
        let set = sqlx::query(
            "update member set avatar_key = $2, avatar_mime = $3, avatar_version = avatar_version + 1
              where member_id = $1 and avatar_key is null",
        )
        .bind(member)
        .bind(&base)
        .bind(mime)
        .execute(&**ctx)
        .await?
        .rows_affected();
        if set == 1 {
            stored += 1;
        } else {
            files.forget_picture(&base).await;
        }
    }
    Ok(stored)
}
