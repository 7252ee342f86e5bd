//! `/settings/preferences`: the theme and the clock (kept in this browser,
//! like Slack's per-device display settings), and "set me away" (kept on the
//! account and announced to the workspace by the presence service).

use leptos::prelude::*;
use leptos_meta::Title;

use crate::messages::ui::time_fmt::Clock24;
use crate::shell::toast::{toasts, Tone};

/// The preferences page.
#[component]
pub fn PreferencesPage() -> impl IntoView {
    let toasts = toasts();
    let theme = RwSignal::new(String::from("system"));
    Effect::new(move || theme.set(crate::shell::theme::saved()));
    let h24 = use_context::<Clock24>().map(|c| c.0);
    let clock = move || if h24.is_some_and(|s| s.get()) { "24" } else { "12" };
    let set_clock = move |v: String| {
        #[cfg(feature = "hydrate")]
        if let Some(s) = window().local_storage().ok().flatten() {
            let _ = s.set_item(crate::messages::ui::time_fmt::CLOCK_KEY, &v);
        }
        if let Some(s) = h24 {
            s.set(v == "24");
        }
    };
    // Whether the member set themselves away, read after hydration.
    let away = RwSignal::new(None::<bool>);
    let load = Action::new(|_: &()| async { crate::realtime::api::get_presence(None).await });
    Effect::new(move || {
        load.dispatch(());
    });
    Effect::new(move || {
        if let Some(Ok(r)) = load.value().get() {
            away.set(Some(r.data.manual_away));
        }
    });
    let set_away = Action::new(move |on: &bool| {
        let on = *on;
        async move {
            crate::realtime::api::set_presence(if on { "away" } else { "auto" }.into()).await.map(|_| on)
        }
    });
    Effect::new(move || match set_away.value().get() {
        Some(Ok(on)) => {
            away.set(Some(on));
            toasts.push(
                Tone::Success,
                if on { "You are shown as away." } else { "You are shown as active again." },
            );
        }
        Some(Err(e)) => toasts.error(&e),
        None => {}
    });
    view! {
        <Title text="Preferences"/>
        <div class="pane-header"><h1>"Preferences"</h1></div>
        <div class="pane-body">
            <div class="form narrow">
                <h2 class="section-title">"Appearance"</h2>
                <div class="field">
                    <label for="pref-theme">"Theme"</label>
                    <select id="pref-theme" prop:value=move || theme.get()
                        on:change=move |ev| { let t = event_target_value(&ev); crate::shell::theme::apply(&t); theme.set(t); }>
                        <option value="system">"Same as the system"</option>
                        <option value="light">"Light"</option>
                        <option value="dark">"Dark"</option>
                    </select>
                </div>
                <div class="field">
                    <label for="pref-clock">"Clock"</label>
                    <select id="pref-clock" prop:value=clock on:change=move |ev| set_clock(event_target_value(&ev))>
                        <option value="12">"12-hour (2:05 PM)"</option>
                        <option value="24">"24-hour (14:05)"</option>
                    </select>
                    <p class="hint">"Theme and clock apply to this browser."</p>
                </div>
                <h2 class="section-title">"Availability"</h2>
                <label class="check">
                    <input type="checkbox" prop:checked=move || away.get().unwrap_or(false)
                        disabled=move || away.get().is_none() || set_away.pending().get()
                        on:change=move |ev| { set_away.dispatch(event_target_checked(&ev)); }/>
                    " Set yourself as away"
                </label>
                <p class="hint">"Others see you as away until you turn this off, even while ThreadSpace is open."</p>
                <crate::notify::ui::NotificationSettings/>
            </div>
        </div>
    }
}
