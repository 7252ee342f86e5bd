//! File-test helpers: multipart uploads, downloads, sample images, a real
//! S3-protocol server (moto, started as a child process), and the checks
//! that nothing was left behind (rows, objects, temporary files).

use reqwest::multipart::{Form, Part};
use reqwest::{Response, StatusCode};
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::Srv;

/// sha256 as hex.
pub fn sha(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// Deterministic bytes that no sniffer mistakes for anything.
pub fn noise(len: usize, seed: u8) -> Vec<u8> {
    let mut x: u32 = 0x9E37_79B9 ^ seed as u32;
    let mut v = Vec::with_capacity(len);
    v.push(0u8); // binary, not text
    while v.len() < len {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        v.push((x >> 24) as u8);
    }
    v.truncate(len);
    v
}

/// A PNG of `w`×`h`.
pub fn png(w: u32, h: u32) -> Vec<u8> {
    let img = image::DynamicImage::ImageRgb8(image::RgbImage::from_fn(w, h, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, 90])
    }));
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

/// A JPEG of `w`×`h` carrying EXIF with a GPS position.
pub fn jpeg_with_gps(w: u32, h: u32) -> Vec<u8> {
    use img_parts::ImageEXIF;
    let img = image::DynamicImage::ImageRgb8(image::RgbImage::from_pixel(w, h, image::Rgb([10, 120, 200])));
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Jpeg).unwrap();
    let mut j = img_parts::jpeg::Jpeg::from_bytes(bytes::Bytes::from(out.into_inner())).unwrap();
    j.set_exif(Some(bytes::Bytes::from_static(b"MM\0*\0\0\0\x08GPSLatitude=52.3702;GPSLongitude=4.8952")));
    j.encoder().bytes().to_vec()
}

/// A multipart form: `fields` first (as a browser's FormData sends them),
/// then each file as a `file` part.
pub fn form(fields: &[(&str, &str)], files: Vec<(&str, Vec<u8>)>) -> Form {
    let mut f = Form::new();
    for (k, v) in fields {
        f = f.text(k.to_string(), v.to_string());
    }
    for (name, bytes) in files {
        // The client claims a type; the server must ignore it.
        let part = Part::bytes(bytes).file_name(name.to_string()).mime_str("image/png").unwrap();
        f = f.part("file", part);
    }
    f
}

/// `files.upload` with a bearer token.
pub async fn upload(srv: &Srv, token: &str, form: Form) -> (StatusCode, Value) {
    let res = reqwest::Client::new()
        .post(format!("{}/api/files.upload", srv.url))
        .bearer_auth(token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    let status = res.status();
    let text = res.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON ({status}): {text}")))
}

/// Uploads one file to `channel` and returns the `file` object.
pub async fn upload_one(srv: &Srv, token: &str, channel: &str, name: &str, bytes: Vec<u8>) -> Value {
    let (s, b) = upload(srv, token, form(&[("channel", channel)], vec![(name, bytes)])).await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["ok"], true);
    b["file"].clone()
}

/// GETs a file URL (relative to the server) with a bearer token.
pub async fn get(srv: &Srv, token: Option<&str>, url: &str, range: Option<&str>) -> Response {
    let mut req = reqwest::Client::new().get(format!("{}{url}", srv.url));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    if let Some(r) = range {
        req = req.header("range", r);
    }
    req.send().await.unwrap()
}

/// Every object in the store.
pub async fn objects(srv: &Srv) -> Vec<String> {
    srv.files.storage.keys("").await.unwrap()
}

/// Files left in the upload temporary directory.
pub fn temp_files(srv: &Srv) -> Vec<String> {
    std::fs::read_dir(srv.files.tmp_dir())
        .map(|d| d.flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect())
        .unwrap_or_default()
}

/// Rows that uploads write: blobs, files, messages.
pub async fn file_rows(srv: &Srv) -> (i64, i64, i64) {
    (
        super::count(&srv.db, "blob").await,
        super::count(&srv.db, "file").await,
        super::count(&srv.db, "message").await,
    )
}

/// A moto S3 server on a free port, with a bucket, killed on drop.
pub struct Moto {
    pub child: tokio::process::Child,
    pub endpoint: String,
}

pub const BUCKET: &str = "threadspace-test";

/// Starts moto (`THREADSPACE_MOTO`, else `moto_server` on PATH). Fails the
/// test with instructions if it is not installed: an S3 test never passes
/// without a real S3 server.
pub async fn moto() -> Moto {
    let bin = std::env::var("THREADSPACE_MOTO").unwrap_or_else(|_| "moto_server".into());
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let child = tokio::process::Command::new(&bin)
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap_or_else(|e| {
            panic!("cannot start the S3 test server {bin:?} ({e}); scripts/test installs it (pip install 'moto[server]')")
        });
    let endpoint = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        if http.put(format!("{endpoint}/{BUCKET}")).send().await.is_ok_and(|r| r.status().is_success()) {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "moto did not start on {endpoint}");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    Moto { child, endpoint }
}

/// Points a server configuration at the moto bucket.
pub fn use_s3(cfg: &mut server::Config, m: &Moto) {
    cfg.s3_bucket = Some(BUCKET.into());
    cfg.s3_endpoint = Some(m.endpoint.clone());
    cfg.s3_access_key_id = Some("test".into());
    cfg.s3_secret_access_key = Some("test".into());
}

/// Waits until `check` holds, polling (for work that finishes in a task the
/// test cannot join, such as the clean-up after a client disconnects).
pub async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    while !check().await {
        assert!(std::time::Instant::now() < deadline, "timed out waiting for: {what}");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}
