//! Account actions against a real database: sign-up, login, workspaces.

mod common;

use app::auth::actions::login;
use app::auth::actions::{add_workspace, signup, SignupInput};
use app::auth::{Role, MAX_PASSWORD_LEN};
use app::error::{AppError, Conflict, Missing};
use app::ratelimit::Limits;
use app::workspaces::queries as workspaces_q;
use common::{count, owner, PASSWORD};
use sqlx::PgPool;

fn input(workspace: &str, email: &str, password: &str, name: &str) -> SignupInput {
    SignupInput {
        workspace_name: workspace.into(),
        email: email.into(),
        password: password.into(),
        display_name: name.into(),
    }
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn signup_creates_a_workspace_with_its_owner(db: PgPool) {
    let db = common::ctx(&db);
    let a = signup(&db, input(" Acme ", "Alice@Example.com", PASSWORD, "Alice")).await.unwrap();
    assert_eq!(a.role, Role::Owner);
    let row = sqlx::query!(
        "select w.name, a.email, m.role, m.display_name from member m join workspace w using (workspace_id) join account a using (account_id) where m.member_id = $1",
        a.member_id
    )
    .fetch_one(&db.db)
    .await
    .unwrap();
    assert_eq!(
        (row.name.as_str(), row.email.as_str(), row.role.as_str()),
        ("Acme", "alice@example.com", "owner")
    );
    assert!(sqlx::query_scalar!("select password_hash from account")
        .fetch_one(&db.db)
        .await
        .unwrap()
        .starts_with("$argon2id$"));
    assert_eq!(count(&db, "audit_log").await, 1);
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn bad_signup_input_gets_a_clear_code_and_stores_nothing(db: PgPool) {
    let db = common::ctx(&db);
    let long = "x".repeat(81);
    let huge_pw = "p".repeat(MAX_PASSWORD_LEN + 1);
    let cases = [
        (input("", "a@x.io", PASSWORD, "A"), "invalid_arguments"),
        (input("Acme", "a@x.io", PASSWORD, "  "), "invalid_arguments"),
        (input(&long, "a@x.io", PASSWORD, "A"), "invalid_arguments"),
        (input("Acme", "a@x.io", PASSWORD, &long), "invalid_arguments"),
        (input("Acme", "not-an-email", PASSWORD, "A"), "invalid_arguments"),
        (input("Acme", "", PASSWORD, "A"), "invalid_arguments"),
        (input("Acme", "a@x.io", "short", "A"), "weak_password"),
        (input("Acme", "a@x.io", "", "A"), "weak_password"),
        (input("Acme", "a@x.io", &huge_pw, "A"), "invalid_arguments"),
    ];
    for (i, expected) in cases {
        let e = signup(&db, i.clone()).await.unwrap_err();
        assert_eq!(e.code(), expected, "{i:?}");
    }
    for t in ["account", "workspace", "member", "audit_log"] {
        assert_eq!(count(&db, t).await, 0, "{t} has rows");
    }
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn an_existing_email_cannot_sign_up_again_even_with_its_password(db: PgPool) {
    let db = common::ctx(&db);
    let first = owner(&db, "alice@x.io", "Acme").await;
    // No password oracle: right or wrong, the action refuses the same way.
    for password in ["wrong password!", PASSWORD] {
        let e = signup(&db, input("Other", "ALICE@x.io", password, "Alice")).await.unwrap_err();
        assert_eq!(e, AppError::AlreadyExists(Conflict::EmailTaken));
    }
    assert_eq!(count(&db, "workspace").await, 1);
    // The account itself (signed in) adds a workspace.
    let second = add_workspace(&db, first.account_id, "Other", "Alice").await.unwrap();
    assert_eq!(second.account_id, first.account_id);
    assert_ne!(second.workspace_id, first.workspace_id);
    assert_eq!(count(&db, "account").await, 1);
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn login_checks_the_password_without_saying_which_part_is_wrong(db: PgPool) {
    let db = common::ctx(&db);
    let alice = owner(&db, "alice@x.io", "Acme").await;
    let l = Limits::local(100, 100);
    let ok = login(&db, &l, " Alice@X.io ", PASSWORD, None, None).await.unwrap();
    assert_eq!(ok.member_id, alice.member_id);
    assert_eq!(
        login(&db, &l, "alice@x.io", "nope nope nope", None, None).await.unwrap_err(),
        AppError::InvalidCredentials
    );
    assert_eq!(
        login(&db, &l, "bob@x.io", PASSWORD, None, None).await.unwrap_err(),
        AppError::InvalidCredentials
    );
    assert_eq!(login(&db, &l, "", "", None, None).await.unwrap_err().code(), "invalid_arguments");
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn login_picks_the_requested_workspace(db: PgPool) {
    let db = common::ctx(&db);
    let acme = owner(&db, "alice@x.io", "Acme").await;
    let beta = add_workspace(&db, acme.account_id, "Beta", "Alice B").await.unwrap();
    let other = owner(&db, "carol@x.io", "Carol's").await;
    let l = Limits::local(100, 100);
    assert_eq!(
        login(&db, &l, "alice@x.io", PASSWORD, None, None).await.unwrap().workspace_id,
        acme.workspace_id
    );
    let b = login(&db, &l, "alice@x.io", PASSWORD, Some(beta.workspace_id), None).await.unwrap();
    assert_eq!(b.member_id, beta.member_id);
    let e = login(&db, &l, "alice@x.io", PASSWORD, Some(other.workspace_id), None).await.unwrap_err();
    assert_eq!(e, AppError::NotFound(Missing::Workspace));
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn login_is_rate_limited_per_account(db: PgPool) {
    let db = common::ctx(&db);
    owner(&db, "alice@x.io", "Acme").await;
    let l = Limits::local(3, 100);
    for _ in 0..3 {
        let _ = login(&db, &l, "alice@x.io", "wrong password", None, None).await;
    }
    // Even the right password is refused until the bucket refills.
    match login(&db, &l, "alice@x.io", PASSWORD, None, None).await {
        Err(AppError::RateLimited { retry_after_secs }) => assert!(retry_after_secs >= 1),
        other => panic!("expected rate_limited, got {other:?}"),
    }
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn the_switcher_lists_only_the_accounts_workspaces(db: PgPool) {
    let db = common::ctx(&db);
    let acme = owner(&db, "alice@x.io", "Acme").await;
    let beta = add_workspace(&db, acme.account_id, "Beta", "Alice").await.unwrap();
    let other = owner(&db, "carol@x.io", "Carol's").await;
    let list = workspaces_q::list_for(&db, &acme).await.unwrap();
    let names: Vec<_> = list.iter().map(|w| (w.name.as_str(), w.is_current)).collect();
    assert_eq!(names, [("Acme", true), ("Beta", false)]);
    let switched = workspaces_q::actor_in(&db, &acme, beta.workspace_id).await.unwrap();
    assert_eq!(switched.member_id, beta.member_id);
    assert_eq!(
        workspaces_q::actor_in(&db, &acme, other.workspace_id).await.unwrap_err(),
        AppError::NotFound(Missing::Workspace)
    );
}
