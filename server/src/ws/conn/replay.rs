//! The replay that makes `resume` gap-free: every message a channel gained
//! after the client's seq, from Postgres, oldest first, bounded so that a
//! client far behind reloads instead (see the parent module).

use std::collections::HashMap;

use app::realtime::{Control, Event};
use uuid::Uuid;

use super::{Conn, Exit, MAX_REPLAY, REPLAY_PAGE};

impl Conn {
    /// Sends what each channel gained after the client's seq, oldest first;
    /// a client that resumes again too soon (`Budget::resume`), or lacks
    /// more than [`MAX_REPLAY`] messages, must resync instead.
    pub(super) async fn replay(&mut self, since: HashMap<Uuid, i64>) -> Result<(), Exit> {
        if !self.budget.resume() {
            return Err(Exit::Resync);
        }
        let since: HashMap<Uuid, i64> =
            since.into_iter().filter(|(c, _)| self.channels.contains(c)).collect();
        if self.missing(&since).await? > MAX_REPLAY {
            return Err(Exit::Resync);
        }
        let mut replayed = 0u64;
        for (channel, mut after) in since {
            if !self.channels.contains(&channel) {
                continue;
            }
            loop {
                let page =
                    app::messages::queries::replay(&self.st.db, &self.actor, channel, after, REPLAY_PAGE)
                        .await
                        .map_err(|_| Exit::Close(1011, "server_error"))?;
                let n = page.len() as i64;
                for message in page {
                    after = message.seq;
                    replayed += 1;
                    self.send_json(&Event::MessageCreated { message }).await.map_err(|_| Exit::Gone)?;
                }
                self.replayed.insert(channel, after);
                if n < REPLAY_PAGE {
                    break;
                }
            }
        }
        self.send_json(&Control::Resumed { replayed }).await.map_err(|_| Exit::Gone)
    }

    /// How many messages the client lacks in these channels.
    pub(super) async fn missing(&self, since: &HashMap<Uuid, i64>) -> Result<i64, Exit> {
        if since.is_empty() {
            return Ok(0);
        }
        let (channels, after): (Vec<Uuid>, Vec<i64>) = since.iter().map(|(c, s)| (*c, *s)).unzip();
        sqlx::query_scalar::<_, i64>(
            "select coalesce(sum(greatest(c.last_seq - s.after, 0)), 0)::int8
               from unnest($1::uuid[], $2::int8[]) s(channel_id, after) join channel c using (channel_id)",
        )
        .bind(channels)
        .bind(after)
        .fetch_one(&self.st.db)
        .await
        .map_err(|_| Exit::Close(1011, "server_error"))
    }
}
