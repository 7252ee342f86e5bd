//! Web Push: DMs, mentions, keywords and followed replies reach a member's
//! devices while no tab of theirs is open (issue 15).
//!
//! - The browser subscribes with the node's VAPID public key (generated at
//!   first start into the data directory) and hands the subscription to
//!   `push.subscribe` ([`api`]). It belongs to the browser session that made
//!   it: signing out or a revoked session removes it ([`store::forget_sessions`]).
//! - A send queues one `push_outbox` row when anyone in the conversation has
//!   a subscription ([`store::queue`]); nothing per reader is done then.
//! - Every node runs a [`send::Pusher`]: it takes rows with `skip locked`,
//!   and for each reader with a subscription who is offline (no socket on any
//!   node: a tab would have notified them, so nothing seen in a tab is pushed)
//!   and has not read the message, applies the same rule the tabs apply
//!   ([`super::rules::decide`]), encrypts the payload for each device
//!   (RFC 8291, `aes128gcm`), signs it (RFC 8292 VAPID) and posts it. A push
//!   service answering 404 or 410 means the subscription is gone: its row is
//!   deleted.
//!
//! A hostile member could hand in an endpoint on the server's own network
//! (SSRF): only the browsers' push services are accepted, plus prefixes an
//! operator adds with `THREADSPACE_PUSH_ENDPOINTS` ([`PushConfig::allows`]).

pub mod api;
#[cfg(feature = "ssr")]
pub mod send;
#[cfg(feature = "ssr")]
pub mod store;

use serde::{Deserialize, Serialize};

/// The hosts of the browsers' push services (Chrome/Edge/Opera, Firefox,
/// Safari, Windows), matched as the whole host or a subdomain, over https.
pub const PUSH_SERVICES: &[&str] = &[
    "fcm.googleapis.com",
    "android.googleapis.com",
    "push.services.mozilla.com",
    "push.apple.com",
    "notify.windows.com",
];

/// Most devices a member may have subscribed at once; a new one replaces the oldest.
pub const MAX_DEVICES: i64 = 10;

/// Where pushes may go and the key browsers subscribe with.
#[derive(Debug, Clone, Default)]
pub struct PushConfig {
    /// The VAPID public key: an uncompressed P-256 point, base64url without padding.
    pub public_key: String,
    /// Extra endpoint prefixes an operator allows (`THREADSPACE_PUSH_ENDPOINTS`).
    pub extra: Vec<String>,
}

impl PushConfig {
    /// Whether a subscription's endpoint is a push service this server posts to.
    pub fn allows(&self, endpoint: &str) -> bool {
        if self.extra.iter().any(|p| !p.is_empty() && endpoint.starts_with(p.as_str())) {
            return true;
        }
        let Ok(uri) = endpoint.parse::<http::Uri>() else { return false };
        let (Some("https"), Some(host)) = (uri.scheme_str(), uri.host()) else { return false };
        uri.port().is_none() && PUSH_SERVICES.iter().any(|s| host == *s || host.ends_with(&format!(".{s}")))
    }
}

/// What a push carries, read by the service worker (`public/sw.js`). Kept
/// under the 4 KB push services accept: the body is cut to 180 characters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Payload {
    pub title: String,
    pub body: String,
    /// The message's permalink, opened on click.
    pub url: String,
    /// One notification per conversation: a newer one replaces it.
    pub tag: String,
}

/// The subscription as `PushSubscription.toJSON()` gives it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subscription {
    pub endpoint: String,
    /// The browser's P-256 public key (65 bytes, base64url).
    pub p256dh: String,
    /// The 16-byte authentication secret (base64url).
    pub auth: String,
}

/// Decodes base64url with or without padding.
pub fn b64url(s: &str) -> Option<Vec<u8>> {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(s.trim_end_matches('=')).ok()
}

impl Subscription {
    /// Checks the shapes (the pusher would fail on them later): an allowed
    /// endpoint, a 65-byte uncompressed key and a 16-byte secret.
    pub fn validate(&self, cfg: &PushConfig) -> Result<(), String> {
        if self.endpoint.len() > 1024 || !cfg.allows(&self.endpoint) {
            return Err("endpoint is not a known push service".into());
        }
        match b64url(&self.p256dh) {
            Some(k) if k.len() == 65 && k[0] == 4 => {}
            _ => return Err("p256dh must be an uncompressed P-256 public key (base64url)".into()),
        }
        match b64url(&self.auth) {
            Some(a) if a.len() == 16 => Ok(()),
            _ => Err("auth must be 16 bytes (base64url)".into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_push_services_and_configured_prefixes_are_allowed() {
        let cfg = PushConfig { public_key: String::new(), extra: vec!["http://127.0.0.1:9/push/".into()] };
        assert!(cfg.allows("https://fcm.googleapis.com/fcm/send/abc"));
        assert!(cfg.allows("https://updates.push.services.mozilla.com/wpush/v2/x"));
        assert!(cfg.allows("https://web.push.apple.com/QGx"));
        assert!(cfg.allows("http://127.0.0.1:9/push/1"));
        assert!(!cfg.allows("http://fcm.googleapis.com/fcm/send/abc"), "not https");
        assert!(!cfg.allows("https://fcm.googleapis.com:8443/x"), "odd port");
        assert!(!cfg.allows("https://evilfcm.googleapis.com.attacker.io/x"));
        assert!(!cfg.allows("https://notfcm.googleapis.com.evil/x"));
        assert!(!cfg.allows("http://127.0.0.1:5432/"));
        assert!(!cfg.allows("https://169.254.169.254/latest"));
        let open = PushConfig::default();
        assert!(!open.allows("http://127.0.0.1:9/push/1"), "no prefix configured");
    }

    #[test]
    fn keys_are_checked() {
        let cfg = PushConfig::default();
        let mut key = vec![4u8];
        key.extend([7u8; 64]);
        use base64::Engine;
        let enc = |b: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b);
        let good = Subscription {
            endpoint: "https://fcm.googleapis.com/fcm/send/x".into(),
            p256dh: enc(&key),
            auth: enc(&[1u8; 16]),
        };
        assert_eq!(good.validate(&cfg), Ok(()));
        let short = Subscription { auth: enc(&[1u8; 8]), ..good.clone() };
        assert!(short.validate(&cfg).is_err());
        let compressed = Subscription { p256dh: enc(&key[..33]), ..good.clone() };
        assert!(compressed.validate(&cfg).is_err());
        let internal = Subscription { endpoint: "http://10.0.0.1/".into(), ..good };
        assert!(internal.validate(&cfg).is_err());
    }
}
