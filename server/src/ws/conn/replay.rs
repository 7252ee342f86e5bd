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
        // Only the channels that gained something are read: at a reconnect
        // storm most have not, and one statement tells which.
        let behind = self.behind(&since).await?;
        if behind.iter().map(|(_, lag)| lag).sum::<i64>() > MAX_REPLAY {
            return Err(Exit::Resync);
        }
        let mut replayed = 0u64;
        // Live events up to what the client holds are already shown, replayed or not.
        for (channel, after) in &since {
            self.replayed.insert(*channel, *after);
        }
        for (channel, _) in behind {
            let mut after = since[&channel];
            loop {
                let page = app::messages::queries::replay(&self.db, &self.actor, channel, after, REPLAY_PAGE)
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

    /// The channels where the client lacks messages, and how many.
    pub(super) async fn behind(&self, since: &HashMap<Uuid, i64>) -> Result<Vec<(Uuid, i64)>, Exit> {
        if since.is_empty() {
            return Ok(Vec::new());
        }
        let (channels, after): (Vec<Uuid>, Vec<i64>) = since.iter().map(|(c, s)| (*c, *s)).unzip();
        sqlx::query_as::<_, (Uuid, i64)>(
            "select c.channel_id, c.last_seq - s.after
               from unnest($1::uuid[], $2::int8[]) s(channel_id, after) join channel c using (channel_id)
              where c.last_seq > s.after",
        )
        .bind(channels)
        .bind(after)
        .fetch_all(&self.db)
        .await
        .map_err(|_| Exit::Close(1011, "server_error"))
    }
}
