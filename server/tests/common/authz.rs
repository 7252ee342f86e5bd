//! The world the authorization matrix (docs/authorization.md) is run in:
//! one workspace with a private channel, a DM, a file, an invite and an
//! export, the callers of the matrix's columns, and the markers that only
//! the member of the private channel may ever see.

use std::collections::HashMap;

use app::auth::{Actor, Role};
use serde_json::{json, Value};

use super::files::upload_one;
use super::ws::token;
use super::{member, owner, Srv, PASSWORD};

/// The matrix's columns, in the order each row's calls are made: the least
/// privileged first, so that a write the member may make (last) cannot
/// change what the others are answered.
pub const CALLERS: [&str; 9] =
    ["anon", "revoked", "expired", "deactivated", "other_ws", "guest", "outsider", "admin", "member"];

/// Text that only the member (of #secret and of the DM) may receive: the
/// secret message, the file's name, the DM's message.
pub const MARKERS: [&str; 2] = ["plum7731", "dmsecret4242"];

pub struct World {
    /// Placeholder name → value, substituted into a row's arguments.
    pub vars: HashMap<&'static str, String>,
    /// Caller → bearer token (none for `anon`).
    pub tokens: HashMap<&'static str, Option<String>>,
    /// Caller → the person behind it (`revoked` and `expired` are Mia; none
    /// for `anon`).
    pub actors: HashMap<&'static str, Actor>,
}

async fn ok(srv: &Srv, token: &str, method: &str, body: Value) -> Value {
    let (s, b) = srv.call_bearer(token, method, body).await;
    assert_eq!(s, 200, "{method}: {b}");
    b
}

/// Builds a fresh world; `n` keeps its emails apart from other worlds'.
pub async fn world(srv: &Srv, n: usize) -> World {
    let db = &srv.db;
    let owen = owner(db, &format!("owen{n}@w1.test"), "Acme").await;
    let olga = owner(db, &format!("olga{n}@w2.test"), "Other Co").await;
    let admin = member(db, &owen, "Ada Admin", Role::Admin).await;
    let mia = member(db, &owen, "Mia", Role::Member).await;
    let noel = member(db, &owen, "Noel", Role::Member).await;
    let gus = member(db, &owen, "Gus", Role::Guest).await;
    let dana = member(db, &owen, "Dana", Role::Member).await;
    // Mia can sign in, so that she has a browser session to name.
    let hash = app::auth::passwords::hash_password(PASSWORD.into()).await.unwrap();
    sqlx::query("update account set password_hash = $1 where account_id = $2")
        .bind(&hash)
        .bind(mia.account_id)
        .execute(db)
        .await
        .unwrap();
    let mia_email: String = sqlx::query_scalar("select email from account where account_id = $1")
        .bind(mia.account_id)
        .fetch_one(db)
        .await
        .unwrap();
    let t = |a: &Actor| {
        let a = a.clone();
        async move { token(db, &a).await }
    };
    let (t_owen, t_mia) = (t(&owen).await, t(&mia).await);
    let secret = ok(srv, &t_mia, "conversations.create", json!({"name": "secret", "is_private": true})).await;
    let secret = secret["channel"]["id"].as_str().unwrap().to_string();
    ok(srv, &t_mia, "conversations.invite", json!({"channel": secret, "users": [dana.member_id]})).await;
    let m =
        ok(srv, &t_mia, "chat.postMessage", json!({"channel": secret, "text": "xylophone plum7731 plan"}))
            .await;
    let secret_seq = m["message"]["seq"].as_i64().unwrap();
    let file = upload_one(srv, &t_mia, &secret, "plum7731-plan.txt", b"the plan".to_vec()).await;
    let guests =
        ok(srv, &t_owen, "conversations.create", json!({"name": "guests", "is_private": false})).await;
    let guests = guests["channel"]["id"].as_str().unwrap().to_string();
    ok(srv, &t_owen, "conversations.invite", json!({"channel": guests, "users": [gus.member_id]})).await;
    let dm = ok(srv, &t_mia, "conversations.open", json!({"users": [owen.member_id]})).await;
    let dm = dm["channel"]["id"].as_str().unwrap().to_string();
    ok(srv, &t_mia, "chat.postMessage", json!({"channel": dm, "text": "dmsecret4242"})).await;
    let general: String = sqlx::query_scalar(
        "select channel_id::text from channel where workspace_id = $1 and name = 'general'",
    )
    .bind(owen.workspace_id)
    .fetch_one(db)
    .await
    .unwrap();
    let inv = json!({"role": "member", "expires_in_hours": 24, "max_uses": 100});
    let inv = ok(srv, &t_owen, "invites.create", inv).await;
    let invite = inv["url"].as_str().unwrap().rsplit('/').next().unwrap().to_string();
    let invite_id: String = sqlx::query_scalar(
        "select invite_id::text from invite where workspace_id = $1 order by created_at desc",
    )
    .bind(owen.workspace_id)
    .fetch_one(db)
    .await
    .unwrap();
    let export = ok(srv, &t_owen, "admin.export.start", json!({"include_private": false})).await;
    let export_id = export["export"]["id"].as_str().unwrap().to_string();
    let (s, up) = super::slack::upload(srv, &t_owen, "slack.zip", tiny_export()).await;
    assert_eq!(s, 200, "{up}");
    let import_id = up["import"]["id"].as_str().unwrap().to_string();
    // Mia's browser session, and a spare token of hers that others try to revoke.
    let browser = super::client();
    let (s, b) =
        srv.call_with(&browser, "auth.login", json!({"email": mia_email, "password": PASSWORD})).await;
    assert_eq!(s, 200, "{b}");
    let session_id: String = sqlx::query_scalar(
        "select auth_session_id::text from auth_session where member_id = $1 and revoked_at is null",
    )
    .bind(mia.member_id)
    .fetch_one(db)
    .await
    .unwrap();
    let (spare, _) = app::tokens::actions::create(db, &mia, "spare", None).await.unwrap();
    let owen_token_id: String =
        sqlx::query_scalar("select api_token_id::text from api_token where member_id = $1")
            .bind(owen.member_id)
            .fetch_one(db)
            .await
            .unwrap();
    let (revoked, t_revoked) = app::tokens::actions::create(db, &mia, "revoked", None).await.unwrap();
    app::tokens::actions::revoke(&super::ctx(db), &mia, revoked.id).await.unwrap();
    // A token of Mia's that expired (made for a day, a day and a minute ago).
    let (expired, t_expired) = app::tokens::actions::create(db, &mia, "expired", Some(1)).await.unwrap();
    sqlx::query("update api_token set expires_at = now() - interval '1 minute' where api_token_id = $1")
        .bind(expired.id)
        .execute(db)
        .await
        .unwrap();
    // Dana's token was made while she was active; only her member row says
    // she is deactivated now (the deactivate action would also revoke it).
    let t_dana = t(&dana).await;
    sqlx::query("update member set deactivated_at = now() where member_id = $1")
        .bind(dana.member_id)
        .execute(db)
        .await
        .unwrap();

    let vars = HashMap::from([
        ("secret", secret),
        ("secret_seq", secret_seq.to_string()),
        ("general", general),
        ("guests", guests),
        ("file", file["id"].as_str().unwrap().to_string()),
        ("dm", dm),
        ("w1", owen.workspace_id.to_string()),
        ("mia", mia.member_id.to_string()),
        ("noel", noel.member_id.to_string()),
        ("dana", dana.member_id.to_string()),
        ("owen", owen.member_id.to_string()),
        ("mia_email", mia_email),
        ("mia_token_id", spare.id.to_string()),
        ("owen_token_id", owen_token_id),
        ("invite", invite),
        ("invite_id", invite_id),
        ("session_id", session_id),
        ("export_id", export_id),
        ("import_id", import_id),
        ("n", n.to_string()),
    ]);
    let tokens = HashMap::from([
        ("anon", None),
        ("revoked", Some(t_revoked)),
        ("expired", Some(t_expired)),
        ("deactivated", Some(t_dana)),
        ("other_ws", Some(t(&olga).await)),
        ("guest", Some(t(&gus).await)),
        ("outsider", Some(t(&noel).await)),
        ("admin", Some(t(&admin).await)),
        ("member", Some(t_mia)),
    ]);
    let actors = HashMap::from([
        ("revoked", mia.clone()),
        ("expired", mia.clone()),
        ("deactivated", dana),
        ("other_ws", olga),
        ("guest", gus),
        ("outsider", noel),
        ("admin", admin),
        ("member", mia),
    ]);
    World { vars, tokens, actors }
}

impl World {
    /// `text` with every `{name}` placeholder replaced.
    pub fn fill(&self, text: &str, caller: &str) -> String {
        let mut out = text.replace("{caller}", caller);
        for (k, v) in &self.vars {
            out = out.replace(&format!("{{{k}}}"), v);
        }
        out
    }
}

/// A fingerprint of every table's rows (the test database is small), so a
/// refused call can be shown to have written nothing.
pub async fn snapshot(db: &sqlx::PgPool, skip: &[&str]) -> HashMap<String, String> {
    let tables: Vec<String> = sqlx::query_scalar(
        "select c.relname::text from pg_class c join pg_namespace n on n.oid = c.relnamespace
         where n.nspname = 'public' and c.relkind in ('r', 'p') and not c.relispartition
           and c.relname not like '\\_sqlx%' order by 1",
    )
    .fetch_all(db)
    .await
    .unwrap();
    let sql = tables
        .iter()
        .filter(|t| !skip.contains(&t.as_str()))
        .map(|t| {
            format!(
                "select '{t}', md5(coalesce(string_agg(x::text, ',' order by x::text), '')) from \"{t}\" x"
            )
        })
        .collect::<Vec<_>>()
        .join(" union all ");
    sqlx::query_as::<_, (String, String)>(&sql).fetch_all(db).await.unwrap().into_iter().collect()
}

/// The smallest Slack export: one channel, one message.
pub fn tiny_export() -> Vec<u8> {
    super::slack::zip_of(&[
        ("users.json", br#"[{"id": "U1", "name": "probe"}]"#.to_vec()),
        ("channels.json", br#"[{"id": "C1", "name": "probe", "members": ["U1"]}]"#.to_vec()),
        (
            "probe/2024-01-01.json",
            br#"[{"type": "message", "user": "U1", "ts": "1704067200.000001", "text": "hi"}]"#.to_vec(),
        ),
    ])
}
