//! Logs, metrics and health endpoints.
//!
//! `/metrics` serves Prometheus text: `http_requests_total` and the
//! `http_request_duration_seconds` histogram, labelled by method, route and
//! status. Routes are the matched route pattern (or the API method name), so
//! label cardinality stays bounded whatever paths clients invent.

use std::time::Instant;

use app::state::AppState;
use axum::extract::{MatchedPath, Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

/// Sets up tracing: human-readable by default, JSON lines with `THREADSPACE_LOG_FORMAT=json`.
/// The filter comes from `RUST_LOG` (default `info`).
pub fn init_tracing(json: bool) {
    use tracing_subscriber::{fmt, EnvFilter};
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,tower_sessions=warn"));
    let builder = fmt().with_env_filter(filter).with_target(false);
    let _ = if json { builder.json().try_init() } else { builder.try_init() };
}

/// Installs the Prometheus recorder once per process and returns its handle.
pub fn metrics_handle() -> PrometheusHandle {
    static HANDLE: std::sync::OnceLock<PrometheusHandle> = std::sync::OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new()
                .set_buckets_for_metric(
                    Matcher::Full("http_request_duration_seconds".into()),
                    &[0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5],
                )
                .expect("valid buckets")
                .build_recorder();
            let handle = recorder.handle();
            // In tests several servers share a process; the first recorder wins.
            let _ = metrics::set_global_recorder(recorder);
            handle
        })
        .clone()
}

/// Counts and times every request.
pub async fn track(req: Request, next: Next) -> Response {
    let start = Instant::now();
    let method = req.method().to_string();
    let path = req.uri().path().to_owned();
    let route = if crate::api_gateway::is_method(&path) {
        path
    } else if let Some(m) = req.extensions().get::<MatchedPath>() {
        m.as_str().to_owned()
    } else {
        "other".to_owned()
    };
    let res = next.run(req).await;
    let status = res.status().as_u16().to_string();
    let labels = [("method", method), ("route", route), ("status", status)];
    metrics::counter!("http_requests_total", &labels).increment(1);
    metrics::histogram!("http_request_duration_seconds", &labels).record(start.elapsed().as_secs_f64());
    res
}

/// `GET /metrics`.
pub async fn metrics_endpoint() -> impl IntoResponse {
    ([(axum::http::header::CONTENT_TYPE, "text/plain; version=0.0.4")], metrics_handle().render())
}

/// `GET /healthz`: the process is up.
pub async fn healthz() -> impl IntoResponse {
    axum::Json(serde_json::json!({"ok": true}))
}

/// `GET /readyz`: 200 while the node can serve, which needs the database.
/// The bus is reported, not required: without Redis a node still serves its
/// own sockets (`"bus": "degraded"`), and taking it out of the load balancer
/// would only move its people to nodes in the same state.
pub async fn readyz(State(st): State<AppState>) -> Response {
    let (bus_name, bus_up) = st.rt.bus_status();
    let bus = if bus_up { "up" } else { "degraded" };
    let db = tokio::time::timeout(std::time::Duration::from_secs(2), async {
        sqlx::query_scalar::<_, i32>("select 1").fetch_one(&st.db).await
    })
    .await;
    match db {
        Ok(Ok(_)) => {
            axum::Json(serde_json::json!({"ok": true, "database": "up", "bus": bus, "bus_kind": bus_name}))
                .into_response()
        }
        other => {
            if let Ok(Err(e)) = other {
                tracing::warn!(error = %e, "readiness check failed");
            }
            let body = serde_json::json!({"ok": false, "error": "service_unavailable", "database": "down",
                                          "bus": bus, "bus_kind": bus_name});
            (StatusCode::SERVICE_UNAVAILABLE, axum::Json(body)).into_response()
        }
    }
}
