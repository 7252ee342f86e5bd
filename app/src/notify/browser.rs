//! The browser side of notifications (hydrate only): loads the preferences,
//! follows their changes from other tabs, shows a system notification for
//! each new message that [`rules::decide`] lets through, and keeps the unread
//! count in the tab title and on the installed app's badge.
//!
//! Clicking a notification focuses the app on that message (its permalink).

use leptos::prelude::*;
use leptos_router::NavigateOptions;
use time::OffsetDateTime;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use super::api::ThreadRef;
use super::rules::{self, Moment, Seen};
use super::state::{NotifyState, TitleCount};
use crate::messages::ui::CurrentFeed;
use crate::messages::Message;
use crate::realtime::ui::Live;
use crate::realtime::{Event, Presence};
use crate::shell::context::{ConvsCtx, Detail, DetailCtx, MeResource};

/// `Notification.permission`, or `"unsupported"`.
pub fn permission() -> String {
    let supported = js_sys::Reflect::has(&window(), &"Notification".into()).unwrap_or(false);
    if !supported {
        return "unsupported".into();
    }
    match web_sys::Notification::permission() {
        web_sys::NotificationPermission::Granted => "granted".into(),
        web_sys::NotificationPermission::Denied => "denied".into(),
        _ => "default".into(),
    }
}

/// Asks for permission (from a click) and stores the answer in `out`.
pub fn request_permission(out: RwSignal<String>) {
    let Ok(promise) = web_sys::Notification::request_permission() else { return };
    let done = Closure::once(move |_: JsValue| out.set(permission()));
    let _ = promise.then(&done);
    done.forget();
}

/// Minutes after midnight now in `tz` (the browser's own zone when `tz` is
/// empty or unknown). Through `Reflect`, so that an unknown zone's
/// `RangeError` is a `Result`, not an exception through the WASM.
fn local_minute(tz: &str) -> u16 {
    let now = js_sys::Date::new_0();
    let format = |zone: Option<&str>| -> Option<String> {
        let opts = js_sys::Object::new();
        let set = |k: &str, v: &str| js_sys::Reflect::set(&opts, &k.into(), &v.into()).ok();
        set("hour", "2-digit")?;
        set("minute", "2-digit")?;
        set("hourCycle", "h23")?;
        if let Some(z) = zone {
            set("timeZone", z)?;
        }
        let intl = js_sys::Reflect::get(&js_sys::global(), &"Intl".into()).ok()?;
        let ctor: js_sys::Function =
            js_sys::Reflect::get(&intl, &"DateTimeFormat".into()).ok()?.dyn_into().ok()?;
        let args = js_sys::Array::of2(&"en-GB".into(), &opts);
        let fmt = js_sys::Reflect::construct(&ctor, &args).ok()?;
        let f: js_sys::Function = js_sys::Reflect::get(&fmt, &"format".into()).ok()?.dyn_into().ok()?;
        f.call1(&fmt, &now).ok()?.as_string()
    };
    let parse = |s: String| -> Option<u16> {
        let (h, m) = s.split_once(':')?;
        Some(h.trim().parse::<u16>().ok()? % 24 * 60 + m.trim().get(..2)?.parse::<u16>().ok()?)
    };
    let zone = (!tz.is_empty()).then_some(tz);
    format(zone)
        .and_then(parse)
        .or_else(|| format(None).and_then(parse))
        .unwrap_or_else(|| (now.get_hours() * 60 + now.get_minutes()) as u16)
}

/// Whether a visible, focused tab shows this message's conversation (or its thread).
fn viewing(current: CurrentFeed, detail: DetailCtx, m: &Message) -> bool {
    let doc = document();
    let focused =
        doc.visibility_state() == web_sys::VisibilityState::Visible && doc.has_focus().unwrap_or(false);
    let open_channel = current.0.with_untracked(|f| f.as_ref().map(|f| f.channel)) == Some(m.channel);
    let in_channel = m.thread_seq.is_none() || m.also_in_channel;
    let open_thread = matches!(detail.0.get_untracked(), Some(Detail::Thread(c, s)) if c == m.channel && Some(s) == m.thread_seq);
    focused && ((open_channel && in_channel) || open_thread)
}

/// Shows the notification; a click focuses the window on the message.
fn show(title: &str, body: &str, tag: &str, href: String, nav: impl Fn(&str) + 'static) {
    let opts = web_sys::NotificationOptions::new();
    opts.set_body(body);
    opts.set_tag(tag);
    opts.set_icon("/icons/icon-192.png");
    let Ok(n) = web_sys::Notification::new_with_options(title, &opts) else { return };
    let click = Closure::<dyn Fn()>::new(move || {
        let _ = window().focus();
        nav(&href);
    });
    n.set_onclick(Some(click.as_ref().unchecked_ref()));
    click.forget();
}

/// Hands the server's VAPID key to `threadspacePush.enable` (public/pwa.js),
/// which subscribes this browser for Web Push as soon as notifications are
/// allowed, and tells the server (`push.subscribe`).
fn enable_push(key: &str) {
    if key.is_empty() {
        return;
    }
    let Ok(push) = js_sys::Reflect::get(&window(), &"threadspacePush".into()) else { return };
    if let Ok(f) =
        js_sys::Reflect::get(&push, &"enable".into()).and_then(|f| f.dyn_into::<js_sys::Function>())
    {
        let _ = f.call1(&push, &key.into());
    }
}

/// `navigator.setAppBadge(n)` / `clearAppBadge()` where the browser has them.
fn set_badge(n: i64) {
    let nav: JsValue = window().navigator().into();
    let (name, args) =
        if n > 0 { ("setAppBadge", vec![JsValue::from_f64(n as f64)]) } else { ("clearAppBadge", vec![]) };
    if let Ok(f) = js_sys::Reflect::get(&nav, &name.into()).and_then(|f| f.dyn_into::<js_sys::Function>()) {
        let _ = f.apply(&nav, &args.into_iter().collect::<js_sys::Array>());
    }
}

/// What [`start`] needs from the shell.
#[derive(Clone, Copy)]
pub struct Ctx {
    pub state: NotifyState,
    pub live: Live,
    pub me: MeResource,
    pub convs: ConvsCtx,
    pub current: CurrentFeed,
    pub detail: DetailCtx,
    pub title: Option<TitleCount>,
}

/// Starts it all (once, in the shell, in the browser).
pub fn start(ctx: Ctx) {
    let Ctx { state, live, convs, title, .. } = ctx;
    leptos::task::spawn_local(async move {
        if let Ok(r) = super::api::get().await {
            enable_push(&r.data.push_key);
            state.threads.set(r.data.threads.into_iter().collect());
            state.prefs.set(Some(r.data.prefs));
        }
    });
    let navigate = leptos_router::hooks::use_navigate();
    live.listen(Callback::new(move |ev: Event| match ev {
        Event::NotifyPrefsChanged { prefs } => state.prefs.set(Some(prefs)),
        Event::ThreadFollow { channel, thread_seq, following } => state.threads.update(|t| {
            let key = ThreadRef { channel, thread_seq };
            if following {
                t.insert(key);
            } else {
                t.remove(&key);
            }
        }),
        Event::MessageCreated { message } => on_message(ctx, &message, navigate.clone()),
        _ => {}
    }));
    // The unread count: mentions and DMs of conversations not muted.
    Effect::new(move || {
        let n: i64 = convs.list.with(|l| match l {
            Some(Ok(r)) => {
                r.data.channels.iter().filter(|c| !state.muted(c.id)).map(|c| c.mention_count).sum()
            }
            _ => 0,
        });
        if let Some(t) = title {
            t.0.set(n);
        }
        set_badge(n);
    });
}

fn on_message(ctx: Ctx, m: &Message, navigate: impl Fn(&str, NavigateOptions) + Clone + 'static) {
    let Some(me) = ctx.me.get_untracked().and_then(|r| r.ok()).map(|r| r.data.user_id) else { return };
    let state = ctx.state;
    if let Some(root) = m.thread_seq {
        // Writing in a thread, or being mentioned in it, follows it.
        if m.user == me || m.mentions.contains(&me) {
            state.threads.update(|t| {
                t.insert(ThreadRef { channel: m.channel, thread_seq: root });
            });
        }
    }
    let Some(prefs) = state.prefs.get_untracked() else { return };
    let Some(conv) = ctx.convs.list.with_untracked(|l| match l {
        Some(Ok(r)) => {
            r.data.channels.iter().find(|c| c.id == m.channel).map(|c| (c.kind.is_dm(), c.label()))
        }
        _ => None,
    }) else {
        return;
    };
    if permission() != "granted" {
        return;
    }
    let follows = m.thread_seq.is_some_and(|root| {
        state.threads.with_untracked(|t| t.contains(&ThreadRef { channel: m.channel, thread_seq: root }))
    });
    let active = ctx.live.presence.with_untracked(|p| p.get(&me).copied()) != Some(Presence::Idle);
    let seen = Seen { me, is_dm: conv.0, follows_thread: follows, message: m };
    let at = Moment {
        now: OffsetDateTime::now_utc(),
        local_minute: local_minute(&prefs.time_zone),
        active,
        viewing: viewing(ctx.current, ctx.detail, m),
    };
    let Some(reason) = rules::decide(&prefs, seen, at) else { return };
    let href = rules::href(m);
    let tag = format!("{}:{}", m.channel, m.seq);
    show(&rules::title(reason, m, &conv.1), &rules::body(m), &tag, href, move |h| {
        navigate(h, NavigateOptions::default())
    });
}
