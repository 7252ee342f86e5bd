//! The browser's side of "state from events": folds each event into the
//! sidebar's conversations with the shared reducer (`channels::state`), and
//! marks conversations read without flooding the server.
//!
//! Marking read is debounced (at most one `conversations.mark` every
//! [`MARK_EVERY_MS`]) and happens only while the tab is visible and has
//! focus: a message that arrives in a background tab stays unread, as in
//! Slack, and is marked when the person comes back. The sidebar follows the
//! `read_marker` event the mark produces, so nothing reloads the list.

use uuid::Uuid;

/// The shortest interval between two `conversations.mark` calls.
pub const MARK_EVERY_MS: f64 = 3000.0;

/// Marks `channel` read up to `seq`, now or as soon as allowed.
pub fn mark_read(channel: Uuid, seq: i64) {
    #[cfg(feature = "hydrate")]
    browser::mark_read(channel, seq);
    #[cfg(not(feature = "hydrate"))]
    let _ = (channel, seq);
}

#[cfg(feature = "hydrate")]
pub use browser::{fold, watch_attention};

#[cfg(feature = "hydrate")]
mod browser {
    use std::cell::RefCell;
    use std::time::Duration;

    use leptos::prelude::*;
    use uuid::Uuid;

    use super::MARK_EVERY_MS;
    use crate::channels::state::{self, Followup};
    use crate::realtime::Stamped;
    use crate::shell::context::ConvsCtx;

    #[derive(Default)]
    struct Marks {
        pending: Option<(Uuid, i64)>,
        last_sent: f64,
        timer: bool,
    }

    thread_local! {
        static MARKS: RefCell<Marks> = RefCell::new(Marks::default());
    }

    /// Whether the person is looking at this tab.
    fn attentive() -> bool {
        let doc = document();
        doc.visibility_state() == web_sys::VisibilityState::Visible && doc.has_focus().unwrap_or(false)
    }

    pub fn mark_read(channel: Uuid, seq: i64) {
        MARKS.with(|m| {
            let mut m = m.borrow_mut();
            m.pending = match m.pending {
                Some((c, s)) if c == channel => Some((c, s.max(seq))),
                Some((c, s)) => {
                    // Another conversation: send the older one now.
                    send(c, s);
                    Some((channel, seq))
                }
                None => Some((channel, seq)),
            };
        });
        flush();
    }

    /// Sends the pending mark if the tab has attention and the interval
    /// allows; otherwise arranges to try again.
    fn flush() {
        if !attentive() {
            return; // watch_attention calls again on focus
        }
        let now = js_sys::Date::now();
        let wait = MARKS.with(|m| {
            let mut m = m.borrow_mut();
            let left = MARK_EVERY_MS - (now - m.last_sent);
            if left <= 0.0 {
                if let Some((c, s)) = m.pending.take() {
                    m.last_sent = now;
                    send(c, s);
                }
                None
            } else if !m.timer && m.pending.is_some() {
                m.timer = true;
                Some(left)
            } else {
                None
            }
        });
        if let Some(ms) = wait {
            set_timeout(
                || {
                    MARKS.with(|m| m.borrow_mut().timer = false);
                    flush();
                },
                Duration::from_millis(ms as u64),
            );
        }
    }

    fn send(channel: Uuid, seq: i64) {
        leptos::task::spawn_local(async move {
            let _ = crate::channels::api::mark(channel.to_string(), seq).await;
        });
    }

    /// Flushes pending marks when the tab gets focus or becomes visible.
    pub fn watch_attention() {
        let focus = window_event_listener(leptos::ev::focus, |_| flush());
        let visible = window_event_listener(leptos::ev::visibilitychange, |_| flush());
        std::mem::forget((focus, visible));
    }

    /// Folds an event into the sidebar; reloads one conversation when the
    /// event alone cannot say what changed, or shows that events were
    /// missed. Returns the gap (channel, newest seq known before it), if any.
    pub fn fold(convs: ConvsCtx, me: Uuid, ev: &Stamped) -> Option<(Uuid, i64)> {
        let mut follow = Followup::Nothing;
        let mut gap = None;
        convs.list.update(|v| {
            if let Some(Ok(page)) = v {
                gap = state::gap(&page.data.channels, ev);
                follow = state::apply(&mut page.data.channels, me, &ev.event);
            }
        });
        if let Some((id, _)) = gap {
            follow = Followup::Reload(id);
        }
        if let Followup::Reload(id) = follow {
            reload(convs, id);
        }
        gap
    }

    /// Reloads one conversation (`conversations.info`) into the sidebar.
    fn reload(convs: ConvsCtx, id: Uuid) {
        leptos::task::spawn_local(async move {
            let fresh = match crate::channels::api::info(id.to_string()).await {
                Ok(r) => Some(r.data.channel),
                Err(e) if e.code() == "channel_not_found" => None,
                Err(_) => return,
            };
            convs.list.update(|v| {
                if let Some(Ok(page)) = v {
                    state::replace(&mut page.data.channels, id, fresh);
                }
            });
        });
    }
}
