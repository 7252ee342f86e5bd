//! `/admin/settings`: the workspace's name, when people show as away, who
//! may create and archive channels, who may use `@channel` in large
//! channels, and what may be uploaded. One form, saved as a whole
//! (`admin.settings.set`), so what is on screen is what is stored.

use leptos::prelude::*;

use super::frame::AdminPage;
use crate::core::rules::{Rules, Who};
use crate::shell::toast::{toasts, Tone};
use crate::workspaces::settings::Settings;

const MB: i64 = 1024 * 1024;

/// The settings admin page.
#[component]
pub fn SettingsPage() -> impl IntoView {
    view! {
        <AdminPage title="Workspace settings">
            <IconEditor/>
            <SettingsForm/>
        </AdminPage>
    }
}

/// The form's fields, as text while they are edited.
#[derive(Clone, Copy)]
struct Fields {
    name: RwSignal<String>,
    idle_minutes: RwSignal<String>,
    create: RwSignal<String>,
    archive: RwSignal<String>,
    limit_broadcast: RwSignal<bool>,
    broadcast_over: RwSignal<String>,
    upload_mb: RwSignal<String>,
    blocked: RwSignal<String>,
    /// Edited on /admin/invites; kept as loaded.
    domains: RwSignal<Vec<String>>,
}

impl Fields {
    fn new() -> Fields {
        Fields {
            name: RwSignal::new(String::new()),
            idle_minutes: RwSignal::new("5".into()),
            create: RwSignal::new("members".into()),
            archive: RwSignal::new("members".into()),
            limit_broadcast: RwSignal::new(false),
            broadcast_over: RwSignal::new("25".into()),
            upload_mb: RwSignal::new("25".into()),
            blocked: RwSignal::new(String::new()),
            domains: RwSignal::new(Vec::new()),
        }
    }

    fn fill(&self, s: Settings) {
        self.name.set(s.name);
        self.idle_minutes.set((s.idle_after_secs / 60).to_string());
        self.create.set(s.rules.create_channels.as_str().into());
        self.archive.set(s.rules.archive_channels.as_str().into());
        self.limit_broadcast.set(s.rules.broadcast_admins_over.is_some());
        if let Some(n) = s.rules.broadcast_admins_over {
            self.broadcast_over.set(n.to_string());
        }
        self.upload_mb.set((s.max_upload_bytes / MB).to_string());
        self.blocked.set(s.blocked_file_types.join(", "));
        self.domains.set(s.signup_domains);
    }

    /// What to send, or which field is not a number.
    fn read(&self) -> Result<Settings, String> {
        let num = |label: &str, v: String| -> Result<i64, String> {
            v.trim().parse::<i64>().map_err(|_| format!("{label} must be a whole number."))
        };
        let minutes = num("Away after", self.idle_minutes.get_untracked())?;
        let over = if self.limit_broadcast.get_untracked() {
            Some(num("Channel size", self.broadcast_over.get_untracked())? as i32)
        } else {
            None
        };
        let mb = num("Largest upload", self.upload_mb.get_untracked())?;
        Ok(Settings {
            name: self.name.get_untracked(),
            idle_after_secs: (minutes * 60).clamp(0, i32::MAX as i64) as i32,
            rules: Rules {
                create_channels: Who::parse(&self.create.get_untracked()),
                archive_channels: Who::parse(&self.archive.get_untracked()),
                broadcast_admins_over: over,
            },
            max_upload_bytes: mb.saturating_mul(MB),
            blocked_file_types: crate::workspaces::settings::parse_types(&self.blocked.get_untracked())
                .map_err(|e| e.detail())?,
            signup_domains: self.domains.get_untracked(),
            has_icon: false,
            icon_version: 0,
        })
    }
}

#[component]
fn SettingsForm() -> impl IntoView {
    let toasts = toasts();
    let f = Fields::new();
    let current = Resource::new(|| (), |_| async { crate::admin::api::settings_get().await.map(|r| r.data) });
    Effect::new(move || {
        if let Some(Ok(s)) = current.get() {
            f.fill(s);
        }
    });
    let save = Action::new(move |s: &Settings| {
        let s = s.clone();
        async move { crate::admin::api::settings_set(s).await.map(|r| r.data) }
    });
    Effect::new(move || match save.value().get() {
        Some(Ok(s)) => {
            f.fill(s);
            toasts.push(Tone::Success, "Settings saved.")
        }
        Some(Err(e)) => toasts.error(&e),
        None => {}
    });
    let text = |id: &'static str, label: &'static str, sig: RwSignal<String>, hint: &'static str| {
        let hint_id = format!("{id}-hint");
        view! {
            <div class="field">
                <label for=id>{label}</label>
                <input id=id maxlength="300" aria-describedby=hint_id.clone()
                    prop:value=move || sig.get() on:input=move |ev| sig.set(event_target_value(&ev))/>
                <p class="hint" id=hint_id>{hint}</p>
            </div>
        }
    };
    let number = |id: &'static str, label: &'static str, sig: RwSignal<String>, range: (i64, i64)| {
        view! {
            <div class="field">
                <label for=id>{label}</label>
                <input id=id type="number" min=range.0 max=range.1 required=true
                    prop:value=move || sig.get() on:input=move |ev| sig.set(event_target_value(&ev))/>
            </div>
        }
    };
    let who = |id: &'static str, label: &'static str, sig: RwSignal<String>| {
        view! {
            <div class="field">
                <label for=id>{label}</label>
                <select id=id prop:value=move || sig.get() on:change=move |ev| sig.set(event_target_value(&ev))>
                    <option value="members">"Everyone but guests"</option>
                    <option value="admins">"Only owners and admins"</option>
                </select>
            </div>
        }
    };
    view! {
        <Transition fallback=|| view! { <p class="muted" aria-busy="true">"Loading…"</p> }>
            {move || current.get().and_then(|r| r.err()).map(|e| view! { <p class="empty">{e.detail()}</p> })}
        </Transition>
        <form class="form narrow" on:submit=move |ev| {
            ev.prevent_default();
            match f.read() {
                Ok(s) => { save.dispatch(s); }
                Err(msg) => toasts.push(Tone::Error, msg),
            }
        }>
            <h2 class="section-title">"Workspace"</h2>
            {text("ws-name", "Name", f.name, "Shown at the top of the sidebar and in invitations.")}
            {number("ws-idle", "Show people as away after (minutes)", f.idle_minutes, (1, 1440))}
            <h2 class="section-title">"Channels"</h2>
            {who("ws-create", "Who can create channels", f.create)}
            {who("ws-archive", "Who can archive channels", f.archive)}
            <label class="check">
                <input type="checkbox" prop:checked=move || f.limit_broadcast.get()
                    on:change=move |ev| f.limit_broadcast.set(event_target_checked(&ev))/>
                " Only owners and admins can use @channel, @here and @everyone in large channels"
            </label>
            <div class:is-hidden=move || !f.limit_broadcast.get()>
                {number("ws-broadcast", "Large means more members than", f.broadcast_over, (0, 100_000))}
            </div>
            <h2 class="section-title">"Files"</h2>
            {number("ws-upload", "Largest upload (MB, at most 25)", f.upload_mb, (1, 25))}
            {text("ws-blocked", "Blocked file types", f.blocked, "Extensions, separated by commas: exe, bat, js")}
            <button type="submit" class="btn primary" disabled=move || save.pending().get()>
                {move || if save.pending().get() { "Saving…" } else { "Save settings" }}
            </button>
        </form>
    }
}

/// The workspace icon: uploaded as soon as it is chosen (the centred
/// square is kept), or removed.
#[component]
fn IconEditor() -> impl IntoView {
    let toasts = toasts();
    let me = crate::shell::context::use_me_after_hydration();
    let live = use_context::<crate::realtime::ui::Live>();
    let version = move || live.map_or(0, |l| l.icon_version.get());
    let set_version = move |v: i32| {
        if let Some(l) = live {
            l.icon_version.set(v);
        }
    };
    let busy = RwSignal::new(false);
    let choose = move |ev: leptos::ev::Event| {
        let input: web_sys::HtmlInputElement = event_target(&ev);
        let Some(file) = input.files().and_then(|l| l.get(0)) else { return };
        busy.set(true);
        let sent =
            crate::users::photo_ui::upload_picture("/api/admin.settings.setIcon", &file, None, move |r| {
                busy.set(false);
                match r {
                    Ok(body) => {
                        let v = serde_json::from_str::<serde_json::Value>(&body)
                            .ok()
                            .and_then(|v| v["icon_version"].as_i64())
                            .unwrap_or(0);
                        set_version(v as i32);
                        toasts.push(Tone::Success, "Icon saved.");
                    }
                    Err(e) => toasts.error(&e),
                }
            });
        if sent.is_err() {
            busy.set(false);
        }
    };
    let remove = Action::new(|_: &()| async { crate::admin::api::settings_delete_icon().await });
    Effect::new(move || match remove.value().get() {
        Some(Ok(r)) => {
            set_version(r.data.icon_version);
            toasts.push(Tone::Success, "Icon removed.");
        }
        Some(Err(e)) => toasts.error(&e),
        None => {}
    });
    view! {
        <h2 class="section-title">"Icon"</h2>
        <div class="photo-editor">
            {move || me.get().map(|m| view! {
                <img class="photo-current" alt="The workspace icon" width="96" height="96"
                    src=crate::workspaces::icon_src(m.workspace_id, version())/>
            })}
            <div class="form">
                <div class="field">
                    <label for="ws-icon-file">"Upload an icon"</label>
                    <input id="ws-icon-file" type="file" accept="image/png,image/jpeg,image/gif,image/webp"
                        disabled=move || busy.get() on:change=choose/>
                    <p class="hint">"A square image works best (the centre is kept). Shown beside the workspace name."</p>
                </div>
                <button type="button" class="btn subtle" on:click=move |_| { remove.dispatch(()); }>"Remove icon"</button>
            </div>
        </div>
    }
}
