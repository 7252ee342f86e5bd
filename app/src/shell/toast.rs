//! Error and success toasts: one list in context, rendered in a live region
//! so screen readers announce them.

use leptos::prelude::*;
use std::time::Duration;

use crate::error::AppError;

/// How a toast looks.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    Error,
    Success,
}

#[derive(Clone)]
struct Toast {
    id: u64,
    tone: Tone,
    text: String,
}

/// The toast list, shared through context.
#[derive(Clone, Copy)]
pub struct ToastList {
    items: RwSignal<Vec<Toast>>,
    next: StoredValue<u64>,
}

impl ToastList {
    /// Shows a toast for a few seconds.
    pub fn push(&self, tone: Tone, text: impl Into<String>) {
        let id = self.next.get_value();
        self.next.set_value(id + 1);
        self.items.update(|v| v.push(Toast { id, tone, text: text.into() }));
        let items = self.items;
        set_timeout(move || items.update(|v| v.retain(|t| t.id != id)), Duration::from_secs(6));
    }

    /// Shows an error's user-facing text.
    pub fn error(&self, e: &AppError) {
        self.push(Tone::Error, e.detail());
    }

    fn dismiss(&self, id: u64) {
        self.items.update(|v| v.retain(|t| t.id != id));
    }
}

/// Makes the toast list available to every component.
pub fn provide_toasts() {
    provide_context(ToastList { items: RwSignal::new(vec![]), next: StoredValue::new(0) });
}

/// The toast list of this page.
pub fn toasts() -> ToastList {
    expect_context::<ToastList>()
}

/// Renders the toasts (bottom right; bottom full-width on phones).
#[component]
pub fn Toasts() -> impl IntoView {
    let list = toasts();
    view! {
        <div class="toasts" role="status" aria-live="polite">
            <For each=move || list.items.get() key=|t| t.id let:t>
                <div class="toast" class:toast-error=t.tone == Tone::Error class:toast-success=t.tone == Tone::Success>
                    <span>{t.text.clone()}</span>
                    <button class="icon-btn" aria-label="Dismiss" on:click=move |_| list.dismiss(t.id)>"×"</button>
                </div>
            </For>
        </div>
    }
}
