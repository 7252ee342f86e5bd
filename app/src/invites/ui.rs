//! The admin page for invite links, and the page an invitee lands on.

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;
use uuid::Uuid;

use super::InviteStatus;
use crate::admin::ui::frame::AdminPage;
use crate::auth::ui::{use_form_error, AuthCard, Field, FormBanner};
use crate::auth::{Role, MAX_EMAIL_LEN, MAX_NAME_LEN, MAX_PASSWORD_LEN};
use crate::shell::toast::{toasts, Tone};
use crate::widgets::CopyBox;

/// `/admin/invites`: create, list and revoke invite links.
#[component]
pub fn InvitesPage() -> impl IntoView {
    let toasts = toasts();
    let role = RwSignal::new("member".to_string());
    let hours = RwSignal::new("168".to_string());
    let uses = RwSignal::new("10".to_string());
    let create = Action::new(move |_: &()| {
        let role = Role::parse(&role.get_untracked());
        let hours = hours.get_untracked().parse::<i64>().unwrap_or(0);
        let uses = uses.get_untracked().parse::<i32>().unwrap_or(0);
        async move { crate::invites::api::create(role?, hours, uses, None).await.map(|r| r.data) }
    });
    let revoke = Action::new(move |id: &Uuid| {
        let id = *id;
        async move { crate::invites::api::revoke(id).await }
    });
    let list = Resource::new(
        move || (create.version().get(), revoke.version().get()),
        |_| async { crate::invites::api::list().await.map(|r| r.data.invites) },
    );
    Effect::new(move || match create.value().get() {
        Some(Err(e)) => toasts.error(&e),
        Some(Ok(_)) => toasts.push(Tone::Success, "Invite link created. Copy it now: it is shown only once."),
        None => {}
    });
    Effect::new(move || match revoke.value().get() {
        Some(Err(e)) => toasts.error(&e),
        Some(Ok(_)) => toasts.push(Tone::Success, "Invite revoked."),
        None => {}
    });
    let link = move || create.value().get().and_then(|r| r.ok()).map(|c| c.url);
    view! {
        <AdminPage title="Invites" heading="Invite people">
            <form class="form inline-form" on:submit=move |ev| { ev.prevent_default(); create.dispatch(()); }>
                <div class="field">
                    <label for="invite-role">"Role"</label>
                    <select id="invite-role" prop:value=move || role.get() on:change=move |ev| role.set(event_target_value(&ev))>
                        <option value="member">"Member"</option>
                        <option value="guest">"Guest"</option>
                        <option value="admin">"Admin"</option>
                    </select>
                </div>
                <div class="field">
                    <label for="invite-expiry">"Expires after"</label>
                    <select id="invite-expiry" prop:value=move || hours.get() on:change=move |ev| hours.set(event_target_value(&ev))>
                        <option value="1">"1 hour"</option>
                        <option value="24">"1 day"</option>
                        <option value="168">"7 days"</option>
                        <option value="720">"30 days"</option>
                    </select>
                </div>
                <div class="field">
                    <label for="invite-uses">"Maximum uses"</label>
                    <input id="invite-uses" type="number" min="1" max="1000" required=true
                        prop:value=move || uses.get() on:input=move |ev| uses.set(event_target_value(&ev))/>
                </div>
                <button type="submit" class="btn primary" disabled=move || create.pending().get()>
                    {move || if create.pending().get() { "Creating…" } else { "Create invite link" }}
                </button>
            </form>
            {move || link().map(|url| view! { <CopyBox label="Invite link" value=url/> })}
            <super::email_ui::EmailInvites on_sent=Callback::new(move |_| list.refetch())/>
            <super::email_ui::SignupDomains/>
            <h2 class="section-title">"Invites"</h2>
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || list.get().map(|r| match r {
                    Err(e) => view! { <p class="empty">{e.detail()}</p> }.into_any(),
                    Ok(v) if v.is_empty() => view! {
                        <p class="empty">"No invite links yet. Create one above and send it to your team."</p>
                    }.into_any(),
                    Ok(v) => view! {
                        <table class="table">
                            <thead><tr><th>"Sent to"</th><th>"Role"</th><th>"Uses"</th><th>"Expires"</th><th>"Created by"</th><th>"Status"</th><th><span class="sr-only">"Actions"</span></th></tr></thead>
                            <tbody>
                                {v.into_iter().map(|i| {
                                    let id = i.id;
                                    view! {
                                        <tr>
                                            <td>{i.email.clone().unwrap_or_else(|| "Link".into())}</td>
                                            <td>{i.role.as_str()}</td>
                                            <td>{format!("{} / {}", i.uses, i.max_uses)}</td>
                                            <td>{crate::api::format_datetime(i.expires_at)}</td>
                                            <td>{i.created_by.clone()}</td>
                                            <td><span class=format!("status status-{:?}", i.status).to_lowercase()>{i.status.label()}</span></td>
                                            <td>{(i.status == InviteStatus::Active).then(|| view! {
                                                <button class="btn subtle small" on:click=move |_| { revoke.dispatch(id); }>"Revoke"</button>
                                            })}</td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                    }.into_any(),
                })}
            </Transition>
        </AdminPage>
    }
}

/// `/invite/:token`: join a workspace from an invite link.
#[component]
pub fn AcceptInvitePage() -> impl IntoView {
    let params = use_params_map();
    let token = move || params.read().get("token").unwrap_or_default();
    let preview =
        Resource::new(token, |t| async move { crate::invites::api::info(t).await.map(|r| r.data.invite) });
    let error = use_form_error();
    view! {
        <AuthCard title="Join a workspace">
            <Suspense fallback=|| view! { <p class="muted">"Checking your invite…"</p> }>
                {move || preview.get().map(|r| match r {
                    Err(e) => view! { <div class="form-banner" role="alert">{e.detail()}</div>
                        <p class="muted center"><a href="/login">"Sign in"</a></p> }.into_any(),
                    Ok(p) if p.status != InviteStatus::Active => {
                        let msg = match p.status {
                            InviteStatus::Expired => "This invite link has expired. Ask for a new one.",
                            InviteStatus::UsedUp => "This invite link has already been used up. Ask for a new one.",
                            _ => "This invite link was revoked. Ask for a new one.",
                        };
                        view! { <div class="form-banner" role="alert">{msg}</div> }.into_any()
                    }
                    Ok(p) => view! {
                        <p class="lead">{p.inviter.clone()}" invited you to join " <strong>{p.workspace_name.clone()}</strong>
                            {(p.role != Role::Member).then(|| format!(" as {}", p.role.as_str()))}"."</p>
                        <form method="post" action=format!("/invite/{}", token()) class="form">
                            <FormBanner error=error/>
                            <Field name="display_name" label="Your name" autocomplete="name" maxlength=MAX_NAME_LEN error=error/>
                            <Field name="email" label="Email" kind="email" autocomplete="email" maxlength=MAX_EMAIL_LEN
                                value=p.email.clone().unwrap_or_default() error=error/>
                            <Field name="password" label="Password" kind="password" autocomplete="new-password"
                                maxlength=MAX_PASSWORD_LEN error=error
                                hint="New here? Choose one of at least 10 characters. Have an account? Use its password."/>
                            <button type="submit" class="btn primary wide">"Join workspace"</button>
                        </form>
                    }.into_any(),
                })}
            </Suspense>
        </AuthCard>
    }
}
