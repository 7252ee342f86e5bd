//! Creating workspaces and adding members to them (inside the caller's
//! transaction: sign-up and invite acceptance own the `Tx`).

use sqlx::PgConnection;
use uuid::Uuid;

use crate::auth::Role;
use crate::db::unique_violation;
use crate::error::{AppError, AppResult, Conflict};

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
        Some("member_workspace_account_key") => AppError::AlreadyExists(Conflict::AlreadyMember),
        _ => e.into(),
    })?;
    crate::channels::actions::join_general(tx, workspace_id, id, role).await?;
    Ok(id)
}
