//! The Meilisearch backend (typo tolerance and prefix search out of the
//! box), used when `MEILI_URL` is set and a reindex has filled the index.
//!
//! Postgres stays the system of record: [`indexer`] feeds the index from a
//! transactional outbox, one writer at a time, and every hit is checked
//! against Postgres before it is shown ([`client`]); [`reindex`] rebuilds
//! the whole index by swap, or one workspace in place, without search ever
//! coming back empty.

pub mod client;
pub mod indexer;
pub mod phrases;
pub mod reindex;
pub mod settings;

pub use client::{doc_id, docs_for, filter, supports, Doc, Error, Meili, DEFAULT_INDEX};
pub use indexer::{set_outbox, setting, Setting, BEHIND_ROWS, INDEX_LOCK};
pub use settings::FILTERABLE;
