//! Missed-message email through a real SMTP server (aiosmtpd): a DM to a
//! member with no tab open is mailed once its delay is up, with a link to the
//! message; a mention read in time, a member who is online, one who chose
//! "never" and a muted conversation get nothing; a snooze postpones the mail.
//! `@channel` mails everyone away who wants it; `@here` mails nobody.

mod common;

use std::time::{Duration, Instant};

use app::auth::Role;
use common::mail::{smtp_sink, Sink};
use common::ws::{connect, general, post, token};
use common::{assert_error, member, owner, Srv};
use serde_json::json;
use sqlx::PgPool;

async fn email_of(db: &PgPool, member: uuid::Uuid) -> String {
    sqlx::query_scalar(
        "select a.email from account a join member m using (account_id) where m.member_id = $1",
    )
    .bind(member)
    .fetch_one(db)
    .await
    .unwrap()
}

/// A server that mails through a fresh SMTP sink, missed messages after 1 s.
async fn mailing(db: &PgPool) -> (Sink, Srv) {
    let sink = smtp_sink().await;
    let url = sink.url.clone();
    let srv = Srv::start_with(db.clone(), move |c| {
        c.smtp_url = Some(url);
        c.missed_mail_after_secs = 1;
    })
    .await;
    (sink, srv)
}

/// Waits until every queued row has been handled (none left due soon).
async fn settled(db: &PgPool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let left: i64 = sqlx::query_scalar(
            "select count(*) from missed_outbox where due_at < now() + interval '10 minutes'",
        )
        .fetch_one(db)
        .await
        .unwrap();
        if left == 0 {
            return;
        }
        assert!(Instant::now() < deadline, "{left} missed-mail rows still waiting");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn missed_dms_and_mentions_are_mailed_only_to_who_is_away_and_wants_it(db: PgPool) {
    let (sink, srv) = mailing(&db).await;
    let alice = owner(&db, "alice@x.io", "Acme").await;
    let bob = member(&db, &alice, "Bob", Role::Member).await;
    let cat = member(&db, &alice, "Cat", Role::Member).await;
    let dan = member(&db, &alice, "Dan", Role::Member).await;
    let eve = member(&db, &alice, "Eve", Role::Member).await;
    let (ta, tb, tc, td, te) = (
        token(&db, &alice).await,
        token(&db, &bob).await,
        token(&db, &cat).await,
        token(&db, &dan).await,
        token(&db, &eve).await,
    );
    let gen = general(&db, &alice).await;
    // Dan has a tab open; Eve never wants mail; Cat waits an hour ("hourly"
    // is four delays: 4 s here) and reads in time; Bob mutes #general.
    let _dan_tab = connect(&srv, &td, json!({})).await;
    assert_eq!(srv.call_bearer(&te, "users.prefs.set", json!({"missed_mail": "never"})).await.0, 200);
    assert_eq!(srv.call_bearer(&tc, "users.prefs.set", json!({"missed_mail": "hourly"})).await.0, 200);
    assert_eq!(srv.call_bearer(&tb, "conversations.mute", json!({"channel": gen})).await.0, 200);
    let got = srv.call_bearer(&tb, "users.prefs.set", json!({"missed_mail": "sometimes"})).await;
    assert_error(&got, 400, "invalid_arguments");

    let (_, dm) = srv.call_bearer(&ta, "conversations.open", json!({"users": [bob.member_id]})).await;
    let dm = dm["channel"]["id"].as_str().unwrap().to_string();
    let lunch = post(&srv, &ta, &dm, "Lunch at noon? <b>bring</b> the plan").await;
    let mention = post(&srv, &ta, &gen, "@Cat @Dan @Eve @Bob the plan is up").await;
    let seq = mention["seq"].as_i64().unwrap();
    assert_eq!(srv.call_bearer(&tc, "conversations.mark", json!({"channel": gen, "seq": seq})).await.0, 200);
    let rows: i64 = sqlx::query_scalar("select count(*) from missed_outbox").fetch_one(&db).await.unwrap();
    assert_eq!(rows, 3, "Bob (the DM; he muted #general), Cat and Dan; not Eve, who chose never");

    let bob_mail = sink.wait_for(&email_of(&db, bob.member_id).await).await;
    assert!(bob_mail.contains("Subject: 1 unread message(s) in Acme"), "{bob_mail}");
    assert!(bob_mail.contains("Lunch at noon? <b>bring</b> the plan"), "{bob_mail}");
    assert!(bob_mail.contains(&format!("{}/c/{dm}/{}", srv.url, lunch["seq"])), "{bob_mail}");
    assert!(!bob_mail.contains("the plan is up"), "#general is muted for Bob: {bob_mail}");
    settled(&db).await;
    let kinds: Vec<(String, String)> =
        sqlx::query_as("select to_email, kind from mail_outbox order by mail_id")
            .fetch_all(&db)
            .await
            .unwrap();
    assert_eq!(kinds, [(email_of(&db, bob.member_id).await, "missed_messages".to_string())], "only Bob's");

    // Snoozed: the mail waits for the end of the snooze.
    assert_eq!(srv.call_bearer(&tb, "dnd.set", json!({"snooze_minutes": 30})).await.0, 200);
    post(&srv, &ta, &dm, "are you there?").await;
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let later: i64 = sqlx::query_scalar(
            "select count(*) from missed_outbox where member_id = $1 and due_at > now() + interval '20 minutes'",
        )
        .bind(bob.member_id)
        .fetch_one(&db)
        .await
        .unwrap();
        if later == 1 {
            break;
        }
        assert!(Instant::now() < deadline, "the snoozed row was not postponed");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let mails: i64 = sqlx::query_scalar("select count(*) from mail_outbox").fetch_one(&db).await.unwrap();
    assert_eq!(mails, 1, "nothing mailed during the snooze");
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn a_daily_quiet_period_postpones_the_mail_to_its_end(db: PgPool) {
    let (_sink, srv) = mailing(&db).await;
    let alice = owner(&db, "alice@x.io", "Acme").await;
    let fay = member(&db, &alice, "Fay", Role::Member).await;
    let (ta, tf) = (token(&db, &alice).await, token(&db, &fay).await);
    // Fay's quiet period runs from an hour ago to an hour from now, in her time zone.
    sqlx::query("update member set time_zone = 'Asia/Tokyo' where member_id = $1")
        .bind(fay.member_id)
        .execute(&db)
        .await
        .unwrap();
    let minute: i32 = sqlx::query_scalar(
        "select (extract(hour from now() at time zone 'Asia/Tokyo') * 60
                 + extract(minute from now() at time zone 'Asia/Tokyo'))::int",
    )
    .fetch_one(&db)
    .await
    .unwrap();
    let hm = |m: i32| format!("{:02}:{:02}", m.rem_euclid(1440) / 60, m.rem_euclid(1440) % 60);
    let schedule = format!("{}-{}", hm(minute - 60), hm(minute + 60));
    assert_eq!(srv.call_bearer(&tf, "dnd.set", json!({"schedule": schedule})).await.0, 200);

    let (_, dm) = srv.call_bearer(&ta, "conversations.open", json!({"users": [fay.member_id]})).await;
    let dm = dm["channel"]["id"].as_str().unwrap().to_string();
    post(&srv, &ta, &dm, "while you are away").await;
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let later: i64 = sqlx::query_scalar(
            "select count(*) from missed_outbox where member_id = $1
                and due_at between now() + interval '58 minutes' and now() + interval '61 minutes'",
        )
        .bind(fay.member_id)
        .fetch_one(&db)
        .await
        .unwrap();
        if later == 1 {
            break;
        }
        assert!(Instant::now() < deadline, "the row was not postponed to the end of the quiet period");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let mails: i64 = sqlx::query_scalar("select count(*) from mail_outbox").fetch_one(&db).await.unwrap();
    assert_eq!(mails, 0, "nothing mailed during the quiet period");
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn at_channel_is_mailed_to_everyone_away_and_at_here_to_nobody(db: PgPool) {
    let (sink, srv) = mailing(&db).await;
    let alice = owner(&db, "alice@x.io", "Acme").await;
    let gus = member(&db, &alice, "Gus", Role::Member).await;
    let hal = member(&db, &alice, "Hal", Role::Member).await;
    let ivy = member(&db, &alice, "Ivy", Role::Member).await;
    let (ta, th, ti) = (token(&db, &alice).await, token(&db, &hal).await, token(&db, &ivy).await);
    let gen = general(&db, &alice).await;
    // Hal wants nothing from #general; Ivy has a tab open.
    let set = json!({"channel": gen, "level": "nothing"});
    assert_eq!(srv.call_bearer(&th, "conversations.setNotificationPref", set).await.0, 200);
    let _ivy_tab = connect(&srv, &ti, json!({})).await;

    post(&srv, &ta, &gen, "@here standup in 5").await;
    let rows: i64 = sqlx::query_scalar("select count(*) from missed_outbox").fetch_one(&db).await.unwrap();
    assert_eq!(rows, 0, "@here names those online now: nobody to mail");

    post(&srv, &ta, &gen, "@channel the release is at 5").await;
    let queued: Vec<uuid::Uuid> =
        sqlx::query_scalar("select member_id from missed_outbox order by member_id")
            .fetch_all(&db)
            .await
            .unwrap();
    let mut want = vec![gus.member_id, ivy.member_id];
    want.sort();
    assert_eq!(queued, want, "everyone but the sender and Hal, who set #general to nothing");

    let gus_mail = sink.wait_for(&email_of(&db, gus.member_id).await).await;
    assert!(gus_mail.contains("the release is at 5") && gus_mail.contains("in #general"), "{gus_mail}");
    assert!(!gus_mail.contains("standup"), "{gus_mail}");
    settled(&db).await;
    let to: Vec<String> =
        sqlx::query_scalar("select to_email from mail_outbox").fetch_all(&db).await.unwrap();
    assert_eq!(to, [email_of(&db, gus.member_id).await], "Ivy's tab told her; only Gus is mailed");
}
