//! Request guards that apply to whole groups of routes: the Origin check for
//! cookie-authenticated mutations, and the login redirect for app pages.

use app::auth::session::actor_from_request;
use app::error::AppError;
use app::state::AppState;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use tower_sessions::Session;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "ts_session";

/// The pages a signed-out visitor may open. Every other page needs a
/// session: listing the public ones (not the private ones) means a new page
/// is protected by default.
const PUBLIC_PAGES: &[&str] = &["/login", "/signup", "/invite/", "/forgot", "/reset/"];

/// Paths that are not pages: the API, sockets, files and assets answer for
/// themselves (with the API's errors, not a redirect).
const NOT_PAGES: &[&str] =
    &["/api/", "/ws", "/files/", "/exports/", "/avatars/", "/workspace-icons/", "/pkg/"];

/// Whether `path` is a page of the signed-in app (or an unknown path, whose
/// "not found" is for signed-in eyes too).
fn is_private_page(path: &str) -> bool {
    let public = PUBLIC_PAGES
        .iter()
        .any(|p| path == p.trim_end_matches('/') || (p.ends_with('/') && path.starts_with(p)));
    let not_page = NOT_PAGES.iter().any(|p| path == p.trim_end_matches('/') || path.starts_with(p));
    // Static files (`/icon.svg`, `/manifest.webmanifest`) have an extension.
    let asset = path.rsplit('/').next().is_some_and(|last| last.contains('.'));
    !public && !not_page && !asset
}

fn has_session_cookie(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .any(|c| c.trim_start().starts_with(&format!("{SESSION_COOKIE}=")))
}

/// The scheme-host-port of a URL (`https://x.io:8443/a` → `https://x.io:8443`).
fn origin_of(url: &str) -> Option<&str> {
    let scheme_end = url.find("://")? + 3;
    let rest = &url[scheme_end..];
    let end = rest.find('/').map_or(url.len(), |i| scheme_end + i);
    Some(&url[..end])
}

/// Whether a request's Origin is one this server answers to: the public URL,
/// or the Host the request was sent to.
pub fn origin_allowed(origin: &str, headers: &HeaderMap, public_url: &str) -> bool {
    if origin_of(public_url) == Some(origin) {
        return true;
    }
    let Some(host) = headers.get(header::HOST).and_then(|h| h.to_str().ok()) else {
        return false;
    };
    origin == format!("http://{host}") || origin == format!("https://{host}")
}

/// Refuses cross-site mutations. A mutation that carries the session cookie
/// must come with a matching `Origin` (or `Referer`, or `Sec-Fetch-Site:
/// same-origin` when the Origin is `null`); a mismatched Origin is
/// refused even without a cookie (no login CSRF). Bearer-token calls without a
/// cookie are not browser-driven and pass.
pub async fn check_origin(State(st): State<AppState>, req: Request, next: Next) -> Response {
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return next.run(req).await;
    }
    let headers = req.headers();
    let cookie = has_session_cookie(headers);
    let origin = headers
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok())
        .filter(|o| *o != "null")
        .or_else(|| headers.get(header::REFERER).and_then(|v| v.to_str().ok()).and_then(origin_of));
    // Pages send `Referrer-Policy: no-referrer`, so browsers post their forms
    // with `Origin: null` and no Referer; `Sec-Fetch-Site` still says whether
    // the request came from this site.
    let fetch_site = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok());
    let ok = match (origin, fetch_site) {
        (Some(o), _) => origin_allowed(o, headers, &st.public_url),
        (None, Some(site)) => site == "same-origin" || (!cookie && site == "none"),
        (None, None) => !cookie,
    };
    if ok {
        next.run(req).await
    } else {
        tracing::warn!(path = %req.uri().path(), ?origin, "refused cross-origin mutation");
        AppError::BadOrigin.into_response()
    }
}

/// Sends signed-out visitors of app pages to `/login`, and signed-in visitors
/// of `/login` to the app.
pub async fn page_auth(State(st): State<AppState>, session: Session, req: Request, next: Next) -> Response {
    if req.method() != Method::GET {
        return next.run(req).await;
    }
    let path = req.uri().path();
    let shell = is_private_page(path);
    if !shell && path != "/login" {
        return next.run(req).await;
    }
    let signed_in = match actor_from_request(&st.db, &HeaderMap::new(), Some(&session)).await {
        Ok(_) => true,
        Err(AppError::NotAuthed) => false,
        Err(e) => return e.into_response(),
    };
    match (shell, signed_in) {
        (true, false) => Redirect::to("/login").into_response(),
        (false, true) => Redirect::to("/").into_response(),
        _ => next.run(req).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_are_compared_by_scheme_host_and_port() {
        assert_eq!(origin_of("https://x.io:8443/a/b"), Some("https://x.io:8443"));
        assert_eq!(origin_of("http://x.io"), Some("http://x.io"));
        let mut h = HeaderMap::new();
        h.insert(header::HOST, "127.0.0.1:3000".parse().unwrap());
        assert!(origin_allowed("http://127.0.0.1:3000", &h, "https://chat.example.com"));
        assert!(origin_allowed("https://chat.example.com", &h, "https://chat.example.com/"));
        assert!(!origin_allowed("https://evil.example", &h, "https://chat.example.com"));
        assert!(!origin_allowed("http://127.0.0.1:3000.evil", &h, "http://x"));
    }

    #[test]
    fn every_page_but_the_public_ones_needs_a_session() {
        for p in [
            "/",
            "/people",
            "/admin/invites",
            "/c/0190-abc",
            "/c/x/12",
            "/channels",
            "/dms/new",
            "/search",
            "/admin",
            "/admin/members/x",
            "/admin/settings",
            "/settings/account",
            "/forgotten",
            "/nope",
        ] {
            assert!(is_private_page(p), "{p}");
        }
        for p in [
            "/login",
            "/signup",
            "/invite/abc",
            "/forgot",
            "/reset/tsr_abc",
            "/api/auth.test",
            "/ws",
            "/files/1/a.png",
            "/pkg/x.wasm",
            "/icon.svg",
        ] {
            assert!(!is_private_page(p), "{p}");
        }
    }

    #[test]
    fn session_cookie_is_found_among_others() {
        let mut h = HeaderMap::new();
        h.insert(header::COOKIE, "a=1; ts_session=abc".parse().unwrap());
        assert!(has_session_cookie(&h));
        h.insert(header::COOKIE, "ts_sessionx=1".parse().unwrap());
        assert!(!has_session_cookie(&h));
    }
}
