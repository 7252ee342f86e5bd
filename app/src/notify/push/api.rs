//! `push.subscribe` / `push.unsubscribe`: the caller's browser devices for
//! Web Push. Only a browser session may subscribe (the device ends with the
//! session); the VAPID key to subscribe with is in `users.prefs.get`
//! (`push_key`). Both take the write budget and announce nothing.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::api::Reply;
use crate::error::AppError;

/// The keys of a `PushSubscription` (`toJSON().keys`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushKeys {
    pub p256dh: String,
    pub auth: String,
}

/// Whether a device was stored or removed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushReply {
    pub subscribed: bool,
}

/// Stores this browser's push subscription (the body of
/// `PushSubscription.toJSON()`): DMs, mentions and followed replies are
/// pushed to it while the caller has no tab open.
#[server(prefix = "/api", endpoint = "push.subscribe", input = server_fn::codec::Json)]
pub async fn subscribe(endpoint: String, keys: PushKeys) -> Result<Reply<PushReply>, AppError> {
    let actor = crate::auth::session::require_session_actor().await?;
    let st = crate::state::state()?;
    let sub = super::Subscription { endpoint, p256dh: keys.p256dh, auth: keys.auth };
    super::store::subscribe(&(&st).into(), &actor, &st.push, &sub).await?;
    Ok(Reply::new(PushReply { subscribed: true }))
}

/// Removes this browser's push subscription (by its endpoint).
#[server(prefix = "/api", endpoint = "push.unsubscribe", input = server_fn::codec::Json)]
pub async fn unsubscribe(endpoint: String) -> Result<Reply<PushReply>, AppError> {
    let actor = crate::auth::session::require_actor().await?;
    let ctx = crate::core::ctx::Ctx::current()?;
    super::store::unsubscribe(&ctx, &actor, &endpoint).await?;
    Ok(Reply::new(PushReply { subscribed: false }))
}
