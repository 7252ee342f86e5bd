//! Emoji reactions. An emoji is stored in its unicode form, so `:thumbsup:`,
//! `+1` and 👍 are one reaction; each member reacts with an emoji once.

use std::collections::HashMap;

use uuid::Uuid;

use super::markdown::canonical_emoji;
use super::Reaction;
use crate::auth::Actor;
use crate::channels::queries::lock;
use crate::core::ctx::Ctx;
use crate::core::tx::Tx;
use crate::db::unique_violation;
use crate::error::{AppError, AppResult, Conflict, Missing, Rule};
use crate::realtime::Event;

/// Most distinct emoji on one message, as in Slack.
pub const MAX_DISTINCT: i64 = 50;

fn emoji(input: &str) -> AppResult<&'static emojis::Emoji> {
    canonical_emoji(input).ok_or(AppError::Invalid(Rule::InvalidEmoji))
}

async fn require_live(tx: &mut Tx, channel: Uuid, seq: i64) -> AppResult<()> {
    let live = sqlx::query_scalar!(
        "select 1 as \"one!\" from message where channel_id = $1 and seq = $2 and deleted_at is null",
        channel,
        seq
    )
    .fetch_optional(&mut **tx)
    .await?;
    live.map(|_| ()).ok_or(AppError::NotFound(Missing::Message))
}

/// The shortcode (`thumbsup`) and unicode form of an accepted emoji.
fn names(e: &'static emojis::Emoji) -> (String, String) {
    (e.shortcode().unwrap_or(e.as_str()).to_string(), e.as_str().to_string())
}

/// Adds the caller's reaction; `already_reacted` if it is there.
pub async fn add(ctx: &Ctx, actor: &Actor, channel: Uuid, seq: i64, input: &str) -> AppResult<()> {
    let e = emoji(input)?;
    let mut tx = ctx.begin().await?;
    lock(&mut tx, actor, channel).await?.writable()?;
    require_live(&mut tx, channel, seq).await?;
    let added = sqlx::query_scalar!(
        r#"insert into reaction (channel_id, seq, member_id, emoji)
           select $1, $2, $3, $4
           where $4 = any(select emoji from reaction where channel_id = $1 and seq = $2)
              or (select count(distinct emoji) from reaction where channel_id = $1 and seq = $2) < $5
           returning (select display_name from member where member_id = $3) as "user_name!""#,
        channel,
        seq,
        actor.member_id,
        e.as_str(),
        MAX_DISTINCT
    )
    .fetch_optional(&mut *tx)
    .await
    .map_err(|err| match unique_violation(&err).as_deref() {
        Some("reaction_pkey") => AppError::AlreadyExists(Conflict::AlreadyReacted),
        _ => err.into(),
    })?;
    let Some(user_name) = added else {
        return Err(AppError::InvalidArguments(format!(
            "a message can have at most {MAX_DISTINCT} different emoji"
        )));
    };
    let (reaction, emoji) = names(e);
    let ev = Event::ReactionAdded { channel, seq, reaction, emoji, user: actor.member_id, user_name };
    tx.emit_to_channel(channel, ev);
    tx.commit().await
}

/// Removes the caller's reaction; `no_reaction` if there is none.
pub async fn remove(ctx: &Ctx, actor: &Actor, channel: Uuid, seq: i64, input: &str) -> AppResult<()> {
    let e = emoji(input)?;
    let mut tx = ctx.begin().await?;
    lock(&mut tx, actor, channel).await?.writable()?;
    require_live(&mut tx, channel, seq).await?;
    let gone = sqlx::query!(
        "delete from reaction where channel_id = $1 and seq = $2 and member_id = $3 and emoji = $4",
        channel,
        seq,
        actor.member_id,
        e.as_str()
    )
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if gone == 0 {
        return Err(AppError::NotFound(Missing::NoReaction));
    }
    let (reaction, emoji) = names(e);
    tx.emit_to_channel(
        channel,
        Event::ReactionRemoved { channel, seq, reaction, emoji, user: actor.member_id },
    );
    tx.commit().await
}

/// The reactions on a page of messages, each in order of first use.
pub async fn for_messages(
    db: impl sqlx::PgExecutor<'_>,
    channel: Uuid,
    seqs: &[i64],
) -> AppResult<HashMap<i64, Vec<Reaction>>> {
    let mut out: HashMap<i64, Vec<Reaction>> = HashMap::new();
    if seqs.is_empty() {
        return Ok(out);
    }
    let rows = sqlx::query!(
        r#"select r.seq, r.emoji, count(*) as "count!",
                  array_agg(r.member_id order by r.created_at, r.member_id) as "users!",
                  array_agg(m.display_name order by r.created_at, r.member_id) as "names!"
           from reaction r join member m using (member_id)
           where r.channel_id = $1 and r.seq = any($2)
           group by r.seq, r.emoji
           order by r.seq, min(r.created_at), r.emoji"#,
        channel,
        seqs
    )
    .fetch_all(db)
    .await?;
    for r in rows {
        let name = emojis::get(&r.emoji).and_then(|e| e.shortcode()).unwrap_or(&r.emoji).to_string();
        out.entry(r.seq).or_default().push(Reaction {
            name,
            emoji: r.emoji,
            count: r.count,
            users: r.users,
            names: r.names,
        });
    }
    Ok(out)
}
