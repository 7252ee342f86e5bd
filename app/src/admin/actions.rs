//! Admin changes to members: roles, ownership, deactivation, and ending a
//! member's sessions or tokens. Each runs in one `Tx` that writes, audits
//! (the audit row commits with the change, or neither does) and emits:
//! `MemberUpdated` to the workspace, and `AuthRevoked` to the member's own
//! topic, which closes their matching sockets on every node with 4001.
//!
//! Owner rules: only an owner may touch an owner or make one, and the last
//! active owner can be neither demoted nor deactivated. The workspace's
//! owner rows are locked first, so two owners demoting each other at once
//! cannot leave the workspace without one.

use uuid::Uuid;

use super::Ended;
use crate::auth::actions::emit_revoked;
use crate::auth::logins::{self, Which};
use crate::auth::{Actor, Role};
use crate::core::ctx::Ctx;
use crate::core::tx::Tx;
use crate::db::audit;
use crate::error::{AppError, AppResult, Missing, Refusal};
use crate::realtime::bus::Topic;
use crate::realtime::Event;

/// The member an admin acts on, locked for the rest of the transaction.
struct Target {
    id: Uuid,
    name: String,
    role: Role,
    deactivated: bool,
}

/// Locks the workspace's active owners (always first, in id order, so
/// concurrent owner changes queue instead of deadlocking), then the target.
async fn lock(tx: &mut Tx, admin: &Actor, user: Uuid) -> AppResult<(Target, Vec<Uuid>)> {
    let owners: Vec<Uuid> = sqlx::query_scalar(
        "select member_id from member where workspace_id = $1 and role = 'owner' and deactivated_at is null
          order by member_id for update",
    )
    .bind(admin.workspace_id)
    .fetch_all(&mut **tx)
    .await?;
    let row: Option<(String, String, bool)> = sqlx::query_as(
        "select display_name, role, deactivated_at is not null from member
          where member_id = $1 and workspace_id = $2 for update",
    )
    .bind(user)
    .bind(admin.workspace_id)
    .fetch_optional(&mut **tx)
    .await?;
    let (name, role, deactivated) = row.ok_or(AppError::NotFound(Missing::User))?;
    Ok((Target { id: user, name, role: Role::parse(&role)?, deactivated }, owners))
}

/// Only owners act on owners.
fn owner_rule(admin: &Actor, t: &Target) -> AppResult<()> {
    if t.role == Role::Owner && admin.role != Role::Owner {
        return Err(AppError::Refused(Refusal::OwnerOnly));
    }
    Ok(())
}

fn announce(tx: &mut Tx, admin: &Actor, user: Uuid, role: Role, deactivated: bool) {
    tx.emit(Topic::Workspace(admin.workspace_id), Event::MemberUpdated { user, role, deactivated });
}

/// Changes a member's role. No change is no write and no event.
pub async fn set_role(ctx: &Ctx, admin: &Actor, user: Uuid, role: Role) -> AppResult<()> {
    let mut tx = ctx.begin().await?;
    let (t, owners) = lock(&mut tx, admin, user).await?;
    owner_rule(admin, &t)?;
    if role == Role::Owner && admin.role != Role::Owner {
        return Err(AppError::Refused(Refusal::OwnerOnly));
    }
    if t.deactivated {
        return Err(AppError::Refused(Refusal::IsDeactivated));
    }
    if t.role == role {
        return Ok(());
    }
    if t.role == Role::Owner && owners == [t.id] {
        return Err(AppError::Refused(Refusal::LastOwner));
    }
    sqlx::query("update member set role = $2 where member_id = $1")
        .bind(user)
        .bind(role.as_str())
        .execute(&mut *tx)
        .await?;
    let detail = serde_json::json!({"user": user, "user_name": t.name, "from": t.role, "to": role});
    audit(&mut tx, admin.workspace_id, Some(admin.member_id), "member.role_changed", detail).await?;
    announce(&mut tx, admin, user, role, false);
    tx.commit().await
}

/// Locks a member out at once: their sessions and tokens are revoked, their
/// sockets close with 4001 on every node, and sign-in to this workspace is
/// refused. Their messages stay, marked. Refused for oneself and for owners
/// unless the caller is an owner (the last owner is always refused).
pub async fn deactivate(ctx: &Ctx, admin: &Actor, user: Uuid) -> AppResult<Ended> {
    if user == admin.member_id {
        return Err(AppError::Refused(Refusal::CantDeactivateSelf));
    }
    let mut tx = ctx.begin().await?;
    let (t, owners) = lock(&mut tx, admin, user).await?;
    owner_rule(admin, &t)?;
    if t.deactivated {
        return Ok(Ended::default());
    }
    if t.role == Role::Owner && owners == [t.id] {
        return Err(AppError::Refused(Refusal::LastOwner));
    }
    sqlx::query("update member set deactivated_at = now() where member_id = $1")
        .bind(user)
        .execute(&mut *tx)
        .await?;
    let sessions = logins::revoke(&mut tx, Which::Member { member: user, keep: None }).await?;
    let tokens: Vec<Uuid> = sqlx::query_scalar(
        "update api_token set revoked_at = now() where member_id = $1 and revoked_at is null returning api_token_id",
    )
    .bind(user)
    .fetch_all(&mut *tx)
    .await?;
    sqlx::query("delete from ws_ticket where member_id = $1").bind(user).execute(&mut *tx).await?;
    let ended = Ended { sessions: sessions.len(), tokens: tokens.len() };
    let detail = serde_json::json!({"user": user, "user_name": t.name, "sessions": ended.sessions, "tokens": ended.tokens});
    audit(&mut tx, admin.workspace_id, Some(admin.member_id), "member.deactivated", detail).await?;
    let sessions = sessions.into_iter().map(|(_, s)| s).collect();
    tx.emit(Topic::Member(user), Event::AuthRevoked { sessions, tokens, all: true });
    announce(&mut tx, admin, user, t.role, true);
    tx.commit().await?;
    tracing::info!(member = %user, by = %admin.member_id, "member deactivated");
    Ok(ended)
}

/// Lets a deactivated member sign in again. Revoked sessions and tokens stay
/// revoked.
pub async fn reactivate(ctx: &Ctx, admin: &Actor, user: Uuid) -> AppResult<()> {
    let mut tx = ctx.begin().await?;
    let (t, _) = lock(&mut tx, admin, user).await?;
    owner_rule(admin, &t)?;
    if !t.deactivated {
        return Ok(());
    }
    sqlx::query("update member set deactivated_at = null where member_id = $1")
        .bind(user)
        .execute(&mut *tx)
        .await?;
    let detail = serde_json::json!({"user": user, "user_name": t.name});
    audit(&mut tx, admin.workspace_id, Some(admin.member_id), "member.reactivated", detail).await?;
    announce(&mut tx, admin, user, t.role, false);
    tx.commit().await
}

/// Makes `to` an owner and the calling owner an admin.
pub async fn transfer_ownership(ctx: &Ctx, owner: &Actor, to: Uuid) -> AppResult<()> {
    if owner.role != Role::Owner {
        return Err(AppError::Refused(Refusal::OwnerOnly));
    }
    if to == owner.member_id {
        return Err(AppError::InvalidArguments("user: you already own this workspace".into()));
    }
    let mut tx = ctx.begin().await?;
    let (t, _) = lock(&mut tx, owner, to).await?;
    if t.deactivated {
        return Err(AppError::Refused(Refusal::IsDeactivated));
    }
    sqlx::query(
        "update member set role = case when member_id = $1 then 'owner' else 'admin' end
          where member_id in ($1, $2)",
    )
    .bind(to)
    .bind(owner.member_id)
    .execute(&mut *tx)
    .await?;
    let detail = serde_json::json!({"user": to, "user_name": t.name, "from": t.role});
    audit(&mut tx, owner.workspace_id, Some(owner.member_id), "ownership.transferred", detail).await?;
    announce(&mut tx, owner, to, Role::Owner, false);
    announce(&mut tx, owner, owner.member_id, Role::Admin, false);
    tx.commit().await
}

/// The name of a member of the admin's workspace, or `user_not_found`.
/// The display name of `user`, a member of the admin's workspace whose
/// sign-ins the admin may end: an owner's only another owner may.
async fn name_of(tx: &mut Tx, admin: &Actor, user: Uuid) -> AppResult<String> {
    let (name, role): (String, String) =
        sqlx::query_as("select display_name, role from member where member_id = $1 and workspace_id = $2")
            .bind(user)
            .bind(admin.workspace_id)
            .fetch_optional(&mut **tx)
            .await?
            .ok_or(AppError::NotFound(Missing::User))?;
    if role == Role::Owner.as_str() && admin.role != Role::Owner {
        return Err(AppError::Refused(Refusal::OwnerOnly));
    }
    Ok(name)
}

/// Ends one session of a member; its pages return to sign-in.
pub async fn revoke_session(ctx: &Ctx, admin: &Actor, user: Uuid, session: Uuid) -> AppResult<()> {
    let mut tx = ctx.begin().await?;
    let name = name_of(&mut tx, admin, user).await?;
    let revoked = logins::revoke(&mut tx, Which::One { member: user, session }).await?;
    if revoked.is_empty() {
        return Err(AppError::NotFound(Missing::Session));
    }
    let detail = serde_json::json!({"user": user, "user_name": name, "sessions": 1});
    audit(&mut tx, admin.workspace_id, Some(admin.member_id), "session.revoked", detail).await?;
    emit_revoked(&mut tx, &revoked);
    tx.commit().await
}

/// Revokes one API token of a member.
pub async fn revoke_token(ctx: &Ctx, admin: &Actor, user: Uuid, token: Uuid) -> AppResult<()> {
    let mut tx = ctx.begin().await?;
    let name = name_of(&mut tx, admin, user).await?;
    let done = sqlx::query(
        "update api_token set revoked_at = now() where api_token_id = $1 and member_id = $2 and revoked_at is null",
    )
    .bind(token)
    .bind(user)
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() == 0 {
        return Err(AppError::NotFound(Missing::Token));
    }
    let detail = serde_json::json!({"user": user, "user_name": name, "api_token_id": token});
    audit(&mut tx, admin.workspace_id, Some(admin.member_id), "token.revoked", detail).await?;
    tx.emit(Topic::Member(user), Event::AuthRevoked { sessions: vec![], tokens: vec![token], all: false });
    tx.commit().await
}
