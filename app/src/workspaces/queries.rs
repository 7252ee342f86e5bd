//! Reading workspaces: the ones a person belongs to, and acting in one.

use sqlx::PgPool;
use uuid::Uuid;

use super::WorkspaceSummary;
use crate::auth::{Actor, AuthVia, Role};
use crate::error::{AppError, AppResult, Missing};

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
    .ok_or(AppError::NotFound(Missing::Workspace))?;
    Ok(Actor {
        account_id: actor.account_id,
        member_id: row.member_id,
        workspace_id,
        role: Role::parse(&row.role)?,
        via: AuthVia::Session,
        credential: actor.credential,
    })
}
