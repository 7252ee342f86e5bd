//! [`Tx`]: a Postgres transaction that carries the events of its change.
//!
//! Actions call [`Tx::emit`] with what they wrote (from `returning`, never
//! read back), and [`Tx::commit`] publishes those events only after the
//! commit succeeded, so no event ever announces something that rolled back.
//! A transaction dropped without a commit rolls back and announces nothing.
//!
//! Every event of a channel goes out stamped with the channel's seq as this
//! transaction saw it, so that a client can tell it missed a message (see
//! [`crate::realtime::Stamped`]). A send already holds its message's seq;
//! other changes read it with one indexed lookup before the commit.
//!
//! The commit and the publishing run in their own task: if the HTTP client
//! hangs up while the commit is in flight, the request future is dropped,
//! but the task still commits and still publishes. A stored message is
//! therefore always announced (publishing itself never waits on Redis; see
//! `realtime::bus`).

use std::collections::HashMap;
use std::ops::{Deref, DerefMut};
use std::sync::Arc;

use sqlx::{PgConnection, PgPool, Postgres, Transaction};
use uuid::Uuid;

use crate::error::{AppError, AppResult};
use crate::realtime::bus::{EventBus, Topic};
use crate::realtime::{Event, Stamped};

/// A transaction plus the events to publish when it commits.
pub struct Tx {
    inner: Transaction<'static, Postgres>,
    events: Vec<(Topic, Event)>,
    bus: Arc<dyn EventBus>,
}

impl Tx {
    pub(super) async fn begin(db: &PgPool, bus: Arc<dyn EventBus>) -> AppResult<Tx> {
        Ok(Tx { inner: db.begin().await?, events: Vec::new(), bus })
    }

    /// Queues an event for `topic`, published after the commit.
    pub fn emit(&mut self, topic: Topic, event: Event) {
        self.events.push((topic, event));
    }

    /// Queues an event for everyone in a channel.
    pub fn emit_to_channel(&mut self, channel: Uuid, event: Event) {
        self.emit(Topic::Channel(channel), event);
    }

    /// The events queued so far (for tests and for actions that say whether
    /// they changed anything).
    pub fn events(&self) -> &[(Topic, Event)] {
        &self.events
    }

    /// Commits, then publishes the queued events in order. Runs to the end
    /// even when the caller's future is dropped halfway.
    pub async fn commit(self) -> AppResult<()> {
        let Tx { mut inner, events, bus } = self;
        let task = tokio::spawn(async move {
            let seqs = channel_seqs(&mut inner, &events).await?;
            inner.commit().await?;
            for (topic, event) in events {
                let channel_seq = match topic {
                    Topic::Channel(c) => seqs.get(&c).copied(),
                    _ => None,
                };
                bus.publish(topic, &Stamped { event, channel_seq });
            }
            Ok::<_, AppError>(())
        });
        task.await.map_err(|e| {
            tracing::error!(error = %e, "the commit task failed");
            AppError::Internal
        })?
    }
}

/// The seq of every channel the events are about, as the transaction sees
/// it: a new message's own seq (the transaction holds the channel's row
/// since it took that seq), else the channel's `last_seq`.
async fn channel_seqs(conn: &mut PgConnection, events: &[(Topic, Event)]) -> AppResult<HashMap<Uuid, i64>> {
    let mut seqs = HashMap::new();
    let mut unknown = Vec::new();
    for (_, event) in events {
        if let Event::MessageCreated { message } = event {
            let s = seqs.entry(message.channel).or_insert(message.seq);
            *s = (*s).max(message.seq);
        }
    }
    for (topic, _) in events {
        if let Topic::Channel(c) = topic {
            if !seqs.contains_key(c) && !unknown.contains(c) {
                unknown.push(*c);
            }
        }
    }
    if !unknown.is_empty() {
        let rows: Vec<(Uuid, i64)> =
            sqlx::query_as("select channel_id, last_seq from channel where channel_id = any($1)")
                .bind(&unknown)
                .fetch_all(&mut *conn)
                .await?;
        seqs.extend(rows);
    }
    Ok(seqs)
}

impl Deref for Tx {
    type Target = PgConnection;
    fn deref(&self) -> &PgConnection {
        &self.inner
    }
}

impl DerefMut for Tx {
    fn deref_mut(&mut self) -> &mut PgConnection {
        &mut self.inner
    }
}
