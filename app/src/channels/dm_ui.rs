//! `/dms/new`: pick up to eight people and open the conversation with them
//! (the same people always reach the same conversation). Picking nobody
//! opens your notes to self.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_navigate;

use super::MAX_GROUP_DM;
use crate::shell::context::use_convs;
use crate::shell::toast::toasts;
use crate::users::MemberInfo;
use crate::widgets::Avatar;

/// The "new message" page.
#[component]
pub fn NewDmPage() -> impl IntoView {
    let query = RwSignal::new(String::new());
    let picked = RwSignal::new(Vec::<MemberInfo>::new());
    let found = Resource::new(
        move || query.get(),
        |q| async move {
            let q = (!q.trim().is_empty()).then_some(q);
            crate::users::api::list(None, Some(30), q).await.map(|r| r.data.members)
        },
    );
    let toasts = toasts();
    let convs = use_convs();
    let navigate = use_navigate();
    let open = Action::new(move |ids: &Vec<String>| {
        let ids = ids.clone();
        async move { crate::channels::api::open(ids).await }
    });
    Effect::new(move |_| match open.value().get() {
        Some(Ok(r)) => {
            convs.refresh();
            navigate(&format!("/c/{}", r.data.channel.id), Default::default());
        }
        Some(Err(e)) => toasts.error(&e),
        None => {}
    });
    let full = move || picked.with(|p| p.len() >= MAX_GROUP_DM - 1);
    view! {
        <Title text="New message"/>
        <div class="pane-header"><h1>"New message"</h1></div>
        <div class="pane-body">
            <p class="muted">"Choose up to eight people. Choose nobody to write notes to yourself."</p>
            <div class="chips" aria-live="polite">
                <For each=move || picked.get() key=|m| m.id let:m>
                    <span class="chip">{m.name.clone()}
                        <button class="icon-btn" aria-label=format!("Remove {}", m.name)
                            on:click=move |_| picked.update(|p| p.retain(|x| x.id != m.id))>"×"</button>
                    </span>
                </For>
            </div>
            <div class="searchbar">
                <label for="dm-search" class="sr-only">"Find people"</label>
                <input id="dm-search" type="search" placeholder="Find people by name or email" autocomplete="off"
                    prop:value=move || query.get() on:input=move |ev| query.set(event_target_value(&ev))/>
            </div>
            <button class="btn primary" disabled=move || open.pending().get()
                on:click=move |_| { open.dispatch(picked.get_untracked().iter().map(|m| m.id.to_string()).collect()); }>
                {move || match picked.with(Vec::len) {
                    0 => "Open notes to self".to_string(),
                    1 => "Open conversation".to_string(),
                    n => format!("Open group conversation ({} people)", n + 1),
                }}
            </button>
            <Transition fallback=|| view! { <p class="muted">"Loading people…"</p> }>
                {move || found.get().map(|r| match r {
                    Err(e) => view! { <p class="empty">{e.detail()}</p> }.into_any(),
                    Ok(list) => view! {
                        <ul class="member-list" aria-label="People">
                            {list.into_iter().map(|m| {
                                let pick = m.clone();
                                let id = m.id;
                                view! {
                                    <li><button class="member-row" disabled=move || full() || picked.with(|p| p.iter().any(|x| x.id == id))
                                        on:click=move |_| picked.update(|p| p.push(pick.clone()))>
                                        <Avatar id=m.id name=m.name.clone()/>
                                        <span class="member-main"><strong>{m.name.clone()}</strong>
                                            <span class="muted small">{m.title.clone()}</span></span>
                                    </button></li>
                                }
                            }).collect_view()}
                        </ul>
                    }.into_any(),
                })}
            </Transition>
        </div>
    }
}
