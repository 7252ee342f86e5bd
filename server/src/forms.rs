//! Plain HTML form endpoints for the signed-out pages, so that sign-up, login
//! and invite acceptance work before the WASM bundle loads (or without it).
//!
//! They call the same actions as the JSON API. Success redirects into the app;
//! failure redirects back with `?error=<code>&field=<name>` and the harmless
//! fields (never the password) so the page can show the error inline.

use std::net::SocketAddr;

use app::auth::actions::SignupInput;
use app::auth::logins::Device;
use app::auth::session::establish_session;
use app::auth::signup::Outcome;
use app::core::ctx::Ctx;
use app::error::AppError;
use app::invites::actions as invites;
use app::invites::actions::AcceptInput;
use app::state::AppState;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;
use tower_sessions::Session;

/// Fields a validation message can point at.
const FIELDS: &[&str] = &["email", "password", "display_name", "workspace_name"];

/// Where to send the browser after a failed form: back, with the error.
fn back(page: &str, e: &AppError, keep: &[(&str, &str)]) -> Response {
    let mut q: Vec<(&str, String)> = vec![("error", e.code().to_string())];
    if let AppError::InvalidArguments(detail) = e {
        if let Some(field) = detail.split_whitespace().next().filter(|f| FIELDS.contains(f)) {
            q.push(("field", field.to_string()));
        }
    }
    if let AppError::RateLimited { retry_after_secs } = e {
        q.push(("retry_after", retry_after_secs.to_string()));
    }
    q.extend(keep.iter().filter(|(_, v)| !v.is_empty()).map(|(k, v)| (*k, v.to_string())));
    let qs = serde_urlencoded::to_string(&q).unwrap_or_default();
    Redirect::to(&format!("{page}?{qs}")).into_response()
}

async fn signed_in(
    st: &AppState,
    session: &Session,
    actor: &app::auth::Actor,
    device: &Device,
    page: &str,
) -> Response {
    match establish_session(&Ctx::from(st), session, actor, device).await {
        Ok(()) => Redirect::to("/").into_response(),
        Err(e) => back(page, &e, &[]),
    }
}

fn client_ip(st: &AppState, headers: &HeaderMap, peer: SocketAddr) -> Option<std::net::IpAddr> {
    if st.trust_proxy {
        if let Some(ip) = app::auth::session::forwarded_ip(headers) {
            return Some(ip);
        }
    }
    Some(peer.ip())
}

/// The login form.
#[derive(Deserialize)]
pub struct LoginForm {
    email: String,
    password: String,
}

/// `POST /login`.
pub async fn login(
    State(st): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    session: Session,
    Form(f): Form<LoginForm>,
) -> Response {
    let device = Device::new(&headers, client_ip(&st, &headers, peer));
    match app::auth::actions::login(&st.db, &st.limits, &f.email, &f.password, None, device.ip).await {
        Ok(actor) => signed_in(&st, &session, &actor, &device, "/login").await,
        Err(e) => back("/login", &e, &[("email", &f.email)]),
    }
}

/// The sign-up form.
#[derive(Deserialize)]
pub struct SignupForm {
    workspace_name: String,
    display_name: String,
    email: String,
    password: String,
}

/// `POST /signup`.
pub async fn signup(
    State(st): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    session: Session,
    Form(f): Form<SignupForm>,
) -> Response {
    let device = Device::new(&headers, client_ip(&st, &headers, peer));
    let keep = [
        ("workspace_name", f.workspace_name.clone()),
        ("display_name", f.display_name.clone()),
        ("email", f.email.clone()),
    ];
    let input = SignupInput {
        workspace_name: f.workspace_name,
        email: f.email,
        password: f.password,
        display_name: f.display_name,
    };
    let me = app::auth::session::actor_from_request(&st.db, &HeaderMap::new(), Some(&session)).await.ok();
    let ctx = Ctx::from(&st);
    match app::auth::signup::signup(&ctx, &st.limits, input, me.as_ref(), device.ip, &st.public_url).await {
        Ok(Outcome::SignedUp(actor)) => signed_in(&st, &session, &actor, &device, "/signup").await,
        Ok(Outcome::CheckEmail) => Redirect::to("/signup?sent=1").into_response(),
        Err(e) => back("/signup", &e, &keep.iter().map(|(k, v)| (*k, v.as_str())).collect::<Vec<_>>()),
    }
}

/// The invite acceptance form.
#[derive(Deserialize)]
pub struct AcceptForm {
    display_name: String,
    email: String,
    password: String,
}

/// `POST /invite/<token>`.
pub async fn accept_invite(
    State(st): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    session: Session,
    Path(token): Path<String>,
    Form(f): Form<AcceptForm>,
) -> Response {
    let page = format!("/invite/{}", urlencode_path(&token));
    let device = Device::new(&headers, client_ip(&st, &headers, peer));
    let keep = [("display_name", f.display_name.clone()), ("email", f.email.clone())];
    let input = AcceptInput { token, email: f.email, password: f.password, display_name: f.display_name };
    match invites::accept(&Ctx::from(&st), &st.limits, device.ip, input).await {
        Ok(actor) => signed_in(&st, &session, &actor, &device, &page).await,
        Err(e) => back(&page, &e, &keep.iter().map(|(k, v)| (*k, v.as_str())).collect::<Vec<_>>()),
    }
}

/// `POST /logout`: ends the sign-in (its sockets close) and the cookie.
pub async fn logout(State(st): State<AppState>, headers: HeaderMap, session: Session) -> Response {
    if let Ok(actor) = app::auth::session::actor_from_request(&st.db, &headers, Some(&session)).await {
        if let Err(e) = app::auth::actions::sign_out(&Ctx::from(&st), &actor).await {
            tracing::error!(error = %e, "signing out failed");
        }
    }
    if let Err(e) = session.flush().await {
        tracing::error!(error = %e, "session store failure on logout");
    }
    Redirect::to("/login").into_response()
}

/// Keeps a path segment from escaping into another path or query.
fn urlencode_path(s: &str) -> String {
    s.chars().filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_')).collect()
}
