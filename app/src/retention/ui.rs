//! `/admin/retention`: the workspace's policy, channels with their own,
//! "Run now", and what each run deleted. While a run is under way the page
//! refreshes itself every two seconds, so the counts move.

use std::time::Duration;

use leptos::prelude::*;
use uuid::Uuid;

use super::{days_label, ChannelPolicy, Retention, Run, MAX_DAYS};
use crate::admin::ui::frame::{when, AdminPage};
use crate::error::AppError;
use crate::shell::toast::{toasts, Tone};

/// The retention admin page.
#[component]
pub fn RetentionPage() -> impl IntoView {
    view! {
        <AdminPage title="Message retention">
            <Body/>
        </AdminPage>
    }
}

/// A change the page asks for.
#[derive(Clone)]
enum Change {
    Workspace(Option<i32>),
    Channel(Uuid, ChannelPolicy),
    RunNow,
}

fn parse_days(s: &str) -> Result<i32, String> {
    s.trim()
        .parse::<i32>()
        .ok()
        .filter(|d| super::valid_days(*d))
        .ok_or_else(|| format!("Days must be a whole number from 1 to {MAX_DAYS}."))
}

#[component]
fn Body() -> impl IntoView {
    let toasts = toasts();
    let view_res = Resource::new(|| (), |_| async { super::api::retention_get().await.map(|r| r.data) });
    let channels = Resource::new(
        || (),
        |_| async { crate::admin::api::conversations_list(None).await.map(|r| r.data.channels) },
    );
    let act = Action::new(move |c: &Change| {
        let c = c.clone();
        async move {
            match c {
                Change::Workspace(d) => {
                    super::api::retention_set(d, None, None).await.map(|_| "Retention saved.")
                }
                Change::Channel(id, p) => super::api::retention_set(None, Some(id), Some(p))
                    .await
                    .map(|_| "Channel retention saved."),
                Change::RunNow => super::api::retention_run().await.map(|_| "Retention run started."),
            }
        }
    });
    Effect::new(move || match act.value().get() {
        Some(Ok(msg)) => {
            toasts.push(Tone::Success, msg);
            view_res.refetch();
        }
        Some(Err(e)) => toasts.error(&e),
        None => {}
    });
    // Poll while a run is under way.
    Effect::new(move || {
        if let Some(Ok(v)) = view_res.get() {
            if v.runs.iter().any(|r| r.status == "running") {
                set_timeout(move || view_res.refetch(), Duration::from_secs(2));
            }
        }
    });
    view! {
        <Transition fallback=|| view! { <p class="muted" aria-busy="true">"Loading…"</p> }>
            {move || Some(match (view_res.get()?, channels.get()?) {
                (Err(e), _) | (_, Err(e)) => view! { <p class="empty">{e.detail()}</p> }.into_any(),
                (Ok(v), Ok(cs)) => view! { <Policy v=v act=act channels=cs/> }.into_any(),
            })}
        </Transition>
    }
}

type Act = Action<Change, Result<&'static str, AppError>>;

#[component]
fn Policy(v: Retention, act: Act, channels: Vec<crate::admin::AdminChannel>) -> impl IntoView {
    let toasts = toasts();
    let delete = RwSignal::new(v.workspace_days.is_some());
    let days = RwSignal::new(v.workspace_days.unwrap_or(365).to_string());
    let current = v
        .workspace_days
        .map_or_else(|| "Messages are kept forever.".to_string(), |d| format!("{}.", days_label(d)));
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if !delete.get_untracked() {
            act.dispatch(Change::Workspace(None));
            return;
        }
        match parse_days(&days.get_untracked()) {
            Ok(d) => {
                act.dispatch(Change::Workspace(Some(d)));
            }
            Err(m) => toasts.push(Tone::Error, m),
        }
    };
    let running = v.runs.iter().any(|r| r.status == "running");
    view! {
        <section aria-labelledby="ret-ws">
            <h2 class="section-title" id="ret-ws">"Workspace"</h2>
            <p class="muted">{current}" Deleted messages, their files and their search entries are gone for good. Threads are kept whole while anyone still replies."</p>
            <form class="form narrow" on:submit=save>
                <fieldset class="field">
                    <legend>"Messages and files"</legend>
                    <label class="check">
                        <input type="radio" name="ret-mode" prop:checked=move || !delete.get()
                            on:change=move |_| delete.set(false)/>
                        " Keep everything"
                    </label>
                    <label class="check">
                        <input type="radio" name="ret-mode" prop:checked=move || delete.get()
                            on:change=move |_| delete.set(true)/>
                        " Delete messages older than a number of days"
                    </label>
                </fieldset>
                <div class="field" class:is-hidden=move || !delete.get()>
                    <label for="ret-days">"Days to keep"</label>
                    <input id="ret-days" type="number" min="1" max=MAX_DAYS
                        prop:value=move || days.get() on:input=move |ev| days.set(event_target_value(&ev))/>
                </div>
                <button type="submit" class="btn primary" disabled=move || act.pending().get()>"Save retention"</button>
            </form>
        </section>
        <ChannelPolicies list=v.channels act=act channels=channels/>
        <section aria-labelledby="ret-runs">
            <h2 class="section-title" id="ret-runs">"Runs"</h2>
            <p class="muted">"The job runs every hour on its own. Run it now to apply a new policy at once."</p>
            <button type="button" class="btn" disabled=move || running || act.pending().get()
                on:click=move |_| { act.dispatch(Change::RunNow); }>
                {if running { "Running…" } else { "Run now" }}
            </button>
            <Runs runs=v.runs/>
        </section>
    }
}

#[component]
fn ChannelPolicies(
    list: Vec<super::ChannelRetention>,
    act: Act,
    channels: Vec<crate::admin::AdminChannel>,
) -> impl IntoView {
    let toasts = toasts();
    let pick = RwSignal::new(String::new());
    let mode = RwSignal::new("keep".to_string());
    let days = RwSignal::new("30".to_string());
    let add = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Ok(id) = pick.get_untracked().parse::<Uuid>() else {
            toasts.push(Tone::Error, "Choose a channel.");
            return;
        };
        let policy = match mode.get_untracked().as_str() {
            "keep" => ChannelPolicy::Keep,
            "workspace" => ChannelPolicy::Workspace,
            _ => match parse_days(&days.get_untracked()) {
                Ok(d) => ChannelPolicy::Days { days: d },
                Err(m) => return toasts.push(Tone::Error, m),
            },
        };
        act.dispatch(Change::Channel(id, policy));
    };
    view! {
        <section aria-labelledby="ret-ch">
            <h2 class="section-title" id="ret-ch">"Channels with their own policy"</h2>
            {if list.is_empty() {
                view! { <p class="empty">"Every channel follows the workspace."</p> }.into_any()
            } else {
                view! {
                    <table class="table">
                        <thead><tr><th>"Channel"</th><th>"Policy"</th><th><span class="sr-only">"Actions"</span></th></tr></thead>
                        <tbody>{list.into_iter().map(|c| {
                            let id = c.channel;
                            let label = format!("Make {} follow the workspace", c.name);
                            view! {
                                <tr>
                                    <td>{c.name.clone()}</td>
                                    <td>{c.policy.label()}</td>
                                    <td class="row-actions">
                                        <button type="button" class="btn subtle small" aria-label=label
                                            on:click=move |_| { act.dispatch(Change::Channel(id, ChannelPolicy::Workspace)); }>
                                            "Follow workspace"
                                        </button>
                                    </td>
                                </tr>
                            }
                        }).collect_view()}</tbody>
                    </table>
                }.into_any()
            }}
            <form class="form inline-form" on:submit=add>
                <div class="field">
                    <label for="ret-channel">"Channel"</label>
                    <select id="ret-channel" prop:value=move || pick.get() on:change=move |ev| pick.set(event_target_value(&ev))>
                        <option value="">"Choose…"</option>
                        {channels.into_iter().map(|c| view! {
                            <option value=c.id.to_string()>{format!("{}{}", if c.is_private { "🔒 " } else { "#" }, c.name)}</option>
                        }).collect_view()}
                    </select>
                </div>
                <div class="field">
                    <label for="ret-channel-mode">"Policy"</label>
                    <select id="ret-channel-mode" prop:value=move || mode.get() on:change=move |ev| mode.set(event_target_value(&ev))>
                        <option value="keep">"Keep everything"</option>
                        <option value="days">"Delete after a number of days"</option>
                        <option value="workspace">"Follow the workspace"</option>
                    </select>
                </div>
                <div class="field" class:is-hidden=move || mode.get() != "days">
                    <label for="ret-channel-days">"Days to keep in the channel"</label>
                    <input id="ret-channel-days" type="number" min="1" max=MAX_DAYS
                        prop:value=move || days.get() on:input=move |ev| days.set(event_target_value(&ev))/>
                </div>
                <button type="submit" class="btn" disabled=move || act.pending().get()>"Set channel policy"</button>
            </form>
        </section>
    }
}

#[component]
fn Runs(runs: Vec<Run>) -> impl IntoView {
    if runs.is_empty() {
        return view! { <p class="empty">"No runs yet."</p> }.into_any();
    }
    view! {
        <table class="table retention-runs">
            <thead><tr><th>"Started"</th><th>"By"</th><th>"Status"</th><th>"Channels"</th><th>"Messages deleted"</th><th>"Files deleted"</th></tr></thead>
            <tbody>{runs.into_iter().map(|r| {
                let status = match (r.status.as_str(), &r.error) {
                    ("running", _) => "Running…".to_string(),
                    ("done", _) => format!("Done {}", when(r.finished_at)),
                    ("interrupted", _) => "Interrupted (will run again)".to_string(),
                    (_, Some(e)) => format!("Failed: {e}"),
                    (s, None) => s.to_string(),
                };
                view! {
                    <tr>
                        <td>{when(Some(r.started_at))}</td>
                        <td>{r.by.clone().unwrap_or_else(|| "Schedule".into())}</td>
                        <td>{status}</td>
                        <td>{r.channels}</td>
                        <td>{r.messages_deleted}</td>
                        <td>{r.files_deleted}</td>
                    </tr>
                }
            }).collect_view()}</tbody>
        </table>
    }
    .into_any()
}
