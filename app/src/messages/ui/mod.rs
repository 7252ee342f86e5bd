//! The conversation view: channel header, message list with infinite
//! scroll, composer, and the thread pane.
//!
//! The page header renders on the server; the message list is loaded by the
//! browser (times are shown in the viewer's local time zone, which the server
//! does not know, so rendering them on the server would break hydration).

mod composer;
mod feed;
mod list;
mod offline;
mod outbox;
mod row;
mod thread;
pub mod time_fmt;

pub use composer::Composer;
pub use feed::{new_client_msg_id, send_others, send_pending, CurrentFeed, Feed, Pending};
pub use thread::ThreadPane;

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;
use uuid::Uuid;

use crate::auth::Me;
use crate::channels::Channel;
use crate::files::tray::{files_of, Tray};
use crate::shell::context::{use_me, Detail, DetailCtx};

/// `/c/:channel` and the permalink `/c/:channel/:seq`.
#[component]
pub fn ChannelPage() -> impl IntoView {
    let params = use_params_map();
    let channel =
        Memo::new(move |_| params.with(|p| p.get("channel").and_then(|c| Uuid::parse_str(&c).ok())));
    let target = Memo::new(move |_| params.with(|p| p.get("seq").and_then(|s| s.parse::<i64>().ok())));
    let info = Resource::new(
        move || channel.get(),
        |id| async move {
            match id {
                Some(id) => crate::channels::api::info(id.to_string()).await.map(|r| r.data.channel),
                None => Err(crate::error::AppError::NotFound(crate::error::Missing::Channel)),
            }
        },
    );
    let me = use_me();
    // One Transition for both resources: a second one nested in the branch
    // that appears after the first resolves would break hydration.
    view! {
        <Transition fallback=|| view! { <div class="pane-header"><h1 class="muted">"Loading…"</h1></div> }>
            {move || info.get().zip(me.get()).map(|(r, me)| match r.and_then(|c| me.map(|m| (c, m.data))) {
                Err(e) => view! {
                    <Title text="Not found"/>
                    <div class="pane-header"><h1>"Channel not found"</h1></div>
                    <div class="pane-body"><div class="empty">
                        <p><strong>{e.detail()}</strong></p>
                        <a class="btn primary" href="/channels">"Browse channels"</a>
                    </div></div>
                }.into_any(),
                Ok((c, me)) => view! { <ChannelView channel=c me=me target=target info=info/> }.into_any(),
            })}
        </Transition>
    }
}

type InfoResource = Resource<Result<Channel, crate::error::AppError>>;

/// The header, list and composer of one open conversation.
#[component]
fn ChannelView(channel: Channel, me: Me, target: Memo<Option<i64>>, info: InfoResource) -> impl IntoView {
    let detail = expect_context::<DetailCtx>().0;
    let id = channel.id;
    let label = channel.label();
    let title = label.clone();
    let topic = channel.topic.clone();
    let archived = channel.is_archived;
    let is_member = channel.is_member;
    let (convs, toasts) = (crate::shell::context::use_convs(), crate::shell::toast::toasts());
    let join = Action::new(move |_: &()| async move {
        match crate::channels::api::join(id.to_string()).await {
            Ok(_) => {
                convs.refresh();
                info.refetch();
            }
            Err(e) => toasts.error(&e),
        }
    });
    let tray = Tray::new();
    let dragging = RwSignal::new(false);
    let can_post = !archived && is_member;
    let drop_label = format!("Drop files to share in {label}");
    view! {
        <Title text=title/>
        <div class="pane-header channel-header">
            <div class="channel-title">
                <h1>{label.clone()}</h1>
                {(!topic.is_empty()).then(|| view! { <p class="topic muted" title=topic.clone()>{topic.clone()}</p> })}
            </div>
            <button class="btn subtle files-btn" title="Files" aria-label="Files in this channel"
                on:click=move |_| detail.set(Some(Detail::Files(id)))><crate::widgets::Icon name="folder"/></button>
            <button class="btn subtle members-btn" aria-label=format!("Details and {} members", channel.member_count)
                on:click=move |_| detail.set(Some(Detail::Channel(id)))>
                "👥 "{channel.member_count}
            </button>
        </div>
        {archived.then(|| view! {
            <div class="banner" role="note">"This channel is archived. You can read and search it, but nobody can post."</div>
        })}
        <div class="drop-zone" class:dragging=move || dragging.get() data-drop-label=drop_label
            on:dragover=move |ev| if can_post { ev.prevent_default(); dragging.set(true); }
            on:dragleave=move |_| dragging.set(false)
            on:drop=move |ev| if can_post {
                ev.prevent_default();
                dragging.set(false);
                tray.add(files_of(ev.data_transfer().and_then(|d| d.files())));
            }>
        <list::MessageList channel=channel.clone() me=me.user_id is_admin=me.role.is_admin() target=target/>
        {move || if archived {
            view! { <div class="composer-off muted">"Archived: read-only."</div> }.into_any()
        } else if !is_member {
            view! {
                <div class="composer-off">
                    <span>"You are viewing "{label.clone()}"."</span>
                    <button class="btn primary" disabled=move || join.pending().get()
                        on:click=move |_| { join.dispatch(()); }>"Join channel"</button>
                </div>
            }.into_any()
        } else {
            view! { <feed::ChannelComposer channel=id label=label.clone() tray=tray/> }.into_any()
        }}
        </div>
    }
}
