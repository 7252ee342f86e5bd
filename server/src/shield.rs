//! Bounds every request: a concurrency limit (so one flood of requests
//! queues instead of taking every connection), a deadline (a stuck request
//! answers `service_unavailable` instead of holding its slot), and the
//! security headers every response carries.
//!
//! Uploads and the WebSocket upgrade are exempt from the deadline: an upload
//! of 25 MB on a slow link may take minutes (its body size is bounded
//! instead), and a socket lives on after its upgrade answered.

use std::sync::Arc;
use std::time::Duration;

use app::error::AppError;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tokio::sync::Semaphore;

use crate::api_gateway::PLAIN_METHODS;

/// How long a request waits for a slot before it is refused.
const QUEUE_WAIT: Duration = Duration::from_secs(5);

/// The shared limits of one node.
#[derive(Clone)]
pub struct Shield {
    slots: Arc<Semaphore>,
    deadline: Duration,
    https: bool,
}

impl Shield {
    pub fn new(max_requests: usize, deadline: Duration, https: bool) -> Shield {
        Shield { slots: Arc::new(Semaphore::new(max_requests.max(1))), deadline, https }
    }
}

fn exempt_from_deadline(path: &str) -> bool {
    path == "/ws" || PLAIN_METHODS.contains(&path)
}

/// The middleware: a slot, the deadline, then the headers.
pub async fn shield(State(s): State<Shield>, req: Request, next: Next) -> Response {
    let busy = || AppError::Unavailable { retry_after_secs: 1 }.into_response();
    let _slot = match tokio::time::timeout(QUEUE_WAIT, s.slots.clone().acquire_owned()).await {
        Ok(Ok(permit)) => permit,
        _ => {
            metrics::counter!("http_requests_shed_total").increment(1);
            return busy();
        }
    };
    let mut res = if exempt_from_deadline(req.uri().path()) {
        next.run(req).await
    } else {
        match tokio::time::timeout(s.deadline, next.run(req)).await {
            Ok(res) => res,
            Err(_) => {
                metrics::counter!("http_requests_timed_out_total").increment(1);
                busy()
            }
        }
    };
    secure_headers(&mut res, s.https);
    res
}

/// Headers every response carries. Pages set their CSP while rendering (it
/// names the page's script nonce); an HTML response without one gets the
/// page policy with no inline script, anything else a CSP that lets
/// nothing run or frame it.
fn secure_headers(res: &mut Response, https: bool) {
    let h = res.headers_mut();
    let html =
        h.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|t| t.starts_with("text/html"));
    if html && !h.contains_key(header::CONTENT_SECURITY_POLICY) {
        if let Ok(v) = HeaderValue::from_str(&app::shell::csp::page_policy(None)) {
            h.insert(header::CONTENT_SECURITY_POLICY, v);
        }
    }
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.entry(header::REFERRER_POLICY).or_insert(HeaderValue::from_static("no-referrer"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.entry(header::CONTENT_SECURITY_POLICY)
        .or_insert(HeaderValue::from_static("default-src 'none'; frame-ancestors 'none'; base-uri 'none'"));
    if https {
        h.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        );
    }
}
