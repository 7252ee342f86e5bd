//! The member directory and API tokens, scoped to the caller's workspace.

mod common;

use app::auth::{AuthVia, Role};
use app::error::{AppError, Missing};
use app::invites::actions as invites;
use app::ratelimit::Limits;
use app::tokens::{actions as tokens, queries as tokens_q};
use app::users::queries as users;
use common::{owner, PASSWORD};
use sqlx::PgPool;

async fn add(db: &PgPool, admin: &app::auth::Actor, name: &str, email: &str, role: Role) -> app::auth::Actor {
    let inv = invites::create(db, admin, role, 24, 1).await.unwrap();
    let input = invites::AcceptInput {
        token: inv.token,
        email: email.into(),
        password: PASSWORD.into(),
        display_name: name.into(),
    };
    invites::accept(&common::ctx(db), &Limits::local(1000, 1000), None, input).await.unwrap()
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn the_directory_pages_by_name_and_never_crosses_workspaces(db: PgPool) {
    let db = common::ctx(&db);
    let alice = owner(&db, "alice@x.io", "Acme").await;
    for (n, e) in [("bob", "bob@x.io"), ("Carla", "carla@x.io"), ("dave", "dave@x.io"), ("Eve_1", "eve@x.io")]
    {
        add(&db, &alice, n, e, Role::Member).await;
    }
    owner(&db, "zed@x.io", "Elsewhere").await;

    let p1 = users::list(&db, &alice, None, None, Some(2)).await.unwrap();
    let names = |p: &users::Page| p.members.iter().map(|m| m.name.clone()).collect::<Vec<_>>();
    assert_eq!(names(&p1), ["alice", "bob"]);
    let p2 = users::list(&db, &alice, None, Some(&p1.meta.next_cursor), Some(2)).await.unwrap();
    assert_eq!(names(&p2), ["Carla", "dave"]);
    let p3 = users::list(&db, &alice, None, Some(&p2.meta.next_cursor), Some(2)).await.unwrap();
    assert_eq!(names(&p3), ["Eve_1"]);
    assert!(p3.meta.next_cursor.is_empty());

    let q = users::list(&db, &alice, Some("CAR"), None, None).await.unwrap();
    assert_eq!(names(&q), ["Carla"]);
    let by_email = users::list(&db, &alice, Some("dave@"), None, None).await.unwrap();
    assert_eq!(names(&by_email), ["dave"]);
    // `_` and `%` are literal, not wildcards.
    assert_eq!(names(&users::list(&db, &alice, Some("e_1"), None, None).await.unwrap()), ["Eve_1"]);
    assert!(users::list(&db, &alice, Some("%"), None, None).await.unwrap().members.is_empty());
    assert!(users::list(&db, &alice, Some("zed"), None, None).await.unwrap().members.is_empty());
    assert_eq!(
        users::list(&db, &alice, None, Some("garbage"), None).await.unwrap_err().code(),
        "invalid_arguments"
    );
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn outsiders_are_not_found_and_guests_do_not_see_emails(db: PgPool) {
    let db = common::ctx(&db);
    let alice = owner(&db, "alice@x.io", "Acme").await;
    let zed = owner(&db, "zed@x.io", "Elsewhere").await;
    assert_eq!(users::info(&db, &alice, zed.member_id).await.unwrap_err(), AppError::NotFound(Missing::User));
    let me = users::info(&db, &alice, alice.member_id).await.unwrap();
    assert_eq!(me.email.as_deref(), Some("alice@x.io"));
    let gus = add(&db, &alice, "Gus", "gus@x.io", Role::Guest).await;
    // A guest sees only the people who share a channel with them.
    assert_eq!(users::info(&db, &gus, alice.member_id).await.unwrap_err(), AppError::NotFound(Missing::User));
    sqlx::query(
        "insert into channel_member (channel_id, member_id)
         select channel_id, $1 from channel where workspace_id = $2 and is_general",
    )
    .bind(gus.member_id)
    .bind(alice.workspace_id)
    .execute(&*db)
    .await
    .unwrap();
    let seen_by_guest = users::info(&db, &gus, alice.member_id).await.unwrap();
    assert_eq!(seen_by_guest.email, None);
    assert!(users::list(&db, &gus, None, None, None)
        .await
        .unwrap()
        .members
        .iter()
        .all(|m| m.email.is_none()));
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn tokens_authenticate_until_revoked_or_expired(db: PgPool) {
    let db = common::ctx(&db);
    let alice = owner(&db, "alice@x.io", "Acme").await;
    let (info, secret) = tokens::create(&db, &alice, "CI bot", Some(30)).await.unwrap();
    assert!(secret.starts_with(&info.prefix) && secret.starts_with("tsp_"));
    let actor = tokens_q::authenticate(&db, &secret).await.unwrap();
    assert_eq!((actor.member_id, actor.via), (alice.member_id, AuthVia::Token));
    let listed = tokens_q::list(&db, &alice).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert!(listed[0].last_used_at.is_some());

    assert_eq!(tokens_q::authenticate(&db, "tsp_wrong").await.unwrap_err(), AppError::InvalidAuth);
    assert_eq!(tokens_q::authenticate(&db, "not-a-token").await.unwrap_err(), AppError::InvalidAuth);

    let zed = owner(&db, "zed@x.io", "Elsewhere").await;
    assert_eq!(tokens::revoke(&db, &zed, info.id).await.unwrap_err(), AppError::NotFound(Missing::Token));
    tokens::revoke(&db, &alice, info.id).await.unwrap();
    assert_eq!(tokens_q::authenticate(&db, &secret).await.unwrap_err(), AppError::InvalidAuth);
    assert!(tokens_q::list(&db, &alice).await.unwrap().is_empty());

    let (old, old_secret) = tokens::create(&db, &alice, "old", Some(1)).await.unwrap();
    sqlx::query!(
        "update api_token set expires_at = now() - interval '1 second' where api_token_id = $1",
        old.id
    )
    .execute(&db.db)
    .await
    .unwrap();
    assert_eq!(tokens_q::authenticate(&db, &old_secret).await.unwrap_err(), AppError::InvalidAuth);
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn token_input_is_validated(db: PgPool) {
    let db = common::ctx(&db);
    let alice = owner(&db, "alice@x.io", "Acme").await;
    assert_eq!(tokens::create(&db, &alice, "", None).await.unwrap_err().code(), "invalid_arguments");
    assert_eq!(
        tokens::create(&db, &alice, &"x".repeat(81), None).await.unwrap_err().code(),
        "invalid_arguments"
    );
    assert_eq!(tokens::create(&db, &alice, "ok", Some(0)).await.unwrap_err().code(), "invalid_arguments");
    assert_eq!(
        tokens::create(&db, &alice, "ok", Some(10_000)).await.unwrap_err().code(),
        "invalid_arguments"
    );
    let (never, _) = tokens::create(&db, &alice, "forever", None).await.unwrap();
    assert!(never.expires_at.is_none());
    assert_eq!(common::count(&db, "api_token").await, 1);
}
