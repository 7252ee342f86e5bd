//! Pictures: `POST /api/users.setPhoto` and `POST /api/admin.settings.setIcon`
//! (multipart: `image`, and optionally `crop_x`, `crop_y`, `crop_w` in the
//! image's pixels), and `GET /avatars/<member>/<size>` and
//! `GET /workspace-icons/<workspace>/<size>` (128 or 512).
//!
//! A picture is served to members of its workspace only; anyone else gets
//! the same 404 as for a member that does not exist. Where there is no
//! picture, the initials are served as an SVG, so a page can always point
//! an `<img>` at the address.

use app::api::Reply;
use app::auth::session::actor_from_request;
use app::auth::Actor;
use app::error::{AppError, Missing, Rule};
use app::files::images::Crop;
use app::files::pictures::{self, MAX_PICTURE_BYTES};
use app::files::serve::CSP;
use app::state::AppState;
use axum::body::Body;
use axum::extract::multipart::{Multipart, MultipartError, MultipartRejection};
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use tower_sessions::Session;
use uuid::Uuid;

/// The largest picture request: the image plus the crop fields.
pub fn body_limit() -> DefaultBodyLimit {
    DefaultBodyLimit::max(MAX_PICTURE_BYTES + 64 * 1024)
}

fn multipart_error(e: MultipartError) -> AppError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        AppError::FileTooLarge
    } else {
        AppError::Invalid(Rule::InvalidMultipart)
    }
}

/// The image and the crop of a picture upload.
async fn read(mp: Result<Multipart, MultipartRejection>) -> Result<(Vec<u8>, Option<Crop>), AppError> {
    let mut mp = mp.map_err(|_| AppError::Invalid(Rule::InvalidMultipart))?;
    let (mut image, mut crop) = (None::<Vec<u8>>, [None::<u32>; 3]);
    while let Some(mut field) = mp.next_field().await.map_err(multipart_error)? {
        let name = field.name().unwrap_or("").to_string();
        let mut buf = Vec::new();
        while let Some(chunk) = field.chunk().await.map_err(multipart_error)? {
            let cap = if name == "image" { MAX_PICTURE_BYTES } else { 32 };
            if buf.len() + chunk.len() > cap {
                return Err(if name == "image" {
                    AppError::FileTooLarge
                } else {
                    AppError::InvalidArguments(format!("{name} is too long"))
                });
            }
            buf.extend_from_slice(&chunk);
        }
        let number = |b: &[u8]| {
            std::str::from_utf8(b)
                .ok()
                .and_then(|s| s.trim().parse::<u32>().ok())
                .ok_or_else(|| AppError::InvalidArguments(format!("{name} must be a whole number of pixels")))
        };
        match name.as_str() {
            "image" => image = Some(buf),
            "crop_x" => crop[0] = Some(number(&buf)?),
            "crop_y" => crop[1] = Some(number(&buf)?),
            "crop_w" => crop[2] = Some(number(&buf)?),
            _ => {}
        }
    }
    let image = image.filter(|i| !i.is_empty()).ok_or(AppError::Invalid(Rule::NoFile))?;
    let crop = match crop {
        [Some(x), Some(y), Some(size)] if size > 0 => Some(Crop { x, y, size }),
        [None, None, None] => None,
        _ => return Err(AppError::InvalidArguments("give crop_x, crop_y and crop_w together".into())),
    };
    Ok((image, crop))
}

async fn caller(st: &AppState, headers: &HeaderMap, session: &Session) -> Result<Actor, Response> {
    actor_from_request(&st.db, headers, Some(session)).await.map_err(|e| e.into_response())
}

/// `users.setPhoto`: returns the caller's profile.
pub async fn set_photo(
    State(st): State<AppState>,
    session: Session,
    headers: HeaderMap,
    mp: Result<Multipart, MultipartRejection>,
) -> Response {
    let actor = match caller(&st, &headers, &session).await {
        Ok(a) => a,
        Err(res) => return res,
    };
    let ctx = app::core::ctx::Ctx::from(&st);
    let done = match read(mp).await {
        Ok((image, crop)) => app::users::photo::set_photo(&ctx, &st.files, &actor, image, crop).await,
        Err(e) => Err(e),
    };
    match done {
        Ok(profile) => axum::Json(Reply::new(app::users::api::ProfileReply { profile })).into_response(),
        Err(e) => e.into_response(),
    }
}

#[derive(Serialize)]
struct IconReply {
    icon_version: i32,
}

/// `admin.settings.setIcon`: owners and admins; returns the icon's version.
pub async fn set_icon(
    State(st): State<AppState>,
    session: Session,
    headers: HeaderMap,
    mp: Result<Multipart, MultipartRejection>,
) -> Response {
    let actor = match caller(&st, &headers, &session).await {
        Ok(a) if a.role.is_admin() => a,
        Ok(_) => return AppError::UnknownMethod.into_response(),
        Err(res) => return res,
    };
    let ctx = app::core::ctx::Ctx::from(&st);
    let done = match read(mp).await {
        Ok((image, crop)) => app::workspaces::icon::set_icon(&ctx, &st.files, &actor, image, crop).await,
        Err(e) => Err(e),
    };
    match done {
        Ok(icon_version) => axum::Json(Reply::new(IconReply { icon_version })).into_response(),
        Err(e) => e.into_response(),
    }
}

/// A name (for the initials), the stored picture's key and type, and its
/// version.
type Stored = (String, Option<String>, Option<String>, i32);

/// Serves a stored picture, or the initials of `name` on the colour of
/// `hue_of`. Browsers revalidate every time (`no-cache`): the answer is a
/// 304 unless the picture (its version) or the initials changed, so a new
/// photo shows on the next page load everywhere, not only where the change
/// was heard of.
async fn picture(
    st: &AppState,
    headers: &HeaderMap,
    (name, key, mime, version): Stored,
    hue_of: Uuid,
    size: &str,
) -> Response {
    let size = pictures::size_for(size);
    let initials = app::users::initials(&name);
    let tag = match key {
        Some(_) => format!("\"p{version}-{size}\""),
        None => {
            let hex: String = initials.bytes().map(|b| format!("{b:02x}")).collect();
            format!("\"i{version}-{hex}\"")
        }
    };
    let cache = |res: &mut Response| {
        let h = res.headers_mut();
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-cache"));
        if let Ok(v) = HeaderValue::from_str(&tag) {
            h.insert(header::ETAG, v);
        }
    };
    if headers.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()) == Some(tag.as_str()) {
        let mut res = StatusCode::NOT_MODIFIED.into_response();
        cache(&mut res);
        return res;
    }
    let mut res = match (key, mime) {
        (Some(key), Some(mime)) => match st.files.storage.stream(&pictures::key(&key, size), None).await {
            Ok(s) => {
                let mut r = Response::new(Body::from_stream(s));
                if let Ok(v) = HeaderValue::from_str(&mime) {
                    r.headers_mut().insert(header::CONTENT_TYPE, v);
                }
                r
            }
            Err(e) => return e.into_response(),
        },
        _ => {
            let svg = pictures::initials_svg(&initials, app::users::avatar_hue(&hue_of));
            let mut r = Response::new(Body::from(svg));
            r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("image/svg+xml"));
            r
        }
    };
    let h = res.headers_mut();
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    cache(&mut res);
    res
}

/// Finds a picture with `sql` (`$1`: the id in the path, `$2`: `scope` of
/// the caller) and serves it; an id that is malformed or not found (for
/// this caller) is `missing`.
async fn lookup(
    st: &AppState,
    session: &Session,
    headers: &HeaderMap,
    (id, size): (String, String),
    missing: Missing,
    sql: &'static str,
    scope: impl Fn(&Actor) -> Uuid,
) -> Response {
    let actor = match caller(st, headers, session).await {
        Ok(a) => a,
        Err(res) => return res,
    };
    let Ok(id) = Uuid::parse_str(&id) else { return AppError::NotFound(missing).into_response() };
    let found: Result<Option<Stored>, sqlx::Error> =
        sqlx::query_as(sql).bind(id).bind(scope(&actor)).fetch_optional(&st.db).await;
    match found {
        Ok(Some(f)) => picture(st, headers, f, id, &size).await,
        Ok(None) => AppError::NotFound(missing).into_response(),
        Err(e) => AppError::from(e).into_response(),
    }
}

/// `GET /avatars/<member>/<size>`: for members of the member's workspace.
pub async fn avatar(
    State(st): State<AppState>,
    session: Session,
    headers: HeaderMap,
    Path(path): Path<(String, String)>,
) -> Response {
    let sql = "select display_name, avatar_key, avatar_mime, avatar_version from member
                where member_id = $1 and workspace_id = $2";
    lookup(&st, &session, &headers, path, Missing::User, sql, |a| a.workspace_id).await
}

/// `GET /workspace-icons/<workspace>/<size>`: for members of that
/// workspace (the switcher shows the caller's other workspaces too).
pub async fn icon(
    State(st): State<AppState>,
    session: Session,
    headers: HeaderMap,
    Path(path): Path<(String, String)>,
) -> Response {
    let sql = "select w.name, w.icon_key, w.icon_mime, w.icon_version from workspace w
                where w.workspace_id = $1 and exists (select 1 from member m where m.workspace_id = w.workspace_id
                      and m.account_id = $2 and m.deactivated_at is null)";
    lookup(&st, &session, &headers, path, Missing::Workspace, sql, |a| a.account_id).await
}
