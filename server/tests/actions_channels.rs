//! Channels and DMs: who can see, join, change and leave what. Every refused
//! request leaves the database as it was.

mod common;

use app::auth::{Actor, Role};
use app::channels::actions as ch;
use app::channels::queries::{self as chq, ListInput};
use app::channels::ChannelKind;
use app::messages::actions::{self as msgs, SendInput};
use app::messages::queries as msgq;
use common::{count, member, owner};
use sqlx::PgPool;
use uuid::Uuid;

fn code<T: std::fmt::Debug>(r: Result<T, app::error::AppError>) -> &'static str {
    r.unwrap_err().code()
}

async fn general(db: &PgPool, a: &Actor) -> Uuid {
    chq::mine(db, a).await.unwrap().into_iter().find(|c| c.is_general).expect("in #general").id
}

async fn say(db: &app::core::ctx::Ctx, a: &Actor, channel: Uuid, text: &str) -> i64 {
    let input = SendInput { channel, text: text.into(), ..Default::default() };
    msgs::send(db, a, input).await.unwrap().seq
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn general_is_joined_by_new_members_but_not_guests_and_cannot_be_left(db: PgPool) {
    let db = common::ctx(&db);
    let alice = owner(&db, "alice@x.io", "Acme").await;
    let bob = member(&db, &alice, "Bob", Role::Member).await;
    let gus = member(&db, &alice, "Gus", Role::Guest).await;
    let g = general(&db, &alice).await;
    assert_eq!(general(&db, &bob).await, g);
    assert!(chq::mine(&db, &gus).await.unwrap().is_empty());
    assert_eq!(code(chq::info(&db, &gus, g).await), "channel_not_found");
    assert_eq!(code(ch::leave(&db, &bob, g).await), "cant_leave_general");
    assert_eq!(code(ch::set_archived(&db, &alice, g, true).await), "cant_archive_general");
    assert_eq!(code(ch::kick(&db, &alice, g, bob.member_id).await), "cant_kick_from_general");
    let info = chq::info(&db, &alice, g).await.unwrap();
    assert_eq!((info.member_count, info.is_archived, info.name.as_deref()), (2, false, Some("general")));
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn channel_names_are_validated_unique_and_guests_cannot_create(db: PgPool) {
    let db = common::ctx(&db);
    let alice = owner(&db, "alice@x.io", "Acme").await;
    let gus = member(&db, &alice, "Gus", Role::Guest).await;
    let c = ch::create(&db, &alice, " Design Team ", false).await.unwrap();
    assert_eq!(
        (c.name.as_deref(), c.kind, c.is_member, c.member_count),
        (Some("design-team"), ChannelKind::Public, true, 1)
    );
    let before = count(&db, "channel").await;
    assert_eq!(code(ch::create(&db, &alice, "design-team", true).await), "name_taken");
    assert_eq!(code(ch::create(&db, &alice, "<script>alert(1)</script>", false).await), "invalid_name");
    assert_eq!(code(ch::create(&db, &alice, &"x".repeat(81), false).await), "invalid_name");
    assert_eq!(code(ch::create(&db, &gus, "guests", false).await), "restricted_action");
    assert_eq!(count(&db, "channel").await, before);
    // Another workspace may reuse the name.
    let zed = owner(&db, "zed@y.io", "Elsewhere").await;
    assert!(ch::create(&db, &zed, "design-team", false).await.is_ok());
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn outsiders_see_channel_not_found_for_everything(db: PgPool) {
    let db = common::ctx(&db);
    let alice = owner(&db, "alice@x.io", "Acme").await;
    let bob = member(&db, &alice, "Bob", Role::Member).await;
    let gus = member(&db, &alice, "Gus", Role::Guest).await;
    let zed = owner(&db, "zed@y.io", "Elsewhere").await;
    let public = ch::create(&db, &alice, "town-hall", false).await.unwrap().id;
    let private = ch::create(&db, &alice, "secret", true).await.unwrap().id;
    let seq = say(&db, &alice, private, "hush").await;

    // Bob sees the public channel in the list, not the private one.
    let names: Vec<_> = chq::list(&db, &bob, ListInput::default())
        .await
        .unwrap()
        .channels
        .into_iter()
        .map(|c| c.name.unwrap())
        .collect();
    assert_eq!(names, ["general", "town-hall"]);
    assert!(chq::info(&db, &bob, public).await.is_ok());
    for outsider in [&bob, &gus, &zed] {
        let nf = "channel_not_found";
        assert_eq!(code(chq::info(&db, outsider, private).await), nf);
        assert_eq!(code(msgq::history(&db, outsider, private, None, None, None).await), nf);
        assert_eq!(code(msgq::replies(&db, outsider, private, seq, None).await), nf);
        assert_eq!(code(chq::members(&db, outsider, private, None, None).await), nf);
        assert_eq!(code(ch::join(&db, outsider, private).await), nf);
        assert_eq!(code(ch::leave(&db, outsider, private).await), nf);
        assert_eq!(code(ch::mark(&db, outsider, private, 1).await), nf);
        assert_eq!(code(ch::set_text(&db, outsider, private, ch::Field::Topic, "x").await), nf);
        assert_eq!(code(ch::invite(&db, outsider, private, &[outsider.member_id]).await), nf);
        let send = SendInput { channel: private, text: "hi".into(), ..Default::default() };
        assert_eq!(code(msgs::send(&db, outsider, send).await), nf);
        assert_eq!(code(msgs::update(&db, outsider, private, seq, "x").await), nf);
        assert_eq!(code(msgs::delete(&db, outsider, private, seq).await), nf);
        assert_eq!(code(app::messages::reactions::add(&db, outsider, private, seq, "tada").await), nf);
        assert_eq!(code(app::messages::reactions::remove(&db, outsider, private, seq, "tada").await), nf);
    }
    // Guests and other workspaces do not see public channels either.
    for outsider in [&gus, &zed] {
        assert_eq!(code(chq::info(&db, outsider, public).await), "channel_not_found");
        assert_eq!(code(ch::join(&db, outsider, public).await), "channel_not_found");
        assert!(chq::list(&db, outsider, ListInput::default())
            .await
            .unwrap()
            .channels
            .iter()
            .all(|c| c.id != public));
    }
    // Reading a public channel is fine for a non-member; writing is not.
    assert!(msgq::history(&db, &bob, public, None, None, None).await.is_ok());
    let send = SendInput { channel: public, text: "hi".into(), ..Default::default() };
    assert_eq!(code(msgs::send(&db, &bob, send).await), "not_in_channel");
    assert_eq!(count(&db, "message").await, 1);
    // Once invited, the guest sees exactly that channel.
    ch::invite(&db, &alice, private, &[gus.member_id]).await.unwrap();
    let gus_list = chq::list(&db, &gus, ListInput::default()).await.unwrap().channels;
    assert_eq!(gus_list.iter().map(|c| c.id).collect::<Vec<_>>(), [private]);
    assert_eq!(msgq::history(&db, &gus, private, None, None, None).await.unwrap().messages.len(), 1);
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn join_leave_invite_and_kick(db: PgPool) {
    let db = common::ctx(&db);
    let alice = owner(&db, "alice@x.io", "Acme").await;
    let bob = member(&db, &alice, "Bob", Role::Member).await;
    let carol = member(&db, &alice, "Carol", Role::Member).await;
    let zed = owner(&db, "zed@y.io", "Elsewhere").await;
    let public = ch::create(&db, &alice, "random", false).await.unwrap().id;
    assert!(ch::join(&db, &bob, public).await.unwrap().is_member);
    assert!(ch::join(&db, &bob, public).await.unwrap().is_member, "joining twice is fine");
    ch::leave(&db, &bob, public).await.unwrap();
    assert!(!chq::info(&db, &bob, public).await.unwrap().is_member);
    assert_eq!(code(ch::leave(&db, &bob, public).await), "not_in_channel");

    let private = ch::create(&db, &alice, "core", true).await.unwrap().id;
    assert_eq!(code(ch::invite(&db, &alice, private, &[zed.member_id]).await), "user_not_found");
    assert_eq!(code(ch::invite(&db, &alice, private, &[Uuid::now_v7()]).await), "user_not_found");
    ch::invite(&db, &alice, private, &[bob.member_id, carol.member_id]).await.unwrap();
    assert_eq!(chq::info(&db, &bob, private).await.unwrap().member_count, 3);
    assert_eq!(code(ch::kick(&db, &carol, private, bob.member_id).await), "restricted_action");
    assert_eq!(code(ch::kick(&db, &alice, private, alice.member_id).await), "cant_kick_self");
    ch::kick(&db, &alice, private, bob.member_id).await.unwrap();
    assert_eq!(code(chq::info(&db, &bob, private).await), "channel_not_found");
    assert_eq!(code(ch::kick(&db, &alice, private, bob.member_id).await), "user_not_found");
    let members = chq::members(&db, &carol, private, None, None).await.unwrap().members;
    assert_eq!(members.iter().map(|m| m.name.as_str()).collect::<Vec<_>>(), ["alice", "Carol"]);
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn rename_topic_purpose_and_archive(db: PgPool) {
    let db = common::ctx(&db);
    let alice = owner(&db, "alice@x.io", "Acme").await;
    let bob = member(&db, &alice, "Bob", Role::Member).await;
    let c = ch::create(&db, &bob, "ideas", false).await.unwrap().id;
    ch::create(&db, &alice, "taken", false).await.unwrap();
    ch::join(&db, &alice, c).await.unwrap();
    let seq = say(&db, &bob, c, "first").await;
    assert_eq!(ch::rename(&db, &bob, c, "Big Ideas").await.unwrap().name.as_deref(), Some("big-ideas"));
    assert_eq!(code(ch::rename(&db, &bob, c, "taken").await), "name_taken");
    let carol = member(&db, &alice, "Carol", Role::Member).await;
    ch::join(&db, &carol, c).await.unwrap();
    assert_eq!(code(ch::rename(&db, &carol, c, "mine").await), "restricted_action");
    let xss = "<img src=x onerror=alert(1)>";
    ch::set_text(&db, &carol, c, ch::Field::Topic, xss).await.unwrap();
    ch::set_text(&db, &carol, c, ch::Field::Purpose, "Think big").await.unwrap();
    let info = chq::info(&db, &alice, c).await.unwrap();
    assert_eq!((info.topic.as_str(), info.purpose.as_str()), (xss, "Think big"), "stored as plain text");
    assert_eq!(
        code(ch::set_text(&db, &carol, c, ch::Field::Topic, &"x".repeat(251)).await),
        "invalid_arguments"
    );

    ch::set_archived(&db, &carol, c, true).await.unwrap();
    let send = SendInput { channel: c, text: "hi".into(), ..Default::default() };
    assert_eq!(code(msgs::send(&db, &bob, send.clone()).await), "is_archived");
    assert_eq!(code(msgs::update(&db, &bob, c, seq, "edit").await), "is_archived");
    assert_eq!(code(msgs::delete(&db, &bob, c, seq).await), "is_archived");
    assert_eq!(code(app::messages::reactions::add(&db, &bob, c, seq, "tada").await), "is_archived");
    assert_eq!(code(ch::set_text(&db, &bob, c, ch::Field::Topic, "t").await), "is_archived");
    assert_eq!(code(ch::rename(&db, &bob, c, "other").await), "is_archived");
    assert_eq!(code(ch::invite(&db, &bob, c, &[alice.member_id]).await), "is_archived");
    let dave = member(&db, &alice, "Dave", Role::Member).await;
    assert_eq!(code(ch::join(&db, &dave, c).await), "is_archived");
    // Still readable and listed.
    assert_eq!(msgq::history(&db, &dave, c, None, None, None).await.unwrap().messages.len(), 1);
    assert!(chq::info(&db, &dave, c).await.unwrap().is_archived);
    ch::set_archived(&db, &bob, c, false).await.unwrap();
    assert!(msgs::send(&db, &bob, send).await.is_ok());
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn the_same_people_always_reach_the_same_dm(db: PgPool) {
    let db = common::ctx(&db);
    let alice = owner(&db, "alice@x.io", "Acme").await;
    let bob = member(&db, &alice, "Bob", Role::Member).await;
    let carol = member(&db, &alice, "Carol", Role::Member).await;
    let zed = owner(&db, "zed@y.io", "Elsewhere").await;
    let dm = ch::open(&db, &alice, &[bob.member_id]).await.unwrap();
    assert_eq!((dm.kind, dm.name.clone(), dm.display_name.as_str()), (ChannelKind::Dm, None, "Bob"));
    assert_eq!(ch::open(&db, &alice, &[bob.member_id, bob.member_id]).await.unwrap().id, dm.id);
    assert_eq!(ch::open(&db, &bob, &[alice.member_id]).await.unwrap().id, dm.id);
    let group = ch::open(&db, &alice, &[bob.member_id, carol.member_id]).await.unwrap();
    assert_eq!(group.kind, ChannelKind::GroupDm);
    assert_eq!(group.display_name, "Bob, Carol");
    assert_eq!(ch::open(&db, &carol, &[bob.member_id, alice.member_id]).await.unwrap().id, group.id);
    let notes = ch::open(&db, &alice, &[]).await.unwrap();
    assert_eq!(
        (notes.kind, notes.display_name.as_str(), notes.member_count),
        (ChannelKind::Dm, "Notes to self", 1)
    );
    assert_eq!(ch::open(&db, &alice, &[alice.member_id]).await.unwrap().id, notes.id);

    let before = count(&db, "channel").await;
    assert_eq!(code(ch::open(&db, &alice, &[zed.member_id]).await), "user_not_found");
    let mut crowd = vec![bob.member_id, carol.member_id];
    for i in 0..7 {
        crowd.push(member(&db, &alice, &format!("P{i}"), Role::Member).await.member_id);
    }
    assert_eq!(code(ch::open(&db, &alice, &crowd).await), "too_many_users");
    assert_eq!(count(&db, "channel").await, before);
    crowd.pop();
    assert_eq!(ch::open(&db, &alice, &crowd).await.unwrap().member_count, 9);

    assert_eq!(code(chq::info(&db, &carol, dm.id).await), "channel_not_found");
    assert_eq!(code(ch::leave(&db, &bob, dm.id).await), "cant_leave_dm");
    let only_dms = ListInput { types: Some("dm"), ..Default::default() };
    let ids: Vec<_> =
        chq::list(&db, &bob, only_dms).await.unwrap().channels.into_iter().map(|c| c.id).collect();
    assert_eq!(ids, [dm.id]);
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn unread_state_and_mention_counts_follow_the_read_marker(db: PgPool) {
    let db = common::ctx(&db);
    let alice = owner(&db, "alice@x.io", "Acme").await;
    let bob = member(&db, &alice, "Bob Builder", Role::Member).await;
    let g = general(&db, &alice).await;
    say(&db, &alice, g, "morning all").await;
    say(&db, &alice, g, "@Bob Builder can you look?").await;
    let last = say(&db, &alice, g, "@here standup").await;
    say(&db, &bob, g, "my own message does not count").await;
    let mine = |v: Vec<app::channels::Channel>| v.into_iter().find(|c| c.id == g).unwrap();
    let seen = mine(chq::mine(&db, &bob).await.unwrap());
    assert!(seen.has_unread);
    assert_eq!(seen.mention_count, 2);
    ch::mark(&db, &bob, g, last).await.unwrap();
    let seen = mine(chq::mine(&db, &bob).await.unwrap());
    assert_eq!((seen.has_unread, seen.mention_count, seen.last_read), (false, 0, last));
    ch::mark(&db, &bob, g, 1).await.unwrap();
    assert_eq!(mine(chq::mine(&db, &bob).await.unwrap()).mention_count, 2, "marking back makes it unread");
    ch::mark(&db, &bob, g, 10_000).await.unwrap();
    assert_eq!(mine(chq::mine(&db, &bob).await.unwrap()).last_read, last + 1, "clamped to the latest seq");
    assert_eq!(code(ch::mark(&db, &bob, g, -1).await), "invalid_arguments");

    // In a DM every message from the other person counts.
    let dm = ch::open(&db, &alice, &[bob.member_id]).await.unwrap().id;
    say(&db, &alice, dm, "psst").await;
    say(&db, &alice, dm, "you there?").await;
    let d = chq::mine(&db, &bob).await.unwrap().into_iter().find(|c| c.id == dm).unwrap();
    assert_eq!((d.has_unread, d.mention_count), (true, 2));
    let public = ch::create(&db, &alice, "news", false).await.unwrap().id;
    assert_eq!(code(ch::mark(&db, &bob, public, 1).await), "not_in_channel");
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn the_demo_seed_has_channels_dms_and_a_long_history(db: PgPool) {
    let db = common::ctx(&db);
    let cfg = common::test_config("127.0.0.1:0".parse().unwrap());
    server::seed::demo(&cfg, &db).await.unwrap();
    server::seed::demo(&cfg, &db).await.unwrap(); // idempotent
    let channels: i64 =
        sqlx::query_scalar("select count(*) from channel where kind in ('public', 'private')")
            .fetch_one(&db.db)
            .await
            .unwrap();
    assert!(channels >= 12, "{channels} channels");
    let dms: i64 = sqlx::query_scalar("select count(*) from channel where kind in ('dm', 'group_dm')")
        .fetch_one(&db.db)
        .await
        .unwrap();
    assert!(dms >= 3);
    let (biggest, threads, reacted): (i64, i64, i64) = sqlx::query_as(
        "select count(*), count(*) filter (where thread_seq is not null),
                (select count(distinct seq) from reaction r where r.channel_id = m.channel_id)
         from message m group by channel_id order by count(*) desc limit 1",
    )
    .fetch_one(&db.db)
    .await
    .unwrap();
    assert!(biggest >= 5000 && threads > 100 && reacted > 100, "{biggest} {threads} {reacted}");
    // The seeded history is consistent with the channel's seq counter.
    let gaps: i64 = sqlx::query_scalar(
        "select count(*) from channel c where last_seq <> (select coalesce(max(seq), 0) from message m where m.channel_id = c.channel_id)",
    )
    .fetch_one(&db.db)
    .await
    .unwrap();
    assert_eq!(gaps, 0);
}
