//! What the admin pages read: the member list with filters, one member's
//! sessions and tokens, the overview and the audit log. Every query is
//! scoped to the admin's own workspace, and every list is paged and bounded.

use sqlx::PgPool;
use time::OffsetDateTime;
use uuid::Uuid;

use super::{AdminChannel, AdminMember, AuditEntry, Health, MemberDetail, Overview, Status};
use crate::api::{decode_cursor, encode_cursor, page_limit, ResponseMetadata};
use crate::auth::{Actor, Role};
use crate::db::like_escape;
use crate::error::{AppError, AppResult, Missing};

#[derive(sqlx::FromRow)]
struct MemberRow {
    member_id: Uuid,
    display_name: String,
    email: String,
    role: String,
    title: String,
    deactivated: bool,
    created_at: OffsetDateTime,
    last_active_at: Option<OffsetDateTime>,
}

impl MemberRow {
    fn into_member(self) -> AppResult<AdminMember> {
        Ok(AdminMember {
            id: self.member_id,
            name: self.display_name,
            email: self.email,
            role: Role::parse(&self.role)?,
            title: self.title,
            deactivated: self.deactivated,
            created_at: self.created_at,
            last_active_at: self.last_active_at,
        })
    }
}

const MEMBER_COLUMNS: &str = "m.member_id, m.display_name, a.email, m.role, m.title,
       m.deactivated_at is not null as deactivated, m.created_at,
       greatest((select max(s.last_seen_at) from auth_session s where s.member_id = m.member_id),
                (select max(t.last_used_at) from api_token t where t.member_id = m.member_id)) as last_active_at";

/// The filters of `admin.users.list`.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub query: Option<String>,
    pub role: Option<Role>,
    pub status: Status,
    /// Only members not seen for this many days (or never).
    pub inactive_days: Option<i32>,
}

/// A page of members by name, deactivated ones included unless filtered.
pub async fn members(
    db: &PgPool,
    admin: &Actor,
    f: &Filter,
    cursor: Option<&str>,
    limit: Option<i64>,
) -> AppResult<(Vec<AdminMember>, ResponseMetadata)> {
    let limit = page_limit(limit, 100, 200);
    let after: Option<(String, Uuid)> = match cursor.filter(|c| !c.is_empty()) {
        Some(c) => Some(decode_cursor(c)?),
        None => None,
    };
    let q = f.query.as_deref().map(str::trim).filter(|q| !q.is_empty());
    if q.is_some_and(|q| q.chars().count() > 100) {
        return Err(AppError::InvalidArguments("query must be at most 100 characters".into()));
    }
    if f.inactive_days.is_some_and(|d| !(1..=3650).contains(&d)) {
        return Err(AppError::InvalidArguments("inactive_days must be between 1 and 3650".into()));
    }
    let pat = q.map(|q| format!("%{}%", like_escape(&q.to_lowercase())));
    let sql = format!(
        "select * from (select {MEMBER_COLUMNS}, lower(m.display_name) as sort_name
           from member m join account a using (account_id)
          where m.workspace_id = $1
            and ($2::text is null or lower(m.display_name) like $2 or a.email like $2)
            and ($3::text is null or m.role = $3)
            and ($4 = 'all' or ($4 = 'active') = (m.deactivated_at is null))
            and ($5::text is null or (lower(m.display_name), m.member_id) > ($5, $6))) x
          where $7::int is null or last_active_at is null or last_active_at < now() - make_interval(days => $7)
          order by sort_name, member_id limit $8"
    );
    let status = match f.status {
        Status::All => "all",
        Status::Active => "active",
        Status::Deactivated => "deactivated",
    };
    let rows: Vec<MemberRow> = sqlx::query_as(&sql)
        .bind(admin.workspace_id)
        .bind(pat)
        .bind(f.role.map(Role::as_str))
        .bind(status)
        .bind(after.as_ref().map(|a| a.0.clone()))
        .bind(after.map(|a| a.1))
        .bind(f.inactive_days)
        .bind(limit + 1)
        .fetch_all(db)
        .await?;
    let more = rows.len() as i64 > limit;
    let members =
        rows.into_iter().take(limit as usize).map(MemberRow::into_member).collect::<AppResult<Vec<_>>>()?;
    let next_cursor = match (more, members.last()) {
        (true, Some(m)) => encode_cursor(&(m.name.to_lowercase(), m.id)),
        _ => String::new(),
    };
    Ok((members, ResponseMetadata { next_cursor }))
}

/// One member with their live sessions and tokens.
pub async fn member(db: &PgPool, admin: &Actor, user: Uuid) -> AppResult<MemberDetail> {
    let sql = format!(
        "select {MEMBER_COLUMNS} from member m join account a using (account_id)
          where m.member_id = $1 and m.workspace_id = $2"
    );
    let row: MemberRow = sqlx::query_as(&sql)
        .bind(user)
        .bind(admin.workspace_id)
        .fetch_optional(db)
        .await?
        .ok_or(AppError::NotFound(Missing::User))?;
    let current = admin.credential.filter(|_| admin.via == crate::auth::AuthVia::Session);
    let sessions = crate::auth::logins::list(db, user, current).await?;
    let tokens = crate::tokens::queries::list_for(db, user).await?;
    Ok(MemberDetail { member: row.into_member()?, sessions, tokens })
}

/// Counts for the overview, each one bounded by the workspace's own rows.
pub async fn overview(db: &PgPool, admin: &Actor, mut health: Vec<Health>) -> AppResult<Overview> {
    let started = std::time::Instant::now();
    let (members_active, members_deactivated, guests, admins): (i64, i64, i64, i64) = sqlx::query_as(
        "select count(*) filter (where deactivated_at is null),
                count(*) filter (where deactivated_at is not null),
                count(*) filter (where deactivated_at is null and role = 'guest'),
                count(*) filter (where deactivated_at is null and role in ('owner', 'admin'))
           from member where workspace_id = $1",
    )
    .bind(admin.workspace_id)
    .fetch_one(db)
    .await?;
    // Seqs are gap-free, so the channels' last seqs add up to every message
    // ever sent, without counting message rows.
    let (channels_public, channels_private, channels_archived, messages): (i64, i64, i64, i64) =
        sqlx::query_as(
            "select count(*) filter (where kind = 'public' and archived_at is null),
                count(*) filter (where kind = 'private' and archived_at is null),
                count(*) filter (where kind in ('public', 'private') and archived_at is not null),
                coalesce(sum(last_seq), 0)::bigint
           from channel where workspace_id = $1",
        )
        .bind(admin.workspace_id)
        .fetch_one(db)
        .await?;
    let storage_bytes: i64 =
        sqlx::query_scalar("select coalesce(sum(size), 0)::bigint from blob where workspace_id = $1")
            .bind(admin.workspace_id)
            .fetch_one(db)
            .await?;
    let ms = started.elapsed().as_millis();
    health.insert(0, Health { name: "Database".into(), ok: true, detail: format!("answered in {ms} ms") });
    Ok(Overview {
        members_active,
        members_deactivated,
        guests,
        admins,
        channels_public,
        channels_private,
        channels_archived,
        messages,
        storage_bytes,
        health,
    })
}

/// The search indexer's backlog: (queued entries, age of the oldest in seconds).
pub async fn outbox_lag(db: &PgPool) -> AppResult<(i64, i64)> {
    Ok(sqlx::query_as(
        "select count(*), coalesce(extract(epoch from now() - min(queued_at)), 0)::bigint from search_outbox",
    )
    .fetch_one(db)
    .await?)
}

/// The filters of `admin.audit.list`.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub actor: Option<Uuid>,
    pub action: Option<String>,
    pub since: Option<OffsetDateTime>,
    pub until: Option<OffsetDateTime>,
}

#[derive(sqlx::FromRow)]
struct AuditRow {
    audit_log_id: i64,
    created_at: OffsetDateTime,
    actor_member_id: Option<Uuid>,
    actor_name: Option<String>,
    action: String,
    detail: serde_json::Value,
}

/// A page of the audit log, newest first.
pub async fn audit(
    db: &PgPool,
    admin: &Actor,
    f: &AuditFilter,
    cursor: Option<&str>,
    limit: Option<i64>,
) -> AppResult<(Vec<AuditEntry>, ResponseMetadata)> {
    let limit = page_limit(limit, 50, 200);
    let before: Option<i64> = match cursor.filter(|c| !c.is_empty()) {
        Some(c) => Some(decode_cursor(c)?),
        None => None,
    };
    if f.action.as_deref().is_some_and(|a| a.len() > 64) {
        return Err(AppError::InvalidArguments("action must be at most 64 characters".into()));
    }
    let rows: Vec<AuditRow> = sqlx::query_as(
        "select l.audit_log_id, l.created_at, l.actor_member_id, m.display_name as actor_name, l.action, l.detail
           from audit_log l left join member m on m.member_id = l.actor_member_id
          where l.workspace_id = $1
            and ($2::uuid is null or l.actor_member_id = $2)
            and ($3::text is null or l.action = $3)
            and ($4::timestamptz is null or l.created_at >= $4)
            and ($5::timestamptz is null or l.created_at < $5)
            and ($6::bigint is null or l.audit_log_id < $6)
          order by l.audit_log_id desc limit $7",
    )
    .bind(admin.workspace_id)
    .bind(f.actor)
    .bind(f.action.as_deref().filter(|a| !a.is_empty()))
    .bind(f.since)
    .bind(f.until)
    .bind(before)
    .bind(limit + 1)
    .fetch_all(db)
    .await?;
    let more = rows.len() as i64 > limit;
    let entries: Vec<AuditEntry> = rows
        .into_iter()
        .take(limit as usize)
        .map(|r| AuditEntry {
            id: r.audit_log_id,
            at: r.created_at,
            actor: r.actor_member_id,
            actor_name: r.actor_name,
            action: r.action,
            detail: r.detail,
        })
        .collect();
    let next_cursor = match (more, entries.last()) {
        (true, Some(e)) => encode_cursor(&e.id),
        _ => String::new(),
    };
    Ok((entries, ResponseMetadata { next_cursor }))
}

#[derive(sqlx::FromRow)]
struct ChannelRow {
    channel_id: Uuid,
    name: String,
    kind: String,
    is_general: bool,
    is_default: bool,
    archived: bool,
    member_count: i32,
    last_message_at: Option<OffsetDateTime>,
    created_at: OffsetDateTime,
}

/// Every channel of the workspace (private ones too, never DMs) by name,
/// optionally filtered by a name fragment. At most 1,000.
pub async fn channels(db: &PgPool, admin: &Actor, query: Option<&str>) -> AppResult<Vec<AdminChannel>> {
    let q = query.map(str::trim).filter(|q| !q.is_empty());
    if q.is_some_and(|q| q.chars().count() > 80) {
        return Err(AppError::InvalidArguments("query must be at most 80 characters".into()));
    }
    let pat = q.map(|q| format!("%{}%", like_escape(&q.to_lowercase())));
    let rows: Vec<ChannelRow> = sqlx::query_as(
        "select channel_id, name, kind, is_general, is_default, archived_at is not null as archived,
                member_count, last_message_at, created_at
           from channel where workspace_id = $1 and kind in ('public', 'private')
            and ($2::text is null or name like $2)
          order by name limit 1000",
    )
    .bind(admin.workspace_id)
    .bind(pat)
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| AdminChannel {
            id: r.channel_id,
            name: r.name,
            is_private: r.kind == "private",
            is_general: r.is_general,
            is_default: r.is_default,
            is_archived: r.archived,
            member_count: r.member_count,
            last_message_at: r.last_message_at,
            created_at: r.created_at,
        })
        .collect())
}
