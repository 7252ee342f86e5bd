//! Server-only workspace actions.

use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use super::WorkspaceSummary;
use crate::auth::{Actor, AuthVia, Role};
use crate::db::unique_violation;
use crate::error::{AppError, AppResult};

/// Inserts a workspace and its #general; the caller adds its owner in the same transaction.
pub async fn create(tx: &mut PgConnection, name: &str) -> AppResult<Uuid> {
    let id = Uuid::now_v7();
    sqlx::query!("insert into workspace (workspace_id, name) values ($1, $2)", id, name)
        .execute(&mut *tx)
        .await?;
    crate::channels::actions::create_general(tx, id).await?;
    Ok(id)
}

/// Adds an account to a workspace (and to #general, unless a guest).
/// `already_member` if it is in there already.
pub async fn add_member(
    tx: &mut crate::core::tx::Tx,
    workspace_id: Uuid,
    account_id: Uuid,
    role: Role,
    display_name: &str,
) -> AppResult<Uuid> {
    let id = Uuid::now_v7();
    sqlx::query!(
        "insert into member (member_id, workspace_id, account_id, role, display_name) values ($1, $2, $3, $4, $5)",
        id,
        workspace_id,
        account_id,
        role.as_str(),
        display_name
    )
    .execute(&mut **tx)
    .await
    .map_err(|e| match unique_violation(&e).as_deref() {
        Some("member_workspace_account_key") => AppError::AlreadyExists("already_member"),
        _ => e.into(),
    })?;
    crate::channels::actions::join_general(tx, workspace_id, id, role).await?;
    Ok(id)
}

/// The workspaces the actor's account is an active member of.
pub async fn list_for(db: &PgPool, actor: &Actor) -> AppResult<Vec<WorkspaceSummary>> {
    let rows = sqlx::query!(
        r#"select w.workspace_id, w.name, m.role from member m join workspace w using (workspace_id)
           where m.account_id = $1 and m.deactivated_at is null order by lower(w.name), w.workspace_id"#,
        actor.account_id
    )
    .fetch_all(db)
    .await?;
    rows.into_iter()
        .map(|r| {
            Ok(WorkspaceSummary {
                id: r.workspace_id,
                name: r.name,
                role: Role::parse(&r.role)?,
                is_current: r.workspace_id == actor.workspace_id,
            })
        })
        .collect()
}

/// The actor of the same account in another workspace, for switching.
/// A workspace the account is not in is `workspace_not_found`.
pub async fn actor_in(db: &PgPool, actor: &Actor, workspace_id: Uuid) -> AppResult<Actor> {
    let row = sqlx::query!(
        "select member_id, role from member where account_id = $1 and workspace_id = $2 and deactivated_at is null",
        actor.account_id,
        workspace_id
    )
    .fetch_optional(db)
    .await?
    .ok_or(AppError::NotFound("workspace_not_found"))?;
    Ok(Actor {
        account_id: actor.account_id,
        member_id: row.member_id,
        workspace_id,
        role: Role::parse(&row.role)?,
        via: AuthVia::Session,
    })
}
