//! What the shell shares with the pages inside it, through context: who is
//! signed in, the sidebar's conversations and what the right-hand pane
//! shows. A leaf module, so that pages import these without importing the
//! shell that imports the pages.

use leptos::prelude::*;
use uuid::Uuid;

use crate::auth::Me;

/// "Who am I" (`auth.test`), loaded once by the shell. Read it inside a
/// `Suspense`/`Transition` so server and browser render the same thing.
pub type MeResource = Resource<Result<crate::api::Reply<Me>, crate::error::AppError>>;

/// The signed-in member's resource, shared through context.
#[derive(Clone, Copy)]
pub struct MeCtx(pub MeResource);

/// What the right-hand pane shows.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Detail {
    Member(Uuid),
    /// A thread: channel and root seq (or any reply's seq).
    Thread(Uuid, i64),
    /// A channel's details and members.
    Channel(Uuid),
    /// A channel's shared files.
    Files(Uuid),
}

/// The right-hand pane's content; `None` closes it.
#[derive(Clone, Copy)]
pub struct DetailCtx(pub RwSignal<Option<Detail>>);

/// The caller's conversations with unread state (`users.conversations`),
/// loaded once by the shell for the sidebar; bump `version` to reload.
#[derive(Clone, Copy)]
pub struct ConvsCtx {
    pub list: ConvsResource,
    pub version: RwSignal<u32>,
}

/// The sidebar's conversations.
pub type ConvsResource =
    Resource<Result<crate::api::Reply<crate::channels::api::ChannelPage>, crate::error::AppError>>;

impl ConvsCtx {
    /// Reloads the sidebar's conversations (after joining, reading, …).
    pub fn refresh(&self) {
        self.version.update(|v| *v += 1);
    }
}

/// The conversations context of the shell.
pub fn use_convs() -> ConvsCtx {
    expect_context::<ConvsCtx>()
}

/// The signed-in member (inside the shell), once loaded.
pub fn use_me() -> MeResource {
    expect_context::<MeCtx>().0
}

/// "Who am I" as a signal that stays `None` until the page has hydrated and
/// then follows `auth.test`. For attributes outside a `Transition` (a class
/// that hides a control): the server and the hydrating browser start from
/// the same `None`, so hydration matches, and the browser updates the DOM
/// afterwards. (Reading the resource there directly renders the server's
/// "not loaded yet" and leaves it, because hydration assumes the DOM
/// already shows the browser's first value.)
pub fn use_me_after_hydration() -> ReadSignal<Option<Me>> {
    let me = use_me();
    let (get, set) = signal(None);
    Effect::new(move || set.set(me.get().and_then(|r| r.ok()).map(|r| r.data)));
    get
}
