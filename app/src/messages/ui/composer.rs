//! The message composer: Enter sends, Shift+Enter starts a new line, and a
//! counter appears near the length limit. It only collects text; the parent
//! decides how to send it (channel or thread).

use leptos::prelude::*;

use crate::messages::MAX_MESSAGE_CHARS;

/// A text box that hands finished messages to `on_send` as (text, also
/// send to channel). `also_label` adds the thread's "Also send to" box.
#[component]
pub fn Composer(
    id: &'static str,
    placeholder: String,
    on_send: Callback<(String, bool)>,
    also_label: Option<String>,
    /// Called on each input (the caller throttles `typing` frames).
    #[prop(optional)]
    on_typing: Option<Callback<()>>,
) -> impl IntoView {
    let text = RwSignal::new(String::new());
    let also = RwSignal::new(false);
    let count = Memo::new(move |_| text.with(|t| t.chars().count()));
    let too_long = move || count.get() > MAX_MESSAGE_CHARS;
    let blank = move || text.with(|t| t.trim().is_empty());
    let submit = move || {
        if blank() || too_long() {
            return;
        }
        on_send.run((text.get_untracked(), also.get_untracked()));
        text.set(String::new());
    };
    let label = placeholder.clone();
    view! {
        <form class="composer" on:submit=move |ev| { ev.prevent_default(); submit(); }>
            <label class="sr-only" for=id>{label}</label>
            <textarea id=id rows="1" placeholder=placeholder
                prop:value=move || text.get()
                on:input=move |ev| {
                    text.set(event_target_value(&ev));
                    if let Some(t) = on_typing {
                        t.run(());
                    }
                }
                on:keydown=move |ev| {
                    if ev.key() == "Enter" && !ev.shift_key() && !ev.is_composing() {
                        ev.prevent_default();
                        submit();
                    }
                }></textarea>
            <div class="composer-bar">
                {also_label.map(|l| view! {
                    <label class="also">
                        <input type="checkbox" prop:checked=move || also.get()
                            on:change=move |ev| also.set(event_target_checked(&ev))/>
                        {l}
                    </label>
                })}
                <span class="hint muted small">"Enter to send · Shift+Enter for a new line · **bold** _italic_ `code`"</span>
                <Show when=move || { count.get() > MAX_MESSAGE_CHARS - 1000 }>
                    <span class="counter small" class:over=too_long role="status">
                        {move || format!("{} / {}", count.get(), MAX_MESSAGE_CHARS)}
                    </span>
                </Show>
                <button type="submit" class="btn primary send" disabled=move || blank() || too_long()>"Send"</button>
            </div>
        </form>
    }
}
