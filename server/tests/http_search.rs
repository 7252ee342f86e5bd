//! `search.messages` on the Postgres backend, over HTTP: every operator
//! alone and combined, phrases and exclusions, access control (a private
//! channel one left, other people's DMs, other workspaces), edits and
//! deletes, XSS-safe snippets, the newest-first walk across channels, and
//! search as you type.

mod common;

use app::auth::Role;
use common::files::upload_one;
use common::ws::{general, post, token};
use common::{assert_error, member, owner, Srv};
use serde_json::{json, Value};
use sqlx::PgPool;

/// The texts of the matches, in order.
async fn find(srv: &Srv, token: &str, query: &str) -> Vec<String> {
    let (s, b) =
        srv.call_bearer(token, "search.messages", json!({"query": query, "sort": "timestamp"})).await;
    assert_eq!(s, 200, "{query}: {b}");
    assert_eq!(b["backend"], "postgres");
    let matches = b["messages"]["matches"].as_array().unwrap();
    assert_eq!(
        b["messages"]["total"].as_u64().unwrap() as usize,
        matches.len(),
        "{query}: total counts only what the caller may see"
    );
    matches.iter().map(|m| m["text"].as_str().unwrap().to_string()).collect()
}

async fn backdate(db: &PgPool, m: &Value, day: &str) {
    sqlx::query(
        "update message set created_at = $3::date + time '12:00' where channel_id = $1::uuid and seq = $2",
    )
    .bind(m["channel"].as_str().unwrap())
    .bind(m["seq"].as_i64().unwrap())
    .bind(day)
    .execute(db)
    .await
    .unwrap();
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn words_phrases_exclusions_and_every_operator(db: PgPool) {
    let srv = Srv::start(db.clone()).await;
    let alice = owner(&db, "alice@x.io", "Acme").await;
    let bob = member(&db, &alice, "Bob Builder", Role::Member).await;
    let (ta, tb, gen) = (token(&db, &alice).await, token(&db, &bob).await, general(&db, &alice).await);
    let (_, b) = srv.call_bearer(&ta, "conversations.create", json!({"name": "eng"})).await;
    let eng = b["channel"]["id"].as_str().unwrap().to_string();
    srv.call_bearer(&tb, "conversations.join", json!({"channel": eng})).await;

    let m1 = post(&srv, &ta, &gen, "The launch plan is ready").await;
    let m2 = post(&srv, &tb, &eng, "Launching the rocket tomorrow, see https://example.com/plan").await;
    let m3 = post(&srv, &tb, &gen, "the plan was a draft launch").await;
    let root = post(&srv, &ta, &eng, "Thread about budgets").await;
    let (s, _) = srv
        .call_bearer(
            &tb,
            "chat.postMessage",
            json!({"channel": eng, "text": "budget reply", "thread_seq": root["seq"]}),
        )
        .await;
    assert_eq!(s, 200);
    srv.call_bearer(&ta, "reactions.add", json!({"channel": gen, "seq": m1["seq"], "emoji": "tada"})).await;
    upload_one(&srv, &ta, &eng, "launch-photo.png", common::files::png(10, 10)).await;
    backdate(&db, &m1, "2025-12-24").await;
    backdate(&db, &m2, "2026-01-05").await;
    backdate(&db, &m3, "2026-02-10").await;

    // Stemming: "launch" finds "Launching"; newest first with sort=timestamp.
    assert_eq!(
        find(&srv, &ta, "launch").await,
        [m3["text"].as_str().unwrap(), m2["text"].as_str().unwrap(), m1["text"].as_str().unwrap()]
    );
    assert_eq!(find(&srv, &ta, "\"launch plan\"").await, ["The launch plan is ready"]);
    assert_eq!(find(&srv, &ta, "launch -draft -rocket").await, ["The launch plan is ready"]);
    assert_eq!(find(&srv, &ta, "launch -\"draft launch\"").await.len(), 2);
    assert_eq!(find(&srv, &ta, "from:@bob").await.len(), 3, "Bob's two messages and his reply");
    assert_eq!(find(&srv, &ta, "launch from:@alice").await, ["The launch plan is ready"]);
    assert_eq!(find(&srv, &ta, "launch in:#eng").await, [m2["text"].as_str().unwrap()]);
    assert_eq!(find(&srv, &ta, "plan before:2026-01-01").await, ["The launch plan is ready"]);
    assert_eq!(find(&srv, &ta, "plan after:2026-01-05").await, ["the plan was a draft launch"]);
    assert_eq!(find(&srv, &ta, "on:2026-01-05").await, [m2["text"].as_str().unwrap()]);
    assert_eq!(find(&srv, &ta, "launch during:2026-02").await, ["the plan was a draft launch"]);
    assert_eq!(find(&srv, &ta, "launch during:2025").await, ["The launch plan is ready"]);
    assert_eq!(find(&srv, &ta, "has:link").await, [m2["text"].as_str().unwrap()]);
    assert_eq!(find(&srv, &ta, "has:reaction").await, ["The launch plan is ready"]);
    assert_eq!(find(&srv, &ta, "has:image").await, [""], "the photo's message has no text");
    assert_eq!(find(&srv, &ta, "has:file in:#eng").await.len(), 1);
    assert_eq!(find(&srv, &ta, "is:thread").await, ["budget reply", "Thread about budgets"]);
    assert_eq!(find(&srv, &ta, "budget is:thread from:@bob in:#eng").await, ["budget reply"]);
    assert!(find(&srv, &ta, "launch in:#eng before:2026-01-01").await.is_empty());
    assert!(find(&srv, &ta, "the").await.is_empty(), "stop words alone match nothing rather than everything");

    // Relevance ranking puts the phrase-dense message first.
    let (_, b) = srv.call_bearer(&ta, "search.messages", json!({"query": "plan", "limit": 1})).await;
    assert_eq!(b["messages"]["total"], 2, "the URL path /plan is not the word plan");
    assert_eq!(b["messages"]["matches"].as_array().unwrap().len(), 1);
    let cursor = b["next_cursor"].as_str().unwrap().to_string();
    let (_, b2) =
        srv.call_bearer(&ta, "search.messages", json!({"query": "plan", "limit": 1, "cursor": cursor})).await;
    assert_ne!(b2["messages"]["matches"][0]["seq"], b["messages"]["matches"][0]["seq"]);

    // Malformed input is reported, with its position.
    let bad = srv.call_bearer(&ta, "search.messages", json!({"query": "plan before:2026-13-40"})).await;
    assert_error(&bad, 400, "invalid_arguments");
    assert!(bad.1["detail"].as_str().unwrap().contains("at character 6"), "{}", bad.1);
    assert_error(
        &srv.call_bearer(&ta, "search.messages", json!({"query": "has:pdf"})).await,
        400,
        "invalid_arguments",
    );
    assert_error(
        &srv.call_bearer(&ta, "search.messages", json!({"query": "  "})).await,
        400,
        "invalid_arguments",
    );
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn only_what_the_caller_can_read_right_now(db: PgPool) {
    let srv = Srv::start(db.clone()).await;
    let alice = owner(&db, "alice@x.io", "Acme").await;
    let bob = member(&db, &alice, "Bob", Role::Member).await;
    let carol = member(&db, &alice, "Carol", Role::Member).await;
    let guest = member(&db, &alice, "Gus", Role::Guest).await;
    let eve = owner(&db, "eve@y.io", "Other").await;
    let (ta, tb, tc, tg, te) = (
        token(&db, &alice).await,
        token(&db, &bob).await,
        token(&db, &carol).await,
        token(&db, &guest).await,
        token(&db, &eve).await,
    );
    let (_, b) =
        srv.call_bearer(&ta, "conversations.create", json!({"name": "secret", "is_private": true})).await;
    let secret = b["channel"]["id"].as_str().unwrap().to_string();
    srv.call_bearer(&ta, "conversations.invite", json!({"channel": secret, "users": [bob.member_id]})).await;
    post(&srv, &ta, &secret, "zebra in the private channel").await;
    let (_, b) = srv.call_bearer(&ta, "conversations.open", json!({"users": [carol.member_id]})).await;
    let dm = b["channel"]["id"].as_str().unwrap().to_string();
    post(&srv, &ta, &dm, "zebra between alice and carol").await;
    post(&srv, &ta, &general(&db, &alice).await, "zebra for everyone").await;
    post(&srv, &te, &general(&db, &eve).await, "zebra in another workspace").await;

    assert_eq!(find(&srv, &tb, "zebra").await.len(), 2, "Bob: #general and the private channel he is in");
    let (s, _) = srv.call_bearer(&tb, "conversations.leave", json!({"channel": secret})).await;
    assert_eq!(s, 200);
    assert_eq!(
        find(&srv, &tb, "zebra").await,
        ["zebra for everyone"],
        "after leaving, the private channel is gone"
    );
    assert_eq!(find(&srv, &tc, "zebra").await.len(), 2, "Carol: #general and her DM");
    assert!(find(&srv, &tb, "in:@carol").await.is_empty(), "Bob cannot see Alice and Carol's DM");
    assert_eq!(find(&srv, &ta, "zebra in:@carol").await, ["zebra between alice and carol"]);
    assert!(find(&srv, &tg, "zebra").await.is_empty(), "a guest in no channel sees nothing");
    assert_eq!(find(&srv, &te, "zebra").await, ["zebra in another workspace"]);
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn edits_and_deletes_are_reflected_and_snippets_are_inert(db: PgPool) {
    let srv = Srv::start(db.clone()).await;
    let alice = owner(&db, "alice@x.io", "Acme").await;
    let (t, c) = (token(&db, &alice).await, general(&db, &alice).await);
    let m = post(&srv, &t, &c, "<img src=x onerror=alert(1)> quarterly <b>numbers</b> & more").await;
    let (_, b) = srv.call_bearer(&t, "search.messages", json!({"query": "quarterly"})).await;
    let snippet = b["messages"]["matches"][0]["snippet_html"].as_str().unwrap();
    assert!(snippet.contains("<mark>quarterly</mark>"), "{snippet}");
    // The only markup is <mark>; everything the user wrote is text.
    assert!(!snippet.replace("<mark>", "").replace("</mark>", "").contains('<'), "{snippet}");
    assert!(snippet.contains("&amp;"), "{snippet}");

    let (s, _) = srv
        .call_bearer(&t, "chat.update", json!({"channel": c, "seq": m["seq"], "text": "annual figures"}))
        .await;
    assert_eq!(s, 200);
    assert!(find(&srv, &t, "quarterly").await.is_empty(), "the old text is gone from search");
    assert_eq!(find(&srv, &t, "annual").await, ["annual figures"]);
    let (s, _) = srv.call_bearer(&t, "chat.delete", json!({"channel": c, "seq": m["seq"]})).await;
    assert_eq!(s, 200);
    assert!(find(&srv, &t, "annual").await.is_empty(), "deleted messages never match");
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn very_common_words_rank_the_newest_1000_and_say_there_are_more(db: PgPool) {
    let srv = Srv::start(db.clone()).await;
    let alice = owner(&db, "alice@x.io", "Acme").await;
    let (t, c) = (token(&db, &alice).await, general(&db, &alice).await);
    sqlx::query(
        "insert into message (channel_id, seq, member_id, body, html, created_at)
         select $1::uuid, s, $2, 'capybara number ' || s, '<p>capybara</p>', now() - (4000 - s) * interval '1 second'
         from generate_series(1000, 3004) s",
    )
    .bind(&c)
    .bind(alice.member_id)
    .execute(&db)
    .await
    .unwrap();
    let (s, b) = srv
        .call_bearer(&t, "search.messages", json!({"query": "capybara", "sort": "timestamp", "limit": 5}))
        .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["messages"]["total"], 1000);
    assert_eq!(b["messages"]["total_capped"], true);
    assert_eq!(b["messages"]["matches"][0]["seq"], 3004, "newest first");
    let (_, b) = srv.call_bearer(&t, "search.messages", json!({"query": "capybara 2999"})).await;
    assert_eq!(b["messages"]["total"], 1);
    assert_eq!(b["messages"]["total_capped"], false);
    // With statistics, "capybara" is known to be common, and the other plan
    // (each channel newest first) gives the same answers.
    sqlx::query("analyze message").execute(&db).await.unwrap();
    let share: Option<f32> = sqlx::query_scalar(
        "select max(f) from (select unnest(most_common_elems::text::text[]) e, unnest(most_common_elem_freqs) f
         from pg_stats where tablename like 'message\\_p%' and attname = 'tsv') s where e = 'capybara'",
    )
    .fetch_one(&db)
    .await
    .unwrap();
    assert!(share.unwrap_or(0.0) > 0.5, "capybara is common now: {share:?}");
    srv.search_stats.forget();
    let (_, b) = srv
        .call_bearer(&t, "search.messages", json!({"query": "capybara", "sort": "timestamp", "limit": 5}))
        .await;
    assert_eq!(
        (b["messages"]["total"].as_i64(), b["messages"]["total_capped"].as_bool()),
        (Some(1000), Some(true))
    );
    assert_eq!(b["messages"]["matches"][0]["seq"], 3004);
    let (_, b) = srv.call_bearer(&t, "search.messages", json!({"query": "capybara 2999"})).await;
    assert_eq!(b["messages"]["total"], 1);
}

/// All matches of `query` newest first, page by page (100 at a time).
async fn every_seq(srv: &Srv, token: &str, query: &str) -> Vec<(String, i64)> {
    let (mut out, mut cursor) = (Vec::new(), None::<String>);
    loop {
        let (s, b) = srv
            .call_bearer(
                token,
                "search.messages",
                json!({"query": query, "sort": "timestamp", "limit": 100, "cursor": cursor}),
            )
            .await;
        assert_eq!(s, 200, "{b}");
        for m in b["messages"]["matches"].as_array().unwrap() {
            out.push((m["channel"].as_str().unwrap().to_string(), m["seq"].as_i64().unwrap()));
        }
        match b["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => return out,
        }
    }
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn the_walk_across_channels_finds_exactly_the_newest_matches(db: PgPool) {
    let srv = Srv::start(db.clone()).await;
    let alice = owner(&db, "alice@x.io", "Acme").await;
    let (t, gen) = (token(&db, &alice).await, general(&db, &alice).await);
    let mut chans = vec![gen];
    for name in ["busy", "quiet"] {
        let (_, b) = srv.call_bearer(&t, "conversations.create", json!({"name": name})).await;
        chans.push(b["channel"]["id"].as_str().unwrap().to_string());
    }
    // #busy has 1,500 recent matches; #general 300 interleaved with them;
    // #quiet 300 older ones. The first walk takes 418 from each channel, so
    // only #busy must be walked further, down to the cut.
    for (ch, n, every, offset) in [(&chans[1], 1500, 2, 0), (&chans[0], 300, 2, 1), (&chans[2], 300, 1, 5000)]
    {
        sqlx::query(
            "insert into message (channel_id, seq, member_id, body, html, created_at)
             select $1::uuid, 1000 + s, $2, 'wombat ' || s || case when s % 3 = 0 then ' hidden' else '' end, '<p>x</p>',
                    now() - (($4 + s * $3) * interval '1 second')
             from generate_series(1, $5) s",
        )
        .bind(ch)
        .bind(alice.member_id)
        .bind(every)
        .bind(offset)
        .bind(n)
        .execute(&db)
        .await
        .unwrap();
    }
    sqlx::query("analyze message").execute(&db).await.unwrap();
    srv.search_stats.forget();
    for query in ["wombat", "wombat -hidden", "wombat hidden"] {
        let expected: Vec<(String, i64)> = sqlx::query_as(
            "select channel_id::text, seq from message
             where channel_id = any($1::uuid[]) and tsv @@ websearch_to_tsquery('english', $2)
             order by created_at desc, seq desc limit 1000",
        )
        .bind(&chans)
        .bind(query)
        .fetch_all(&db)
        .await
        .unwrap();
        assert!(expected.len() > 500, "{query}: {}", expected.len());
        assert_eq!(every_seq(&srv, &t, query).await, expected, "{query}");
    }
    // is:thread walks only thread messages.
    let root = post(&srv, &t, &chans[2], "wombat thread root").await;
    let (s, _) = srv
        .call_bearer(
            &t,
            "chat.postMessage",
            json!({"channel": chans[2], "text": "a reply", "thread_seq": root["seq"]}),
        )
        .await;
    assert_eq!(s, 200);
    let found = find(&srv, &t, "is:thread").await;
    assert_eq!(found, ["a reply", "wombat thread root"]);
    assert_eq!(find(&srv, &t, "wombat is:thread").await, ["wombat thread root"]);
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn search_as_you_type_matches_the_last_word_as_a_prefix(db: PgPool) {
    let srv = Srv::start(db.clone()).await;
    let alice = owner(&db, "alice@x.io", "Acme").await;
    let (t, gen) = (token(&db, &alice).await, general(&db, &alice).await);
    post(&srv, &t, &gen, "The deployment checklist is ready").await;
    post(&srv, &t, &gen, "Deploying <script>alert(1)</script> tonight").await;
    post(&srv, &t, &gen, "lunch at noon").await;
    let typed = |q: &str, prefix: bool| {
        let (srv, t) = (&srv, &t);
        let q = q.to_string();
        async move {
            let (s, b) = srv
                .call_bearer(t, "search.messages", json!({"query": q, "sort": "timestamp", "prefix": prefix}))
                .await;
            assert_eq!(s, 200, "{q}: {b}");
            let m = b["messages"]["matches"].as_array().unwrap().clone();
            m.iter().map(|m| m["snippet_html"].as_str().unwrap().to_string()).collect::<Vec<_>>()
        }
    };
    let hits = typed("deplo", true).await;
    assert_eq!(hits.len(), 2, "{hits:?}");
    assert!(hits[0].starts_with("<mark>Deploying</mark>") && !hits[0].contains("<script"), "{hits:?}");
    assert!(hits[1].contains("<mark>deployment</mark>"), "{hits:?}");
    assert!(typed("deplo", false).await.is_empty(), "without prefix, words are exact");
    assert!(typed("deplo ", true).await.is_empty(), "a space ends the word");
    assert_eq!(typed("checklist deplo", true).await.len(), 1, "earlier words stay exact");
    assert_eq!(typed("deplo in:#general", true).await.len(), 0, "only the last term is a prefix");
    assert_eq!(typed("lunch d", true).await.len(), 1, "one letter is not a prefix (ignored)");
    assert_eq!(typed("deployment", true).await.len(), 2, "a whole word matches its own stem");
}
