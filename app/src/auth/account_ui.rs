//! `/settings/account`: change the password, and see and end the sessions
//! this account is signed in with.

use leptos::prelude::*;
use leptos_meta::Title;
use uuid::Uuid;

use super::{MAX_PASSWORD_LEN, MIN_PASSWORD_LEN};
use crate::shell::toast::{toasts, Tone};

/// The account settings page.
#[component]
pub fn AccountPage() -> impl IntoView {
    view! {
        <Title text="Account"/>
        <div class="pane-header"><h1>"Account"</h1></div>
        <div class="pane-body">
            <PasswordForm/>
            <Sessions/>
        </div>
    }
}

fn ended_text(n: usize) -> String {
    match n {
        0 => "No other sessions were signed in.".into(),
        1 => "1 other session was signed out.".into(),
        n => format!("{n} other sessions were signed out."),
    }
}

#[component]
fn PasswordForm() -> impl IntoView {
    let toasts = toasts();
    let current = RwSignal::new(String::new());
    let new = RwSignal::new(String::new());
    let again = RwSignal::new(String::new());
    let mismatch = move || !again.get().is_empty() && again.get() != new.get();
    let change = Action::new(move |_: &()| {
        let (c, n) = (current.get_untracked(), new.get_untracked());
        async move { super::api::password_change(c, n).await.map(|r| r.data.ended) }
    });
    Effect::new(move || match change.value().get() {
        Some(Ok(n)) => {
            current.set(String::new());
            new.set(String::new());
            again.set(String::new());
            toasts.push(Tone::Success, format!("Password changed. {}", ended_text(n)));
        }
        Some(Err(e)) => toasts.error(&e),
        None => {}
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if !mismatch() {
            change.dispatch(());
        }
    };
    view! {
        <h2 class="section-title">"Change password"</h2>
        <form class="form narrow" on:submit=submit>
            <div class="field">
                <label for="pw-current">"Current password"</label>
                <input id="pw-current" type="password" autocomplete="current-password" required=true maxlength=MAX_PASSWORD_LEN
                    prop:value=move || current.get() on:input=move |ev| current.set(event_target_value(&ev))/>
            </div>
            <div class="field">
                <label for="pw-new">"New password"</label>
                <input id="pw-new" type="password" autocomplete="new-password" required=true
                    minlength=MIN_PASSWORD_LEN maxlength=MAX_PASSWORD_LEN aria-describedby="pw-hint"
                    prop:value=move || new.get() on:input=move |ev| new.set(event_target_value(&ev))/>
                <span id="pw-hint" class="hint">{format!("At least {MIN_PASSWORD_LEN} characters. Your other sessions will be signed out.")}</span>
            </div>
            <div class="field">
                <label for="pw-again">"New password again"</label>
                <input id="pw-again" type="password" autocomplete="new-password" required=true maxlength=MAX_PASSWORD_LEN
                    aria-invalid=move || mismatch().to_string()
                    prop:value=move || again.get() on:input=move |ev| again.set(event_target_value(&ev))/>
                <Show when=mismatch><span class="field-error" role="alert">"The two new passwords differ."</span></Show>
            </div>
            <button type="submit" class="btn primary" disabled=move || change.pending().get()>
                {move || if change.pending().get() { "Changing…" } else { "Change password" }}
            </button>
        </form>
    }
}

#[component]
fn Sessions() -> impl IntoView {
    let toasts = toasts();
    let revoke = Action::new(move |s: &Option<Uuid>| {
        let s = *s;
        async move { super::api::sessions_revoke(s).await.map(|r| r.data.ended) }
    });
    Effect::new(move || match revoke.value().get() {
        Some(Ok(n)) => {
            toasts.push(Tone::Success, format!("Signed out of {n} session{}.", if n == 1 { "" } else { "s" }))
        }
        Some(Err(e)) => toasts.error(&e),
        None => {}
    });
    let list = Resource::new(
        move || revoke.version().get(),
        |_| async { super::api::sessions_list().await.map(|r| r.data.sessions) },
    );
    view! {
        <h2 class="section-title">"Where you're signed in"</h2>
        <Transition fallback=|| view! { <p class="muted" aria-busy="true">"Loading…"</p> }>
            {move || list.get().map(|r| match r {
                Err(e) => view! { <p class="empty">{e.detail()}</p> }.into_any(),
                Ok(v) => {
                    let others = v.iter().filter(|s| !s.current).count();
                    view! {
                        <table class="table">
                            <thead><tr><th>"Device"</th><th>"IP address"</th><th>"Signed in"</th><th>"Last seen"</th><th><span class="sr-only">"Actions"</span></th></tr></thead>
                            <tbody>
                                {v.into_iter().map(|s| {
                                    let id = s.id;
                                    view! {
                                        <tr>
                                            <td>{s.device}{s.current.then(|| view! { " " <span class="status status-active">"This browser"</span> })}</td>
                                            <td>{s.ip}</td>
                                            <td>{crate::api::format_datetime(s.created_at)}</td>
                                            <td>{crate::api::format_datetime(s.last_seen_at)}</td>
                                            <td>{(!s.current).then(|| view! {
                                                <button class="btn subtle small" on:click=move |_| { revoke.dispatch(Some(id)); }>"Sign out"</button>
                                            })}</td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                        {(others > 0).then(|| view! {
                            <button class="btn subtle" on:click=move |_| { revoke.dispatch(None); }>"Sign out all other sessions"</button>
                        })}
                    }.into_any()
                }
            })}
        </Transition>
    }
}
