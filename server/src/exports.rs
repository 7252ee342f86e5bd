//! `GET /exports/<id>/<name>`: a finished workspace export, for owners and
//! admins of that workspace. Anyone else, signed in or not, gets the same
//! 404 as for an export that does not exist.

use app::auth::session::actor_from_request;
use app::error::{AppError, Missing};
use app::files::serve::CSP;
use app::state::AppState;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use tower_sessions::Session;
use uuid::Uuid;

pub async fn download(
    State(st): State<AppState>,
    session: Session,
    headers: HeaderMap,
    Path((id, _name)): Path<(String, String)>,
) -> Response {
    let missing = || AppError::NotFound(Missing::Export).into_response();
    let actor = match actor_from_request(&st.db, &headers, Some(&session)).await {
        Ok(a) => a,
        Err(e) => return e.into_response(),
    };
    let Ok(id) = Uuid::parse_str(&id) else { return missing() };
    if !actor.role.is_admin() {
        return missing();
    }
    let (key, size) = match app::exports::job::stored(&st.db, actor.workspace_id, id).await {
        Ok(Some(found)) => found,
        Ok(None) => return missing(),
        Err(e) => return e.into_response(),
    };
    let stream = match st.files.storage.stream(&key, None).await {
        Ok(s) => s,
        Err(e) => return e.into_response(),
    };
    let mut res = Response::new(Body::from_stream(stream));
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/zip"));
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(size.max(0) as u64));
    h.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("attachment; filename=\"threadspace-export.zip\""),
    );
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    res
}
