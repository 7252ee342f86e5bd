//! Messages: gap-free seqs under concurrency, idempotent sends, history
//! paging, threads, edits, tombstones, reactions and safe rendering.

mod common;

use app::auth::{Actor, Role};
use app::channels::actions as ch;
use app::messages::actions::{self as msgs, SendInput};
use app::messages::queries as msgq;
use app::messages::reactions;
use common::{count, member, owner};
use sqlx::PgPool;
use uuid::Uuid;

fn code<T: std::fmt::Debug>(r: Result<T, app::error::AppError>) -> &'static str {
    r.unwrap_err().code()
}

fn text(channel: Uuid, t: &str) -> SendInput {
    SendInput { channel, text: t.into(), ..Default::default() }
}

async fn room(db: &app::core::ctx::Ctx) -> (Actor, Actor, Uuid) {
    let alice = owner(db, "alice@x.io", "Acme").await;
    let bob = member(db, &alice, "Bob", Role::Member).await;
    let c = ch::create(db, &alice, "room", false).await.unwrap().id;
    ch::join(db, &bob, c).await.unwrap();
    (alice, bob, c)
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn concurrent_sends_get_unique_gap_free_seqs(db: PgPool) {
    let db = common::ctx(&db);
    let (alice, bob, c) = room(&db).await;
    let mut tasks = Vec::new();
    for i in 0..60 {
        let (db, who) = (db.clone(), if i % 2 == 0 { alice.clone() } else { bob.clone() });
        tasks.push(tokio::spawn(async move {
            msgs::send(&db, &who, text(c, &format!("m{i}"))).await.unwrap().seq
        }));
    }
    let mut seqs = Vec::new();
    for t in tasks {
        seqs.push(t.await.unwrap());
    }
    seqs.sort();
    assert_eq!(seqs, (1..=60).collect::<Vec<i64>>());
    let stored: Vec<i64> = sqlx::query_scalar("select seq from message where channel_id = $1 order by seq")
        .bind(c)
        .fetch_all(&db.db)
        .await
        .unwrap();
    assert_eq!(stored, seqs);
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn a_retried_client_msg_id_returns_the_original_message(db: PgPool) {
    let db = common::ctx(&db);
    let (alice, bob, c) = room(&db).await;
    let send = SendInput { client_msg_id: Some("abc-123".into()), ..text(c, "once") };
    let first = msgs::send(&db, &alice, send.clone()).await.unwrap();
    let again =
        msgs::send(&db, &alice, SendInput { text: "changed on retry".into(), ..send.clone() }).await.unwrap();
    assert_eq!((again.seq, again.text.as_str()), (first.seq, "once"));
    assert_eq!(again.client_msg_id.as_deref(), Some("abc-123"));
    // Concurrent retries of one id also produce one message.
    let concurrent = SendInput { client_msg_id: Some("race".into()), ..text(c, "race") };
    let mut tasks = Vec::new();
    for _ in 0..10 {
        let (db, a, s) = (db.clone(), alice.clone(), concurrent.clone());
        tasks.push(tokio::spawn(async move { msgs::send(&db, &a, s).await.unwrap().seq }));
    }
    let mut seqs = Vec::new();
    for t in tasks {
        seqs.push(t.await.unwrap());
    }
    seqs.dedup();
    assert_eq!(seqs.len(), 1, "{seqs:?}");
    // The id is per author: Bob's same id is his own message.
    assert_ne!(msgs::send(&db, &bob, send).await.unwrap().seq, first.seq);
    assert_eq!(count(&db, "message").await, 3);
    let last: i64 = sqlx::query_scalar("select last_seq from channel where channel_id = $1")
        .bind(c)
        .fetch_one(&db.db)
        .await
        .unwrap();
    assert_eq!(last, 3, "no seq was burnt by the retries");
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn empty_and_too_long_messages_store_nothing(db: PgPool) {
    let db = common::ctx(&db);
    let (alice, _bob, c) = room(&db).await;
    assert_eq!(code(msgs::send(&db, &alice, text(c, &"x".repeat(40_001))).await), "msg_too_long");
    assert_eq!(code(msgs::send(&db, &alice, text(c, "   \n ")).await), "no_text");
    let bad_id = SendInput { client_msg_id: Some("x".repeat(65)), ..text(c, "hi") };
    assert_eq!(code(msgs::send(&db, &alice, bad_id).await), "invalid_arguments");
    assert_eq!(
        code(msgs::send(&db, &alice, SendInput { thread_seq: Some(99), ..text(c, "hi") }).await),
        "thread_not_found"
    );
    assert_eq!(count(&db, "message").await, 0);
    let last: i64 = sqlx::query_scalar("select last_seq from channel where channel_id = $1")
        .bind(c)
        .fetch_one(&db.db)
        .await
        .unwrap();
    assert_eq!(last, 0);
    assert_eq!(msgs::send(&db, &alice, text(c, &"é".repeat(40_000))).await.unwrap().seq, 1);
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn history_pages_backwards_and_forwards_by_seq(db: PgPool) {
    let db = common::ctx(&db);
    let (alice, bob, c) = room(&db).await;
    for i in 1..=120 {
        msgs::send(&db, &alice, text(c, &format!("n{i}"))).await.unwrap();
    }
    let seqs = |p: &msgq::HistoryPage| p.messages.iter().map(|m| m.seq).collect::<Vec<_>>();
    let p1 = msgq::history(&db, &bob, c, None, None, Some(50)).await.unwrap();
    assert_eq!(seqs(&p1), (71..=120).rev().collect::<Vec<_>>());
    assert!(p1.has_more);
    let p2 = msgq::history(&db, &bob, c, Some(71), None, Some(50)).await.unwrap();
    assert_eq!(seqs(&p2), (21..=70).rev().collect::<Vec<_>>());
    let p3 = msgq::history(&db, &bob, c, Some(21), None, Some(50)).await.unwrap();
    assert_eq!((seqs(&p3).len(), p3.has_more), (20, false));
    let fwd = msgq::history(&db, &bob, c, None, Some(100), Some(10)).await.unwrap();
    assert_eq!(seqs(&fwd), (101..=110).rev().collect::<Vec<_>>());
    assert!(fwd.has_more, "newer messages exist");
    let tail = msgq::history(&db, &bob, c, None, Some(110), Some(50)).await.unwrap();
    assert_eq!((seqs(&tail).len(), tail.has_more), (10, false));
    let between = msgq::history(&db, &bob, c, Some(10), Some(5), None).await.unwrap();
    assert_eq!(seqs(&between), [9, 8, 7, 6]);
    assert_eq!(msgq::history(&db, &bob, c, None, None, Some(5000)).await.unwrap().messages.len(), 120);
    let max = msgq::history(&db, &bob, c, None, None, Some(5000)).await.unwrap();
    assert!(max.messages.len() <= 200);
    assert_eq!(p1.messages[0].text, "n120");
    assert_eq!(p1.messages[0].user_name, "alice");
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn threads_count_replies_and_stay_out_of_history_unless_sent_to_channel(db: PgPool) {
    let db = common::ctx(&db);
    let (alice, bob, c) = room(&db).await;
    let root = msgs::send(&db, &alice, text(c, "root")).await.unwrap().seq;
    let r1 = msgs::send(&db, &bob, SendInput { thread_seq: Some(root), ..text(c, "r1") }).await.unwrap();
    assert_eq!(r1.thread_seq, Some(root));
    let r2 = SendInput { thread_seq: Some(root), also_send_to_channel: true, ..text(c, "r2 also") };
    let r2 = msgs::send(&db, &bob, r2).await.unwrap();
    // A reply to a reply joins the root's thread.
    let r3 = msgs::send(&db, &alice, SendInput { thread_seq: Some(r1.seq), ..text(c, "r3") }).await.unwrap();
    assert_eq!(r3.thread_seq, Some(root));
    let thread = msgq::replies(&db, &bob, c, r1.seq, None).await.unwrap();
    let texts: Vec<_> = thread.messages.iter().map(|m| m.text.as_str()).collect();
    assert_eq!(texts, ["root", "r1", "r2 also", "r3"]);
    assert_eq!(thread.messages[0].reply_count, 3);
    assert!(thread.messages[0].last_reply_at.is_some());
    let hist = msgq::history(&db, &bob, c, None, None, None).await.unwrap();
    let in_channel: Vec<_> = hist.messages.iter().map(|m| m.seq).collect();
    assert_eq!(in_channel, [r2.seq, root]);
    msgs::delete(&db, &bob, c, r1.seq).await.unwrap();
    assert_eq!(msgq::replies(&db, &bob, c, root, None).await.unwrap().messages[0].reply_count, 2);
    assert_eq!(code(msgq::replies(&db, &bob, c, 999, None).await), "thread_not_found");
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn authors_edit_authors_and_admins_delete_leaving_tombstones(db: PgPool) {
    let db = common::ctx(&db);
    let (alice, bob, c) = room(&db).await;
    let carol = member(&db, &alice, "Carol", Role::Member).await;
    ch::join(&db, &carol, c).await.unwrap();
    let seq = msgs::send(&db, &bob, text(c, "typo")).await.unwrap().seq;
    let edited = msgs::update(&db, &bob, c, seq, "**fixed**").await.unwrap();
    assert!(edited.edited_at.is_some());
    assert_eq!(edited.html, "<p><strong>fixed</strong></p>\n");
    assert_eq!(code(msgs::update(&db, &carol, c, seq, "mine now").await), "cant_update_message");
    assert_eq!(code(msgs::update(&db, &alice, c, seq, "admins don't edit").await), "cant_update_message");
    assert_eq!(code(msgs::update(&db, &bob, c, seq, &"x".repeat(40_001)).await), "msg_too_long");
    assert_eq!(code(msgs::delete(&db, &carol, c, seq).await), "cant_delete_message");
    reactions::add(&db, &carol, c, seq, "tada").await.unwrap();
    msgs::delete(&db, &alice, c, seq).await.unwrap();
    let gone = msgq::get(&mut db.acquire().await.unwrap(), c, seq).await.unwrap();
    assert!(gone.is_deleted);
    assert_eq!((gone.text.as_str(), gone.html.as_str(), gone.reactions.len()), ("", "", 0));
    assert_eq!(code(msgs::delete(&db, &bob, c, seq).await), "message_not_found");
    assert_eq!(code(msgs::update(&db, &bob, c, seq, "back").await), "message_not_found");
    assert_eq!(code(reactions::add(&db, &bob, c, seq, "tada").await), "message_not_found");
    // The tombstone keeps its place in history.
    let hist = msgq::history(&db, &bob, c, None, None, None).await.unwrap();
    assert!(hist.messages.iter().any(|m| m.seq == seq && m.is_deleted));
    let own = msgs::send(&db, &carol, text(c, "mine")).await.unwrap().seq;
    msgs::delete(&db, &carol, c, own).await.unwrap();
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn reactions_toggle_per_member_and_normalise_shortcodes(db: PgPool) {
    let db = common::ctx(&db);
    let (alice, bob, c) = room(&db).await;
    let seq = msgs::send(&db, &alice, text(c, "ship it")).await.unwrap().seq;
    reactions::add(&db, &alice, c, seq, "thumbsup").await.unwrap();
    assert_eq!(code(reactions::add(&db, &alice, c, seq, "👍").await), "already_reacted");
    reactions::add(&db, &bob, c, seq, ":+1:").await.unwrap();
    reactions::add(&db, &bob, c, seq, "🎉").await.unwrap();
    let m = msgq::get(&mut db.acquire().await.unwrap(), c, seq).await.unwrap();
    assert_eq!(m.reactions.len(), 2);
    assert_eq!((m.reactions[0].emoji.as_str(), m.reactions[0].count), ("👍", 2));
    assert_eq!(m.reactions[0].users, [alice.member_id, bob.member_id]);
    assert_eq!(m.reactions[0].names, ["alice", "Bob"]);
    assert_eq!(m.reactions[1].name, "tada");
    // History pages aggregate reactions in the same query: same result.
    let page = msgq::history(&db, &bob, c, None, None, None).await.unwrap();
    assert_eq!(page.messages[0].reactions, m.reactions);
    reactions::remove(&db, &alice, c, seq, "+1").await.unwrap();
    assert_eq!(code(reactions::remove(&db, &alice, c, seq, "+1").await), "no_reaction");
    assert_eq!(code(reactions::add(&db, &alice, c, seq, "not-an-emoji").await), "invalid_emoji");
    assert_eq!(code(reactions::add(&db, &alice, c, seq, "<script>").await), "invalid_emoji");
    assert_eq!(code(reactions::add(&db, &alice, c, 999, "tada").await), "message_not_found");
    assert_eq!(count(&db, "reaction").await, 2);
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn mentions_are_resolved_and_user_html_comes_out_inert(db: PgPool) {
    let db = common::ctx(&db);
    let (alice, bob, c) = room(&db).await;
    let m = msgs::send(&db, &alice, text(c, "hey @bob, see https://example.com and @here")).await.unwrap();
    assert_eq!(m.mentions, [bob.member_id]);
    assert!(m.mentions_all && m.mentions_me(bob.member_id) && !m.mentions_me(alice.member_id));
    assert!(m.html.contains(&format!("data-user=\"{}\"", bob.member_id)), "{}", m.html);
    let payloads = [
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        "[x](javascript:alert(1))",
        "<a href=\"javascript:alert(1)\">x</a>",
    ];
    for p in payloads {
        let m = msgs::send(&db, &bob, text(c, p)).await.unwrap();
        let h = m.html.to_lowercase();
        assert!(!h.contains("<script") && !h.contains("<img"), "{p} -> {h}");
        // Real tags (text is escaped, so every '<' starts one) carry no script URL.
        assert!(
            h.split('<').skip(1).all(|t| !t.split('>').next().unwrap_or("").contains("javascript:")),
            "{p} -> {h}"
        );
        assert_eq!(m.text, p, "the text is kept as typed");
    }
}
