//! The browser's socket: connect with the session cookie, resume, apply
//! events to what is on screen, and reconnect with exponential backoff and
//! jitter when the connection drops (or the browser goes offline).
//!
//! WASM is single-threaded, so the socket and its callbacks live in a
//! thread-local; a generation number makes callbacks of a replaced socket
//! harmless.

use std::cell::RefCell;
use std::collections::HashMap;
use std::time::Duration;

use leptos::prelude::*;
use uuid::Uuid;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use web_sys::{CloseEvent, MessageEvent, WebSocket};

use super::socket::{self, send};
use super::ui::{Live, Status};
use super::{close, ClientFrame, Control, Event, ServerFrame, Stamped};
use crate::messages::ui::CurrentFeed;
use crate::shell::context::ConvsCtx;
use crate::shell::toast::ToastList;

/// What the dispatcher updates.
#[derive(Clone, Copy)]
pub struct Ctx {
    pub live: Live,
    pub current: CurrentFeed,
    pub convs: ConvsCtx,
    pub toasts: ToastList,
}

#[derive(Default)]
struct State {
    ctx: Option<Ctx>,
    closures: Vec<Box<dyn std::any::Any>>,
    generation: u32,
    attempt: u32,
    me: Option<Uuid>,
    ever_resumed: bool,
    last_activity: f64,
}

thread_local! {
    static STATE: RefCell<State> = RefCell::new(State::default());
}

/// Starts the socket once per page (the shell calls it on the client).
pub fn start(ctx: Ctx) {
    let first = STATE.with(|s| {
        let mut s = s.borrow_mut();
        let first = s.ctx.is_none();
        s.ctx = Some(ctx);
        first
    });
    if !first {
        return;
    }
    connect();
    super::sync::watch_attention();
    // The browser knows about network loss before the socket does.
    let off = window_event_listener(leptos::ev::offline, |_| {
        if let Some(ws) = socket::current() {
            let _ = ws.close();
        }
    });
    let on = window_event_listener(leptos::ev::online, |_| {
        STATE.with(|s| s.borrow_mut().attempt = 0);
        connect();
    });
    let key = window_event_listener(leptos::ev::keydown, |_| activity());
    let click = window_event_listener(leptos::ev::pointerdown, |_| activity());
    std::mem::forget((off, on, key, click));
    // Typing indicators expire 6 s after their last refresh.
    let live = ctx.live;
    let _ = set_interval_with_handle(
        move || {
            let now = js_sys::Date::now() as u64;
            if live.typing.with_untracked(|t| !t.is_empty()) {
                live.typing.update(|t| {
                    t.retain(|_, s| {
                        s.expire(now);
                        !s.is_empty()
                    })
                });
            }
        },
        Duration::from_secs(1),
    );
}

/// Input happened: tell the server at most once a minute.
fn activity() {
    let now = js_sys::Date::now();
    let due = STATE.with(|s| {
        let mut s = s.borrow_mut();
        let due = now - s.last_activity > 60_000.0;
        if due {
            s.last_activity = now;
        }
        due
    });
    if due {
        send(&ClientFrame::Activity { active: true });
    }
}

fn ws_url() -> Option<String> {
    let loc = window().location();
    let scheme = if loc.protocol().ok()? == "https:" { "wss" } else { "ws" };
    Some(format!("{scheme}://{}/ws", loc.host().ok()?))
}

fn connect() {
    let busy = socket::current()
        .is_some_and(|ws| ws.ready_state() == WebSocket::OPEN || ws.ready_state() == WebSocket::CONNECTING);
    if busy {
        return;
    }
    let Some(url) = ws_url() else { return };
    let ws = match WebSocket::new(&url) {
        Ok(ws) => ws,
        Err(_) => return schedule_reconnect(),
    };
    let generation = STATE.with(|s| {
        let mut s = s.borrow_mut();
        s.generation += 1;
        s.generation
    });
    let onmessage = Closure::<dyn FnMut(MessageEvent)>::new(move |ev: MessageEvent| {
        if current_generation() != generation {
            return;
        }
        if let Some(text) = ev.data().as_string() {
            match serde_json::from_str::<ServerFrame>(&text) {
                Ok(frame) => on_frame(frame),
                Err(e) => leptos::logging::warn!("unreadable frame: {e}"),
            }
        }
    });
    let onclose = Closure::<dyn FnMut(CloseEvent)>::new(move |ev: CloseEvent| {
        if current_generation() != generation {
            return;
        }
        socket::set(None);
        let ctx = STATE.with(|s| s.borrow().ctx);
        if let Some(ctx) = ctx {
            ctx.live.status.set(Status::Reconnecting);
        }
        if ev.code() == close::AUTH_REVOKED {
            let _ = window().location().set_href("/login");
            return;
        }
        // A refused handshake looks like any broken connection (1006): ask
        // whether the session still stands before retrying, so a browser
        // signed out while it was away goes to sign-in instead of retrying.
        leptos::task::spawn_local(async {
            use crate::error::AppError;
            match crate::auth::api::test().await {
                Err(AppError::NotAuthed | AppError::InvalidAuth) => {
                    let _ = window().location().set_href("/login");
                }
                _ => schedule_reconnect(),
            }
        });
    });
    ws.set_onmessage(Some(onmessage.as_ref().unchecked_ref()));
    ws.set_onclose(Some(onclose.as_ref().unchecked_ref()));
    socket::set(Some(ws));
    STATE.with(|s| s.borrow_mut().closures = vec![Box::new(onmessage), Box::new(onclose)]);
}

fn current_generation() -> u32 {
    STATE.with(|s| s.borrow().generation)
}

/// Exponential backoff with full jitter: 0.5–1.5 × min(30 s, 0.5 s × 2^n).
fn schedule_reconnect() {
    let attempt = STATE.with(|s| {
        let mut s = s.borrow_mut();
        s.attempt += 1;
        s.attempt
    });
    let delay = super::backoff_ms(attempt, js_sys::Math::random());
    set_timeout(connect, Duration::from_millis(delay));
}

fn ctx() -> Option<Ctx> {
    STATE.with(|s| s.borrow().ctx)
}

fn on_frame(frame: ServerFrame) {
    let Some(ctx) = ctx() else { return };
    match frame {
        ServerFrame::Control(Control::Hello { user, .. }) => {
            STATE.with(|s| s.borrow_mut().me = Some(user));
            // Resume the open channel from its newest message, unless an
            // older window is on screen (it loads newer pages itself).
            let mut channels = HashMap::new();
            // (A feed still loading its first page gets it from history.)
            if let Some(feed) = ctx.current.0.get_untracked() {
                if let Some(seq) = feed.newest_seq().filter(|_| !feed.has_newer.get_untracked()) {
                    channels.insert(feed.channel, seq);
                }
            }
            send(&ClientFrame::Resume { channels });
        }
        ServerFrame::Control(Control::Resumed { .. }) => {
            let again = STATE.with(|s| {
                let mut s = s.borrow_mut();
                s.attempt = 0;
                std::mem::replace(&mut s.ever_resumed, true)
            });
            ctx.live.status.set(Status::Online);
            ctx.live.was_online.set(true);
            ctx.live.connected_epoch.update(|e| *e += 1);
            // Also on the first connect: messages kept on the device from
            // before the app was closed go out now.
            flush_outbox(ctx);
            if again {
                ctx.live.refetch_presence();
                ctx.convs.refresh();
                refresh_open_channel(ctx);
            }
        }
        ServerFrame::Control(Control::ResyncRequired { .. }) => {
            // Too far behind to patch: start from a fresh page.
            let _ = window().location().reload();
        }
        ServerFrame::Control(_) => {}
        ServerFrame::Event(st) => {
            apply(ctx, &st);
            ctx.live.emit(&st.event);
        }
    }
}

/// Messages that failed while offline go out again, with the same
/// `client_msg_id`, so the server stores each once: the open conversation's
/// pending ones, and those kept on the device for other conversations.
fn flush_outbox(ctx: Ctx) {
    let on_screen = ctx.current.0.get_untracked();
    if let Some(me) = STATE.with(|s| s.borrow().me) {
        crate::messages::ui::send_others(me, on_screen.map(|f| f.channel), ctx.toasts);
    }
    let Some(feed) = on_screen else { return };
    let failed: Vec<_> =
        feed.pending.with_untracked(|v| v.iter().filter(|p| p.error.is_some()).cloned().collect());
    for mut p in failed {
        p.error = None;
        feed.pending.update(|v| {
            if let Some(x) = v.iter_mut().find(|x| x.client_msg_id == p.client_msg_id) {
                x.error = None;
            }
        });
        crate::messages::ui::send_pending(feed, p, ctx.toasts, ctx.live);
    }
}

/// Messages were missed in `channel` after seq `known` (a jump in its seqs):
/// if it is on screen, fetch that range instead of trusting the stream.
fn fill_gap(ctx: Ctx, channel: Uuid, known: i64) {
    let Some(feed) = ctx.current.0.get_untracked().filter(|f| f.channel == channel) else { return };
    if feed.has_newer.get_untracked() {
        return; // an older window: scrolling down loads the rest anyway
    }
    leptos::task::spawn_local(async move {
        let page = crate::messages::api::history(channel.to_string(), None, Some(known), Some(200)).await;
        if let Ok(r) = page {
            feed.upsert(r.data.messages);
            if r.data.has_more {
                feed.has_newer.set(true);
            }
        }
    });
}

/// Edits, deletes and reactions missed while disconnected are not replayed:
/// reload the newest page of the open channel instead.
fn refresh_open_channel(ctx: Ctx) {
    let Some(feed) = ctx.current.0.get_untracked() else { return };
    if feed.has_newer.get_untracked() {
        return;
    }
    leptos::task::spawn_local(async move {
        if let Ok(r) = crate::messages::api::history(feed.channel.to_string(), None, None, Some(50)).await {
            feed.upsert(r.data.messages);
        }
    });
}

fn apply(ctx: Ctx, st: &Stamped) {
    let ev = &st.event;
    let me = STATE.with(|s| s.borrow().me);
    let feed = ctx.current.0.get_untracked().filter(|f| Some(f.channel) == ev.channel());
    match ev {
        Event::MessageCreated { message } => {
            ctx.live.typing.update(|t| {
                for key in [(message.channel, None), (message.channel, message.thread_seq)] {
                    if let Some(s) = t.get_mut(&key) {
                        s.stopped(message.user);
                    }
                }
            });
            match feed {
                // An older window is on screen: "Jump to recent" loads it.
                Some(feed) if feed.has_newer.get_untracked() => {}
                Some(feed) => {
                    if let Some(id) = &message.client_msg_id {
                        feed.pending.update(|v| v.retain(|p| &p.client_msg_id != id));
                    }
                    let visible = message.thread_seq.is_none() || message.also_in_channel;
                    feed.upsert(vec![message.clone()]);
                    if visible && Some(message.user) != me {
                        super::sync::mark_read(message.channel, message.seq);
                    }
                }
                None => {}
            }
        }
        Event::MessageUpdated { message } => {
            if let Some(feed) = feed {
                feed.upsert(vec![message.clone()]);
            }
        }
        Event::HistoryTrimmed { seqs, .. } => {
            if let Some(feed) = feed {
                feed.remove(seqs);
            }
        }
        Event::MessageDeleted { seq, .. }
        | Event::ReactionAdded { seq, .. }
        | Event::ReactionRemoved { seq, .. }
        | Event::ThreadReply { thread_seq: seq, .. } => {
            if let Some(feed) = feed {
                feed.patch(*seq, |m| {
                    ev.apply_to(m);
                });
            }
        }
        Event::Typing { channel, thread_seq, user, user_name } => {
            if Some(*user) != me {
                let now = js_sys::Date::now() as u64;
                ctx.live
                    .typing
                    .update(|t| t.entry((*channel, *thread_seq)).or_default().typing(*user, user_name, now));
            }
        }
        Event::Presence { user, presence, .. } => {
            ctx.live.presence.update(|p| {
                p.insert(*user, *presence);
            });
        }
        Event::MemberUpdated { user, deactivated, .. } => {
            // A deactivated person's messages get the marker at once.
            if let Some(feed) = feed {
                feed.mark_author(*user, *deactivated);
            }
        }
        Event::ProfileUpdated { profile } => {
            if let Some(feed) = feed {
                feed.rename_author(profile.id, &profile.name);
            }
            let (id, v) = (profile.id, profile.avatar_version);
            ctx.live.avatars.update(|m| {
                m.insert(id, v);
            });
            let status = profile.status.clone();
            ctx.live.statuses.update(|m| match status {
                Some(s) => {
                    m.insert(id, s);
                }
                None => {
                    m.remove(&id);
                }
            });
        }
        Event::WorkspaceUpdated { icon_version, .. } => ctx.live.icon_version.set(*icon_version),
        Event::ReadMarker { .. }
        | Event::NotifyPrefsChanged { .. }
        | Event::ThreadFollow { .. }
        | Event::AuthRevoked { .. }
        | Event::ChannelCreated { .. }
        | Event::ChannelUpdated { .. }
        | Event::ChannelArchived { .. }
        | Event::MemberJoined { .. }
        | Event::MemberLeft { .. } => {}
    }
    // The sidebar follows every event from its payload (no list reload).
    if let Some(me) = me {
        if let Some((channel, known)) = super::sync::fold(ctx.convs, me, st) {
            fill_gap(ctx, channel, known);
        }
    }
}
