//! Choosing a picture in the browser: the profile photo (with a square
//! crop the person moves and zooms) and the upload both it and the
//! workspace icon use (`multipart/form-data` to `users.setPhoto` or
//! `admin.settings.setIcon`).

use std::cell::RefCell;

use leptos::prelude::*;

use crate::error::AppError;
use crate::shell::toast::{toasts, Tone};

/// Side of the crop preview, in CSS pixels.
const VIEW: f64 = 200.0;

thread_local! {
    /// The chosen file (browser objects stay on the page's thread).
    static CHOSEN: RefCell<Option<web_sys::File>> = const { RefCell::new(None) };
}

/// The square to cut from a `w`×`h` image at `zoom` (1 = the largest
/// square) with its centre moved by `px`, `py` (0–100, left/top to
/// right/bottom): `(x, y, side)` in the image's pixels.
pub fn crop_rect(w: u32, h: u32, zoom: f64, px: f64, py: f64) -> (u32, u32, u32) {
    let side = (f64::from(w.min(h)) / zoom.max(1.0)).floor().max(1.0);
    let x = ((f64::from(w) - side) * px.clamp(0.0, 100.0) / 100.0).round();
    let y = ((f64::from(h) - side) * py.clamp(0.0, 100.0) / 100.0).round();
    (x as u32, y as u32, side as u32)
}

/// Sends a picture to `path`; `done` gets the response body or the error.
pub fn upload_picture(
    path: &'static str,
    file: &web_sys::File,
    crop: Option<(u32, u32, u32)>,
    done: impl FnOnce(Result<String, AppError>) + 'static,
) -> Result<(), wasm_bindgen::JsValue> {
    use wasm_bindgen::prelude::*;
    use wasm_bindgen::JsCast;
    let fd = web_sys::FormData::new()?;
    fd.append_with_blob_and_filename("image", file, &file.name())?;
    if let Some((x, y, w)) = crop {
        fd.append_with_str("crop_x", &x.to_string())?;
        fd.append_with_str("crop_y", &y.to_string())?;
        fd.append_with_str("crop_w", &w.to_string())?;
    }
    let xhr = web_sys::XmlHttpRequest::new()?;
    xhr.open_with_async("POST", path, true)?;
    let x = xhr.clone();
    let on_end = Closure::once(move |_: web_sys::ProgressEvent| {
        let status = x.status().unwrap_or(0);
        let body = x.response_text().ok().flatten().unwrap_or_default();
        done(match status {
            200 => Ok(body),
            0 => {
                Err(AppError::InvalidArguments("The upload was cancelled or the connection dropped.".into()))
            }
            _ => Err(serde_json::from_str::<AppError>(&body).unwrap_or(AppError::Internal)),
        });
    });
    xhr.set_onloadend(Some(on_end.as_ref().unchecked_ref()));
    on_end.forget();
    xhr.send_with_opt_form_data(Some(&fd))
}

/// The photo section of `/settings/profile`.
#[component]
pub fn PhotoEditor() -> impl IntoView {
    let toasts = toasts();
    let me = crate::shell::context::use_me_after_hydration();
    let live = use_context::<crate::realtime::ui::Live>();
    // The chosen image: its object URL and natural size.
    let preview = RwSignal::new(None::<(String, u32, u32)>);
    let zoom = RwSignal::new(1.0f64);
    let px = RwSignal::new(50.0f64);
    let py = RwSignal::new(50.0f64);
    let busy = RwSignal::new(false);
    let version = move || {
        let id = me.get()?.user_id;
        live.and_then(|l| l.avatars.with(|m| m.get(&id).copied()))
    };
    let current = move || me.get().map(|m| crate::users::avatar_src(m.user_id, 512, version()));
    let bump = move |body: &str| {
        let p =
            serde_json::from_str::<crate::api::Reply<super::api::ProfileReply>>(body).map(|r| r.data.profile);
        if let (Ok(p), Some(l)) = (p, live) {
            l.avatars.update(|m| {
                m.insert(p.id, p.avatar_version);
            });
        }
    };
    let choose = move |ev: leptos::ev::Event| {
        let input: web_sys::HtmlInputElement = event_target(&ev);
        let Some(file) = input.files().and_then(|l| l.get(0)) else { return };
        #[cfg(feature = "hydrate")]
        {
            use wasm_bindgen::prelude::*;
            use wasm_bindgen::JsCast;
            let Ok(url) = web_sys::Url::create_object_url_with_blob(&file) else { return };
            let Ok(img) = web_sys::HtmlImageElement::new() else { return };
            let (i, u) = (img.clone(), url.clone());
            let onload = Closure::once(move || {
                preview.set(Some((u, i.natural_width(), i.natural_height())));
                zoom.set(1.0);
                px.set(50.0);
                py.set(50.0);
            });
            img.set_onload(Some(onload.as_ref().unchecked_ref()));
            onload.forget();
            let onerror = Closure::once(move || {
                toasts.push(Tone::Error, "That file is not an image this browser can show.")
            });
            img.set_onerror(Some(onerror.as_ref().unchecked_ref()));
            onerror.forget();
            img.set_src(&url);
        }
        CHOSEN.with(|c| *c.borrow_mut() = Some(file));
    };
    let save = move |_| {
        let Some((_, w, h)) = preview.get_untracked() else { return };
        let rect = crop_rect(w, h, zoom.get_untracked(), px.get_untracked(), py.get_untracked());
        let Some(file) = CHOSEN.with(|c| c.borrow().clone()) else { return };
        busy.set(true);
        let sent = upload_picture("/api/users.setPhoto", &file, Some(rect), move |r| {
            busy.set(false);
            match r {
                Ok(body) => {
                    bump(&body);
                    preview.set(None);
                    toasts.push(Tone::Success, "Photo saved.");
                }
                Err(e) => toasts.error(&e),
            }
        });
        if sent.is_err() {
            busy.set(false);
            toasts.push(Tone::Error, "The photo could not be sent.");
        }
    };
    let remove = Action::new(move |_: &()| async move { super::api::delete_photo().await });
    Effect::new(move || match remove.value().get() {
        Some(Ok(r)) => {
            if let Some(l) = live {
                l.avatars.update(|m| {
                    m.insert(r.data.profile.id, r.data.profile.avatar_version);
                });
            }
            toasts.push(Tone::Success, "Photo removed.");
        }
        Some(Err(e)) => toasts.error(&e),
        None => {}
    });
    let crop_style = move || {
        let Some((url, w, h)) = preview.get() else { return String::new() };
        let (x, y, side) = crop_rect(w, h, zoom.get(), px.get(), py.get());
        let scale = VIEW / f64::from(side);
        format!(
            "background-image: url('{url}'); background-size: {:.1}px {:.1}px; background-position: {:.1}px {:.1}px",
            f64::from(w) * scale,
            f64::from(h) * scale,
            -f64::from(x) * scale,
            -f64::from(y) * scale,
        )
    };
    let slider = |id: &'static str,
                  label: &'static str,
                  sig: RwSignal<f64>,
                  min: f64,
                  max: f64,
                  step: f64| {
        view! {
            <div class="field">
                <label for=id>{label}</label>
                <input id=id type="range" min=min max=max step=step prop:value=move || sig.get().to_string()
                    on:input=move |ev| sig.set(event_target_value(&ev).parse().unwrap_or(min))/>
            </div>
        }
    };
    view! {
        <h2 class="section-title">"Photo"</h2>
        <div class="photo-editor">
            {move || current().map(|src| view! { <img class="photo-current" src=src alt="Your current photo" width="96" height="96"/> })}
            <div class="form">
                <div class="field">
                    <label for="photo-file">"Upload a photo"</label>
                    <input id="photo-file" type="file" accept="image/png,image/jpeg,image/gif,image/webp" on:change=choose/>
                    <p class="hint">"PNG, JPEG, GIF or WebP, up to 10 MB. You choose the square to show."</p>
                </div>
                <Show when=move || preview.get().is_some()>
                    <div class="cropper" role="img" aria-label="The part of the photo that will show" style=crop_style></div>
                    {slider("photo-zoom", "Zoom", zoom, 1.0, 4.0, 0.05)}
                    {slider("photo-x", "Left to right", px, 0.0, 100.0, 1.0)}
                    {slider("photo-y", "Top to bottom", py, 0.0, 100.0, 1.0)}
                    <button type="button" class="btn primary" disabled=move || busy.get() on:click=save>
                        {move || if busy.get() { "Saving…" } else { "Save photo" }}
                    </button>
                </Show>
                <button type="button" class="btn subtle" on:click=move |_| { remove.dispatch(()); }>"Remove photo"</button>
            </div>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_crop_stays_inside_the_image() {
        assert_eq!(crop_rect(400, 200, 1.0, 50.0, 50.0), (100, 0, 200));
        assert_eq!(crop_rect(400, 200, 2.0, 0.0, 100.0), (0, 100, 100));
        assert_eq!(crop_rect(400, 200, 2.0, 100.0, 0.0), (300, 0, 100));
        assert_eq!(crop_rect(10, 10, 0.5, 200.0, -5.0), (0, 0, 10), "out-of-range input is clamped");
    }
}
