//! Creating, revoking and accepting invites. Accepting one joins the new
//! member to the workspace and #general in one `Tx`, which announces
//! `member_joined`; creating and revoking are silent (admins' own lists).

use sqlx::PgPool;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use super::queries::{preview, TOKEN_PREFIX};
use super::{InviteInfo, InviteStatus, MAX_EXPIRES_IN_HOURS, MAX_USES};
use crate::auth::queries::find_or_plan_account;
use crate::auth::secrets::{hash_secret, new_secret};
use crate::auth::session::require_admin;
use crate::auth::{validate_email, validate_name, Actor, AuthVia, Role};
use crate::db::audit;
use crate::error::{AppError, AppResult, Missing, Refusal};
use crate::mail::outbox::{queue, Mail};
use crate::workspaces::actions as workspaces;

/// A freshly created invite: the only time its link exists in clear.
#[derive(Debug)]
pub struct Created {
    pub invite: InviteInfo,
    pub token: String,
}

/// Creates an invite link. Owners and admins only; nobody can invite an owner.
pub async fn create(
    db: &PgPool,
    actor: &Actor,
    role: Role,
    expires_in_hours: i64,
    max_uses: i32,
) -> AppResult<Created> {
    let mut tx = db.begin().await?;
    let created = insert(&mut tx, actor, role, expires_in_hours, max_uses, None).await?;
    tx.commit().await?;
    Ok(created)
}

/// Invites one person by email: a single-use invite for that address,
/// mailed (through the mail queue, in the same transaction) with its link.
pub async fn send_by_email(
    db: &PgPool,
    actor: &Actor,
    role: Role,
    expires_in_hours: i64,
    email: &str,
    public_url: &str,
) -> AppResult<Created> {
    let email = validate_email(email)?;
    let mut tx = db.begin().await?;
    let created = insert(&mut tx, actor, role, expires_in_hours, 1, Some(&email)).await?;
    let (workspace, inviter): (String, String) = sqlx::query_as(
        "select w.name, m.display_name from workspace w join member m using (workspace_id) where m.member_id = $1",
    )
    .bind(actor.member_id)
    .fetch_one(&mut *tx)
    .await?;
    let url = format!("{}/invite/{}", public_url.trim_end_matches('/'), created.token);
    let body = format!(
        "{inviter} invited you to join {workspace} on ThreadSpace.\n\n\
         Open this link to join (it works once, for {email}, until {}):\n\n{url}\n\n\
         If you were not expecting this, ignore this mail.\n",
        crate::api::format_datetime(created.invite.expires_at)
    );
    let mail =
        Mail { to: email.clone(), subject: format!("Join {workspace} on ThreadSpace"), body, kind: "invite" };
    queue(&mut tx, &mail).await?;
    tx.commit().await?;
    Ok(created)
}

/// Writes an invite (and its audit entry) in the caller's transaction.
async fn insert(
    tx: &mut sqlx::PgConnection,
    actor: &Actor,
    role: Role,
    expires_in_hours: i64,
    max_uses: i32,
    email: Option<&str>,
) -> AppResult<Created> {
    require_admin(actor)?;
    if role == Role::Owner {
        return Err(AppError::InvalidArguments("invites cannot grant the owner role".into()));
    }
    if !(1..=MAX_EXPIRES_IN_HOURS).contains(&expires_in_hours) {
        return Err(AppError::InvalidArguments(format!(
            "expires_in_hours must be between 1 and {MAX_EXPIRES_IN_HOURS}"
        )));
    }
    if !(1..=MAX_USES).contains(&max_uses) {
        return Err(AppError::InvalidArguments(format!("max_uses must be between 1 and {MAX_USES}")));
    }
    let (token, hash) = new_secret(TOKEN_PREFIX);
    let id = Uuid::now_v7();
    let expires_at = OffsetDateTime::now_utc() + Duration::hours(expires_in_hours);
    let (created_at, created_by): (OffsetDateTime, String) = sqlx::query_as(
        "insert into invite (invite_id, workspace_id, created_by, role, token_hash, expires_at, max_uses, email)
         values ($1, $2, $3, $4, $5, $6, $7, $8)
         returning created_at, (select display_name from member where member_id = $3)",
    )
    .bind(id)
    .bind(actor.workspace_id)
    .bind(actor.member_id)
    .bind(role.as_str())
    .bind(hash)
    .bind(expires_at)
    .bind(max_uses)
    .bind(email)
    .fetch_one(&mut *tx)
    .await?;
    let mut detail = serde_json::json!({"invite_id": id, "role": role.as_str()});
    if let Some(e) = email {
        detail["email"] = e.into();
    }
    audit(tx, actor.workspace_id, Some(actor.member_id), "invite.created", detail).await?;
    Ok(Created {
        invite: InviteInfo {
            id,
            role,
            uses: 0,
            max_uses,
            expires_at,
            created_at,
            created_by,
            status: InviteStatus::Active,
            email: email.map(str::to_string),
        },
        token,
    })
}

/// Revokes an invite of the actor's workspace. Revoking twice is harmless.
pub async fn revoke(db: &PgPool, actor: &Actor, invite: Uuid) -> AppResult<()> {
    require_admin(actor)?;
    let mut tx = db.begin().await?;
    let done = sqlx::query!(
        "update invite set revoked_at = coalesce(revoked_at, now()) where invite_id = $1 and workspace_id = $2",
        invite,
        actor.workspace_id
    )
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() == 0 {
        return Err(AppError::NotFound(Missing::Invite));
    }
    audit(
        &mut tx,
        actor.workspace_id,
        Some(actor.member_id),
        "invite.revoked",
        serde_json::json!({"invite_id": invite}),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

fn status_error(status: InviteStatus) -> AppResult<()> {
    match status {
        InviteStatus::Active => Ok(()),
        InviteStatus::Expired => Err(AppError::InviteExpired),
        InviteStatus::UsedUp => Err(AppError::InviteUsedUp),
        InviteStatus::Revoked => Err(AppError::InviteRevoked),
    }
}

/// Fields of an invite acceptance.
#[derive(Debug, Clone)]
pub struct AcceptInput {
    pub token: String,
    pub email: String,
    pub password: String,
    pub display_name: String,
}

/// Joins the invite's workspace, creating the account or proving an existing
/// one with its password. The use is counted under a row lock, so a link with
/// N uses admits exactly N people however many try at once.
/// Every attempt counts against the login rate limit (it may check a password).
pub async fn accept(
    ctx: &crate::core::ctx::Ctx,
    limiter: &crate::ratelimit::Limits,
    ip: Option<std::net::IpAddr>,
    input: AcceptInput,
) -> AppResult<Actor> {
    let db: &PgPool = ctx;
    let display_name = validate_name("display_name", &input.display_name)?;
    let email = validate_email(&input.email)?;
    // Fail fast, before any hashing, on links that cannot work.
    status_error(preview(db, &input.token).await?.status)?;

    limiter.password(&email, ip).await?;
    let account = find_or_plan_account(db, &email, &input.password, AppError::InvalidCredentials).await?;

    let mut tx = ctx.begin().await?;
    let inv = sqlx::query!(
        "select invite_id, workspace_id, role, uses, max_uses, expires_at, revoked_at from invite where token_hash = $1 for update",
        hash_secret(&input.token)
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(AppError::NotFound(Missing::Invite))?;
    status_error(InviteStatus::of(
        inv.revoked_at.is_some(),
        inv.uses,
        inv.max_uses,
        inv.expires_at,
        OffsetDateTime::now_utc(),
    ))?;
    // An invite by email is for that address; a link, for the workspace's
    // sign-up domains when it has chosen some.
    let (invited, domains): (Option<String>, Vec<String>) = sqlx::query_as(
        "select i.email, w.signup_domains from invite i join workspace w using (workspace_id) where i.invite_id = $1",
    )
    .bind(inv.invite_id)
    .fetch_one(&mut *tx)
    .await?;
    match invited {
        Some(to) if !to.eq_ignore_ascii_case(&email) => {
            return Err(AppError::Refused(Refusal::InviteForAnotherEmail));
        }
        None if !super::domain_allowed(&email, &domains) => {
            return Err(AppError::Refused(Refusal::DomainNotAllowed));
        }
        _ => {}
    }
    // An imported account (no password yet) is claimed only through an
    // invite sent to its own address: that proves the mailbox is theirs.
    let claim = matches!(account, crate::auth::queries::AccountPlan::Claim { .. });
    if claim && !invited.as_deref().is_some_and(|to| to.eq_ignore_ascii_case(&email)) {
        return Err(AppError::InvalidCredentials);
    }
    let account_id = account.ensure(&mut tx, &email).await?;
    let role = Role::parse(&inv.role)?;
    // Someone an import created here (deactivated, with their history) is
    // that member again, whether they claimed the account or had one.
    let imported = imported_member(&mut tx, inv.workspace_id, account_id).await?;
    let member_id = match imported {
        Some(id) => {
            // The imported person (deactivated, with their history) comes alive.
            sqlx::query(
                "update member set deactivated_at = null, role = $2, display_name = $3 where member_id = $1",
            )
            .bind(id)
            .bind(role.as_str())
            .bind(&display_name)
            .execute(&mut *tx)
            .await?;
            crate::channels::actions::join_general(&mut tx, inv.workspace_id, id, role).await?;
            let ev = crate::realtime::Event::MemberUpdated { user: id, role, deactivated: false };
            tx.emit(crate::realtime::bus::Topic::Workspace(inv.workspace_id), ev);
            id
        }
        None => workspaces::add_member(&mut tx, inv.workspace_id, account_id, role, &display_name).await?,
    };
    sqlx::query!("update invite set uses = uses + 1 where invite_id = $1", inv.invite_id)
        .execute(&mut *tx)
        .await?;
    audit(
        &mut tx,
        inv.workspace_id,
        Some(member_id),
        "invite.accepted",
        serde_json::json!({"invite_id": inv.invite_id}),
    )
    .await?;
    tx.commit().await?;
    Ok(Actor {
        account_id,
        member_id,
        workspace_id: inv.workspace_id,
        role,
        via: AuthVia::Session,
        credential: None,
    })
}

/// The deactivated member an import made for `account` in the workspace.
async fn imported_member(
    tx: &mut sqlx::PgConnection,
    workspace: uuid::Uuid,
    account: uuid::Uuid,
) -> AppResult<Option<uuid::Uuid>> {
    Ok(sqlx::query_scalar(
        "select m.member_id from member m join import_person i using (member_id)
          where m.workspace_id = $1 and m.account_id = $2 and m.deactivated_at is not null limit 1",
    )
    .bind(workspace)
    .bind(account)
    .fetch_optional(tx)
    .await?)
}
