//! The WASM entry point: hydrates the server-rendered page with the same
//! `App` component the server rendered.

// The app's view types nest deeply; the default limit is too small for them.
#![recursion_limit = "512"]

use wasm_bindgen::prelude::*;

/// Called by the bootstrap script that cargo-leptos injects.
#[wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(app::App);
    // A marker for browser tests (and curious developers): the page is live.
    let _ = js_sys::Reflect::set(&js_sys::global(), &JsValue::from_str("__hydrated"), &JsValue::TRUE);
}
