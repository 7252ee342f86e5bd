use time::macros::datetime;
use time::Duration;
use uuid::Uuid;

use super::*;
use crate::notify::{ChannelPref, Level, Prefs, Schedule};

const NOW: OffsetDateTime = datetime!(2026-12-04 12:00 UTC);

fn me() -> Uuid {
    Uuid::from_u128(1)
}

fn channel() -> Uuid {
    Uuid::from_u128(50)
}

fn msg(text: &str) -> Message {
    Message {
        channel: channel(),
        seq: 7,
        user: Uuid::from_u128(2),
        user_name: "Bob".into(),
        user_deactivated: false,
        text: text.into(),
        html: format!("<p>{text}</p>"),
        thread_seq: None,
        also_in_channel: false,
        reply_count: 0,
        last_reply_at: None,
        reactions: vec![],
        mentions: vec![],
        mentions_all: false,
        client_msg_id: None,
        is_deleted: false,
        files: vec![],
        edited_at: None,
        created_at: NOW,
    }
}

fn at() -> Moment {
    Moment { now: NOW, local_minute: 12 * 60, active: true, viewing: false }
}

fn seen(m: &Message) -> Seen<'_> {
    Seen { me: me(), is_dm: false, follows_thread: false, message: m }
}

fn dm(m: &Message) -> Seen<'_> {
    Seen { is_dm: true, ..seen(m) }
}

fn mentioning_me(text: &str) -> Message {
    Message { mentions: vec![me()], ..msg(text) }
}

fn with_level(level: Level) -> Prefs {
    Prefs { level, ..Prefs::default() }
}

#[test]
fn by_default_dms_and_mentions_notify_and_other_messages_do_not() {
    let p = Prefs::default();
    assert_eq!(decide(&p, dm(&msg("hi")), at()), Some(Reason::Dm));
    assert_eq!(decide(&p, seen(&mentioning_me("@me look")), at()), Some(Reason::Mention));
    assert_eq!(decide(&p, seen(&msg("lunch?")), at()), None);
}

#[test]
fn everything_notifies_channel_messages_but_not_every_thread_reply() {
    let p = with_level(Level::All);
    assert_eq!(decide(&p, seen(&msg("lunch?")), at()), Some(Reason::Message));
    let reply = Message { thread_seq: Some(3), ..msg("in a thread") };
    assert_eq!(decide(&p, seen(&reply), at()), None);
    let broadcast = Message { also_in_channel: true, ..reply.clone() };
    assert_eq!(decide(&p, seen(&broadcast), at()), Some(Reason::Message));
    let followed = Seen { follows_thread: true, ..seen(&reply) };
    assert_eq!(decide(&p, followed, at()), Some(Reason::Reply));
}

#[test]
fn replies_in_followed_threads_notify_at_the_mentions_level() {
    let reply = Message { thread_seq: Some(3), ..msg("done") };
    let p = Prefs::default();
    assert_eq!(decide(&p, Seen { follows_thread: true, ..seen(&reply) }, at()), Some(Reason::Reply));
    assert_eq!(decide(&p, seen(&reply), at()), None);
}

#[test]
fn nothing_silences_even_dms() {
    let p = with_level(Level::Nothing);
    assert_eq!(decide(&p, dm(&msg("hi")), at()), None);
    assert_eq!(decide(&p, seen(&mentioning_me("@me")), at()), None);
}

#[test]
fn a_conversation_override_beats_the_default() {
    let mut p = with_level(Level::Nothing);
    p.channels.push(ChannelPref { channel: channel(), muted: false, level: Some(Level::All) });
    assert_eq!(decide(&p, seen(&msg("news")), at()), Some(Reason::Message));
    let other = Message { channel: Uuid::from_u128(51), ..msg("news") };
    assert_eq!(decide(&p, seen(&other), at()), None);
}

#[test]
fn muted_conversations_never_notify() {
    let mut p = with_level(Level::All);
    p.channels.push(ChannelPref { channel: channel(), muted: true, level: Some(Level::All) });
    assert_eq!(decide(&p, seen(&mentioning_me("@me")), at()), None);
    assert_eq!(decide(&p, dm(&msg("hi")), at()), None);
}

#[test]
fn my_own_deleted_or_viewed_messages_never_notify() {
    let p = with_level(Level::All);
    let mine = Message { user: me(), ..msg("x") };
    assert_eq!(decide(&p, seen(&mine), at()), None);
    let gone = Message { is_deleted: true, ..msg("x") };
    assert_eq!(decide(&p, seen(&gone), at()), None);
    let looking = Moment { viewing: true, ..at() };
    assert_eq!(decide(&p, dm(&msg("x")), looking), None);
}

#[test]
fn a_snooze_silences_until_it_ends() {
    let mut p = Prefs { dnd_until: Some(NOW + Duration::minutes(30)), ..Prefs::default() };
    assert_eq!(decide(&p, dm(&msg("hi")), at()), None);
    p.dnd_until = Some(NOW - Duration::seconds(1));
    assert_eq!(decide(&p, dm(&msg("hi")), at()), Some(Reason::Dm));
}

#[test]
fn the_daily_schedule_wraps_past_midnight() {
    let night = Schedule { start: 22 * 60, end: 8 * 60 };
    assert!(night.contains(23 * 60) && night.contains(0) && night.contains(7 * 60 + 59));
    assert!(!night.contains(8 * 60) && !night.contains(12 * 60) && !night.contains(21 * 60 + 59));
    let lunch = Schedule { start: 12 * 60, end: 13 * 60 };
    assert!(lunch.contains(12 * 60) && !lunch.contains(13 * 60) && !lunch.contains(11 * 60));
    assert!(!Schedule { start: 600, end: 600 }.contains(600), "an empty period is never on");
    let p = Prefs { schedule: Some(night), ..Prefs::default() };
    assert_eq!(decide(&p, dm(&msg("hi")), Moment { local_minute: 23 * 60, ..at() }), None);
    assert_eq!(decide(&p, dm(&msg("hi")), at()), Some(Reason::Dm));
}

#[test]
fn keywords_match_whole_words_ignoring_case() {
    assert!(has_keyword("The Deploy failed", "deploy"));
    assert!(has_keyword("deploy.", "Deploy"));
    assert!(has_keyword("about the launch plan today", "launch plan"));
    assert!(!has_keyword("redeployed", "deploy"));
    assert!(!has_keyword("deploy_tool", "deploy"));
    assert!(!has_keyword("anything", "  "));
    assert!(has_keyword("ÉTÉ arrive", "été"));
    let p = Prefs { keywords: vec!["deploy".into()], ..Prefs::default() };
    assert_eq!(decide(&p, seen(&msg("deploy is done")), at()), Some(Reason::Keyword));
    assert_eq!(decide(&p, seen(&msg("redeployed")), at()), None);
}

#[test]
fn here_reaches_only_members_who_are_here_and_channel_reaches_everyone() {
    let here = Message {
        mentions_all: true,
        html: r#"<p><span class="mention-all">@here</span> standup</p>"#.into(),
        ..msg("@here standup")
    };
    let channel = Message {
        html: r#"<p><span class="mention-all">@channel</span> standup</p>"#.into(),
        ..here.clone()
    };
    let p = Prefs::default();
    assert_eq!(decide(&p, seen(&here), at()), Some(Reason::Mention));
    let away = Moment { active: false, ..at() };
    assert_eq!(decide(&p, seen(&here), away), None);
    assert_eq!(decide(&p, seen(&channel), away), Some(Reason::Mention));
}
