//! The quick switcher (Ctrl+K or ⌘K, or the search box in the header, as in
//! Slack): type part of a channel's or person's name, or words from a
//! message, move with ↑/↓, Enter to open, Escape to close.
//!
//! It suggests as you type: conversations from the sidebar's list at once,
//! then people (`users.list`) and messages (`search.messages` with
//! `prefix`, so `relea` finds "release") after a short pause. The last
//! option runs the full search.

use std::time::Duration;

use leptos::prelude::*;
use leptos_router::hooks::use_navigate;

use super::context::use_convs;
use crate::channels::Channel;
use crate::search::Match;
use crate::users::MemberInfo;

/// Whether the switcher is open, shared so the sidebar can open it.
#[derive(Clone, Copy)]
pub struct SwitcherOpen(pub RwSignal<bool>);

fn matches(c: &Channel, q: &str) -> bool {
    q.is_empty() || c.display_name.to_lowercase().contains(&q.to_lowercase())
}

/// One option of the list.
#[derive(Clone, PartialEq)]
enum Item {
    Conv(Channel),
    Person(MemberInfo),
    Message(Match),
    /// "Search messages for …".
    Search,
}

/// Pause after the last key before asking the server.
const PAUSE: Duration = Duration::from_millis(150);

/// The switcher dialog; `open` shows it.
#[component]
pub fn QuickSwitcher(open: RwSignal<bool>) -> impl IntoView {
    let convs = use_convs();
    let query = RwSignal::new(String::new());
    let selected = RwSignal::new(0usize);
    let people = RwSignal::new(Vec::<MemberInfo>::new());
    let messages = RwSignal::new(Vec::<Match>::new());
    let searching = RwSignal::new(false);
    let generation = StoredValue::new(0u32);
    let navigate = use_navigate();
    let toasts = super::toast::toasts();
    let input = NodeRef::<leptos::html::Input>::new();
    let conversations = Memo::new(move |_| {
        let q = query.get();
        let mut list: Vec<Channel> = convs
            .list
            .get()
            .and_then(|r| r.ok())
            .map(|r| r.data.channels.into_iter().filter(|c| !c.is_archived && matches(c, q.trim())).collect())
            .unwrap_or_default();
        list.sort_by_key(|c| (!c.has_unread, c.display_name.to_lowercase()));
        list.truncate(if q.trim().is_empty() { 8 } else { 5 });
        list
    });
    let items = Memo::new(move |_| {
        let mut out: Vec<Item> = conversations.get().into_iter().map(Item::Conv).collect();
        if !query.with(|q| q.trim().is_empty()) {
            out.extend(people.get().into_iter().map(Item::Person));
            out.extend(messages.get().into_iter().map(Item::Message));
            out.push(Item::Search);
        }
        out
    });
    // People and messages, once typing pauses; a newer query wins.
    let suggest = move |q: String| {
        let gen = generation.get_value() + 1;
        generation.set_value(gen);
        if q.trim().chars().count() < 2 {
            people.set(Vec::new());
            messages.set(Vec::new());
            searching.set(false);
            return;
        }
        searching.set(true);
        set_timeout(
            move || {
                if generation.get_value() != gen {
                    return;
                }
                leptos::task::spawn_local(async move {
                    let name = q.trim().trim_start_matches(['@', '#']).to_string();
                    let found = crate::users::api::list(None, Some(4), Some(name)).await;
                    let hits = crate::search::api::messages(q, None, None, Some(5), Some(true)).await;
                    if generation.get_value() != gen {
                        return;
                    }
                    people.set(found.map(|r| r.data.members).unwrap_or_default());
                    // A half-typed operator is not an error worth showing here.
                    messages.set(hits.map(|r| r.data.messages.matches).unwrap_or_default());
                    searching.set(false);
                });
            },
            PAUSE,
        );
    };
    Effect::new(move |_| {
        if open.get() {
            query.set(String::new());
            selected.set(0);
            suggest(String::new());
            if let Some(el) = input.get() {
                let _ = el.focus();
            }
        }
    });
    let choose = Callback::new(move |item: Item| {
        open.set(false);
        match item {
            Item::Conv(c) => navigate(&format!("/c/{}", c.id), Default::default()),
            // A reply opens its thread's root (replies are not in the channel's list).
            Item::Message(m) => {
                navigate(&format!("/c/{}/{}", m.channel, m.thread_seq.unwrap_or(m.seq)), Default::default())
            }
            Item::Search => navigate(
                &crate::search::ui::search_url(query.get_untracked().trim(), Default::default()),
                Default::default(),
            ),
            Item::Person(p) => {
                let navigate = navigate.clone();
                leptos::task::spawn_local(async move {
                    match crate::channels::api::open(vec![p.id.to_string()]).await {
                        Ok(r) => {
                            convs.refresh();
                            navigate(&format!("/c/{}", r.data.channel.id), Default::default());
                        }
                        Err(e) => toasts.error(&e),
                    }
                });
            }
        }
    });
    let on_key = move |ev: leptos::ev::KeyboardEvent| {
        let n = items.with(Vec::len);
        match ev.key().as_str() {
            "ArrowDown" if n > 0 => {
                ev.prevent_default();
                selected.update(|s| *s = (*s + 1) % n);
            }
            "ArrowUp" if n > 0 => {
                ev.prevent_default();
                selected.update(|s| *s = (*s + n - 1) % n);
            }
            "Enter" => {
                ev.prevent_default();
                if let Some(item) = items.with(|v| v.get(selected.get_untracked()).cloned()) {
                    choose.run(item);
                }
            }
            "Escape" => open.set(false),
            _ => {}
        }
    };
    view! {
        <Show when=move || open.get()>
            <div class="switcher-scrim" on:click=move |_| open.set(false)></div>
            <div class="switcher" role="dialog" aria-modal="true" aria-label="Search or jump to">
                <label for="switcher-input" class="sr-only">"Search or jump to"</label>
                <input id="switcher-input" node_ref=input placeholder="Jump to a channel or person, or search messages…"
                    autocomplete="off" role="combobox" aria-expanded="true" aria-controls="switcher-list"
                    aria-activedescendant=move || format!("switcher-opt-{}", selected.get())
                    prop:value=move || query.get()
                    on:input=move |ev| {
                        let v = event_target_value(&ev);
                        query.set(v.clone());
                        selected.set(0);
                        suggest(v);
                    }
                    on:keydown=on_key/>
                <ul id="switcher-list" role="listbox" aria-busy=move || searching.get().to_string()>
                    {move || {
                        let mut last = "";
                        items.get().into_iter().enumerate().map(|(i, item)| {
                            let section = match &item {
                                Item::Conv(_) => "Conversations",
                                Item::Person(_) => "People",
                                Item::Message(_) => "Messages",
                                Item::Search => "",
                            };
                            let heading = (section != last && !section.is_empty()).then(|| {
                                view! { <li role="presentation" class="switcher-heading muted small">{section}</li> }
                            });
                            last = section;
                            view! { {heading}<SwitcherOption item=item i=i selected=selected choose=choose query=query/> }
                        }).collect_view()
                    }}
                </ul>
                <p class="muted small switcher-hint">
                    {move || if searching.get() { "Searching…" } else { "↑↓ to move · Enter to open · Esc to close" }}
                </p>
            </div>
        </Show>
    }
}

#[component]
fn SwitcherOption(
    item: Item,
    i: usize,
    selected: RwSignal<usize>,
    choose: Callback<Item>,
    query: RwSignal<String>,
) -> impl IntoView {
    let (class, body) = match &item {
        Item::Conv(c) => ("", view! { <span>{c.label()}</span> }.into_any()),
        Item::Person(p) => (
            "switcher-person",
            view! {
                <span class="avatar xs" aria-hidden="true">
                    {crate::users::initials(&p.name)}
                    <img class="avatar-img" src=crate::users::avatar_src(p.id, 128, None) alt="" loading="lazy"/>
                </span>
                <span>{p.name.clone()}</span>
                <span class="muted small">{p.title.clone()}</span>
            }
            .into_any(),
        ),
        Item::Message(m) => (
            "switcher-message",
            view! {
                <span class="search-meta small"><strong>{m.channel_name.clone()}</strong>" · "{m.user_name.clone()}</span>
                <span class="search-snippet" inner_html=m.snippet_html.clone()></span>
            }
            .into_any(),
        ),
        Item::Search => (
            "switcher-search",
            view! { <span>{move || format!("Search messages for “{}”", query.get().trim())}</span> }.into_any(),
        ),
    };
    let unread = matches!(&item, Item::Conv(c) if c.has_unread);
    view! {
        <li role="option" id=format!("switcher-opt-{i}") class=class
            aria-selected=move || (selected.get() == i).to_string()
            class:active=move || selected.get() == i class:unread=unread
            on:click=move |_| choose.run(item.clone())>{body}</li>
    }
}
