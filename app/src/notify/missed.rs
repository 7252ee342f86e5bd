//! Missed-message email: a DM or an @mention still unread when its delay is
//! up (15 minutes, or an hour, as the member chose), while the member has no
//! open tab anywhere, is mailed to them, a few messages to a mail.
//!
//! The send of such a message queues one `missed_outbox` row per reader in its
//! own transaction ([`queue`]); nothing is read at send time but the readers'
//! choice. Every node runs [`Missed::start`]: it takes due rows with `for
//! update skip locked` (so nodes share the work and none mails twice), drops
//! what was read meanwhile, is muted, is set to "nothing", or belongs to a
//! member who is online or idle (their tab notifies them), postpones what
//! falls in do-not-disturb (a snooze or the daily quiet period), and queues one mail per member through the mail outbox,
//! in the same transaction as the rows' removal. A tick handles at most 200
//! rows; the rest waits for the next tick.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use sqlx::{PgConnection, PgPool, Row};
use uuid::Uuid;

use crate::error::AppResult;
use crate::mail::outbox::{queue as queue_mail, Mail};
use crate::realtime::presence::PresenceService;
use crate::realtime::Presence;

/// The "soon" delay in milliseconds (15 minutes unless the node was
/// configured otherwise at start: `THREADSPACE_MISSED_MAIL_AFTER_SECS`).
static DELAY_MS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(15 * 60 * 1000);

/// Sets the "soon" delay (at start).
pub fn set_delay(d: Duration) {
    DELAY_MS.store(d.as_millis() as u64, std::sync::atomic::Ordering::Relaxed);
}

/// The "soon" delay.
pub fn delay() -> Duration {
    Duration::from_millis(DELAY_MS.load(std::sync::atomic::Ordering::Relaxed))
}

/// Most rows one tick takes, and most messages one mail lists.
const BATCH: i64 = 200;
const PER_MAIL: usize = 10;

/// Who a new message may concern by mail.
#[derive(Clone, Copy, Debug)]
pub struct Reach<'a> {
    /// A 1:1 or group DM: everyone else in it.
    pub is_dm: bool,
    /// The people an @mention names.
    pub mentioned: &'a [Uuid],
    /// `@channel` or `@everyone`: every member. (`@here` names those online
    /// now, and an online member is never mailed, so it queues nobody.)
    pub everyone: bool,
}

/// Queues the readers of a new message that `reach` names. `after` is the
/// "soon" delay; "hourly" waits four times as long. An `@channel` queues a
/// row per member who wants mail: bounded by the channel's size, the sender's
/// write budget and the workspace's rule on who may `@channel` a big channel;
/// the mailer still takes 200 rows a tick.
pub async fn queue(
    conn: &mut PgConnection,
    channel: Uuid,
    seq: i64,
    sender: Uuid,
    reach: Reach<'_>,
    after: Duration,
) -> Result<(), sqlx::Error> {
    if !reach.is_dm && !reach.everyone && reach.mentioned.is_empty() {
        return Ok(());
    }
    let secs = after.as_secs_f64();
    sqlx::query(
        "insert into missed_outbox (member_id, channel_id, seq, due_at)
         select m.member_id, $1, $2,
                now() + make_interval(secs => case m.missed_mail when 'hourly' then $6 * 4 else $6 end)
           from channel_member cm join member m using (member_id)
          where cm.channel_id = $1 and m.member_id <> $3 and m.deactivated_at is null
            and m.missed_mail <> 'never' and ($4 or m.member_id = any($5))
            and not cm.muted and coalesce(cm.notify_level, m.notify_level) <> 'nothing'
         on conflict do nothing",
    )
    .bind(channel)
    .bind(seq)
    .bind(sender)
    .bind(reach.is_dm || reach.everyone)
    .bind(reach.mentioned)
    .bind(secs)
    .execute(conn)
    .await?;
    Ok(())
}

/// The mailer; cheap to clone.
#[derive(Clone)]
pub struct Missed {
    db: PgPool,
    presence: Arc<PresenceService>,
    public_url: String,
    tick: Duration,
}

impl Missed {
    pub fn new(db: PgPool, presence: Arc<PresenceService>, public_url: String, tick: Duration) -> Missed {
        Missed { db, presence, public_url: public_url.trim_end_matches('/').to_string(), tick }
    }

    /// Runs the mailer on this node.
    pub fn start(self) {
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(self.tick);
            loop {
                tick.tick().await;
                if let Err(e) = self.run_once().await {
                    tracing::warn!(error = ?e, "missed-message mail: a tick failed");
                }
            }
        });
    }

    /// One tick: the due rows, decided and mailed. Returns how many mails it queued.
    pub async fn run_once(&self) -> AppResult<usize> {
        let mut tx = self.db.begin().await?;
        let rows = sqlx::query(
            "delete from missed_outbox o using (
               select member_id, channel_id, seq from missed_outbox where due_at <= now()
                order by due_at limit $1 for update skip locked) d
              where o.member_id = d.member_id and o.channel_id = d.channel_id and o.seq = d.seq
              returning o.member_id, o.channel_id, o.seq",
        )
        .bind(BATCH)
        .fetch_all(&mut *tx)
        .await?;
        let mut by_member: BTreeMap<Uuid, Vec<(Uuid, i64)>> = BTreeMap::new();
        for r in rows {
            by_member.entry(r.get("member_id")).or_default().push((r.get("channel_id"), r.get("seq")));
        }
        let members: Vec<Uuid> = by_member.keys().copied().collect();
        let here = self.presence.many(&members).await;
        let mut mails = 0;
        for info in here {
            let due = by_member.remove(&info.user).unwrap_or_default();
            if info.presence != Presence::Offline {
                continue; // an open tab notifies them
            }
            if self.postpone_if_quiet(&mut tx, info.user, &due).await? {
                continue;
            }
            mails += usize::from(self.mail(&mut tx, info.user, &due).await?);
        }
        tx.commit().await?;
        Ok(mails)
    }

    /// Puts the rows back, due when the member's do-not-disturb ends, if
    /// they are in it now: a snooze, or their daily quiet period (read in
    /// their time zone).
    async fn postpone_if_quiet(
        &self,
        tx: &mut PgConnection,
        member: Uuid,
        due: &[(Uuid, i64)],
    ) -> AppResult<bool> {
        let prefs = super::store::read(&mut *tx, member).await?;
        let now = time::OffsetDateTime::now_utc();
        let until = match (prefs.dnd_until.filter(|u| *u > now), prefs.schedule) {
            (Some(u), _) => Some(u),
            (None, Some(s)) => {
                let minute = super::store::local_minute(&mut *tx, &prefs.time_zone, now).await?;
                s.contains(minute).then(|| {
                    now + time::Duration::minutes((i64::from(s.end) - i64::from(minute)).rem_euclid(24 * 60))
                })
            }
            (None, None) => None,
        };
        let Some(until) = until else { return Ok(false) };
        let (channels, seqs): (Vec<Uuid>, Vec<i64>) = due.iter().copied().unzip();
        sqlx::query(
            "insert into missed_outbox (member_id, channel_id, seq, due_at)
             select $1, c, s, $4 from unnest($2::uuid[], $3::bigint[]) as u(c, s)
             on conflict do nothing",
        )
        .bind(member)
        .bind(&channels)
        .bind(&seqs)
        .bind(until)
        .execute(&mut *tx)
        .await?;
        Ok(true)
    }

    /// Queues one mail with the member's messages that are still unread and
    /// wanted; false when nothing is left to tell.
    async fn mail(&self, tx: &mut PgConnection, member: Uuid, due: &[(Uuid, i64)]) -> AppResult<bool> {
        let (channels, seqs): (Vec<Uuid>, Vec<i64>) = due.iter().copied().unzip();
        let found = sqlx::query(
            "select a.email, w.name as workspace, g.channel_id, g.seq, c.name, s.display_name as sender, g.body,
                    c.kind in ('dm', 'group_dm') as is_dm
               from unnest($2::uuid[], $3::bigint[]) as u(channel_id, seq)
               join channel_member cm on cm.channel_id = u.channel_id and cm.member_id = $1
               join member me on me.member_id = $1 and me.deactivated_at is null
               join account a on a.account_id = me.account_id
               join workspace w on w.workspace_id = me.workspace_id
               join channel c on c.channel_id = u.channel_id
               join message g on g.channel_id = u.channel_id and g.seq = u.seq
               join member s on s.member_id = g.member_id
              where g.seq > cm.last_read_seq and g.deleted_at is null and not cm.muted
                and coalesce(cm.notify_level, me.notify_level) <> 'nothing'
              order by g.created_at",
        )
        .bind(member)
        .bind(&channels)
        .bind(&seqs)
        .fetch_all(&mut *tx)
        .await?;
        let Some(first) = found.first() else { return Ok(false) };
        let (email, workspace): (String, String) = (first.get("email"), first.get("workspace"));
        let mut body = format!("You have {} unread message(s) in {workspace} on ThreadSpace:\n", found.len());
        for r in found.iter().take(PER_MAIL) {
            let (channel, seq): (Uuid, i64) = (r.get("channel_id"), r.get("seq"));
            let place = match (r.get::<bool, _>("is_dm"), r.get::<Option<String>, _>("name")) {
                (false, Some(n)) => format!(" in #{n}"),
                _ => " (direct message)".to_string(),
            };
            let text: String = r.get("body");
            let text: String = text.chars().take(300).collect();
            let sender: String = r.get("sender");
            body.push_str(&format!("\n{sender}{place}:\n{text}\n{}/c/{channel}/{seq}\n", self.public_url));
        }
        if found.len() > PER_MAIL {
            body.push_str(&format!("\n…and {} more.\n", found.len() - PER_MAIL));
        }
        body.push_str(&format!(
            "\nChange when ThreadSpace emails you in Preferences: {}/settings/preferences\n",
            self.public_url
        ));
        let subject = format!("{} unread message(s) in {workspace}", found.len());
        queue_mail(tx, &Mail { to: email, subject, body, kind: "missed_messages" }).await?;
        Ok(true)
    }
}
