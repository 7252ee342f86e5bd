//! What the shell shares about notifications: the member's preferences and
//! followed threads, and the unread count shown in the tab title. A leaf, so
//! that the settings UI (`ui.rs`) and the browser side (`browser.rs`) both use
//! it without importing each other.

use std::collections::HashSet;

use leptos::prelude::*;
use uuid::Uuid;

use super::api::ThreadRef;
use super::Prefs;

/// The member's preferences (once loaded) and the threads they follow,
/// shared by the shell.
#[derive(Clone, Copy)]
pub struct NotifyState {
    pub prefs: RwSignal<Option<Prefs>>,
    pub threads: RwSignal<HashSet<ThreadRef>>,
}

impl NotifyState {
    /// Creates the state (in the shell); it is loaded after hydration.
    pub fn provide() -> NotifyState {
        let s = NotifyState { prefs: RwSignal::new(None), threads: RwSignal::new(HashSet::new()) };
        provide_context(s);
        s
    }

    /// Whether the member follows this thread.
    pub fn follows(&self, channel: Uuid, thread_seq: i64) -> bool {
        self.threads.with(|t| t.contains(&ThreadRef { channel, thread_seq }))
    }

    /// Whether this conversation is muted (false until loaded).
    pub fn muted(&self, channel: Uuid) -> bool {
        self.prefs.with(|p| p.as_ref().is_some_and(|p| p.is_muted(channel)))
    }
}

/// The unread count in the tab title: "(3) #general · ThreadSpace". The app
/// root provides it and its title formatter reads it; the shell keeps it.
#[derive(Clone, Copy)]
pub struct TitleCount(pub RwSignal<i64>);

/// The title formatter of the app root.
pub fn format_title(count: RwSignal<i64>, t: String) -> String {
    let base = if t.is_empty() { "ThreadSpace".to_string() } else { format!("{t} · ThreadSpace") };
    match count.get() {
        0 => base,
        n if n > 99 => format!("(99+) {base}"),
        n => format!("({n}) {base}"),
    }
}
