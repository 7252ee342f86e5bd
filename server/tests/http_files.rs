//! Files on the local-disk backend, over HTTP against the real server:
//! round trips, the 25 MB limit, lying and dangerous types, access control,
//! aborted and concurrent uploads, metadata stripping, thumbnails, retries.

mod common;

use app::auth::Role;
use common::file_cases;
use common::files::{
    eventually, file_rows, form, get, jpeg_with_gps, noise, objects, png, temp_files, upload, upload_one,
};
use common::ws::{general, token};
use common::{assert_error, member, owner, Srv};
use serde_json::json;
use sqlx::PgPool;
use tokio::io::AsyncWriteExt;

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn files_round_trip_on_local_disk(db: PgPool) {
    let srv = Srv::start(db.clone()).await;
    assert_eq!(srv.files.storage.backend(), "local");
    let alice = owner(&db, "alice@x.io", "Acme").await;
    file_cases::round_trip(&srv, &token(&db, &alice).await, &general(&db, &alice).await).await;
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn exactly_25_mb_is_accepted_and_one_byte_more_leaves_nothing(db: PgPool) {
    let srv = Srv::start(db.clone()).await;
    let alice = owner(&db, "alice@x.io", "Acme").await;
    file_cases::size_limit(&srv, &token(&db, &alice).await, &general(&db, &alice).await).await;
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn content_is_stored_once_and_removed_with_its_last_file(db: PgPool) {
    let srv = Srv::start(db.clone()).await;
    let alice = owner(&db, "alice@x.io", "Acme").await;
    file_cases::dedup_and_delete(&srv, &token(&db, &alice).await, &general(&db, &alice).await).await;
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn html_named_png_and_svg_with_script_are_never_served_inline(db: PgPool) {
    let srv = Srv::start(db.clone()).await;
    let alice = owner(&db, "alice@x.io", "Acme").await;
    let (t, c) = (token(&db, &alice).await, general(&db, &alice).await);
    let html = b"<html><body><script>fetch('/api/tokens.create')</script></body></html>".to_vec();
    let svg = br#"<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(2)</script></svg>"#.to_vec();
    for (name, bytes, sniffed) in [("cat.png", html, "text/html"), ("logo.svg", svg, "image/svg+xml")] {
        let f = upload_one(&srv, &t, &c, name, bytes).await;
        assert_eq!(f["mimetype"], sniffed, "the type comes from the bytes, not the name or the client");
        assert!(f["thumb_url"].is_null(), "no thumbnail for {name}: {f}");
        for preview in ["", "?preview=1"] {
            let res = get(&srv, Some(&t), &format!("{}{preview}", f["url"].as_str().unwrap()), None).await;
            assert_eq!(res.status(), 200);
            let h = res.headers();
            assert_eq!(h["content-type"], "application/octet-stream", "{name}");
            assert!(h["content-disposition"].to_str().unwrap().starts_with("attachment;"), "{name}");
            assert_eq!(h["x-content-type-options"], "nosniff");
            let csp = h["content-security-policy"].to_str().unwrap();
            assert!(csp.contains("sandbox") && csp.contains("default-src 'none'"), "{csp}");
        }
        let thumb =
            get(&srv, Some(&t), &format!("/files/{}/thumb/360", f["id"].as_str().unwrap()), None).await;
        assert_eq!(thumb.status(), 404, "{name} has no thumbnail");
    }
    // A real image is inline; a PDF only as a preview.
    let img = upload_one(&srv, &t, &c, "real.png", png(20, 10)).await;
    let res = get(&srv, Some(&t), img["url"].as_str().unwrap(), None).await;
    assert_eq!(res.headers()["content-type"], "image/png");
    assert!(res.headers()["content-disposition"].to_str().unwrap().starts_with("inline;"));
    let pdf = upload_one(&srv, &t, &c, "a.pdf", b"%PDF-1.4\n%%EOF\n".to_vec()).await;
    let res = get(&srv, Some(&t), pdf["url"].as_str().unwrap(), None).await;
    assert!(res.headers()["content-disposition"].to_str().unwrap().starts_with("attachment;"));
    let res = get(&srv, Some(&t), &format!("{}?preview=1", pdf["url"].as_str().unwrap()), None).await;
    assert!(res.headers()["content-disposition"].to_str().unwrap().starts_with("inline;"));
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn only_readers_of_the_channel_can_download(db: PgPool) {
    let srv = Srv::start(db.clone()).await;
    let alice = owner(&db, "alice@x.io", "Acme").await;
    let bob = member(&db, &alice, "Bob", Role::Member).await;
    let guest = member(&db, &alice, "Gus", Role::Guest).await;
    let eve = owner(&db, "eve@y.io", "Other").await;
    let (ta, tb, tg, te) =
        (token(&db, &alice).await, token(&db, &bob).await, token(&db, &guest).await, token(&db, &eve).await);
    let (_, b) =
        srv.call_bearer(&ta, "conversations.create", json!({"name": "secret", "is_private": true})).await;
    let private = b["channel"]["id"].as_str().unwrap().to_string();
    let f = upload_one(&srv, &ta, &private, "plan.png", png(400, 300)).await;
    let (url, thumb) = (f["url"].as_str().unwrap(), f["thumb_url"].as_str().unwrap());
    assert_eq!(get(&srv, Some(&ta), url, None).await.status(), 200);
    assert_eq!(get(&srv, Some(&ta), thumb, None).await.status(), 200);
    for (who, t) in
        [("a non-member", Some(tb.as_str())), ("another workspace", Some(te.as_str())), ("nobody", None)]
    {
        for u in [url, thumb] {
            let res = get(&srv, t, u, None).await;
            assert_eq!(res.status(), 404, "{who} must not see {u}");
            assert_eq!(res.json::<serde_json::Value>().await.unwrap()["error"], "file_not_found");
        }
        if let Some(t) = t {
            assert_error(
                &srv.call_bearer(t, "files.info", json!({"file": f["id"]})).await,
                404,
                "file_not_found",
            );
            assert_error(
                &srv.call_bearer(t, "files.delete", json!({"file": f["id"]})).await,
                404,
                "file_not_found",
            );
        }
    }
    // Public channel: every member reads, a guest who is not in it does not.
    let general = general(&db, &alice).await;
    let g = upload_one(&srv, &ta, &general, "all.txt", b"for everyone\n".to_vec()).await;
    assert_eq!(get(&srv, Some(&tb), g["url"].as_str().unwrap(), None).await.status(), 200);
    assert_eq!(get(&srv, Some(&tg), g["url"].as_str().unwrap(), None).await.status(), 404);
    assert_error(
        &srv.call_bearer(&tb, "files.delete", json!({"file": g["id"]})).await,
        403,
        "cant_delete_file",
    );
    // Uploading into a channel one cannot post in stores nothing.
    let rows = file_rows(&srv).await;
    let (s, b) = upload(&srv, &tb, form(&[("channel", &private)], vec![("x.bin", noise(5000, 9))])).await;
    assert_error(&(s, b), 404, "channel_not_found");
    assert_eq!(file_rows(&srv).await, rows);
    assert!(temp_files(&srv).is_empty());
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn a_client_that_aborts_mid_upload_leaves_no_orphans(db: PgPool) {
    let srv = Srv::start(db.clone()).await;
    let alice = owner(&db, "alice@x.io", "Acme").await;
    let (t, c) = (token(&db, &alice).await, general(&db, &alice).await);
    let rows = file_rows(&srv).await;
    let addr = srv.url.trim_start_matches("http://").to_string();
    let boundary = "XyZbOuNdArY";
    let head = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"channel\"\r\n\r\n{c}\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.bin\"\r\n\
         Content-Type: application/octet-stream\r\n\r\n"
    );
    let declared = head.len() + 10 * 1024 * 1024 + 64;
    // Async writes: the server runs on this test's runtime too.
    let mut s = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let request = format!(
        "POST /api/files.upload HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {t}\r\n\
         Content-Type: multipart/form-data; boundary={boundary}\r\nContent-Length: {declared}\r\n\r\n{head}"
    );
    s.write_all(request.as_bytes()).await.unwrap();
    // Half of the file, then the client goes away.
    let chunk = noise(1024 * 1024, 7);
    for _ in 0..5 {
        s.write_all(&chunk).await.unwrap();
    }
    s.flush().await.unwrap();
    eventually("the partial upload to be staged", || async { !temp_files(&srv).is_empty() }).await;
    drop(s);
    eventually("the temporary file to be removed", || async { temp_files(&srv).is_empty() }).await;
    assert_eq!(file_rows(&srv).await, rows, "no rows");
    assert!(objects(&srv).await.is_empty(), "no objects");
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn concurrent_uploads_all_land_and_identical_ones_share_storage(db: PgPool) {
    let srv = Srv::start(db.clone()).await;
    let alice = owner(&db, "alice@x.io", "Acme").await;
    let (t, c) = (token(&db, &alice).await, general(&db, &alice).await);
    let same = noise(300_000, 42);
    let jobs = (0..12u8).map(|i| {
        let bytes = if i % 3 == 0 { same.clone() } else { noise(300_000, 100 + i) };
        let (srv, t, c) = (&srv, t.clone(), c.clone());
        async move { upload_one(srv, &t, &c, &format!("f{i}.bin"), bytes).await }
    });
    let files = futures_util::future::join_all(jobs).await;
    let mut seqs: Vec<i64> = files.iter().map(|f| f["seq"].as_i64().unwrap()).collect();
    seqs.sort();
    seqs.dedup();
    assert_eq!(seqs.len(), 12, "twelve messages with distinct seqs");
    let (blobs, file_count, _) = file_rows(&srv).await;
    assert_eq!((blobs, file_count), (9, 12), "8 distinct contents + 1 shared by 4 uploads");
    assert_eq!(objects(&srv).await.len(), 9);
    assert!(temp_files(&srv).is_empty());
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn gps_metadata_is_stripped_and_thumbnails_fit_360(db: PgPool) {
    let srv = Srv::start(db.clone()).await;
    let alice = owner(&db, "alice@x.io", "Acme").await;
    let (t, c) = (token(&db, &alice).await, general(&db, &alice).await);
    let photo = jpeg_with_gps(1600, 1200);
    assert!(photo.windows(11).any(|w| w == b"GPSLatitude"));
    let f = upload_one(&srv, &t, &c, "holiday.jpg", photo).await;
    assert_eq!((f["width"].as_i64(), f["height"].as_i64()), (Some(1600), Some(1200)));
    let full = get(&srv, Some(&t), f["url"].as_str().unwrap(), None).await.bytes().await.unwrap();
    assert!(!full.windows(11).any(|w| w == b"GPSLatitude"), "no GPS in what is served");
    assert_eq!(app::files::images::dimensions(&full), Some((1600, 1200)), "still the same picture");
    let thumb = get(&srv, Some(&t), f["thumb_url"].as_str().unwrap(), None).await;
    assert_eq!(thumb.status(), 200);
    assert_eq!(thumb.headers()["content-type"], "image/jpeg");
    let thumb = thumb.bytes().await.unwrap();
    assert_eq!(app::files::images::dimensions(&thumb), Some((360, 270)));
    let state: String = sqlx::query_scalar("select thumb_state from blob").fetch_one(&db).await.unwrap();
    assert_eq!(state, "ready");
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn a_retried_upload_posts_once_and_bad_requests_are_refused(db: PgPool) {
    let srv = Srv::start(db.clone()).await;
    let alice = owner(&db, "alice@x.io", "Acme").await;
    let (t, c) = (token(&db, &alice).await, general(&db, &alice).await);
    let fields = [("channel", c.as_str()), ("text", "the *report*"), ("client_msg_id", "up-1")];
    let (s, first) = upload(&srv, &t, form(&fields, vec![("r.txt", b"v1\n".to_vec())])).await;
    assert_eq!(s, 200, "{first}");
    assert!(first["message"]["html"].as_str().unwrap().contains("<em>report</em>"));
    let rows = file_rows(&srv).await;
    let (s, again) = upload(&srv, &t, form(&fields, vec![("r.txt", b"other content\n".to_vec())])).await;
    assert_eq!(s, 200, "{again}");
    assert_eq!(again["message"]["seq"], first["message"]["seq"]);
    assert_eq!(again["file"]["id"], first["file"]["id"]);
    assert_eq!(file_rows(&srv).await, rows, "the retry stored nothing");
    assert_eq!(objects(&srv).await.len(), 1);
    // Several files in one message, in order.
    let files = vec![("1.txt", b"one\n".to_vec()), ("2.txt", b"two\n".to_vec())];
    let (s, b) = upload(&srv, &t, form(&[("channel", &c)], files)).await;
    assert_eq!(s, 200, "{b}");
    let names: Vec<&str> =
        b["message"]["files"].as_array().unwrap().iter().map(|f| f["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["1.txt", "2.txt"]);
    let rows = file_rows(&srv).await;
    assert_error(&upload(&srv, &t, form(&[("channel", &c)], vec![])).await, 400, "no_file");
    assert_error(
        &upload(&srv, &t, form(&[("channel", &c)], vec![("e.txt", vec![])])).await,
        400,
        "file_empty",
    );
    assert_error(
        &upload(&srv, &t, form(&[], vec![("a.txt", b"a".to_vec())])).await,
        400,
        "invalid_arguments",
    );
    assert_error(
        &upload(&srv, &t, form(&[("channel", "nope")], vec![("a.txt", b"a".to_vec())])).await,
        404,
        "channel_not_found",
    );
    let eleven = (0..11).map(|i| ("f.txt", format!("{i}\n").into_bytes())).collect();
    assert_error(&upload(&srv, &t, form(&[("channel", &c)], eleven)).await, 400, "too_many_files");
    let res = reqwest::Client::new()
        .post(format!("{}/api/files.upload", srv.url))
        .bearer_auth(&t)
        .header("content-type", "application/json")
        .body("{\"channel\": 1}")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    assert_eq!(res.json::<serde_json::Value>().await.unwrap()["error"], "invalid_multipart");
    let unauthed = reqwest::Client::new()
        .post(format!("{}/api/files.upload", srv.url))
        .multipart(form(&[("channel", &c)], vec![("a.txt", b"a".to_vec())]))
        .send()
        .await
        .unwrap();
    assert_eq!(unauthed.status(), 401);
    assert_eq!(file_rows(&srv).await, rows, "refused requests stored nothing");
    assert!(temp_files(&srv).is_empty());
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn files_list_pages_newest_first_and_history_carries_files(db: PgPool) {
    let srv = Srv::start(db.clone()).await;
    let alice = owner(&db, "alice@x.io", "Acme").await;
    let (t, c) = (token(&db, &alice).await, general(&db, &alice).await);
    for i in 0..5 {
        upload_one(&srv, &t, &c, &format!("n{i}.txt"), format!("note {i}\n").into_bytes()).await;
    }
    let (_, p1) = srv.call_bearer(&t, "files.list", json!({"channel": c, "limit": 3})).await;
    let names = |p: &serde_json::Value| -> Vec<String> {
        p["files"].as_array().unwrap().iter().map(|f| f["name"].as_str().unwrap().to_string()).collect()
    };
    assert_eq!(names(&p1), ["n4.txt", "n3.txt", "n2.txt"]);
    let cursor = p1["next_cursor"].as_str().unwrap();
    let (_, p2) =
        srv.call_bearer(&t, "files.list", json!({"channel": c, "limit": 3, "cursor": cursor})).await;
    assert_eq!(names(&p2), ["n1.txt", "n0.txt"]);
    assert!(p2["next_cursor"].is_null());
    let (_, h) = srv.call_bearer(&t, "conversations.history", json!({"channel": c, "limit": 1})).await;
    assert_eq!(h["messages"][0]["files"][0]["name"], "n4.txt");
    assert_eq!(h["messages"][0]["files"][0]["mimetype"], "text/plain");
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn an_object_missing_from_the_store_is_a_500_not_a_retry_later(db: PgPool) {
    let srv = Srv::start(db.clone()).await;
    let alice = owner(&db, "alice@x.io", "Acme").await;
    let t = token(&db, &alice).await;
    let f = upload_one(&srv, &t, &general(&db, &alice).await, "notes.txt", noise(4000, 3)).await;
    let url = f["url"].as_str().unwrap().to_string();
    assert_eq!(get(&srv, Some(&t), &url, None).await.status(), 200);
    // The database names a blob the store no longer has: a data fault that
    // a retry will not mend, so no 503 with Retry-After.
    for key in objects(&srv).await {
        srv.files.storage.delete(&key).await.unwrap();
    }
    let r = get(&srv, Some(&t), &url, None).await;
    assert_eq!(r.status(), 500, "{:?}", r.headers());
    assert!(r.headers().get("retry-after").is_none());
    let r = get(&srv, Some(&t), &url, Some("bytes=0-9")).await;
    assert_eq!(r.status(), 500);
}
