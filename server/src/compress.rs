//! Smaller responses: the app's assets precompressed once, everything else
//! compressed on the fly when it is worth it.
//!
//! - `/pkg` (the WASM, its JS glue, the CSS) is served by a `ServeDir` that
//!   picks `<file>.br` or `<file>.gz` when the browser accepts them. Those
//!   are written at start-up, before the node serves, at the best ratio
//!   (brotli 11, gzip 9), when they are missing or older than the file (so
//!   only the first start after a build pays for it: a few seconds). The assets keep their names between
//!   builds, so they are `no-cache` (revalidated, 304 when unchanged); the
//!   service worker keeps each build's copy and answers from it (sw.js).
//! - Pages, API answers and other text are compressed per response (brotli
//!   at quality 4, fast enough per request; gzip otherwise) when they are
//!   text, JSON, WASM or SVG of more than a few hundred bytes. Responses
//!   that offer byte ranges (files, assets) are never compressed on the
//!   fly: a range of a compressed stream is not a range of the file.

use std::path::{Path, PathBuf};

use async_compression::tokio::bufread::{BrotliEncoder, GzipEncoder};
use async_compression::Level;
use axum::http::{header, HeaderValue, Response};
use tokio::io::AsyncWriteExt;
use tower_http::compression::predicate::{Predicate, SizeAbove};
use tower_http::compression::{CompressionLayer, CompressionLevel};

/// The asset types worth precompressing.
const PRECOMPRESS: &[&str] = &["wasm", "js", "css", "svg", "webmanifest"];

/// Which responses are compressed on the fly.
#[derive(Clone, Copy)]
pub struct Worthwhile;

impl Predicate for Worthwhile {
    fn should_compress<B>(&self, res: &Response<B>) -> bool
    where
        B: axum::body::HttpBody,
    {
        let h = res.headers();
        if h.contains_key(header::ACCEPT_RANGES) || h.contains_key(header::CONTENT_RANGE) {
            return false;
        }
        let ctype = h.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
        let text = ctype.starts_with("text/")
            || ["application/json", "application/javascript", "application/wasm", "image/svg+xml"]
                .iter()
                .any(|t| ctype.starts_with(t))
            || ctype.starts_with("application/manifest+json");
        text && SizeAbove::new(512).should_compress(res)
    }
}

/// The on-the-fly compression layer.
pub fn layer() -> CompressionLayer<Worthwhile> {
    CompressionLayer::new()
        .br(true)
        .gzip(true)
        .quality(CompressionLevel::Precise(4))
        .compress_when(Worthwhile)
}

/// The `Cache-Control` of `/pkg` answers.
pub fn asset_cache_control() -> HeaderValue {
    HeaderValue::from_static("no-cache")
}

/// Writes `.br` and `.gz` beside each asset in `dir` that lacks a fresh one.
/// Returns how many it wrote.
pub async fn precompress(dir: &Path) -> std::io::Result<usize> {
    let mut written = 0;
    let mut entries = tokio::fs::read_dir(dir).await?;
    while let Some(e) = entries.next_entry().await? {
        let path = e.path();
        let ext = path.extension().and_then(|x| x.to_str()).unwrap_or("");
        if !PRECOMPRESS.contains(&ext) {
            continue;
        }
        let modified = e.metadata().await?.modified()?;
        for kind in ["br", "gz"] {
            let out = with_suffix(&path, kind);
            let fresh =
                tokio::fs::metadata(&out).await.and_then(|m| m.modified()).is_ok_and(|t| t >= modified);
            if !fresh {
                compress_file(&path, &out, kind).await?;
                written += 1;
            }
        }
    }
    Ok(written)
}

fn with_suffix(path: &Path, kind: &str) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(".");
    s.push(kind);
    PathBuf::from(s)
}

/// Compresses `src` into `out` through a temporary file, so a reader never
/// sees half a file.
async fn compress_file(src: &Path, out: &Path, kind: &str) -> std::io::Result<()> {
    let input = tokio::io::BufReader::new(tokio::fs::File::open(src).await?);
    let tmp = with_suffix(out, "tmp");
    let mut file = tokio::fs::File::create(&tmp).await?;
    match kind {
        "br" => {
            tokio::io::copy(&mut BrotliEncoder::with_quality(input, Level::Precise(11)), &mut file).await?
        }
        _ => tokio::io::copy(&mut GzipEncoder::with_quality(input, Level::Best), &mut file).await?,
    };
    file.flush().await?;
    drop(file);
    tokio::fs::rename(&tmp, out).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn assets_are_precompressed_once_and_again_when_they_change() {
        let dir = std::env::temp_dir().join(format!("threadspace-pkg-{}", uuid::Uuid::new_v4()));
        tokio::fs::create_dir_all(&dir).await.unwrap();
        let js = "function hello() { return 'hello'; }\n".repeat(200);
        tokio::fs::write(dir.join("app.js"), &js).await.unwrap();
        tokio::fs::write(dir.join("notes.txt"), "not an asset").await.unwrap();
        assert_eq!(precompress(&dir).await.unwrap(), 2);
        let br = tokio::fs::read(dir.join("app.js.br")).await.unwrap();
        let gz = tokio::fs::read(dir.join("app.js.gz")).await.unwrap();
        assert!(br.len() < js.len() / 10 && gz.len() < js.len() / 10, "{} {}", br.len(), gz.len());
        // Round trip: the compressed copies hold the file.
        let mut back = Vec::new();
        let mut d = async_compression::tokio::bufread::BrotliDecoder::new(&br[..]);
        tokio::io::AsyncReadExt::read_to_end(&mut d, &mut back).await.unwrap();
        assert_eq!(back, js.as_bytes());
        assert!(!dir.join("notes.txt.br").exists());
        assert_eq!(precompress(&dir).await.unwrap(), 0, "fresh copies are kept");
        tokio::fs::remove_dir_all(&dir).await.unwrap();
    }
}
