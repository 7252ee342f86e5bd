//! The two jobs' bodies: the dry run, which reads the whole export and
//! stores its report without writing anything else, and the import, which
//! writes what the report announced.

use std::cell::Cell;
use std::collections::{HashMap, HashSet};
use std::path::Path;

use uuid::Uuid;

use super::model::{self, Conv, Source};
use super::mrkdwn::Names;
use super::write::{self, Outcome, Target, Writer};
use super::{people, ConversationReport, Counts, Report};
use crate::core::ctx::Ctx;
use crate::db::audit;
use crate::error::{AppError, AppResult};
use crate::files::upload::FileService;

/// The names `<@U…>` and `<#C…>` stand for.
#[derive(Default)]
pub struct Directory {
    pub people: HashMap<String, String>,
    pub channels: HashMap<String, (String, String)>,
}

impl Names for Directory {
    fn person(&self, id: &str) -> Option<String> {
        self.people.get(id).cloned()
    }
    fn channel(&self, id: &str) -> Option<(String, String)> {
        self.channels.get(id).cloned()
    }
}

fn failed(e: String) -> AppError {
    AppError::InvalidArguments(e)
}

/// Whether the job still runs as `status` (not cancelled, not taken over).
async fn still(ctx: &Ctx, id: Uuid, status: &str) -> AppResult<bool> {
    let s: Option<String> = sqlx::query_scalar("select status from import_job where import_id = $1")
        .bind(id)
        .fetch_optional(&**ctx)
        .await?;
    Ok(s.as_deref() == Some(status))
}

/// Reads everything and stores the report.
pub async fn dry_run(ctx: &Ctx, id: Uuid, workspace: Uuid, path: &Path, merge: bool) -> AppResult<String> {
    let mut src = Source::open(path).map_err(failed)?;
    let mut dir = Directory::default();
    for u in &src.users {
        dir.people.insert(u.id.clone(), people::display_name(u));
    }
    let mut conn = ctx.acquire().await?;
    let (mut taken, before) = write::existing(&mut conn, workspace).await?;
    drop(conn);
    sqlx::query("update import_job set conversations_total = $2 where import_id = $1")
        .bind(id)
        .bind(src.convs.len() as i32)
        .execute(&**ctx)
        .await?;
    let mut report = Report::default();
    let mut totals = Counts::default();
    for conv in src.convs.clone() {
        let msgs = super::convert::messages(&mut src, &conv, &dir);
        let counts = msgs.counts();
        let again = before.get(&conv.info.id).map(|t| t.name.clone().unwrap_or_default());
        let (action, target) = write::decide(&conv, again.as_deref(), merge, &mut taken);
        totals.add(&counts);
        report.conversations.push(ConversationReport {
            slack_id: conv.info.id.clone(),
            kind: conv.kind.as_str().into(),
            name: if conv.kind == model::Kind::Dm {
                conv.info
                    .members
                    .iter()
                    .map(|m| dir.person(m).unwrap_or_else(|| m.clone()))
                    .collect::<Vec<_>>()
                    .join(", ")
            } else {
                conv.name()
            },
            action,
            target,
            members: conv.info.members.len() as u64,
            archived: conv.info.is_archived,
            counts,
        });
        let going = sqlx::query(
            "update import_job set conversations_done = conversations_done + 1, messages_total = $2,
                    files_total = $3, heartbeat_at = now()
              where import_id = $1 and status = 'checking'",
        )
        .bind(id)
        .bind(totals.messages as i64)
        .bind(totals.files as i64)
        .execute(&**ctx)
        .await?
        .rows_affected();
        if going == 0 {
            return Ok("stopped".into());
        }
    }
    src.sink.finish();
    report.totals = totals;
    report.missing_people = src.sink.missing.iter().cloned().collect();
    report.bots = src.sink.bots.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    report.problems = std::mem::take(&mut src.sink.problems);
    report.problems_total = src.sink.problems_total;
    let persons = people::persons(&src.users, &report);
    let mut conn = ctx.acquire().await?;
    report.people = people::preview(&mut conn, workspace, &persons).await?;
    report.people.avatars =
        src.users.iter().filter(|u| super::avatars::entry(&src, u).is_some()).count() as u64;
    drop(conn);
    sqlx::query(
        "update import_job set status = 'checked', report = $2, finished_at = now() where import_id = $1 and status = 'checking'",
    )
    .bind(id)
    .bind(sqlx::types::Json(&report))
    .execute(&**ctx)
    .await?;
    Ok("checked".into())
}

/// Imports what the report announced; goes on after the last committed
/// batch when it was interrupted.
#[allow(clippy::too_many_arguments)]
pub async fn import(
    ctx: &Ctx,
    files: &FileService,
    batch: usize,
    id: Uuid,
    workspace: Uuid,
    path: &Path,
    merge: bool,
    budget: Option<usize>,
) -> AppResult<String> {
    let report = super::queries::report(ctx, workspace, id).await?.ok_or(AppError::Internal)?;
    let mut src = Source::open(path).map_err(failed)?;
    let persons = people::persons(&src.users, &report);
    let mut tx = ctx.begin().await?;
    write::bulk(&mut tx).await?;
    let people = people::ensure(&mut tx, workspace, &persons).await?;
    let members: Vec<Uuid> = people.values().copied().collect::<HashSet<_>>().into_iter().collect();
    let names: HashMap<Uuid, String> =
        sqlx::query_as("select member_id, display_name from member where member_id = any($1)")
            .bind(&members)
            .fetch_all(&mut *tx)
            .await?
            .into_iter()
            .collect();
    let targets = write::channels(&mut tx, workspace, &src.convs, merge, &people).await?;
    sqlx::query("update import_job set conversations_total = $2, heartbeat_at = now() where import_id = $1")
        .bind(id)
        .bind(src.convs.len() as i32)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    super::avatars::attach(ctx, files, &mut src, workspace, &people).await?;
    let mut dir = Directory::default();
    for (key, member) in &people {
        if let Some(n) = names.get(member) {
            dir.people.insert(key.clone(), n.clone());
        }
    }
    for (slack, t) in &targets {
        let name = t.name.clone().unwrap_or_else(|| "direct-message".into());
        dir.channels.insert(slack.clone(), (format!("/c/{}", t.channel), name));
    }
    let writer = Writer { ctx, files, workspace, import: id, people: &people, names: &names, batch };
    // Two workers, each with its own reader and connection: Postgres does
    // most of the work, one core per connection. Conversations that land
    // in the same channel go to the same worker, so their seqs keep `ts`
    // order.
    let budget = Cell::new(budget);
    let shares = share(&src.convs, &targets, &report, WORKERS);
    let workers = shares.into_iter().map(|convs| {
        let mine: HashMap<String, Target> = convs
            .iter()
            .filter_map(|c| targets.get(&c.info.id).map(|t| (c.info.id.clone(), t.clone())))
            .collect();
        worker(&writer, path, &dir, convs, mine, &budget)
    });
    let ends = futures_util::future::try_join_all(workers).await?;
    if ends.contains(&Outcome::Stopped) {
        return Ok("stopped".into());
    }
    let mut tx = ctx.begin().await?;
    let done = sqlx::query(
        "update import_job set status = 'done', finished_at = now() where import_id = $1 and status = 'importing'",
    )
    .bind(id)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if done == 1 {
        let by: Option<Uuid> =
            sqlx::query_scalar("select actor_member_id from import_job where import_id = $1")
                .bind(id)
                .fetch_one(&mut *tx)
                .await?;
        let detail = serde_json::json!({"import": id, "totals": report.totals, "people": report.people,
                                        "problems": report.problems_total});
        audit(&mut tx, workspace, by, "import.finished", detail).await?;
    }
    tx.commit().await?;
    Ok("done".into())
}

/// How many conversations are written at once.
const WORKERS: usize = 2;

/// Splits the conversations into `n` shares of about the same number of
/// messages (the dry run counted them), keeping conversations that go to
/// the same channel together.
fn share(convs: &[Conv], targets: &HashMap<String, Target>, report: &Report, n: usize) -> Vec<Vec<Conv>> {
    let size: HashMap<&str, u64> =
        report.conversations.iter().map(|c| (c.slack_id.as_str(), c.counts.messages)).collect();
    let mut groups: HashMap<Uuid, (u64, Vec<Conv>)> = HashMap::new();
    for c in convs {
        let Some(t) = targets.get(&c.info.id) else { continue };
        let g = groups.entry(t.channel).or_default();
        g.0 += size.get(c.info.id.as_str()).copied().unwrap_or(0);
        g.1.push(c.clone());
    }
    let mut groups: Vec<(u64, Vec<Conv>)> = groups.into_values().collect();
    groups.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1[0].info.id.cmp(&b.1[0].info.id)));
    let mut shares: Vec<(u64, Vec<Conv>)> = (0..n.max(1)).map(|_| (0, Vec::new())).collect();
    for (weight, convs) in groups {
        if let Some(s) = shares.iter_mut().min_by_key(|s| s.0) {
            s.0 += weight;
            s.1.extend(convs);
        }
    }
    shares.into_iter().map(|s| s.1).collect()
}

/// Writes a share of the conversations with a reader of its own.
async fn worker(
    writer: &Writer<'_>,
    path: &Path,
    dir: &Directory,
    convs: Vec<Conv>,
    mut targets: HashMap<String, Target>,
    budget: &Cell<Option<usize>>,
) -> AppResult<Outcome> {
    let mut src = Source::open(path).map_err(failed)?;
    for conv in convs {
        let Some(mut target) = targets.remove(&conv.info.id) else { continue };
        if target.done {
            continue;
        }
        if !still(writer.ctx, writer.import, "importing").await? {
            return Ok(Outcome::Stopped);
        }
        let msgs = super::convert::messages(&mut src, &conv, dir);
        match writer.messages(&mut src, &conv.info.id, &mut target, &msgs, budget).await? {
            Outcome::Stopped => return Ok(Outcome::Stopped),
            Outcome::Complete => writer.finish(&conv, &mut target).await?,
        }
    }
    Ok(Outcome::Complete)
}
