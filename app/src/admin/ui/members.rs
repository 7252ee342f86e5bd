//! `/admin/members`: everyone in the workspace, with filters, role changes
//! and deactivation (confirmed in the row before it happens).

use leptos::prelude::*;
use leptos_router::components::A;
use uuid::Uuid;

use super::frame::{when, AdminPage};
use crate::admin::{AdminMember, Status};
use crate::auth::Role;
use crate::shell::toast::{toasts, Tone};
use crate::widgets::Avatar;

/// The members admin page.
#[component]
pub fn MembersPage() -> impl IntoView {
    view! {
        <AdminPage title="Members">
            <Members/>
        </AdminPage>
    }
}

/// What a row's controls ask for.
#[derive(Clone, Copy)]
pub(super) enum Change {
    Role(Uuid, Role),
    Deactivate(Uuid),
    Reactivate(Uuid),
}

/// The action that applies a [`Change`], with its toasts.
pub(super) fn change_action() -> Action<Change, Result<(), crate::error::AppError>> {
    let toasts = toasts();
    let act = Action::new(move |c: &Change| {
        let c = *c;
        async move {
            use crate::admin::api;
            match c {
                Change::Role(u, r) => api::users_set_role(u, r).await.map(|_| ()),
                Change::Deactivate(u) => api::users_deactivate(u).await.map(|_| ()),
                Change::Reactivate(u) => api::users_reactivate(u).await.map(|_| ()),
            }
        }
    });
    Effect::new(move || match act.value().get() {
        Some(Err(e)) => toasts.error(&e),
        Some(Ok(())) => toasts.push(Tone::Success, "Saved."),
        None => {}
    });
    act
}

#[component]
fn Members() -> impl IntoView {
    let query = RwSignal::new(String::new());
    let role = RwSignal::new(String::new());
    let status = RwSignal::new("all".to_string());
    let inactive = RwSignal::new(String::new());
    let change = change_action();
    let list = Resource::new(
        move || (query.get(), role.get(), status.get(), inactive.get(), change.version().get()),
        |(q, r, s, i, _)| async move {
            let status = match s.as_str() {
                "active" => Status::Active,
                "deactivated" => Status::Deactivated,
                _ => Status::All,
            };
            let role = Role::parse(&r).ok();
            crate::admin::api::users_list(Some(q), role, Some(status), i.parse().ok(), None, Some(200))
                .await
                .map(|r| r.data)
        },
    );
    let confirming = RwSignal::new(None::<Uuid>);
    view! {
        <form class="form inline-form filters" role="search" on:submit=|ev| ev.prevent_default()>
            <div class="field">
                <label for="member-search">"Search"</label>
                <input id="member-search" type="search" placeholder="Name or email" maxlength="100"
                    prop:value=move || query.get() on:input=move |ev| query.set(event_target_value(&ev))/>
            </div>
            <div class="field">
                <label for="member-role">"Role"</label>
                <select id="member-role" on:change=move |ev| role.set(event_target_value(&ev))>
                    <option value="">"Any role"</option>
                    <option value="owner">"Owners"</option>
                    <option value="admin">"Admins"</option>
                    <option value="member">"Members"</option>
                    <option value="guest">"Guests"</option>
                </select>
            </div>
            <div class="field">
                <label for="member-status">"Status"</label>
                <select id="member-status" on:change=move |ev| status.set(event_target_value(&ev))>
                    <option value="all">"Everyone"</option>
                    <option value="active">"Active"</option>
                    <option value="deactivated">"Deactivated"</option>
                </select>
            </div>
            <div class="field">
                <label for="member-inactive">"Last active"</label>
                <select id="member-inactive" on:change=move |ev| inactive.set(event_target_value(&ev))>
                    <option value="">"Any time"</option>
                    <option value="30">"Not in 30 days"</option>
                    <option value="90">"Not in 90 days"</option>
                </select>
            </div>
        </form>
        <Transition fallback=|| view! { <p class="muted" aria-busy="true">"Loading…"</p> }>
            {move || list.get().map(|r| match r {
                Err(e) => view! { <p class="empty">{e.detail()}</p> }.into_any(),
                Ok(p) if p.members.is_empty() => view! { <p class="empty">"Nobody matches these filters."</p> }.into_any(),
                Ok(p) => {
                    let more = !p.response_metadata.next_cursor.is_empty();
                    view! {
                        <table class="table members-table">
                            <thead><tr><th>"Name"</th><th>"Email"</th><th>"Role"</th><th>"Status"</th><th>"Last active"</th><th><span class="sr-only">"Actions"</span></th></tr></thead>
                            <tbody>
                                {p.members.into_iter().map(|m| view! { <Row m=m change=change confirming=confirming/> }).collect_view()}
                            </tbody>
                        </table>
                        {more.then(|| view! { <p class="muted">"Showing the first 200. Search to narrow the list."</p> })}
                    }.into_any()
                }
            })}
        </Transition>
    }
}

/// The role picker shared by the list and the member page.
#[component]
pub(super) fn RoleSelect(
    id: Uuid,
    role: Role,
    disabled: bool,
    change: Action<Change, Result<(), crate::error::AppError>>,
    label: String,
) -> impl IntoView {
    let on_change = move |ev| {
        if let Ok(r) = Role::parse(&event_target_value(&ev)) {
            change.dispatch(Change::Role(id, r));
        }
    };
    view! {
        <select aria-label=label disabled=disabled on:change=on_change>
            {[Role::Owner, Role::Admin, Role::Member, Role::Guest].into_iter().map(|r| view! {
                <option value=r.as_str() selected=r == role>{role_label(r)}</option>
            }).collect_view()}
        </select>
    }
}

pub(super) fn role_label(r: Role) -> &'static str {
    match r {
        Role::Owner => "Owner",
        Role::Admin => "Admin",
        Role::Member => "Member",
        Role::Guest => "Guest",
    }
}

#[component]
fn Row(
    m: AdminMember,
    change: Action<Change, Result<(), crate::error::AppError>>,
    confirming: RwSignal<Option<Uuid>>,
) -> impl IntoView {
    let id = m.id;
    let name = m.name.clone();
    let ask = format!("Deactivate {}?", m.name);
    view! {
        <tr class:row-deactivated=m.deactivated>
            <td>
                <A href=format!("/admin/members/{id}") attr:class="member-link">
                    <Avatar id=id name=m.name.clone() class="avatar small"/>
                    <span>{m.name.clone()}</span>
                </A>
            </td>
            <td>{m.email.clone()}</td>
            <td><RoleSelect id=id role=m.role disabled=m.deactivated change=change label=format!("Role of {name}")/></td>
            <td>{if m.deactivated {
                view! { <span class="tag-deactivated">"Deactivated"</span> }.into_any()
            } else {
                view! { <span class="status status-active">"Active"</span> }.into_any()
            }}</td>
            <td>{when(m.last_active_at)}</td>
            <td class="row-actions">
                {move || if m.deactivated {
                    view! { <button class="btn subtle small" on:click=move |_| { change.dispatch(Change::Reactivate(id)); }>"Reactivate"</button> }.into_any()
                } else if confirming.get() == Some(id) {
                    view! {
                        <span class="confirm" role="group" aria-label=ask.clone()>
                            <span>{ask.clone()}</span>
                            <button class="btn danger small" on:click=move |_| { confirming.set(None); change.dispatch(Change::Deactivate(id)); }>"Deactivate"</button>
                            <button class="btn subtle small" on:click=move |_| confirming.set(None)>"Cancel"</button>
                        </span>
                    }.into_any()
                } else {
                    view! { <button class="btn subtle small" on:click=move |_| confirming.set(Some(id))>"Deactivate…"</button> }.into_any()
                }}
            </td>
        </tr>
    }
}
