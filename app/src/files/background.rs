//! The work around stored files that no request waits for: the sweeper
//! that removes queued objects from the store, and thumbnails.

use std::sync::Arc;

use sqlx::PgPool;
use uuid::Uuid;

use super::blobs as files_db;
use super::images;
use super::upload::FileService;
use crate::error::AppResult;

impl FileService {
    /// Starts the sweeper that deletes queued objects from the store.
    pub fn start(self: &Arc<Self>, db: PgPool) {
        let me = self.clone();
        tokio::spawn(async move {
            loop {
                let _ = tokio::time::timeout(std::time::Duration::from_secs(60), me.sweep.notified()).await;
                if let Err(e) = me.sweep_now(&db).await {
                    tracing::warn!(error = ?e, "storage sweep failed; will retry");
                }
            }
        });
    }

    /// Deletes every queued object now (the API calls it after a delete so
    /// that the bytes are gone when the call returns).
    pub async fn sweep_now(&self, db: &PgPool) -> AppResult<usize> {
        let mut n = 0;
        loop {
            let keys = super::queries::trash(db, 100).await?;
            if keys.is_empty() {
                return Ok(n);
            }
            for k in keys {
                self.storage.delete(&k).await?;
                files_db::untrash(db, &k).await?;
                n += 1;
            }
        }
    }

    /// Wakes the sweeper.
    pub fn nudge_sweeper(&self) {
        self.sweep.notify_one();
    }

    /// Makes the thumbnail of a file's image if it is still pending.
    pub async fn ensure_thumb_for_file(&self, db: &PgPool, file: Uuid) {
        let r = sqlx::query!(
            "select b.blob_id, b.workspace_id, b.storage_key, b.thumb_state from file f join blob b using (blob_id)
             where f.file_id = $1",
            file
        )
        .fetch_optional(db)
        .await;
        if let Ok(Some(r)) = r {
            if r.thumb_state == "pending" {
                self.make_thumb(db, r.blob_id, r.workspace_id, &r.storage_key).await;
            }
        }
    }

    /// Decodes, shrinks and stores a thumbnail, then records it (or that
    /// the image could not be decoded). Idempotent: two nodes making the
    /// same one write the same object.
    pub async fn make_thumb(&self, db: &PgPool, blob: Uuid, workspace: Uuid, key: &str) -> Option<String> {
        let _permit = self.thumbs.acquire().await.ok()?;
        let state = sqlx::query_scalar!("select thumb_state from blob where blob_id = $1", blob)
            .fetch_optional(db)
            .await
            .ok()??;
        let tkey = super::queries::thumb_key(workspace, blob);
        if state == "ready" {
            return Some(tkey);
        }
        let bytes = self.storage.read_all(key).await.ok()?;
        let made = tokio::task::spawn_blocking(move || images::thumbnail(&bytes)).await.ok()?;
        match made {
            Ok((thumb, _mime, w, h)) => {
                self.storage.put(&tkey, thumb).await.ok()?;
                files_db::set_thumb(db, blob, Some((&tkey, w, h))).await.ok()?;
                Some(tkey)
            }
            Err(e) => {
                tracing::info!(%blob, error = %e, "no thumbnail: the image does not decode");
                let _ = files_db::set_thumb(db, blob, None).await;
                None
            }
        }
    }
}
