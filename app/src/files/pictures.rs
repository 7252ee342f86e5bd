//! Square pictures (profile photos, workspace icons) kept in the file
//! store in two sizes. Made from an upload of at most [`MAX_PICTURE_BYTES`]
//! on the blocking pool, one at a time per node (decoding is CPU- and
//! memory-hungry; the same semaphore as thumbnails), and re-encoded, so no
//! metadata (a photo's location) survives.

use super::images::{self, Crop};
use super::upload::FileService;
use crate::error::{AppError, AppResult, Rule};

/// The largest picture upload.
pub const MAX_PICTURE_BYTES: usize = 10 * 1024 * 1024;
/// The sizes kept: the profile pane's and everywhere else's.
pub const SIZES: [u32; 2] = [512, 128];

/// The object key of one size of a picture.
pub fn key(base: &str, size: u32) -> String {
    format!("{base}-{size}")
}

/// The size to serve for a requested one (anything but 512 gets 128).
pub fn size_for(requested: &str) -> u32 {
    if requested.starts_with("512") {
        512
    } else {
        128
    }
}

/// Every object of a picture, for deleting it.
pub fn keys(base: &str) -> Vec<String> {
    SIZES.iter().map(|s| key(base, *s)).collect()
}

/// Queues a replaced picture's objects for the storage sweeper, inside the
/// transaction that stops referring to them.
pub async fn trash(tx: &mut sqlx::PgConnection, base: &str) -> Result<(), sqlx::Error> {
    sqlx::query("insert into storage_trash (storage_key) select unnest($1::text[]) on conflict do nothing")
        .bind(keys(base))
        .execute(tx)
        .await
        .map(|_| ())
}

impl FileService {
    /// Makes and stores the picture's sizes under `base`; returns its type.
    pub async fn store_picture(
        &self,
        base: &str,
        bytes: Vec<u8>,
        crop: Option<Crop>,
    ) -> AppResult<&'static str> {
        let sniffed = infer::get(&bytes).map(|t| t.mime_type());
        if !matches!(sniffed, Some("image/png" | "image/jpeg" | "image/gif" | "image/webp")) {
            return Err(AppError::Invalid(Rule::NotAnImage));
        }
        let _permit = self.thumbs.acquire().await.map_err(|_| AppError::Internal)?;
        let (made, mime) = tokio::task::spawn_blocking(move || images::square(&bytes, crop, &SIZES))
            .await
            .map_err(|_| AppError::Internal)?
            .map_err(|e| {
                tracing::info!(error = %e, "a picture upload does not decode");
                AppError::Invalid(Rule::NotAnImage)
            })?;
        for (size, bytes) in SIZES.iter().zip(made) {
            if let Err(e) = self.storage.put(&key(base, *size), bytes).await {
                self.forget_picture(base).await;
                return Err(e);
            }
        }
        Ok(mime)
    }

    /// Deletes a picture's objects now (best effort: used when the row that
    /// would refer to them was not written).
    pub async fn forget_picture(&self, base: &str) {
        for k in keys(base) {
            let _ = self.storage.delete(&k).await;
        }
    }
}

/// The picture shown when there is none: initials on the member's (or
/// workspace's) colour, as an SVG with nothing from the user but escaped
/// initials.
pub fn initials_svg(initials: &str, hue: u16) -> String {
    let text = crate::messages::markdown::escape(initials);
    format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 128 128" width="128" height="128"><rect width="128" height="128" fill="hsl({hue}, 45%, 30%)"/><text x="64" y="64" dy="0.35em" text-anchor="middle" font-family="system-ui, -apple-system, Segoe UI, sans-serif" font-size="54" font-weight="700" fill="#ffffff">{text}</text></svg>"##
    )
}
