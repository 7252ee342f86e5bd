//! The app shell in the style of Slack: a sidebar (workspace switcher,
//! navigation, user menu), the main pane, and a right-hand detail pane.
//!
//! The shell loads "who am I" once (`auth.test`) and shares the resource
//! through context; pages inside it read [`use_me`] instead of asking again.

pub mod context;
pub mod csp;
pub mod pwa;
pub mod sidebar;
pub mod switcher;
pub mod theme;
pub mod toast;

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::{Outlet, A};

use context::{use_me, ConvsCtx, Detail, DetailCtx, MeCtx, MeResource};

/// The three-pane layout around every signed-in page.
///
/// The layout itself renders at once; only the parts that show who is signed
/// in wait for `auth.test`, each in its own `Transition`. (Rendering the whole
/// layout inside one `Suspense` made the server render pages twice, each time
/// with fresh resources, and hydration then picked up the wrong ones.)
#[component]
pub fn Shell() -> impl IntoView {
    let me: MeResource = Resource::new(|| (), |_| async { crate::auth::api::test().await });
    provide_context(MeCtx(me));
    let version = RwSignal::new(0u32);
    let convs = Resource::new(move || version.get(), |_| async { crate::channels::api::mine().await });
    provide_context(ConvsCtx { list: convs, version });
    let current = crate::messages::ui::CurrentFeed(RwSignal::new(None));
    provide_context(current);
    let live = crate::realtime::ui::Live::provide();
    let notify = crate::notify::state::NotifyState::provide();
    crate::messages::ui::time_fmt::provide_clock();
    // The workspace's name and rules come with "who am I": reload it when
    // an admin changes them.
    live.listen(Callback::new(move |ev: crate::realtime::Event| {
        if matches!(ev, crate::realtime::Event::WorkspaceUpdated { .. }) {
            me.refetch();
        }
    }));
    #[cfg(feature = "hydrate")]
    {
        let ctx = crate::realtime::client::Ctx {
            live,
            current,
            convs: ConvsCtx { list: convs, version },
            toasts: toast::toasts(),
        };
        // Effects run only in the browser, after hydration.
        Effect::new(move |_| crate::realtime::client::start(ctx));
        Effect::new(move |_| {
            leptos::task::spawn_local(async move {
                if let Ok(r) = crate::users::api::statuses().await {
                    live.statuses.set(r.data.statuses.into_iter().map(|s| (s.user, s.status)).collect());
                }
            });
        });
    }
    let detail = RwSignal::new(None::<Detail>);
    provide_context(DetailCtx(detail));
    #[cfg(feature = "hydrate")]
    crate::notify::browser::start(crate::notify::browser::Ctx {
        state: notify,
        live,
        me,
        convs: ConvsCtx { list: convs, version },
        current,
        detail: DetailCtx(detail),
        title: use_context::<crate::notify::state::TitleCount>(),
    });
    #[cfg(not(feature = "hydrate"))]
    let _ = notify;
    let nav_open = RwSignal::new(false);
    let switcher = RwSignal::new(false);
    provide_context(switcher::SwitcherOpen(switcher));

    // Esc closes the detail pane and the mobile menu, as in Slack.
    #[cfg(feature = "hydrate")]
    {
        let handle = window_event_listener(leptos::ev::keydown, move |ev| {
            if ev.key() == "Escape" {
                detail.set(None);
                nav_open.set(false);
                switcher.set(false);
            }
            if (ev.ctrl_key() || ev.meta_key()) && ev.key().eq_ignore_ascii_case("k") {
                ev.prevent_default();
                switcher.update(|o| *o = !*o);
            }
        });
        on_cleanup(move || handle.remove());
    }

    view! {
        <div class="app" class:nav-open=move || nav_open.get() class:detail-open=move || detail.get().is_some()>
            <a class="skip-link" href="#main">"Skip to content"</a>
            <header class="topbar">
                <button
                    class="icon-btn nav-toggle"
                    aria-label="Open navigation"
                    aria-expanded=move || nav_open.get().to_string()
                    on:click=move |_| nav_open.update(|o| *o = !*o)
                >
                    "☰"
                </button>
                <span class="topbar-title">
                    <Transition>
                        {move || me.get().and_then(|r| r.ok()).map(|r| r.data.workspace_name)}
                    </Transition>
                </span>
                // The header's search box, as in Slack: opens the switcher,
                // which suggests conversations, people and messages as you type.
                <button class="topbar-search" aria-label="Search or jump to (Ctrl+K)" aria-haspopup="dialog" aria-keyshortcuts="Control+K Meta+K"
                    on:click=move |_| switcher.set(true)>
                    <span aria-hidden="true" class="topbar-search-icon">
                        <svg viewBox="0 0 20 20" width="14" height="14" fill="none" stroke="currentColor" stroke-width="2">
                            <circle cx="8.5" cy="8.5" r="5.5"/><path d="m13 13 4.5 4.5" stroke-linecap="round"/>
                        </svg>
                    </span>
                    <span class="topbar-search-label">
                        "Search "
                        <Transition>
                            {move || me.get().and_then(|r| r.ok()).map(|r| r.data.workspace_name)}
                        </Transition>
                    </span>
                    <kbd class="topbar-kbd">"Ctrl K"</kbd>
                </button>
            </header>
            <Transition fallback=|| view! { <aside class="sidebar" aria-busy="true"></aside> }>
                {move || me.get().map(|r| match r {
                    Ok(reply) => view! { <sidebar::Sidebar me=reply.data on_navigate=move || nav_open.set(false)/> }.into_any(),
                    Err(e) => view! {
                        <aside class="sidebar">
                            <p class="sidebar-error" role="alert">{e.detail()}</p>
                            <a class="btn subtle" href="/login">"Sign in again"</a>
                        </aside>
                    }.into_any(),
                })}
            </Transition>
            <div class="scrim" on:click=move |_| nav_open.set(false)></div>
            <main id="main" class="main" tabindex="-1">
                <crate::realtime::ui::ConnectionBanner/>
                <pwa::UpdateBanner/>
                <Outlet/>
            </main>
            <switcher::QuickSwitcher open=switcher/>
            <aside class="detail" aria-label="Details">
                {move || detail.get().map(|d| match d {
                    Detail::Member(id) => view! { <crate::users::ui::MemberProfile id=id/> }.into_any(),
                    Detail::Thread(ch, seq) => view! { <crate::messages::ui::ThreadPane channel=ch seq=seq/> }.into_any(),
                    Detail::Channel(ch) => view! { <crate::channels::ui::ChannelDetails id=ch/> }.into_any(),
                    Detail::Files(ch) => view! { <crate::files::ui::FilesPane channel=ch/> }.into_any(),
                })}
            </aside>
        </div>
    }
}

/// The landing page inside a workspace.
#[component]
pub fn HomePage() -> impl IntoView {
    let me = use_me();
    view! {
        <Title text="Home"/>
        <div class="pane-header"><h1>"Home"</h1></div>
        <div class="pane-body">
            <Transition fallback=|| view! { <p class="muted" aria-busy="true">"Loading…"</p> }>
                {move || me.get().and_then(|r| r.ok()).map(|r| {
                    let m = r.data;
                    view! {
                        <section class="welcome">
                            <h2>{format!("Welcome to {}, {}!", m.workspace_name, m.display_name)}</h2>
                            <p class="muted">"This is your workspace. Here is what you can do next:"</p>
                            <div class="cards">
                                {m.role.is_admin().then(|| view! {
                                    <A href="/admin/invites" attr:class="card">
                                        <strong>"Invite your team"</strong>
                                        <span class="muted">"Create a link that lets people join."</span>
                                    </A>
                                })}
                                <A href="/people" attr:class="card">
                                    <strong>"Browse people"</strong>
                                    <span class="muted">"See who is in this workspace."</span>
                                </A>
                                <A href="/settings/tokens" attr:class="card">
                                    <strong>"Connect an integration"</strong>
                                    <span class="muted">"Create an API token for the Web API."</span>
                                </A>
                            </div>
                        </section>
                    }
                })}
            </Transition>
        </div>
    }
}

/// Shown for any unknown path.
#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(resp) = use_context::<leptos_axum::ResponseOptions>() {
        resp.set_status(http::StatusCode::NOT_FOUND);
    }
    view! {
        <Title text="Not found"/>
        <div class="auth-page">
            <div class="auth-card">
                <h1>"Page not found"</h1>
                <p class="muted">"There is nothing at this address."</p>
                <a class="btn primary" href="/">"Go home"</a>
            </div>
        </div>
    }
}
