//! `/admin/export`: start an export, watch its progress, download the zip.
//! While one is being built the page refreshes itself every second.

use std::time::Duration;

use leptos::prelude::*;

use super::Export;
use crate::admin::format_bytes;
use crate::admin::ui::frame::{when, AdminPage};
use crate::shell::toast::{toasts, Tone};

/// The export admin page.
#[component]
pub fn ExportPage() -> impl IntoView {
    view! {
        <AdminPage title="Export workspace">
            <Body/>
        </AdminPage>
    }
}

#[component]
fn Body() -> impl IntoView {
    let toasts = toasts();
    let list =
        Resource::new(|| (), |_| async { super::api::export_status(None).await.map(|r| r.data.exports) });
    let private = RwSignal::new(false);
    let me = crate::shell::context::use_me_after_hydration();
    let is_owner = move || me.get().is_some_and(|m| m.role == crate::auth::Role::Owner);
    let start = Action::new(move |p: &bool| {
        let p = *p;
        async move { super::api::export_start(Some(p)).await }
    });
    Effect::new(move || match start.value().get() {
        Some(Ok(_)) => {
            toasts.push(Tone::Success, "Export started.");
            list.refetch();
        }
        Some(Err(e)) => toasts.error(&e),
        None => {}
    });
    Effect::new(move || {
        if let Some(Ok(v)) = list.get() {
            if v.iter().any(|e| e.status == "running") {
                set_timeout(move || list.refetch(), Duration::from_secs(1));
            }
        }
    });
    let running =
        move || list.get().and_then(|r| r.ok()).is_some_and(|v| v.iter().any(|e| e.status == "running"));
    view! {
        <section aria-labelledby="export-new">
            <h2 class="section-title" id="export-new">"New export"</h2>
            <p class="muted">
                "A zip in the layout of a Slack export: people, channels and their messages by day, with the files. "
                "Only the newest export is kept."
            </p>
            <form class="form narrow" on:submit=move |ev| { ev.prevent_default(); start.dispatch(private.get_untracked()); }>
                <label class="check">
                    <input type="checkbox" prop:disabled=move || !is_owner()
                        prop:checked=move || private.get() on:change=move |ev| private.set(event_target_checked(&ev))/>
                    " Include private channels and direct messages (owners only; the audit log records it)"
                </label>
                <button type="submit" class="btn primary" disabled=move || start.pending().get() || running()>
                    {move || if running() { "Export in progress…" } else { "Start export" }}
                </button>
            </form>
        </section>
        <section aria-labelledby="export-list">
            <h2 class="section-title" id="export-list">"Exports"</h2>
            <Transition fallback=|| view! { <p class="muted" aria-busy="true">"Loading…"</p> }>
                {move || list.get().map(|r| match r {
                    Err(e) => view! { <p class="empty">{e.detail()}</p> }.into_any(),
                    Ok(v) if v.is_empty() => view! { <p class="empty">"No exports yet."</p> }.into_any(),
                    Ok(v) => view! {
                        <table class="table exports">
                            <thead><tr><th>"Started"</th><th>"By"</th><th>"Contents"</th><th>"Progress"</th><th>"Download"</th></tr></thead>
                            <tbody>{v.into_iter().map(|e| view! { <Row e=e/> }).collect_view()}</tbody>
                        </table>
                    }.into_any(),
                })}
            </Transition>
        </section>
    }
}

#[component]
fn Row(e: Export) -> impl IntoView {
    let pct = e.percent();
    let progress = match e.status.as_str() {
        "running" => view! {
            <progress max="100" value=pct aria-label="Export progress">{format!("{pct}%")}</progress>
            " "<span>{format!("{} of {} conversations · {} · {}",
                e.conversations_done, e.conversations_total, count(e.messages, "message"), count(e.files, "file"))}</span>
        }.into_any(),
        "done" => view! { <span>{format!("Done {}: {}, {}", when(e.finished_at), count(e.messages, "message"), count(e.files, "file"))}</span> }.into_any(),
        "replaced" => view! { <span class="muted">"Replaced by a newer export"</span> }.into_any(),
        "interrupted" => view! { <span>"Interrupted: start a new one"</span> }.into_any(),
        _ => view! { <span>{format!("Failed: {}", e.error.clone().unwrap_or_default())}</span> }.into_any(),
    };
    let download = e.download_url.clone().map(|url| {
        let label = format!("Download ({})", format_bytes(e.size.unwrap_or(0)));
        view! { <a href=url download="threadspace-export.zip" rel="external">{label}</a> }
    });
    view! {
        <tr>
            <td>{when(Some(e.started_at))}</td>
            <td>{e.by.clone().unwrap_or_default()}</td>
            <td>{if e.include_private { "Everything" } else { "Public channels" }}</td>
            <td>{progress}</td>
            <td>{download}</td>
        </tr>
    }
}

/// "1 message", "3 messages".
fn count(n: i64, what: &str) -> String {
    format!("{n} {what}{}", if n == 1 { "" } else { "s" })
}
