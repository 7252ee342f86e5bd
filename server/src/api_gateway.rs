//! The `/api/<noun>.<verb>` gateway in front of Leptos server functions.
//!
//! Server functions do the work; this layer makes them a stable Web API:
//! unknown methods and wrong verbs get the error envelope (not Leptos's plain
//! text), bodies are capped, and each method takes from its rate-limit
//! budget (`app::ratelimit::classes`) per member and per IP before any work.
//! The caller it resolved for that rides along in the request's extensions,
//! so the server function does not look it up again. A server function's error already carries
//! its own status ([`AppError::status`], set when the error is encoded), so
//! this layer never reads a response body back.

use std::collections::HashSet;
use std::sync::OnceLock;

use app::auth::session::{actor_from_request, forwarded_ip};
use app::error::AppError;
use app::state::AppState;
use axum::body::{to_bytes, Body};
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderValue, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// Largest accepted API request body. File uploads have their own route.
pub const API_BODY_LIMIT: usize = 1024 * 1024;

/// The API methods that are plain routes (multipart, streamed).
pub const PLAIN_METHODS: &[&str] =
    &["/api/files.upload", "/api/users.setPhoto", "/api/admin.settings.setIcon", "/api/admin.import.upload"];

/// The registered server-function paths, e.g. `/api/auth.test`.
fn known_paths() -> &'static HashSet<&'static str> {
    static PATHS: OnceLock<HashSet<&'static str>> = OnceLock::new();
    PATHS.get_or_init(|| server_fn::axum::server_fn_paths().map(|(p, _)| p).collect())
}

/// Every API method's name (`auth.test`), sorted: the list the
/// authorization matrix (docs/authorization.md) must cover.
pub fn methods() -> Vec<String> {
    let mut all: Vec<String> =
        PLAIN_METHODS.iter().chain(known_paths().iter()).map(|p| p["/api/".len()..].to_string()).collect();
    all.sort();
    all
}

/// Whether `path` is an API method (used by metrics to label requests).
pub fn is_method(path: &str) -> bool {
    PLAIN_METHODS.contains(&path) || known_paths().contains(path)
}

/// Wraps every `/api/` request. Leptos registers one route per server
/// function; this middleware runs in front of them.
pub async fn gateway(State(st): State<AppState>, mut req: Request, next: Next) -> Response {
    let path = req.uri().path().to_owned();
    if !path.starts_with("/api/") {
        return next.run(req).await;
    }
    let plain = PLAIN_METHODS.contains(&path.as_str());
    if !plain && !known_paths().contains(path.as_str()) {
        return AppError::UnknownMethod.into_response();
    }
    if !plain && req.method() != Method::POST {
        return AppError::MethodNotAllowed.into_response();
    }
    if let Some(class) = app::ratelimit::classes::class_of(&path["/api/".len()..]) {
        if let Err(e) = take_budget(&st, class, &mut req).await {
            return e.into_response();
        }
    }
    if plain {
        return next.run(req).await;
    }
    let (mut parts, body) = req.into_parts();
    let bytes = match to_bytes(body, API_BODY_LIMIT).await {
        Ok(b) => b,
        Err(_) => return AppError::TooLarge.into_response(),
    };
    // Methods without parameters may be called with an empty body.
    let bytes = if bytes.iter().all(u8::is_ascii_whitespace) { "{}".into() } else { bytes };
    // The JSON codec is the only one these methods speak; and a JSON client
    // must never get Leptos's "redirect back" treatment of plain form posts.
    parts.headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    parts.headers.insert(header::ACCEPT, HeaderValue::from_static("application/json"));
    next.run(Request::from_parts(parts, Body::from(bytes))).await
}

/// Takes one request of `class` from the caller's and the IP's budgets. An
/// unauthenticated caller has only the IP's (the method then refuses it).
async fn take_budget(st: &AppState, class: app::ratelimit::Class, req: &mut Request) -> Result<(), AppError> {
    let ip = client_ip(st, req);
    let session = req.extensions().get::<tower_sessions::Session>().cloned();
    let actor = actor_from_request(&st.db, req.headers(), session.as_ref()).await.ok();
    st.limits.check(class, actor.as_ref().map(|a| a.member_id), ip).await?;
    if let Some(actor) = actor {
        req.extensions_mut().insert(actor);
    }
    Ok(())
}

/// The client's IP, as `app::auth::session::client_ip` finds it.
fn client_ip(st: &AppState, req: &Request) -> Option<std::net::IpAddr> {
    if st.trust_proxy {
        if let Some(ip) = forwarded_ip(req.headers()) {
            return Some(ip);
        }
    }
    req.extensions().get::<ConnectInfo<std::net::SocketAddr>>().map(|c| c.0.ip())
}
