//! The mail worker: every second, takes the due rows of `mail_outbox`
//! (`for update skip locked`, so several nodes share the work without
//! sending anything twice), sends them, and marks each sent or schedules a
//! retry with exponential backoff (30 s doubling to an hour; after 12
//! failures the row is left with its last error for an operator).

use std::sync::Arc;
use std::time::Duration;

use lettre::message::Mailbox;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use sqlx::PgPool;

/// Attempts before a mail is given up on.
const MAX_ATTEMPTS: i32 = 12;
/// Mails taken per round.
const BATCH: i64 = 20;
/// Longest one SMTP conversation may take.
const SEND_TIMEOUT: Duration = Duration::from_secs(30);

/// Sends queued mail over SMTP, or to the log when SMTP is not configured.
pub struct Mailer {
    transport: Option<AsyncSmtpTransport<Tokio1Executor>>,
    from: Mailbox,
}

/// Seconds before retry number `attempts` (1-based): 30 s doubling, at most an hour.
pub fn backoff_secs(attempts: i32) -> i64 {
    (30i64 << (attempts.clamp(1, 8) - 1)).min(3600)
}

impl Mailer {
    /// `smtp_url` as lettre reads it: `smtp://host:25`, `smtp://user:pass@host:587?tls=required`,
    /// `smtps://host`. `from` is a mailbox: `ThreadSpace <noreply@example.com>`.
    pub fn new(smtp_url: Option<&str>, from: &str) -> Result<Mailer, String> {
        let from: Mailbox = from.parse().map_err(|e| format!("THREADSPACE_MAIL_FROM `{from}`: {e}"))?;
        let transport = match smtp_url {
            Some(url) => Some(
                AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                    .map_err(|e| format!("THREADSPACE_SMTP_URL: {e}"))?
                    .timeout(Some(SEND_TIMEOUT))
                    .build(),
            ),
            None => None,
        };
        Ok(Mailer { transport, from })
    }

    /// Whether mail leaves this server (else it goes to the log).
    pub fn configured(&self) -> bool {
        self.transport.is_some()
    }

    /// Starts the worker loop.
    pub fn start(self: Arc<Self>, db: PgPool) {
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(1));
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                match self.round(&db).await {
                    Ok(n) if n == BATCH as usize => tick.reset_immediately(),
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "mail worker round failed"),
                }
            }
        });
    }

    /// Sends what is due; returns how many rows it handled.
    pub async fn round(&self, db: &PgPool) -> Result<usize, sqlx::Error> {
        let mut tx = db.begin().await?;
        let due: Vec<(i64, String, String, String, String, i32)> = sqlx::query_as(
            "select mail_id, to_email, subject, body_text, kind, attempts from mail_outbox
              where sent_at is null and next_attempt_at <= now()
              order by mail_id limit $1 for update skip locked",
        )
        .bind(BATCH)
        .fetch_all(&mut *tx)
        .await?;
        for (id, to, subject, body, kind, attempts) in &due {
            match self.send(to, subject, body).await {
                Ok(()) => {
                    sqlx::query(
                        "update mail_outbox set sent_at = now(), attempts = attempts + 1 where mail_id = $1",
                    )
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                    tracing::info!(mail = id, kind, "mail sent");
                }
                Err(e) => {
                    let n = attempts + 1;
                    let next = if n >= MAX_ATTEMPTS { None } else { Some(backoff_secs(n)) };
                    sqlx::query(
                        "update mail_outbox set attempts = $2, last_error = $3,
                                next_attempt_at = case when $4::bigint is null then 'infinity'
                                                       else now() + make_interval(secs => $4::bigint) end
                          where mail_id = $1",
                    )
                    .bind(id)
                    .bind(n)
                    .bind(e.chars().take(500).collect::<String>())
                    .bind(next)
                    .execute(&mut *tx)
                    .await?;
                    tracing::warn!(mail = id, kind, attempt = n, error = %e, "sending mail failed");
                }
            }
        }
        tx.commit().await?;
        Ok(due.len())
    }

    async fn send(&self, to: &str, subject: &str, body: &str) -> Result<(), String> {
        let Some(transport) = &self.transport else {
            tracing::info!(%to, %subject, "email is not configured (THREADSPACE_SMTP_URL); the mail follows\n{body}");
            return Ok(());
        };
        let to: Mailbox = to.parse().map_err(|e| format!("bad recipient: {e}"))?;
        let msg = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(subject)
            .body(body.to_string())
            .map_err(|e| e.to_string())?;
        transport.send(msg).await.map(|_| ()).map_err(|e| e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_to_an_hour() {
        assert_eq!(backoff_secs(1), 30);
        assert_eq!(backoff_secs(2), 60);
        assert_eq!(backoff_secs(7), 1920);
        assert_eq!(backoff_secs(8), 3600);
        assert_eq!(backoff_secs(11), 3600);
    }
}
