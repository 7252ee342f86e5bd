//! The admin pages: overview, members (and one member), channels, audit log. Each
//! sits inside [`AdminGate`], which shows a plain 404 to anyone but owners
//! and admins (the server refuses them too, with `unknown_method`).

mod audit;
mod channels;
mod member;
mod members;
mod overview;

use leptos::prelude::*;
use leptos_router::components::A;

pub use audit::AuditLogPage;
pub use channels::ChannelsPage;
pub use member::MemberPage;
pub use members::MembersPage;
pub use overview::OverviewPage;

use crate::shell::context::use_me;

/// Renders `children` for owners and admins; anyone else gets "not found".
#[component]
pub fn AdminGate(children: ChildrenFn) -> impl IntoView {
    let me = use_me();
    view! {
        <Transition fallback=|| view! { <p class="muted pane-body" aria-busy="true">"Loading…"</p> }>
            {move || me.get().map(|r| match r {
                Ok(r) if r.data.role.is_admin() => children().into_any(),
                _ => view! { <crate::widgets::PaneNotFound/> }.into_any(),
            })}
        </Transition>
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
            <A href="/admin/audit-log">"Audit log"</A>
        </nav>
    }
}

/// "3 min ago"-style text is not worth a timer here: admins read dates.
pub(super) fn when(t: Option<time::OffsetDateTime>) -> String {
    t.map(crate::api::format_datetime).unwrap_or_else(|| "Never".into())
}
