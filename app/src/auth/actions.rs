//! Creating accounts: sign-up (a workspace and its owner, in one `Tx` that
//! announces the owner joining #general) and the account row itself.

use sqlx::PgPool;
use uuid::Uuid;

use super::queries::{find_or_plan_account, AccountPlan};
use super::{validate_email, validate_name, validate_password, Actor, AuthVia, Role};
use crate::core::ctx::Ctx;
use crate::db::{audit, unique_violation};
use crate::error::{AppError, AppResult, Conflict};
use crate::workspaces::actions as workspaces;

/// Validated sign-up fields.
#[derive(Debug, Clone)]
pub struct SignupInput {
    pub workspace_name: String,
    pub email: String,
    pub password: String,
    pub display_name: String,
}

/// Creates a workspace and its owner. An existing account may sign up again
/// (to create another workspace) only with its correct password.
pub async fn signup(ctx: &Ctx, input: SignupInput) -> AppResult<Actor> {
    let db: &PgPool = ctx;
    let workspace_name = validate_name("workspace_name", &input.workspace_name)?;
    let display_name = validate_name("display_name", &input.display_name)?;
    let email = validate_email(&input.email)?;
    validate_password(&input.password)?;

    let account =
        find_or_plan_account(db, &email, &input.password, AppError::AlreadyExists(Conflict::EmailTaken))
            .await?;
    let mut tx = ctx.begin().await?;
    let account_id = account.ensure(&mut tx, &email).await?;
    let workspace_id = workspaces::create(&mut tx, &workspace_name).await?;
    let member_id =
        workspaces::add_member(&mut tx, workspace_id, account_id, Role::Owner, &display_name).await?;
    audit(&mut tx, workspace_id, Some(member_id), "workspace.created", serde_json::json!({})).await?;
    tx.commit().await?;
    tracing::info!(%workspace_id, %member_id, "workspace created");
    Ok(Actor { account_id, member_id, workspace_id, role: Role::Owner, via: AuthVia::Session })
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
