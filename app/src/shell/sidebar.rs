//! The left sidebar: workspace switcher, navigation and the user menu.

use leptos::prelude::*;
use leptos_router::components::A;
use uuid::Uuid;

use super::toast::toasts;
use crate::auth::Me;
use crate::channels::{Channel, ChannelKind};
use crate::widgets::Avatar;

/// The sidebar for the signed-in member.
#[component]
pub fn Sidebar(me: Me, on_navigate: impl Fn() + Copy + Send + Sync + 'static) -> impl IntoView {
    let is_admin = me.role.is_admin();
    let nav = move |_| on_navigate();
    let switcher = expect_context::<super::switcher::SwitcherOpen>().0;
    view! {
        <aside class="sidebar" aria-label="Workspace navigation">
            <WorkspaceSwitcher current=me.workspace_name.clone() workspace=me.workspace_id/>
            <button class="jump-btn" aria-keyshortcuts="Control+K"
                on:click=move |_| switcher.set(true)>
                <span>"Jump to…"</span><kbd>"Ctrl K"</kbd>
            </button>
            <nav class="nav">
                <A href="/" exact=true on:click=nav>"Home"</A>
                <A href="/threads" on:click=nav>"Threads"</A>
                <A href="/search" on:click=nav>"Search"</A>
                <A href="/people" on:click=nav>"People"</A>
                {is_admin.then(|| view! { <A href="/admin" on:click=nav>"Admin"</A> })}
                <A href="/settings/profile" on:click=nav>"Profile"</A>
                <A href="/settings/account" on:click=nav>"Account"</A>
                <A href="/settings/preferences" on:click=nav>"Preferences"</A>
                <A href="/settings/tokens" on:click=nav>"API tokens"</A>
            </nav>
            <ConversationNav on_navigate=on_navigate/>
            <div class="sidebar-spacer"></div>
            <UserMenu me=me/>
        </aside>
    }
}

/// The caller's channels and direct messages, unread ones in bold with
/// mention badges, as in Slack.
#[component]
fn ConversationNav(on_navigate: impl Fn() + Copy + Send + Sync + 'static) -> impl IntoView {
    let convs = crate::shell::context::use_convs();
    let notify = use_context::<crate::notify::state::NotifyState>();
    let item = move |c: Channel| {
        let href = format!("/c/{}", c.id);
        let icon = match c.kind {
            ChannelKind::Public => "#",
            ChannelKind::Private => "🔒",
            _ => "●",
        };
        // Muted: never bold (a mention still shows its badge), as in Slack.
        let muted = notify.is_some_and(|n| n.muted(c.id));
        let unread = !muted && (c.has_unread || c.mention_count > 0);
        let class = match (unread, muted) {
            (true, _) => "conv unread",
            (false, true) => "conv muted-conv",
            (false, false) => "conv",
        };
        let label = if c.kind.is_dm() { c.display_name.clone() } else { c.name.clone().unwrap_or_default() };
        let badge = (c.mention_count > 0).then(|| {
            let n = if c.mention_count >= 100 { "99+".to_string() } else { c.mention_count.to_string() };
            let aria = format!("{} mention{}", c.mention_count, if c.mention_count == 1 { "" } else { "s" });
            view! { <span class="badge-count" aria-label=aria>{n}</span> }
        });
        view! {
            <li>
                <A href=href attr:class=class on:click=move |_| on_navigate()>
                    {match (c.kind.is_dm(), c.users.as_slice()) {
                        (true, [other]) => view! { <span class="conv-icon"><crate::realtime::ui::PresenceDot user=*other/></span> }.into_any(),
                        _ => view! { <span class="conv-icon" aria-hidden="true">{icon}</span> }.into_any(),
                    }}
                    <span class="conv-name">{label}</span>
                    {muted.then(|| view! { <span class="conv-muted" role="img" title="Muted" aria-label="muted">"🔕"</span> })}
                    {badge}
                </A>
            </li>
        }
    };
    // No Transition of its own: the sidebar is already inside the shell's,
    // which waits for this resource too. (A Transition created here, in a
    // branch that appears only once "who am I" resolves, would be created in a
    // different order on the server and in the browser and break hydration.)
    view! {
        {move || match convs.list.get() {
                None => view! { <p class="muted small conv-loading">"Loading conversations…"</p> }.into_any(),
                Some(Err(e)) => view! { <p class="sidebar-error" role="alert">{e.detail()}</p> }.into_any(),
                Some(Ok(page)) => {
                    let (mut dms, mut chans): (Vec<Channel>, Vec<Channel>) = page.data.channels.into_iter()
                        .filter(|c| !c.is_archived)
                        .partition(|c| c.kind.is_dm());
                    chans.sort_by(|a, b| a.name.cmp(&b.name));
                    dms.sort_by_key(|c| c.display_name.to_lowercase());
                    view! {
                        <nav class="convs" aria-label="Channels">
                            <div class="convs-head">
                                <h2>"Channels"</h2>
                                <A href="/channels" attr:class="icon-btn" attr:title="Browse or create channels"
                                    attr:aria-label="Browse or create channels" on:click=move |_| on_navigate()>"+"</A>
                            </div>
                            {if chans.is_empty() {
                                view! { <p class="muted small conv-empty">"No channels yet."</p> }.into_any()
                            } else {
                                view! { <ul>{chans.into_iter().map(item).collect_view()}</ul> }.into_any()
                            }}
                        </nav>
                        <nav class="convs" aria-label="Direct messages">
                            <div class="convs-head">
                                <h2>"Direct messages"</h2>
                                <A href="/dms/new" attr:class="icon-btn" attr:title="New message"
                                    attr:aria-label="New direct message" on:click=move |_| on_navigate()>"+"</A>
                            </div>
                            {if dms.is_empty() {
                                view! { <p class="muted small conv-empty">"No direct messages yet."</p> }.into_any()
                            } else {
                                view! { <ul>{dms.into_iter().map(item).collect_view()}</ul> }.into_any()
                            }}
                        </nav>
                    }.into_any()
                }
        }}
    }
}

/// The workspace name; opens a menu of the account's other workspaces.
#[component]
fn WorkspaceSwitcher(current: String, workspace: Uuid) -> impl IntoView {
    let live = expect_context::<crate::realtime::ui::Live>();
    let open = RwSignal::new(false);
    // An action, not a resource: the list is fetched only when the menu opens,
    // in the browser, so it never takes part in server-side rendering (a
    // resource created here, after "who am I" resolves, would shift the ids
    // of the page's own resources between server and browser).
    let list =
        Action::new(|_: &()| async { crate::workspaces::api::list().await.map(|r| r.data.workspaces) });
    let toasts = toasts();
    let switch = Action::new(move |id: &Uuid| {
        let id = *id;
        async move {
            match crate::workspaces::api::switch(id).await {
                Ok(_) => {
                    #[cfg(feature = "hydrate")]
                    let _ = window().location().assign("/");
                }
                Err(e) => toasts.error(&e),
            }
        }
    });
    view! {
        <div class="ws-switcher">
            <button class="ws-name" aria-haspopup="menu" aria-expanded=move || open.get().to_string()
                on:click=move |_| {
                    if !open.get_untracked() {
                        list.dispatch(());
                    }
                    open.update(|o| *o = !*o);
                }>
                <img class="ws-icon" alt="" width="28" height="28"
                    src=move || crate::workspaces::icon_src(workspace, live.icon_version.get())/>
                <span>{current}</span><span aria-hidden="true">" ▾"</span>
            </button>
            <Show when=move || open.get()>
                <div class="menu" role="menu">
                    {move || match list.value().get() {
                        None => view! { <p class="menu-item muted">"Loading…"</p> }.into_any(),
                        Some(r) => match r {
                            Ok(ws) => ws.into_iter().map(|w| {
                                let id = w.id;
                                view! {
                                    <button role="menuitem" class="menu-item" class:current=w.is_current
                                        disabled=w.is_current on:click=move |_| { switch.dispatch(id); }>
                                        <img class="ws-icon small" alt="" width="20" height="20"
                                            src=crate::workspaces::icon_src(id, 0)/>
                                        <span>{w.name}</span>
                                        <span class="muted small">{w.role.as_str()}</span>
                                    </button>
                                }
                            }).collect_view().into_any(),
                            Err(e) => view! { <p class="menu-item">{e.detail()}</p> }.into_any(),
                        },
                    }}
                    <a class="menu-item" role="menuitem" href="/signup">"+ Create a new workspace"</a>
                </div>
            </Show>
        </div>
    }
}

/// The signed-in member, theme choice and sign-out.
#[component]
fn UserMenu(me: Me) -> impl IntoView {
    let theme = RwSignal::new(String::from("system"));
    Effect::new(move || theme.set(super::theme::saved()));
    let set_theme = move |t: String| {
        super::theme::apply(&t);
        theme.set(t);
    };
    view! {
        <div class="user-menu">
            <Avatar id=me.user_id name=me.display_name.clone()/>
            <div class="user-meta">
                <strong class="user-name">{me.display_name.clone()}</strong>
                <span class="muted small">{me.role.as_str()}" · "{me.email.clone()}</span>
            </div>
            <label class="sr-only" for="theme">"Theme"</label>
            <select id="theme" class="theme-select" title="Theme"
                on:change=move |ev| set_theme(event_target_value(&ev))
                prop:value=move || theme.get()>
                <option value="system">"System theme"</option>
                <option value="light">"Light"</option>
                <option value="dark">"Dark"</option>
            </select>
            <super::pwa::InstallButton/>
            <form method="post" action="/logout">
                <button type="submit" class="btn subtle">"Sign out"</button>
            </form>
        </div>
    }
}
