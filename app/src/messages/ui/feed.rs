//! The open channel's messages in the browser, and optimistic sending.
//!
//! A [`Feed`] holds the loaded window of history (ascending by seq) and the
//! messages being sent. A pending message is keyed by its `client_msg_id`;
//! when the server answers, the confirmed message replaces it. A failed send
//! stays visible with "Retry", which reuses the same `client_msg_id`, so a
//! retry after a lost answer can never post twice. Until the server has it, a
//! pending message is also kept on the device (see [`super::outbox`]), so it
//! survives closing the app while offline.

use leptos::prelude::*;
use uuid::Uuid;

use super::composer::Composer;
use super::outbox::{self, Kept};
use crate::files::tray::{Tray, UploadForm};
use crate::messages::Message;
use crate::realtime::ui::{Live, Status, TypingLine};
use crate::shell::toast::{toasts, ToastList};

/// A new idempotency key for a message about to be sent.
pub fn new_client_msg_id() -> String {
    Uuid::new_v4().to_string()
}

/// A loaded message and a revision counter that changes whenever it does
/// (the list re-renders a row only when its key changes).
#[derive(Clone, Debug, PartialEq)]
pub struct Item {
    pub rev: u32,
    pub msg: Message,
}

/// A message on its way to the server.
#[derive(Clone, Debug, PartialEq)]
pub struct Pending {
    pub client_msg_id: String,
    pub text: String,
    pub error: Option<String>,
}

/// The open channel's loaded messages. All fields are arena handles: `Copy`.
#[derive(Clone, Copy)]
pub struct Feed {
    pub channel: Uuid,
    /// The member viewing it (whose outbox its pending messages go to).
    pub me: Uuid,
    pub items: RwSignal<Vec<Item>>,
    pub pending: RwSignal<Vec<Pending>>,
    pub has_older: RwSignal<bool>,
    pub has_newer: RwSignal<bool>,
    pub loading: RwSignal<bool>,
    rev: StoredValue<u32>,
}

/// The feed of the channel on screen, if any: lets the thread pane (which
/// lives outside the page) update reply counts in the list.
#[derive(Clone, Copy)]
pub struct CurrentFeed(pub RwSignal<Option<Feed>>);

impl Feed {
    pub fn new(channel: Uuid, me: Uuid) -> Feed {
        Feed {
            channel,
            me,
            items: RwSignal::new(Vec::new()),
            pending: RwSignal::new(Vec::new()),
            has_older: RwSignal::new(false),
            has_newer: RwSignal::new(false),
            loading: RwSignal::new(false),
            rev: StoredValue::new(0),
        }
    }

    fn next_rev(&self) -> u32 {
        let r = self.rev.get_value().wrapping_add(1);
        self.rev.set_value(r);
        r
    }

    /// Replaces the window with `msgs` (any order).
    pub fn reset(&self, mut msgs: Vec<Message>) {
        msgs.sort_by_key(|m| m.seq);
        let items = msgs.into_iter().map(|msg| Item { rev: self.next_rev(), msg }).collect();
        self.items.set(items);
    }

    /// Adds or replaces messages by seq, keeping the window sorted. Thread
    /// replies that were not sent to the channel do not belong here.
    pub fn upsert(&self, msgs: Vec<Message>) {
        let msgs: Vec<Message> =
            msgs.into_iter().filter(|m| m.thread_seq.is_none() || m.also_in_channel).collect();
        if msgs.is_empty() {
            return;
        }
        let revs: Vec<u32> = msgs.iter().map(|_| self.next_rev()).collect();
        self.items.try_update(|items| {
            for (msg, rev) in msgs.into_iter().zip(revs) {
                match items.binary_search_by_key(&msg.seq, |i| i.msg.seq) {
                    Ok(i) => items[i] = Item { rev, msg },
                    Err(i) => items.insert(i, Item { rev, msg }),
                }
            }
        });
    }

    /// Changes one loaded message in place.
    pub fn patch(&self, seq: i64, f: impl FnOnce(&mut Message)) {
        let rev = self.next_rev();
        self.items.try_update(|items| {
            if let Ok(i) = items.binary_search_by_key(&seq, |i| i.msg.seq) {
                f(&mut items[i].msg);
                items[i].rev = rev;
            }
        });
    }

    /// Drops messages that no longer exist (retention deleted them).
    pub fn remove(&self, seqs: &[i64]) {
        self.items.try_update(|items| items.retain(|i| !seqs.contains(&i.msg.seq)));
    }

    /// Marks (or unmarks) every loaded message of `user` as by a
    /// deactivated person.
    pub fn mark_author(&self, user: Uuid, deactivated: bool) {
        let rev = self.next_rev();
        self.items.try_update(|items| {
            for i in items.iter_mut().filter(|i| i.msg.user == user && i.msg.user_deactivated != deactivated)
            {
                i.msg.user_deactivated = deactivated;
                i.rev = rev;
            }
        });
    }

    /// Shows a member's new display name on their loaded messages.
    pub fn rename_author(&self, user: Uuid, name: &str) {
        let rev = self.next_rev();
        self.items.try_update(|items| {
            for i in items.iter_mut().filter(|i| i.msg.user == user && i.msg.user_name != name) {
                i.msg.user_name = name.to_string();
                i.rev = rev;
            }
        });
    }

    pub fn oldest_seq(&self) -> Option<i64> {
        self.items.with_untracked(|v| v.first().map(|i| i.msg.seq))
    }

    pub fn newest_seq(&self) -> Option<i64> {
        self.items.with_untracked(|v| v.last().map(|i| i.msg.seq))
    }
}

/// Posts a message; the one place the UI calls `chat.postMessage`.
pub async fn post(
    channel: Uuid,
    text: String,
    client_msg_id: String,
    thread_seq: Option<i64>,
    also: bool,
) -> Result<Message, crate::error::AppError> {
    let r = crate::messages::api::post_message(
        channel.to_string(),
        text,
        Some(client_msg_id),
        thread_seq,
        Some(also),
    )
    .await?;
    Ok(r.data.message)
}

/// What a failed send shows while the connection is down; such messages
/// are sent again automatically on reconnect (the offline outbox).
pub const WAITING: &str = "waiting for the connection; it will be sent when you are back online";

/// Sends a pending message of the feed and settles it. Toasts and the
/// sidebar come from the caller (event handlers run without context).
pub fn send_pending(feed: Feed, p: Pending, toasts: ToastList, live: Live) {
    live.sent();
    let kept = Kept {
        me: feed.me,
        channel: feed.channel,
        client_msg_id: p.client_msg_id.clone(),
        text: p.text.clone(),
        thread_seq: None,
        also: false,
    };
    outbox::keep(&kept);
    leptos::task::spawn_local(async move {
        let id = p.client_msg_id.clone();
        match post(feed.channel, p.text.clone(), id.clone(), None, false).await {
            Ok(m) => {
                let seq = m.seq;
                outbox::forget(&id);
                feed.pending.try_update(|v| v.retain(|x| x.client_msg_id != id));
                feed.upsert(vec![m]);
                crate::realtime::sync::mark_read(feed.channel, seq);
            }
            Err(e) => {
                // A request that fails while the socket is down failed for
                // want of a network: it waits in the outbox, without a toast.
                let offline = live.status.get_untracked() != Status::Online;
                if !offline {
                    toasts.error(&e);
                }
                if outbox::refused(&e) {
                    outbox::forget(&id);
                }
                let why = if offline { WAITING.to_string() } else { e.detail() };
                feed.pending.try_update(|v| {
                    if let Some(x) = v.iter_mut().find(|x| x.client_msg_id == id) {
                        x.error = Some(why);
                    }
                });
            }
        }
    });
}

/// Puts this conversation's messages kept on the device (written before the
/// app was last closed, or in another tab) back among the pending ones, and
/// sends them if the socket is up; otherwise the reconnect sends them
/// ([`crate::realtime`]'s outbox flush). The status is read after the device
/// answered, so a connect that happened meanwhile is not missed.
pub async fn resume_kept(feed: Feed, toasts: ToastList, live: Live) {
    let kept = outbox::all(feed.me).await;
    let online = live.status.get_untracked() == Status::Online;
    for k in kept.into_iter().filter(|k| k.channel == feed.channel && k.thread_seq.is_none()) {
        if feed.pending.with_untracked(|v| v.iter().any(|p| p.client_msg_id == k.client_msg_id)) {
            continue;
        }
        let error = (!online).then(|| WAITING.to_string());
        let p = Pending { client_msg_id: k.client_msg_id, text: k.text, error };
        feed.pending.try_update(|v| v.push(p.clone()));
        if online {
            send_pending(feed, p, toasts, live);
        }
    }
}

/// Sends the kept messages, except the channel messages of `except` (the
/// conversation on screen sends its own, see the message list), in the
/// background; thread replies too (a thread pane showing one as waiting drops
/// it when its live event arrives): each is
/// forgotten once the server has it or refuses it (with a toast). Called when the socket
/// (re)connects.
pub fn send_others(me: Uuid, except: Option<Uuid>, toasts: ToastList) {
    leptos::task::spawn_local(async move {
        let theirs = |k: &Kept| k.thread_seq.is_none() && Some(k.channel) == except;
        for k in outbox::all(me).await.into_iter().filter(|k| !theirs(k)) {
            match post(k.channel, k.text.clone(), k.client_msg_id.clone(), k.thread_seq, k.also).await {
                Ok(_) => outbox::forget(&k.client_msg_id),
                Err(e) if outbox::refused(&e) => {
                    outbox::forget(&k.client_msg_id);
                    toasts.error(&e);
                }
                Err(_) => {} // still offline or busy: next time
            }
        }
    });
}

/// Uploads the tray's files with `text` as one message.
fn send_files(feed: Feed, tray: Tray, text: String, toasts: ToastList) {
    let form = UploadForm { channel: feed.channel.to_string(), text, client_msg_id: new_client_msg_id() };
    tray.upload(
        form,
        Callback::new(move |r: Result<Message, crate::error::AppError>| match r {
            Ok(m) => {
                let seq = m.seq;
                feed.upsert(vec![m]);
                crate::realtime::sync::mark_read(feed.channel, seq);
            }
            Err(e) => {
                tray.notice.set(Some(e.detail()));
                toasts.error(&e);
            }
        }),
    );
}

/// The composer at the bottom of a channel; `tray` holds its attachments
/// (the page's drop zone adds to it too).
#[component]
pub fn ChannelComposer(channel: Uuid, label: String, tray: Tray) -> impl IntoView {
    let current = expect_context::<CurrentFeed>().0;
    let (toasts, live) = (toasts(), expect_context::<Live>());
    let on_send = Callback::new(move |(text, _also): (String, bool)| {
        let Some(feed) = current.get_untracked().filter(|f| f.channel == channel) else { return };
        if !tray.is_empty() {
            send_files(feed, tray, text, toasts);
            return;
        }
        let p = Pending { client_msg_id: new_client_msg_id(), text, error: None };
        feed.pending.update(|v| v.push(p.clone()));
        send_pending(feed, p, toasts, live);
    });
    let on_typing = Callback::new(move |_: ()| live.typing_in(channel, None));
    view! {
        <TypingLine channel=channel/>
        <Composer id="composer" placeholder=format!("Message {label}") on_send=on_send also_label=None
            on_typing=on_typing tray=tray/>
    }
}
