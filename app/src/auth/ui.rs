//! Sign-up and login pages.
//!
//! These are real HTML forms that post to `/signup` and `/login`, so they work
//! before (or without) the WASM bundle. On failure the server redirects back
//! with `?error=<code>&field=<name>`; the page then shows the message next to
//! the field at fault, with `aria-invalid` set. Browser-side constraints
//! (`required`, `minlength`, `type=email`) catch most mistakes before sending.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use super::{MAX_EMAIL_LEN, MAX_NAME_LEN, MAX_PASSWORD_LEN, MIN_PASSWORD_LEN};
use crate::error::AppError;

/// The error a form came back with, read from the query string.
#[derive(Clone, Debug, PartialEq)]
pub struct FormError {
    pub code: String,
    pub field: Option<String>,
    pub retry_after: Option<u64>,
}

impl FormError {
    /// The message to show: field errors speak about the field.
    pub fn message(&self) -> String {
        match (self.code.as_str(), self.field.as_deref()) {
            ("invalid_arguments", Some("email")) => "Enter a valid email address.".into(),
            ("invalid_arguments", Some("display_name")) => {
                format!("Enter your name (1–{MAX_NAME_LEN} characters).")
            }
            ("invalid_arguments", Some("workspace_name")) => {
                format!("Enter a workspace name (1–{MAX_NAME_LEN} characters).")
            }
            ("invalid_arguments", Some("password")) => {
                format!("Passwords can have at most {MAX_PASSWORD_LEN} characters.")
            }
            (code, _) => AppError::from_code(code, None, self.retry_after).detail(),
        }
    }

    /// Which field the error belongs to, if any.
    pub fn field(&self) -> Option<&str> {
        match self.code.as_str() {
            "weak_password" => Some("password"),
            "email_taken" | "already_member" => Some("email"),
            _ => self.field.as_deref(),
        }
    }
}

/// The form error in the current URL, if any.
pub fn use_form_error() -> Signal<Option<FormError>> {
    let q = use_query_map();
    Signal::derive(move || {
        let q = q.read();
        q.get("error").map(|code| FormError {
            code,
            field: q.get("field"),
            retry_after: q.get("retry_after").and_then(|s| s.parse().ok()),
        })
    })
}

/// A labelled input whose error, if it has one, is shown beneath it.
#[component]
pub fn Field(
    name: &'static str,
    label: &'static str,
    #[prop(default = "text")] kind: &'static str,
    #[prop(default = "")] autocomplete: &'static str,
    #[prop(optional)] value: Option<String>,
    #[prop(optional)] minlength: Option<usize>,
    maxlength: usize,
    #[prop(optional)] hint: Option<&'static str>,
    error: Signal<Option<FormError>>,
) -> impl IntoView {
    let id = format!("f-{name}");
    let err_id = format!("{id}-error");
    let mine = move || error.get().filter(|e| e.field() == Some(name));
    view! {
        <div class="field">
            <label for=id.clone()>{label}</label>
            <input id=id name=name type=kind autocomplete=autocomplete required=true
                value=value minlength=minlength.map(|m| m.to_string()) maxlength=maxlength.to_string()
                aria-invalid=move || mine().is_some().to_string()
                aria-describedby=err_id.clone()/>
            {hint.map(|h| view! { <p class="hint">{h}</p> })}
            <p class="field-error" id=err_id role="alert">{move || mine().map(|e| e.message())}</p>
        </div>
    }
}

/// Shows an error that belongs to no particular field.
#[component]
pub fn FormBanner(error: Signal<Option<FormError>>) -> impl IntoView {
    view! {
        {move || error.get().filter(|e| e.field().is_none()).map(|e| view! {
            <div class="form-banner" role="alert">{e.message()}</div>
        })}
    }
}

/// A centred card for the signed-out pages.
#[component]
pub fn AuthCard(title: &'static str, children: Children) -> impl IntoView {
    view! {
        <Title text=title/>
        <main class="auth-page">
            <div class="auth-card">
                <div class="brand"><img src="/icon.svg" alt="" width="40" height="40"/><span>"ThreadSpace"</span></div>
                <h1>{title}</h1>
                {children()}
            </div>
        </main>
    }
}

/// `/login`.
#[component]
pub fn LoginPage() -> impl IntoView {
    let error = use_form_error();
    let q = use_query_map();
    let email = move || q.read_untracked().get("email");
    view! {
        <AuthCard title="Sign in">
            <form method="post" action="/login" class="form" novalidate=false>
                <FormBanner error=error/>
                <Field name="email" label="Email" kind="email" autocomplete="email"
                    value=email().unwrap_or_default() maxlength=MAX_EMAIL_LEN error=error/>
                <Field name="password" label="Password" kind="password" autocomplete="current-password"
                    maxlength=MAX_PASSWORD_LEN error=error/>
                <button type="submit" class="btn primary wide">"Sign in"</button>
            </form>
            <p class="muted center"><a href="/forgot">"Forgot your password?"</a></p>
            <p class="muted center">"New to ThreadSpace? " <a href="/signup">"Create a workspace"</a></p>
        </AuthCard>
    }
}

/// `/signup`: creates a workspace and its owner.
#[component]
pub fn SignupPage() -> impl IntoView {
    let error = use_form_error();
    let q = use_query_map();
    let keep = move |k: &str| q.read_untracked().get(k).unwrap_or_default();
    view! {
        <AuthCard title="Create a workspace">
            <form method="post" action="/signup" class="form">
                <FormBanner error=error/>
                {move || q.read().get("sent").map(|_| view! {
                    <div class="form-banner ok" role="status">
                        "Check your email to continue. If this address already has an account, we sent it a \
                         note on how to sign in or create another workspace."
                    </div>
                })}
                <Field name="workspace_name" label="Workspace name" autocomplete="organization"
                    value=keep("workspace_name") maxlength=MAX_NAME_LEN error=error
                    hint="Usually your company or team name."/>
                <Field name="display_name" label="Your name" autocomplete="name"
                    value=keep("display_name") maxlength=MAX_NAME_LEN error=error/>
                <Field name="email" label="Work email" kind="email" autocomplete="email"
                    value=keep("email") maxlength=MAX_EMAIL_LEN error=error/>
                <Field name="password" label="Password" kind="password" autocomplete="new-password"
                    minlength=MIN_PASSWORD_LEN maxlength=MAX_PASSWORD_LEN error=error
                    hint="At least 10 characters."/>
                <button type="submit" class="btn primary wide">"Create workspace"</button>
            </form>
            <p class="muted center">"Already have an account? " <a href="/login">"Sign in"</a></p>
        </AuthCard>
    }
}
