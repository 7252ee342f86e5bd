//! Demo conversations: a dozen channels, DMs, and #engineering with 6,000
//! messages over the last 40 days (threads, reactions, mentions), so that
//! infinite scroll, day separators and unread state are real.
//!
//! Channels, DMs and the first messages go through the action layer like any
//! user's would; the long history is bulk-inserted with `unnest` (6,000
//! single sends would take a minute), rendered by the same markdown code.

use app::auth::Actor;
use app::channels::actions as ch;
use app::messages::actions::{send, SendInput};
use app::messages::markdown::render;
use sqlx::PgPool;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

const CHANNELS: &[(&str, bool, &str)] = &[
    ("announcements", false, "Company news. Read-mostly."),
    ("engineering", false, "Building ThreadSpace: code, reviews, deploys."),
    ("design", false, "Pixels, flows and feedback."),
    ("product", false, "What we build next and why."),
    ("support", false, "Customer questions and escalations."),
    ("random", false, "Non-work banter and water-cooler talk."),
    ("marketing", false, "Launches, campaigns and copy."),
    ("sales", false, "Deals, demos and pipeline."),
    ("leadership", true, "Founders and leads."),
    ("hiring", true, "Candidates and interview loops."),
    ("incidents", true, "Outages and postmortems."),
];

const LINES: &[&str] = &[
    "Pushed the fix for the flaky login test, CI is green again :tada:",
    "Can someone review https://example.com/pr/1423 before lunch?",
    "Deploy to staging done. **Please smoke-test** the invite flow.",
    "I think we should cache the sidebar counts, they are hot on every page load",
    "`cargo clippy` is happy now",
    "Standup in 5 :coffee:",
    "> Measure twice, cut once\nAgreed, let's benchmark before we change the index.",
    "Here is the plan:\n- migrate\n- backfill\n- flip the flag",
    "Heads up: Postgres maintenance window tonight at 22:00 UTC",
    "Nice work on the thread pane, it feels snappy",
    "Who owns the S3 bucket policy?",
    "Reverted, sorry about that ~~quick~~ slow fix",
    "p99 is back under 15 ms after the partial index :rocket:",
    "Lunch? :pizza:",
    "Let's pair on the resume handshake tomorrow",
    "```\nselect count(*) from message;\n```\n6 million and counting",
];

/// Seeds conversations for the demo workspace unless #engineering exists.
pub async fn seed(db: &app::core::ctx::Ctx, owner: &Actor, people: &[Actor]) -> anyhow::Result<()> {
    let exists = sqlx::query_scalar!(
        "select 1 as one from channel where workspace_id = $1 and name = 'engineering'",
        owner.workspace_id
    )
    .fetch_optional(&db.db)
    .await?;
    if exists.is_some() {
        return Ok(());
    }
    let e = |e: app::error::AppError| anyhow::anyhow!("{e}");
    let staff: Vec<&Actor> = people.iter().filter(|p| p.role != app::auth::Role::Guest).collect();
    let mut eng = Uuid::nil();
    for (i, (name, private, purpose)) in CHANNELS.iter().enumerate() {
        let c = ch::create(db, owner, name, *private).await.map_err(e)?;
        ch::set_text(db, owner, c.id, ch::Field::Purpose, purpose).await.map_err(e)?;
        let members: Vec<Uuid> =
            staff.iter().filter(|_| !*private || i % 2 == 0).map(|p| p.member_id).collect();
        if !members.is_empty() {
            ch::invite(db, owner, c.id, &members).await.map_err(e)?;
        }
        if *name == "engineering" {
            eng = c.id;
        }
    }
    if let Some(guest) = people.iter().find(|p| p.role == app::auth::Role::Guest) {
        let support = ch::create(db, owner, "ext-contractors", true).await.map_err(e)?;
        ch::invite(db, owner, support.id, &[guest.member_id]).await.map_err(e)?;
        post(db, guest, support.id, "Hi all, happy to be here!").await?;
    }
    // Direct messages, sent through the action layer.
    if let [grace, linus, margaret, ..] = staff.as_slice() {
        let dm = ch::open(db, owner, &[grace.member_id]).await.map_err(e)?;
        post(db, grace, dm.id, "Got a minute to look at the roadmap?").await?;
        post(db, owner, dm.id, "Sure, after standup :thumbsup:").await?;
        let dm2 = ch::open(db, owner, &[linus.member_id]).await.map_err(e)?;
        post(db, linus, dm2.id, "The new benchmark numbers are in.").await?;
        let group = ch::open(db, owner, &[grace.member_id, margaret.member_id]).await.map_err(e)?;
        post(db, margaret, group.id, "Offsite agenda draft is in the doc").await?;
        ch::open(db, owner, &[]).await.map_err(e)?;
    }
    let general = sqlx::query_scalar!(
        "select channel_id from channel where workspace_id = $1 and is_general",
        owner.workspace_id
    )
    .fetch_one(&db.db)
    .await?;
    post(db, owner, general, "Welcome to **Acme Demo**! Say hi in #random and browse channels with +.")
        .await?;
    let mut authors: Vec<&Actor> = staff.clone();
    authors.push(owner);
    bulk_history(&db.db, eng, &authors, 6_000).await?;
    Ok(())
}

async fn post(db: &app::core::ctx::Ctx, who: &Actor, channel: Uuid, text: &str) -> anyhow::Result<()> {
    let input = SendInput { channel, text: text.into(), ..Default::default() };
    send(db, who, input).await.map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(())
}

/// Inserts `n` messages into `channel`: every 40th gets a 3-reply thread,
/// every 7th a reaction or two. Leaves the owner (last author) with the
/// last 25 unread.
async fn bulk_history(db: &PgPool, channel: Uuid, authors: &[&Actor], n: i64) -> anyhow::Result<()> {
    let rendered: Vec<String> = LINES.iter().map(|l| render(l, &[]).html).collect();
    let start = OffsetDateTime::now_utc() - Duration::days(40);
    let step = Duration::days(40) / (n as i32 + 1);
    let (mut seqs, mut who, mut threads, mut bodies, mut htmls, mut times) =
        (Vec::new(), Vec::new(), Vec::<Option<i64>>::new(), Vec::new(), Vec::new(), Vec::new());
    let (mut counts, mut last_replies) = (Vec::new(), Vec::<Option<OffsetDateTime>>::new());
    let mut seq = 0i64;
    let mut k = 0usize;
    while seq < n {
        let root = seq + 1;
        let at = start + step * (root as i32);
        let with_thread = root % 40 == 0;
        let replies = if with_thread { 3 } else { 0 };
        for r in 0..=replies {
            seq += 1;
            k += 1;
            seqs.push(seq);
            who.push(authors[(k * 7 + r as usize) % authors.len()].member_id);
            threads.push((r > 0).then_some(root));
            bodies.push(LINES[k % LINES.len()].to_string());
            htmls.push(rendered[k % LINES.len()].clone());
            times.push(at + Duration::seconds(r * 30));
            counts.push(if r == 0 { replies as i32 } else { 0 });
            last_replies.push((r == 0 && replies > 0).then(|| at + Duration::seconds(replies * 30)));
        }
    }
    let mut tx = db.begin().await?;
    sqlx::query!(
        "insert into message (channel_id, seq, member_id, thread_seq, body, html, created_at, reply_count, last_reply_at)
         select $1, * from unnest($2::bigint[], $3::uuid[], $4::bigint[], $5::text[], $6::text[], $7::timestamptz[],
                                  $8::int[], $9::timestamptz[])",
        channel,
        &seqs,
        &who,
        &threads as &[Option<i64>],
        &bodies,
        &htmls,
        &times,
        &counts,
        &last_replies as &[Option<OffsetDateTime>]
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query!(
        "insert into reaction (channel_id, seq, member_id, emoji)
         select $1, g.seq, a.member_id, e.emoji
         from message g
         cross join lateral (select unnest($2::uuid[]) as member_id limit 1 + (g.seq % 3)) a
         cross join lateral (select (array['👍', '🎉', '🚀', '👀'])[1 + (g.seq % 4)::int] as emoji) e
         where g.channel_id = $1 and g.seq % 7 = 0 and g.thread_seq is null",
        channel,
        &authors.iter().map(|a| a.member_id).collect::<Vec<_>>()
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query!(
        "update channel set last_seq = $2, last_message_at = now() where channel_id = $1",
        channel,
        seq
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query!("update channel_member set last_read_seq = $2 where channel_id = $1", channel, seq)
        .execute(&mut *tx)
        .await?;
    let owner = authors.last().map(|a| a.member_id).unwrap_or_default();
    sqlx::query!(
        "update channel_member set last_read_seq = $3 where channel_id = $1 and member_id = $2",
        channel,
        owner,
        seq - 25
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}
