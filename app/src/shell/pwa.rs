//! The installable app, as the shell shows it: a "new version" banner and
//! an "Install app" button in the user menu.
//!
//! The service worker is registered by `public/pwa.js`, a plain script (a
//! worker's life cycle and the browser's install prompt are events of the
//! page, there before the app hydrates). It tells the app what happened by
//! window events and keeps the state in `window.threadspacePwa`, which the
//! components read when they start; they answer with events of their own.
//! See `public/pwa.js` for the names.

use leptos::prelude::*;

/// Whether `window.threadspacePwa[flag]` is true (set by `pwa.js`).
#[cfg(feature = "hydrate")]
fn flag(flag: &str) -> bool {
    let get = |o: &wasm_bindgen::JsValue, k: &str| js_sys::Reflect::get(o, &k.into()).ok();
    get(&window().into(), "threadspacePwa").and_then(|s| get(&s, flag)).and_then(|v| v.as_bool())
        == Some(true)
}

/// Sends `name` to `pwa.js`.
fn ask(name: &str) {
    #[cfg(feature = "hydrate")]
    if let Ok(ev) = web_sys::Event::new(name) {
        let _ = window().dispatch_event(&ev);
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = name;
}

/// A signal that is true once `pwa.js` has said `on` (and before the app
/// started, if `window.threadspacePwa[state]` says so), false after `off`.
fn pwa_state(state: &'static str, on: &'static str, off: Option<&'static str>) -> RwSignal<bool> {
    let s = RwSignal::new(false);
    #[cfg(feature = "hydrate")]
    {
        Effect::new(move |_| s.set(flag(state)));
        let up = window_event_listener_untyped(on, move |_| s.set(true));
        on_cleanup(move || up.remove());
        if let Some(off) = off {
            let down = window_event_listener_untyped(off, move |_| s.set(false));
            on_cleanup(move || down.remove());
        }
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (state, on, off);
    s
}

/// "A new version is available — Reload", once a new service worker is
/// installed and waiting. Reload hands over to it; the page then reloads.
#[component]
pub fn UpdateBanner() -> impl IntoView {
    let ready = pwa_state("updateReady", "threadspace:update-ready", None);
    let dismissed = RwSignal::new(false);
    view! {
        <Show when=move || ready.get() && !dismissed.get()>
            <div class="update-banner" role="status">
                <span>"A new version of ThreadSpace is available."</span>
                <button class="btn primary" on:click=move |_| ask("threadspace:apply-update")>"Reload"</button>
                <button class="icon-btn" aria-label="Later" title="Later" on:click=move |_| dismissed.set(true)>"×"</button>
            </div>
        </Show>
    }
}

/// "Install app", where the browser offers to install ThreadSpace.
#[component]
pub fn InstallButton() -> impl IntoView {
    let installable = pwa_state("installable", "threadspace:installable", Some("threadspace:installed"));
    view! {
        <Show when=move || installable.get()>
            <button class="btn subtle install-btn" on:click=move |_| ask("threadspace:install")>"Install app"</button>
        </Show>
    }
}
