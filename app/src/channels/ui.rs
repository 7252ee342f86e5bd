//! Channel pages: browsing and creating channels, and the details pane
//! (topic, purpose, members, invite, leave, archive).

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_meta::Title;
use leptos_router::hooks::use_navigate;
use uuid::Uuid;

use super::Channel;
use crate::shell::context::{use_convs, DetailCtx};
use crate::shell::toast::toasts;

/// `/channels`: search public channels, join one, or create a new one.
#[component]
pub fn BrowseChannelsPage() -> impl IntoView {
    let query = RwSignal::new(String::new());
    let list = Resource::new(
        move || query.get(),
        |q| async move {
            let q = (!q.trim().is_empty()).then_some(q);
            crate::channels::api::list(Some("public,private".into()), None, Some(200), q, None).await
        },
    );
    let navigate = use_navigate();
    let toasts = toasts();
    let convs = use_convs();
    let name = RwSignal::new(String::new());
    let private = RwSignal::new(false);
    let create = Action::new(move |(n, p): &(String, bool)| {
        let (n, p) = (n.clone(), *p);
        async move { crate::channels::api::create(n, Some(p)).await }
    });
    let nav = navigate.clone();
    Effect::new(move |_| match create.value().get() {
        Some(Ok(r)) => {
            convs.refresh();
            name.set(String::new());
            nav(&format!("/c/{}", r.data.channel.id), Default::default());
        }
        Some(Err(e)) => toasts.error(&e),
        None => {}
    });
    let name_error = move || {
        let n = name.get();
        (!n.trim().is_empty()).then(|| super::validate_channel_name(&n).err().map(|e| e.detail())).flatten()
    };
    // Admins may keep channel creation to themselves (/admin/settings).
    let me = crate::shell::context::use_me_after_hydration();
    let restricted = move || {
        me.get().is_some_and(|m| {
            let s = crate::core::policy::Subject { member: m.user_id, role: m.role };
            !crate::core::policy::can_create_channel(&s, &m.rules)
        })
    };
    let join = move |id: Uuid| {
        let navigate = navigate.clone();
        spawn_local(async move {
            match crate::channels::api::join(id.to_string()).await {
                Ok(_) => {
                    convs.refresh();
                    navigate(&format!("/c/{id}"), Default::default());
                }
                Err(e) => toasts.error(&e),
            }
        });
    };
    let row = move |c: Channel| {
        let id = c.id;
        let href = format!("/c/{id}");
        let join = join.clone();
        view! {
            <li class="channel-row">
                <a href=href class="channel-link">
                    <strong>{if c.is_private { "🔒 " } else { "# " }}{c.name.clone().unwrap_or_default()}</strong>
                    {c.is_archived.then(|| view! { <span class="badge">"archived"</span> })}
                    <span class="muted small">
                        {format!("{} {}", c.member_count, if c.member_count == 1 { "member" } else { "members" })}
                        {(!c.purpose.is_empty()).then(|| format!(" · {}", c.purpose))}
                    </span>
                </a>
                {if c.is_member {
                    view! { <span class="muted small">"Joined"</span> }.into_any()
                } else if c.is_archived {
                    ().into_any()
                } else {
                    view! { <button class="btn subtle" on:click=move |_| join(id)>"Join"</button> }.into_any()
                }}
            </li>
        }
    };
    view! {
        <Title text="Channels"/>
        <div class="pane-header"><h1>"Channels"</h1></div>
        <div class="pane-body">
            <p class="card muted" class:is-hidden=move || !restricted()>
                "Only admins can create channels in this workspace."
            </p>
            <form class="card create-channel" class:is-hidden=restricted on:submit=move |ev| {
                ev.prevent_default();
                if name_error().is_none() && !name.get_untracked().trim().is_empty() {
                    create.dispatch((name.get_untracked(), private.get_untracked()));
                }
            }>
                <h2>"Create a channel"</h2>
                <label for="channel-name">"Name"</label>
                <input id="channel-name" placeholder="e.g. plan-budget" maxlength="81" autocomplete="off"
                    aria-describedby="channel-name-help" prop:value=move || name.get()
                    on:input=move |ev| name.set(event_target_value(&ev))/>
                <p id="channel-name-help" class="small" class:error=move || name_error().is_some() class:muted=move || name_error().is_none()>
                    {move || name_error().unwrap_or_else(|| "Lowercase letters, digits, - and _. Spaces become dashes.".into())}
                </p>
                <label class="check"><input type="checkbox" prop:checked=move || private.get()
                    on:change=move |ev| private.set(event_target_checked(&ev))/>" Make private (only invited people can see it)"</label>
                <button type="submit" class="btn primary" disabled=move || create.pending().get()>
                    {move || if create.pending().get() { "Creating…" } else { "Create channel" }}
                </button>
            </form>
            <div class="searchbar">
                <label for="channel-search" class="sr-only">"Search channels"</label>
                <input id="channel-search" type="search" placeholder="Search channels" autocomplete="off" maxlength="80"
                    prop:value=move || query.get() on:input=move |ev| query.set(event_target_value(&ev))/>
            </div>
            <Transition fallback=|| view! { <p class="muted" aria-busy="true">"Loading channels…"</p> }>
                {move || list.get().map(|r| match r {
                    Err(e) => view! { <p class="empty">{e.detail()}</p> }.into_any(),
                    Ok(p) if p.data.channels.is_empty() => view! {
                        <div class="empty"><p><strong>"No channels match."</strong></p>
                        <p class="muted">"Create one above."</p></div>
                    }.into_any(),
                    Ok(p) => view! {
                        <ul class="channel-list" aria-label="Channels">{p.data.channels.into_iter().map(row.clone()).collect_view()}</ul>
                    }.into_any(),
                })}
            </Transition>
        </div>
    }
}

/// The channel's details in the right-hand pane.
#[component]
pub fn ChannelDetails(id: Uuid) -> impl IntoView {
    let detail = expect_context::<DetailCtx>().0;
    let version = RwSignal::new(0u32);
    let info = LocalResource::new(move || {
        version.get();
        async move { crate::channels::api::info(id.to_string()).await.map(|r| r.data.channel) }
    });
    let members = LocalResource::new(move || {
        version.get();
        async move { crate::channels::api::members(id.to_string(), None, Some(200)).await.map(|r| r.data.members) }
    });
    view! {
        <div class="pane-header">
            <h2>"Details"</h2>
            <button class="icon-btn" aria-label="Close details" on:click=move |_| detail.set(None)>"×"</button>
        </div>
        <div class="pane-body details">
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || info.get().map(|r| match r {
                    Err(e) => view! { <p class="empty">{e.detail()}</p> }.into_any(),
                    Ok(c) => view! { <super::details::DetailsBody c=c members=members version=version/> }.into_any(),
                })}
            </Suspense>
        </div>
    }
}
