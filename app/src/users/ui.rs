//! The member directory page and the member profile in the detail pane.

use leptos::prelude::*;
use leptos_meta::Title;
use uuid::Uuid;

use super::MemberInfo;
use crate::shell::context::{Detail, DetailCtx};
use crate::widgets::Avatar;

/// `/people`: everyone in the workspace, with a search box.
#[component]
pub fn PeoplePage() -> impl IntoView {
    let query = RwSignal::new(String::new());
    // Extra pages loaded with "Show more", appended after the first page.
    let extra = RwSignal::new(Vec::<MemberInfo>::new());
    let cursor = RwSignal::new(String::new());
    let first = Resource::new(
        move || query.get(),
        |q| async move {
            let q = (!q.trim().is_empty()).then_some(q);
            crate::users::api::list(None, Some(50), q).await
        },
    );
    Effect::new(move || {
        if let Some(Ok(p)) = first.get() {
            extra.set(vec![]);
            cursor.set(p.data.response_metadata.next_cursor);
        }
    });
    let more = Action::new(move |c: &String| {
        let c = c.clone();
        let q = query.get_untracked();
        async move { crate::users::api::list(Some(c), Some(50), (!q.trim().is_empty()).then_some(q)).await }
    });
    Effect::new(move || {
        if let Some(Ok(p)) = more.value().get() {
            extra.update(|v| v.extend(p.data.members.clone()));
            cursor.set(p.data.response_metadata.next_cursor);
        }
    });
    let detail = expect_context::<DetailCtx>().0;
    let row = move |m: MemberInfo| {
        let id = m.id;
        view! {
            <li>
                <button class="member-row" on:click=move |_| detail.set(Some(Detail::Member(id)))>
                    <Avatar id=m.id name=m.name.clone()/>
                    <span class="member-main">
                        <strong>{m.name.clone()}</strong>
                        {m.status.clone().map(|s| view! { <span class="user-status small" title=s.text.clone()>{s.emoji}" "{s.text.clone()}</span> })}
                        {(!m.title.is_empty()).then(|| view! { <span class="muted small">{m.title.clone()}</span> })}
                    </span>
                    {(m.role.as_str() != "member").then(|| view! { <span class="badge">{m.role.as_str()}</span> })}
                </button>
            </li>
        }
    };
    view! {
        <Title text="People"/>
        <div class="pane-header">
            <h1>"People"</h1>
        </div>
        <div class="pane-body">
            <div class="searchbar">
                <label for="people-search" class="sr-only">"Search people"</label>
                <input id="people-search" type="search" placeholder="Search by name or email" autocomplete="off"
                    maxlength="100" prop:value=move || query.get()
                    on:input=move |ev| query.set(event_target_value(&ev))/>
            </div>
            <Transition fallback=|| view! { <p class="muted" aria-busy="true">"Loading people…"</p> }>
                {move || first.get().map(|r| match r {
                    Err(e) => view! { <p class="empty">{e.detail()}</p> }.into_any(),
                    Ok(p) if p.data.members.is_empty() => view! {
                        <div class="empty">
                            <p><strong>"No one matches “"{query.get()}"”."</strong></p>
                            <p class="muted">"Try a shorter name, or search by email."</p>
                        </div>
                    }.into_any(),
                    Ok(p) => view! {
                        <ul class="member-list" aria-label="Members">
                            {p.data.members.into_iter().map(row).collect_view()}
                            {move || extra.get().into_iter().map(row).collect_view()}
                        </ul>
                        <Show when=move || !cursor.get().is_empty()>
                            <button class="btn subtle" disabled=move || more.pending().get()
                                on:click=move |_| { more.dispatch(cursor.get_untracked()); }>
                                {move || if more.pending().get() { "Loading…" } else { "Show more" }}
                            </button>
                        </Show>
                    }.into_any(),
                })}
            </Transition>
        </div>
    }
}

/// A member's profile, shown in the right-hand pane.
#[component]
pub fn MemberProfile(id: Uuid) -> impl IntoView {
    let detail = expect_context::<DetailCtx>().0;
    let version = RwSignal::new(0u32);
    if let Some(live) = use_context::<crate::realtime::ui::Live>() {
        live.listen(Callback::new(move |ev: crate::realtime::Event| {
            if let crate::realtime::Event::ProfileUpdated { profile } = ev {
                if profile.id == id {
                    version.update(|v| *v += 1);
                }
            }
        }));
    }
    let info = Resource::new(
        move || (id, version.get()),
        |(id, _)| async move { crate::users::api::info(id).await },
    );
    view! {
        <div class="pane-header">
            <h2>"Profile"</h2>
            <button class="icon-btn" aria-label="Close profile" on:click=move |_| detail.set(None)>"×"</button>
        </div>
        <div class="pane-body profile">
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || info.get().map(|r| match r {
                    Err(e) => view! { <p class="empty">{e.detail()}</p> }.into_any(),
                    Ok(u) => {
                        let u = u.data.user;
                        view! {
                            <Avatar id=u.id name=u.name.clone() class="avatar avatar-xl"/>
                            <h3>{u.name.clone()}</h3>
                            {u.status.clone().map(|s| view! { <p class="user-status"><span aria-hidden="true">{s.emoji}</span>" "{s.text}</p> })}
                            {(!u.title.is_empty()).then(|| view! { <p class="muted">{u.title.clone()}</p> })}
                            <dl>
                                <dt>"Role"</dt><dd>{u.role.as_str()}</dd>
                                {u.email.clone().map(|e| view! { <dt>"Email"</dt><dd><a href=format!("mailto:{e}")>{e.clone()}</a></dd> })}
                                <dt>"Joined"</dt><dd>{crate::api::format_date(u.created_at)}</dd>
                            </dl>
                            <MessageButton id=u.id/>
                        }.into_any()
                    }
                })}
            </Transition>
        </div>
    }
}

/// Opens (or creates) the DM with a member and goes there.
#[component]
fn MessageButton(id: Uuid) -> impl IntoView {
    let navigate = leptos_router::hooks::use_navigate();
    let toasts = crate::shell::toast::toasts();
    let convs = crate::shell::context::use_convs();
    let detail = expect_context::<DetailCtx>().0;
    let open =
        Action::new(move |_: &()| async move { crate::channels::api::open(vec![id.to_string()]).await });
    Effect::new(move |_| match open.value().get() {
        Some(Ok(r)) => {
            convs.refresh();
            detail.set(None);
            navigate(&format!("/c/{}", r.data.channel.id), Default::default());
        }
        Some(Err(e)) => toasts.error(&e),
        None => {}
    });
    view! {
        <button class="btn primary" disabled=move || open.pending().get() on:click=move |_| { open.dispatch(()); }>
            "Message"
        </button>
    }
}
