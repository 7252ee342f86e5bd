//! `/threads`: the followed threads, newest activity first, unread ones in
//! bold with their count. Opening one shows it in the thread pane, which
//! marks it read; a reply in a followed thread refreshes the list.

use leptos::prelude::*;
use leptos_meta::Title;

use super::ThreadItem;
use crate::shell::context::{Detail, DetailCtx};

/// The Threads page.
#[component]
pub fn ThreadsPage() -> impl IntoView {
    let version = RwSignal::new(0u32);
    let threads = Resource::new(move || version.get(), |_| async { super::api::list(None, None).await });
    let detail = expect_context::<DetailCtx>().0;
    if let Some(live) = use_context::<crate::realtime::ui::Live>() {
        // A new reply, or a thread read in the pane: reload the page of threads.
        live.listen(Callback::new(move |ev: crate::realtime::Event| {
            if matches!(
                &ev,
                crate::realtime::Event::ThreadReply { .. } | crate::realtime::Event::ThreadFollow { .. }
            ) {
                version.update(|v| *v += 1);
            }
        }));
    }
    let row = move |t: ThreadItem| {
        let (channel, seq, unread) = (t.channel, t.thread_seq, t.unread);
        let when = t.last_reply_at.map(crate::messages::ui::time_fmt::short_datetime).unwrap_or_default();
        let replies = format!("{} repl{}", t.reply_count, if t.reply_count == 1 { "y" } else { "ies" });
        let item_class = if unread > 0 { "thread-item unread" } else { "thread-item" };
        let open = move |_| {
            detail.set(Some(Detail::Thread(channel, seq)));
            leptos::task::spawn_local(async move {
                let _ = super::api::mark(channel, seq, t.latest_reply_seq).await;
            });
        };
        view! {
            <li class=item_class>
                <button class="thread-open" on:click=open>
                    <span class="thread-where">{t.channel_label.clone()}</span>
                    <span class="thread-root">
                        <strong>{t.root_user_name.clone()}</strong>
                        {if t.root_deleted {
                            view! { <span class="muted">" (message deleted)"</span> }.into_any()
                        } else {
                            view! { <span class="msg-text" inner_html=t.root_html.clone()></span> }.into_any()
                        }}
                    </span>
                    <span class="thread-meta muted small">{replies}" · last reply "{when}</span>
                    {(unread > 0).then(|| {
                        let n = if unread >= 100 { "99+".to_string() } else { unread.to_string() };
                        let aria = format!("{unread} unread repl{}", if unread == 1 { "y" } else { "ies" });
                        view! { <span class="badge-count" aria-label=aria>{n}</span> }
                    })}
                </button>
            </li>
        }
    };
    view! {
        <Title text="Threads"/>
        <div class="pane-header"><h1>"Threads"</h1></div>
        <div class="pane-body">
            <Transition fallback=|| view! { <p class="muted" aria-busy="true">"Loading threads…"</p> }>
                {move || threads.get().map(|r| match r {
                    Err(e) => view! { <p class="empty">{e.detail()}</p> }.into_any(),
                    Ok(p) if p.data.threads.is_empty() => view! {
                        <div class="empty">
                            <p><strong>"No threads yet."</strong></p>
                            <p class="muted">"Threads you start, reply to, are mentioned in or follow show up here."</p>
                        </div>
                    }.into_any(),
                    Ok(p) => view! {
                        <ul class="thread-list" aria-label="Followed threads">
                            {p.data.threads.into_iter().map(row).collect_view()}
                        </ul>
                    }.into_any(),
                })}
            </Transition>
        </div>
    }
}
