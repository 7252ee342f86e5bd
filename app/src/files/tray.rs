//! The composer's attachment tray: files picked, dropped or pasted wait here
//! (too-large ones are refused at once, before any byte is sent), then go up
//! with the message text in one `files.upload` request. The request is an
//! `XMLHttpRequest` because `fetch` reports no upload progress; each file's
//! bar is derived from the bytes sent, and Cancel aborts the request (the
//! server then keeps nothing).

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};

use leptos::prelude::*;

use super::{human_size, precheck, MAX_FILES_PER_MESSAGE};

// The browser objects behind each tray, by tray. They live only in the
// browser's single thread: keeping them in the reactive arena would wrap
// them in SendWrapper, which panics when the server drops a rendered page's
// arena on another thread.
thread_local! {
    static FILES: RefCell<HashMap<u64, Vec<(u32, web_sys::File)>>> = RefCell::new(HashMap::new());
    static XHRS: RefCell<HashMap<u64, web_sys::XmlHttpRequest>> = RefCell::new(HashMap::new());
}
static NEXT_TRAY: AtomicU64 = AtomicU64::new(1);
use crate::error::AppError;
use crate::messages::Message;

/// A file waiting in the tray.
#[derive(Clone, Debug, PartialEq)]
pub struct Attachment {
    pub id: u32,
    pub name: String,
    pub size: u64,
}

/// What an upload request needs besides the files.
#[derive(Clone, Debug)]
pub struct UploadForm {
    pub channel: String,
    pub text: String,
    pub client_msg_id: String,
}

/// The tray's state. Arena handles only: `Copy`.
#[derive(Clone, Copy)]
pub struct Tray {
    pub items: RwSignal<Vec<Attachment>>,
    /// Bytes sent and total while an upload runs.
    pub progress: RwSignal<Option<(f64, f64)>>,
    /// Why something could not be attached or sent.
    pub notice: RwSignal<Option<String>>,
    /// Bumped when a send went through: the composer clears its text.
    pub sent: RwSignal<u32>,
    /// This tray's key in `FILES` and `XHRS`.
    key: u64,
    next: StoredValue<u32>,
}

impl Default for Tray {
    fn default() -> Self {
        Self::new()
    }
}

impl Tray {
    pub fn new() -> Tray {
        let key = NEXT_TRAY.fetch_add(1, Ordering::Relaxed);
        on_cleanup(move || {
            let _ = FILES.try_with(|f| f.borrow_mut().remove(&key));
            let _ = XHRS.try_with(|x| x.borrow_mut().remove(&key));
        });
        Tray {
            items: RwSignal::new(Vec::new()),
            progress: RwSignal::new(None),
            notice: RwSignal::new(None),
            sent: RwSignal::new(0),
            key,
            next: StoredValue::new(0),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.items.with(Vec::is_empty)
    }

    pub fn uploading(&self) -> bool {
        self.progress.with(Option::is_some)
    }

    /// Adds files, refusing (with a notice) empty and too-large ones.
    pub fn add(&self, files: Vec<web_sys::File>) {
        let mut refused = Vec::new();
        for f in files {
            let (name, size) = (f.name(), f.size() as u64);
            if self.items.with_untracked(Vec::len) >= MAX_FILES_PER_MESSAGE {
                refused.push(format!("A message can carry at most {MAX_FILES_PER_MESSAGE} files."));
                break;
            }
            if let Err(why) = precheck(&name, size) {
                refused.push(why);
                continue;
            }
            let id = self.next.get_value();
            self.next.set_value(id + 1);
            FILES.with(|m| m.borrow_mut().entry(self.key).or_default().push((id, f)));
            self.items.update(|v| v.push(Attachment { id, name, size }));
        }
        self.notice.set((!refused.is_empty()).then(|| refused.join(" ")));
    }

    pub fn remove(&self, id: u32) {
        FILES.with(|m| m.borrow_mut().entry(self.key).or_default().retain(|(i, _)| *i != id));
        self.items.update(|v| v.retain(|a| a.id != id));
    }

    #[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
    fn clear(&self) {
        FILES.with(|m| m.borrow_mut().remove(&self.key));
        self.items.set(Vec::new());
        self.notice.set(None);
    }

    /// How far along each file is (0–1), from the bytes sent so far.
    pub fn file_progress(&self, id: u32) -> f64 {
        let Some((sent, total)) = self.progress.get() else { return 0.0 };
        self.items.with(|items| {
            let all: f64 = items.iter().map(|a| a.size as f64).sum();
            let sent_of_files = if total > 0.0 { sent / total * all } else { 0.0 };
            let mut before = 0.0;
            for a in items {
                if a.id == id {
                    return ((sent_of_files - before) / (a.size as f64).max(1.0)).clamp(0.0, 1.0);
                }
                before += a.size as f64;
            }
            0.0
        })
    }

    /// Aborts the running upload.
    pub fn cancel(&self) {
        XHRS.with(|m| {
            if let Some(x) = m.borrow().get(&self.key) {
                let _ = x.abort();
            }
        });
    }

    /// Sends the tray's files with `form`; `done` gets the posted message.
    #[cfg_attr(not(feature = "hydrate"), allow(unused_variables))]
    pub fn upload(&self, form: UploadForm, done: Callback<Result<Message, AppError>>) {
        #[cfg(feature = "hydrate")]
        if let Err(e) = self.start(form, done) {
            leptos::logging::error!("upload could not start: {e:?}");
            done.run(Err(AppError::Internal));
        }
    }

    #[cfg(feature = "hydrate")]
    fn start(
        &self,
        form: UploadForm,
        done: Callback<Result<Message, AppError>>,
    ) -> Result<(), wasm_bindgen::JsValue> {
        use wasm_bindgen::prelude::*;
        use wasm_bindgen::JsCast;
        let fd = web_sys::FormData::new()?;
        fd.append_with_str("channel", &form.channel)?;
        fd.append_with_str("text", &form.text)?;
        fd.append_with_str("client_msg_id", &form.client_msg_id)?;
        FILES.with(|m| {
            m.borrow()
                .get(&self.key)
                .map(|v| {
                    v.iter().try_for_each(|(_, f)| fd.append_with_blob_and_filename("file", f, &f.name()))
                })
                .unwrap_or(Ok(()))
        })?;
        let xhr = web_sys::XmlHttpRequest::new()?;
        xhr.open_with_async("POST", "/api/files.upload", true)?;
        let tray = *self;
        let on_progress =
            Closure::<dyn FnMut(web_sys::ProgressEvent)>::new(move |e: web_sys::ProgressEvent| {
                if e.length_computable() {
                    tray.progress.set(Some((e.loaded(), e.total())));
                }
            });
        xhr.upload()?.set_onprogress(Some(on_progress.as_ref().unchecked_ref()));
        let x = xhr.clone();
        let on_end = Closure::once(move |_: web_sys::ProgressEvent| {
            drop(on_progress);
            tray.progress.set(None);
            XHRS.with(|m| m.borrow_mut().remove(&tray.key));
            let status = x.status().unwrap_or(0);
            let body = x.response_text().ok().flatten().unwrap_or_default();
            let result = match status {
                0 => Err(AppError::InvalidArguments(
                    "The upload was cancelled or the connection dropped.".into(),
                )),
                200 => serde_json::from_str::<crate::api::Reply<super::api::UploadReply>>(&body)
                    .map(|r| r.data.message)
                    .map_err(|_| AppError::Internal),
                _ => Err(serde_json::from_str::<AppError>(&body).unwrap_or(AppError::Internal)),
            };
            if result.is_ok() {
                tray.clear();
                tray.sent.update(|n| *n += 1);
            }
            done.run(result);
        });
        xhr.set_onloadend(Some(on_end.as_ref().unchecked_ref()));
        on_end.forget();
        self.progress.set(Some((0.0, 1.0)));
        self.notice.set(None);
        xhr.send_with_opt_form_data(Some(&fd))?;
        XHRS.with(|m| m.borrow_mut().insert(self.key, xhr));
        Ok(())
    }
}

/// The files in a browser `FileList` (from an input, a drop or a paste).
pub fn files_of(list: Option<web_sys::FileList>) -> Vec<web_sys::File> {
    let Some(list) = list else { return Vec::new() };
    (0..list.length()).filter_map(|i| list.get(i)).collect()
}

/// The tray above the composer's text box.
#[component]
pub fn TrayView(tray: Tray) -> impl IntoView {
    view! {
        <Show when=move || tray.notice.with(Option::is_some)>
            <p class="tray-notice" role="alert">{move || tray.notice.get()}</p>
        </Show>
        <Show when=move || !tray.is_empty()>
            <ul class="tray" aria-label="Attachments">
                <For each=move || tray.items.get() key=|a| a.id let:a>
                    {
                    let remove = format!("Remove {}", a.name);
                    let uploading = format!("Uploading {}", a.name);
                    let id = a.id;
                    view! {
                    <li class="tray-item">
                        <span class="file-icon small" aria-hidden="true" data-kind=super::kind_label("", &a.name)>{super::kind_label("", &a.name)}</span>
                        <span class="tray-name" title=a.name.clone()>{a.name.clone()}</span>
                        <span class="muted small">{human_size(a.size)}</span>
                        <Show when=move || tray.uploading() fallback=move || view! {
                            <button type="button" class="icon-btn" aria-label=remove.clone()
                                on:click=move |_| tray.remove(id)>"×"</button>
                        }>
                            <progress max="1" value=move || tray.file_progress(id)
                                aria-label=uploading.clone()></progress>
                        </Show>
                    </li>
                    }
                    }
                </For>
                <Show when=move || tray.uploading()>
                    <li><button type="button" class="btn subtle" on:click=move |_| tray.cancel()>"Cancel upload"</button></li>
                </Show>
            </ul>
        </Show>
    }
    .into_any()
}
