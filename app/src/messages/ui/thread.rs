//! The thread pane on the right: the root message, its replies, and a
//! composer with "Also send to channel". Replies update the root's reply
//! count in the open channel's list. A reply written offline is kept on the
//! device like a channel message (see [`super::outbox`]) and shown as waiting.

use leptos::prelude::*;
use leptos::task::spawn_local;
use uuid::Uuid;

use super::composer::Composer;
use super::feed::CurrentFeed;
use super::feed::{post, Pending, WAITING};
use super::outbox::{self, Kept};
use super::row::MessageRow;
use crate::messages::Message;
use crate::realtime::ui::{Live, Status, TypingLine};
use crate::realtime::Event;
use crate::shell::context::{use_me, DetailCtx};
use crate::shell::toast::toasts;

/// Re-renders a row whenever what it shows changes.
fn thread_key(p: &(usize, Message)) -> (usize, i64, i32, bool, String) {
    let m = &p.1;
    let edited = m.edited_at.map(|t| t.unix_timestamp_nanos().to_string()).unwrap_or_default();
    let reactions: i64 = m.reactions.iter().map(|r| r.count * 31 + r.emoji.len() as i64).sum();
    (p.0, m.seq, m.reply_count, m.is_deleted, format!("{edited}/{reactions}"))
}

/// A thread of `channel` that contains `seq` (the root or any reply).
#[component]
pub fn ThreadPane(channel: Uuid, seq: i64) -> impl IntoView {
    let detail = expect_context::<DetailCtx>().0;
    let current = expect_context::<CurrentFeed>().0;
    let toasts = toasts();
    let msgs = RwSignal::new(Vec::<Message>::new());
    let pending = RwSignal::new(Vec::<Pending>::new());
    let error = RwSignal::new(None::<String>);
    let loading = RwSignal::new(true);
    let highlight = RwSignal::new(Some(seq));
    let me = use_me();

    Effect::new(move |_| {
        spawn_local(async move {
            match crate::messages::api::replies(channel.to_string(), seq, None).await {
                Ok(r) => {
                    msgs.set(r.data.messages);
                    if seq != msgs.with_untracked(|m| m.first().map_or(seq, |r| r.seq)) {
                        super::list::scroll_to(seq);
                    }
                }
                Err(e) => error.set(Some(e.detail())),
            }
            loading.set(false);
        });
    });
    let numbered = move || -> Vec<(usize, Message)> { msgs.get().into_iter().enumerate().collect() };
    let root_seq = move || msgs.with(|m| m.first().map(|r| r.seq));
    // Reading the thread moves its read marker (for the Threads view), only forward.
    #[cfg(feature = "hydrate")]
    Effect::new(move |marked: Option<i64>| {
        let marked = marked.unwrap_or(0);
        let newest = msgs.with(|m| m.iter().skip(1).map(|r| r.seq).max()).unwrap_or(0);
        if let (Some(root), true) = (root_seq(), newest > marked) {
            leptos::task::spawn_local(async move {
                let _ = crate::threads::api::mark(channel, root, newest).await;
            });
        }
        newest.max(marked)
    });
    // Live: new replies (deduplicated by seq), edits, deletes, reactions.
    let live = expect_context::<Live>();
    live.listen(Callback::new(move |ev: Event| {
        let Some(root) = msgs.with_untracked(|m| m.first().map(|r| r.seq)) else { return };
        match &ev {
            Event::MessageCreated { message }
                if message.channel == channel && message.thread_seq == Some(root) =>
            {
                if let Some(id) = &message.client_msg_id {
                    pending.update(|v| v.retain(|p| &p.client_msg_id != id));
                }
                msgs.try_update(|v| {
                    if !v.iter().any(|m| m.seq == message.seq) {
                        v.push(message.clone());
                        v.sort_by_key(|m| m.seq);
                    }
                });
            }
            _ if ev.channel() == Some(channel) => {
                let hit = msgs.with_untracked(|v| v.iter().any(|m| ev.apply_to(&mut m.clone())));
                if hit {
                    msgs.update(|v| {
                        for m in v.iter_mut() {
                            ev.apply_to(m);
                        }
                    });
                }
            }
            _ => {}
        }
    }));
    // Keeps the channel list in step with what happens here.
    let sync_feed = move |m: &Message| {
        if let Some(feed) = current.get_untracked().filter(|f| f.channel == channel) {
            feed.upsert(vec![m.clone()]);
        }
    };
    let on_update = Callback::new(move |m: Message| {
        sync_feed(&m);
        msgs.update(|v| {
            if let Some(x) = v.iter_mut().find(|x| x.seq == m.seq) {
                *x = m;
            }
        });
    });
    let on_send = Callback::new(move |(text, also): (String, bool)| {
        let Some(root) = root_seq() else { return };
        let p = Pending { client_msg_id: super::feed::new_client_msg_id(), text: text.clone(), error: None };
        pending.update(|v| v.push(p.clone()));
        let me = me.get_untracked().and_then(|r| r.ok()).map(|r| r.data.user_id);
        let kept = me.map(|me| Kept {
            me,
            channel,
            client_msg_id: p.client_msg_id.clone(),
            text: text.clone(),
            thread_seq: Some(root),
            also,
        });
        if let Some(k) = &kept {
            outbox::keep(k);
        }
        spawn_local(async move {
            let id = p.client_msg_id.clone();
            match post(channel, text, id.clone(), Some(root), also).await {
                Ok(reply) => {
                    outbox::forget(&id);
                    pending.update(|v| v.retain(|x| x.client_msg_id != id));
                    let mut root_msg = None;
                    msgs.update(|v| {
                        // The live event may have brought it already.
                        if v.iter().any(|m| m.seq == reply.seq) {
                            return;
                        }
                        if let Some(r) = v.first_mut() {
                            r.reply_count += 1;
                            r.last_reply_at = Some(reply.created_at);
                            root_msg = Some(r.clone());
                        }
                        v.push(reply.clone());
                    });
                    if let Some(r) = root_msg {
                        sync_feed(&r);
                    }
                    sync_feed(&reply);
                }
                // Offline: it stays kept on the device and waits here; the
                // reconnect sends it, and its live event replaces this row.
                Err(_) if kept.is_some() && live.status.get_untracked() != Status::Online => {
                    pending.update(|v| {
                        if let Some(x) = v.iter_mut().find(|x| x.client_msg_id == id) {
                            x.error = Some(WAITING.to_string());
                        }
                    });
                }
                Err(e) => {
                    outbox::forget(&id);
                    toasts.error(&e);
                    pending.update(|v| v.retain(|x| x.client_msg_id != id));
                }
            }
        });
    });

    view! {
        <div class="pane-header">
            <h2>"Thread"</h2>
            {move || root_seq().map(|r| view! { <crate::notify::ui::FollowButton channel=channel thread_seq=r/> })}
            <button class="icon-btn" aria-label="Close thread" on:click=move |_| detail.set(None)>"×"</button>
        </div>
        <div class="pane-body thread">
            {move || error.get().map(|e| view! { <div class="empty"><p>{e}</p></div> })}
            <Show when=move || loading.get()>
                <p class="muted" aria-busy="true">"Loading thread…"</p>
            </Show>
            {move || me.get().and_then(|r| r.ok()).map(|r| {
                let (me_id, admin) = (r.data.user_id, r.data.role.is_admin());
                view! {
                    <For each=numbered
                        key=thread_key
                        let:pair>
                        {(pair.0 == 1).then(|| {
                            let n = msgs.with(|v| v.first().map_or(0, |r| r.reply_count));
                            view! { <div class="day-sep"><span>{format!("{n} {}", if n == 1 { "reply" } else { "replies" })}</span></div> }
                        })}
                        <MessageRow msg=pair.1 grouped=false me=me_id is_admin=admin in_thread=true
                            highlight=highlight on_update=on_update/>
                    </For>
                }
            })}
            <For each=move || pending.get() key=|p| (p.client_msg_id.clone(), p.error.clone()) let:p>
                <div class="msg pending"><div class="msg-gutter"></div>
                    <div class="msg-body"><div class="msg-text plain">{p.text}</div>
                        {match p.error {
                            None => view! { <span class="muted small">"Sending…"</span> }.into_any(),
                            Some(why) => view! { <span class="muted small" role="status">"Not sent yet: "{why}</span> }.into_any(),
                        }}
                    </div>
                </div>
            </For>
        </div>
        <Show when=move || !loading.get() && error.get().is_none()>
            {move || root_seq().map(|r| view! { <TypingLine channel=channel thread_seq=r/> })}
            <Composer id="thread-composer" placeholder="Reply…".to_string() on_send=on_send
                also_label=Some("Also send to channel".to_string())
                on_typing=Callback::new(move |_: ()| if let Some(r) = root_seq() { live.typing_in(channel, Some(r)) })/>
        </Show>
    }
}
