//! The message list: infinite scroll in both directions, day separators,
//! grouping of consecutive messages, the "new messages" divider, and
//! permalinks that load context around a message.
//!
//! The scroller uses `flex-direction: column-reverse`, so the browser keeps
//! the view anchored to the bottom: prepending older pages does not move what
//! the reader is looking at, and a fresh channel opens at the newest message.

use leptos::prelude::*;
use leptos::task::spawn_local;
use uuid::Uuid;

use super::feed::{resume_kept, send_pending, CurrentFeed, Feed, Item};
use super::row::MessageRow;
use super::time_fmt::{day_label, local};
use crate::channels::Channel;
use crate::error::AppError;
use crate::messages::api::history;
use crate::messages::Message;
use crate::shell::context::{Detail, DetailCtx};
use crate::shell::toast::toasts;

const PAGE: i64 = 50;
/// Consecutive messages of one author within this many seconds are grouped.
const GROUP_SECS: i64 = 300;

#[derive(Clone, PartialEq)]
struct RowData {
    item: Item,
    day: Option<String>,
    new_divider: bool,
    grouped: bool,
}

fn rows(items: &[Item], last_read: i64, me: Uuid) -> Vec<RowData> {
    let mut out = Vec::with_capacity(items.len());
    let mut prev: Option<&Message> = None;
    let mut divider_done = false;
    for it in items {
        let m = &it.msg;
        let day_key = local(m.created_at).day_key();
        let new_day = prev.is_none_or(|p| local(p.created_at).day_key() != day_key);
        let new_divider = !divider_done && m.seq > last_read && m.user != me;
        divider_done |= new_divider;
        let grouped = !new_day
            && !new_divider
            && prev.is_some_and(|p| {
                p.user == m.user
                    && !p.is_deleted
                    && p.thread_seq.is_none()
                    && (m.created_at - p.created_at).whole_seconds() < GROUP_SECS
            });
        out.push(RowData {
            item: it.clone(),
            day: new_day.then(|| day_label(local(m.created_at))),
            new_divider,
            grouped,
        });
        prev = Some(m);
    }
    out
}

async fn page(
    channel: Uuid,
    before: Option<i64>,
    after: Option<i64>,
    limit: i64,
) -> Result<(Vec<Message>, bool), AppError> {
    let r = history(channel.to_string(), before, after, Some(limit)).await?;
    Ok((r.data.messages, r.data.has_more))
}

/// The conversation's messages, loaded by the browser.
#[component]
pub fn MessageList(channel: Channel, me: Uuid, is_admin: bool, target: Memo<Option<i64>>) -> impl IntoView {
    let id = channel.id;
    let feed = Feed::new(id, me);
    let current = expect_context::<CurrentFeed>().0;
    let detail = expect_context::<DetailCtx>().0;
    let toasts = toasts();
    let live = expect_context::<crate::realtime::ui::Live>();
    let highlight = RwSignal::new(target.get_untracked());
    // Showing the copy saved on this device (the network is down).
    let saved = RwSignal::new(false);
    let scroller = NodeRef::<leptos::html::Div>::new();
    let last_read = channel.last_read;
    let is_member = channel.is_member;
    let intro_name = channel.label();
    let intro_text = if channel.kind.is_dm() {
        format!("This is the very beginning of your direct messages with {}.", channel.display_name)
    } else if channel.purpose.is_empty() {
        format!("This is the very beginning of {}.", channel.label())
    } else {
        format!("This is the very beginning of {}. {}", channel.label(), channel.purpose)
    };

    let mark_read = move || {
        if !is_member || feed.has_newer.get_untracked() {
            return;
        }
        if let Some(seq) = feed.newest_seq().filter(|s| *s > last_read) {
            crate::realtime::sync::mark_read(id, seq);
        }
    };

    let load = move |before: Option<i64>, after: Option<i64>| {
        if feed.loading.get_untracked() {
            return;
        }
        feed.loading.set(true);
        spawn_local(async move {
            match page(id, before, after, PAGE).await {
                Ok((msgs, more)) => {
                    let pos = scroller.get_untracked().map(|el| (el.scroll_top(), el.scroll_height()));
                    feed.upsert(msgs);
                    keep_position(scroller, pos, after.is_some());
                    if after.is_some() {
                        feed.has_newer.set(more)
                    } else {
                        feed.has_older.set(more)
                    }
                    if after.is_some() && !more {
                        mark_read();
                    }
                }
                Err(e) => toasts.error(&e),
            }
            feed.loading.set(false);
        });
    };

    let open_at = move |target: Option<i64>| {
        feed.loading.set(true);
        spawn_local(async move {
            let result = match target {
                None => page(id, None, None, PAGE).await.map(|(m, more)| (m, more, false)),
                Some(seq) => {
                    let older = page(id, Some(seq + 1), None, PAGE / 2).await;
                    let newer = page(id, None, Some(seq), PAGE / 2).await;
                    older.and_then(|(mut o, om)| {
                        newer.map(|(n, nm)| {
                            o.extend(n);
                            (o, om, nm)
                        })
                    })
                }
            };
            match result {
                Ok((mut msgs, has_older, has_newer)) => {
                    saved.set(false);
                    if target.is_none() {
                        super::offline::save(me, id, &msgs);
                    }
                    let found = target.is_none_or(|s| msgs.iter().any(|m| m.seq == s));
                    // Messages that arrived live while this page loaded are
                    // newer than it: keep them.
                    if !has_newer {
                        let max = msgs.iter().map(|m| m.seq).max().unwrap_or(0);
                        feed.items.with_untracked(|v| {
                            msgs.extend(v.iter().filter(|i| i.msg.seq > max).map(|i| i.msg.clone()))
                        });
                    }
                    feed.reset(msgs);
                    feed.has_older.set(has_older);
                    feed.has_newer.set(has_newer);
                    if let Some(seq) = target {
                        if found {
                            scroll_to(seq);
                        } else {
                            // Not in the channel's history: a thread reply.
                            detail.set(Some(Detail::Thread(id, seq)));
                        }
                    }
                    mark_read();
                }
                Err(e) => match (target, super::offline::load(me, id).await) {
                    (None, Some(msgs)) => {
                        feed.has_older.set(msgs.len() as i64 >= PAGE);
                        feed.has_newer.set(false);
                        feed.reset(msgs);
                        saved.set(true);
                    }
                    _ => toasts.error(&e),
                },
            }
            feed.loading.set(false);
            resume_kept(feed, toasts, live).await;
        });
    };

    // Runs in the browser only; again when a permalink in this channel is followed.
    Effect::new(move |_| {
        let t = target.get();
        current.set(Some(feed));
        highlight.set(t);
        open_at(t);
    });
    on_cleanup(move || {
        current.try_update(|c| {
            if c.is_some_and(|f| f.channel == id) {
                *c = None;
            }
        });
    });

    let on_scroll = move |_| {
        let Some(el) = scroller.get_untracked() else { return };
        let top = el.scroll_top();
        let from_top = el.scroll_height() - el.client_height() + top;
        if from_top < 600 && feed.has_older.get_untracked() {
            load(feed.oldest_seq(), None);
        }
        if top > -200 && feed.has_newer.get_untracked() {
            load(None, feed.newest_seq());
        }
    };
    let on_update = Callback::new(move |m: Message| feed.upsert(vec![m]));
    let each = move || feed.items.with(|items| rows(items, last_read, me));

    view! {
        <div class="messages" node_ref=scroller on:scroll=on_scroll role="log" aria-label="Messages" aria-live="polite"
            tabindex="0" aria-busy=move || feed.loading.get().to_string()>
            <div class="messages-inner">
                <Show when=move || feed.has_older.get()>
                    <div class="load-older">
                        <button class="btn subtle" disabled=move || feed.loading.get()
                            on:click=move |_| load(feed.oldest_seq(), None)>
                            {move || if feed.loading.get() { "Loading older messages…" } else { "Load older messages" }}
                        </button>
                    </div>
                </Show>
                <Show when=move || !(feed.has_older.get() || feed.loading.get() && feed.items.with(Vec::is_empty))>
                    <div class="channel-intro">
                        <h2>{intro_name.clone()}</h2>
                        <p class="muted">{intro_text.clone()}</p>
                    </div>
                </Show>
                <Show when=move || feed.loading.get() && feed.items.with(Vec::is_empty)>
                    <div class="skeleton" aria-hidden="true"><div></div><div></div><div></div></div>
                </Show>
                <For each=each key=|r| (r.item.msg.seq, r.item.rev, r.day.clone(), r.new_divider, r.grouped) let:r>
                    {r.day.clone().map(|d| view! { <div class="day-sep" role="separator"><span>{d}</span></div> })}
                    {r.new_divider.then(|| view! { <div class="new-divider" role="separator"><span>"New messages"</span></div> })}
                    <MessageRow msg=r.item.msg.clone() grouped=r.grouped me=me is_admin=is_admin in_thread=false
                        highlight=highlight on_update=on_update/>
                </For>
                <For each=move || feed.pending.get() key=|p| (p.client_msg_id.clone(), p.error.clone()) let:p>
                    <PendingRow feed=feed p=p/>
                </For>
                <Show when=move || saved.get()>
                    <p class="saved-copy" role="status">"You are offline: these are the messages saved on this device."</p>
                </Show>
            </div>
        </div>
        <Show when=move || feed.has_newer.get()>
            <button class="btn jump-recent" on:click=move |_| { highlight.set(None); open_at(None); }>
                "Jump to recent messages ↓"
            </button>
        </Show>
    }
}

/// A message still being sent, or one that failed with Retry/Discard.
#[component]
fn PendingRow(feed: Feed, p: super::feed::Pending) -> impl IntoView {
    let (toasts, live) = (toasts(), expect_context::<crate::realtime::ui::Live>());
    let failed = p.error.clone();
    let is_failed = failed.is_some();
    let retry = p.clone();
    let id = p.client_msg_id.clone();
    view! {
        <div class="msg pending" class:failed=is_failed>
            <div class="msg-gutter"></div>
            <div class="msg-body">
                <div class="msg-text plain">{p.text.clone()}</div>
                {match failed {
                    None => view! { <span class="muted small">"Sending…"</span> }.into_any(),
                    Some(err) => view! {
                        <span class="error small" role="alert">"Not sent: "{err}" "</span>
                        <button class="btn subtle small" on:click=move |_| {
                            let mut r = retry.clone();
                            r.error = None;
                            feed.pending.update(|v| if let Some(x) = v.iter_mut().find(|x| x.client_msg_id == r.client_msg_id) { x.error = None; });
                            send_pending(feed, r, toasts, live);
                        }>"Retry"</button>
                        <button class="btn subtle small" on:click=move |_| {
                            let id = id.clone();
                            super::outbox::forget(&id);
                            feed.pending.update(|v| v.retain(|x| x.client_msg_id != id));
                        }>"Discard"</button>
                    }.into_any(),
                }}
            </div>
        </div>
    }
}

/// Keeps what the reader sees in place once a page is rendered. The
/// column-reverse scroller anchors to the bottom by itself, except when the
/// reader is at the very top edge, where Chrome pins the view to the new top
/// (and would load page after page); newer pages grow the bottom, so there
/// the distance from the top is what must stay.
fn keep_position(scroller: NodeRef<leptos::html::Div>, pos: Option<(i32, i32)>, newer: bool) {
    #[cfg(feature = "hydrate")]
    if let Some((top, height)) = pos {
        request_animation_frame(move || {
            if let Some(el) = scroller.get_untracked() {
                let grown = el.scroll_height() - height;
                el.set_scroll_top(if newer { top - grown } else { top });
            }
        });
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (scroller, pos, newer);
}

/// Scrolls a message into the middle of the view once it is rendered.
pub fn scroll_to(seq: i64) {
    #[cfg(feature = "hydrate")]
    request_animation_frame(move || {
        if let Some(el) = document().get_element_by_id(&format!("msg-{seq}")) {
            let opts = web_sys::ScrollIntoViewOptions::new();
            opts.set_block(web_sys::ScrollLogicalPosition::Center);
            el.scroll_into_view_with_scroll_into_view_options(&opts);
        }
    });
    #[cfg(not(feature = "hydrate"))]
    let _ = seq;
}
