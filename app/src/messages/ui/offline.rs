//! Copies of each conversation's newest messages in this browser, so that an
//! app started offline shows the last messages it saw there, marked as a
//! saved copy (issue 15). Kept in IndexedDB by `public/pwa.js`
//! (`window.threadspaceOffline`), per member and conversation, at most 20
//! conversations, and wiped when the sign-in page opens (after signing out).
//! The API itself is never cached (the service worker leaves `/api` alone).

use uuid::Uuid;

use crate::messages::Message;

/// The method `name` of the helper object `object` that `public/pwa.js`
/// puts on `window`, if the script has loaded.
#[cfg(feature = "hydrate")]
pub(super) fn helper(object: &str, name: &str) -> Option<(wasm_bindgen::JsValue, js_sys::Function)> {
    use wasm_bindgen::JsCast;
    let o = js_sys::Reflect::get(&leptos::prelude::window(), &object.into()).ok()?;
    let f = js_sys::Reflect::get(&o, &name.into()).ok()?.dyn_into::<js_sys::Function>().ok()?;
    Some((o, f))
}

fn key(me: Uuid, channel: Uuid) -> String {
    format!("{me}:{channel}")
}

/// Keeps `msgs` (the conversation's newest page) as the saved copy.
pub fn save(me: Uuid, channel: Uuid, msgs: &[Message]) {
    #[cfg(feature = "hydrate")]
    if let (Some((o, f)), Ok(json)) = (helper("threadspaceOffline", "save"), serde_json::to_string(msgs)) {
        let _ = f.call2(&o, &key(me, channel).into(), &json.into());
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (key(me, channel), msgs);
}

/// The saved copy of the conversation's newest messages, if there is one.
pub async fn load(me: Uuid, channel: Uuid) -> Option<Vec<Message>> {
    #[cfg(feature = "hydrate")]
    {
        let (o, f) = helper("threadspaceOffline", "load")?;
        let promise: js_sys::Promise =
            wasm_bindgen::JsCast::dyn_into(f.call1(&o, &key(me, channel).into()).ok()?).ok()?;
        let json = wasm_bindgen_futures::JsFuture::from(promise).await.ok()?.as_string()?;
        serde_json::from_str(&json).ok()
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = key(me, channel);
        None
    }
}
