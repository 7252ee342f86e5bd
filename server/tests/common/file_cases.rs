//! File scenarios run against both storage backends (local disk and S3).

use serde_json::{json, Value};

use super::files::{file_rows, form, get, noise, objects, png, sha, temp_files, upload, upload_one};
use super::{assert_error, Srv};

/// Uploads an image, a PDF and a 3 MB binary; each downloads byte for byte
/// (sha256), with the sniffed type, and ranges work.
pub async fn round_trip(srv: &Srv, token: &str, channel: &str) {
    let image = png(300, 200);
    let pdf = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n".to_vec();
    let blob = noise(3 * 1024 * 1024 + 17, 1);
    for (name, bytes, mime) in [
        ("photo.png", image, "image/png"),
        ("spec.pdf", pdf, "application/pdf"),
        ("data.bin", blob.clone(), "application/octet-stream"),
    ] {
        let f = upload_one(srv, token, channel, name, bytes.clone()).await;
        assert_eq!(f["name"], name);
        assert_eq!(f["mimetype"], mime, "{f}");
        assert_eq!(f["size"], bytes.len(), "{f}");
        let res = get(srv, Some(token), f["url"].as_str().unwrap(), None).await;
        assert_eq!(res.status(), 200, "{name}");
        assert_eq!(res.headers()["x-content-type-options"], "nosniff");
        assert!(res.headers()["content-security-policy"].to_str().unwrap().contains("sandbox"));
        let body = res.bytes().await.unwrap();
        assert_eq!(sha(&body), sha(&bytes), "{name} round trip");
    }
    // The 3 MB file in ranges: a middle slice, a suffix, and past the end.
    let (_, b) = srv.call_bearer(token, "files.list", json!({"channel": channel, "limit": 1})).await;
    let url = b["files"][0]["url"].as_str().unwrap().to_string();
    let res = get(srv, Some(token), &url, Some("bytes=1000-1999")).await;
    assert_eq!(res.status(), 206);
    assert_eq!(res.headers()["content-range"], format!("bytes 1000-1999/{}", blob.len()));
    assert_eq!(res.bytes().await.unwrap().as_ref(), &blob[1000..2000]);
    let res = get(srv, Some(token), &url, Some("bytes=-100")).await;
    assert_eq!(res.status(), 206);
    assert_eq!(res.bytes().await.unwrap().as_ref(), &blob[blob.len() - 100..]);
    let res = get(srv, Some(token), &url, Some(&format!("bytes={}-", blob.len()))).await;
    assert_eq!(res.status(), 416);
    assert_eq!(res.headers()["content-range"], format!("bytes */{}", blob.len()));
    assert!(temp_files(srv).is_empty(), "temporary files left: {:?}", temp_files(srv));
}

/// Exactly 25 MB is accepted; one byte more is refused with 413 and leaves
/// no row, no object and no temporary file.
pub async fn size_limit(srv: &Srv, token: &str, channel: &str) {
    const MB25: usize = 25 * 1024 * 1024;
    let f = upload_one(srv, token, channel, "exact.bin", noise(MB25, 2)).await;
    assert_eq!(f["size"], MB25);
    let rows = file_rows(srv).await;
    let objs = objects(srv).await;
    let fields = [("channel", channel), ("text", "too big"), ("client_msg_id", "big-1")];
    let (s, b) = upload(srv, token, form(&fields, vec![("over.bin", noise(MB25 + 1, 3))])).await;
    assert_error(&(s, b), 413, "file_too_large");
    assert_eq!(file_rows(srv).await, rows, "no blob, file or message row");
    assert_eq!(objects(srv).await, objs, "no object");
    assert!(temp_files(srv).is_empty(), "no temporary file");
    // A second file over the limit after a good one: the good one is not kept either.
    let files = vec![("ok.bin", noise(1000, 4)), ("over.bin", noise(MB25 + 1, 5))];
    let (s, b) = upload(srv, token, form(&[("channel", channel)], files)).await;
    assert_error(&(s, b), 413, "file_too_large");
    assert_eq!(file_rows(srv).await, rows);
    assert_eq!(objects(srv).await, objs);
}

/// The same content twice is stored once; deleting one message keeps it,
/// deleting the last one removes the object.
pub async fn dedup_and_delete(srv: &Srv, token: &str, channel: &str) {
    let bytes = noise(200_000, 6);
    let before = objects(srv).await.len();
    let a = upload_one(srv, token, channel, "a.bin", bytes.clone()).await;
    let b = upload_one(srv, token, channel, "b-copy.bin", bytes.clone()).await;
    assert_ne!(a["id"], b["id"], "two files");
    assert_eq!(objects(srv).await.len(), before + 1, "one stored object");
    let seq_of = |f: &Value| f["seq"].as_i64().unwrap();
    let (s, body) =
        srv.call_bearer(token, "chat.delete", json!({"channel": channel, "seq": seq_of(&a)})).await;
    assert_eq!(s, 200, "{body}");
    assert_error(
        &srv.call_bearer(token, "files.info", json!({"file": a["id"]})).await,
        404,
        "file_not_found",
    );
    let res = get(srv, Some(token), b["url"].as_str().unwrap(), None).await;
    assert_eq!(sha(&res.bytes().await.unwrap()), sha(&bytes), "the copy still downloads");
    let (s, body) = srv.call_bearer(token, "files.delete", json!({"file": b["id"]})).await;
    assert_eq!(s, 200, "{body}");
    assert_eq!(objects(srv).await.len(), before, "the object is gone with its last file");
    // The message held only the file, so it went too.
    let (_, h) = srv.call_bearer(token, "conversations.history", json!({"channel": channel})).await;
    let m = h["messages"].as_array().unwrap().iter().find(|m| m["seq"] == b["seq"]).cloned().unwrap();
    assert_eq!(m["is_deleted"], true, "{m}");
    assert!(m.get("files").is_none(), "{m}");
}
