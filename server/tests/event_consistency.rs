//! Event consistency, in the style of Zulip's `verify_action`: a member's
//! sidebar kept from the events they receive (folded with the browser's own
//! reducer, `channels::state`) must equal a fresh `users.conversations`
//! after any sequence of actions by anyone. Sequences are random but seeded,
//! so a failure names the seed that reproduces it.

mod common;

use std::collections::HashMap;

use app::auth::{Actor, Role};
use app::channels::actions as ch;
use app::channels::server as chq;
use app::channels::state::{self, Followup};
use app::channels::Channel;
use app::core::ctx::Ctx;
use app::messages::server::{self as msgs, SendInput};
use app::realtime::Event;
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

/// Reads the observer's socket up to a `pong` (a barrier: every event
/// queued before the ping comes first) and folds the events.
async fn fold_until_barrier(
    ws: &mut Ws,
    list: &mut Vec<Channel>,
    me: Uuid,
    db: &PgPool,
    observer: &Actor,
    id: u64,
) {
    send(ws, json!({"type": "ping", "id": id})).await;
    let mut reloads = Vec::new();
    loop {
        let v = next(ws).await;
        if v["type"] == "pong" && v["id"] == id {
            break;
        }
        let Ok(ev) = serde_json::from_value::<Event>(v.clone()) else { continue };
        if let Followup::Reload(c) = state::apply(list, me, &ev) {
            reloads.push(c);
        }
    }
    // As the browser does: one `conversations.info` per channel in doubt.
    for c in reloads {
        state::replace(list, c, chq::info(db, observer, c).await.ok());
    }
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
    for seed in 1..=sequences {
        let mut rng = Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
        // The snapshot: what the browser loads once.
        fold_until_barrier(&mut ws, &mut Vec::new(), bob.member_id, &db, &bob, seed * 1000).await;
        let mut list = chq::mine(&db, &bob).await.unwrap();
        for step in 0..steps {
            world.act(&mut rng).await;
            fold_until_barrier(&mut ws, &mut list, bob.member_id, &db, &bob, seed * 1000 + step + 1).await;
        }
        let fresh = chq::mine(&db, &bob).await.unwrap();
        assert_eq!(by_id(&list), by_id(&fresh), "sequence with seed {seed} diverged");
        *applied.entry("sequences").or_default() += 1;
    }
    let unread = chq::mine(&db, &bob).await.unwrap().iter().filter(|c| c.has_unread).count();
    println!(
        "{} sequences of {steps} actions matched; {unread} conversations end unread",
        applied["sequences"]
    );
}
