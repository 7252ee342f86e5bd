//! Small widgets shared by several domains' pages: avatars, icons, a
//! member row and a copy box. They depend only on leaf modules (the shell's
//! contexts and toasts, presence dots), so any page may use them.

use leptos::prelude::*;
use uuid::Uuid;

use crate::shell::context::{Detail, DetailCtx};
use crate::shell::toast::{toasts, Tone};
use crate::users::{avatar_hue, initials};

/// A round avatar with initials on a colour derived from the member id, and
/// the member's presence dot.
#[component]
pub fn Avatar(id: Uuid, name: String, #[prop(default = "avatar")] class: &'static str) -> impl IntoView {
    let style = format!("--hue: {}", avatar_hue(&id));
    let live = use_context::<crate::realtime::ui::Live>();
    let size = if class.contains("avatar-xl") { 512 } else { 128 };
    let src = move || {
        let v = live.and_then(|l| l.avatars.with(|m| m.get(&id).copied()));
        crate::users::avatar_src(id, size, v)
    };
    view! {
        <span class="avatar-wrap">
            <span class=class style=style aria-hidden="true">
                {initials(&name)}
                <img class="avatar-img" src=src alt="" loading="lazy" decoding="async"/>
            </span>
            <crate::realtime::ui::PresenceDot user=id/>
        </span>
    }
}

/// A member's custom status emoji, next to their name (its text as the
/// tooltip); nothing when they have none or it expired.
#[component]
pub fn StatusEmoji(user: Uuid) -> impl IntoView {
    let live = use_context::<crate::realtime::ui::Live>();
    move || {
        let s = live.and_then(|l| l.statuses.with(|m| m.get(&user).cloned()))?;
        #[cfg(feature = "hydrate")]
        let now =
            time::OffsetDateTime::from_unix_timestamp_nanos(js_sys::Date::now() as i128 * 1_000_000).ok()?;
        #[cfg(not(feature = "hydrate"))]
        let now = time::OffsetDateTime::now_utc();
        s.live_at(now).then(|| {
            let label = if s.text.is_empty() { "Status".to_string() } else { format!("Status: {}", s.text) };
            view! { <span class="status-emoji" title=label.clone() role="img" aria-label=label>{s.emoji}</span> }
        })
    }
}

/// Small inline icons (emoji glyphs depend on the system's fonts).
#[component]
pub fn Icon(name: &'static str) -> impl IntoView {
    let d = match name {
        "clip" => "M16.5 6.5v10a4.5 4.5 0 0 1-9 0V5a3 3 0 0 1 6 0v10.5a1.5 1.5 0 0 1-3 0V6.5",
        "folder" => "M3 6.5A1.5 1.5 0 0 1 4.5 5h4l2 2h9A1.5 1.5 0 0 1 21 8.5v9a1.5 1.5 0 0 1-1.5 1.5h-15A1.5 1.5 0 0 1 3 17.5z",
        "eye" => "M2 12s3.5-6.5 10-6.5S22 12 22 12s-3.5 6.5-10 6.5S2 12 2 12zm10 3a3 3 0 1 0 0-6 3 3 0 0 0 0 6z",
        _ => "M12 4v11m-5-5 5 5 5-5M5 20h14",
    };
    view! {
        <svg class="icon" viewBox="0 0 24 24" width="18" height="18" aria-hidden="true" fill="none"
            stroke="currentColor" stroke-width="1.8" stroke-linecap="round" stroke-linejoin="round">
            <path d=d/>
        </svg>
    }
}

/// A member row in the details pane. `children` go after the member (a
/// "Remove" button, say), in the same list item.
#[component]
pub fn MemberLine(id: Uuid, name: String, #[prop(optional)] children: Option<Children>) -> impl IntoView {
    let detail = expect_context::<DetailCtx>().0;
    view! {
        <li class="member-line">
            <button class="member-row" on:click=move |_| detail.set(Some(Detail::Member(id)))>
                <Avatar id=id name=name.clone()/>
                <span class="member-main"><strong>{name.clone()}</strong></span>
            </button>
            {children.map(|c| c())}
        </li>
    }
}

/// A read-only value with a copy button (invite links, API tokens).
#[component]
pub fn CopyBox(label: &'static str, value: String) -> impl IntoView {
    let toasts = toasts();
    let v = value.clone();
    let copy = move |_| {
        #[cfg(feature = "hydrate")]
        {
            let _ = window().navigator().clipboard().write_text(&v);
        }
        let _ = &v;
        toasts.push(Tone::Success, "Copied to the clipboard.");
    };
    view! {
        <div class="copybox">
            <label for="copy-value">{label}</label>
            <div class="copybox-row">
                <input id="copy-value" readonly=true value=value on:focus=move |ev| {
                    #[cfg(feature = "hydrate")]
                    {
                        use wasm_bindgen::JsCast;
                        if let Some(el) = ev.target().and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok()) {
                            el.select();
                        }
                    }
                    let _ = ev;
                }/>
                <button class="btn" on:click=copy>"Copy"</button>
            </div>
        </div>
    }
}

/// "Not found" inside the app's main pane, with a 404 status when rendered
/// on the server: what a page shows to someone who may not see it.
#[component]
pub fn PaneNotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(resp) = use_context::<leptos_axum::ResponseOptions>() {
        resp.set_status(http::StatusCode::NOT_FOUND);
    }
    view! {
        <div class="pane-body">
            <h2>"Page not found"</h2>
            <p class="muted">"There is nothing at this address."</p>
            <a class="btn primary" href="/">"Go home"</a>
        </div>
    }
}
