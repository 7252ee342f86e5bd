//! `GET /ws`: the WebSocket upgrade. Browsers authenticate with the session
//! cookie, and their Origin must be this site's (a cross-site page must not
//! open a socket with the user's cookie); other clients use a single-use
//! ticket from `rtm.connect`. Failures answer with the API's JSON error
//! before any upgrade happens.

mod budget;
mod conn;

use app::auth::queries::actor_for_member;
use app::auth::session::actor_from_request;
use app::auth::AuthVia;
use app::error::AppError;
use app::realtime::service::Realtime;
use app::realtime::MAX_CLIENT_FRAME;
use app::state::AppState;
use axum::extract::ws::WebSocketUpgrade;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use tower_sessions::Session;

use crate::guard::origin_allowed;

#[derive(Debug, Deserialize)]
pub struct WsQuery {
    ticket: Option<String>,
}

/// Per-connection buffer sizes, kept small on purpose: an idle connection
/// should cost kilobytes, not the 128 KiB tungstenite reserves by default.
/// 1 KiB holds the frames clients send (pings, typing, resume); a larger
/// frame grows that socket's buffer only. (Against 4 KiB, P1 of the scale
/// suite showed no difference within its noise.)
const READ_BUFFER: usize = 1024;
const MAX_WRITE_BUFFER: usize = 1024 * 1024;

pub async fn upgrade(
    State(st): State<AppState>,
    axum::extract::ConnectInfo(peer): axum::extract::ConnectInfo<std::net::SocketAddr>,
    session: Session,
    headers: HeaderMap,
    Query(q): Query<WsQuery>,
    ws: WebSocketUpgrade,
) -> Response {
    let actor = match &q.ticket {
        Some(ticket) => match Realtime::redeem_ticket(&st.db, ticket).await {
            Ok((member, credential)) => actor_for_member(&st.db, member, AuthVia::Token)
                .await
                .map(|a| app::auth::Actor { credential, ..a }),
            Err(e) => Err(e),
        },
        None => {
            let origin = headers.get(header::ORIGIN).and_then(|o| o.to_str().ok());
            match origin {
                Some(o) if !origin_allowed(o, &headers, &st.public_url) => Err(AppError::BadOrigin),
                _ => actor_from_request(&st.db, &headers, Some(&session)).await,
            }
        }
    };
    let actor = match actor {
        Ok(a) => a,
        Err(e) => return e.into_response(),
    };
    let ip = if st.trust_proxy { app::auth::session::forwarded_ip(&headers) } else { None };
    let Some(slot) = st.rt.caps.admit(actor.member_id, Some(ip.unwrap_or(peer.ip()))).await else {
        metrics::counter!("ws_refused_total").increment(1);
        return AppError::RateLimited { retry_after_secs: 10 }.into_response();
    };
    let (db, rt) = (st.db.clone(), st.rt.clone());
    ws.read_buffer_size(READ_BUFFER)
        .write_buffer_size(0)
        .max_write_buffer_size(MAX_WRITE_BUFFER)
        .max_message_size(MAX_CLIENT_FRAME)
        .max_frame_size(MAX_CLIENT_FRAME)
        // The closure keeps only what the socket's task uses: axum holds it
        // beside the task for the socket's lifetime.
        .on_upgrade(move |socket| {
            let task = conn::run(socket, db, rt, actor, slot);
            // Every socket holds its task's whole state machine: keep it small.
            tracing::trace!(bytes = std::mem::size_of_val(&task), "socket task");
            task
        })
}
