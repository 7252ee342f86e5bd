//! `/settings/profile`: the caller's name, title and time zone, and their
//! custom status with an expiry. Saving announces the change, so every open
//! page (profiles, message authors) shows it at once.

use leptos::prelude::*;
use leptos_meta::Title;

use super::{MAX_STATUS_LEN, MAX_TITLE_LEN};
use crate::auth::MAX_NAME_LEN;
use crate::shell::toast::{toasts, Tone};

/// Minutes until the chosen expiry, in the person's own time zone.
fn expiry_minutes(choice: &str) -> Option<i64> {
    #[cfg(feature = "hydrate")]
    let (now_min, weekday) = {
        let d = js_sys::Date::new_0();
        (i64::from(d.get_hours()) * 60 + i64::from(d.get_minutes()), i64::from(d.get_day()))
    };
    #[cfg(not(feature = "hydrate"))]
    let (now_min, weekday) = (0i64, 1i64);
    let to_midnight = (24 * 60 - now_min).max(1);
    match choice {
        "30m" => Some(30),
        "1h" => Some(60),
        "today" => Some(to_midnight),
        // Until the end of Sunday.
        "week" => Some((7 - weekday) % 7 * 24 * 60 + to_midnight),
        _ => None,
    }
}

/// The profile settings page.
#[component]
pub fn ProfileSettingsPage() -> impl IntoView {
    let toasts = toasts();
    let name = RwSignal::new(String::new());
    let full = RwSignal::new(String::new());
    let title = RwSignal::new(String::new());
    let tz = RwSignal::new(String::new());
    let emoji = RwSignal::new(String::new());
    let text = RwSignal::new(String::new());
    let expiry = RwSignal::new("today".to_string());
    let current =
        Resource::new(|| (), |_| async { super::api::profile_get(None).await.map(|r| r.data.profile) });
    Effect::new(move || {
        if let Some(Ok(p)) = current.get() {
            name.set(p.name);
            full.set(p.full_name);
            title.set(p.title);
            tz.set(p.time_zone);
            let s = p.status.unwrap_or(super::Status {
                emoji: String::new(),
                text: String::new(),
                expires_at: None,
            });
            emoji.set(s.emoji);
            text.set(s.text);
        }
    });
    let save = Action::new(move |_: &()| {
        let (n, f, t, z) =
            (name.get_untracked(), full.get_untracked(), title.get_untracked(), tz.get_untracked());
        async move { super::api::profile_set(n, f, t, z).await }
    });
    let status = Action::new(move |clear: &bool| {
        let (e, t) = if *clear {
            (String::new(), String::new())
        } else {
            (emoji.get_untracked(), text.get_untracked())
        };
        let mins = expiry_minutes(&expiry.get_untracked());
        let clear = *clear;
        async move { super::api::status_set(e, t, mins).await.map(|r| (r.data.profile, clear)) }
    });
    Effect::new(move || match save.value().get() {
        Some(Ok(_)) => toasts.push(Tone::Success, "Profile saved."),
        Some(Err(e)) => toasts.error(&e),
        None => {}
    });
    Effect::new(move || match status.value().get() {
        Some(Ok((p, clear))) => {
            let s = p.status.unwrap_or(super::Status {
                emoji: String::new(),
                text: String::new(),
                expires_at: None,
            });
            emoji.set(s.emoji);
            text.set(s.text);
            toasts.push(Tone::Success, if clear { "Status cleared." } else { "Status set." });
        }
        Some(Err(e)) => toasts.error(&e),
        None => {}
    });
    let input = |id: &'static str,
                 label: &'static str,
                 sig: RwSignal<String>,
                 max: usize,
                 hint: Option<&'static str>| {
        let hint_id = format!("{id}-hint");
        view! {
            <div class="field">
                <label for=id>{label}</label>
                <input id=id maxlength=max aria-describedby=hint.map(|_| hint_id.clone())
                    prop:value=move || sig.get() on:input=move |ev| sig.set(event_target_value(&ev))/>
                {hint.map(|h| view! { <p class="hint" id=hint_id.clone()>{h}</p> })}
            </div>
        }
    };
    view! {
        <Title text="Profile"/>
        <div class="pane-header"><h1>"Profile"</h1></div>
        <div class="pane-body">
            <super::photo_ui::PhotoEditor/>
            <h2 class="section-title">"Status"</h2>
            <form class="form inline-form" on:submit=move |ev| { ev.prevent_default(); status.dispatch(false); }>
                {input("status-emoji", "Emoji", emoji, 32, Some("An emoji or a shortcode such as :palm_tree:"))}
                {input("status-text", "What's your status?", text, MAX_STATUS_LEN, None)}
                <div class="field">
                    <label for="status-expiry">"Clear after"</label>
                    <select id="status-expiry" on:change=move |ev| expiry.set(event_target_value(&ev))>
                        <option value="30m">"30 minutes"</option>
                        <option value="1h">"1 hour"</option>
                        <option value="today" selected=true>"Today"</option>
                        <option value="week">"This week"</option>
                        <option value="never">"Don't clear"</option>
                    </select>
                </div>
                <button type="submit" class="btn primary" disabled=move || status.pending().get()>"Set status"</button>
                <button type="button" class="btn subtle" on:click=move |_| { status.dispatch(true); }>"Clear status"</button>
            </form>
            <h2 class="section-title">"About you"</h2>
            <form class="form narrow" on:submit=move |ev| { ev.prevent_default(); save.dispatch(()); }>
                {input("profile-name", "Display name", name, MAX_NAME_LEN, Some("How your name shows in messages."))}
                {input("profile-full-name", "Full name", full, 80, None)}
                {input("profile-title", "Title", title, MAX_TITLE_LEN, Some("e.g. Head of Support"))}
                {input("profile-tz", "Time zone", tz, 64, Some("e.g. Europe/Berlin"))}
                <button type="submit" class="btn primary" disabled=move || save.pending().get()>
                    {move || if save.pending().get() { "Saving…" } else { "Save profile" }}
                </button>
            </form>
        </div>
    }
}
