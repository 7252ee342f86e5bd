//! The people of an export: who they become here. Someone whose email has
//! an account that is a member of this workspace is that member; anyone
//! else is created deactivated, with no password (an email invite to the
//! same address lets them claim the account). Bots and people referenced
//! but not listed become deactivated members too, so every message keeps
//! its author. Each is keyed by their Slack id in `import_person`.

use std::collections::HashMap;

use sqlx::PgConnection;
use uuid::Uuid;

use super::read::User;
use super::{People, Report};
use crate::auth::Role;
use crate::error::AppResult;

/// Someone to create or match.
#[derive(Debug, Clone)]
pub struct Person {
    /// Slack user id, or `bot:<id>`.
    pub key: String,
    /// A real address from the export, lowercased.
    pub email: Option<String>,
    pub display_name: String,
    pub full_name: String,
    pub title: String,
    pub time_zone: String,
    pub role: Role,
    pub deleted: bool,
    pub bot: bool,
    /// In `users.json` (not only referenced).
    pub listed: bool,
}

/// Text cut to `max` characters with spoofing characters and controls out.
pub fn clean(s: &str, max: usize) -> String {
    let s = crate::core::text::without_spoofing(s);
    s.chars().filter(|c| !c.is_control()).take(max).collect::<String>().trim().to_string()
}

fn email_of(u: &User) -> Option<String> {
    let e = u.profile.email.as_deref()?.trim().to_lowercase();
    let ok = e.len() <= 254 && e.split_once('@').is_some_and(|(a, b)| !a.is_empty() && b.contains('.'));
    ok.then_some(e)
}

/// The name someone is shown by: Slack's display name, else real name,
/// else handle, else id.
pub fn display_name(u: &User) -> String {
    [u.profile.display_name.as_deref(), u.profile.real_name.as_deref(), u.real_name.as_deref(), Some(&u.name)]
        .into_iter()
        .flatten()
        .map(|n| clean(n, crate::auth::MAX_NAME_LEN))
        .find(|n| !n.is_empty())
        .unwrap_or_else(|| clean(&u.id, 80))
}

/// Everyone the import creates or matches: `users.json`, then the people
/// the dry run found referenced but not listed, then bots.
pub fn persons(users: &[User], report: &Report) -> Vec<Person> {
    let mut out: Vec<Person> = users
        .iter()
        .filter(|u| !u.id.is_empty())
        .map(|u| Person {
            key: u.id.clone(),
            email: email_of(u),
            display_name: display_name(u),
            full_name: clean(u.profile.real_name.as_deref().or(u.real_name.as_deref()).unwrap_or(""), 80),
            title: clean(u.profile.title.as_deref().unwrap_or(""), 100),
            time_zone: clean(u.tz.as_deref().unwrap_or(""), 64),
            role: if u.is_restricted || u.is_ultra_restricted {
                Role::Guest
            } else if u.is_admin || u.is_owner {
                Role::Admin
            } else {
                Role::Member
            },
            deleted: u.deleted,
            bot: u.is_bot,
            listed: true,
        })
        .collect();
    for id in &report.missing_people {
        out.push(unlisted(id.clone(), format!("Unknown ({})", clean(id, 60)), false));
    }
    for (key, name) in &report.bots {
        let n = clean(name, crate::auth::MAX_NAME_LEN);
        out.push(unlisted(key.clone(), if n.is_empty() { "Bot".into() } else { n }, true));
    }
    out
}

fn unlisted(key: String, display_name: String, bot: bool) -> Person {
    Person {
        key,
        email: None,
        display_name,
        full_name: String::new(),
        title: String::new(),
        time_zone: String::new(),
        role: Role::Member,
        deleted: false,
        bot,
        listed: false,
    }
}

/// The address of someone with none in the export: unique per workspace
/// and person, and never deliverable (`.invalid`).
fn placeholder_email(workspace: Uuid, key: &str) -> String {
    let k: String = key
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '-' })
        .take(60)
        .collect();
    format!("slack-{k}@{}.import.invalid", workspace.simple())
}

/// The dry run's view of the people: who matches an existing member.
pub async fn preview(db: &mut PgConnection, workspace: Uuid, persons: &[Person]) -> AppResult<People> {
    let emails: Vec<String> = persons.iter().filter_map(|p| p.email.clone()).collect();
    let matched: Vec<String> = sqlx::query_scalar(
        "select a.email from account a join member m on m.account_id = a.account_id
          where m.workspace_id = $1 and a.email = any($2)",
    )
    .bind(workspace)
    .bind(&emails)
    .fetch_all(&mut *db)
    .await?;
    let mut p = People::default();
    for person in persons {
        p.listed += person.listed as u64;
        p.missing += (!person.listed && !person.bot) as u64;
        p.bots += person.bot as u64;
        p.deleted += person.deleted as u64;
        p.admins += (person.role == Role::Admin) as u64;
        p.guests += (person.role == Role::Guest) as u64;
        if person.email.as_ref().is_some_and(|e| matched.contains(e)) {
            p.matched += 1;
        } else {
            p.new += 1;
        }
    }
    Ok(p)
}

/// Creates or matches everyone; returns each key's member. Already
/// imported people (`import_person`) are reused, so this runs any number
/// of times.
pub async fn ensure(
    tx: &mut PgConnection,
    workspace: Uuid,
    persons: &[Person],
) -> AppResult<HashMap<String, Uuid>> {
    let known: Vec<(String, Uuid)> =
        sqlx::query_as("select slack_id, member_id from import_person where workspace_id = $1")
            .bind(workspace)
            .fetch_all(&mut *tx)
            .await?;
    let mut map: HashMap<String, Uuid> = known.into_iter().collect();
    for p in persons {
        if map.contains_key(&p.key) {
            continue;
        }
        let email = p.email.clone().unwrap_or_else(|| placeholder_email(workspace, &p.key));
        let account: Option<Uuid> = sqlx::query_scalar("select account_id from account where email = $1")
            .bind(&email)
            .fetch_optional(&mut *tx)
            .await?;
        let account = match account {
            Some(a) => a,
            None => {
                let id = Uuid::now_v7();
                sqlx::query("insert into account (account_id, email, password_hash) values ($1, $2, $3)")
                    .bind(id)
                    .bind(&email)
                    .bind(crate::auth::passwords::UNCLAIMED)
                    .execute(&mut *tx)
                    .await?;
                id
            }
        };
        let existing: Option<Uuid> =
            sqlx::query_scalar("select member_id from member where workspace_id = $1 and account_id = $2")
                .bind(workspace)
                .bind(account)
                .fetch_optional(&mut *tx)
                .await?;
        let member = match existing {
            Some(m) => m,
            None => {
                let id = Uuid::now_v7();
                sqlx::query(
                    "insert into member (member_id, workspace_id, account_id, role, display_name, full_name, title,
                                         time_zone, deactivated_at)
                     values ($1, $2, $3, $4, $5, $6, $7, $8, now())",
                )
                .bind(id)
                .bind(workspace)
                .bind(account)
                .bind(p.role.as_str())
                .bind(&p.display_name)
                .bind(&p.full_name)
                .bind(&p.title)
                .bind(&p.time_zone)
                .execute(&mut *tx)
                .await?;
                id
            }
        };
        sqlx::query(
            "insert into import_person (workspace_id, slack_id, member_id) values ($1, $2, $3) on conflict do nothing",
        )
        .bind(workspace)
        .bind(&p.key)
        .bind(member)
        .execute(&mut *tx)
        .await?;
        map.insert(p.key.clone(), member);
    }
    Ok(map)
}
