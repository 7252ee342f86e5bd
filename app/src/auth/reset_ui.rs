//! `/forgot` (ask for a reset link) and `/reset/:token` (choose a new
//! password). Both are signed-out pages driven by the JSON API.

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

use super::ui::AuthCard;
use super::{MAX_EMAIL_LEN, MAX_PASSWORD_LEN, MIN_PASSWORD_LEN};

/// `/forgot`.
#[component]
pub fn ForgotPage() -> impl IntoView {
    let email = RwSignal::new(String::new());
    let ask = Action::new(move |_: &()| {
        let e = email.get_untracked();
        async move { super::api::password_reset_request(e).await.map(|r| r.data.email_configured) }
    });
    view! {
        <AuthCard title="Reset your password">
            {move || match ask.value().get() {
                Some(Ok(configured)) => view! {
                    <div class="form-banner ok" role="status">
                        "If an account exists for " <strong>{email.get_untracked()}</strong>
                        ", a link to choose a new password is on its way. It works for 30 minutes."
                    </div>
                    {(!configured).then(|| view! {
                        <p class="muted">"This server has no email set up: ask your administrator for the link, which is in the server log."</p>
                    })}
                    <p class="muted center"><a href="/login">"Back to sign in"</a></p>
                }.into_any(),
                other => view! {
                    <form class="form" on:submit=move |ev| { ev.prevent_default(); ask.dispatch(()); }>
                        {other.and_then(|r| r.err()).map(|e| view! { <div class="form-banner" role="alert">{e.detail()}</div> })}
                        <p class="muted">"Enter the email you sign in with, and we'll send you a link to choose a new password."</p>
                        <div class="field">
                            <label for="forgot-email">"Email"</label>
                            <input id="forgot-email" type="email" autocomplete="email" required=true maxlength=MAX_EMAIL_LEN
                                prop:value=move || email.get() on:input=move |ev| email.set(event_target_value(&ev))/>
                        </div>
                        <button type="submit" class="btn primary wide" disabled=move || ask.pending().get()>
                            {move || if ask.pending().get() { "Sending…" } else { "Send reset link" }}
                        </button>
                    </form>
                    <p class="muted center"><a href="/login">"Back to sign in"</a></p>
                }.into_any(),
            }}
        </AuthCard>
    }
}

/// `/reset/:token`.
#[component]
pub fn ResetPage() -> impl IntoView {
    let params = use_params_map();
    let token = move || params.read_untracked().get("token").unwrap_or_default();
    let new = RwSignal::new(String::new());
    let again = RwSignal::new(String::new());
    let mismatch = move || !again.get().is_empty() && again.get() != new.get();
    let reset = Action::new(move |_: &()| {
        let (t, n) = (token(), new.get_untracked());
        async move { super::api::password_reset(t, n).await }
    });
    view! {
        <AuthCard title="Choose a new password">
            {move || match reset.value().get() {
                Some(Ok(_)) => view! {
                    <div class="form-banner ok" role="status">"Your password is changed, and every session was signed out."</div>
                    <a class="btn primary wide" href="/login">"Sign in"</a>
                }.into_any(),
                other => view! {
                    <form class="form" on:submit=move |ev| { ev.prevent_default(); if !mismatch() { reset.dispatch(()); } }>
                        {other.and_then(|r| r.err()).map(|e| view! { <div class="form-banner" role="alert">{e.detail()}</div> })}
                        <div class="field">
                            <label for="reset-new">"New password"</label>
                            <input id="reset-new" type="password" autocomplete="new-password" required=true
                                minlength=MIN_PASSWORD_LEN maxlength=MAX_PASSWORD_LEN aria-describedby="reset-hint"
                                prop:value=move || new.get() on:input=move |ev| new.set(event_target_value(&ev))/>
                            <p id="reset-hint" class="hint">{format!("At least {MIN_PASSWORD_LEN} characters.")}</p>
                        </div>
                        <div class="field">
                            <label for="reset-again">"New password again"</label>
                            <input id="reset-again" type="password" autocomplete="new-password" required=true maxlength=MAX_PASSWORD_LEN
                                aria-invalid=move || mismatch().to_string()
                                prop:value=move || again.get() on:input=move |ev| again.set(event_target_value(&ev))/>
                            <Show when=mismatch><p class="field-error" role="alert">"The two passwords differ."</p></Show>
                        </div>
                        <button type="submit" class="btn primary wide" disabled=move || reset.pending().get()>
                            {move || if reset.pending().get() { "Saving…" } else { "Set new password" }}
                        </button>
                    </form>
                }.into_any(),
            }}
        </AuthCard>
    }
}
