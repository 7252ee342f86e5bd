//! The colour theme: `system`, `light` or `dark`, kept in the browser
//! (`localStorage`, read before first paint by the page's boot script) and
//! applied as `data-theme` on the document.

/// The key the choice is kept under.
pub const THEME_KEY: &str = "ts-theme";

/// The saved choice (`system` when none, and on the server).
pub fn saved() -> String {
    #[cfg(feature = "hydrate")]
    {
        use leptos::prelude::window;
        if let Some(t) =
            window().local_storage().ok().flatten().and_then(|s| s.get_item(THEME_KEY).ok().flatten())
        {
            return t;
        }
    }
    "system".into()
}

/// Saves and applies a choice.
pub fn apply(t: &str) {
    #[cfg(feature = "hydrate")]
    {
        use leptos::prelude::{document, window};
        if let Some(storage) = window().local_storage().ok().flatten() {
            let _ =
                if t == "system" { storage.remove_item(THEME_KEY) } else { storage.set_item(THEME_KEY, t) };
        }
        if let Some(el) = document().document_element() {
            let _ = if t == "system" {
                el.remove_attribute("data-theme")
            } else {
                el.set_attribute("data-theme", t)
            };
        }
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = t;
}
