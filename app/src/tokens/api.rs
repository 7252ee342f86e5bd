//! `tokens.*` Web API methods.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::TokenInfo;
use crate::api::{Empty, Reply};
use crate::error::AppError;

/// Result of `tokens.create`: the secret, shown only this once.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CreatedToken {
    pub token: String,
    pub info: TokenInfo,
}

/// Result of `tokens.list`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TokenList {
    pub tokens: Vec<TokenInfo>,
}

/// Creates a personal API token. Omit `expires_in_days` for no expiry.
#[server(prefix = "/api", endpoint = "tokens.create", input = server_fn::codec::Json)]
pub async fn create(label: String, expires_in_days: Option<i64>) -> Result<Reply<CreatedToken>, AppError> {
    // A leaked token must not mint more (and outlive its own revocation).
    let actor = crate::auth::session::require_session_actor().await?;
    let st = crate::state::state()?;
    let (info, token) = super::actions::create(&st.db, &actor, &label, expires_in_days).await?;
    Ok(Reply::new(CreatedToken { token, info }))
}

/// Lists the caller's live tokens (prefixes and labels only).
#[server(prefix = "/api", endpoint = "tokens.list", input = server_fn::codec::Json)]
pub async fn list() -> Result<Reply<TokenList>, AppError> {
    let actor = crate::auth::session::require_actor().await?;
    let st = crate::state::state()?;
    Ok(Reply::new(TokenList { tokens: super::queries::list(&st.db, &actor).await? }))
}

/// Revokes one of the caller's tokens.
#[server(prefix = "/api", endpoint = "tokens.revoke", input = server_fn::codec::Json)]
pub async fn revoke(token: Uuid) -> Result<Reply<Empty>, AppError> {
    let actor = crate::auth::session::require_actor().await?;
    super::actions::revoke(&crate::core::ctx::Ctx::current()?, &actor, token).await?;
    Ok(Reply::new(Empty {}))
}
