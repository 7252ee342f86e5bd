//! WebSocket test clients (tokio-tungstenite) for the real `/ws` endpoint.

use std::time::Duration;

use app::auth::Actor;
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use sqlx::PgPool;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use super::Srv;

pub type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Longest wait for an expected frame before the test fails.
pub const WAIT: Duration = Duration::from_secs(15);

/// An API token for a fixture member.
pub async fn token(db: &PgPool, actor: &Actor) -> String {
    app::tokens::actions::create(db, actor, "ws test", None).await.unwrap().1
}

/// A ticket URL from `rtm.connect`.
pub async fn ticket_url(srv: &Srv, token: &str) -> String {
    let (s, b) = srv.call_bearer(token, "rtm.connect", json!({})).await;
    assert_eq!(s, 200, "{b}");
    b["url"].as_str().unwrap().to_string()
}

/// Connects with a ticket and reads `hello`; nothing is delivered until
/// the caller sends `resume`.
pub async fn open(srv: &Srv, token: &str) -> Ws {
    let (mut ws, _) = tokio_tungstenite::connect_async(ticket_url(srv, token).await).await.unwrap();
    let hello = next(&mut ws).await;
    assert_eq!(hello["type"], "hello", "{hello}");
    assert_eq!(hello["version"], 1);
    ws
}

/// Connects, and resumes with `channels` (frames before `resumed` skipped).
pub async fn connect(srv: &Srv, token: &str, channels: Value) -> Ws {
    let mut ws = open(srv, token).await;
    send(&mut ws, json!({"type": "resume", "channels": channels})).await;
    let r = next_of(&mut ws, "resumed").await;
    assert!(r["replayed"].is_u64());
    ws
}

pub async fn send(ws: &mut Ws, v: Value) {
    ws.send(Message::text(v.to_string())).await.unwrap();
}

/// The next JSON frame (pings and pongs skipped); panics on close or timeout.
pub async fn next(ws: &mut Ws) -> Value {
    loop {
        let msg = tokio::time::timeout(WAIT, ws.next()).await.expect("timed out waiting for a frame");
        match msg.expect("socket ended").expect("socket error") {
            Message::Text(t) => return serde_json::from_str(t.as_str()).unwrap(),
            Message::Close(c) => panic!("socket closed: {c:?}"),
            _ => {}
        }
    }
}

/// The next frame that is not a presence event.
pub async fn next_event(ws: &mut Ws) -> Value {
    loop {
        let v = next(ws).await;
        if v["type"] != "presence" {
            return v;
        }
    }
}

/// Skips frames until one of type `kind`.
pub async fn next_of(ws: &mut Ws, kind: &str) -> Value {
    loop {
        let v = next(ws).await;
        if v["type"] == kind {
            return v;
        }
    }
}

/// The next presence event about `user`.
pub async fn presence_of(ws: &mut Ws, user: &str) -> Value {
    loop {
        let p = next_of(ws, "presence").await;
        if p["user"] == user {
            return p;
        }
    }
}

/// Reads until the server closes; returns the frames before it and the code.
pub async fn until_close(ws: &mut Ws) -> (Vec<Value>, Option<u16>) {
    let mut frames = Vec::new();
    loop {
        let msg = tokio::time::timeout(WAIT, ws.next()).await.expect("timed out waiting for the close");
        match msg {
            None | Some(Err(_)) => return (frames, None),
            Some(Ok(Message::Text(t))) => frames.push(serde_json::from_str(t.as_str()).unwrap()),
            Some(Ok(Message::Close(c))) => return (frames, c.map(|c| u16::from(c.code))),
            Some(Ok(_)) => {}
        }
    }
}

/// Posts as `token`; returns the message.
pub async fn post(srv: &Srv, token: &str, channel: &str, text: &str) -> Value {
    let (s, b) = srv.call_bearer(token, "chat.postMessage", json!({"channel": channel, "text": text})).await;
    assert_eq!(s, 200, "{b}");
    b["message"].clone()
}

/// The id of the workspace's #general.
pub async fn general(db: &PgPool, actor: &Actor) -> String {
    sqlx::query_scalar::<_, uuid::Uuid>(
        "select channel_id from channel where workspace_id = $1 and is_general",
    )
    .bind(actor.workspace_id)
    .fetch_one(db)
    .await
    .unwrap()
    .to_string()
}
