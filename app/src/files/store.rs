//! Where file bytes live. The trait is `object_store::ObjectStore`, with two
//! backends: a directory on local disk (the default) and any S3-compatible
//! service. Uploads arrive as a finished temporary file; on local disk it is
//! renamed into place (no copy), on S3 it goes up in 5 MB multipart chunks,
//! so memory stays flat whatever the file size.

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use bytes::Bytes;
use futures_util::stream::BoxStream;
use futures_util::StreamExt;
use object_store::aws::AmazonS3Builder;
use object_store::local::LocalFileSystem;
use object_store::path::Path as Key;
use object_store::{GetOptions, GetRange, ObjectStore, PutPayload, WriteMultipart};
use tokio::io::AsyncReadExt;

use crate::error::{AppError, AppResult};

/// Which backend, and how to reach it.
#[derive(Debug, Clone)]
pub enum StorageConfig {
    /// Files under this directory.
    Local { root: PathBuf },
    /// An S3 bucket. Credentials come from the usual `AWS_*` variables when
    /// not given here.
    S3 {
        bucket: String,
        endpoint: Option<String>,
        region: String,
        access_key_id: Option<String>,
        secret_access_key: Option<String>,
    },
}

/// The configured store.
#[derive(Debug, Clone)]
pub struct Storage {
    store: Arc<dyn ObjectStore>,
    /// Set for the local backend: ingest renames into this directory.
    local_root: Option<PathBuf>,
}

const S3_PART: usize = 5 * 1024 * 1024;

/// The store is a dependency like the database: when it fails (down, full,
/// refusing), nothing was recorded and the client may retry, so the answer
/// is `503 service_unavailable` with `Retry-After`, never a vague 500.
fn failed(what: &str, e: impl std::fmt::Display) -> AppError {
    tracing::error!(error = %e, "file storage: {what} failed");
    AppError::Unavailable { retry_after_secs: 5 }
}

/// A read that finds no object: the database names a blob the store does
/// not have. A retry will not mend that, so it is a 500 with its own log
/// line (a data fault for an operator), not a 503.
fn read_failed(what: &str, e: object_store::Error) -> AppError {
    match e {
        object_store::Error::NotFound { path, .. } => {
            tracing::error!(%path, "file storage: {what}: the object is missing from the store");
            AppError::Internal
        }
        e => failed(what, e),
    }
}

impl Storage {
    /// Opens the store (creating the local directory if needed).
    pub fn open(cfg: &StorageConfig) -> Result<Storage, String> {
        match cfg {
            StorageConfig::Local { root } => {
                std::fs::create_dir_all(root)
                    .map_err(|e| format!("cannot create {}: {e}", root.display()))?;
                let root = root.canonicalize().map_err(|e| format!("{}: {e}", root.display()))?;
                let fs = LocalFileSystem::new_with_prefix(&root).map_err(|e| e.to_string())?;
                Ok(Storage { store: Arc::new(fs), local_root: Some(root) })
            }
            StorageConfig::S3 { bucket, endpoint, region, access_key_id, secret_access_key } => {
                let mut b = AmazonS3Builder::from_env().with_bucket_name(bucket).with_region(region);
                if let Some(ep) = endpoint {
                    b = b.with_endpoint(ep).with_allow_http(ep.starts_with("http://"));
                }
                if let Some(k) = access_key_id {
                    b = b.with_access_key_id(k);
                }
                if let Some(s) = secret_access_key {
                    b = b.with_secret_access_key(s);
                }
                let s3 = b.build().map_err(|e| format!("S3 storage: {e}"))?;
                Ok(Storage { store: Arc::new(s3), local_root: None })
            }
        }
    }

    /// `local` or `s3`, for logs and tests.
    pub fn backend(&self) -> &'static str {
        if self.local_root.is_some() {
            "local"
        } else {
            "s3"
        }
    }

    /// Where an object lies on this node's disk, for a local store (an
    /// import reads its zip in place); none for S3.
    pub fn local_path(&self, key: &str) -> Option<PathBuf> {
        self.local_root.as_ref().map(|r| r.join(key))
    }

    /// Moves a finished temporary file into the store under `key`. The
    /// temporary file is gone afterwards, whatever happened.
    pub async fn ingest(&self, tmp: &Path, key: &str) -> AppResult<()> {
        let result = match &self.local_root {
            Some(root) => self.ingest_local(root, tmp, key).await,
            None => self.ingest_multipart(tmp, key).await,
        };
        let _ = tokio::fs::remove_file(tmp).await;
        result
    }

    async fn ingest_local(&self, root: &Path, tmp: &Path, key: &str) -> AppResult<()> {
        let dest = root.join(key);
        if let Some(dir) = dest.parent() {
            tokio::fs::create_dir_all(dir).await.map_err(|e| failed("mkdir", e))?;
        }
        if tokio::fs::rename(tmp, &dest).await.is_ok() {
            return Ok(());
        }
        // Another filesystem: copy, then the caller's remove drops the original.
        tokio::fs::copy(tmp, &dest).await.map(|_| ()).map_err(|e| failed("copy", e))
    }

    async fn ingest_multipart(&self, tmp: &Path, key: &str) -> AppResult<()> {
        let mut f = tokio::fs::File::open(tmp).await.map_err(|e| failed("open", e))?;
        let upload =
            self.store.put_multipart(&Key::from(key)).await.map_err(|e| failed("multipart start", e))?;
        let mut w = WriteMultipart::new_with_chunk_size(upload, S3_PART);
        let mut buf = vec![0u8; 256 * 1024];
        loop {
            let n = match f.read(&mut buf).await {
                Ok(n) => n,
                Err(e) => {
                    let _ = w.abort().await;
                    return Err(failed("read", e));
                }
            };
            if n == 0 {
                break;
            }
            if let Err(e) = w.wait_for_capacity(2).await {
                let _ = w.abort().await;
                return Err(failed("part upload", e));
            }
            w.write(&buf[..n]);
        }
        w.finish().await.map(|_| ()).map_err(|e| failed("multipart complete", e))
    }

    /// Stores a small object (a thumbnail) in one request.
    pub async fn put(&self, key: &str, bytes: Vec<u8>) -> AppResult<()> {
        self.store
            .put(&Key::from(key), PutPayload::from(bytes))
            .await
            .map(|_| ())
            .map_err(|e| failed("put", e))
    }

    /// The whole object (files are at most 25 MB; used for thumbnails).
    pub async fn read_all(&self, key: &str) -> AppResult<Bytes> {
        let r = self.store.get(&Key::from(key)).await.map_err(|e| read_failed("get", e))?;
        r.bytes().await.map_err(|e| failed("read", e))
    }

    /// A byte range (or all) of an object, as a stream.
    pub async fn stream(
        &self,
        key: &str,
        range: Option<Range<u64>>,
    ) -> AppResult<BoxStream<'static, Result<Bytes, std::io::Error>>> {
        let opts = GetOptions { range: range.map(GetRange::Bounded), ..Default::default() };
        let r = self.store.get_opts(&Key::from(key), opts).await.map_err(|e| read_failed("get", e))?;
        Ok(r.into_stream().map(|c| c.map_err(std::io::Error::other)).boxed())
    }

    /// Removes an object; a missing one is not an error.
    pub async fn delete(&self, key: &str) -> AppResult<()> {
        match self.store.delete(&Key::from(key)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(failed("delete", e)),
        }
    }

    /// Every key under `prefix` (tests check that nothing was left behind).
    pub async fn keys(&self, prefix: &str) -> AppResult<Vec<String>> {
        let prefix = Key::from(prefix);
        let mut list = self.store.list(Some(&prefix));
        let mut out = Vec::new();
        while let Some(m) = list.next().await {
            out.push(m.map_err(|e| failed("list", e))?.location.to_string());
        }
        out.sort();
        Ok(out)
    }
}
