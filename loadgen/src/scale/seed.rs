//! `loadgen seed`: the scale world in a database, in minutes (seed.sql), and
//! its world file for `loadgen scale`.
//!
//! Seeding runs once per set of parameters: a database that already holds
//! this world is only exported again (with each conversation's current last
//! seq, so sockets resume from where the conversation is); one that holds
//! another world is refused rather than mixed.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::time::Instant;

use anyhow::{anyhow, bail, Context, Result};
use sqlx::postgres::PgPoolOptions;
use sqlx::{PgPool, Row};
use uuid::Uuid;

const SEED_SQL: &str = include_str!("seed.sql");

pub const USAGE: &str = "loadgen seed --database-url URL --world FILE [--workspaces 5000] [--mean 50] \
                         [--messages 10000000] [--online 0.3] [--seed 0.42]";

struct Params {
    workspaces: u32,
    mean: u32,
    messages: u64,
    online: f64,
    seed: f64,
}

impl Params {
    fn key(&self) -> String {
        format!(
            "workspaces={} mean={} messages={} seed={}",
            self.workspaces, self.mean, self.messages, self.seed
        )
    }
}

pub async fn main(args: Vec<String>) -> Result<()> {
    let mut p = Params { workspaces: 5000, mean: 50, messages: 10_000_000, online: 0.3, seed: 0.42 };
    let (mut url, mut world) = (None, None);
    let mut it = args.into_iter();
    while let Some(flag) = it.next() {
        let v = it.next().ok_or_else(|| anyhow!("{flag} needs a value\nusage: {USAGE}"))?;
        match flag.as_str() {
            "--database-url" => url = Some(v),
            "--world" => world = Some(v),
            "--workspaces" => p.workspaces = v.parse()?,
            "--mean" => p.mean = v.parse()?,
            "--messages" => p.messages = v.parse()?,
            "--online" => p.online = v.parse()?,
            "--seed" => p.seed = v.parse()?,
            other => bail!("unknown flag {other}\nusage: {USAGE}"),
        }
    }
    let (Some(url), Some(world)) = (url, world) else { bail!("usage: {USAGE}") };
    if p.workspaces == 0 || !(10..=500).contains(&p.mean) || !(0.0..=1.0).contains(&p.online) {
        bail!("--workspaces ≥ 1, --mean 10..=500 and --online 0..=1");
    }
    let db = PgPoolOptions::new().max_connections(1).connect(&url).await?;
    let held: Option<String> = sqlx::query_scalar("select params from loadgen_world")
        .fetch_optional(&db)
        .await
        .or_else(|e| if is_undefined_table(&e) { Ok(None) } else { Err(e) })?;
    match held {
        Some(k) if k == p.key() => eprintln!("seed: the database already holds this world ({k})"),
        Some(k) => bail!("the database holds another world ({k}); drop it to seed {}", p.key()),
        None => seed(&db, &p).await?,
    }
    let started = Instant::now();
    let (socks, convs) = export(&db, &world, p.online).await?;
    eprintln!(
        "seed: world file {world}: {socks} sockets, {convs} conversations ({:.1}s)",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

fn is_undefined_table(e: &sqlx::Error) -> bool {
    e.as_database_error().and_then(|d| d.code()).is_some_and(|c| c == "42P01")
}

async fn seed(db: &PgPool, p: &Params) -> Result<()> {
    let all = Instant::now();
    let mut tx = db.begin().await?;
    let settings = [
        ("scale.workspaces", p.workspaces.to_string()),
        ("scale.mean", p.mean.to_string()),
        ("scale.messages", p.messages.to_string()),
        ("scale.online", p.online.to_string()),
        ("scale.seed", p.seed.to_string()),
    ];
    for (k, v) in settings {
        sqlx::query("select set_config($1, $2, true)").bind(k).bind(v).execute(&mut *tx).await?;
    }
    // Statement by statement, so that the slow steps show their time.
    for stmt in SEED_SQL.split(";\n").map(strip_comments).filter(|s| !s.is_empty()) {
        let t = Instant::now();
        sqlx::raw_sql(&stmt).execute(&mut *tx).await.with_context(|| format!("seed step: {stmt}"))?;
        if t.elapsed().as_secs_f64() > 2.0 {
            let head: String = stmt.split_whitespace().take(6).collect::<Vec<_>>().join(" ");
            eprintln!("seed: {:.1}s {head} …", t.elapsed().as_secs_f64());
        }
    }
    sqlx::raw_sql("create table loadgen_world (params text not null)").execute(&mut *tx).await?;
    sqlx::query("insert into loadgen_world values ($1)").bind(p.key()).execute(&mut *tx).await?;
    tx.commit().await?;
    // A bulk load leaves every row without hint bits and the visibility map
    // empty: the first reads would write the whole table back during the
    // benchmark. Vacuum now, as a long-running database would have.
    sqlx::raw_sql("vacuum analyze").execute(db).await?;
    let counts: (i64, i64, i64, i64) = sqlx::query_as(
        "select (select count(*) from workspace), (select count(*) from member),
                (select count(*) from channel), (select coalesce(sum(last_seq), 0)::bigint from channel)",
    )
    .fetch_one(db)
    .await?;
    eprintln!(
        "seed: {} workspaces, {} members, {} conversations, {} messages in {:.0}s",
        counts.0,
        counts.1,
        counts.2,
        counts.3,
        all.elapsed().as_secs_f64()
    );
    Ok(())
}

fn strip_comments(stmt: &str) -> String {
    stmt.lines()
        .filter(|l| !l.trim_start().starts_with("--"))
        .collect::<Vec<_>>()
        .join("\n")
        .trim()
        .to_string()
}

/// Writes the world file with `online` of the people online (each
/// workspace's owner always, the rest by a hash of their id, so the same
/// share picks the same people); returns its sockets and conversations.
async fn export(db: &PgPool, path: &str, online: f64) -> Result<(usize, usize)> {
    sqlx::query(
        "update loadgen_person set online = (i = 1 or abs(hashtext(member_id::text)) % 100000 < $1 * 100000)",
    )
    .bind(online)
    .execute(db)
    .await?;
    let people = sqlx::query("select member_id, ws, raw from loadgen_person where online order by ws, i")
        .fetch_all(db)
        .await?;
    let mut out = String::with_capacity(people.len() * 64);
    let mut number: HashMap<Uuid, usize> = HashMap::with_capacity(people.len());
    for (n, r) in people.iter().enumerate() {
        number.insert(r.get("member_id"), n);
        let member: Uuid = r.get("member_id");
        writeln!(out, "s {} {} {member}", r.get::<i32, _>("ws"), r.get::<&str, _>("raw"))?;
    }
    let convs = sqlx::query(
        "select c.channel_id, p.ws, c.is_general, c.last_seq, array_agg(p.member_id) as online
         from channel_member cm join loadgen_person p using (member_id) join channel c using (channel_id)
         where p.online and c.archived_at is null
         group by c.channel_id, p.ws, c.is_general, c.last_seq having count(*) >= 2 order by p.ws, c.channel_id",
    )
    .fetch_all(db)
    .await?;
    for r in &convs {
        let online: Vec<Uuid> = r.get("online");
        let socks: Vec<String> = online.iter().map(|m| number[m].to_string()).collect();
        writeln!(
            out,
            "c {} {} {} {} {}",
            r.get::<i32, _>("ws"),
            r.get::<Uuid, _>("channel_id"),
            u8::from(r.get::<bool, _>("is_general")),
            r.get::<i64, _>("last_seq"),
            socks.join(",")
        )?;
    }
    std::fs::write(path, out).with_context(|| format!("writing {path}"))?;
    Ok((people.len(), convs.len()))
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_seed_splits_into_statements_without_comments() {
        let stmts: Vec<String> =
            super::SEED_SQL.split(";\n").map(super::strip_comments).filter(|s| !s.is_empty()).collect();
        assert!(stmts.len() > 20, "{} statements", stmts.len());
        assert!(stmts.iter().all(|s| !s.contains("\n--") && !s.starts_with("--")));
        assert!(stmts[0].starts_with("set local session_replication_role"));
    }
}
