//! Slack import routes: `POST /api/admin.import.upload` (multipart, the
//! zip streamed to storage) and `GET /imports/<id>/report.json` (the dry
//! run's report). Owners and admins only; anyone else gets what a method
//! or an import that does not exist answers.

use app::api::Reply;
use app::auth::session::actor_from_request;
use app::error::{AppError, Missing, Rule};
use app::imports::api::OneImport;
use app::state::AppState;
use axum::extract::multipart::{Multipart, MultipartRejection};
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use tower_sessions::Session;
use uuid::Uuid;

/// An export of up to 20 GB (the import's own limit, checked while streaming).
pub fn body_limit() -> DefaultBodyLimit {
    DefaultBodyLimit::max(app::imports::job::MAX_UPLOAD_BYTES as usize + 1024 * 1024)
}

/// `admin.import.upload`: stores the zip and records the import.
pub async fn upload(
    State(st): State<AppState>,
    session: Session,
    headers: HeaderMap,
    mp: Result<Multipart, MultipartRejection>,
) -> Response {
    let actor = match actor_from_request(&st.db, &headers, Some(&session)).await {
        Ok(a) => a,
        Err(e) => return e.into_response(),
    };
    if !actor.role.is_admin() {
        return AppError::UnknownMethod.into_response();
    }
    let Ok(mp) = mp else {
        return AppError::Invalid(Rule::InvalidMultipart).into_response();
    };
    // Its own task: a client that goes away mid-upload cannot cancel the clean-up.
    let imports = st.imports.clone();
    let task = tokio::spawn(async move { imports.receive(&actor, mp).await.map(|id| (id, actor)) });
    let (id, actor) = match task.await {
        Ok(Ok(done)) => done,
        Ok(Err(e)) => return e.into_response(),
        Err(_) => return AppError::Internal.into_response(),
    };
    match app::imports::queries::one(&st.db, actor.workspace_id, id).await {
        Ok(import) => axum::Json(Reply::new(OneImport { import })).into_response(),
        Err(e) => e.into_response(),
    }
}

/// The dry run's report as a JSON download.
pub async fn report(
    State(st): State<AppState>,
    session: Session,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let missing = || AppError::NotFound(Missing::Import).into_response();
    let actor = match actor_from_request(&st.db, &headers, Some(&session)).await {
        Ok(a) => a,
        Err(e) => return e.into_response(),
    };
    let Ok(id) = Uuid::parse_str(&id) else { return missing() };
    if !actor.role.is_admin() {
        return missing();
    }
    let report = match app::imports::queries::report(&st.db, actor.workspace_id, id).await {
        Ok(Some(r)) => r,
        Ok(None) => return missing(),
        Err(e) => return e.into_response(),
    };
    let mut res = axum::Json(report).into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("attachment; filename=\"import-report.json\""),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    res
}
