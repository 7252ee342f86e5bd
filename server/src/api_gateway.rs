//! The `/api/<noun>.<verb>` gateway in front of Leptos server functions.
//!
//! Server functions do the work; this layer makes them a stable Web API:
//! unknown methods and wrong verbs get the error envelope (not Leptos's plain
//! text), bodies are capped, and every error's HTTP status is derived from its
//! code by [`AppError::status`], the one place that mapping lives.

use std::collections::HashSet;
use std::sync::OnceLock;

use app::error::AppError;
use axum::body::{to_bytes, Body};
use axum::extract::Request;
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// Largest accepted API request body. File uploads have their own route.
pub const API_BODY_LIMIT: usize = 1024 * 1024;

/// The one API method that is a plain route (multipart, streamed).
pub const UPLOAD_PATH: &str = "/api/files.upload";

/// The registered server-function paths, e.g. `/api/auth.test`.
fn known_paths() -> &'static HashSet<&'static str> {
    static PATHS: OnceLock<HashSet<&'static str>> = OnceLock::new();
    PATHS.get_or_init(|| server_fn::axum::server_fn_paths().map(|(p, _)| p).collect())
}

/// Whether `path` is an API method (used by metrics to label requests).
pub fn is_method(path: &str) -> bool {
    path == UPLOAD_PATH || known_paths().contains(path)
}

/// Renders an error as the JSON envelope with its status.
pub fn error_response(e: &AppError) -> Response {
    let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut res = (status, axum::Json(e)).into_response();
    if let Some(secs) = e.retry_after() {
        res.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
    }
    res
}

/// Wraps every `/api/` request. Leptos registers one route per server
/// function; this middleware runs in front of them.
pub async fn gateway(req: Request, next: Next) -> Response {
    let path = req.uri().path().to_owned();
    if !path.starts_with("/api/") || path == UPLOAD_PATH {
        return next.run(req).await;
    }
    if !known_paths().contains(path.as_str()) {
        return error_response(&AppError::UnknownMethod);
    }
    if req.method() != Method::POST {
        return error_response(&AppError::MethodNotAllowed);
    }
    let (mut parts, body) = req.into_parts();
    let bytes = match to_bytes(body, API_BODY_LIMIT).await {
        Ok(b) => b,
        Err(_) => return error_response(&AppError::TooLarge),
    };
    // Methods without parameters may be called with an empty body.
    let bytes = if bytes.iter().all(u8::is_ascii_whitespace) { "{}".into() } else { bytes };
    // The JSON codec is the only one these methods speak; and a JSON client
    // must never get Leptos's "redirect back" treatment of plain form posts.
    parts.headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    parts.headers.insert(header::ACCEPT, HeaderValue::from_static("application/json"));
    let res = next.run(Request::from_parts(parts, Body::from(bytes))).await;
    if res.status().is_success() {
        return res;
    }
    // A server-function error: re-read the envelope and give it its status.
    let (_, body) = res.into_parts();
    let err = match to_bytes(body, 64 * 1024).await {
        Ok(b) => serde_json::from_slice::<AppError>(&b).unwrap_or_else(|_| {
            tracing::error!(%path, body = %String::from_utf8_lossy(&b), "unexpected server function error body");
            AppError::Internal
        }),
        Err(_) => AppError::Internal,
    };
    error_response(&err)
}
