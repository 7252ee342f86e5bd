//! The one error type of ThreadSpace.
//!
//! Every failure that can reach a client is an [`AppError`] with a stable
//! `snake_case` code. It crosses the server-function boundary as the JSON
//! envelope `{"ok": false, "error": "<code>", "detail": "..."}` and maps to an
//! HTTP status in exactly one exhaustive `match` ([`AppError::status`]), so a new
//! variant forces a decision about its status.
//!
//! Database and other internal errors are logged with context on the server and
//! reach the client only as `internal_error`, never with their message.

use serde::{Deserialize, Serialize};
use server_fn::{
    codec::JsonEncoding,
    error::{FromServerFnError, ServerFnErrorErr},
    Bytes, Encodes,
};
use std::fmt;

mod codes;
#[cfg(feature = "ssr")]
pub mod http;
pub use codes::{Conflict, Missing, Refusal, Rule};

/// A failure with a stable, documented code (see `docs/api.md`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AppError {
    /// The request body is not valid JSON.
    InvalidJson(String),
    /// A parameter is missing, empty, too long or otherwise malformed.
    InvalidArguments(String),
    /// The password is shorter than the minimum or too long.
    WeakPassword,
    /// Email or password is wrong (deliberately not saying which).
    InvalidCredentials,
    /// No session cookie and no valid bearer token.
    NotAuthed,
    /// The bearer token is unknown, revoked or expired.
    InvalidAuth,
    /// The caller's role does not allow this action.
    Forbidden,
    /// A cookie-authenticated mutation came from another origin.
    BadOrigin,
    /// The resource does not exist or is not visible to the caller.
    NotFound(Missing),
    /// The email already has an account (sign-up) or is already a member.
    AlreadyExists(Conflict),
    /// A well-formed request the rules refuse: the channel is archived, the
    /// caller is not in it, #general cannot be left, and so on.
    Refused(Refusal),
    /// A parameter breaks a domain rule with its own code (`msg_too_long`, …).
    Invalid(Rule),
    /// The invite link has expired.
    InviteExpired,
    /// The invite link has no uses left.
    InviteUsedUp,
    /// The invite link was revoked by an admin.
    InviteRevoked,
    /// The request body is larger than the endpoint accepts.
    TooLarge,
    /// An uploaded file is over 25 MB.
    FileTooLarge,
    /// Too many attempts; retry after the given number of seconds.
    RateLimited { retry_after_secs: u64 },
    /// The API method does not exist.
    UnknownMethod,
    /// The API method exists but must be called with POST.
    MethodNotAllowed,
    /// The database (or another dependency) is unreachable for a moment:
    /// nothing was changed; retry after the given number of seconds.
    Unavailable { retry_after_secs: u64 },
    /// Anything unexpected. Details are in the server log only.
    Internal,
}

impl AppError {
    /// The stable code sent to clients.
    pub fn code(&self) -> &'static str {
        match self {
            AppError::InvalidJson(_) => "invalid_json",
            AppError::InvalidArguments(_) => "invalid_arguments",
            AppError::WeakPassword => "weak_password",
            AppError::InvalidCredentials => "invalid_credentials",
            AppError::NotAuthed => "not_authed",
            AppError::InvalidAuth => "invalid_auth",
            AppError::Forbidden => "forbidden",
            AppError::BadOrigin => "bad_origin",
            AppError::NotFound(c) => c.code(),
            AppError::AlreadyExists(c) => c.code(),
            AppError::Refused(c) => c.code(),
            AppError::Invalid(c) => c.code(),
            AppError::InviteExpired => "invite_expired",
            AppError::InviteUsedUp => "invite_used_up",
            AppError::InviteRevoked => "invite_revoked",
            AppError::TooLarge => "request_too_large",
            AppError::FileTooLarge => "file_too_large",
            AppError::RateLimited { .. } => "rate_limited",
            AppError::UnknownMethod => "unknown_method",
            AppError::MethodNotAllowed => "method_not_allowed",
            AppError::Unavailable { .. } => "service_unavailable",
            AppError::Internal => "internal_error",
        }
    }

    /// The HTTP status for this error. Exhaustive on purpose: no `_` arm.
    pub fn status(&self) -> u16 {
        match self {
            AppError::InvalidJson(_)
            | AppError::InvalidArguments(_)
            | AppError::WeakPassword
            | AppError::Invalid(_) => 400,
            AppError::InvalidCredentials | AppError::NotAuthed | AppError::InvalidAuth => 401,
            AppError::Forbidden | AppError::BadOrigin | AppError::Refused(_) => 403,
            AppError::NotFound(_) | AppError::UnknownMethod => 404,
            AppError::MethodNotAllowed => 405,
            AppError::AlreadyExists(_) => 409,
            AppError::InviteExpired | AppError::InviteUsedUp | AppError::InviteRevoked => 410,
            AppError::TooLarge | AppError::FileTooLarge => 413,
            AppError::RateLimited { .. } => 429,
            AppError::Internal => 500,
            AppError::Unavailable { .. } => 503,
        }
    }

    /// A human-readable explanation, safe to show to the user.
    pub fn detail(&self) -> String {
        match self {
            AppError::InvalidJson(d) | AppError::InvalidArguments(d) => d.clone(),
            AppError::WeakPassword => {
                format!("Passwords need at least {} characters.", crate::auth::limits::MIN_PASSWORD_LEN)
            }
            AppError::InvalidCredentials => "That email and password don't match.".into(),
            AppError::NotAuthed => "You need to log in first.".into(),
            AppError::InvalidAuth => "That token is not valid.".into(),
            AppError::Forbidden => "Your role doesn't allow that.".into(),
            AppError::BadOrigin => "The request came from another site.".into(),
            AppError::NotFound(c) => c.detail().into(),
            AppError::AlreadyExists(c) => c.detail().into(),
            AppError::Refused(c) => c.detail().into(),
            AppError::Invalid(c) => c.detail().into(),
            AppError::InviteExpired => "This invite link has expired.".into(),
            AppError::InviteUsedUp => "This invite link has already been used up.".into(),
            AppError::InviteRevoked => "This invite link was revoked.".into(),
            AppError::TooLarge => "The request is too large.".into(),
            AppError::FileTooLarge => "Files can be at most 25 MB.".into(),
            AppError::RateLimited { retry_after_secs } => {
                format!("Too many attempts. Try again in {retry_after_secs} s.")
            }
            AppError::UnknownMethod => "No such API method.".into(),
            AppError::MethodNotAllowed => "API methods are called with POST.".into(),
            AppError::Unavailable { retry_after_secs } => {
                format!("The service is briefly unavailable. Try again in {retry_after_secs} s.")
            }
            AppError::Internal => "Something went wrong on our side.".into(),
        }
    }

    /// Rebuilds an error from its code and detail, as received by a client.
    pub fn from_code(code: &str, detail: Option<String>, retry_after: Option<u64>) -> AppError {
        let d = detail.unwrap_or_default();
        match code {
            "invalid_json" => AppError::InvalidJson(d),
            "invalid_arguments" => AppError::InvalidArguments(d),
            "weak_password" => AppError::WeakPassword,
            "invalid_credentials" => AppError::InvalidCredentials,
            "not_authed" => AppError::NotAuthed,
            "invalid_auth" => AppError::InvalidAuth,
            "forbidden" => AppError::Forbidden,
            "bad_origin" => AppError::BadOrigin,
            "invite_expired" => AppError::InviteExpired,
            "invite_used_up" => AppError::InviteUsedUp,
            "invite_revoked" => AppError::InviteRevoked,
            "request_too_large" => AppError::TooLarge,
            "file_too_large" => AppError::FileTooLarge,
            "rate_limited" => AppError::RateLimited { retry_after_secs: retry_after.unwrap_or(1) },
            "service_unavailable" => AppError::Unavailable { retry_after_secs: retry_after.unwrap_or(1) },
            "unknown_method" => AppError::UnknownMethod,
            "method_not_allowed" => AppError::MethodNotAllowed,
            other => Missing::parse(other)
                .map(AppError::NotFound)
                .or_else(|| Conflict::parse(other).map(AppError::AlreadyExists))
                .or_else(|| Refusal::parse(other).map(AppError::Refused))
                .or_else(|| Rule::parse(other).map(AppError::Invalid))
                // A code this build does not know (a newer server): the
                // client can still show the detail it was sent.
                .unwrap_or(AppError::Internal),
        }
    }

    /// Seconds a client should wait before retrying, for errors that say so.
    pub fn retry_after(&self) -> Option<u64> {
        match self {
            AppError::RateLimited { retry_after_secs } | AppError::Unavailable { retry_after_secs } => {
                Some(*retry_after_secs)
            }
            _ => None,
        }
    }
}

impl fmt::Display for AppError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code(), self.detail())
    }
}

impl std::error::Error for AppError {}

/// The wire form of an error.
#[derive(Serialize, Deserialize)]
struct Envelope {
    ok: bool,
    error: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    detail: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    retry_after: Option<u64>,
}

impl Serialize for AppError {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        Envelope {
            ok: false,
            error: self.code().to_string(),
            detail: Some(self.detail()),
            retry_after: self.retry_after(),
        }
        .serialize(s)
    }
}

impl<'de> Deserialize<'de> for AppError {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let e = Envelope::deserialize(d)?;
        Ok(AppError::from_code(&e.error, e.detail, e.retry_after))
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    /// The error's wire form. On the server this is where a server
    /// function's failure becomes its response, so it also sets the HTTP
    /// status (and `Retry-After`) there: every method answers with its
    /// error's own status, and nothing downstream reads the body back.
    fn ser(&self) -> Bytes {
        #[cfg(feature = "ssr")]
        set_status(self);
        <JsonEncoding as Encodes<AppError>>::encode(self)
            .unwrap_or_else(|_| Bytes::from_static(br#"{"ok":false,"error":"internal_error"}"#))
    }

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            // serde_json reports syntax errors and shape errors alike; tell them apart
            // so that a client learns whether its JSON or its arguments are wrong.
            // On the server, `Deserialization` means the request body did not decode.
            ServerFnErrorErr::Args(msg)
            | ServerFnErrorErr::MissingArg(msg)
            | ServerFnErrorErr::Deserialization(msg) => {
                if msg.contains("missing field")
                    || msg.contains("invalid type")
                    || msg.contains("invalid value")
                    || msg.contains("unknown variant")
                {
                    AppError::InvalidArguments(msg)
                } else {
                    AppError::InvalidJson(msg)
                }
            }
            ServerFnErrorErr::UnsupportedRequestMethod(_) => AppError::MethodNotAllowed,
            ServerFnErrorErr::Request(_) => AppError::Internal,
            other => {
                #[cfg(feature = "ssr")]
                tracing::error!(error = %other, "server function failure");
                #[cfg(not(feature = "ssr"))]
                let _ = other;
                AppError::Internal
            }
        }
    }
}

/// Gives the server function being answered this error's status (and
/// `Retry-After`). Outside a server function (no response options in
/// context) it does nothing.
#[cfg(feature = "ssr")]
fn set_status(e: &AppError) {
    use axum::http::{header, HeaderValue, StatusCode};
    let Some(opts) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>() else { return };
    opts.set_status(StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR));
    if let Some(secs) = e.retry_after() {
        opts.insert_header(header::RETRY_AFTER, HeaderValue::from(secs));
    }
}

/// Shorthand for results of actions and server functions.
pub type AppResult<T> = Result<T, AppError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_known_code_round_trips_through_the_wire_form() {
        let samples = [
            AppError::InvalidJson("x".into()),
            AppError::InvalidArguments("x".into()),
            AppError::WeakPassword,
            AppError::InvalidCredentials,
            AppError::NotAuthed,
            AppError::InvalidAuth,
            AppError::Forbidden,
            AppError::BadOrigin,
            AppError::InviteExpired,
            AppError::InviteUsedUp,
            AppError::InviteRevoked,
            AppError::TooLarge,
            AppError::FileTooLarge,
            AppError::RateLimited { retry_after_secs: 7 },
            AppError::UnknownMethod,
            AppError::MethodNotAllowed,
            AppError::Internal,
        ];
        for e in samples {
            let json = serde_json::to_string(&e).unwrap();
            let back: AppError = serde_json::from_str(&json).unwrap();
            assert_eq!(back.code(), e.code(), "{json}");
            assert_eq!(back.status(), e.status());
        }
        let codes = Missing::ALL
            .iter()
            .map(|c| c.code())
            .chain(Conflict::ALL.iter().map(|c| c.code()))
            .chain(Refusal::ALL.iter().map(|c| c.code()))
            .chain(Rule::ALL.iter().map(|c| c.code()));
        let mut seen = std::collections::HashSet::new();
        for code in codes {
            assert!(seen.insert(code), "{code} is in two lists");
            assert_eq!(AppError::from_code(code, None, None).code(), code);
        }
    }

    #[test]
    fn statuses_follow_the_contract() {
        let status_for_code = |code| AppError::from_code(code, None, None).status();
        assert_eq!(status_for_code("invalid_json"), 400);
        assert_eq!(status_for_code("not_authed"), 401);
        assert_eq!(status_for_code("forbidden"), 403);
        assert_eq!(status_for_code("user_not_found"), 404);
        assert_eq!(status_for_code("email_taken"), 409);
        assert_eq!(status_for_code("is_archived"), 403);
        assert_eq!(status_for_code("msg_too_long"), 400);
        assert_eq!(status_for_code("no_reaction"), 404);
        assert_eq!(status_for_code("rate_limited"), 429);
        assert_eq!(status_for_code("no_such_code"), 500, "a newer server's code, read by an old client");
    }

    #[test]
    fn rate_limited_carries_retry_after() {
        let json = serde_json::to_value(AppError::RateLimited { retry_after_secs: 12 }).unwrap();
        assert_eq!(json["ok"], false);
        assert_eq!(json["error"], "rate_limited");
        assert_eq!(json["retry_after"], 12);
    }

    #[test]
    fn malformed_json_and_bad_shapes_get_different_codes() {
        let syntax = AppError::from_server_fn_error(ServerFnErrorErr::Args(
            "expected value at line 1 column 2".into(),
        ));
        assert_eq!(syntax.code(), "invalid_json");
        let shape = AppError::from_server_fn_error(ServerFnErrorErr::Args("missing field `email`".into()));
        assert_eq!(shape.code(), "invalid_arguments");
    }
}
