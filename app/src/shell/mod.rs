//! The app shell in the style of Slack: a sidebar (workspace switcher,
//! navigation, user menu), the main pane, and a right-hand detail pane.
//!
//! The shell loads "who am I" once (`auth.test`) and shares it through
//! context; pages inside it read [`MeCtx`] instead of asking again.

pub mod sidebar;
pub mod toast;

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::{Outlet, A};
use uuid::Uuid;

use crate::auth::Me;

/// The signed-in member, loaded by the shell.
#[derive(Clone, Copy)]
pub struct MeCtx(pub Signal<Option<Me>>);

/// What the right-hand pane shows.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Detail {
    Member(Uuid),
}

/// The right-hand pane's content; `None` closes it.
#[derive(Clone, Copy)]
pub struct DetailCtx(pub RwSignal<Option<Detail>>);

/// The signed-in member (inside the shell).
pub fn use_me() -> Signal<Option<Me>> {
    expect_context::<MeCtx>().0
}

/// The shell around every signed-in page. It waits for "who am I" before
/// rendering anything, so every page inside can read [`use_me`] directly.
#[component]
pub fn Shell() -> impl IntoView {
    let me = Resource::new(|| (), |_| async { crate::auth::api::test().await });
    view! {
        <Suspense fallback=|| view! { <div class="app-loading" aria-busy="true">"Loading…"</div> }>
            // `get()`, not `Suspend`: the closure may run more than once while the
            // resource is pending, and only the resolved run may create the layout
            // (whose pages own resources of their own).
            {move || me.get().map(|r| {
                match r {
                    Ok(reply) => view! { <Layout me=reply.data/> }.into_any(),
                    Err(e) => view! {
                        <div class="auth-page"><div class="auth-card">
                            <h1>"Something went wrong"</h1>
                            <p class="form-banner" role="alert">{e.detail()}</p>
                            <a class="btn primary" href="/login">"Sign in again"</a>
                        </div></div>
                    }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// The three-pane layout for a signed-in member.
#[component]
fn Layout(me: Me) -> impl IntoView {
    provide_context(MeCtx(Signal::stored(Some(me.clone()))));
    let detail = RwSignal::new(None::<Detail>);
    provide_context(DetailCtx(detail));
    let nav_open = RwSignal::new(false);

    // Esc closes the detail pane and the mobile menu, as in Slack.
    #[cfg(feature = "hydrate")]
    {
        let handle = window_event_listener(leptos::ev::keydown, move |ev| {
            if ev.key() == "Escape" {
                detail.set(None);
                nav_open.set(false);
            }
        });
        on_cleanup(move || handle.remove());
    }

    let workspace_name = me.workspace_name.clone();
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
                <span class="topbar-title">{workspace_name}</span>
            </header>
            <sidebar::Sidebar me=me on_navigate=move || nav_open.set(false)/>
            <div class="scrim" on:click=move |_| nav_open.set(false)></div>
            <main id="main" class="main" tabindex="-1">
                <Outlet/>
            </main>
            <aside class="detail" aria-label="Details">
                {move || detail.get().map(|d| match d {
                    Detail::Member(id) => view! { <crate::users::ui::MemberProfile id=id/> },
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
            <section class="welcome">
                <h2>{move || me.get().map(|m| format!("Welcome to {}, {}!", m.workspace_name, m.display_name))}</h2>
                <p class="muted">"This is your workspace. Here is what you can do next:"</p>
                <div class="cards">
                    <Show when=move || me.get().is_some_and(|m| m.role.is_admin())>
                        <A href="/admin/invites" attr:class="card">
                            <strong>"Invite your team"</strong>
                            <span class="muted">"Create a link that lets people join."</span>
                        </A>
                    </Show>
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
