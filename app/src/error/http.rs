//! Errors as HTTP responses on the server, for plain axum routes (a server
//! function's error sets its status when it is encoded: see
//! `FromServerFnError::ser` in the parent module), and how database
//! failures become errors.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use super::AppError;

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut res = (status, axum::Json(&self)).into_response();
        if let Some(secs) = self.retry_after() {
            res.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        res
    }
}

/// Whether a database error means "the database is not reachable right
/// now" (a lost connection, a pool with none to give, a server shutting
/// down or starting up) rather than a bug.
pub fn is_unavailable(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Io(_) | sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Tls(_) => {
            true
        }
        sqlx::Error::Database(d) => d.code().is_some_and(|c| {
            // 08xxx connection exceptions; 57P01-57P03 admin/crash shutdown, cannot connect now;
            // 57014 a statement cancelled by its timeout (the search pool's).
            c.starts_with("08") || matches!(c.as_ref(), "57P01" | "57P02" | "57P03" | "57014")
        }),
        _ => false,
    }
}

impl From<sqlx::Error> for AppError {
    fn from(e: sqlx::Error) -> Self {
        if is_unavailable(&e) {
            tracing::warn!(error = %e, "database unavailable");
            return AppError::Unavailable { retry_after_secs: 2 };
        }
        tracing::error!(error = %e, "database error");
        AppError::Internal
    }
}
