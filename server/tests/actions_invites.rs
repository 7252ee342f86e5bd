//! Invite actions: who may create them, and every way a link can fail.

mod common;

use app::auth::Role;
use app::error::{AppError, Conflict, Missing};
use app::invites::actions::{accept, create, revoke, AcceptInput};
use app::invites::queries::{list, preview};
use app::invites::InviteStatus;
use app::ratelimit::Limits;
use common::{count, owner, PASSWORD};
use sqlx::PgPool;

fn limiter() -> Limits {
    Limits::local(1000, 1000)
}

fn join(token: &str, email: &str, password: &str) -> AcceptInput {
    AcceptInput {
        token: token.into(),
        email: email.into(),
        password: password.into(),
        display_name: "Newcomer".into(),
    }
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn accepting_creates_an_account_and_a_member_with_the_invites_role(db: PgPool) {
    let db = common::ctx(&db);
    let alice = owner(&db, "alice@x.io", "Acme").await;
    let inv = create(&db, &alice, Role::Guest, 24, 2).await.unwrap();
    assert!(inv.token.starts_with("tsi_"));
    let p = preview(&db, &inv.token).await.unwrap();
    assert_eq!((p.workspace_name.as_str(), p.role, p.status), ("Acme", Role::Guest, InviteStatus::Active));

    let bob = accept(&db, &limiter(), None, join(&inv.token, "bob@x.io", PASSWORD)).await.unwrap();
    assert_eq!((bob.workspace_id, bob.role), (alice.workspace_id, Role::Guest));
    let uses = sqlx::query_scalar!("select uses from invite").fetch_one(&db.db).await.unwrap();
    assert_eq!(uses, 1);
    // The token itself is never stored.
    let stored: Vec<u8> =
        sqlx::query_scalar!("select token_hash from invite").fetch_one(&db.db).await.unwrap();
    assert_ne!(stored, inv.token.as_bytes());
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn an_existing_account_joins_with_its_own_password(db: PgPool) {
    let db = common::ctx(&db);
    let alice = owner(&db, "alice@x.io", "Acme").await;
    let carol = owner(&db, "carol@x.io", "Carol's").await;
    let inv = create(&db, &alice, Role::Member, 24, 5).await.unwrap();
    let e =
        accept(&db, &limiter(), None, join(&inv.token, "carol@x.io", "not her password")).await.unwrap_err();
    assert_eq!(e, AppError::InvalidCredentials);
    let joined = accept(&db, &limiter(), None, join(&inv.token, "carol@x.io", PASSWORD)).await.unwrap();
    assert_eq!(joined.account_id, carol.account_id);
    assert_eq!(joined.workspace_id, alice.workspace_id);
    // A second try is a conflict and does not spend a use.
    let again = accept(&db, &limiter(), None, join(&inv.token, "carol@x.io", PASSWORD)).await.unwrap_err();
    assert_eq!(again, AppError::AlreadyExists(Conflict::AlreadyMember));
    assert_eq!(sqlx::query_scalar!("select uses from invite").fetch_one(&db.db).await.unwrap(), 1);
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn expired_used_up_revoked_and_unknown_links_each_say_so_and_store_nothing(db: PgPool) {
    let db = common::ctx(&db);
    let alice = owner(&db, "alice@x.io", "Acme").await;
    let expired = create(&db, &alice, Role::Member, 1, 5).await.unwrap();
    sqlx::query!(
        "update invite set expires_at = now() - interval '1 minute' where invite_id = $1",
        expired.invite.id
    )
    .execute(&db.db)
    .await
    .unwrap();
    let used = create(&db, &alice, Role::Member, 24, 1).await.unwrap();
    accept(&db, &limiter(), None, join(&used.token, "first@x.io", PASSWORD)).await.unwrap();
    let revoked = create(&db, &alice, Role::Member, 24, 5).await.unwrap();
    revoke(&db, &alice, revoked.invite.id).await.unwrap();
    let accounts = count(&db, "account").await;
    let members = count(&db, "member").await;

    let l = limiter();
    let try_join = |t: String| {
        let l = &l;
        let db = &db;
        async move { accept(db, l, None, join(&t, "late@x.io", PASSWORD)).await.unwrap_err() }
    };
    assert_eq!(try_join(expired.token).await, AppError::InviteExpired);
    assert_eq!(try_join(used.token).await, AppError::InviteUsedUp);
    assert_eq!(try_join(revoked.token).await, AppError::InviteRevoked);
    assert_eq!(try_join("tsi_nonsense".into()).await, AppError::NotFound(Missing::Invite));
    assert_eq!(count(&db, "account").await, accounts);
    assert_eq!(count(&db, "member").await, members);

    let statuses: Vec<_> = list(&db, &alice).await.unwrap().into_iter().map(|i| i.status).collect();
    assert_eq!(statuses, [InviteStatus::Revoked, InviteStatus::UsedUp, InviteStatus::Expired]);
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn bad_acceptance_input_is_refused_before_anything_is_stored(db: PgPool) {
    let db = common::ctx(&db);
    let alice = owner(&db, "alice@x.io", "Acme").await;
    let inv = create(&db, &alice, Role::Member, 24, 5).await.unwrap();
    let l = limiter();
    let weak = accept(&db, &l, None, join(&inv.token, "new@x.io", "short")).await.unwrap_err();
    assert_eq!(weak, AppError::WeakPassword);
    let bad_email = accept(&db, &l, None, join(&inv.token, "new-at-x.io", PASSWORD)).await.unwrap_err();
    assert_eq!(bad_email.code(), "invalid_arguments");
    let mut no_name = join(&inv.token, "new@x.io", PASSWORD);
    no_name.display_name = " ".into();
    assert_eq!(accept(&db, &l, None, no_name).await.unwrap_err().code(), "invalid_arguments");
    assert_eq!(count(&db, "account").await, 1);
    assert_eq!(sqlx::query_scalar!("select uses from invite").fetch_one(&db.db).await.unwrap(), 0);
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn a_single_use_link_admits_exactly_one_of_many_concurrent_joiners(db: PgPool) {
    let db = common::ctx(&db);
    let alice = owner(&db, "alice@x.io", "Acme").await;
    let inv = create(&db, &alice, Role::Member, 24, 1).await.unwrap();
    let l = std::sync::Arc::new(limiter());
    let tasks: Vec<_> = (0..6)
        .map(|i| {
            let (db, l, token) = (db.clone(), l.clone(), inv.token.clone());
            tokio::spawn(
                async move { accept(&db, &l, None, join(&token, &format!("p{i}@x.io"), PASSWORD)).await },
            )
        })
        .collect();
    let mut ok = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(_) => ok += 1,
            Err(e) => assert_eq!(e, AppError::InviteUsedUp),
        }
    }
    assert_eq!(ok, 1);
    assert_eq!(count(&db, "member").await, 2);
    assert_eq!(count(&db, "account").await, 2);
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn only_admins_manage_invites_and_only_their_own_workspaces(db: PgPool) {
    let db = common::ctx(&db);
    let alice = owner(&db, "alice@x.io", "Acme").await;
    let inv = create(&db, &alice, Role::Member, 24, 5).await.unwrap();
    let bob = accept(&db, &limiter(), None, join(&inv.token, "bob@x.io", PASSWORD)).await.unwrap();
    assert_eq!(create(&db, &bob, Role::Member, 24, 5).await.unwrap_err(), AppError::Forbidden);
    assert_eq!(list(&db, &bob).await.unwrap_err(), AppError::Forbidden);
    assert_eq!(revoke(&db, &bob, inv.invite.id).await.unwrap_err(), AppError::Forbidden);

    let carol = owner(&db, "carol@x.io", "Carol's").await;
    assert_eq!(revoke(&db, &carol, inv.invite.id).await.unwrap_err(), AppError::NotFound(Missing::Invite));
    assert!(list(&db, &carol).await.unwrap().is_empty());

    assert_eq!(create(&db, &alice, Role::Owner, 24, 5).await.unwrap_err().code(), "invalid_arguments");
    assert_eq!(create(&db, &alice, Role::Member, 0, 5).await.unwrap_err().code(), "invalid_arguments");
    assert_eq!(create(&db, &alice, Role::Member, 24 * 31, 5).await.unwrap_err().code(), "invalid_arguments");
    assert_eq!(create(&db, &alice, Role::Member, 24, 0).await.unwrap_err().code(), "invalid_arguments");
    assert_eq!(count(&db, "invite").await, 1);
}
