//! `/admin/audit-log`: what admins did and what happened to accounts,
//! newest first, filtered by kind and date, loaded a page at a time.

use leptos::prelude::*;

use super::frame::AdminPage;
use crate::admin::{audit_label, audit_summary, AuditEntry, AUDIT_KINDS};
use crate::shell::toast::toasts;

/// The audit log page.
#[component]
pub fn AuditLogPage() -> impl IntoView {
    view! {
        <AdminPage title="Audit log">
            <Log/>
        </AdminPage>
    }
}

#[component]
fn Log() -> impl IntoView {
    let toasts = toasts();
    let kind = RwSignal::new(String::new());
    let since = RwSignal::new(String::new());
    let until = RwSignal::new(String::new());
    let first = Resource::new(
        move || (kind.get(), since.get(), until.get()),
        |(k, s, u)| async move {
            crate::admin::api::audit_list(None, Some(k), Some(s), Some(u), None, Some(50))
                .await
                .map(|r| r.data)
        },
    );
    // Later pages, appended under the first.
    let more = RwSignal::new(Vec::<AuditEntry>::new());
    let cursor = RwSignal::new(String::new());
    Effect::new(move || {
        if let Some(Ok(p)) = first.get() {
            more.set(Vec::new());
            cursor.set(p.response_metadata.next_cursor);
        }
    });
    let load = Action::new(move |_: &()| {
        let (k, s, u, c) =
            (kind.get_untracked(), since.get_untracked(), until.get_untracked(), cursor.get_untracked());
        async move { crate::admin::api::audit_list(None, Some(k), Some(s), Some(u), Some(c), Some(50)).await }
    });
    Effect::new(move || match load.value().get() {
        Some(Ok(p)) => {
            more.update(|v| v.extend(p.data.entries));
            cursor.set(p.data.response_metadata.next_cursor);
        }
        Some(Err(e)) => toasts.error(&e),
        None => {}
    });
    let row = |e: AuditEntry| {
        view! {
            <tr>
                <td>{crate::api::format_datetime(e.at)}</td>
                <td>{e.actor_name.clone().unwrap_or_else(|| "—".into())}</td>
                <td>{audit_label(&e.action).to_string()}</td>
                <td class="muted">{audit_summary(&e.detail)}</td>
            </tr>
        }
    };
    view! {
        <form class="form inline-form filters" on:submit=|ev| ev.prevent_default()>
            <div class="field">
                <label for="audit-kind">"What"</label>
                <select id="audit-kind" on:change=move |ev| kind.set(event_target_value(&ev))>
                    <option value="">"Everything"</option>
                    {AUDIT_KINDS.iter().map(|(k, l)| view! { <option value=*k>{*l}</option> }).collect_view()}
                </select>
            </div>
            <div class="field">
                <label for="audit-since">"From"</label>
                <input id="audit-since" type="date" on:change=move |ev| since.set(event_target_value(&ev))/>
            </div>
            <div class="field">
                <label for="audit-until">"To"</label>
                <input id="audit-until" type="date" on:change=move |ev| until.set(event_target_value(&ev))/>
            </div>
        </form>
        <Transition fallback=|| view! { <p class="muted" aria-busy="true">"Loading…"</p> }>
            {move || first.get().map(|r| match r {
                Err(e) => view! { <p class="empty">{e.detail()}</p> }.into_any(),
                Ok(p) if p.entries.is_empty() => view! { <p class="empty">"Nothing recorded for these filters."</p> }.into_any(),
                Ok(p) => view! {
                    <table class="table audit-table">
                        <thead><tr><th>"When (UTC)"</th><th>"Who"</th><th>"What"</th><th>"Details"</th></tr></thead>
                        <tbody>
                            {p.entries.into_iter().map(row).collect_view()}
                            {move || more.get().into_iter().map(row).collect_view()}
                        </tbody>
                    </table>
                    <Show when=move || !cursor.get().is_empty()>
                        <button class="btn subtle" disabled=move || load.pending().get() on:click=move |_| { load.dispatch(()); }>
                            {move || if load.pending().get() { "Loading…" } else { "Load older entries" }}
                        </button>
                    </Show>
                }.into_any(),
            })}
        </Transition>
    }
}
