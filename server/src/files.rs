//! File routes: `POST /api/files.upload` (multipart, streamed) and the
//! downloads `GET /files/<id>/<name>` and `GET /files/<id>/thumb/360`.
//!
//! A download needs read access to the channel the file was shared in;
//! anyone else, signed in or not, gets the same 404 as for a file that does
//! not exist. The serving rules (type, disposition, ranges) live in
//! `app::files::serve`.

use app::api::Reply;
use app::auth::session::actor_from_request;
use app::error::{AppError, Missing, Rule};
use app::files::api::UploadReply;
use app::files::serve::{disposition, parse_range, presentation, Ranged, CSP};
use app::files::{MAX_FILES_PER_MESSAGE, MAX_FILE_BYTES};
use app::state::AppState;
use axum::body::Body;
use axum::extract::multipart::{Multipart, MultipartRejection};
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use tower_sessions::Session;
use uuid::Uuid;

/// The largest upload request: ten 25 MB files plus the form fields.
pub fn body_limit() -> DefaultBodyLimit {
    DefaultBodyLimit::max(MAX_FILES_PER_MESSAGE * MAX_FILE_BYTES as usize + 1024 * 1024)
}

/// `files.upload`.
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
    let Ok(mp) = mp else {
        return AppError::Invalid(Rule::InvalidMultipart).into_response();
    };
    let (files, ctx) = (st.files.clone(), app::core::ctx::Ctx::from(&st));
    // Its own task: a client that disconnects drops this handler, not the
    // upload, which then fails on the broken body and cleans up after itself.
    let task = tokio::spawn(async move { files.upload(&ctx, &actor, mp).await });
    let up = match task.await {
        Ok(Ok(up)) => up,
        Ok(Err(e)) => return e.into_response(),
        Err(_) => return AppError::Internal.into_response(),
    };
    let Some(file) = up.file().cloned() else {
        return AppError::Internal.into_response();
    };
    let files = up.message.files.clone();
    axum::Json(Reply::new(UploadReply { file, files, message: up.message })).into_response()
}

#[derive(Debug, Deserialize)]
pub struct DownloadQuery {
    /// `1` asks for an inline preview (PDF and plain text only).
    preview: Option<String>,
}

fn not_found() -> Response {
    AppError::NotFound(Missing::File).into_response()
}

async fn find(
    st: &AppState,
    session: &Session,
    headers: &HeaderMap,
    id: &str,
) -> Result<app::files::queries::Download, Response> {
    let Ok(actor) = actor_from_request(&st.db, headers, Some(session)).await else {
        return Err(not_found());
    };
    let Ok(id) = Uuid::parse_str(id) else { return Err(not_found()) };
    match app::files::queries::for_download(&st.db, &actor, id).await {
        Ok(d) => Ok(d),
        Err(AppError::NotFound(_)) => Err(not_found()),
        Err(e) => Err(e.into_response()),
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn secure(res: &mut Response) {
    let h = res.headers_mut();
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    h.insert("cross-origin-resource-policy", HeaderValue::from_static("same-origin"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    // Access can be revoked, so only the user's own browser may cache it.
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, max-age=3600"));
}

/// `GET /files/<id>/<name>`: the file, with range support.
pub async fn download(
    State(st): State<AppState>,
    session: Session,
    headers: HeaderMap,
    Path((id, _name)): Path<(String, String)>,
    Query(q): Query<DownloadQuery>,
) -> Response {
    let d = match find(&st, &session, &headers, &id).await {
        Ok(d) => d,
        Err(res) => return res,
    };
    let preview = q.preview.as_deref().is_some_and(|v| v == "1" || v == "true");
    let (ctype, inline) = presentation(&d.mimetype, preview);
    let etag = format!("\"{}\"", hex(&d.sha256));
    let size = d.size as u64;
    let mut res = if headers.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()) == Some(etag.as_str()) {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        let range = parse_range(headers.get(header::RANGE).and_then(|v| v.to_str().ok()), size);
        let (status, part) = match range {
            Ranged::Full => (StatusCode::OK, None),
            Ranged::Part(r) => (StatusCode::PARTIAL_CONTENT, Some(r)),
            Ranged::Unsatisfiable => {
                let mut res = StatusCode::RANGE_NOT_SATISFIABLE.into_response();
                if let Ok(v) = HeaderValue::from_str(&format!("bytes */{size}")) {
                    res.headers_mut().insert(header::CONTENT_RANGE, v);
                }
                secure(&mut res);
                return res;
            }
        };
        let stream = match st.files.storage.stream(&d.storage_key, part.clone()).await {
            Ok(s) => s,
            Err(e) => return e.into_response(),
        };
        let mut res = Response::new(Body::from_stream(stream));
        *res.status_mut() = status;
        let len = part.as_ref().map_or(size, |r| r.end - r.start);
        res.headers_mut().insert(header::CONTENT_LENGTH, HeaderValue::from(len));
        if let Some(r) = part {
            if let Ok(v) = HeaderValue::from_str(&format!("bytes {}-{}/{size}", r.start, r.end - 1)) {
                res.headers_mut().insert(header::CONTENT_RANGE, v);
            }
        }
        res
    };
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(ctype).unwrap_or(HeaderValue::from_static("application/octet-stream")),
    );
    if let Ok(v) = HeaderValue::from_str(&disposition(&d.name, inline)) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    if let Ok(v) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, v);
    }
    secure(&mut res);
    res
}

/// `GET /files/<id>/thumb/360`: the thumbnail of an image, made now if the
/// background job has not got to it yet.
pub async fn thumbnail(
    State(st): State<AppState>,
    session: Session,
    headers: HeaderMap,
    Path((id, size)): Path<(String, String)>,
) -> Response {
    if size != "360" {
        return not_found();
    }
    let d = match find(&st, &session, &headers, &id).await {
        Ok(d) => d,
        Err(res) => return res,
    };
    let key = match (d.thumb_state.as_str(), d.thumb_key) {
        ("ready", Some(k)) => k,
        ("pending", _) => {
            match st.files.make_thumb(&st.db, d.blob_id, d.workspace_id, &d.storage_key).await {
                Some(k) => k,
                None => return not_found(),
            }
        }
        _ => return not_found(),
    };
    let bytes = match st.files.storage.read_all(&key).await {
        Ok(b) => b,
        Err(e) => return e.into_response(),
    };
    let ctype = if bytes.starts_with(b"\xff\xd8") { "image/jpeg" } else { "image/png" };
    let mut res = Response::new(Body::from(bytes));
    res.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(ctype));
    res.headers_mut().insert(header::CONTENT_DISPOSITION, HeaderValue::from_static("inline"));
    secure(&mut res);
    res
}
