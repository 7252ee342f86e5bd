//! Request guards that apply to whole groups of routes: the Origin check for
//! cookie-authenticated mutations, the login redirect for app pages, and
//! the 404 for pages a signed-in member may not open.

use app::auth::session::actor_from_request;
use app::auth::Actor;
use app::channels::queries::access;
use app::error::AppError;
use app::state::AppState;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use tower_sessions::Session;
use uuid::Uuid;

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

/// Sends signed-out visitors of app pages to `/login`, signed-in visitors
/// of `/login` to the app, and answers 404 for a page the member may not
/// open (see [`may_open`]).
pub async fn page_auth(State(st): State<AppState>, session: Session, req: Request, next: Next) -> Response {
    if req.method() != Method::GET {
        return next.run(req).await;
    }
    let path = req.uri().path();
    let shell = is_private_page(path);
    if !shell && path != "/login" {
        return next.run(req).await;
    }
    let actor = match actor_from_request(&st.db, &HeaderMap::new(), Some(&session)).await {
        Ok(a) => Some(a),
        Err(AppError::NotAuthed) => None,
        Err(e) => return e.into_response(),
    };
    match (shell, actor) {
        (true, None) => Redirect::to("/login").into_response(),
        (false, Some(_)) => Redirect::to("/").into_response(),
        (true, Some(actor)) => match may_open(&st.db, &actor, path).await {
            Ok(true) => next.run(req).await,
            Ok(false) => not_found_page(),
            Err(e) => e.into_response(),
        },
        (false, None) => next.run(req).await,
    }
}

/// Whether a signed-in member may open the page at `path`, decided before
/// it renders: a page streams its body, so a "not found" found while
/// rendering could no longer set the status, and the page's frame would
/// already say what exists. Admin pages need an admin; a conversation's
/// page needs read access to it (the API's own rule); a member's admin page
/// needs that member to be in the workspace.
async fn may_open(db: &sqlx::PgPool, actor: &Actor, path: &str) -> Result<bool, AppError> {
    let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
    match parts.as_slice() {
        ["admin", ..] if !actor.role.is_admin() => Ok(false),
        ["admin", "members", id] => {
            let Ok(id) = Uuid::parse_str(id) else { return Ok(false) };
            let found: bool = sqlx::query_scalar(
                "select exists(select 1 from member where member_id = $1 and workspace_id = $2)",
            )
            .bind(id)
            .bind(actor.workspace_id)
            .fetch_one(db)
            .await?;
            Ok(found)
        }
        ["c", id] | ["c", id, _] => {
            let Ok(id) = Uuid::parse_str(id) else { return Ok(false) };
            match access(db, actor, id).await {
                Ok(_) => Ok(true),
                Err(AppError::NotFound(_)) => Ok(false),
                Err(e) => Err(e),
            }
        }
        _ => Ok(true),
    }
}

/// The answer for a page the member may not open: 404, the same words as
/// for an address that does not exist, and no app script (the app would
/// hydrate the page the address names, not this one).
fn not_found_page() -> Response {
    const PAGE: &str = concat!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">",
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">",
        "<title>Not found · ThreadSpace</title>",
        "<link rel=\"stylesheet\" href=\"/pkg/threadspace.css\"></head>",
        "<body><main class=\"auth-page\"><div class=\"auth-card\"><h1>Page not found</h1>",
        "<p class=\"muted\">There is nothing at this address.</p>",
        "<a class=\"btn primary\" href=\"/\">Go home</a></div></main></body></html>"
    );
    (StatusCode::NOT_FOUND, [(header::CONTENT_TYPE, "text/html; charset=utf-8")], PAGE).into_response()
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
