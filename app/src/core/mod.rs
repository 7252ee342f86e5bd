//! The write path and the rules every domain shares.
//!
//! - [`ctx`]: what an action needs from the server (the pool and the event
//!   publisher), built the same way from a Leptos server function, an axum
//!   route, a background job or a test.
//! - [`tx`]: the transaction wrapper. An action writes through a [`tx::Tx`],
//!   `emit`s the events that describe its change, and `commit` publishes them
//!   once Postgres has the change, in a task the HTTP client cannot cancel.
//!   `Tx::commit` is the only place that publishes what a write did.
//! - [`catalog`]: every API method, as emitting, silent or read-only.
//! - [`policy`]: who may do what to a channel, compiled for the server and the
//!   browser alike, so the UI hides exactly what the server refuses.
//! - [`rules`]: the restrictions a workspace's admins chose, which the policy
//!   takes as an argument.
//! - [`text`]: characters that make names lie (direction overrides,
//!   invisible spaces).

pub mod catalog;
#[cfg(feature = "ssr")]
pub mod ctx;
pub mod policy;
pub mod rules;
pub mod text;
#[cfg(feature = "ssr")]
pub mod tx;
