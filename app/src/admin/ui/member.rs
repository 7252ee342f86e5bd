//! `/admin/members/:id`: one member, what signs them in (sessions and API
//! tokens, each revocable), their role, deactivation and, for owners,
//! handing ownership over.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;
use uuid::Uuid;

use super::frame::{when, AdminGate, AdminNav};
use super::members::{change_action, role_label, Change, RoleSelect};
use crate::admin::MemberDetail;
use crate::auth::Role;
use crate::shell::context::use_me;
use crate::shell::toast::{toasts, Tone};
use crate::widgets::Avatar;

/// The member admin page.
#[component]
pub fn MemberPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").and_then(|s| Uuid::parse_str(&s).ok());
    view! {
        <Title text="Member"/>
        <div class="pane-header"><h1><A href="/admin/members">"Members"</A>" / Member"</h1></div>
        <AdminGate>
            <div class="pane-body">
                <AdminNav/>
                {move || match id() {
                    Some(id) => view! { <Detail id=id/> }.into_any(),
                    None => view! { <p class="empty">"No such person in this workspace."</p> }.into_any(),
                }}
            </div>
        </AdminGate>
    }
}

#[derive(Clone, Copy)]
enum Revoke {
    Session(Uuid),
    Token(Uuid),
    Transfer,
}

#[component]
fn Detail(id: Uuid) -> impl IntoView {
    let toasts = toasts();
    let change = change_action();
    let revoke = Action::new(move |r: &Revoke| {
        let r = *r;
        async move {
            use crate::admin::api;
            match r {
                Revoke::Session(s) => api::users_revoke_session(id, s).await.map(|_| "Session signed out."),
                Revoke::Token(t) => api::users_revoke_token(id, t).await.map(|_| "Token revoked."),
                Revoke::Transfer => api::ownership_transfer(id).await.map(|_| "Ownership transferred."),
            }
        }
    });
    Effect::new(move || match revoke.value().get() {
        Some(Err(e)) => toasts.error(&e),
        Some(Ok(msg)) => toasts.push(Tone::Success, msg),
        None => {}
    });
    let data = Resource::new(
        move || (change.version().get(), revoke.version().get()),
        move |_| async move { crate::admin::api::users_sessions(id).await.map(|r| r.data) },
    );
    let me = use_me();
    let i_own = move || me.get().and_then(|r| r.ok()).is_some_and(|r| r.data.role == Role::Owner);
    view! {
        <Transition fallback=|| view! { <p class="muted" aria-busy="true">"Loading…"</p> }>
            {move || data.get().map(|r| match r {
                Err(e) => view! { <p class="empty">{e.detail()}</p> }.into_any(),
                Ok(d) => view! { <Body d=d change=change revoke=revoke i_own=i_own()/> }.into_any(),
            })}
        </Transition>
    }
}

#[component]
fn Body(
    d: MemberDetail,
    change: Action<Change, Result<(), crate::error::AppError>>,
    revoke: Action<Revoke, Result<&'static str, crate::error::AppError>>,
    i_own: bool,
) -> impl IntoView {
    let m = d.member;
    let id = m.id;
    let confirm = RwSignal::new(false);
    let can_transfer = i_own && m.role != Role::Owner && !m.deactivated;
    view! {
        <section class="member-card">
            <Avatar id=id name=m.name.clone() class="avatar large"/>
            <div>
                <h2>{m.name.clone()}{m.deactivated.then(|| view! { " " <span class="tag-deactivated">"Deactivated"</span> })}</h2>
                <p class="muted">{m.email.clone()}" · "{role_label(m.role)}" · joined "{crate::api::format_date(m.created_at)}" · last active "{when(m.last_active_at)}</p>
            </div>
        </section>
        <div class="form inline-form">
            <RoleSelect id=id role=m.role disabled=m.deactivated change=change label=format!("Role of {}", m.name)/>
            {if m.deactivated {
                view! { <button class="btn primary" on:click=move |_| { change.dispatch(Change::Reactivate(id)); }>"Reactivate"</button> }.into_any()
            } else {
                view! {
                    <Show when=move || confirm.get() fallback=move || view! {
                        <button class="btn danger" on:click=move |_| confirm.set(true)>"Deactivate…"</button>
                    }>
                        <span class="confirm" role="group" aria-label="Confirm deactivation">
                            <span>"They will be signed out everywhere at once."</span>
                            <button class="btn danger" on:click=move |_| { confirm.set(false); change.dispatch(Change::Deactivate(id)); }>"Deactivate"</button>
                            <button class="btn subtle" on:click=move |_| confirm.set(false)>"Cancel"</button>
                        </span>
                    </Show>
                }.into_any()
            }}
            {can_transfer.then(|| view! {
                <button class="btn subtle" on:click=move |_| { revoke.dispatch(Revoke::Transfer); }>"Make owner (you become admin)"</button>
            })}
        </div>
        <h2 class="section-title">"Signed-in sessions"</h2>
        {if d.sessions.is_empty() {
            view! { <p class="empty">"Not signed in anywhere."</p> }.into_any()
        } else {
            view! {
                <table class="table">
                    <thead><tr><th>"Device"</th><th>"IP address"</th><th>"Signed in"</th><th>"Last seen"</th><th><span class="sr-only">"Actions"</span></th></tr></thead>
                    <tbody>
                        {d.sessions.into_iter().map(|s| {
                            let sid = s.id;
                            view! {
                                <tr>
                                    <td>{s.device}</td>
                                    <td>{s.ip}</td>
                                    <td>{crate::api::format_datetime(s.created_at)}</td>
                                    <td>{crate::api::format_datetime(s.last_seen_at)}</td>
                                    <td><button class="btn subtle small" on:click=move |_| { revoke.dispatch(Revoke::Session(sid)); }>"Sign out"</button></td>
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
            }.into_any()
        }}
        <h2 class="section-title">"API tokens"</h2>
        {if d.tokens.is_empty() {
            view! { <p class="empty">"No API tokens."</p> }.into_any()
        } else {
            view! {
                <table class="table">
                    <thead><tr><th>"Label"</th><th>"Token"</th><th>"Created"</th><th>"Last used"</th><th><span class="sr-only">"Actions"</span></th></tr></thead>
                    <tbody>
                        {d.tokens.into_iter().map(|t| {
                            let tid = t.id;
                            view! {
                                <tr>
                                    <td>{t.label}</td>
                                    <td><code>{format!("{}…", t.prefix)}</code></td>
                                    <td>{crate::api::format_date(t.created_at)}</td>
                                    <td>{when(t.last_used_at)}</td>
                                    <td><button class="btn subtle small" on:click=move |_| { revoke.dispatch(Revoke::Token(tid)); }>"Revoke"</button></td>
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
            }.into_any()
        }}
    }
}
