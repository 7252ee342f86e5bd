//! Notification preferences in the page: the shared [`NotifyState`], the
//! settings section (`/settings/preferences`) and a conversation's own
//! controls (the details pane). The browser side that shows notifications
//! and the unread count is in `browser.rs`.

use leptos::prelude::*;
use uuid::Uuid;

use super::api::ThreadRef;
use super::state::NotifyState;
use super::Level;
use crate::shell::toast::{toasts, Tone};

fn level_label(l: Level) -> &'static str {
    match l {
        Level::All => "All new messages",
        Level::Mentions => "Direct messages, mentions and keywords",
        Level::Nothing => "Nothing",
    }
}

/// Runs a preferences call and keeps its answer (the whole new preferences).
fn save<F>(state: NotifyState, done: &'static str, fut: F)
where
    F: std::future::Future<
            Output = Result<crate::api::Reply<super::api::PrefsReply>, crate::error::AppError>,
        > + 'static,
{
    let toasts = toasts();
    leptos::task::spawn_local(async move {
        match fut.await {
            Ok(r) => {
                state.prefs.set(Some(r.data.prefs));
                toasts.push(Tone::Success, done);
            }
            Err(e) => toasts.error(&e),
        }
    });
}

/// Mute and "notify me about" for one conversation the member is in.
#[component]
pub fn ChannelNotifications(channel: Uuid) -> impl IntoView {
    let Some(state) = use_context::<NotifyState>() else { return ().into_any() };
    let pref = move || state.prefs.with(|p| p.as_ref().and_then(|p| p.channel(channel).cloned()));
    let muted = move || pref().is_some_and(|c| c.muted);
    let level = move || pref().and_then(|c| c.level).map_or("default", Level::as_str);
    let default_label = move || {
        let l = state.prefs.with(|p| p.as_ref().map(|p| p.level).unwrap_or_default());
        format!("Default ({})", level_label(l).to_lowercase())
    };
    let toggle = move |_| {
        let on = !muted();
        let done = if on { "Conversation muted" } else { "Conversation unmuted" };
        if on {
            save(state, done, super::api::mute(channel));
        } else {
            save(state, done, super::api::unmute(channel));
        }
    };
    let choose = move |ev| {
        let v = event_target_value(&ev);
        save(state, "Notifications updated", super::api::set_channel_level(channel, v));
    };
    view! {
        <div class="field notify-channel">
            <label for="conv-notify">"Notify me about"</label>
            <div class="inline-form">
                <select id="conv-notify" prop:value=level on:change=choose>
                    <option value="default">{default_label}</option>
                    <option value="all">{level_label(Level::All)}</option>
                    <option value="mentions">{level_label(Level::Mentions)}</option>
                    <option value="nothing">{level_label(Level::Nothing)}</option>
                </select>
                <button class="btn subtle" aria-pressed=move || muted().to_string() on:click=toggle>
                    {move || if muted() { "Unmute" } else { "Mute" }}
                </button>
            </div>
            <Show when=muted>
                <p class="hint">"Muted: not shown as unread in the sidebar, and never notifies."</p>
            </Show>
        </div>
    }
    .into_any()
}

fn hh_mm(minute: u16) -> String {
    format!("{:02}:{:02}", minute / 60, minute % 60)
}

/// The "Notifications" section of the preferences page.
#[component]
pub fn NotificationSettings() -> impl IntoView {
    let Some(state) = use_context::<NotifyState>() else { return ().into_any() };
    let permission = RwSignal::new(String::from("default"));
    #[cfg(feature = "hydrate")]
    Effect::new(move || permission.set(super::browser::permission()));
    let ask = move |_| {
        #[cfg(feature = "hydrate")]
        super::browser::request_permission(permission);
    };
    let prefs = move || state.prefs.get();
    let level = move || prefs().map(|p| p.level).unwrap_or_default();
    let keywords = RwSignal::new(String::new());
    let (from, to) = (RwSignal::new(String::from("22:00")), RwSignal::new(String::from("08:00")));
    // Fill the form once the preferences arrive.
    Effect::new(move |filled: Option<bool>| {
        let Some(p) = state.prefs.get() else { return false };
        if filled != Some(true) {
            keywords.set(p.keywords.join(", "));
            if let Some(s) = p.schedule {
                from.set(hh_mm(s.start));
                to.set(hh_mm(s.end));
            }
        }
        true
    });
    let set_level = move |l: Level| {
        save(state, "Notifications updated", super::api::set(Some(l.as_str().into()), None, None));
    };
    let save_keywords = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let words: Vec<String> = keywords.get_untracked().split(',').map(|w| w.trim().to_string()).collect();
        save(state, "Keywords saved", super::api::set(None, Some(words), None));
    };
    let snooze = move |ev| {
        let minutes: i64 = event_target_value(&ev).parse().unwrap_or(0);
        let done = if minutes == 0 { "Notifications resumed" } else { "Notifications paused" };
        if minutes == 0 {
            save(state, done, super::api::dnd_end());
        } else {
            save(state, done, super::api::dnd_set(Some(minutes), None));
        }
    };
    let schedule_on = move || prefs().is_some_and(|p| p.schedule.is_some());
    let save_schedule = move |on: bool| {
        let s = if on { format!("{}-{}", from.get_untracked(), to.get_untracked()) } else { String::new() };
        save(state, "Schedule saved", super::api::dnd_set(None, Some(s)));
    };
    let until = move || {
        prefs()
            .and_then(|p| p.dnd_until)
            .filter(|u| *u > time::OffsetDateTime::now_utc())
            .map(|u| format!("Paused until {}", crate::messages::ui::time_fmt::short_datetime(u)))
    };
    let levels = [Level::All, Level::Mentions, Level::Nothing];
    let missed = move || prefs().map(|p| p.missed_mail).unwrap_or_else(|| "soon".into());
    let set_missed = move |ev| {
        let v = event_target_value(&ev);
        save(state, "Email preference saved", super::api::set(None, None, Some(v)));
    };
    view! {
        <h2 class="section-title">"Notifications"</h2>
        <div class="notify-settings">
            <p class="notify-permission">
                {move || match permission.get().as_str() {
                    "granted" => view! {
                        <span>"Desktop notifications are on in this browser."</span>
                        " "
                        <span class="muted">"When no ThreadSpace tab is open, DMs and mentions are pushed to this device where the browser supports it."</span>
                    }.into_any(),
                    "denied" => view! { <span>"This browser blocks notifications from ThreadSpace: allow them in the site settings."</span> }.into_any(),
                    "unsupported" => view! { <span>"This browser cannot show notifications."</span> }.into_any(),
                    _ => view! { <button class="btn primary" on:click=ask>"Enable desktop notifications"</button> }.into_any(),
                }}
            </p>
            <fieldset class="field">
                <legend>"Notify me about"</legend>
                {levels.into_iter().map(|l| view! {
                    <label class="check">
                        <input type="radio" name="notify-level" value=l.as_str()
                            prop:checked=move || level() == l on:change=move |_| set_level(l)/>
                        {level_label(l)}
                    </label>
                }).collect_view()}
            </fieldset>
            <form class="field" on:submit=save_keywords>
                <label for="notify-keywords">"My keywords"</label>
                <p class="hint" id="notify-keywords-help">"Words that notify you like a mention, separated by commas."</p>
                <div class="inline-form">
                    <input id="notify-keywords" aria-describedby="notify-keywords-help" maxlength="3000"
                        prop:value=move || keywords.get() on:input=move |ev| keywords.set(event_target_value(&ev))/>
                    <button class="btn" type="submit">"Save keywords"</button>
                </div>
            </form>
            <div class="field">
                <label for="notify-missed">"Email me about DMs and mentions I missed"</label>
                <select id="notify-missed" prop:value=missed on:change=set_missed>
                    <option value="soon">"After 15 minutes away"</option>
                    <option value="hourly">"After an hour away"</option>
                    <option value="never">"Never"</option>
                </select>
                <p class="hint">"Only when ThreadSpace is open nowhere, for what is still unread."</p>
            </div>
            <div class="field">
                <label for="notify-snooze">"Pause notifications"</label>
                <div class="inline-form">
                    <select id="notify-snooze" on:change=snooze prop:value="">
                        <option value="" disabled=true>{move || until().unwrap_or_else(|| "Not paused".into())}</option>
                        <option value="30">"For 30 minutes"</option>
                        <option value="60">"For 1 hour"</option>
                        <option value="120">"For 2 hours"</option>
                        <option value="480">"For 8 hours"</option>
                        <option value="1440">"For 24 hours"</option>
                        <option value="0">"Resume now"</option>
                    </select>
                </div>
            </div>
            <fieldset class="field">
                <legend>"Do not disturb every day"</legend>
                <div class="inline-form">
                    <label for="dnd-from">"From"</label>
                    <input id="dnd-from" type="time" prop:value=move || from.get() on:input=move |ev| from.set(event_target_value(&ev))/>
                    <label for="dnd-to">"to"</label>
                    <input id="dnd-to" type="time" prop:value=move || to.get() on:input=move |ev| to.set(event_target_value(&ev))/>
                    <button class="btn" on:click=move |_| save_schedule(true)>"Save schedule"</button>
                    <Show when=schedule_on>
                        <button class="btn subtle" on:click=move |_| save_schedule(false)>"Turn off"</button>
                    </Show>
                </div>
                <p class="hint">{move || prefs().map(|p| format!("In your time zone ({}).", p.time_zone))}</p>
            </fieldset>
        </div>
    }
    .into_any()
}

/// "Follow thread" / "Following" in the thread pane: replies to a followed
/// thread notify at the mentions level and list it in Threads.
#[component]
pub fn FollowButton(channel: Uuid, thread_seq: i64) -> impl IntoView {
    let Some(state) = use_context::<NotifyState>() else { return ().into_any() };
    let toasts = toasts();
    let following = move || state.follows(channel, thread_seq);
    let toggle = move |_| {
        let on = !following();
        leptos::task::spawn_local(async move {
            let r = if on {
                super::api::follow(channel, thread_seq).await
            } else {
                super::api::unfollow(channel, thread_seq).await
            };
            match r {
                Ok(_) => state.threads.update(|t| {
                    let key = ThreadRef { channel, thread_seq };
                    if on {
                        t.insert(key);
                    } else {
                        t.remove(&key);
                    }
                }),
                Err(e) => toasts.error(&e),
            }
        });
    };
    view! {
        <button class="btn subtle follow-btn" aria-pressed=move || following().to_string() on:click=toggle>
            {move || if following() { "Following" } else { "Follow thread" }}
        </button>
    }
    .into_any()
}
