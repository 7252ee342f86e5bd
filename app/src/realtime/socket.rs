//! The browser's open WebSocket, held apart from the client that opens it
//! (`client.rs`), so that widgets can send a frame (typing) without
//! importing the client, which imports the pages they live on.

use std::cell::RefCell;

use web_sys::WebSocket;

use super::ClientFrame;

thread_local! {
    static SOCKET: RefCell<Option<WebSocket>> = const { RefCell::new(None) };
}

/// The current socket, open or not.
pub fn current() -> Option<WebSocket> {
    SOCKET.with(|s| s.borrow().clone())
}

/// Replaces the current socket (`None`: it closed).
pub fn set(ws: Option<WebSocket>) {
    SOCKET.with(|s| *s.borrow_mut() = ws);
}

/// Sends a frame if the socket is up; says whether it went.
pub fn send(frame: &ClientFrame) -> bool {
    let Some(ws) = current() else { return false };
    if ws.ready_state() != WebSocket::OPEN {
        return false;
    }
    serde_json::to_string(frame).ok().is_some_and(|json| ws.send_with_str(&json).is_ok())
}
