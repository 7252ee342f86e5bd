//! The search page (`/search?q=…&sort=…`): a search box, the parsed filters
//! as chips, relevance or date order, results with highlighted snippets that
//! load more as you scroll, and clicking a result opens the message in its
//! channel (the permalink highlights it).

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_navigate, use_query_map};

use super::api::SearchReply;
use super::query::{parse, Has, Query};
use super::{Match, Sort};

/// What can be typed, shown on the empty and "no results" states.
#[component]
fn SyntaxHelp() -> impl IntoView {
    let rows = [
        ("launch plan", "both words (any form: launching, plans)"),
        ("\"launch plan\"", "the exact phrase"),
        ("-draft", "without this word"),
        ("from:@ada", "sent by Ada"),
        ("in:#eng   in:@ada", "in a channel, or your DM with Ada"),
        ("before:2026-01-31   after:   on:", "by date"),
        ("during:2026-01   during:2026", "in a month or a year"),
        ("has:file   has:image   has:link   has:reaction", "with attachments, links or reactions"),
        ("is:thread", "in threads"),
    ];
    view! {
        <dl class="search-help">
            {rows.into_iter().map(|(k, v)| view! { <dt><code>{k}</code></dt><dd class="muted">{v}</dd> }).collect_view()}
        </dl>
    }
}

fn chips(q: &Query) -> Vec<String> {
    let mut out = Vec::new();
    out.extend(q.from.iter().map(|f| format!("from @{f}")));
    out.extend(q.in_channels.iter().map(|c| format!("in #{c}")));
    out.extend(q.in_dms.iter().map(|d| format!("DM with @{d}")));
    if let Some(a) = q.after.filter(|d| *d != time::Date::MIN) {
        out.push(format!("from {a}"));
    }
    if let Some(b) = q.before.filter(|d| *d != time::Date::MAX) {
        out.push(format!("before {b}"));
    }
    out.extend(q.has.iter().map(|h| {
        match h {
            Has::File => "has file",
            Has::Image => "has image",
            Has::Link => "has link",
            Has::Reaction => "has reaction",
        }
        .to_string()
    }));
    if q.is_thread {
        out.push("in threads".into());
    }
    out.extend(q.excluded.iter().map(|e| format!("without “{e}”")));
    out
}

/// `/search`.
#[component]
pub fn SearchPage() -> impl IntoView {
    let params = use_query_map();
    let navigate = use_navigate();
    let q = Memo::new(move |_| params.with(|p| p.get("q").unwrap_or_default()));
    let sort = Memo::new(move |_| {
        if params.with(|p| p.get("sort").as_deref() == Some("timestamp")) {
            Sort::Timestamp
        } else {
            Sort::Score
        }
    });
    let draft = RwSignal::new(String::new());
    Effect::new(move |_| draft.set(q.get()));
    let results = RwSignal::new(Vec::<Match>::new());
    let total = RwSignal::new(0i64);
    let capped = RwSignal::new(false);
    let corrected = RwSignal::new(None::<String>);
    let cursor = RwSignal::new(None::<String>);
    let state = RwSignal::new("idle");
    let error = RwSignal::new(None::<String>);
    let generation = StoredValue::new(0u32);

    let load = move |more: bool| {
        let query = q.get_untracked();
        if query.trim().is_empty() {
            state.set("idle");
            return;
        }
        let after = if more { cursor.get_untracked() } else { None };
        if more && after.is_none() {
            return;
        }
        let gen = generation.get_value() + u32::from(!more);
        generation.set_value(gen);
        state.set("loading");
        let s = sort.get_untracked();
        leptos::task::spawn_local(async move {
            let r = super::api::messages(query, Some(s), after, Some(30), None).await;
            if generation.get_value() != gen {
                return; // a newer search replaced this one
            }
            match r {
                Ok(r) => {
                    let SearchReply { messages, next_cursor, corrected: fixed, .. } = r.data;
                    corrected.set(fixed);
                    results.update(|v| {
                        if !more {
                            v.clear();
                        }
                        v.extend(messages.matches);
                    });
                    total.set(messages.total);
                    capped.set(messages.total_capped);
                    cursor.set(next_cursor);
                    error.set(None);
                    state.set("done");
                }
                Err(e) => {
                    results.set(Vec::new());
                    error.set(Some(e.detail()));
                    state.set("error");
                }
            }
        });
    };
    Effect::new(move |_| {
        q.track();
        sort.track();
        load(false);
    });
    let submit = Callback::new(move |s: Sort| {
        navigate(&search_url(&draft.get_untracked(), s), Default::default());
    });
    let on_scroll = move |ev: leptos::ev::Event| {
        let el = event_target::<web_sys::HtmlElement>(&ev);
        if el.scroll_top() + el.client_height() + 200 >= el.scroll_height() && state.get_untracked() == "done"
        {
            load(true);
        }
    };
    view! {
        <Title text="Search"/>
        <div class="pane-header search-header">
            <form class="search-form" role="search" on:submit=move |ev| { ev.prevent_default(); submit.run(sort.get_untracked()); }>
                <label for="search-input" class="sr-only">"Search messages"</label>
                <input id="search-input" type="search" placeholder="Search messages…  from:@name in:#channel has:file"
                    autocomplete="off" prop:value=move || draft.get() on:input=move |ev| draft.set(event_target_value(&ev))/>
                <button class="btn primary" type="submit">"Search"</button>
            </form>
            <div class="search-sort" role="group" aria-label="Sort results">
                <button class="btn subtle" aria-pressed=move || (sort.get() == Sort::Score).to_string()
                    on:click=move |_| submit.run(Sort::Score)>"Most relevant"</button>
                <button class="btn subtle" aria-pressed=move || (sort.get() == Sort::Timestamp).to_string()
                    on:click=move |_| submit.run(Sort::Timestamp)>"Newest"</button>
            </div>
        </div>
        <div class="pane-body search-results" on:scroll=on_scroll>
            {move || {
                let parsed = parse(&q.get()).ok().map(|p| chips(&p)).unwrap_or_default();
                (!parsed.is_empty()).then(|| view! {
                    <ul class="chips" aria-label="Filters">{parsed.into_iter().map(|c| view! { <li class="chip">{c}</li> }).collect_view()}</ul>
                })
            }}
            {move || match state.get() {
                "idle" => view! {
                    <div class="empty"><p><strong>"Search every conversation you can read"</strong></p><SyntaxHelp/></div>
                }.into_any(),
                "error" => view! {
                    <div class="empty"><p class="error" role="alert">{error.get()}</p><SyntaxHelp/></div>
                }.into_any(),
                "loading" if results.with(Vec::is_empty) => view! { <p class="muted" aria-busy="true">"Searching…"</p> }.into_any(),
                _ if results.with(Vec::is_empty) => view! {
                    <div class="empty"><p><strong>{format!("No results for “{}”", q.get())}</strong></p>
                        <p class="muted">"Try fewer words, or these:"</p><SyntaxHelp/></div>
                }.into_any(),
                _ => view! {
                    <p class="muted small" role="status">
                        {move || corrected.get().map(|w| view! { "Showing results for " <strong>{w}</strong>" · " })}
                        {move || format!("{}{} result{}", total.get(), if capped.get() { "+" } else { "" }, if total.get() == 1 { "" } else { "s" })}
                    </p>
                    <ol class="search-list">
                        <For each=move || results.get() key=|m| (m.channel, m.seq) let:m>
                            <li><ResultRow m=m/></li>
                        </For>
                    </ol>
                    <Show when=move || cursor.with(Option::is_some)>
                        <button class="btn subtle" on:click=move |_| load(true) disabled=move || state.get() == "loading">"Load more"</button>
                    </Show>
                }.into_any(),
            }}
        </div>
    }
}

#[component]
fn ResultRow(m: Match) -> impl IntoView {
    // A reply opens its thread's root in the channel (replies are not in the channel's list).
    let href = format!("/c/{}/{}", m.channel, m.thread_seq.unwrap_or(m.seq));
    let when = crate::messages::ui::time_fmt::short_datetime(m.created_at);
    view! {
        <a class="search-hit" href=href>
            <span class="search-meta small">
                <strong>{m.channel_name.clone()}</strong>" · "{m.user_name.clone()}" · "<span class="muted">{when}</span>
                {m.thread_seq.map(|_| view! { <span class="muted">" · in a thread"</span> })}
            </span>
            <span class="search-snippet" inner_html=m.snippet_html.clone()></span>
        </a>
    }
}

/// The search page's URL for a query.
pub fn search_url(query: &str, sort: Sort) -> String {
    let sort = if sort == Sort::Timestamp { "&sort=timestamp" } else { "" };
    format!("/search?q={}{sort}", urlencode(query))
}

fn urlencode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else if b == b' ' {
            out.push('+');
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
