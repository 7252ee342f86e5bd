//! Event consistency, in the style of Zulip's `verify_action`: a member's
//! sidebar kept from the events they receive (folded with the browser's own
//! reducer, `channels::state`) must equal a fresh `users.conversations`
//! after any sequence of actions by anyone. Sequences are random but seeded,
//! so a failure names the seed that reproduces it.
//!
//! A second copy of the sidebar loses a quarter of the new-message events on
//! purpose: the jump in seqs that the next event of that channel shows
//! (`channels::state::gap`) must make it reload that conversation, so it
//! ends equal to a fresh fetch too.

mod common;

use std::collections::HashMap;

use app::auth::{Actor, Role};
use app::channels::actions as ch;
use app::channels::queries as chq;
use app::channels::state::{self, Followup};
use app::channels::Channel;
use app::core::ctx::Ctx;
use app::messages::actions::{self as msgs, SendInput};
use app::realtime::bus::Topic;
use app::realtime::{Event, Stamped};
use common::ws::{connect, next, send, token, Ws};
use common::{member, owner, Srv};
use serde_json::json;
use sqlx::PgPool;
use uuid::Uuid;

/// xorshift64*: small, seeded, reproducible.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a, T>(&mut self, v: &'a [T]) -> &'a T {
        &v[self.below(v.len())]
    }
}

struct World {
    ctx: Ctx,
    people: Vec<Actor>,
    channels: Vec<Uuid>,
}

impl World {
    /// Runs one random action; refusals are part of the game (they must
    /// announce nothing).
    async fn act(&mut self, rng: &mut Rng) {
        let ctx = &self.ctx;
        let who = rng.pick(&self.people).clone();
        let other = rng.pick(&self.people).member_id;
        let c = *rng.pick(&self.channels);
        let seqs: Vec<i64> =
            sqlx::query_scalar("select seq from message where channel_id = $1 order by seq desc limit 5")
                .bind(c)
                .fetch_all(&ctx.db)
                .await
                .unwrap();
        let seq = if seqs.is_empty() { 1 } else { *rng.pick(&seqs) };
        let text = *rng.pick(&["plain", "hi @Bob", "@channel look", "note @Carol", "**bold**"]);
        let _ = match rng.below(17) {
            0..=3 => {
                let input = SendInput { channel: c, text: text.into(), ..Default::default() };
                msgs::send(ctx, &who, input).await.map(|_| ())
            }
            4 => {
                let input = SendInput {
                    channel: c,
                    text: text.into(),
                    thread_seq: Some(seq),
                    also_send_to_channel: rng.below(2) == 0,
                    ..Default::default()
                };
                msgs::send(ctx, &who, input).await.map(|_| ())
            }
            5 => msgs::update(ctx, &who, c, seq, text).await.map(|_| ()),
            6 => msgs::delete(ctx, &who, c, seq).await,
            7 => app::messages::reactions::add(ctx, &who, c, seq, "tada").await,
            8 => ch::join(ctx, &who, c).await.map(|_| ()),
            9 => ch::leave(ctx, &who, c).await,
            10 => ch::invite(ctx, &who, c, &[other]).await,
            11 => ch::kick(ctx, &who, c, other).await,
            12 => ch::rename(ctx, &who, c, &format!("room-{}", rng.below(1000))).await.map(|_| ()),
            13 => ch::set_text(ctx, &who, c, ch::Field::Topic, text).await,
            14 => ch::set_archived(ctx, &who, c, rng.below(2) == 0).await,
            15 => match ch::open(ctx, &who, &[other]).await {
                Ok(dm) => {
                    if !self.channels.contains(&dm.id) {
                        self.channels.push(dm.id);
                    }
                    Ok(())
                }
                Err(e) => Err(e),
            },
            _ => ch::mark(ctx, &who, c, seq - rng.below(3) as i64).await,
        };
    }
}

/// The observer's two copies of the sidebar: one folds every event, the
/// other loses some new messages and must notice.
struct Views {
    full: Vec<Channel>,
    lossy: Vec<Channel>,
    dropped: usize,
    gaps: usize,
}

/// Reads the observer's socket up to a `pong` (a barrier: every event
/// queued before the ping comes first) and folds the events.
async fn fold_until_barrier(
    ws: &mut Ws,
    views: &mut Views,
    rng: &mut Rng,
    observer: &Actor,
    db: &PgPool,
    id: u64,
) {
    let me = observer.member_id;
    send(ws, json!({"type": "ping", "id": id})).await;
    let (mut reloads, mut lossy_reloads) = (Vec::new(), Vec::new());
    loop {
        let v = next(ws).await;
        if v["type"] == "pong" && v["id"] == id {
            break;
        }
        let Ok(ev) = serde_json::from_value::<Stamped>(v.clone()) else { continue };
        if let Followup::Reload(c) = state::apply(&mut views.full, me, &ev.event) {
            reloads.push(c);
        }
        if matches!(ev.event, Event::MessageCreated { .. }) && rng.below(4) == 0 {
            views.dropped += 1;
            continue;
        }
        if let Some((c, _)) = state::gap(&views.lossy, &ev) {
            views.gaps += 1;
            lossy_reloads.push(c);
        }
        if let Followup::Reload(c) = state::apply(&mut views.lossy, me, &ev.event) {
            lossy_reloads.push(c);
        }
    }
    // As the browser does: one `conversations.info` per channel in doubt.
    for c in reloads {
        state::replace(&mut views.full, c, chq::info(db, observer, c).await.ok());
    }
    for c in lossy_reloads {
        state::replace(&mut views.lossy, c, chq::info(db, observer, c).await.ok());
    }
}

/// Something happens in every channel: an event that changes nothing,
/// stamped like any other, so a message lost last is noticed too.
async fn touch_every_channel(ctx: &Ctx, channels: &[Uuid]) {
    let mut tx = ctx.begin().await.unwrap();
    for c in channels {
        let archived: bool =
            sqlx::query_scalar("select archived_at is not null from channel where channel_id = $1")
                .bind(c)
                .fetch_one(&mut *tx)
                .await
                .unwrap();
        tx.emit(Topic::Channel(*c), Event::ChannelArchived { channel: *c, archived });
    }
    tx.commit().await.unwrap();
}

fn by_id(list: &[Channel]) -> Vec<Channel> {
    let mut v = list.to_vec();
    v.sort_by_key(|c| c.id);
    v
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn the_sidebar_folded_from_events_equals_a_fresh_fetch(db: PgPool) {
    let srv = Srv::start(db.clone()).await;
    let ctx = Ctx::new(db.clone(), srv.rt.hub.bus().clone());
    let alice = owner(&db, "alice@x.io", "Acme").await;
    let bob = member(&db, &alice, "Bob", Role::Member).await;
    let carol = member(&db, &alice, "Carol", Role::Member).await;
    let dan = member(&db, &alice, "Dan", Role::Member).await;
    let mut channels = vec![chq::mine(&db, &alice).await.unwrap()[0].id];
    for (name, private) in [("pub-a", false), ("pub-b", false), ("secret", true)] {
        let c = ch::create(&ctx, &alice, name, private).await.unwrap();
        ch::invite(&ctx, &alice, c.id, &[bob.member_id, carol.member_id]).await.unwrap();
        channels.push(c.id);
    }
    let mut world = World { ctx, people: vec![alice, bob.clone(), carol, dan], channels };
    let tb = token(&db, &bob).await;
    let mut ws = connect(&srv, &tb, json!({})).await;

    let (sequences, steps) = (150u64, 12);
    let mut applied: HashMap<&str, usize> = HashMap::new();
    let (mut dropped, mut gaps) = (0, 0);
    for seed in 1..=sequences {
        let mut rng = Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
        // The snapshot: what the browser loads once.
        let mut views = Views { full: Vec::new(), lossy: Vec::new(), dropped: 0, gaps: 0 };
        fold_until_barrier(&mut ws, &mut views, &mut rng, &bob, &db, seed * 1000).await;
        let list = chq::mine(&db, &bob).await.unwrap();
        views.full = list.clone();
        views.lossy = list;
        for step in 0..steps {
            world.act(&mut rng).await;
            fold_until_barrier(&mut ws, &mut views, &mut rng, &bob, &db, seed * 1000 + step + 1).await;
        }
        let fresh = chq::mine(&db, &bob).await.unwrap();
        assert_eq!(by_id(&views.full), by_id(&fresh), "sequence with seed {seed} diverged");
        touch_every_channel(&world.ctx, &world.channels).await;
        fold_until_barrier(&mut ws, &mut views, &mut rng, &bob, &db, seed * 1000 + 999).await;
        assert_eq!(
            by_id(&views.lossy),
            by_id(&fresh),
            "sequence with seed {seed}: {} lost messages were not all noticed",
            views.dropped
        );
        (dropped, gaps) = (dropped + views.dropped, gaps + views.gaps);
        *applied.entry("sequences").or_default() += 1;
    }
    assert!(dropped > 0 && gaps > 0, "the lossy copy lost {dropped} messages and noticed {gaps} gaps");
    let unread = chq::mine(&db, &bob).await.unwrap().iter().filter(|c| c.has_unread).count();
    println!(
        "{} sequences of {steps} actions matched; {unread} conversations end unread; \
         the lossy copy lost {dropped} new-message events and noticed {gaps} gaps",
        applied["sequences"]
    );
}
