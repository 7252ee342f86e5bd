//! Queueing a mail: one row, written in the caller's transaction, so a mail
//! is sent exactly when the change that asked for it committed.

use sqlx::PgConnection;

use crate::error::AppResult;

/// One plain-text mail.
#[derive(Debug, Clone)]
pub struct Mail {
    pub to: String,
    pub subject: String,
    pub body: String,
    /// What it is for (`password_reset`), for logs and tests.
    pub kind: &'static str,
}

/// Queues `mail`; the worker picks it up within a second or so.
pub async fn queue(conn: &mut PgConnection, mail: &Mail) -> AppResult<i64> {
    let id = sqlx::query_scalar(
        "insert into mail_outbox (to_email, subject, body_text, kind) values ($1, $2, $3, $4) returning mail_id",
    )
    .bind(&mail.to)
    .bind(&mail.subject)
    .bind(&mail.body)
    .bind(mail.kind)
    .fetch_one(conn)
    .await?;
    Ok(id)
}
