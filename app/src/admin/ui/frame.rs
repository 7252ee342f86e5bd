//! The frame every admin page shares: the gate that shows "not found" to
//! anyone but owners and admins, the section tabs, and date text. Kept apart
//! from `mod.rs` so that the pages can use it without importing their parent.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

use crate::shell::context::use_me;

/// Shows `children` to owners and admins; anyone else gets "not found".
///
/// The children are created unconditionally, at once, so that the
/// resources inside them get the same ids on the server and in the browser
/// (creating them in a branch that appears only once "who am I" resolves
/// breaks hydration; see docs/architecture.md). The gate only decides what
/// is visible; the server refuses the data to anyone else anyway.
#[component]
pub fn AdminGate(children: Children) -> impl IntoView {
    let me = use_me();
    let known = crate::shell::context::use_me_after_hydration();
    let denied = move || known.get().is_some_and(|m| !m.role.is_admin());
    view! {
        <Transition fallback=|| ()>
            {move || me.get().map(|r| {
                let ok = r.is_ok_and(|r| r.data.role.is_admin());
                (!ok).then(|| view! { <crate::widgets::PaneNotFound/> })
            })}
        </Transition>
        <div class="admin-body" class:gated=denied>{children()}</div>
    }
}

/// An admin page: its title, the gate and the section tabs around
/// `children`. `heading` is the page's `h1` when it differs from the title.
#[component]
pub fn AdminPage(
    title: &'static str,
    #[prop(optional)] heading: Option<&'static str>,
    children: Children,
) -> impl IntoView {
    view! {
        <Title text=title/>
        <div class="pane-header"><h1>{heading.unwrap_or(title)}</h1></div>
        <AdminGate>
            <div class="pane-body">
                <AdminNav/>
                {children()}
            </div>
        </AdminGate>
    }
}

/// The tabs across the admin pages.
#[component]
pub fn AdminNav() -> impl IntoView {
    view! {
        <nav class="tabs" aria-label="Admin sections">
            <A href="/admin" exact=true>"Overview"</A>
            <A href="/admin/members">"Members"</A>
            <A href="/admin/channels">"Channels"</A>
            <A href="/admin/invites">"Invites"</A>
            <A href="/admin/settings">"Settings"</A>
            <A href="/admin/retention">"Retention"</A>
            <A href="/admin/export">"Export"</A>
            <A href="/admin/import">"Import"</A>
            <A href="/admin/audit-log">"Audit log"</A>
        </nav>
    }
}

/// "3 min ago"-style text is not worth a timer here: admins read dates.
pub fn when(t: Option<time::OffsetDateTime>) -> String {
    t.map(crate::api::format_datetime).unwrap_or_else(|| "Never".into())
}
