//! Reading accounts and members: the account behind an email (checking its
//! password), the actor for a member, and the `auth.test` view.

use sqlx::PgPool;
use uuid::Uuid;

use super::passwords::{hash_password, verify_password};
use super::{validate_password, Actor, AuthVia, Me, Role};
use crate::core::rules::{Rules, Who};
use crate::error::{AppError, AppResult};

/// The account behind an email: an existing one whose password checked out,
/// or a new one whose hash is ready to insert.
pub enum AccountPlan {
    Existing(Uuid),
    New {
        account_id: Uuid,
        password_hash: String,
    },
    /// An imported account with no password yet: claimed by setting one
    /// (only through an invite sent to its address).
    Claim {
        account_id: Uuid,
        password_hash: String,
    },
}

/// Looks up `email`. An existing account must match `password` (else
/// `wrong_password`); a new one must have a strong enough password. Hashing
/// happens here, outside any transaction.
pub async fn find_or_plan_account(
    db: &PgPool,
    email: &str,
    password: &str,
    wrong_password: AppError,
) -> AppResult<AccountPlan> {
    let existing = sqlx::query!("select account_id, password_hash from account where email = $1", email)
        .fetch_optional(db)
        .await?;
    match existing {
        Some(a) if a.password_hash == super::passwords::UNCLAIMED => {
            validate_password(password)?;
            Ok(AccountPlan::Claim {
                account_id: a.account_id,
                password_hash: hash_password(password.to_string()).await?,
            })
        }
        Some(a) => {
            if verify_password(password.to_string(), a.password_hash).await? {
                Ok(AccountPlan::Existing(a.account_id))
            } else {
                Err(wrong_password)
            }
        }
        None => {
            validate_password(password)?;
            Ok(AccountPlan::New {
                account_id: Uuid::now_v7(),
                password_hash: hash_password(password.to_string()).await?,
            })
        }
    }
}

/// The actor for an active member (a session or a WebSocket ticket named
/// them); `not_authed` once they are deactivated.
pub async fn actor_for_member(db: &PgPool, member_id: Uuid, via: AuthVia) -> AppResult<Actor> {
    let row = sqlx::query!(
        "select account_id, workspace_id, role from member where member_id = $1 and deactivated_at is null",
        member_id
    )
    .fetch_optional(db)
    .await?
    .ok_or(AppError::NotAuthed)?;
    Ok(Actor {
        account_id: row.account_id,
        member_id,
        workspace_id: row.workspace_id,
        role: Role::parse(&row.role)?,
        via,
        credential: None,
    })
}

/// The `auth.test` view of an actor.
pub async fn me(db: &PgPool, actor: &Actor) -> AppResult<Me> {
    let row = sqlx::query!(
        r#"select m.display_name, a.email, w.name as workspace_name, w.who_creates_channels,
                  w.who_archives_channels, w.broadcast_admins_over
           from member m join account a using (account_id) join workspace w using (workspace_id)
           where m.member_id = $1"#,
        actor.member_id
    )
    .fetch_one(db)
    .await?;
    Ok(Me {
        user_id: actor.member_id,
        workspace_id: actor.workspace_id,
        role: actor.role,
        display_name: row.display_name,
        email: row.email,
        workspace_name: row.workspace_name,
        rules: Rules {
            create_channels: Who::parse(&row.who_creates_channels),
            archive_channels: Who::parse(&row.who_archives_channels),
            broadcast_admins_over: row.broadcast_admins_over,
        },
    })
}
