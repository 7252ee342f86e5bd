//! `/settings/tokens`: create, list and revoke personal API tokens.

use leptos::prelude::*;
use leptos_meta::Title;
use uuid::Uuid;

use crate::shell::toast::{toasts, Tone};
use crate::widgets::CopyBox;

/// The API tokens page.
#[component]
pub fn TokensPage() -> impl IntoView {
    let toasts = toasts();
    let label = RwSignal::new(String::new());
    let days = RwSignal::new("90".to_string());
    let create = Action::new(move |_: &()| {
        let label = label.get_untracked();
        let days = days.get_untracked().parse::<i64>().ok();
        async move { crate::tokens::api::create(label, days).await.map(|r| r.data) }
    });
    let revoke = Action::new(move |id: &Uuid| {
        let id = *id;
        async move { crate::tokens::api::revoke(id).await }
    });
    let list = Resource::new(
        move || (create.version().get(), revoke.version().get()),
        |_| async { crate::tokens::api::list().await.map(|r| r.data.tokens) },
    );
    Effect::new(move || match create.value().get() {
        Some(Err(e)) => toasts.error(&e),
        Some(Ok(_)) => {
            label.set(String::new());
            toasts.push(Tone::Success, "Token created. Copy it now: it is shown only once.")
        }
        None => {}
    });
    Effect::new(move || {
        if let Some(Err(e)) = revoke.value().get() {
            toasts.error(&e)
        }
    });
    view! {
        <Title text="API tokens"/>
        <div class="pane-header"><h1>"API tokens"</h1></div>
        <div class="pane-body">
            <p class="muted">"Tokens let scripts and integrations call the Web API as you: send "
                <code>"Authorization: Bearer <token>"</code>" with each request. See docs/api.md."</p>
            <form class="form inline-form" on:submit=move |ev| { ev.prevent_default(); create.dispatch(()); }>
                <div class="field">
                    <label for="token-label">"Label"</label>
                    <input id="token-label" required=true maxlength="80" placeholder="e.g. Deploy bot"
                        prop:value=move || label.get() on:input=move |ev| label.set(event_target_value(&ev))/>
                </div>
                <div class="field">
                    <label for="token-expiry">"Expires after"</label>
                    <select id="token-expiry" prop:value=move || days.get() on:change=move |ev| days.set(event_target_value(&ev))>
                        <option value="30">"30 days"</option>
                        <option value="90">"90 days"</option>
                        <option value="365">"1 year"</option>
                        <option value="never">"Never"</option>
                    </select>
                </div>
                <button type="submit" class="btn primary" disabled=move || create.pending().get()>"Create token"</button>
            </form>
            {move || create.value().get().and_then(|r| r.ok()).map(|c| view! { <CopyBox label="New token" value=c.token/> })}
            <h2 class="section-title">"Your tokens"</h2>
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || list.get().map(|r| match r {
                    Err(e) => view! { <p class="empty">{e.detail()}</p> }.into_any(),
                    Ok(v) if v.is_empty() => view! { <p class="empty">"You have no API tokens."</p> }.into_any(),
                    Ok(v) => view! {
                        <table class="table">
                            <thead><tr><th>"Label"</th><th>"Token"</th><th>"Expires"</th><th>"Last used"</th><th><span class="sr-only">"Actions"</span></th></tr></thead>
                            <tbody>
                                {v.into_iter().map(|t| {
                                    let id = t.id;
                                    view! {
                                        <tr>
                                            <td>{t.label.clone()}</td>
                                            <td><code>{format!("{}…", t.prefix)}</code></td>
                                            <td>{t.expires_at.map(crate::api::format_date).unwrap_or_else(|| "Never".into())}</td>
                                            <td>{t.last_used_at.map(crate::api::format_datetime).unwrap_or_else(|| "Never".into())}</td>
                                            <td><button class="btn subtle small" on:click=move |_| { revoke.dispatch(id); }>"Revoke"</button></td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                    }.into_any(),
                })}
            </Transition>
        </div>
    }
}
