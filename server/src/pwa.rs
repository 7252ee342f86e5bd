//! `GET /sw.js`: the service worker (`public/sw.js`), with its build id
//! filled in, under a policy that lets it fetch the app's assets.
//!
//! A browser installs a new worker only when the script's bytes change, and
//! the worker keeps the app's assets per build. So the id is derived from
//! the `/pkg` files this node serves (names, sizes, modification times):
//! every deploy gives a new worker, which installs in the background while
//! the page offers "New version available — Reload". The script is never
//! cached by HTTP (`no-cache`), as the service-worker spec advises.

use std::hash::{Hash, Hasher};
use std::path::Path;
use std::sync::OnceLock;

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};

use app::state::AppState;

/// An id of the build in `pkg` (stable while the files are unchanged).
fn build_id(pkg: &Path) -> String {
    let mut files: Vec<(String, u64, u128)> = std::fs::read_dir(pkg)
        .map(|d| {
            d.flatten()
                .filter_map(|e| {
                    let m = e.metadata().ok()?;
                    let t = m.modified().ok()?.duration_since(std::time::UNIX_EPOCH).ok()?.as_nanos();
                    Some((e.file_name().to_string_lossy().into_owned(), m.len(), t))
                })
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    let mut h = std::collections::hash_map::DefaultHasher::new();
    files.hash(&mut h);
    format!("{:016x}", h.finish())
}

pub async fn service_worker(State(st): State<AppState>) -> Response {
    static SCRIPT: OnceLock<Option<String>> = OnceLock::new();
    let script = SCRIPT.get_or_init(|| {
        let root = Path::new(st.leptos_options.site_root.as_ref());
        let text = std::fs::read_to_string(root.join("sw.js")).ok()?;
        Some(text.replace("__BUILD_ID__", &build_id(&root.join(st.leptos_options.site_pkg_dir.as_ref()))))
    });
    match script {
        Some(s) => (
            [
                (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
                (header::CACHE_CONTROL, "no-cache"),
                // A worker lives under its script's policy: the default
                // for non-pages (`default-src 'none'`) would refuse the
                // worker's own fetches of the app's assets.
                (
                    header::CONTENT_SECURITY_POLICY,
                    "default-src 'self'; frame-ancestors 'none'; base-uri 'none'",
                ),
            ],
            s.clone(),
        )
            .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_build_id_changes_with_the_files_and_only_with_them() {
        let dir = std::env::temp_dir().join(format!("threadspace-pkg-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("threadspace.js"), "a").unwrap();
        let first = build_id(&dir);
        assert_eq!(first, build_id(&dir));
        std::fs::write(dir.join("threadspace_bg.wasm"), "bb").unwrap();
        assert_ne!(first, build_id(&dir));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
