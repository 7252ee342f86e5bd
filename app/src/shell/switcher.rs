//! The quick switcher (Ctrl+K or ⌘K, as in Slack): type part of a channel or
//! person's name, move with ↑/↓, Enter to jump there, Escape to close. The
//! last option searches messages for what was typed.

use leptos::prelude::*;
use leptos_router::hooks::use_navigate;

use super::use_convs;
use crate::channels::Channel;

/// Whether the switcher is open, shared so the sidebar can open it.
#[derive(Clone, Copy)]
pub struct SwitcherOpen(pub RwSignal<bool>);

fn matches(c: &Channel, q: &str) -> bool {
    q.is_empty() || c.display_name.to_lowercase().contains(&q.to_lowercase())
}

/// The switcher dialog; `open` shows it.
#[component]
pub fn QuickSwitcher(open: RwSignal<bool>) -> impl IntoView {
    let convs = use_convs();
    let query = RwSignal::new(String::new());
    let selected = RwSignal::new(0usize);
    let navigate = use_navigate();
    let input = NodeRef::<leptos::html::Input>::new();
    let results = Memo::new(move |_| {
        let q = query.get();
        let mut list: Vec<Channel> = convs
            .list
            .get()
            .and_then(|r| r.ok())
            .map(|r| r.data.channels.into_iter().filter(|c| !c.is_archived && matches(c, &q)).collect())
            .unwrap_or_default();
        list.sort_by_key(|c| (!c.has_unread, c.display_name.to_lowercase()));
        list.truncate(8);
        list
    });
    Effect::new(move |_| {
        if open.get() {
            query.set(String::new());
            selected.set(0);
            if let Some(el) = input.get() {
                let _ = el.focus();
            }
        }
    });
    let nav = navigate.clone();
    let go = Callback::new(move |c: Channel| {
        open.set(false);
        nav(&format!("/c/{}", c.id), Default::default());
    });
    let search = Callback::new(move |_: ()| {
        open.set(false);
        let url = crate::search::ui::search_url(&query.get_untracked(), Default::default());
        navigate(&url, Default::default());
    });
    // The channels and people, plus "search messages" once something is typed.
    let count = move || results.with(Vec::len) + usize::from(!query.with(|q| q.trim().is_empty()));
    view! {
        <Show when=move || open.get()>
            <div class="switcher-scrim" on:click=move |_| open.set(false)></div>
            <div class="switcher" role="dialog" aria-modal="true" aria-label="Jump to a conversation">
                <label for="switcher-input" class="sr-only">"Jump to"</label>
                <input id="switcher-input" node_ref=input placeholder="Jump to a channel or person…" autocomplete="off"
                    role="combobox" aria-expanded="true" aria-controls="switcher-list"
                    prop:value=move || query.get()
                    on:input=move |ev| { query.set(event_target_value(&ev)); selected.set(0); }
                    on:keydown={
                        move |ev| {
                            let n = count();
                            match ev.key().as_str() {
                                "ArrowDown" if n > 0 => { ev.prevent_default(); selected.update(|s| *s = (*s + 1) % n); }
                                "ArrowUp" if n > 0 => { ev.prevent_default(); selected.update(|s| *s = (*s + n - 1) % n); }
                                "Enter" => {
                                    ev.prevent_default();
                                    let i = selected.get_untracked();
                                    match results.with(|r| r.get(i).cloned()) {
                                        Some(c) => go.run(c),
                                        None if i < count() => search.run(()),
                                        None => {}
                                    }
                                }
                                "Escape" => open.set(false),
                                _ => {}
                            }
                        }
                    }/>
                <ul id="switcher-list" role="listbox">
                    {move || {
                        results.get().into_iter().enumerate().map(move |(i, c)| {
                            let label = c.label();
                            let c2 = c.clone();
                            view! {
                                <li role="option" aria-selected=move || (selected.get() == i).to_string()
                                    class:active=move || selected.get() == i class:unread=c.has_unread
                                    on:click=move |_| go.run(c2.clone())>{label}</li>
                            }
                        }).collect_view()
                    }}
                    {move || (!query.with(|q| q.trim().is_empty())).then(|| {
                        let i = results.with(Vec::len);
                        view! {
                            <li role="option" class="switcher-search" aria-selected=move || (selected.get() == i).to_string()
                                class:active=move || selected.get() == i on:click=move |_| search.run(())>
                                {move || format!("🔍 Search messages for “{}”", query.get().trim())}
                            </li>
                        }
                    })}
                </ul>
                <p class="muted small switcher-hint">"↑↓ to move · Enter to open · Esc to close"</p>
            </div>
        </Show>
    }
}
