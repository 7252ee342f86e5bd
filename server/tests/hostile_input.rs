//! The hostile-input corpus (`tests/corpus/`: XSS vectors, unicode tricks)
//! and generated shapes (huge and deeply nested JSON, invalid UTF-8, path
//! traversal in file names, a decompression-bomb image, malformed
//! multipart, oversized and fragmented WebSocket frames), run against every
//! input path. Each one gets a clear 4xx error or a neutralised value, never
//! a 500, and a refused input leaves no row behind.

mod common;

use common::files::{file_rows, form, temp_files, upload};
use common::ws::{general, next_of, open, send, token, until_close};
use common::{count, owner, Srv};
use futures_util::SinkExt;
use serde_json::{json, Value};
use sqlx::PgPool;
use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};
use tokio_tungstenite::tungstenite::protocol::frame::{Frame, FrameHeader};
use tokio_tungstenite::tungstenite::Message;

fn corpus(name: &str) -> Vec<String> {
    let path = format!("{}/tests/corpus/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap().lines().filter(|l| !l.is_empty()).map(String::from).collect()
}

/// Every vector of both files, the whole XSS file as one text, and control
/// characters no file should hold (NUL, escape, bell).
fn vectors() -> Vec<String> {
    let mut v = corpus("xss.txt");
    v.extend(corpus("unicode.txt"));
    v.push(corpus("xss.txt").join("\n"));
    v.extend(["nul \u{0} inside".to_string(), "esc \u{1b}[31m red".into(), "bell \u{7}".into()]);
    v
}

/// Rendered HTML must be inert: the same check the markdown fuzz target
/// makes (`app::fuzzing::unsafe_html`).
fn assert_inert(html: &str, input: &str) {
    if let Some(bad) = app::fuzzing::unsafe_html(html) {
        panic!("unsafe HTML {bad:?} from {input:?}: {html}");
    }
}

/// A 4xx with a code, or a 200; never a 500.
fn answered(got: &(reqwest::StatusCode, Value), what: &str) -> bool {
    let s = got.0.as_u16();
    assert!(s == 200 || (400..500).contains(&s), "{what}: {s} {}", got.1);
    if s != 200 {
        assert!(
            got.1["error"].as_str().is_some_and(|e| !e.is_empty() && e != "internal_error"),
            "{what}: {}",
            got.1
        );
    }
    s == 200
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn every_text_input_neutralises_the_corpus(db: PgPool) {
    let srv = Srv::start_with(db.clone(), |c| c.rate_limit_scale = 1000.0).await;
    let alice = owner(&db, "alice@x.io", "Acme").await;
    let (t, c) = (token(&db, &alice).await, general(&db, &alice).await);
    for v in vectors() {
        let before = count(&db, "message").await;
        let got = srv.call_bearer(&t, "chat.postMessage", json!({"channel": c, "text": v})).await;
        if answered(&got, &format!("chat.postMessage {v:?}")) {
            assert_inert(got.1["message"]["html"].as_str().unwrap(), &v);
            assert!(!got.1["message"]["text"].as_str().unwrap().contains('\u{0}'));
        } else {
            assert_eq!(count(&db, "message").await, before, "a refused message left a row: {v:?}");
        }
        let channels = count(&db, "channel").await;
        let got = srv.call_bearer(&t, "conversations.create", json!({"name": v})).await;
        if answered(&got, &format!("conversations.create {v:?}")) {
            let name = got.1["channel"]["name"].as_str().unwrap();
            assert!(
                name.chars()
                    .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '-' || ch == '_'),
                "{name}"
            );
        } else {
            assert_eq!(count(&db, "channel").await, channels, "a refused channel left a row: {v:?}");
        }
        let got = srv.call_bearer(&t, "conversations.setTopic", json!({"channel": c, "topic": v})).await;
        answered(&got, &format!("conversations.setTopic {v:?}"));
        let got = srv
            .call_bearer(
                &t,
                "users.profile.set",
                json!({"display_name": v, "full_name": v, "title": v, "time_zone": ""}),
            )
            .await;
        if answered(&got, &format!("users.profile.set {v:?}")) {
            for field in ["name", "full_name", "title"] {
                let value = got.1["profile"][field].as_str().unwrap();
                let tricky = |ch: char| ch.is_control() || app::core::text::is_spoofing(ch);
                assert!(!value.chars().any(tricky), "{field}: {value:?}");
            }
        }
        let got = srv.call_bearer(&t, "search.messages", json!({"query": v})).await;
        answered(&got, &format!("search.messages {v:?}"));
    }
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn json_bodies_that_are_huge_deep_or_not_utf8_are_refused_clearly(db: PgPool) {
    let srv = Srv::start(db.clone()).await;
    let alice = owner(&db, "alice@x.io", "Acme").await;
    let (t, c) = (token(&db, &alice).await, general(&db, &alice).await);
    let before = count(&db, "message").await;
    let raw = |body: Vec<u8>| {
        let (url, t) = (format!("{}/api/chat.postMessage", srv.url), t.clone());
        async move {
            let r = reqwest::Client::new()
                .post(url)
                .bearer_auth(t)
                .header("content-type", "application/json")
                .body(body)
                .send()
                .await
                .unwrap();
            let status = r.status().as_u16();
            (status, r.json::<Value>().await.unwrap_or(Value::Null))
        }
    };
    let huge = json!({"channel": c, "text": "x".repeat(3 * 1024 * 1024)}).to_string().into_bytes();
    // Nested in a field the method ignores, so the parser must walk it.
    let deep =
        format!(r#"{{"channel":"{c}","text":"x","extra":{}{}}}"#, "[".repeat(200_000), "]".repeat(200_000))
            .into_bytes();
    let mut not_utf8 = format!(r#"{{"channel":"{c}","text":"bad "#).into_bytes();
    not_utf8.extend([0xff, 0xfe, 0xc3, b'"', b'}']);
    let wrong_types = json!({"channel": c, "text": {"nested": [1, 2, 3]}}).to_string().into_bytes();
    let deep_where_a_string_belongs =
        format!(r#"{{"channel":"{c}","text":{}{}}}"#, "[".repeat(200_000), "]".repeat(200_000)).into_bytes();
    for (what, body, want) in [
        ("3 MB", huge, "request_too_large"),
        ("invalid UTF-8", not_utf8, "invalid_json"),
        ("wrong types", wrong_types, "invalid_arguments"),
        ("200,000 levels where a string belongs", deep_where_a_string_belongs, "invalid_arguments"),
    ] {
        let (status, v) = raw(body).await;
        assert!((400..500).contains(&status), "{what}: {status} {v}");
        assert_eq!(v["error"], want, "{what}: {v}");
    }
    assert_eq!(count(&db, "message").await, before);
    // 200,000 levels in a field the method ignores are walked without
    // exhausting the stack (the body limit bounds the work), and the
    // message is stored once.
    let (status, v) = raw(deep).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(count(&db, "message").await, before + 1);
}

/// A PNG that claims 60,000 × 60,000 pixels (3.6 billion bytes decoded)
/// in under 100 bytes: a header, five bytes of pixels, the end.
fn bomb_png() -> Vec<u8> {
    fn crc32(data: &[u8]) -> u32 {
        let mut c = 0xffff_ffffu32;
        for &b in data {
            c ^= u32::from(b);
            for _ in 0..8 {
                c = if c & 1 != 0 { 0xedb8_8320 ^ (c >> 1) } else { c >> 1 };
            }
        }
        !c
    }
    fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
        out.extend((data.len() as u32).to_be_bytes());
        let body: Vec<u8> = kind.iter().chain(data).copied().collect();
        out.extend(&body);
        out.extend(crc32(&body).to_be_bytes());
    }
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend(60_000u32.to_be_bytes());
    ihdr.extend(60_000u32.to_be_bytes());
    ihdr.extend([8, 0, 0, 0, 0]); // 8-bit greyscale
    chunk(&mut png, b"IHDR", &ihdr);
    // zlib: one stored block of five zero bytes, then their Adler-32.
    chunk(
        &mut png,
        b"IDAT",
        &[0x78, 0x01, 0x01, 0x05, 0x00, 0xfa, 0xff, 0, 0, 0, 0, 0, 0x00, 0x05, 0x00, 0x01],
    );
    chunk(&mut png, b"IEND", &[]);
    png
}

fn peak_rss_mib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse::<u64>().unwrap() / 1024
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn file_names_lose_their_tricks_and_bombs_and_broken_forms_leave_nothing(db: PgPool) {
    let srv = Srv::start_with(db.clone(), |c| c.rate_limit_scale = 1000.0).await;
    let alice = owner(&db, "alice@x.io", "Acme").await;
    let (t, c) = (token(&db, &alice).await, general(&db, &alice).await);
    for (raw, want) in [
        ("../../etc/passwd", "passwd"),
        ("..\\..\\windows\\win.ini", "win.ini"),
        ("/var/lib/x.txt", "x.txt"),
        ("\u{202E}gnp.exe", "gnp.exe"),
        ("..", "file"),
        ("<img src=x onerror=alert(1)>.png", "<img src=x onerror=alert(1)>.png"),
    ] {
        let (status, b) =
            upload(&srv, &t, form(&[("channel", c.as_str())], vec![(raw, b"hello".to_vec())])).await;
        assert_eq!(status, 200, "{raw:?}: {b}");
        assert_eq!(b["file"]["name"], want, "{raw:?}");
        assert!(!b["file"]["url"].as_str().unwrap().contains(".."), "{b}");
    }

    // The bomb: stored as a file, never decoded in full (no thumbnail, no
    // gigabytes of memory).
    let (status, b) =
        upload(&srv, &t, form(&[("channel", c.as_str())], vec![("bomb.png", bomb_png())])).await;
    assert!(status == 200 || status.is_client_error(), "{status} {b}");
    if status == 200 {
        assert_eq!(b["file"]["width"], Value::Null, "no dimensions taken from the bomb: {b}");
        assert_eq!(b["file"]["thumb_url"], Value::Null, "no thumbnail promised for the bomb: {b}");
    }
    common::files::eventually("background image work to finish", || async {
        count(&srv.db, "blob where thumb_state = 'pending'").await == 0
    })
    .await;
    assert_eq!(count(&srv.db, "blob where thumb_state = 'ready'").await, 0, "no thumbnail of the bomb");
    assert!(peak_rss_mib() < 1024, "decoding the bomb took {} MiB", peak_rss_mib());

    // Broken multipart bodies: a clear error, no rows, no staged files.
    let rows = file_rows(&srv).await;
    let post = |ctype: String, body: Vec<u8>| {
        let (url, t) = (format!("{}/api/files.upload", srv.url), t.clone());
        async move {
            let r = reqwest::Client::new()
                .post(url)
                .bearer_auth(t)
                .header("content-type", ctype)
                .body(body)
                .send();
            let r = r.await.unwrap();
            (r.status().as_u16(), r.json::<Value>().await.unwrap_or(Value::Null))
        }
    };
    let unterminated = format!(
        "--XyZ\r\nContent-Disposition: form-data; name=\"channel\"\r\n\r\n{c}\r\n--XyZ\r\n\
         Content-Disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\n\r\nno closing boundary"
    );
    for (what, ctype, body) in [
        ("unterminated", "multipart/form-data; boundary=XyZ".to_string(), unterminated.into_bytes()),
        ("no boundary", "multipart/form-data".to_string(), b"--x\r\n\r\n".to_vec()),
        ("garbage", "multipart/form-data; boundary=XyZ".to_string(), vec![0xff; 4096]),
        ("headers only", "multipart/form-data; boundary=XyZ".to_string(), b"--XyZ\r\nContent-Dispo".to_vec()),
    ] {
        let (status, v) = post(ctype, body).await;
        assert!((400..500).contains(&status), "{what}: {status} {v}");
        assert!(v["error"].as_str().is_some_and(|e| e != "internal_error"), "{what}: {v}");
    }
    assert_eq!(file_rows(&srv).await, rows, "no rows");
    assert!(temp_files(&srv).is_empty(), "no staged files");
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn fragmented_frames_are_reassembled_and_bad_ones_close_the_socket(db: PgPool) {
    let srv = Srv::start(db.clone()).await;
    let alice = owner(&db, "alice@x.io", "Acme").await;
    let t = token(&db, &alice).await;
    let frame = |data: &[u8], op: OpCode, fin: bool| {
        let mut f = Frame::message(data.to_vec(), op, fin);
        *f.header_mut() = FrameHeader { is_final: fin, opcode: op, ..FrameHeader::default() };
        Message::Frame(f)
    };
    let (text, cont) = (OpCode::Data(Data::Text), OpCode::Data(Data::Continue));

    // A ping in three fragments is one frame to the server.
    let mut ws = open(&srv, &t).await;
    send(&mut ws, json!({"type": "resume", "channels": {}})).await;
    next_of(&mut ws, "resumed").await;
    let ping = br#"{"type":"ping","id":7}"#;
    ws.send(frame(&ping[..5], text, false)).await.unwrap();
    ws.send(frame(&ping[5..12], cont, false)).await.unwrap();
    ws.send(frame(&ping[12..], cont, true)).await.unwrap();
    let pong = next_of(&mut ws, "pong").await;
    assert_eq!(pong["id"].as_u64(), Some(7), "{pong}");

    // Fragments adding up to more than 16 KiB: closed with 1009.
    let mut ws = open(&srv, &t).await;
    let chunk = vec![b' '; 6 * 1024];
    ws.send(frame(b"{", text, false)).await.unwrap();
    for _ in 0..3 {
        let _ = ws.send(frame(&chunk, cont, false)).await;
    }
    let _ = ws.send(frame(b"}", cont, true)).await;
    assert_eq!(until_close(&mut ws).await.1, Some(1009));

    // A text frame that is not UTF-8: a protocol error, the socket closes.
    let mut ws = open(&srv, &t).await;
    ws.send(frame(&[0x7b, 0xff, 0xfe, 0x7d], text, true)).await.unwrap();
    let code = until_close(&mut ws).await.1;
    assert!(matches!(code, Some(1002 | 1007)), "{code:?}");
}
