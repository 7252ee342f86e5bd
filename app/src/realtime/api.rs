//! `rtm.connect` and the `users.*Presence` Web API methods.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use super::{ConnectReply, PresenceInfo};
use crate::api::{Empty, Reply};
use crate::error::AppError;

/// Many members' presence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PresenceList {
    pub presence: Vec<PresenceInfo>,
}

/// Most members `users.presence` answers for at once.
pub const MAX_PRESENCE_USERS: usize = 1000;

/// A WebSocket URL with a single-use ticket, valid for 30 s: for clients
/// that cannot send the session cookie (bots, scripts, other apps).
#[server(prefix = "/api", endpoint = "rtm.connect", input = server_fn::codec::Json)]
pub async fn connect() -> Result<Reply<ConnectReply>, AppError> {
    let actor = crate::auth::session::require_actor().await?;
    let st = crate::state::state()?;
    let ticket = super::service::Realtime::issue_ticket(&st.db, actor.member_id, actor.credential).await?;
    let base = st.public_url.trim_end_matches('/');
    let ws = if let Some(rest) = base.strip_prefix("https://") {
        format!("wss://{rest}")
    } else {
        format!("ws://{}", base.strip_prefix("http://").unwrap_or(base))
    };
    Ok(Reply::new(ConnectReply { url: format!("{ws}/ws?ticket={ticket}") }))
}

/// Sets the caller away (`away`), or back to automatic (`auto`).
#[server(prefix = "/api", endpoint = "users.setPresence", input = server_fn::codec::Json)]
pub async fn set_presence(presence: String) -> Result<Reply<Empty>, AppError> {
    let actor = crate::auth::session::require_actor().await?;
    let st = crate::state::state()?;
    let away = match presence.as_str() {
        "away" => true,
        "auto" => false,
        _ => return Err(AppError::InvalidArguments("presence must be \"away\" or \"auto\"".into())),
    };
    crate::users::actions::set_away(&st.db, &actor, away).await?;
    st.rt.presence.announce(actor.member_id, actor.workspace_id).await;
    Ok(Reply::new(Empty {}))
}

/// One member's presence: `online`, `idle` or `offline`.
#[server(prefix = "/api", endpoint = "users.getPresence", input = server_fn::codec::Json)]
pub async fn get_presence(user: Option<String>) -> Result<Reply<PresenceInfo>, AppError> {
    let actor = crate::auth::session::require_actor().await?;
    let st = crate::state::state()?;
    let id = match user {
        Some(u) => crate::channels::parse_user_ids(&[u])?.remove(0),
        None => actor.member_id,
    };
    let known = crate::users::queries::active_ids(&st.db, &actor, &[id]).await?;
    if known.is_empty() {
        return Err(AppError::NotFound(crate::error::Missing::User));
    }
    Ok(Reply::new(st.rt.presence.info(id).await))
}

/// Many members' presence at once (unknown ids are left out).
#[server(prefix = "/api", endpoint = "users.presence", input = server_fn::codec::Json)]
pub async fn presence(users: Vec<String>) -> Result<Reply<PresenceList>, AppError> {
    let actor = crate::auth::session::require_actor().await?;
    let st = crate::state::state()?;
    if users.len() > MAX_PRESENCE_USERS {
        return Err(AppError::InvalidArguments(format!("at most {MAX_PRESENCE_USERS} users at once")));
    }
    let ids = crate::channels::parse_user_ids(&users)?;
    let known = crate::users::queries::active_ids(&st.db, &actor, &ids).await?;
    Ok(Reply::new(PresenceList { presence: st.rt.presence.many(&known).await }))
}
