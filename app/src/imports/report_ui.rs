//! The dry run's report on `/admin/import`: people, totals, every
//! conversation with what will happen to it, and every problem with its
//! file and line; also downloadable as JSON.

use leptos::prelude::*;
use uuid::Uuid;

use super::{report_path, ConversationReport, Counts, Report};

/// The report of import `id`.
#[component]
pub fn ReportView(id: Uuid) -> impl IntoView {
    let report =
        Resource::new(move || id, |id| async move { super::api::import_report(id).await.map(|r| r.data) });
    view! {
        <Transition fallback=|| view! { <p class="muted" aria-busy="true">"Loading the report…"</p> }>
            {move || report.get().map(|r| match r {
                Err(e) => view! { <p class="empty">{e.detail()}</p> }.into_any(),
                Ok(r) => match r.report {
                    None => view! { <p class="empty">"The dry run has not finished yet."</p> }.into_any(),
                    Some(rep) => view! { <Details id=r.import.id file=r.import.file_name.clone() rep=rep/> }.into_any(),
                },
            })}
        </Transition>
    }
}

/// "1 message", "3 messages".
pub(super) fn plural(n: u64, what: &str) -> String {
    format!("{n} {what}{}", if n == 1 { "" } else { "s" })
}

fn counts_line(c: &Counts) -> String {
    let mut parts = vec![
        plural(c.messages, "message"),
        plural(c.threads, "thread"),
        plural(c.replies, "reply"),
        plural(c.reactions, "reaction"),
        plural(c.files, "file"),
    ];
    if c.files_missing > 0 {
        parts.push(format!("{} not in the export", plural(c.files_missing, "file")));
    }
    parts.join(" · ")
}

#[component]
fn Details(id: Uuid, file: String, rep: Report) -> impl IntoView {
    let p = rep.people.clone();
    let people = format!(
        "{} listed in users.json, {} referenced but not listed, {}; {} matched to members here by email, \
         {} new (deactivated until an invite to their address is accepted); {} deleted in Slack, {}, {}; \
         {} with a photo in the export",
        p.listed,
        p.missing,
        plural(p.bots, "bot"),
        p.matched,
        p.new,
        p.deleted,
        plural(p.admins, "admin"),
        plural(p.guests, "guest"),
        p.avatars,
    );
    let totals =
        format!("{} · {}", plural(rep.totals.conversations, "conversation"), counts_line(&rep.totals));
    let problems = rep.problems.clone();
    let more = rep.problems_total.saturating_sub(problems.len() as u64);
    view! {
        <section aria-labelledby="import-report" class="import-report">
            <h2 class="section-title" id="import-report">{format!("Dry run report: {file}")}</h2>
            <p><a href=report_path(id) download="import-report.json" rel="external">"Download the report (JSON)"</a></p>
            <dl class="facts">
                <dt>"People"</dt><dd>{people}</dd>
                <dt>"History"</dt><dd>{totals}</dd>
                <dt>"Problems"</dt><dd>{plural(rep.problems_total, "problem")}</dd>
            </dl>
            <h3>"Conversations"</h3>
            <div class="table-scroll">
                <table class="table import-conversations">
                    <thead><tr><th>"In Slack"</th><th>"Kind"</th><th>"Here"</th><th>"Members"</th><th>"Contents"</th></tr></thead>
                    <tbody>{rep.conversations.into_iter().map(|c| view! { <ConvRow c=c/> }).collect_view()}</tbody>
                </table>
            </div>
            <h3>"Problems"</h3>
            {if problems.is_empty() {
                view! { <p class="empty">"No problems found."</p> }.into_any()
            } else {
                view! {
                    <ul class="problems">
                        {problems.into_iter().map(|p| {
                            let at = match p.line { Some(l) => format!("{}:{l}", p.file), None => p.file.clone() };
                            view! { <li><code>{at}</code>" "{p.message}</li> }
                        }).collect_view()}
                    </ul>
                    {(more > 0).then(|| view! { <p class="muted">{format!("…and {more} more in the JSON report.")}</p> })}
                }.into_any()
            }}
        </section>
    }
}

#[component]
fn ConvRow(c: ConversationReport) -> impl IntoView {
    let here = match (c.action.as_str(), &c.target) {
        ("merge", Some(t)) => format!("merged into #{t}"),
        ("rename", Some(t)) => format!("new, as #{t} (the name is taken)"),
        ("again", Some(t)) => format!("imported before as #{t}: only what is missing"),
        ("again", None) => "imported before: only what is missing".into(),
        (_, Some(t)) => format!("new: #{t}"),
        _ => "new".into(),
    };
    let kind = match c.kind.as_str() {
        "public" => "Public channel",
        "private" => "Private channel",
        "dm" => "Direct message",
        _ => "Group DM",
    };
    let name = if c.archived { format!("{} (archived)", c.name) } else { c.name.clone() };
    view! {
        <tr>
            <td>{name}</td>
            <td>{kind}</td>
            <td>{here}</td>
            <td>{c.members}</td>
            <td>{counts_line(&c.counts)}</td>
        </tr>
    }
}
