//! The Content Security Policy of pages: scripts only from this site or
//! inline with this response's nonce (Leptos's hydration script and our
//! theme boot script carry it), WebAssembly allowed, and nothing may frame
//! the app. Styles may be inline (components set `style` attributes); no
//! script may be.

/// The policy for a page rendered with `nonce` (or with no inline script
/// allowed at all when there is none).
pub fn page_policy(nonce: Option<&str>) -> String {
    let inline = nonce.map(|n| format!(" 'nonce-{n}'")).unwrap_or_default();
    format!(
        "default-src 'self'; script-src 'self'{inline} 'wasm-unsafe-eval'; style-src 'self' 'unsafe-inline'; \
         img-src 'self' data: blob:; media-src 'self' blob:; font-src 'self' data:; connect-src 'self'; \
         worker-src 'self'; manifest-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; \
         frame-ancestors 'none'"
    )
}

/// Sets the page's policy on the response being rendered (server side).
#[cfg(feature = "ssr")]
pub fn set_for_page(nonce: Option<&leptos::nonce::Nonce>) {
    use leptos::prelude::use_context;
    let Some(res) = use_context::<leptos_axum::ResponseOptions>() else { return };
    if let Ok(v) = http::HeaderValue::from_str(&page_policy(nonce.map(|n| &**n))) {
        res.insert_header(http::header::CONTENT_SECURITY_POLICY, v);
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn scripts_never_run_inline_without_the_nonce() {
        let p = super::page_policy(Some("abc"));
        let script = p.split(';').find(|d| d.trim_start().starts_with("script-src")).unwrap();
        assert!(script.contains("'nonce-abc'") && !script.contains("unsafe-inline"), "{script}");
        assert!(p.contains("frame-ancestors 'none'"));
        assert!(!super::page_policy(None).contains("nonce"));
    }
}
