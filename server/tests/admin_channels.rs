//! Admins manage every channel, private ones included, without being in
//! them: rename, convert, archive and choose default channels. Members see
//! the changes live; direct messages stay out of an admin's reach; #general
//! stays public and open; new members join the default channels.

mod common;

use app::auth::Role;
use common::ws::{connect, general, next_of, token};
use common::{assert_error, member, owner, Srv, PASSWORD};
use serde_json::json;
use sqlx::PgPool;

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn admins_manage_every_channel_and_members_see_it_live(db: PgPool) {
    let srv = Srv::start(db.clone()).await;
    let alice = owner(&db, "alice@x.io", "Acme").await;
    let bob = member(&db, &alice, "Bob", Role::Member).await;
    let (ta, tb) = (token(&db, &alice).await, token(&db, &bob).await);
    // Bob's private channel, which Alice is not in, and a DM.
    let (s, r) =
        srv.call_bearer(&tb, "conversations.create", json!({"name": "secret", "is_private": true})).await;
    assert_eq!(s, 200, "{r}");
    let secret = r["channel"]["id"].as_str().unwrap().to_string();
    let (_, dm) = srv.call_bearer(&tb, "conversations.open", json!({"users": [alice.member_id]})).await;
    let dm = dm["channel"]["id"].as_str().unwrap().to_string();
    let g = general(&db, &alice).await;
    let mut bobs = connect(&srv, &tb, json!({})).await;

    let (s, list) = srv.call_bearer(&ta, "admin.conversations.list", json!({})).await;
    assert_eq!(s, 200, "{list}");
    let names: Vec<&str> =
        list["channels"].as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["general", "secret"], "private channels are listed, DMs never");
    assert_eq!(list["channels"][1]["member_count"], 1);
    assert!(!list.to_string().contains("text"), "no content: {list}");

    // Rename and make public: Bob's open page hears both.
    let (s, r) =
        srv.call_bearer(&ta, "admin.conversations.rename", json!({"channel": secret, "name": "Plans"})).await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(next_of(&mut bobs, "channel_updated").await["channel"]["name"], "plans");
    let (s, r) = srv
        .call_bearer(&ta, "admin.conversations.convert", json!({"channel": secret, "is_private": false}))
        .await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(next_of(&mut bobs, "channel_updated").await["channel"]["is_private"], false);
    let (s, r) = srv.call_bearer(&ta, "admin.conversations.archive", json!({"channel": secret})).await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(next_of(&mut bobs, "channel_archived").await["archived"], true);
    let (s, _) = srv.call_bearer(&ta, "admin.conversations.unarchive", json!({"channel": secret})).await;
    assert_eq!(s, 200);
    assert_eq!(next_of(&mut bobs, "channel_archived").await["archived"], false);

    // Refused: DMs are not channels to an admin, #general stays, names stay unique.
    for method in
        ["admin.conversations.archive", "admin.conversations.convert", "admin.conversations.setDefault"]
    {
        let body = json!({"channel": dm, "is_private": true, "is_default": true});
        assert_error(&srv.call_bearer(&ta, method, body).await, 404, "channel_not_found");
    }
    assert_error(
        &srv.call_bearer(&ta, "admin.conversations.archive", json!({"channel": g})).await,
        403,
        "cant_archive_general",
    );
    let to_private = json!({"channel": g, "is_private": true});
    assert_error(
        &srv.call_bearer(&ta, "admin.conversations.convert", to_private).await,
        403,
        "cant_convert_general",
    );
    let clash = json!({"channel": secret, "name": "general"});
    assert_error(&srv.call_bearer(&ta, "admin.conversations.rename", clash).await, 409, "name_taken");
    assert_error(&srv.call_bearer(&tb, "admin.conversations.list", json!({})).await, 404, "unknown_method");

    // A default channel: the next member joins it with #general.
    let (s, _) = srv
        .call_bearer(&ta, "admin.conversations.setDefault", json!({"channel": secret, "is_default": true}))
        .await;
    assert_eq!(s, 200);
    let ctx = app::core::ctx::Ctx::offline(db.clone());
    let inv = app::invites::actions::create(&db, &alice, Role::Member, 24, 1).await.unwrap();
    let input = app::invites::actions::AcceptInput {
        token: inv.token,
        email: "cy@x.io".into(),
        password: PASSWORD.into(),
        display_name: "Cy".into(),
    };
    let limiter = app::ratelimit::Limits::local(1000, 1000);
    let cy = app::invites::actions::accept(&ctx, &limiter, None, input).await.unwrap();
    let mut cys: Vec<String> = sqlx::query_scalar(
        "select c.name from channel_member m join channel c using (channel_id) where m.member_id = $1",
    )
    .bind(cy.member_id)
    .fetch_all(&db)
    .await
    .unwrap();
    cys.sort();
    assert_eq!(cys, ["general", "plans"]);
    let log: Vec<String> = sqlx::query_scalar(
        "select action from audit_log where action like 'channel.%' order by audit_log_id",
    )
    .fetch_all(&db)
    .await
    .unwrap();
    assert_eq!(
        log,
        [
            "channel.rename",
            "channel.converted",
            "channel.archive",
            "channel.unarchive",
            "channel.default_set"
        ]
    );
}
