//! `/admin/channels`: every channel, private ones included (name, members,
//! last activity, never content), with rename, public/private, archive and
//! the default channels new members join.

use leptos::prelude::*;
use uuid::Uuid;

use super::frame::{when, AdminPage};
use crate::admin::AdminChannel;
use crate::shell::toast::{toasts, Tone};

/// The channels admin page.
#[component]
pub fn ChannelsPage() -> impl IntoView {
    view! {
        <AdminPage title="Channels">
            <Channels/>
        </AdminPage>
    }
}

#[derive(Clone)]
enum Change {
    Archive(Uuid, bool),
    Convert(Uuid, bool),
    Default(Uuid, bool),
    Rename(Uuid, String),
}

#[component]
fn Channels() -> impl IntoView {
    let toasts = toasts();
    let query = RwSignal::new(String::new());
    let editing = RwSignal::new(None::<Uuid>);
    let act = Action::new(move |c: &Change| {
        let c = c.clone();
        async move {
            use crate::admin::api;
            match c {
                Change::Archive(id, true) => {
                    api::conversations_archive(id).await.map(|_| "Channel archived.")
                }
                Change::Archive(id, false) => {
                    api::conversations_unarchive(id).await.map(|_| "Channel unarchived.")
                }
                Change::Convert(id, p) => api::conversations_convert(id, p).await.map(|_| {
                    if p {
                        "Channel is now private."
                    } else {
                        "Channel is now public."
                    }
                }),
                Change::Default(id, d) => api::conversations_set_default(id, d).await.map(|_| {
                    if d {
                        "New members will join it."
                    } else {
                        "No longer a default channel."
                    }
                }),
                Change::Rename(id, name) => {
                    api::conversations_rename(id, name).await.map(|_| "Channel renamed.")
                }
            }
        }
    });
    Effect::new(move || match act.value().get() {
        Some(Ok(msg)) => {
            editing.set(None);
            toasts.push(Tone::Success, msg)
        }
        Some(Err(e)) => toasts.error(&e),
        None => {}
    });
    let list = Resource::new(
        move || (query.get(), act.version().get()),
        |(q, _)| async move { crate::admin::api::conversations_list(Some(q)).await.map(|r| r.data.channels) },
    );
    view! {
        <form class="form inline-form filters" role="search" on:submit=|ev| ev.prevent_default()>
            <div class="field">
                <label for="channel-search">"Search"</label>
                <input id="channel-search" type="search" placeholder="Channel name" maxlength="80"
                    prop:value=move || query.get() on:input=move |ev| query.set(event_target_value(&ev))/>
            </div>
        </form>
        <Transition fallback=|| view! { <p class="muted" aria-busy="true">"Loading…"</p> }>
            {move || list.get().map(|r| match r {
                Err(e) => view! { <p class="empty">{e.detail()}</p> }.into_any(),
                Ok(v) if v.is_empty() => view! { <p class="empty">"No channels match."</p> }.into_any(),
                Ok(v) => view! {
                    <table class="table">
                        <thead><tr><th>"Channel"</th><th>"Members"</th><th>"Last message"</th><th>"New members join"</th><th><span class="sr-only">"Actions"</span></th></tr></thead>
                        <tbody>{v.into_iter().map(|c| view! { <Row c=c act=act editing=editing/> }).collect_view()}</tbody>
                    </table>
                }.into_any(),
            })}
        </Transition>
    }
}

#[component]
fn Row(
    c: AdminChannel,
    act: Action<Change, Result<&'static str, crate::error::AppError>>,
    editing: RwSignal<Option<Uuid>>,
) -> impl IntoView {
    let id = c.id;
    let name = RwSignal::new(c.name.clone());
    let label = format!("{}{}", if c.is_private { "🔒 " } else { "#" }, c.name);
    let (private, archived, default, general) = (c.is_private, c.is_archived, c.is_default, c.is_general);
    let default_label = format!("New members join #{}", c.name);
    view! {
        <tr class:row-deactivated=archived>
            <td>
                {move || if editing.get() == Some(id) {
                    view! {
                        <form class="confirm" on:submit=move |ev| { ev.prevent_default(); act.dispatch(Change::Rename(id, name.get_untracked())); }>
                            <label class="sr-only" for=format!("rename-{id}")>"New name"</label>
                            <input id=format!("rename-{id}") maxlength="80" required=true
                                prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev))/>
                            <button type="submit" class="btn primary small">"Save"</button>
                            <button type="button" class="btn subtle small" on:click=move |_| editing.set(None)>"Cancel"</button>
                        </form>
                    }.into_any()
                } else {
                    view! { <span>{label.clone()}</span> }.into_any()
                }}
                {archived.then(|| view! { " " <span class="tag-deactivated">"Archived"</span> })}
            </td>
            <td>{c.member_count}</td>
            <td>{when(c.last_message_at)}</td>
            <td>
                {if general {
                    view! { <span class="muted">"Always"</span> }.into_any()
                } else {
                    view! { <input type="checkbox" aria-label=default_label checked=default
                        on:change=move |ev| { act.dispatch(Change::Default(id, event_target_checked(&ev))); }/> }.into_any()
                }}
            </td>
            <td class="row-actions">
                <button class="btn subtle small" on:click=move |_| editing.set(Some(id))>"Rename"</button>
                {(!general).then(|| view! {
                    <button class="btn subtle small" on:click=move |_| { act.dispatch(Change::Convert(id, !private)); }>
                        {if private { "Make public" } else { "Make private" }}
                    </button>
                    <button class="btn subtle small" on:click=move |_| { act.dispatch(Change::Archive(id, !archived)); }>
                        {if archived { "Unarchive" } else { "Archive" }}
                    </button>
                })}
            </td>
        </tr>
    }
}
