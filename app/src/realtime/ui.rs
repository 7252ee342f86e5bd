//! Realtime in the page: the [`Live`] context (connection state, presence,
//! typing), the "Reconnecting…" banner, presence dots and the typing line.
//! The socket itself is in `client.rs` (browser only); everything here also
//! renders on the server, in its initial state, so hydration matches.

use std::collections::{HashMap, HashSet};

use leptos::prelude::*;
use uuid::Uuid;

use super::typing::{TypingSet, TypingThrottle};
use super::{Event, Presence};

/// The socket's state as the user sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Connecting,
    Online,
    /// Lost; the next attempt is on its way.
    Reconnecting,
}

/// Shared realtime state. Every field is an arena handle: `Copy`.
#[derive(Clone, Copy)]
pub struct Live {
    pub status: RwSignal<Status>,
    /// Whether the socket was ever up (the banner shows only after a loss).
    pub was_online: RwSignal<bool>,
    pub presence: RwSignal<HashMap<Uuid, Presence>>,
    /// Typing per conversation: (channel, thread root).
    pub typing: RwSignal<HashMap<(Uuid, Option<i64>), TypingSet>>,
    /// Bumped after each successful (re)connect: pending messages flush.
    pub connected_epoch: RwSignal<u32>,
    /// Photo versions heard of since the page loaded (`profile_updated`),
    /// so that a changed picture is loaded at once.
    pub avatars: RwSignal<HashMap<Uuid, i32>>,
    /// Custom statuses by member (loaded once, then kept by events).
    pub statuses: RwSignal<HashMap<Uuid, crate::users::Status>>,
    /// The workspace icon's version, once a change was heard of.
    pub icon_version: RwSignal<i32>,
    wanted: StoredValue<HashSet<Uuid>>,
    listeners: StoredValue<Vec<(u32, Callback<Event>)>>,
    next_listener: StoredValue<u32>,
    throttle: StoredValue<TypingThrottle>,
}

impl Live {
    /// Creates the context (in the shell).
    pub fn provide() -> Live {
        let live = Live {
            status: RwSignal::new(Status::Connecting),
            was_online: RwSignal::new(false),
            presence: RwSignal::new(HashMap::new()),
            typing: RwSignal::new(HashMap::new()),
            connected_epoch: RwSignal::new(0),
            avatars: RwSignal::new(HashMap::new()),
            icon_version: RwSignal::new(0),
            statuses: RwSignal::new(HashMap::new()),
            wanted: StoredValue::new(HashSet::new()),
            listeners: StoredValue::new(Vec::new()),
            next_listener: StoredValue::new(0),
            throttle: StoredValue::new(TypingThrottle::default()),
        };
        provide_context(live);
        live
    }

    /// Calls `f` with every event until the calling component is dropped.
    pub fn listen(&self, f: Callback<Event>) {
        let id = self.next_listener.get_value();
        self.next_listener.set_value(id + 1);
        self.listeners.update_value(|v| v.push((id, f)));
        let listeners = self.listeners;
        on_cleanup(move || listeners.try_update_value(|v| v.retain(|(i, _)| *i != id)).unwrap_or(()));
    }

    /// Hands an event to every listener.
    pub fn emit(&self, ev: &Event) {
        let ls: Vec<Callback<Event>> = self.listeners.with_value(|v| v.iter().map(|(_, f)| *f).collect());
        for f in ls {
            f.run(ev.clone());
        }
    }

    /// The composer calls this on input: sends a `typing` frame at most
    /// every 3 s per conversation.
    pub fn typing_in(&self, channel: Uuid, thread_seq: Option<i64>) {
        #[cfg(feature = "hydrate")]
        {
            let now = js_sys::Date::now() as u64;
            let mut go = false;
            self.throttle.update_value(|t| go = t.should_send(channel, thread_seq, now));
            if go {
                super::socket::send(&super::ClientFrame::Typing { channel, thread_seq });
            }
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = (channel, thread_seq);
    }

    /// A message was sent: typing may be announced again at once.
    pub fn sent(&self) {
        self.throttle.update_value(|t| t.reset());
    }

    /// Asks for a member's presence if it is not known yet (batched).
    pub fn want(&self, user: Uuid) {
        if self.presence.with_untracked(|p| p.contains_key(&user)) {
            return;
        }
        let mut first = false;
        self.wanted.update_value(|w| {
            first = w.is_empty();
            w.insert(user);
        });
        #[cfg(feature = "hydrate")]
        if first {
            let live = *self;
            set_timeout(move || live.fetch_wanted(), std::time::Duration::from_millis(50));
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = first;
    }

    /// Loads the presence of everyone asked for (and, after a reconnect,
    /// everyone already shown).
    pub fn fetch_wanted(&self) {
        let mut ids: Vec<Uuid> = Vec::new();
        self.wanted.update_value(|w| ids = w.drain().collect());
        if ids.is_empty() {
            return;
        }
        let presence = self.presence;
        leptos::task::spawn_local(async move {
            let users = ids.iter().map(|u| u.to_string()).collect();
            if let Ok(r) = super::api::presence(users).await {
                presence.update(|p| {
                    for i in r.data.presence {
                        p.insert(i.user, i.presence);
                    }
                });
            }
        });
    }

    /// After a reconnect: everything shown may be stale.
    pub fn refetch_presence(&self) {
        let known: Vec<Uuid> = self.presence.with_untracked(|p| p.keys().copied().collect());
        self.wanted.update_value(|w| w.extend(known));
        self.fetch_wanted();
    }
}

/// "Reconnecting…" while the socket is down after having been up.
#[component]
pub fn ConnectionBanner() -> impl IntoView {
    let live = expect_context::<Live>();
    // The browser's own word on the network, so that an app started
    // offline (from the service worker's copy) says so from the start.
    let offline = RwSignal::new(false);
    #[cfg(feature = "hydrate")]
    {
        let read = move || offline.set(!window().navigator().on_line());
        Effect::new(move |_| read());
        let a = window_event_listener_untyped("online", move |_| read());
        let b = window_event_listener_untyped("offline", move |_| read());
        on_cleanup(move || {
            a.remove();
            b.remove();
        });
    }
    // Offline, or a connection that failed (also a first one, as in an app
    // started without a network), or one that was lost.
    let shown = move || {
        let status = live.status.get();
        offline.get() || status == Status::Reconnecting || (live.was_online.get() && status != Status::Online)
    };
    view! {
        <Show when=shown>
            <div class="conn-banner" role="status" aria-live="polite">
                <span class="spinner" aria-hidden="true"></span>
                {move || if offline.get() {
                    "You are offline. Reconnecting… Messages you send now will go out when the connection is back."
                } else {
                    "Reconnecting… Messages you send now will go out when the connection is back."
                }}
            </div>
        </Show>
    }
}

/// A presence dot for a member: green online, hollow idle, grey offline.
#[component]
pub fn PresenceDot(user: Uuid) -> impl IntoView {
    let Some(live) = use_context::<Live>() else { return ().into_any() };
    Effect::new(move |_| live.want(user));
    let state = move || live.presence.with(|p| p.get(&user).copied().unwrap_or(Presence::Offline));
    let label = move || match state() {
        Presence::Online => "Online",
        Presence::Idle => "Away",
        Presence::Offline => "Offline",
    };
    view! {
        <span class=move || format!("pdot {}", state().as_str()) role="img" aria-label=label title=label
            data-user=user.to_string()></span>
    }
    .into_any()
}

/// "Alice is typing…" under a conversation; keeps its height when empty so
/// the composer does not jump.
#[component]
pub fn TypingLine(channel: Uuid, #[prop(optional)] thread_seq: Option<i64>) -> impl IntoView {
    let Some(live) = use_context::<Live>() else { return ().into_any() };
    let text = move || live.typing.with(|t| t.get(&(channel, thread_seq)).and_then(|s| s.label()));
    view! { <div class="typing-line small muted" aria-live="polite">{text}</div> }.into_any()
}
