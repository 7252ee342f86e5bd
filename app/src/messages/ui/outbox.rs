//! The offline outbox across restarts. A message (or thread reply) is kept in this
//! browser (IndexedDB, `window.threadspaceOutbox` in `public/pwa.js`) from the
//! moment it is sent until the server has it, so a message written offline is
//! still sent, once, when the app is next online, even if every tab was closed
//! meanwhile. Sending a kept message again is safe: it carries the same
//! `client_msg_id`, and the server stores a message once per key (a retry gets
//! the original back). A message the server refuses (archived channel, too
//! long…) is dropped from here and stays on screen with its error and "Retry".
//! Signing out wipes the outbox with the other copies on the device.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::AppError;

/// A message on its way, as kept on the device.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Kept {
    pub me: Uuid,
    pub channel: Uuid,
    pub client_msg_id: String,
    pub text: String,
    /// A thread reply: its root, and whether it also goes to the channel.
    #[serde(default)]
    pub thread_seq: Option<i64>,
    #[serde(default)]
    pub also: bool,
}

/// Keeps `k` until [`forget`] (the same key again replaces it).
pub fn keep(k: &Kept) {
    #[cfg(feature = "hydrate")]
    if let (Some((o, f)), Ok(json)) =
        (super::offline::helper("threadspaceOutbox", "put"), serde_json::to_string(k))
    {
        let _ = f.call2(&o, &k.client_msg_id.clone().into(), &json.into());
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = k;
}

/// Drops the kept message with this key.
pub fn forget(client_msg_id: &str) {
    #[cfg(feature = "hydrate")]
    if let Some((o, f)) = super::offline::helper("threadspaceOutbox", "remove") {
        let _ = f.call1(&o, &client_msg_id.into());
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = client_msg_id;
}

/// Every kept message of `me`, oldest first.
pub async fn all(me: Uuid) -> Vec<Kept> {
    #[cfg(feature = "hydrate")]
    {
        let Some((o, f)) = super::offline::helper("threadspaceOutbox", "all") else { return Vec::new() };
        let Some(promise) =
            f.call0(&o).ok().and_then(|p| wasm_bindgen::JsCast::dyn_into::<js_sys::Promise>(p).ok())
        else {
            return Vec::new();
        };
        let json = wasm_bindgen_futures::JsFuture::from(promise).await.ok().and_then(|v| v.as_string());
        let kept: Vec<Kept> = json.and_then(|j| serde_json::from_str(&j).ok()).unwrap_or_default();
        kept.into_iter().filter(|k| k.me == me).collect()
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = me;
        Vec::new()
    }
}

/// Whether the server refused the message itself (sending it again would
/// fail again), as opposed to a network failure or a busy server.
pub fn refused(e: &AppError) -> bool {
    matches!(
        e,
        AppError::NotFound(_)
            | AppError::Refused(_)
            | AppError::Invalid(_)
            | AppError::InvalidArguments(_)
            | AppError::InvalidJson(_)
            | AppError::Forbidden
            | AppError::TooLarge
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_servers_own_refusals_drop_a_kept_message() {
        assert!(refused(&AppError::InvalidArguments("text".into())));
        assert!(refused(&AppError::Forbidden));
        assert!(!refused(&AppError::Internal), "a network failure arrives as internal");
        assert!(!refused(&AppError::Unavailable { retry_after_secs: 1 }));
        assert!(!refused(&AppError::RateLimited { retry_after_secs: 1 }));
        let k = Kept {
            me: Uuid::nil(),
            channel: Uuid::nil(),
            client_msg_id: "c1".into(),
            text: "hi".into(),
            thread_seq: Some(3),
            also: true,
        };
        let back: Kept = serde_json::from_str(&serde_json::to_string(&k).unwrap()).unwrap();
        assert_eq!(back, k);
        // Kept by an older version of the app: a channel message.
        let old = r#"{"me":"00000000-0000-0000-0000-000000000000","channel":"00000000-0000-0000-0000-000000000000","client_msg_id":"c2","text":"x"}"#;
        let old: Kept = serde_json::from_str(old).unwrap();
        assert_eq!((old.thread_seq, old.also), (None, false));
    }
}
