//! `/admin`: how big the workspace is and whether its dependencies are well.

use leptos::prelude::*;

use super::frame::AdminPage;
use crate::admin::format_bytes;

/// The admin overview page.
#[component]
pub fn OverviewPage() -> impl IntoView {
    view! {
        <AdminPage title="Admin" heading="Workspace admin">
            <Overview/>
        </AdminPage>
    }
}

#[component]
fn Overview() -> impl IntoView {
    let data =
        Resource::new(|| (), |_| async { crate::admin::api::workspace_overview().await.map(|r| r.data) });
    let stat = |label: &'static str, value: String| {
        view! { <div class="stat"><span class="stat-value">{value}</span><span class="stat-label">{label}</span></div> }
    };
    view! {
        <Transition fallback=|| view! { <p class="muted" aria-busy="true">"Loading…"</p> }>
            {move || data.get().map(|r| match r {
                Err(e) => view! { <p class="empty">{e.detail()}</p> }.into_any(),
                Ok(o) => view! {
                    <h2 class="section-title">"People"</h2>
                    <div class="stats">
                        {stat("active members", o.members_active.to_string())}
                        {stat("owners and admins", o.admins.to_string())}
                        {stat("guests", o.guests.to_string())}
                        {stat("deactivated", o.members_deactivated.to_string())}
                    </div>
                    <h2 class="section-title">"Conversations"</h2>
                    <div class="stats">
                        {stat("public channels", o.channels_public.to_string())}
                        {stat("private channels", o.channels_private.to_string())}
                        {stat("archived channels", o.channels_archived.to_string())}
                        {stat("messages sent", o.messages.to_string())}
                        {stat("file storage", format_bytes(o.storage_bytes))}
                    </div>
                    <h2 class="section-title">"Health"</h2>
                    <ul class="health">
                        {o.health.into_iter().map(|h| view! {
                            <li>
                                <span class=if h.ok { "status status-active" } else { "status status-revoked" }>
                                    {if h.ok { "OK" } else { "Degraded" }}
                                </span>
                                <strong>{h.name}</strong>
                                <span class="muted">{h.detail}</span>
                            </li>
                        }).collect_view()}
                    </ul>
                }.into_any(),
            })}
        </Transition>
    }
}
