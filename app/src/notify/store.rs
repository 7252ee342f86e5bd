//! Reading and changing notification preferences. Each change is one
//! transaction that, when it changed anything, announces the whole new
//! preferences to the member's own sockets (`notify_prefs_changed`), so that
//! every open tab and device applies them at once. Nobody else hears of it.

use sqlx::{PgConnection, PgPool, Row};
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use super::{ChannelPref, Level, Prefs, Schedule, MAX_KEYWORDS, MAX_KEYWORD_LEN};
use crate::auth::Actor;
use crate::channels::queries::access;
use crate::core::ctx::Ctx;
use crate::error::{AppError, AppResult, Missing};
use crate::realtime::bus::Topic;
use crate::realtime::Event;

/// Longest snooze: a week.
pub const MAX_SNOOZE_MINUTES: i64 = 7 * 24 * 60;

pub(crate) async fn read(conn: &mut PgConnection, member: Uuid) -> AppResult<Prefs> {
    let r = sqlx::query(
        "select notify_level, notify_keywords, dnd_until, dnd_start, dnd_end, time_zone, missed_mail
           from member where member_id = $1",
    )
    .bind(member)
    .fetch_one(&mut *conn)
    .await?;
    let channels = sqlx::query(
        "select channel_id, muted, notify_level from channel_member
          where member_id = $1 and (muted or notify_level is not null) order by channel_id",
    )
    .bind(member)
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .map(|c| ChannelPref {
        channel: c.get("channel_id"),
        muted: c.get("muted"),
        level: c.get::<Option<String>, _>("notify_level").as_deref().and_then(Level::parse),
    })
    .collect();
    let start: Option<i16> = r.get("dnd_start");
    let end: Option<i16> = r.get("dnd_end");
    Ok(Prefs {
        level: Level::parse(r.get("notify_level")).unwrap_or_default(),
        keywords: r.get("notify_keywords"),
        dnd_until: r.get("dnd_until"),
        schedule: start.zip(end).map(|(s, e)| Schedule { start: s as u16, end: e as u16 }),
        time_zone: r.get("time_zone"),
        missed_mail: r.get("missed_mail"),
        channels,
    })
}

/// Minutes after midnight at `now` in the time zone `tz`, which Postgres
/// knows (an unknown or empty one counts as UTC). Asked by the server-side
/// notifiers (push, missed mail) for members with a daily quiet period.
pub async fn local_minute(conn: &mut PgConnection, tz: &str, now: OffsetDateTime) -> AppResult<u16> {
    let local: Option<i32> = sqlx::query_scalar(
        "select (extract(hour from $2::timestamptz at time zone name) * 60
                 + extract(minute from $2::timestamptz at time zone name))::int
           from pg_timezone_names where name = $1",
    )
    .bind(tz)
    .bind(now)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(local.unwrap_or(i32::from(now.hour()) * 60 + i32::from(now.minute())) as u16)
}

/// The caller's preferences.
pub async fn get(db: &PgPool, actor: &Actor) -> AppResult<Prefs> {
    read(&mut *db.acquire().await?, actor.member_id).await
}

/// A change to the member-wide preferences; `None` keeps a field as it is.
#[derive(Debug, Default)]
pub struct Change {
    pub level: Option<String>,
    pub keywords: Option<Vec<String>>,
    /// Minutes from now; 0 ends a snooze.
    pub snooze_minutes: Option<i64>,
    /// `"22:00-08:00"`, or `""` for no quiet period.
    pub schedule: Option<String>,
    /// `soon`, `hourly` or `never`.
    pub missed_mail: Option<String>,
}

fn bad(what: &str) -> AppError {
    AppError::InvalidArguments(what.into())
}

fn level(s: &str) -> AppResult<Level> {
    Level::parse(s).ok_or_else(|| bad("level must be all, mentions or nothing"))
}

/// Trimmed, lowercased, de-duplicated keywords, within the limits.
pub fn clean_keywords(words: &[String]) -> AppResult<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for w in words {
        let w = w.trim().to_lowercase();
        if w.is_empty() || out.contains(&w) {
            continue;
        }
        if w.chars().count() > MAX_KEYWORD_LEN || w.chars().any(char::is_control) {
            return Err(bad("each keyword is at most 60 characters, without control characters"));
        }
        out.push(w);
    }
    if out.len() > MAX_KEYWORDS {
        return Err(bad("at most 50 keywords"));
    }
    Ok(out)
}

fn minute(hh_mm: &str) -> Option<u16> {
    let (h, m) = hh_mm.trim().split_once(':')?;
    let (h, m): (u16, u16) = (h.parse().ok()?, m.parse().ok()?);
    (h < 24 && m < 60 && !hh_mm.contains('+')).then_some(h * 60 + m)
}

/// Parses `"22:00-08:00"` (or `""`, none).
pub fn parse_schedule(s: &str) -> AppResult<Option<Schedule>> {
    if s.trim().is_empty() {
        return Ok(None);
    }
    let msg = "dnd_schedule must look like 22:00-08:00, or be empty";
    let (a, b) = s.split_once('-').ok_or_else(|| bad(msg))?;
    let (start, end) = (minute(a).ok_or_else(|| bad(msg))?, minute(b).ok_or_else(|| bad(msg))?);
    if start == end {
        return Err(bad("dnd_schedule must start and end at different times"));
    }
    Ok(Some(Schedule { start, end }))
}

/// Changes the caller's member-wide preferences; announces them if they changed.
pub async fn set(ctx: &Ctx, actor: &Actor, change: Change) -> AppResult<Prefs> {
    let level = change.level.as_deref().map(level).transpose()?;
    if change.missed_mail.as_deref().is_some_and(|m| !["soon", "hourly", "never"].contains(&m)) {
        return Err(bad("missed_mail must be soon, hourly or never"));
    }
    let keywords = change.keywords.as_deref().map(clean_keywords).transpose()?;
    let schedule = change.schedule.as_deref().map(parse_schedule).transpose()?;
    let until = match change.snooze_minutes {
        None => None,
        Some(0) => Some(None),
        Some(m) if (1..=MAX_SNOOZE_MINUTES).contains(&m) => {
            Some(Some(OffsetDateTime::now_utc() + Duration::minutes(m)))
        }
        Some(_) => return Err(bad("snooze_minutes must be between 0 and 10080")),
    };
    let mut tx = ctx.begin().await?;
    let before = read(&mut tx, actor.member_id).await?;
    sqlx::query(
        "update member set notify_level = coalesce($2, notify_level),
                notify_keywords = coalesce($3, notify_keywords),
                dnd_until = case when $4 then $5 else dnd_until end,
                dnd_start = case when $6 then $7 else dnd_start end,
                dnd_end = case when $6 then $8 else dnd_end end,
                missed_mail = coalesce($9, missed_mail)
          where member_id = $1",
    )
    .bind(actor.member_id)
    .bind(level.map(Level::as_str))
    .bind(keywords)
    .bind(until.is_some())
    .bind(until.flatten())
    .bind(schedule.is_some())
    .bind(schedule.flatten().map(|s| s.start as i16))
    .bind(schedule.flatten().map(|s| s.end as i16))
    .bind(change.missed_mail.as_deref())
    .execute(&mut *tx)
    .await?;
    finish(tx, actor, before).await
}

/// Sets one conversation's mute and level (`"default"` follows the member's
/// default). Only for a conversation the caller is in; others are `channel_not_found`.
pub async fn set_channel(
    ctx: &Ctx,
    actor: &Actor,
    channel: Uuid,
    muted: Option<bool>,
    level_name: Option<String>,
) -> AppResult<Prefs> {
    let lvl = match level_name.as_deref() {
        None => None,
        Some("default") => Some(None),
        Some(s) => Some(Some(level(s)?)),
    };
    let mut tx = ctx.begin().await?;
    if !access(&mut *tx, actor, channel).await?.is_member {
        return Err(AppError::NotFound(Missing::Channel));
    }
    let before = read(&mut tx, actor.member_id).await?;
    sqlx::query(
        "update channel_member set muted = coalesce($3, muted),
                notify_level = case when $4 then $5 else notify_level end
          where channel_id = $1 and member_id = $2",
    )
    .bind(channel)
    .bind(actor.member_id)
    .bind(muted)
    .bind(lvl.is_some())
    .bind(lvl.flatten().map(Level::as_str))
    .execute(&mut *tx)
    .await?;
    finish(tx, actor, before).await
}

async fn finish(mut tx: crate::core::tx::Tx, actor: &Actor, before: Prefs) -> AppResult<Prefs> {
    let after = read(&mut tx, actor.member_id).await?;
    if after != before {
        tx.emit(Topic::Member(actor.member_id), Event::NotifyPrefsChanged { prefs: after.clone() });
    }
    tx.commit().await?;
    Ok(after)
}

/// Most followed threads a browser loads at start (the most recent ones).
pub const FOLLOWED_THREADS_LOADED: i64 = 500;

/// The threads the caller follows, most recently followed first.
pub async fn followed_threads(db: &PgPool, actor: &Actor) -> AppResult<Vec<(Uuid, i64)>> {
    Ok(sqlx::query_as(
        "select f.channel_id, f.thread_seq from thread_follow f
           join channel_member cm on cm.channel_id = f.channel_id and cm.member_id = f.member_id
          where f.member_id = $1 order by f.followed_at desc limit $2",
    )
    .bind(actor.member_id)
    .bind(FOLLOWED_THREADS_LOADED)
    .fetch_all(db)
    .await?)
}

/// Makes the author of a reply, the thread's starter and the people the reply
/// mentions follow the thread (in the reply's own transaction).
pub async fn follow_thread(
    conn: &mut PgConnection,
    channel: Uuid,
    thread_seq: i64,
    author: Uuid,
    mentioned: &[Uuid],
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into thread_follow (channel_id, thread_seq, member_id)
         select distinct $1::uuid, $2::bigint, m from unnest(array[$3]::uuid[] || $4::uuid[] ||
           array(select member_id from message where channel_id = $1 and seq = $2)) m
         on conflict (member_id, channel_id, thread_seq) do update set followed_at = now()",
    )
    .bind(channel)
    .bind(thread_seq)
    .bind(author)
    .bind(mentioned)
    .execute(conn)
    .await?;
    Ok(())
}

/// Follows (or stops following) a thread of a conversation the caller is in
/// (`channel_not_found` otherwise; `message_not_found` when `thread_seq` is no
/// thread's root). Announces `thread_follow` to the caller's own sockets when
/// it changed something.
pub async fn set_following(
    ctx: &Ctx,
    actor: &Actor,
    channel: Uuid,
    thread_seq: i64,
    on: bool,
) -> AppResult<()> {
    let mut tx = ctx.begin().await?;
    if !access(&mut *tx, actor, channel).await?.is_member {
        return Err(AppError::NotFound(Missing::Channel));
    }
    let root: bool = sqlx::query_scalar(
        "select exists(select 1 from message where channel_id = $1 and seq = $2
                         and thread_seq is null and deleted_at is null)",
    )
    .bind(channel)
    .bind(thread_seq)
    .fetch_one(&mut *tx)
    .await?;
    if !root {
        return Err(AppError::NotFound(Missing::Message));
    }
    let changed = if on {
        sqlx::query(
            "insert into thread_follow (channel_id, thread_seq, member_id) values ($1, $2, $3)
             on conflict (member_id, channel_id, thread_seq) do nothing",
        )
    } else {
        sqlx::query("delete from thread_follow where channel_id = $1 and thread_seq = $2 and member_id = $3")
    }
    .bind(channel)
    .bind(thread_seq)
    .bind(actor.member_id)
    .execute(&mut *tx)
    .await?
    .rows_affected()
        > 0;
    if changed {
        tx.emit(Topic::Member(actor.member_id), Event::ThreadFollow { channel, thread_seq, following: on });
    }
    tx.commit().await
}
