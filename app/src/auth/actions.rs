//! Accounts and sign-ins: sign-up (a workspace and its owner, in one `Tx`
//! that announces the owner joining #general), the account row, login
//! (failures audited), signing out, revoking one's own sessions and
//! changing one's password. Revoking a session or token emits
//! `AuthRevoked` to its member, and the sockets it opened close with 4001.

use sqlx::PgPool;
use uuid::Uuid;

use super::logins::{self, Which};
use super::passwords::{hash_password, verify_password, DUMMY_HASH};
use super::queries::AccountPlan;
use super::{validate_email, validate_name, validate_password, Actor, AuthVia, Role};
use crate::core::ctx::Ctx;
use crate::core::tx::Tx;
use crate::db::{audit, unique_violation};
use crate::error::{AppError, AppResult, Conflict, Missing};
use crate::realtime::bus::Topic;
use crate::realtime::Event;
use crate::workspaces::actions as workspaces;

/// Validated sign-up fields.
#[derive(Debug, Clone)]
pub struct SignupInput {
    pub workspace_name: String,
    pub email: String,
    pub password: String,
    pub display_name: String,
}

/// Creates a workspace and its owner, for an email with no account yet. An
/// existing email is `email_taken` *without* its password being checked
/// (the same hashing work is done, so timing does not tell either):
/// [`super::signup::signup`] decides what the caller is told.
pub async fn signup(ctx: &Ctx, input: SignupInput) -> AppResult<Actor> {
    let db: &PgPool = ctx;
    let workspace_name = validate_name("workspace_name", &input.workspace_name)?;
    let display_name = validate_name("display_name", &input.display_name)?;
    let email = validate_email(&input.email)?;
    validate_password(&input.password)?;
    let password_hash = hash_password(input.password.clone()).await?;
    let existing: Option<Uuid> = sqlx::query_scalar("select account_id from account where email = $1")
        .bind(&email)
        .fetch_optional(db)
        .await?;
    if existing.is_some() {
        return Err(AppError::AlreadyExists(Conflict::EmailTaken));
    }
    let account_id = Uuid::now_v7();
    let mut tx = ctx.begin().await?;
    insert_account(&mut tx, account_id, &email, &password_hash).await?;
    let actor = own_workspace(&mut tx, account_id, &workspace_name, &display_name).await?;
    tx.commit().await?;
    Ok(actor)
}

/// A signed-in account creates another workspace of its own.
pub async fn add_workspace(
    ctx: &Ctx,
    account_id: Uuid,
    workspace_name: &str,
    display_name: &str,
) -> AppResult<Actor> {
    let workspace_name = validate_name("workspace_name", workspace_name)?;
    let display_name = validate_name("display_name", display_name)?;
    let mut tx = ctx.begin().await?;
    let actor = own_workspace(&mut tx, account_id, &workspace_name, &display_name).await?;
    tx.commit().await?;
    Ok(actor)
}

/// The workspace, its owner membership (joining #general, announced) and
/// the audit entry, in the caller's transaction.
async fn own_workspace(
    tx: &mut Tx,
    account_id: Uuid,
    workspace_name: &str,
    display_name: &str,
) -> AppResult<Actor> {
    let workspace_id = workspaces::create(tx, workspace_name).await?;
    let member_id = workspaces::add_member(tx, workspace_id, account_id, Role::Owner, display_name).await?;
    audit(tx, workspace_id, Some(member_id), "workspace.created", serde_json::json!({})).await?;
    tracing::info!(%workspace_id, %member_id, "workspace created");
    Ok(Actor {
        account_id,
        member_id,
        workspace_id,
        role: Role::Owner,
        via: AuthVia::Session,
        credential: None,
    })
}

impl AccountPlan {
    /// Inserts the account if it is new; returns its id either way.
    pub async fn ensure(self, tx: &mut sqlx::PgConnection, email: &str) -> AppResult<Uuid> {
        match self {
            AccountPlan::Existing(id) => Ok(id),
            AccountPlan::New { account_id, password_hash } => {
                insert_account(tx, account_id, email, &password_hash).await?;
                Ok(account_id)
            }
            AccountPlan::Claim { account_id, password_hash } => {
                let claimed = sqlx::query(
                    "update account set password_hash = $2 where account_id = $1 and password_hash = $3",
                )
                .bind(account_id)
                .bind(&password_hash)
                .bind(super::passwords::UNCLAIMED)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if claimed == 1 {
                    Ok(account_id)
                } else {
                    // Claimed by someone else a moment ago.
                    Err(AppError::InvalidCredentials)
                }
            }
        }
    }
}

/// Inserts an account row. A concurrent registration of the same email
/// surfaces as `email_taken`.
pub async fn insert_account(
    tx: &mut sqlx::PgConnection,
    account_id: Uuid,
    email: &str,
    password_hash: &str,
) -> AppResult<()> {
    sqlx::query!(
        "insert into account (account_id, email, password_hash) values ($1, $2, $3)",
        account_id,
        email,
        password_hash
    )
    .execute(tx)
    .await
    .map_err(|e| match unique_violation(&e).as_deref() {
        Some("account_email_key") => AppError::AlreadyExists(Conflict::EmailTaken),
        _ => e.into(),
    })?;
    Ok(())
}

/// Checks credentials and picks the member to act as: the given workspace, or
/// the account's oldest active membership. Rate-limited per account and IP.
pub async fn login(
    db: &PgPool,
    limiter: &crate::ratelimit::Limits,
    email: &str,
    password: &str,
    workspace_id: Option<Uuid>,
    ip: Option<std::net::IpAddr>,
) -> AppResult<Actor> {
    if email.trim().is_empty() || password.is_empty() {
        return Err(AppError::InvalidArguments("email and password are required".into()));
    }
    if password.chars().count() > super::MAX_PASSWORD_LEN || email.len() > super::MAX_EMAIL_LEN {
        return Err(AppError::InvalidCredentials);
    }
    let email = email.trim().to_lowercase();
    limiter.password(&email, ip).await?;

    let account = sqlx::query!("select account_id, password_hash from account where email = $1", email)
        .fetch_optional(db)
        .await?;
    let Some(account) = account else {
        verify_password(password.to_string(), DUMMY_HASH.to_string()).await?;
        return Err(AppError::InvalidCredentials);
    };
    if !verify_password(password.to_string(), account.password_hash).await? {
        failed_sign_in(db, account.account_id, ip).await?;
        return Err(AppError::InvalidCredentials);
    }
    let member = sqlx::query!(
        r#"select member_id, workspace_id, role from member
           where account_id = $1 and deactivated_at is null
             and ($2::uuid is null or workspace_id = $2)
           order by created_at limit 1"#,
        account.account_id,
        workspace_id
    )
    .fetch_optional(db)
    .await?
    .ok_or(AppError::NotFound(Missing::Workspace))?;
    Ok(Actor {
        account_id: account.account_id,
        member_id: member.member_id,
        workspace_id: member.workspace_id,
        role: Role::parse(&member.role)?,
        via: AuthVia::Session,
        credential: None,
    })
}

/// Notes a wrong password in the audit log of every workspace the account
/// is in (the login limiter bounds how often this can run).
async fn failed_sign_in(db: &PgPool, account: Uuid, ip: Option<std::net::IpAddr>) -> AppResult<()> {
    let ip = ip.map(|i| i.to_string()).unwrap_or_default();
    sqlx::query(
        "insert into audit_log (workspace_id, actor_member_id, action, detail)
         select workspace_id, member_id, 'auth.sign_in_failed', jsonb_build_object('ip', $2::text)
           from member where account_id = $1 and deactivated_at is null",
    )
    .bind(account)
    .bind(ip)
    .execute(db)
    .await?;
    Ok(())
}

/// Queues the event that closes the sockets opened with these sessions.
pub fn emit_revoked(tx: &mut Tx, revoked: &[(Uuid, Uuid)]) {
    let mut members: Vec<Uuid> = revoked.iter().map(|(m, _)| *m).collect();
    members.sort();
    members.dedup();
    for m in members {
        let sessions = revoked.iter().filter(|(x, _)| *x == m).map(|(_, s)| *s).collect();
        tx.emit(Topic::Member(m), Event::AuthRevoked { sessions, tokens: vec![], all: false });
    }
}

/// Ends the caller's browser session (`auth.logout`).
pub async fn sign_out(ctx: &Ctx, actor: &Actor) -> AppResult<()> {
    let Some(session) = actor.credential.filter(|_| actor.via == AuthVia::Session) else {
        return Ok(());
    };
    let mut tx = ctx.begin().await?;
    let revoked = logins::revoke(&mut tx, Which::One { member: actor.member_id, session }).await?;
    audit(&mut tx, actor.workspace_id, Some(actor.member_id), "auth.signed_out", serde_json::json!({}))
        .await?;
    emit_revoked(&mut tx, &revoked);
    tx.commit().await
}

/// Signs out one of the caller's own sessions (`auth.sessions.revoke`), or
/// every other one (`session` omitted). Returns how many ended.
pub async fn revoke_own_sessions(ctx: &Ctx, actor: &Actor, session: Option<Uuid>) -> AppResult<usize> {
    let mut tx = ctx.begin().await?;
    let revoked = match session {
        Some(s) => {
            let r = logins::revoke(&mut tx, Which::One { member: actor.member_id, session: s }).await?;
            if r.is_empty() {
                return Err(AppError::NotFound(Missing::Session));
            }
            r
        }
        None => {
            let keep = actor.credential.filter(|_| actor.via == AuthVia::Session);
            logins::revoke(&mut tx, Which::Member { member: actor.member_id, keep }).await?
        }
    };
    let detail = serde_json::json!({"sessions": revoked.len()});
    audit(&mut tx, actor.workspace_id, Some(actor.member_id), "session.revoked", detail).await?;
    emit_revoked(&mut tx, &revoked);
    tx.commit().await?;
    Ok(revoked.len())
}

/// Changes the caller's password; the current one must be given. Every
/// other session of the account, in every workspace, is signed out.
/// Password checks are rate-limited like logins.
pub async fn change_password(
    ctx: &Ctx,
    limiter: &crate::ratelimit::Limits,
    actor: &Actor,
    current: &str,
    new: &str,
    ip: Option<std::net::IpAddr>,
) -> AppResult<usize> {
    validate_password(new)?;
    if current.chars().count() > super::MAX_PASSWORD_LEN {
        return Err(AppError::InvalidCredentials);
    }
    let (email, hash): (String, String) =
        sqlx::query_as("select email, password_hash from account where account_id = $1")
            .bind(actor.account_id)
            .fetch_one(&ctx.db)
            .await?;
    // The same buckets as login: this is a password check too.
    limiter.password(&email, ip).await?;
    if !verify_password(current.to_string(), hash).await? {
        failed_sign_in(ctx, actor.account_id, ip).await?;
        return Err(AppError::InvalidCredentials);
    }
    let new_hash = hash_password(new.to_string()).await?;
    let mut tx = ctx.begin().await?;
    sqlx::query("update account set password_hash = $2 where account_id = $1")
        .bind(actor.account_id)
        .bind(new_hash)
        .execute(&mut *tx)
        .await?;
    let keep = actor.credential.filter(|_| actor.via == AuthVia::Session);
    let revoked = logins::revoke(&mut tx, Which::AccountExcept { account: actor.account_id, keep }).await?;
    let detail = serde_json::json!({"other_sessions_ended": revoked.len()});
    audit(&mut tx, actor.workspace_id, Some(actor.member_id), "auth.password_changed", detail).await?;
    emit_revoked(&mut tx, &revoked);
    tx.commit().await?;
    Ok(revoked.len())
}
