//! Profile photos and the workspace icon: uploaded and cropped to squares
//! in two sizes without metadata, announced so open pages load them, served
//! only inside the workspace (initials where there is none), and replaced or
//! removed without leaving objects behind. Bad uploads change nothing.

mod common;

use app::auth::Role;
use common::files::{eventually, get, jpeg_with_gps, objects, png};
use common::ws::{connect, next_of, token};
use common::{assert_error, member, owner, Srv};
use reqwest::multipart::{Form, Part};
use reqwest::StatusCode;
use serde_json::{json, Value};

async fn send(
    srv: &Srv,
    tok: &str,
    method: &str,
    image: Vec<u8>,
    crop: Option<[u32; 3]>,
) -> (StatusCode, Value) {
    let mut form = Form::new().part("image", Part::bytes(image).file_name("me.png"));
    if let Some([x, y, w]) = crop {
        form = form.text("crop_x", x.to_string()).text("crop_y", y.to_string()).text("crop_w", w.to_string());
    }
    let res = reqwest::Client::new()
        .post(format!("{}/api/{method}", srv.url))
        .bearer_auth(tok)
        .multipart(form)
        .send()
        .await
        .unwrap();
    let status = res.status();
    (status, res.json().await.unwrap())
}

/// Fetches a picture; returns its type and bytes.
async fn fetch(srv: &Srv, tok: Option<&str>, url: &str) -> (StatusCode, String, Vec<u8>) {
    let res = get(srv, tok, url, None).await;
    let status = res.status();
    let ctype =
        res.headers().get("content-type").map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
    (status, ctype, res.bytes().await.unwrap().to_vec())
}

fn size_of(bytes: &[u8]) -> (u32, u32) {
    image::load_from_memory(bytes).map(|i| (i.width(), i.height())).expect("an image")
}

async fn stored(srv: &Srv, prefix: &str) -> usize {
    objects(srv).await.iter().filter(|k| k.starts_with(prefix)).count()
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn a_photo_is_cropped_announced_served_inside_the_workspace_and_removed(db: sqlx::PgPool) {
    let srv = Srv::start(db.clone()).await;
    let alice = owner(&db, "alice@x.io", "Acme").await;
    let bob = member(&db, &alice, "Bob Stone", Role::Member).await;
    let (ta, tb) = (token(&db, &alice).await, token(&db, &bob).await);
    let eve = owner(&db, "eve@y.io", "Other").await;
    let te = token(&db, &eve).await;
    let mut bobs = connect(&srv, &tb, json!({})).await;
    let url = format!("/avatars/{}/128", alice.member_id);

    // Before any photo: the initials, as SVG.
    let (s, ctype, body) = fetch(&srv, Some(&tb), &format!("/avatars/{}/128", bob.member_id)).await;
    assert_eq!((s, ctype.as_str()), (StatusCode::OK, "image/svg+xml"));
    assert!(String::from_utf8(body).unwrap().contains(">BS</text>"));

    // Bad uploads: not an image, too large, a half-given crop. Nothing changes.
    assert_error(&send(&srv, &ta, "users.setPhoto", b"just text".to_vec(), None).await, 400, "not_an_image");
    let huge = vec![0u8; 11 * 1024 * 1024];
    assert_error(&send(&srv, &ta, "users.setPhoto", huge, None).await, 413, "file_too_large");
    let form = Form::new().part("image", Part::bytes(png(10, 10))).text("crop_x", "1");
    let res = reqwest::Client::new()
        .post(format!("{}/api/users.setPhoto", srv.url))
        .bearer_auth(&ta)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    assert_eq!(stored(&srv, "avatars/").await, 0);
    let (_, p) = srv.call_bearer(&ta, "users.profile.get", json!({})).await;
    assert_eq!(
        (p["profile"]["avatar_version"].as_i64(), p["profile"]["avatar_url"].clone()),
        (Some(0), Value::Null)
    );

    // A photo with a GPS position, cropped: two square sizes, no metadata.
    let (s, b) = send(&srv, &ta, "users.setPhoto", jpeg_with_gps(300, 200), Some([250, 10, 80])).await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["profile"]["avatar_version"], 1);
    assert_eq!(b["profile"]["avatar_url"], format!("{url}?v=1"));
    let heard = next_of(&mut bobs, "profile_updated").await;
    assert_eq!(heard["profile"]["avatar_version"], 1, "{heard}");
    let (s, ctype, small) = fetch(&srv, Some(&tb), &url).await;
    assert_eq!((s, ctype.as_str(), size_of(&small)), (StatusCode::OK, "image/jpeg", (128, 128)));
    assert!(!small.windows(11).any(|w| w == b"GPSLatitude"), "the location is gone");
    let (_, _, large) = fetch(&srv, Some(&tb), &format!("/avatars/{}/512", alice.member_id)).await;
    assert_eq!(size_of(&large), (512, 512));
    assert_eq!(stored(&srv, "avatars/").await, 2);

    // Browsers revalidate: the same version is a 304, a new one is not.
    let revalidate = |etag: String| {
        let url = format!("{}{url}", srv.url);
        let tb = tb.clone();
        async move {
            let res = reqwest::Client::new()
                .get(url)
                .bearer_auth(tb)
                .header("if-none-match", etag)
                .send()
                .await
                .unwrap();
            res.status()
        }
    };
    let first = get(&srv, Some(&tb), &url, None).await;
    assert_eq!(first.headers()["cache-control"], "private, no-cache");
    let etag = first.headers()["etag"].to_str().unwrap().to_string();
    assert_eq!(revalidate(etag.clone()).await, StatusCode::NOT_MODIFIED);

    // Only members of the workspace see it.
    assert_eq!(fetch(&srv, Some(&te), &url).await.0, StatusCode::NOT_FOUND);
    assert_eq!(fetch(&srv, None, &url).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(fetch(&srv, Some(&tb), "/avatars/not-a-uuid/128").await.0, StatusCode::NOT_FOUND);

    // A new photo replaces the old, whose objects go.
    let (s, b) = send(&srv, &ta, "users.setPhoto", png(64, 64), None).await;
    assert_eq!((s.as_u16(), b["profile"]["avatar_version"].as_i64()), (200, Some(2)), "{b}");
    eventually("the old photo's objects are deleted", || async { stored(&srv, "avatars/").await == 2 }).await;
    assert_eq!(revalidate(etag).await, StatusCode::OK, "a new photo is a new version");
    assert_eq!(fetch(&srv, Some(&tb), &url).await.1, "image/jpeg", "an opaque PNG is kept as JPEG");

    // Removed: the initials again, and nothing stored.
    let (s, b) = srv.call_bearer(&ta, "users.deletePhoto", json!({})).await;
    assert_eq!((s.as_u16(), b["profile"]["avatar_version"].as_i64()), (200, Some(3)), "{b}");
    assert_eq!(b["profile"]["avatar_url"], Value::Null);
    assert_eq!(fetch(&srv, Some(&tb), &url).await.1, "image/svg+xml");
    eventually("the photo's objects are deleted", || async { stored(&srv, "avatars/").await == 0 }).await;
    let (s, b) = srv.call_bearer(&ta, "users.deletePhoto", json!({})).await;
    assert_eq!((s.as_u16(), b["profile"]["avatar_version"].as_i64()), (200, Some(3)), "nothing to remove");
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn the_workspace_icon_is_set_by_admins_and_announced(db: sqlx::PgPool) {
    let srv = Srv::start(db.clone()).await;
    let alice = owner(&db, "alice@x.io", "Acme Corp").await;
    let bob = member(&db, &alice, "Bob", Role::Member).await;
    let (ta, tb) = (token(&db, &alice).await, token(&db, &bob).await);
    let eve = owner(&db, "eve@y.io", "Other").await;
    let te = token(&db, &eve).await;
    let url = format!("/workspace-icons/{}/128", alice.workspace_id);
    let (s, ctype, body) = fetch(&srv, Some(&tb), &url).await;
    assert_eq!((s, ctype.as_str()), (StatusCode::OK, "image/svg+xml"));
    assert!(String::from_utf8(body).unwrap().contains(">AC</text>"));

    // Members may not; the method does not exist for them.
    assert_error(&send(&srv, &tb, "admin.settings.setIcon", png(50, 50), None).await, 404, "unknown_method");
    assert_error(&srv.call_bearer(&tb, "admin.settings.deleteIcon", json!({})).await, 404, "unknown_method");
    assert_eq!(stored(&srv, "icons/").await, 0);

    let mut bobs = connect(&srv, &tb, json!({})).await;
    let (s, b) = send(&srv, &ta, "admin.settings.setIcon", png(120, 80), None).await;
    assert_eq!((s.as_u16(), b["icon_version"].as_i64()), (200, Some(1)), "{b}");
    let heard = next_of(&mut bobs, "workspace_updated").await;
    assert_eq!((heard["icon_version"].as_i64(), heard["name"].as_str()), (Some(1), Some("Acme Corp")));
    let (s, ctype, bytes) = fetch(&srv, Some(&tb), &url).await;
    assert_eq!((s, ctype.as_str(), size_of(&bytes)), (StatusCode::OK, "image/jpeg", (128, 128)));
    assert_eq!(fetch(&srv, Some(&te), &url).await.0, StatusCode::NOT_FOUND, "not a member there");
    let (_, set) = srv.call_bearer(&ta, "admin.settings.get", json!({})).await;
    assert_eq!((set["has_icon"].as_bool(), set["icon_version"].as_i64()), (Some(true), Some(1)), "{set}");
    let (_, log) =
        srv.call_bearer(&ta, "admin.audit.list", json!({"action": "workspace.settings_changed"})).await;
    assert_eq!(log["entries"][0]["detail"]["changed"], json!(["icon"]), "{log}");

    let (s, b) = srv.call_bearer(&ta, "admin.settings.deleteIcon", json!({})).await;
    assert_eq!((s.as_u16(), b["icon_version"].as_i64()), (200, Some(2)), "{b}");
    assert_eq!(fetch(&srv, Some(&tb), &url).await.1, "image/svg+xml");
    eventually("the icon's objects are deleted", || async { stored(&srv, "icons/").await == 0 }).await;
}
