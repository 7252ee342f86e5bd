//! `threads.list` and `threads.mark` (following is in `notify::api`).

use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::ThreadItem;
use crate::api::{Empty, Reply};
use crate::error::AppError;

/// A page of followed threads.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ThreadList {
    pub threads: Vec<ThreadItem>,
}

/// The threads the caller follows, newest reply first (`limit` 1–100, default
/// 50; `before`: the last `last_reply_at` of the previous page).
#[server(prefix = "/api", endpoint = "threads.list", input = server_fn::codec::Json)]
pub async fn list(limit: Option<i64>, before: Option<String>) -> Result<Reply<ThreadList>, AppError> {
    let before = before
        .map(|b| time::OffsetDateTime::parse(&b, &time::format_description::well_known::Rfc3339))
        .transpose()
        .map_err(|_| AppError::InvalidArguments("before must be an RFC 3339 time".into()))?;
    let actor = crate::auth::session::require_actor().await?;
    let st = crate::state::state()?;
    Ok(Reply::new(ThreadList { threads: super::queries::list(&st.db, &actor, limit, before).await? }))
}

/// The caller has read a followed thread up to reply `seq`.
#[server(prefix = "/api", endpoint = "threads.mark", input = server_fn::codec::Json)]
pub async fn mark(channel: Uuid, thread_seq: i64, seq: i64) -> Result<Reply<Empty>, AppError> {
    let actor = crate::auth::session::require_actor().await?;
    let ctx = crate::core::ctx::Ctx::current()?;
    super::queries::mark(&ctx, &actor, channel, thread_seq, seq).await?;
    Ok(Reply::new(Empty {}))
}
