//! Sign-up without an account-takeover path.
//!
//! Sign-up used to check the password of an existing email and sign the
//! caller in on a match: a password oracle outside the login limiter. Now
//! an existing email's password is never checked here. Whoever is signed
//! in as that account creates another workspace (it is theirs already);
//! anyone else is answered "check your email", and the address's owner is
//! mailed what happened and how to create a workspace or reset a password.
//! Every attempt takes from the IP's password budget, and one on an existing
//! address from that address's too, which also bounds how often its owner
//! is mailed.

use std::net::IpAddr;

use uuid::Uuid;

use super::actions::{add_workspace, SignupInput};
use super::Actor;
use crate::core::ctx::Ctx;
use crate::error::{AppError, AppResult, Conflict};
use crate::mail::outbox::{queue, Mail};
use crate::ratelimit::Limits;

/// What a sign-up led to.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// A new workspace, and the caller is its owner (sign them in).
    SignedUp(Actor),
    /// The email has an account the caller is not signed in to: its owner
    /// was mailed; tell the caller to check their email.
    CheckEmail,
}

/// `auth.signup` and `POST /signup`. `signed_in` is the caller's current
/// session, if any.
pub async fn signup(
    ctx: &Ctx,
    limits: &Limits,
    input: SignupInput,
    signed_in: Option<&Actor>,
    ip: Option<IpAddr>,
    public_url: &str,
) -> AppResult<Outcome> {
    let email = super::validate_email(&input.email)?;
    limits.password_ip(ip).await?;
    match super::actions::signup(ctx, input.clone()).await {
        Ok(actor) => Ok(Outcome::SignedUp(actor)),
        Err(AppError::AlreadyExists(Conflict::EmailTaken)) => {
            limits.password_account(&email).await?;
            let account: Option<Uuid> = sqlx::query_scalar("select account_id from account where email = $1")
                .bind(&email)
                .fetch_optional(&ctx.db)
                .await?;
            match (signed_in, account) {
                (Some(me), Some(account)) if me.account_id == account => {
                    let actor =
                        add_workspace(ctx, account, &input.workspace_name, &input.display_name).await?;
                    Ok(Outcome::SignedUp(actor))
                }
                _ => {
                    mail_owner(ctx, &email, public_url).await?;
                    Ok(Outcome::CheckEmail)
                }
            }
        }
        Err(e) => Err(e),
    }
}

async fn mail_owner(ctx: &Ctx, email: &str, public_url: &str) -> AppResult<()> {
    let base = public_url.trim_end_matches('/');
    let body = format!(
        "Someone (hopefully you) tried to create a ThreadSpace workspace with {email}, which already has an \
         account.\n\nTo create another workspace, sign in at {base}/login and choose \"Create a new workspace\" \
         in the workspace menu.\nForgot your password? Choose a new one at {base}/forgot.\n\nIf this was not \
         you, ignore this mail: nothing was changed and nobody was signed in.\n"
    );
    let mail = Mail {
        to: email.to_string(),
        subject: "Someone tried to sign up with your ThreadSpace address".into(),
        body,
        kind: "signup_existing",
    };
    let mut tx = ctx.begin().await?;
    queue(&mut tx, &mail).await?;
    tx.commit().await
}
