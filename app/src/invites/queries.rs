//! Reading invites: an admin's list, and the preview an invite link shows
//! before anyone signs in.

use sqlx::PgPool;
use time::OffsetDateTime;

use super::{InviteInfo, InvitePreview, InviteStatus};
use crate::auth::secrets::hash_secret;
use crate::auth::session::require_admin;
use crate::auth::{Actor, Role};
use crate::error::{AppError, AppResult, Missing};

/// Prefix of invite tokens, so a leaked one is recognisable.
pub const TOKEN_PREFIX: &str = "tsi_";

#[derive(sqlx::FromRow)]
struct Row {
    invite_id: uuid::Uuid,
    role: String,
    uses: i32,
    max_uses: i32,
    expires_at: OffsetDateTime,
    created_at: OffsetDateTime,
    revoked_at: Option<OffsetDateTime>,
    display_name: String,
    email: Option<String>,
}

/// The workspace's invites, newest first. Owners and admins only.
pub async fn list(db: &PgPool, actor: &Actor) -> AppResult<Vec<InviteInfo>> {
    require_admin(actor)?;
    let now = OffsetDateTime::now_utc();
    let rows: Vec<Row> = sqlx::query_as(
        "select i.invite_id, i.role, i.uses, i.max_uses, i.expires_at, i.created_at, i.revoked_at, m.display_name,
                i.email
           from invite i join member m on m.member_id = i.created_by
          where i.workspace_id = $1 order by i.created_at desc limit 500",
    )
    .bind(actor.workspace_id)
    .fetch_all(db)
    .await?;
    rows.into_iter()
        .map(|r| {
            Ok(InviteInfo {
                id: r.invite_id,
                role: Role::parse(&r.role)?,
                uses: r.uses,
                max_uses: r.max_uses,
                expires_at: r.expires_at,
                created_at: r.created_at,
                created_by: r.display_name,
                status: InviteStatus::of(r.revoked_at.is_some(), r.uses, r.max_uses, r.expires_at, now),
                email: r.email,
            })
        })
        .collect()
}

#[derive(sqlx::FromRow)]
struct PreviewRow {
    workspace_name: String,
    inviter: String,
    role: String,
    uses: i32,
    max_uses: i32,
    expires_at: OffsetDateTime,
    revoked_at: Option<OffsetDateTime>,
    email: Option<String>,
}

/// What an invite link leads to, for the page that accepts it.
pub async fn preview(db: &PgPool, token: &str) -> AppResult<InvitePreview> {
    let r: PreviewRow = sqlx::query_as(
        "select w.name as workspace_name, m.display_name as inviter, i.role, i.uses, i.max_uses, i.expires_at,
                i.revoked_at, i.email
           from invite i join workspace w using (workspace_id) join member m on m.member_id = i.created_by
          where i.token_hash = $1",
    )
    .bind(hash_secret(token))
    .fetch_optional(db)
    .await?
    .ok_or(AppError::NotFound(Missing::Invite))?;
    Ok(InvitePreview {
        workspace_name: r.workspace_name,
        inviter: r.inviter,
        role: Role::parse(&r.role)?,
        status: InviteStatus::of(
            r.revoked_at.is_some(),
            r.uses,
            r.max_uses,
            r.expires_at,
            OffsetDateTime::now_utc(),
        ),
        email: r.email,
    })
}
