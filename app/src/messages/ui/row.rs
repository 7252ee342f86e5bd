//! One message: author, time (a permalink), sanitised HTML, reactions,
//! thread summary, and the hover toolbar (react, reply, edit, delete, link).

use leptos::prelude::*;
use leptos::task::spawn_local;
use uuid::Uuid;

use super::time_fmt::{clock_pref, local, short_datetime};
use crate::messages::Message;
use crate::shell::context::{Detail, DetailCtx};
use crate::shell::toast::toasts;
use crate::widgets::Avatar;

/// The emoji offered by the quick reaction picker.
pub const QUICK_EMOJI: [&str; 12] = ["👍", "❤️", "😂", "🎉", "👀", "🙏", "✅", "🔥", "😄", "🚀", "💯", "😢"];

/// The message after the caller toggled `emoji`.
fn toggled(mut m: Message, emoji: &str, me: Uuid, my_name: &str) -> Message {
    if !m.remove_reaction(emoji, me) {
        m.add_reaction(emoji, emoji, me, my_name);
    }
    m
}

/// A message row. `on_update` receives the message after any change made here.
#[component]
pub fn MessageRow(
    msg: Message,
    grouped: bool,
    me: Uuid,
    is_admin: bool,
    in_thread: bool,
    highlight: RwSignal<Option<i64>>,
    on_update: Callback<Message>,
) -> impl IntoView {
    let detail = expect_context::<DetailCtx>().0;
    let toasts = toasts();
    let m = StoredValue::new(msg.clone());
    let (channel, seq) = (msg.channel, msg.seq);
    let editing = RwSignal::new(false);
    let picker = RwSignal::new(false);
    let mine = msg.user == me;
    let lt = local(msg.created_at);
    let permalink = format!("/c/{channel}/{seq}");
    let my_name = crate::shell::context::use_me()
        .get_untracked()
        .and_then(|r| r.ok())
        .map(|r| r.data.display_name)
        .unwrap_or_default();

    let react = move |emoji: String| {
        picker.set(false);
        let current = m.get_value();
        let had = current.reactions.iter().any(|r| r.emoji == emoji && r.users.contains(&me));
        let name = my_name.clone();
        spawn_local(async move {
            let res = if had {
                crate::messages::api::unreact(channel.to_string(), seq, emoji.clone()).await
            } else {
                crate::messages::api::react(channel.to_string(), seq, emoji.clone()).await
            };
            match res {
                Ok(_) => on_update.run(toggled(current, &emoji, me, &name)),
                Err(e) => toasts.error(&e),
            }
        });
    };
    let react = StoredValue::new(react);
    let delete = move |_| {
        #[cfg(feature = "hydrate")]
        if !window().confirm_with_message("Delete this message? This can't be undone.").unwrap_or(false) {
            return;
        }
        spawn_local(async move {
            match crate::messages::api::delete(channel.to_string(), seq).await {
                Ok(_) => {
                    let mut t = m.get_value();
                    t.tombstone();
                    on_update.run(t);
                }
                Err(e) => toasts.error(&e),
            }
        });
    };
    let copy_link = move |_| {
        #[cfg(feature = "hydrate")]
        {
            let origin = window().location().origin().unwrap_or_default();
            let _ = window().navigator().clipboard().write_text(&format!("{origin}/c/{channel}/{seq}"));
        }
        toasts.push(crate::shell::toast::Tone::Success, "Link copied");
    };
    let save = move |text: String| {
        spawn_local(async move {
            match crate::messages::api::update(channel.to_string(), seq, text).await {
                Ok(r) => {
                    editing.set(false);
                    on_update.run(r.data.message);
                }
                Err(e) => toasts.error(&e),
            }
        });
    };

    let mentioned = msg.mentions_me(me);
    let reactions = msg.reactions.clone();
    let show_thread = !in_thread && msg.thread_seq.is_none() && msg.reply_count > 0;
    view! {
        <div class="msg" id=format!("msg-{seq}") class:grouped=grouped class:mentioned=mentioned
            class:highlight=move || highlight.get() == Some(seq) class:deleted=msg.is_deleted class:system=msg.is_system()>
            <div class="msg-gutter">
                {if grouped {
                    view! { <a class="msg-time-hover small muted" href=permalink.clone()>{clock_pref(lt)}</a> }.into_any()
                } else {
                    view! { <Avatar id=msg.user name=msg.user_name.clone()/> }.into_any()
                }}
            </div>
            <div class="msg-body">
                {(!grouped).then(|| view! {
                    <div class="msg-head">
                        <button class="msg-author" on:click=move |_| detail.set(Some(Detail::Member(msg.user)))>
                            {msg.user_name.clone()}
                        </button>
                        <crate::widgets::StatusEmoji user=msg.user/>
                        {msg.user_deactivated.then(|| view! { <span class="tag-deactivated">"deactivated"</span> })}
                        <a class="msg-time small muted" href=permalink.clone() title=short_datetime(msg.created_at)>{clock_pref(lt)}</a>
                    </div>
                })}
                {(msg.thread_seq.is_some() && msg.also_in_channel && !in_thread).then(|| view! {
                    <span class="muted small">"replied to a thread"</span>
                })}
                {move || if editing.get() {
                    view! { <EditBox text=m.get_value().text on_save=Callback::new(save) on_cancel=Callback::new(move |_| editing.set(false))/> }.into_any()
                } else if m.with_value(|m| m.is_deleted) {
                    view! { <div class="msg-text tombstone muted">"This message was deleted."</div> }.into_any()
                } else {
                    let v = m.get_value();
                    view! {
                        {(!v.html.is_empty()).then(|| view! { <div class="msg-text" inner_html=v.html.clone()></div> })}
                        {v.edited_at.map(|t| view! { <span class="edited muted small" title=short_datetime(t)>"(edited)"</span> })}
                        {(!v.files.is_empty()).then(|| view! { <crate::files::ui::FileList files=v.files.clone()/> })}
                    }.into_any()
                }}
                {(!reactions.is_empty()).then(|| view! {
                    <div class="reactions">
                        {reactions.iter().map(|r| {
                            let emoji = r.emoji.clone();
                            let mine = r.users.contains(&me);
                            let who = format!("{} reacted with :{}:", r.names.join(", "), r.name);
                            view! {
                                <button class="reaction" class:mine=mine aria-pressed=mine.to_string() title=who.clone()
                                    aria-label=who on:click=move |_| react.with_value(|f| f(emoji.clone()))>
                                    <span>{r.emoji.clone()}</span>" "<span class="count">{r.count}</span>
                                </button>
                            }
                        }).collect_view()}
                    </div>
                })}
                {show_thread.then(|| view! {
                    <button class="thread-summary" on:click=move |_| detail.set(Some(Detail::Thread(channel, seq)))>
                        <strong>{format!("{} {}", msg.reply_count, if msg.reply_count == 1 { "reply" } else { "replies" })}</strong>
                        {msg.last_reply_at.map(|t| view! { <span class="muted small">" Last reply "{short_datetime(t)}</span> })}
                    </button>
                })}
            </div>
            {(!msg.is_deleted).then(|| view! {
                <div class="msg-actions" role="toolbar" aria-label="Message actions">
                    <button class="icon-btn" title="Add reaction" aria-label="Add reaction" aria-expanded=move || picker.get().to_string()
                        on:click=move |_| picker.update(|p| *p = !*p)>"☺"</button>
                    {(!in_thread && msg.thread_seq.is_none()).then(|| view! {
                        <button class="icon-btn" title="Reply in thread" aria-label="Reply in thread"
                            on:click=move |_| detail.set(Some(Detail::Thread(channel, seq)))>"💬"</button>
                    })}
                    {mine.then(|| view! {
                        <button class="icon-btn" title="Edit message" aria-label="Edit message" on:click=move |_| editing.set(true)>"✎"</button>
                    })}
                    {(mine || is_admin).then(|| view! {
                        <button class="icon-btn" title="Delete message" aria-label="Delete message" on:click=delete>"🗑"</button>
                    })}
                    <button class="icon-btn" title="Copy link" aria-label="Copy link to message" on:click=copy_link>"🔗"</button>
                    <Show when=move || picker.get()>
                        <div class="emoji-picker" role="menu" aria-label="Pick a reaction">
                            {QUICK_EMOJI.iter().map(|e| {
                                let e = e.to_string();
                                let label = format!("React with {e}");
                                view! { <button role="menuitem" aria-label=label on:click={let e = e.clone(); move |_| react.with_value(|f| f(e.clone()))}>{e.clone()}</button> }
                            }).collect_view()}
                        </div>
                    </Show>
                </div>
            })}
        </div>
    }
}

/// Inline editing of a message: Enter saves, Escape cancels.
#[component]
fn EditBox(text: String, on_save: Callback<String>, on_cancel: Callback<()>) -> impl IntoView {
    let value = RwSignal::new(text);
    let input = NodeRef::<leptos::html::Textarea>::new();
    Effect::new(move |_| {
        if let Some(el) = input.get() {
            let _ = el.focus();
        }
    });
    view! {
        <div class="edit-box">
            <label class="sr-only" for="edit-message">"Edit message text"</label>
            <textarea id="edit-message" node_ref=input prop:value=move || value.get()
                on:input=move |ev| value.set(event_target_value(&ev))
                on:keydown=move |ev| {
                    if ev.key() == "Escape" { ev.stop_propagation(); on_cancel.run(()); }
                    if ev.key() == "Enter" && !ev.shift_key() && !ev.is_composing() {
                        ev.prevent_default();
                        on_save.run(value.get_untracked());
                    }
                }></textarea>
            <div class="edit-actions">
                <button class="btn subtle" on:click=move |_| on_cancel.run(())>"Cancel"</button>
                <button class="btn primary" on:click=move |_| on_save.run(value.get_untracked())>"Save"</button>
            </div>
        </div>
    }
}
