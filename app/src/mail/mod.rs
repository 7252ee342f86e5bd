//! Outgoing mail: queued in Postgres by the action that decides to send it
//! ([`outbox::queue`], inside its transaction), sent by a background worker
//! ([`worker::Mailer`]) over SMTP with retries. A slow or failing mail
//! server never holds up a request, and a restart loses nothing: unsent rows
//! stay queued. Without `THREADSPACE_SMTP_URL` the worker writes each mail
//! to the server log instead, so an operator can pass on a reset link.

pub mod outbox;
pub mod worker;
