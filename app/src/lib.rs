//! ThreadSpace's UI, server functions and shared types.
//!
//! Compiled twice: with `ssr` into the server (pages render on the server and
//! server functions run there) and with `hydrate` into the WASM bundle (the
//! same components take over the server-rendered page). Each domain has its
//! own folder: `mod.rs` holds the shared types, `api.rs` the `#[server]`
//! functions (the Web API), `server.rs` the ssr-only actions and queries, and
//! `ui.rs` the components.

#![recursion_limit = "256"]

pub mod admin;
pub mod api;
pub mod auth;
pub mod channels;
pub mod core;
#[cfg(feature = "ssr")]
pub mod db;
pub mod error;
pub mod exports;
pub mod files;
#[cfg(feature = "ssr")]
pub mod fuzzing;
pub mod imports;
pub mod invites;
#[cfg(feature = "ssr")]
pub mod mail;
pub mod messages;
pub mod notify;
#[cfg(feature = "ssr")]
pub mod ratelimit;
pub mod realtime;
pub mod retention;
pub mod search;
pub mod shell;
#[cfg(feature = "ssr")]
pub mod state;
pub mod threads;
pub mod tokens;
pub mod users;
pub mod widgets;
pub mod workspaces;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, Link, Meta, MetaTags, Stylesheet, Title};
use leptos_router::{
    components::{ParentRoute, Route, Router, Routes},
    path,
};

/// Sets the theme before first paint from the saved choice (or the system
/// setting), so dark-mode users never see a white flash.
const THEME_BOOT: &str = "try{var t=localStorage.getItem('ts-theme');if(t==='dark'||t==='light'){document.documentElement.dataset.theme=t}}catch(e){}";

/// This response's CSP nonce (server side; the browser has none).
#[cfg(feature = "ssr")]
fn nonce() -> Option<leptos::nonce::Nonce> {
    leptos::nonce::use_nonce()
}
#[cfg(not(feature = "ssr"))]
fn nonce() -> Option<String> {
    None
}

/// The HTML document around the app, rendered on the server, with its
/// Content Security Policy (`shell::csp`).
pub fn shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    shell::csp::set_for_page(leptos::nonce::use_nonce().as_ref());
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <meta name="color-scheme" content="light dark"/>
                <script nonce=nonce()>{THEME_BOOT}</script>
                // Registers the service worker (public/pwa.js, shell/pwa.rs).
                <script src="/pwa.js" defer=true nonce=nonce()></script>
                <AutoReload options=options.clone()/>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

/// The root component: routes to pages.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    shell::toast::provide_toasts();
    // The unread count in the tab title (kept by the shell).
    let count = RwSignal::new(0i64);
    provide_context(notify::state::TitleCount(count));
    view! {
        <Stylesheet id="leptos" href="/pkg/threadspace.css"/>
        <Link rel="manifest" href="/manifest.webmanifest"/>
        <Link rel="icon" href="/icon.svg" type_="image/svg+xml"/>
        <Link rel="apple-touch-icon" href="/icons/apple-touch-icon.png"/>
        <Meta name="apple-mobile-web-app-capable" content="yes"/>
        <Meta name="mobile-web-app-capable" content="yes"/>
        <Meta name="apple-mobile-web-app-title" content="ThreadSpace"/>
        <Meta name="apple-mobile-web-app-status-bar-style" content="black-translucent"/>
        <Meta name="theme-color" content="#3f0e40"/>
        <Meta name="description" content="ThreadSpace: fast, simple team chat."/>
        <Title formatter=move |t: String| notify::state::format_title(count, t)/>
        <Router>
            <Routes fallback=shell::NotFound>
                <Route path=path!("/login") view=auth::ui::LoginPage/>
                <Route path=path!("/signup") view=auth::ui::SignupPage/>
                <Route path=path!("/forgot") view=auth::reset_ui::ForgotPage/>
                <Route path=path!("/reset/:token") view=auth::reset_ui::ResetPage/>
                <Route path=path!("/invite/:token") view=invites::ui::AcceptInvitePage/>
                <ParentRoute path=path!("") view=shell::Shell>
                    <Route path=path!("") view=shell::HomePage/>
                    <Route path=path!("people") view=users::ui::PeoplePage/>
                    <Route path=path!("threads") view=threads::ui::ThreadsPage/>
                    <Route path=path!("search") view=search::ui::SearchPage/>
                    <Route path=path!("channels") view=channels::ui::BrowseChannelsPage/>
                    <Route path=path!("dms/new") view=channels::dm_ui::NewDmPage/>
                    <Route path=path!("c/:channel") view=messages::ui::ChannelPage/>
                    <Route path=path!("c/:channel/:seq") view=messages::ui::ChannelPage/>
                    <Route path=path!("admin") view=admin::ui::OverviewPage/>
                    <Route path=path!("admin/members") view=admin::ui::MembersPage/>
                    <Route path=path!("admin/members/:id") view=admin::ui::MemberPage/>
                    <Route path=path!("admin/audit-log") view=admin::ui::AuditLogPage/>
                    <Route path=path!("admin/channels") view=admin::ui::ChannelsPage/>
                    <Route path=path!("admin/settings") view=admin::ui::SettingsPage/>
                    <Route path=path!("admin/retention") view=retention::ui::RetentionPage/>
                    <Route path=path!("admin/export") view=exports::ui::ExportPage/>
                    <Route path=path!("admin/import") view=imports::ui::ImportPage/>
                    <Route path=path!("admin/invites") view=invites::ui::InvitesPage/>
                    <Route path=path!("settings/account") view=auth::account_ui::AccountPage/>
                    <Route path=path!("settings/profile") view=users::settings_ui::ProfileSettingsPage/>
                    <Route path=path!("settings/preferences") view=users::preferences_ui::PreferencesPage/>
                    <Route path=path!("settings/tokens") view=tokens::ui::TokensPage/>
                </ParentRoute>
            </Routes>
        </Router>
        <shell::toast::Toasts/>
    }
}
