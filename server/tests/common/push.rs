//! A push service stand-in on loopback: it accepts Web Push requests as a
//! browser vendor's service would (RFC 8030), checks the VAPID signature
//! (RFC 8292) and decrypts each payload with the subscription's private key
//! (RFC 8291) — a real decryption, so a wrongly encrypted push fails the
//! test. Endpoints under `/push/gone/` answer 410, as for an expired
//! subscription.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::{json, Value};
use web_push_native::p256;

/// One device as a browser would create it: a key pair and a secret.
pub struct Device {
    pub endpoint: String,
    secret: p256::SecretKey,
    auth: [u8; 16],
}

impl Device {
    /// The body of `PushSubscription.toJSON()`.
    pub fn subscription(&self) -> Value {
        use p256::elliptic_curve::sec1::ToEncodedPoint;
        let public = self.secret.public_key().to_encoded_point(false);
        json!({"endpoint": self.endpoint, "expirationTime": null,
               "keys": {"p256dh": URL_SAFE_NO_PAD.encode(public.as_bytes()), "auth": URL_SAFE_NO_PAD.encode(self.auth)}})
    }
}

/// A push as received, decrypted.
#[derive(Debug, Clone)]
pub struct Push {
    pub device: String,
    pub payload: Value,
    /// The VAPID public key the request was signed with (`k=`).
    pub vapid_key: String,
}

#[derive(Default)]
struct Inner {
    devices: Vec<(String, p256::SecretKey, [u8; 16])>,
    received: Vec<Push>,
    refused: Vec<String>,
}

#[derive(Clone)]
pub struct PushService {
    pub base: String,
    inner: Arc<Mutex<Inner>>,
}

impl PushService {
    pub async fn start() -> PushService {
        let inner = Arc::new(Mutex::new(Inner::default()));
        let app = axum::Router::new().route("/push/{*id}", post(receive)).with_state(inner.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}/push/", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        PushService { base, inner }
    }

    /// A new device; `gone` ones answer 410.
    pub fn device(&self, name: &str, gone: bool) -> Device {
        let id = if gone { format!("gone/{name}") } else { name.to_string() };
        let secret = p256::SecretKey::random(&mut p256::elliptic_curve::rand_core::OsRng);
        let mut auth = [0u8; 16];
        use p256::elliptic_curve::rand_core::RngCore;
        p256::elliptic_curve::rand_core::OsRng.fill_bytes(&mut auth);
        self.inner.lock().unwrap().devices.push((id.clone(), secret.clone(), auth));
        Device { endpoint: format!("{}{id}", self.base), secret, auth }
    }

    pub fn received(&self) -> Vec<Push> {
        self.inner.lock().unwrap().received.clone()
    }

    /// Requests the stand-in refused (bad signature, undecryptable body).
    pub fn refused(&self) -> Vec<String> {
        self.inner.lock().unwrap().refused.clone()
    }

    /// Waits for the `n`-th push (1-based) to arrive; returns it.
    pub async fn wait_for(&self, n: usize) -> Push {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(p) = self.received().get(n - 1) {
                return p.clone();
            }
            assert!(self.refused().is_empty(), "the push service refused: {:?}", self.refused());
            assert!(Instant::now() < deadline, "push {n} never arrived (got {:?})", self.received());
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

async fn receive(
    State(inner): State<Arc<Mutex<Inner>>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    let mut inner = inner.lock().unwrap();
    let Some((_, secret, auth)) = inner.devices.iter().find(|(d, _, _)| *d == id).cloned() else {
        return StatusCode::NOT_FOUND;
    };
    match check(&headers, body.to_vec(), &secret, &auth) {
        Ok((payload, vapid_key)) => {
            if id.starts_with("gone/") {
                inner.received.push(Push { device: id, payload, vapid_key });
                return StatusCode::GONE;
            }
            inner.received.push(Push { device: id, payload, vapid_key });
            StatusCode::CREATED
        }
        Err(e) => {
            inner.refused.push(format!("{id}: {e}"));
            StatusCode::BAD_REQUEST
        }
    }
}

/// Checks the headers and the VAPID JWT, and decrypts the body.
fn check(
    headers: &HeaderMap,
    body: Vec<u8>,
    secret: &p256::SecretKey,
    auth: &[u8; 16],
) -> Result<(Value, String), String> {
    use web_push_native::jwt_simple::prelude::*;
    let header = |n: &str| headers.get(n).and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    if header("content-encoding") != "aes128gcm" {
        return Err(format!("content-encoding {:?}", header("content-encoding")));
    }
    if header("ttl").parse::<u64>().is_err() {
        return Err("no TTL".into());
    }
    let authz = header("authorization");
    let rest = authz.strip_prefix("vapid t=").ok_or("no vapid authorization")?;
    let (token, key) = rest.split_once(", k=").ok_or("no k=")?;
    let key_bytes = URL_SAFE_NO_PAD.decode(key).map_err(|e| e.to_string())?;
    let public = ES256PublicKey::from_bytes(&key_bytes).map_err(|e| e.to_string())?;
    let claims = public.verify_token::<NoCustomClaims>(token, None).map_err(|e| format!("jwt: {e}"))?;
    if claims.audiences.is_none() || claims.subject.is_none() {
        return Err("jwt without aud or sub".into());
    }
    let plain = web_push_native::decrypt(body, secret, web_push_native::Auth::from_slice(auth))
        .map_err(|e| format!("decrypt: {e}"))?;
    let payload = serde_json::from_slice(&plain).map_err(|e| e.to_string())?;
    Ok((payload, key.to_string()))
}
