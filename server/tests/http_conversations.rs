//! The conversations Web API over HTTP: envelopes, status codes, bearer
//! tokens, inert HTML, and the channel page rendered by the server.

mod common;

use common::{assert_error, client, Srv};
use serde_json::json;
use sqlx::PgPool;

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn channels_and_messages_round_trip_through_the_api(db: PgPool) {
    let srv = Srv::start(db.clone()).await;
    srv.signup("alice@x.io", "Acme").await;
    let (s, b) = srv.call("conversations.create", json!({"name": "Launch Plan", "is_private": true})).await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["ok"], true);
    assert_eq!(b["channel"]["name"], "launch-plan");
    assert_eq!(b["channel"]["is_private"], true);
    let id = b["channel"]["id"].as_str().unwrap().to_string();

    let post = json!({"channel": id, "text": "**go** <script>alert(1)</script> <img src=x onerror=alert(1)>", "client_msg_id": "c-1"});
    let (s, b) = srv.call("chat.postMessage", post.clone()).await;
    assert_eq!(s, 200, "{b}");
    let html = b["message"]["html"].as_str().unwrap();
    assert!(!html.contains("<script") && !html.contains("<img"), "{html}");
    assert!(html.contains("&lt;script&gt;") && html.contains("<strong>go</strong>"), "{html}");
    assert_eq!(b["message"]["seq"], 1);
    let (_, again) = srv.call("chat.postMessage", post).await;
    assert_eq!(again["message"]["seq"], 1, "same client_msg_id, same message");

    let (s, b) = srv.call("conversations.history", json!({"channel": id, "limit": 10})).await;
    assert_eq!(s, 200);
    assert_eq!(b["messages"].as_array().unwrap().len(), 1);
    assert_eq!(b["has_more"], false);
    let (s, _) = srv.call("reactions.add", json!({"channel": id, "seq": 1, "emoji": "tada"})).await;
    assert_eq!(s, 200);
    assert_error(
        &srv.call("reactions.add", json!({"channel": id, "seq": 1, "emoji": "tada"})).await,
        409,
        "already_reacted",
    );

    assert_error(
        &srv.call("chat.postMessage", json!({"channel": id, "text": "x".repeat(40_001)})).await,
        400,
        "msg_too_long",
    );
    assert_error(
        &srv.call("conversations.info", json!({"channel": "not-an-id"})).await,
        404,
        "channel_not_found",
    );
    assert_error(
        &srv.call("conversations.info", json!({"channel": uuid::Uuid::now_v7()})).await,
        404,
        "channel_not_found",
    );
    assert_error(&srv.call("conversations.create", json!({"name": "<b>x</b>"})).await, 400, "invalid_name");
    assert_error(&srv.call("conversations.history", json!({"channel": 5})).await, 400, "invalid_arguments");
    let raw = srv
        .client
        .post(format!("{}/api/chat.postMessage", srv.url))
        .header("origin", &srv.url)
        .header("content-type", "application/json")
        .body("{\"channel\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(raw.status(), 400);
    assert_eq!(raw.json::<serde_json::Value>().await.unwrap()["error"], "invalid_json");

    // Someone from another workspace sees nothing of it.
    let zed = client();
    let (s, _) = srv
        .call_with(
            &zed,
            "auth.signup",
            json!({"workspace_name": "Else", "email": "zed@y.io",
            "password": common::PASSWORD, "display_name": "zed"}),
        )
        .await;
    assert_eq!(s, 200);
    for (method, body) in [
        ("conversations.info", json!({"channel": id})),
        ("conversations.history", json!({"channel": id})),
        ("conversations.members", json!({"channel": id})),
        ("conversations.join", json!({"channel": id})),
        ("chat.postMessage", json!({"channel": id, "text": "hi"})),
        ("reactions.add", json!({"channel": id, "seq": 1, "emoji": "tada"})),
    ] {
        assert_error(&srv.call_with(&zed, method, body).await, 404, "channel_not_found");
    }
    assert_eq!(common::count(&db, "message").await, 1);
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn integrations_post_with_a_bearer_token(db: PgPool) {
    let srv = Srv::start(db).await;
    srv.signup("alice@x.io", "Acme").await;
    let (_, t) = srv.call("tokens.create", json!({"label": "bot"})).await;
    let token = t["token"].as_str().unwrap();
    let (_, mine) = srv.call_bearer(token, "users.conversations", json!({})).await;
    let general = mine["channels"][0]["id"].as_str().unwrap().to_string();
    assert_eq!(mine["channels"][0]["name"], "general");
    let (s, b) = srv
        .call_bearer(token, "chat.postMessage", json!({"channel": general, "text": "deploy done :rocket:"}))
        .await;
    assert_eq!(s, 200, "{b}");
    assert!(b["message"]["html"].as_str().unwrap().contains("🚀"));
    let (_, list) = srv.call_bearer(token, "conversations.list", json!({"types": "public"})).await;
    assert_eq!(list["channels"].as_array().unwrap().len(), 1);
    let (_, opened) = srv.call_bearer(token, "conversations.open", json!({"users": []})).await;
    assert_eq!(opened["channel"]["kind"], "dm");
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn the_channel_page_renders_topics_as_text(db: PgPool) {
    let srv = Srv::start(db).await;
    srv.signup("alice@x.io", "Acme").await;
    let (_, b) = srv.call("conversations.create", json!({"name": "xss"})).await;
    let id = b["channel"]["id"].as_str().unwrap().to_string();
    let topic = "<img src=x onerror=alert(1)><script>alert(2)</script>";
    let (s, _) = srv.call("conversations.setTopic", json!({"channel": id, "topic": topic})).await;
    assert_eq!(s, 200);
    let page = srv.client.get(format!("{}/c/{id}", srv.url)).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("#xss"), "the header names the channel");
    assert!(!html.contains("<img src=x") && !html.contains("<script>alert(2)"), "topic must be escaped");
    assert!(html.contains("&lt;img src=x onerror=alert(1)&gt;"), "the topic shows as text");
}
