//! The message composer: Enter sends, Shift+Enter starts a new line, and a
//! counter appears near the length limit. It collects text (and, with a
//! tray, files from the 📎 button or pasted images); the parent decides how
//! to send it (channel or thread).

use leptos::prelude::*;

use crate::files::tray::{files_of, Tray, TrayView};
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
    /// Attachments: with a tray, files can be attached and the text may be blank.
    #[prop(optional)]
    tray: Option<Tray>,
) -> impl IntoView {
    let text = RwSignal::new(String::new());
    let also = RwSignal::new(false);
    let count = Memo::new(move |_| text.with(|t| t.chars().count()));
    let too_long = move || count.get() > MAX_MESSAGE_CHARS;
    let has_files = move || tray.is_some_and(|t| !t.is_empty());
    let busy = move || tray.is_some_and(|t| t.uploading());
    let blank = move || text.with(|t| t.trim().is_empty()) && !has_files();
    let submit = move || {
        if blank() || too_long() || busy() {
            return;
        }
        on_send.run((text.get_untracked(), also.get_untracked()));
        // With files, the text stays until the upload went through.
        if !has_files() {
            text.set(String::new());
        }
    };
    if let Some(t) = tray {
        Effect::new(move |prev: Option<u32>| {
            let n = t.sent.get();
            if prev.is_some_and(|p| p != n) {
                text.set(String::new());
            }
            n
        });
    }
    let label = placeholder.clone();
    let file_input = format!("{id}-files");
    view! {
        <form class="composer" on:submit=move |ev| { ev.prevent_default(); submit(); }>
            {tray.map(|t| view! { <TrayView tray=t/> }.into_any())}
            <label class="sr-only" for=id>{label}</label>
            <textarea id=id rows="1" placeholder=placeholder
                on:paste=move |ev| {
                    let Some(t) = tray else { return };
                    let files = files_of(ev.clipboard_data().and_then(|d| d.files()));
                    if !files.is_empty() {
                        ev.prevent_default();
                        t.add(files);
                    }
                }
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
                {tray.map(|t| view! {
                    <input id=file_input.clone() class="sr-only" type="file" multiple
                        on:change=move |ev| {
                            let input = event_target::<web_sys::HtmlInputElement>(&ev);
                            t.add(files_of(input.files()));
                            input.set_value("");
                        }/>
                    <label class="icon-btn attach" for=file_input.clone() title="Attach files (up to 25 MB each)">
                        <crate::widgets::Icon name="clip"/><span class="sr-only">"Attach files"</span>
                    </label>
                }.into_any())}
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
                <button type="submit" class="btn primary send" disabled=move || blank() || too_long() || busy()>
                    {move || if busy() { "Uploading…" } else { "Send" }}
                </button>
            </div>
        </form>
    }
}
