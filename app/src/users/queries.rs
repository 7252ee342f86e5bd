//! Server-only directory queries. Every query is scoped to the actor's workspace.

use sqlx::PgPool;
use time::OffsetDateTime;
use uuid::Uuid;

use super::{MemberInfo, Profile, Status};
use crate::api::{decode_cursor, encode_cursor, page_limit, ResponseMetadata};
use crate::auth::{Actor, Role};
use crate::db::like_escape;
use crate::error::{AppError, AppResult, Missing};

#[derive(sqlx::FromRow)]
struct Row {
    member_id: Uuid,
    display_name: String,
    role: String,
    title: String,
    email: String,
    created_at: OffsetDateTime,
    status_emoji: String,
    status_text: String,
    status_expires_at: Option<OffsetDateTime>,
}

/// The members a guest may see: those who share a channel with them, and
/// themselves (Slack's rule: a guest's directory is their channels').
/// `None` for everyone else, who sees the whole workspace.
pub async fn visible_to(db: &PgPool, actor: &Actor) -> AppResult<Option<Vec<Uuid>>> {
    if actor.role != Role::Guest {
        return Ok(None);
    }
    let ids: Vec<Uuid> = sqlx::query_scalar(
        "select $1 union select o.member_id from channel_member g join channel_member o using (channel_id)
          where g.member_id = $1",
    )
    .bind(actor.member_id)
    .fetch_all(db)
    .await?;
    Ok(Some(ids))
}

/// Whether the caller may see member `user` (see [`visible_to`]).
async fn may_see(db: &PgPool, actor: &Actor, user: Uuid) -> AppResult<bool> {
    Ok(visible_to(db, actor).await?.is_none_or(|ids| ids.contains(&user)))
}

/// A page of the directory.
#[derive(Debug)]
pub struct Page {
    pub members: Vec<MemberInfo>,
    pub meta: ResponseMetadata,
}

/// Builds the API view of a member row (emails are hidden from guests).
pub fn to_info(
    actor: &Actor,
    id: Uuid,
    name: String,
    role: &str,
    title: String,
    email: String,
    created_at: OffsetDateTime,
) -> AppResult<MemberInfo> {
    let role = Role::parse(role)?;
    Ok(MemberInfo {
        id,
        name,
        role,
        title,
        email: (actor.role != Role::Guest).then_some(email),
        is_admin: role.is_admin(),
        created_at,
        status: None,
    })
}

/// The status a row shows: none when empty or expired.
pub fn status_of(emoji: String, text: String, expires_at: Option<OffsetDateTime>) -> Option<Status> {
    let s = Status { emoji, text, expires_at };
    (!(s.emoji.is_empty() && s.text.is_empty()) && s.live_at(OffsetDateTime::now_utc())).then_some(s)
}

/// Active members in name order, optionally filtered by a name or email fragment.
pub async fn list(
    db: &PgPool,
    actor: &Actor,
    query: Option<&str>,
    cursor: Option<&str>,
    limit: Option<i64>,
) -> AppResult<Page> {
    let limit = page_limit(limit, 100, 200);
    let after: Option<(String, Uuid)> = match cursor.filter(|c| !c.is_empty()) {
        Some(c) => Some(decode_cursor(c)?),
        None => None,
    };
    let q = query.map(str::trim).filter(|q| !q.is_empty());
    if q.is_some_and(|q| q.chars().count() > 100) {
        return Err(AppError::InvalidArguments("query must be at most 100 characters".into()));
    }
    let name_pat = q.map(|q| format!("%{}%", like_escape(q)));
    // Guests are not shown emails, so they cannot search by them either (a
    // prefix search would spell an address out one letter at a time).
    let email_pat = q.filter(|_| actor.role != Role::Guest).map(|q| format!("{}%", like_escape(q)));
    let (after_name, after_id) = after.unzip();
    let visible = visible_to(db, actor).await?;
    let rows: Vec<Row> = sqlx::query_as(
        r#"select m.member_id, m.display_name, m.role, m.title, a.email, m.created_at,
                  m.status_emoji, m.status_text, m.status_expires_at
           from member m join account a using (account_id)
           where m.workspace_id = $1 and m.deactivated_at is null
             and ($2::text is null or (lower(m.display_name), m.member_id) > ($2, $3::uuid))
             and ($4::text is null or m.display_name ilike $4 or a.email ilike $5)
             and ($7::uuid[] is null or m.member_id = any($7))
           order by lower(m.display_name), m.member_id
           limit $6"#,
    )
    .bind(actor.workspace_id)
    .bind(after_name)
    .bind(after_id)
    .bind(name_pat)
    .bind(email_pat)
    .bind(limit + 1)
    .bind(visible)
    .fetch_all(db)
    .await?;
    let has_more = rows.len() as i64 > limit;
    let mut members = Vec::with_capacity(rows.len());
    for r in rows.into_iter().take(limit as usize) {
        let mut info = to_info(actor, r.member_id, r.display_name, &r.role, r.title, r.email, r.created_at)?;
        info.status = status_of(r.status_emoji, r.status_text, r.status_expires_at);
        members.push(info);
    }
    let next_cursor = match members.last() {
        Some(last) if has_more => encode_cursor(&(last.name.to_lowercase(), last.id)),
        _ => String::new(),
    };
    Ok(Page { members, meta: ResponseMetadata { next_cursor } })
}

/// One member of the actor's workspace; anyone else is `user_not_found`.
pub async fn info(db: &PgPool, actor: &Actor, user: Uuid) -> AppResult<MemberInfo> {
    if !may_see(db, actor, user).await? {
        return Err(AppError::NotFound(Missing::User));
    }
    let r = sqlx::query!(
        r#"select m.member_id, m.display_name, m.role, m.title, a.email, m.created_at,
                  m.status_emoji, m.status_text, m.status_expires_at
           from member m join account a using (account_id)
           where m.member_id = $1 and m.workspace_id = $2"#,
        user,
        actor.workspace_id
    )
    .fetch_optional(db)
    .await?
    .ok_or(AppError::NotFound(Missing::User))?;
    let mut info = to_info(actor, r.member_id, r.display_name, &r.role, r.title, r.email, r.created_at)?;
    info.status = status_of(r.status_emoji, r.status_text, r.status_expires_at);
    Ok(info)
}

#[derive(sqlx::FromRow)]
struct ProfileRow {
    member_id: Uuid,
    display_name: String,
    full_name: String,
    title: String,
    time_zone: String,
    status_emoji: String,
    status_text: String,
    status_expires_at: Option<OffsetDateTime>,
    avatar_key: Option<String>,
    avatar_version: i32,
}

/// The columns [`profile`] reads, for actions that return a fresh profile.
pub const PROFILE_COLUMNS: &str =
    "member_id, display_name, full_name, title, time_zone, status_emoji, status_text, status_expires_at,
     avatar_key, avatar_version";

/// A member's profile, from a row with [`PROFILE_COLUMNS`].
pub fn profile_from(row: &sqlx::postgres::PgRow) -> AppResult<Profile> {
    use sqlx::FromRow;
    let r = ProfileRow::from_row(row)?;
    Ok(Profile {
        id: r.member_id,
        name: r.display_name,
        full_name: r.full_name,
        title: r.title,
        time_zone: r.time_zone,
        status: status_of(r.status_emoji, r.status_text, r.status_expires_at),
        avatar_version: r.avatar_version,
        avatar_url: r.avatar_key.map(|_| super::avatar_src(r.member_id, 128, Some(r.avatar_version))),
    })
}

/// One member's profile (any member of the caller's workspace).
pub async fn profile(db: &PgPool, actor: &Actor, user: Uuid) -> AppResult<Profile> {
    if !may_see(db, actor, user).await? {
        return Err(AppError::NotFound(Missing::User));
    }
    let row = sqlx::query(&format!(
        "select {PROFILE_COLUMNS} from member where member_id = $1 and workspace_id = $2"
    ))
    .bind(user)
    .bind(actor.workspace_id)
    .fetch_optional(db)
    .await?
    .ok_or(AppError::NotFound(Missing::User))?;
    profile_from(&row)
}

/// Which of `ids` are active members of the caller's workspace (others,
/// and ids from other workspaces, are left out).
pub async fn active_ids(db: &PgPool, actor: &Actor, ids: &[Uuid]) -> AppResult<Vec<Uuid>> {
    let visible = visible_to(db, actor).await?;
    let ids: Vec<Uuid> =
        ids.iter().copied().filter(|id| visible.as_ref().is_none_or(|v| v.contains(id))).collect();
    Ok(sqlx::query_scalar!(
        "select member_id from member where workspace_id = $1 and member_id = any($2) and deactivated_at is null",
        actor.workspace_id,
        &ids
    )
    .fetch_all(db)
    .await?)
}

/// The most statuses `users.statuses` returns.
pub const MAX_STATUSES: i64 = 5000;

/// The live custom statuses of the caller's workspace (active members).
pub async fn statuses(db: &PgPool, actor: &Actor) -> AppResult<Vec<super::UserStatus>> {
    let rows: Vec<(Uuid, String, String, Option<OffsetDateTime>)> = sqlx::query_as(
        "select member_id, status_emoji, status_text, status_expires_at from member
          where workspace_id = $1 and deactivated_at is null and status_emoji <> ''
            and (status_expires_at is null or status_expires_at > now())
          order by member_id limit $2",
    )
    .bind(actor.workspace_id)
    .bind(MAX_STATUSES)
    .fetch_all(db)
    .await?;
    let visible = visible_to(db, actor).await?;
    Ok(rows
        .into_iter()
        .filter(|(user, ..)| visible.as_ref().is_none_or(|v| v.contains(user)))
        .filter_map(|(user, emoji, text, expires_at)| {
            status_of(emoji, text, expires_at).map(|status| super::UserStatus { user, status })
        })
        .collect())
}
