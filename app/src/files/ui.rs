//! Files in the browser: attachments under a message (thumbnails that open a
//! lightbox, cards with a download button and, for PDFs and text, a
//! preview), and the channel's Files pane.

use leptos::prelude::*;
use uuid::Uuid;

use super::{human_size, kind_label, FileInfo};
use crate::shell::context::DetailCtx;
use crate::widgets::Icon;

/// The files of one message.
#[component]
pub fn FileList(files: Vec<FileInfo>) -> impl IntoView {
    let open = RwSignal::new(None::<FileInfo>);
    view! {
        <div class="msg-files">
            {files.into_iter().map(|f| {
                if f.is_image() && f.thumb_url.is_some() {
                    view! { <Thumb f=f open=open/> }.into_any()
                } else {
                    view! { <FileCard f=f/> }.into_any()
                }
            }).collect_view()}
        </div>
        {move || open.get().map(|f| view! { <Lightbox f=f on_close=Callback::new(move |_| open.set(None))/> })}
    }
}

#[component]
fn Thumb(f: FileInfo, open: RwSignal<Option<FileInfo>>) -> impl IntoView {
    let (w, h) = f.thumb_size();
    let label = format!("Open image {}", f.name);
    let src = f.thumb_url.clone().unwrap_or_default();
    let alt = f.name.clone();
    view! {
        <button class="file-thumb" aria-label=label on:click=move |_| open.set(Some(f.clone()))>
            <img src=src alt=alt width=w height=h loading="lazy" decoding="async"/>
        </button>
    }
}

/// A document: type badge, name, size, download and (where safe) preview.
#[component]
pub fn FileCard(f: FileInfo) -> impl IntoView {
    let kind = kind_label(&f.mimetype, &f.name);
    let meta = format!("{} · {}", human_size(f.size.max(0) as u64), kind);
    let download = format!("Download {}", f.name);
    let preview = f.has_preview().then(|| format!("{}?preview=1", f.url));
    let preview_label = format!("Preview {}", f.name);
    view! {
        <div class="file-card">
            <span class="file-icon" aria-hidden="true" data-kind=kind>{kind}</span>
            <div class="file-meta">
                <a class="file-name" href=f.url.clone() download=f.name.clone()>{f.name.clone()}</a>
                <span class="muted small">{meta}</span>
            </div>
            {preview.map(|p| view! {
                <a class="icon-btn" href=p target="_blank" rel="noopener" title="Preview" aria-label=preview_label><Icon name="eye"/></a>
            })}
            <a class="icon-btn" href=f.url.clone() download=f.name.clone() title="Download" aria-label=download><Icon name="download"/></a>
        </div>
    }
}

/// The full image over the page; Escape or a click outside closes it.
#[component]
fn Lightbox(f: FileInfo, on_close: Callback<()>) -> impl IntoView {
    let close = NodeRef::<leptos::html::Button>::new();
    Effect::new(move |_| {
        if let Some(b) = close.get() {
            let _ = b.focus();
        }
    });
    let meta = format!("{} · {}", f.name, human_size(f.size.max(0) as u64));
    view! {
        <div class="lightbox" role="dialog" aria-modal="true" aria-label=format!("Image {}", f.name)
            on:click=move |_| on_close.run(())
            on:keydown=move |ev| if ev.key() == "Escape" { ev.stop_propagation(); on_close.run(()); }>
            <div class="lightbox-bar" on:click=|ev| ev.stop_propagation()>
                <span class="lightbox-name">{meta}</span>
                <a class="btn subtle" href=f.url.clone() download=f.name.clone()>"Download"</a>
                <button class="btn subtle" node_ref=close on:click=move |_| on_close.run(())>"Close"</button>
            </div>
            <img class="lightbox-img" src=f.url.clone() alt=f.name.clone() on:click=|ev| ev.stop_propagation()/>
        </div>
    }
}

/// The detail pane listing a channel's files, newest first, with paging.
#[component]
pub fn FilesPane(channel: Uuid) -> impl IntoView {
    let detail = expect_context::<DetailCtx>().0;
    let files = RwSignal::new(Vec::<FileInfo>::new());
    let cursor = RwSignal::new(None::<String>);
    let state = RwSignal::new("loading");
    let error = RwSignal::new(None::<String>);
    let load = move |more: bool| {
        let after = if more { cursor.get_untracked() } else { None };
        state.set("loading");
        leptos::task::spawn_local(async move {
            match super::api::list(channel.to_string(), after, Some(30)).await {
                Ok(r) => {
                    let page = r.data;
                    files.update(|v| {
                        if !more {
                            v.clear();
                        }
                        v.extend(page.files);
                    });
                    cursor.set(page.next_cursor);
                    state.set("done");
                }
                Err(e) => {
                    error.set(Some(e.detail()));
                    state.set("error");
                }
            }
        });
    };
    Effect::new(move |_| load(false));
    view! {
        <div class="pane-header">
            <h2>"Files"</h2>
            <button class="icon-btn" aria-label="Close files" on:click=move |_| detail.set(None)>"×"</button>
        </div>
        <div class="pane-body files-pane">
            {move || match (state.get(), files.with(Vec::is_empty)) {
                ("error", _) => view! { <p class="empty" role="alert">{error.get()}</p> }.into_any(),
                ("loading", true) => view! { <p class="muted" aria-busy="true">"Loading…"</p> }.into_any(),
                (_, true) => view! {
                    <div class="empty">
                        <p><strong>"No files yet"</strong></p>
                        <p class="muted">"Drop a file on the conversation, paste an image, or use the paperclip button."</p>
                    </div>
                }.into_any(),
                _ => view! {
                    <ul class="files-list">
                        <For each=move || files.get() key=|f| f.id let:f>
                            <li><FileCard f=f/></li>
                        </For>
                    </ul>
                    <Show when=move || cursor.with(Option::is_some)>
                        <button class="btn subtle" disabled=move || state.get() == "loading" on:click=move |_| load(true)>
                            "Load more"
                        </button>
                    </Show>
                }.into_any(),
            }}
        </div>
    }
}
