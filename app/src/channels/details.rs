//! The body of the channel details pane: editable topic and purpose, the
//! member list with "Add people", and leave / archive / rename.

use std::future::Future;

use leptos::prelude::*;
use leptos::task::spawn_local;
use uuid::Uuid;

use super::api;
use super::Channel;
use crate::core::policy;
use crate::error::AppError;
use crate::shell::context::{use_convs, ConvsCtx};
use crate::shell::toast::{toasts, ToastList, Tone};
use crate::users::MemberInfo;
use crate::widgets::MemberLine;

type Members = LocalResource<Result<Vec<MemberInfo>, AppError>>;

/// What an action needs to report back: toasts and the sidebar. Taken from
/// context when a component is created (event handlers run without it).
#[derive(Clone, Copy)]
struct Ui {
    toasts: ToastList,
    convs: ConvsCtx,
    version: RwSignal<u32>,
}

impl Ui {
    fn new(version: RwSignal<u32>) -> Ui {
        Ui { toasts: toasts(), convs: use_convs(), version }
    }
}

/// Runs a channel action, then reloads the pane and the sidebar.
fn act<F>(done: &'static str, ui: Ui, fut: F)
where
    F: Future<Output = Result<(), AppError>> + 'static,
{
    let Ui { toasts, convs, version } = ui;
    spawn_local(async move {
        match fut.await {
            Ok(()) => {
                toasts.push(Tone::Success, done);
                version.update(|v| *v += 1);
                convs.refresh();
            }
            Err(e) => toasts.error(&e),
        }
    });
}

/// An inline-editable text field (topic, purpose, name).
#[component]
fn EditableField(
    label: &'static str,
    value: String,
    editable: bool,
    on_save: Callback<String>,
) -> impl IntoView {
    let editing = RwSignal::new(false);
    let draft = RwSignal::new(value.clone());
    let id = format!("field-{}", label.to_lowercase());
    let shown = value.clone();
    view! {
        <div class="field">
            <div class="field-head">
                <label for=id.clone()>{label}</label>
                {editable.then(|| view! {
                    <button class="link-btn" on:click=move |_| editing.update(|e| *e = !*e)>
                        {move || if editing.get() { "Cancel" } else { "Edit" }}
                    </button>
                })}
            </div>
            {move || if editing.get() {
                let id = id.clone();
                view! {
                    <form class="inline-form" on:submit=move |ev| {
                        ev.prevent_default();
                        on_save.run(draft.get_untracked());
                        editing.set(false);
                    }>
                        <input id=id maxlength="250" prop:value=move || draft.get()
                            on:input=move |ev| draft.set(event_target_value(&ev))/>
                        <button class="btn primary" type="submit">"Save"</button>
                    </form>
                }.into_any()
            } else if shown.is_empty() {
                view! { <p class="muted">"Not set"</p> }.into_any()
            } else {
                view! { <p>{shown.clone()}</p> }.into_any()
            }}
        </div>
    }
}

/// Everything in the pane once the channel is loaded.
#[component]
pub fn DetailsBody(c: Channel, members: Members, version: RwSignal<u32>) -> impl IntoView {
    let ui = Ui::new(version);
    let id = c.id.to_string();
    let open = c.is_member && !c.is_archived;
    let is_channel = !c.kind.is_dm();
    let (i1, i2, i3) = (id.clone(), id.clone(), id.clone());
    let save_topic = Callback::new(move |t: String| {
        let id = i1.clone();
        act("Topic updated", ui, async move { api::set_topic(id, t).await.map(|_| ()) })
    });
    let save_purpose = Callback::new(move |t: String| {
        let id = i2.clone();
        act("Purpose updated", ui, async move { api::set_purpose(id, t).await.map(|_| ()) })
    });
    let save_name = Callback::new(move |n: String| {
        let id = i3.clone();
        act("Channel renamed", ui, async move { api::rename(id, n).await.map(|_| ()) })
    });
    let (id_leave, id_arch) = (id.clone(), id.clone());
    let archived = c.is_archived;
    let me = crate::shell::context::use_me().get_untracked().and_then(|r| r.ok()).map(|r| r.data);
    let me_id = me.as_ref().map(|m| m.user_id);
    // The same rules the server applies (core::policy), so the pane offers
    // exactly what will be allowed.
    let target = policy::Target {
        is_dm: c.kind.is_dm(),
        is_general: c.is_general,
        is_member: c.is_member,
        is_archived: c.is_archived,
        created_by: c.created_by,
    };
    let subject = me.as_ref().map(|m| policy::Subject { member: m.user_id, role: m.role });
    let allowed = |rule: fn(&policy::Subject, &policy::Target) -> bool| {
        subject.as_ref().is_some_and(|s| rule(s, &target))
    };
    let can_leave = allowed(policy::can_leave);
    let workspace_rules = me.as_ref().map(|m| m.rules).unwrap_or_default();
    let can_archive = subject.as_ref().is_some_and(|s| policy::can_archive(s, &target, &workspace_rules));
    let can_kick = allowed(policy::can_kick);
    let channel_id = c.id;
    view! {
        <h3>{c.label()}</h3>
        {c.is_archived.then(|| view! { <p class="badge">"Archived"</p> })}
        {is_channel.then(|| view! {
            <EditableField label="Name" value=c.name.clone().unwrap_or_default() editable=open on_save=save_name/>
        })}
        <EditableField label="Topic" value=c.topic.clone() editable=open on_save=save_topic/>
        {is_channel.then(|| view! {
            <EditableField label="Purpose" value=c.purpose.clone() editable=open on_save=save_purpose/>
        })}
        {c.is_member.then(|| view! { <crate::notify::ui::ChannelNotifications channel=channel_id/> })}
        <h4>{format!("Members ({})", c.member_count)}</h4>
        {(open && is_channel).then(|| view! { <AddPeople channel=c.id version=version/> })}
        <Suspense fallback=|| view! { <p class="muted">"Loading members…"</p> }>
            {move || members.get().map(|r| match r {
                Err(e) => view! { <p class="error">{e.detail()}</p> }.into_any(),
                Ok(list) => view! {
                    <ul class="member-list" aria-label="Channel members">
                        {list.into_iter().map(|m| {
                            let uid = m.id;
                            let removable = can_kick && Some(uid) != me_id;
                            view! {
                                <MemberLine id=m.id name=m.name.clone()>
                                    {removable.then(|| view! {
                                        <button class="link-btn" aria-label=format!("Remove {} from the channel", m.name)
                                            on:click=move |_| {
                                                let (ch, u) = (channel_id.to_string(), uid.to_string());
                                                act("Removed from the channel", ui, async move { api::kick(ch, u).await.map(|_| ()) })
                                            }>"Remove"</button>
                                    })}
                                </MemberLine>
                            }
                        }).collect_view()}
                    </ul>
                }.into_any(),
            })}
        </Suspense>
        <div class="danger-zone" class:empty-zone=!(can_leave || can_archive)>
            {can_leave.then(|| view! {
                <button class="btn subtle" on:click=move |_| {
                    let id = id_leave.clone();
                    act("You left the channel", ui, async move { api::leave(id).await.map(|_| ()) })
                }>"Leave channel"</button>
            })}
            {can_archive.then(|| view! {
                <button class="btn subtle" on:click=move |_| {
                    let id = id_arch.clone();
                    if archived {
                        act("Channel unarchived", ui, async move { api::unarchive(id).await.map(|_| ()) })
                    } else {
                        act("Channel archived", ui, async move { api::archive(id).await.map(|_| ()) })
                    }
                }>{if archived { "Unarchive channel" } else { "Archive channel" }}</button>
            })}
        </div>
    }
}

/// Search the directory and add someone to the channel.
#[component]
fn AddPeople(channel: Uuid, version: RwSignal<u32>) -> impl IntoView {
    let ui = Ui::new(version);
    let query = RwSignal::new(String::new());
    let found = LocalResource::new(move || {
        let q = query.get();
        async move {
            if q.trim().is_empty() {
                return Ok(Vec::new());
            }
            crate::users::api::list(None, Some(8), Some(q)).await.map(|r| r.data.members)
        }
    });
    view! {
        <div class="add-people">
            <label for="add-people" class="sr-only">"Add people"</label>
            <input id="add-people" type="search" placeholder="Add people by name" autocomplete="off"
                prop:value=move || query.get() on:input=move |ev| query.set(event_target_value(&ev))/>
            <Suspense>
                {move || found.get().and_then(|r| r.ok()).map(|list| view! {
                    <ul class="suggestions">
                        {list.into_iter().map(|m| {
                            let uid = m.id.to_string();
                            view! {
                                <li><button class="member-row" on:click=move |_| {
                                    let (ch, u) = (channel.to_string(), uid.clone());
                                    query.set(String::new());
                                    act("Added to the channel", ui, async move { api::invite(ch, vec![u]).await.map(|_| ()) })
                                }>"+ "{m.name.clone()}</button></li>
                            }
                        }).collect_view()}
                    </ul>
                })}
            </Suspense>
        </div>
    }
}
