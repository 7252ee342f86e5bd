//! The parts of `/admin/invites` beyond links: inviting people by email
//! (one single-use invite per address, mailed), and the email domains a
//! link accepts.

use leptos::prelude::*;

use crate::auth::Role;
use crate::shell::toast::{toasts, Tone};

/// At most this many addresses per send.
const MAX_EMAILS: usize = 50;

/// "Invite by email": addresses separated by commas, spaces or lines.
#[component]
pub fn EmailInvites(on_sent: Callback<()>) -> impl IntoView {
    let toasts = toasts();
    let emails = RwSignal::new(String::new());
    let role = RwSignal::new("member".to_string());
    let send = Action::new(move |list: &Vec<String>| {
        let list = list.clone();
        let role = Role::parse(&role.get_untracked()).unwrap_or(Role::Member);
        async move {
            let mut failed: Vec<(String, String)> = Vec::new();
            let mut sent = 0;
            for e in list {
                match crate::invites::api::create(role, 24 * 7, 1, Some(e.clone())).await {
                    Ok(_) => sent += 1,
                    Err(err) => failed.push((e, err.detail())),
                }
            }
            (sent, failed)
        }
    });
    Effect::new(move || {
        if let Some((sent, failed)) = send.value().get() {
            if sent > 0 {
                toasts
                    .push(Tone::Success, format!("{sent} invite{} sent.", if sent == 1 { "" } else { "s" }));
                on_sent.run(());
            }
            for (e, why) in &failed {
                toasts.push(Tone::Error, format!("{e}: {why}"));
            }
            emails.set(failed.into_iter().map(|(e, _)| e).collect::<Vec<_>>().join(", "));
        }
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let list: Vec<String> = emails
            .get_untracked()
            .split(|c: char| c == ',' || c == ';' || c.is_whitespace())
            .filter(|e| !e.is_empty())
            .map(str::to_string)
            .collect();
        if list.is_empty() {
            return toasts.push(Tone::Error, "Type at least one email address.");
        }
        if list.len() > MAX_EMAILS {
            return toasts.push(Tone::Error, format!("At most {MAX_EMAILS} addresses at a time."));
        }
        send.dispatch(list);
    };
    view! {
        <h2 class="section-title">"Invite by email"</h2>
        <form class="form narrow" on:submit=submit>
            <div class="field">
                <label for="invite-emails">"Email addresses"</label>
                <textarea id="invite-emails" rows="3" maxlength="20000" aria-describedby="invite-emails-hint"
                    prop:value=move || emails.get() on:input=move |ev| emails.set(event_target_value(&ev))></textarea>
                <p class="hint" id="invite-emails-hint">"Separated by commas or new lines. Each gets a link that works once, for a week."</p>
            </div>
            <div class="field">
                <label for="invite-email-role">"Join as"</label>
                <select id="invite-email-role" prop:value=move || role.get() on:change=move |ev| role.set(event_target_value(&ev))>
                    <option value="member">"Member"</option>
                    <option value="guest">"Guest"</option>
                    <option value="admin">"Admin"</option>
                </select>
            </div>
            <button type="submit" class="btn primary" disabled=move || send.pending().get()>
                {move || if send.pending().get() { "Sending…" } else { "Send invites" }}
            </button>
        </form>
    }
}

/// The email domains an invite link accepts, saved with the workspace's
/// settings.
#[component]
pub fn SignupDomains() -> impl IntoView {
    let toasts = toasts();
    let text = RwSignal::new(String::new());
    let current = Resource::new(|| (), |_| async { crate::admin::api::settings_get().await.map(|r| r.data) });
    Effect::new(move || {
        if let Some(Ok(s)) = current.get() {
            text.set(s.signup_domains.join(", "));
        }
    });
    let save = Action::new(move |domains: &Vec<String>| {
        let domains = domains.clone();
        async move {
            let mut s = crate::admin::api::settings_get().await?.data;
            s.signup_domains = domains;
            crate::admin::api::settings_set(s).await.map(|r| r.data)
        }
    });
    Effect::new(move || match save.value().get() {
        Some(Ok(s)) => {
            text.set(s.signup_domains.join(", "));
            toasts.push(Tone::Success, "Sign-up domains saved.");
        }
        Some(Err(e)) => toasts.error(&e),
        None => {}
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        match super::parse_domains(&text.get_untracked()) {
            Ok(d) => {
                save.dispatch(d);
            }
            Err(e) => toasts.error(&e),
        }
    };
    view! {
        <h2 class="section-title">"Who can join by link"</h2>
        <form class="form narrow" on:submit=submit>
            <div class="field">
                <label for="signup-domains">"Allowed email domains"</label>
                <input id="signup-domains" maxlength="2000" aria-describedby="signup-domains-hint" placeholder="example.com"
                    prop:value=move || text.get() on:input=move |ev| text.set(event_target_value(&ev))/>
                <p class="hint" id="signup-domains-hint">"Invite links accept only addresses at these domains. Leave empty to accept anyone with the link. Invites by email are not affected."</p>
            </div>
            <button type="submit" class="btn" disabled=move || save.pending().get()>"Save domains"</button>
        </form>
    }
}
