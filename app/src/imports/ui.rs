//! `/admin/import`: upload a Slack export (with a progress bar), run the
//! dry run, read its report, import with a progress bar, cancel. While a
//! job runs the page refreshes itself every second.

use std::time::Duration;

use leptos::prelude::*;

use super::report_ui::plural;
use super::Import;
use crate::admin::format_bytes;
use crate::admin::ui::frame::{when, AdminPage};
use crate::error::AppError;
use crate::shell::toast::{toasts, Tone};

/// The import admin page.
#[component]
pub fn ImportPage() -> impl IntoView {
    view! {
        <AdminPage title="Import from Slack">
            <Body/>
        </AdminPage>
    }
}

/// Sends the zip to `admin.import.upload`, reporting progress (0–100).
#[cfg(feature = "hydrate")]
fn upload(
    file: &web_sys::File,
    progress: RwSignal<Option<u32>>,
    done: impl FnOnce(Result<(), AppError>) + 'static,
) -> Result<(), wasm_bindgen::JsValue> {
    use wasm_bindgen::prelude::*;
    use wasm_bindgen::JsCast;
    let fd = web_sys::FormData::new()?;
    fd.append_with_blob_and_filename("file", file, &file.name())?;
    let xhr = web_sys::XmlHttpRequest::new()?;
    xhr.open_with_async("POST", "/api/admin.import.upload", true)?;
    let on_progress = Closure::<dyn FnMut(web_sys::ProgressEvent)>::new(move |e: web_sys::ProgressEvent| {
        if e.length_computable() && e.total() > 0.0 {
            progress.set(Some((e.loaded() * 100.0 / e.total()) as u32));
        }
    });
    xhr.upload()?.set_onprogress(Some(on_progress.as_ref().unchecked_ref()));
    on_progress.forget();
    let x = xhr.clone();
    let on_end = Closure::once(move |_: web_sys::ProgressEvent| {
        let status = x.status().unwrap_or(0);
        let body = x.response_text().ok().flatten().unwrap_or_default();
        done(match status {
            200 => Ok(()),
            0 => {
                Err(AppError::InvalidArguments("The upload was cancelled or the connection dropped.".into()))
            }
            _ => Err(serde_json::from_str::<AppError>(&body).unwrap_or(AppError::Internal)),
        });
    });
    xhr.set_onloadend(Some(on_end.as_ref().unchecked_ref()));
    on_end.forget();
    xhr.send_with_opt_form_data(Some(&fd))
}

#[component]
fn Body() -> impl IntoView {
    let toasts = toasts();
    let list =
        Resource::new(|| (), |_| async { super::api::import_status(None).await.map(|r| r.data.imports) });
    let uploading = RwSignal::new(None::<u32>);
    let merge = RwSignal::new(false);
    Effect::new(move || {
        if let Some(Ok(v)) = list.get() {
            if v.iter().any(Import::is_running) {
                set_timeout(move || list.refetch(), Duration::from_secs(1));
            }
        }
    });
    let on_upload = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        #[cfg(feature = "hydrate")]
        {
            use wasm_bindgen::JsCast;
            let file = leptos::prelude::document()
                .get_element_by_id("import-file")
                .and_then(|e| e.dyn_into::<web_sys::HtmlInputElement>().ok())
                .and_then(|i| i.files())
                .and_then(|l| l.get(0));
            let Some(file) = file else {
                toasts.push(Tone::Error, "Choose the .zip file of a Slack export first.");
                return;
            };
            uploading.set(Some(0));
            let sent = upload(&file, uploading, move |r| {
                uploading.set(None);
                match r {
                    Ok(()) => {
                        toasts
                            .push(Tone::Success, "Uploaded. Run the dry run to see what the import will do.");
                        list.refetch();
                    }
                    Err(e) => toasts.error(&e),
                }
            });
            if sent.is_err() {
                uploading.set(None);
                toasts.push(Tone::Error, "The upload could not start.");
            }
        }
    };
    let act = Action::new(move |(what, id): &(&'static str, uuid::Uuid)| {
        let (what, id, merge) = (*what, *id, merge.get_untracked());
        async move {
            match what {
                "check" => super::api::import_dry_run(id, Some(merge)).await.map(|_| "Dry run started."),
                "start" => super::api::import_start(id).await.map(|_| "Import started."),
                _ => super::api::import_cancel(id).await.map(|_| "Cancelled."),
            }
        }
    });
    Effect::new(move || match act.value().get() {
        Some(Ok(msg)) => {
            toasts.push(Tone::Success, msg);
            list.refetch();
        }
        Some(Err(e)) => toasts.error(&e),
        None => {}
    });
    view! {
        <section aria-labelledby="import-new">
            <h2 class="section-title" id="import-new">"Upload a Slack export"</h2>
            <p class="muted">
                "In Slack, an owner exports the workspace's data (Settings → Import/Export Data → Export) and downloads a .zip. "
                "Upload it here: nothing is imported until you have read the dry run's report and confirmed."
            </p>
            <form class="form narrow" on:submit=on_upload>
                <label for="import-file">"Slack export (.zip)"</label>
                <input id="import-file" type="file" accept=".zip,application/zip" required=true/>
                <button type="submit" class="btn primary" disabled=move || uploading.get().is_some()>
                    {move || match uploading.get() { Some(p) => format!("Uploading… {p}%"), None => "Upload".into() }}
                </button>
                {move || uploading.get().map(|p| view! {
                    <progress max="100" value=p aria-label="Upload progress">{format!("{p}%")}</progress>
                })}
            </form>
        </section>
        <section aria-labelledby="import-list">
            <h2 class="section-title" id="import-list">"Imports"</h2>
            <label class="check">
                <input type="checkbox" prop:checked=move || merge.get()
                    on:change=move |ev| merge.set(event_target_checked(&ev))/>
                " In the dry run, merge channels into existing channels of the same name (otherwise they are imported as name-slack)"
            </label>
            <Transition fallback=|| view! { <p class="muted" aria-busy="true">"Loading…"</p> }>
                {move || list.get().map(|r| match r {
                    Err(e) => view! { <p class="empty">{e.detail()}</p> }.into_any(),
                    Ok(v) if v.is_empty() => view! { <p class="empty">"No imports yet."</p> }.into_any(),
                    Ok(v) => {
                        let newest = v.iter().find(|i| i.has_report).map(|i| i.id);
                        view! {
                            <table class="table imports">
                                <thead><tr><th>"File"</th><th>"Uploaded"</th><th>"Status"</th><th>"Actions"</th></tr></thead>
                                <tbody>{v.into_iter().map(|i| view! { <Row i=i act=act/> }).collect_view()}</tbody>
                            </table>
                            {newest.map(|id| view! { <super::report_ui::ReportView id=id/> })}
                        }.into_any()
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn Row(i: Import, act: Action<(&'static str, uuid::Uuid), Result<&'static str, AppError>>) -> impl IntoView {
    let pct = i.percent();
    let id = i.id;
    let status = match i.status.as_str() {
        "uploaded" => view! { <span>"Uploaded: run the dry run"</span> }.into_any(),
        "checking" => view! {
            <progress max="100" value=pct aria-label="Dry run progress">{format!("{pct}%")}</progress>
            " "<span>{format!("Dry run: {} of {} conversations read", i.conversations_done, i.conversations_total)}</span>
        }.into_any(),
        "checked" => view! { <span>{format!("Checked: {} in {}", plural(i.messages_total as u64, "message"), plural(i.conversations_total as u64, "conversation"))}</span> }.into_any(),
        "importing" => view! {
            <progress max="100" value=pct aria-label="Import progress">{format!("{pct}%")}</progress>
            " "<span>{format!("Importing: {} of {} conversations · {} of {} messages · {} files",
                i.conversations_done, i.conversations_total, i.messages_done, i.messages_total, i.files_done)}</span>
        }.into_any(),
        "done" => view! { <span>{format!("Imported {}: {}, {}", when(i.finished_at), plural(i.messages_done as u64, "message"), plural(i.files_done as u64, "file"))}</span> }.into_any(),
        "cancelled" => view! { <span>"Cancelled: import again to go on where it stopped"</span> }.into_any(),
        _ => view! { <span>{format!("Failed: {}", i.error.clone().unwrap_or_default())}</span> }.into_any(),
    };
    let can_check = matches!(i.status.as_str(), "uploaded" | "checked" | "failed" | "cancelled");
    let can_start = i.has_report && matches!(i.status.as_str(), "checked" | "failed" | "cancelled");
    let can_cancel = matches!(i.status.as_str(), "uploaded" | "checking" | "checked" | "importing");
    let label = format!("{} ({})", i.file_name, format_bytes(i.size));
    view! {
        <tr>
            <td>{label}</td>
            <td>{format!("{} by {}", when(Some(i.created_at)), i.by.clone().unwrap_or_default())}</td>
            <td>{status}</td>
            <td class="actions">
                {can_check.then(|| view! { <button class="btn" on:click=move |_| { act.dispatch(("check", id)); }>"Dry run"</button> })}
                {can_start.then(|| view! { <button class="btn primary" on:click=move |_| { act.dispatch(("start", id)); }>"Import"</button> })}
                {can_cancel.then(|| view! { <button class="btn" on:click=move |_| { act.dispatch(("cancel", id)); }>"Cancel"</button> })}
            </td>
        </tr>
    }
}
