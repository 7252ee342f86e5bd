//! Server-only channel queries: access checks and the one query that reads
//! channels for a caller. Mutations live in `actions.rs`.

use sqlx::{PgExecutor, PgPool};
use uuid::Uuid;

use super::{Channel, ChannelKind};
use crate::api::{decode_cursor, encode_cursor, page_limit, ResponseMetadata};
use crate::auth::{Actor, Role};
use crate::error::{AppError, AppResult, Missing, Refusal};

/// What the access check learned about a channel the caller can see.
#[derive(Debug, Clone)]
pub struct Access {
    pub channel_id: Uuid,
    pub kind: ChannelKind,
    pub is_member: bool,
    pub is_archived: bool,
    pub is_general: bool,
    pub created_by: Option<Uuid>,
}

impl Access {
    /// Writes need membership (`not_in_channel`).
    pub fn require_member(&self) -> AppResult<()> {
        if self.is_member {
            Ok(())
        } else {
            Err(AppError::Refused(Refusal::NotInChannel))
        }
    }

    /// Archived channels are read-only (`is_archived`).
    pub fn require_open(&self) -> AppResult<()> {
        if self.is_archived {
            Err(AppError::Refused(Refusal::IsArchived))
        } else {
            Ok(())
        }
    }

    /// A member may post, react and change things in an open channel.
    pub fn require_writable(&self) -> AppResult<()> {
        self.require_member()?;
        self.require_open()
    }
}

/// The caller's view of a channel id. A channel of another workspace, a
/// private channel or DM the caller is not in, or (for guests) any channel
/// they are not in, is `channel_not_found`.
pub async fn access(db: impl PgExecutor<'_>, actor: &Actor, channel: Uuid) -> AppResult<Access> {
    let r = sqlx::query!(
        r#"select c.kind, c.archived_at is not null as "is_archived!", c.is_general, c.created_by,
                  exists(select 1 from channel_member cm
                         where cm.channel_id = c.channel_id and cm.member_id = $3) as "is_member!"
           from channel c where c.channel_id = $1 and c.workspace_id = $2"#,
        channel,
        actor.workspace_id,
        actor.member_id
    )
    .fetch_optional(db)
    .await?
    .ok_or(AppError::NotFound(Missing::Channel))?;
    let kind = ChannelKind::parse(&r.kind)?;
    let visible = r.is_member || (kind == ChannelKind::Public && actor.role != Role::Guest);
    if !visible {
        return Err(AppError::NotFound(Missing::Channel));
    }
    Ok(Access {
        channel_id: channel,
        kind,
        is_member: r.is_member,
        is_archived: r.is_archived,
        is_general: r.is_general,
        created_by: r.created_by,
    })
}

/// An access check made inside a transaction after locking the channel's
/// row until commit. Kicks, leaves, archives and every write to the channel
/// take the same lock, so none of them can commit between the check and the
/// write it guards: a post racing a kick is either refused or stored and
/// delivered, never stored for someone who can no longer see it.
#[derive(Debug, Clone)]
pub struct Locked(Access);

impl Locked {
    pub fn access(&self) -> &Access {
        &self.0
    }

    /// The proof that the caller may post in this channel right now.
    pub fn writable(self) -> AppResult<Writable> {
        self.0.require_writable()?;
        Ok(Writable(self.0))
    }
}

impl std::ops::Deref for Locked {
    type Target = Access;
    fn deref(&self) -> &Access {
        &self.0
    }
}

/// Proof, from [`Locked::writable`], that the caller is a member of an open
/// channel whose row their transaction holds. Channel writes take it as an
/// argument, so a write without the check does not compile.
#[derive(Debug, Clone)]
pub struct Writable(Access);

impl Writable {
    pub fn channel(&self) -> Uuid {
        self.0.channel_id
    }
}

impl std::ops::Deref for Writable {
    type Target = Access;
    fn deref(&self) -> &Access {
        &self.0
    }
}

/// Locks the channel's row (`for no key update`, the lock a send takes
/// anyway to bump `last_seq`) and then checks access, in that order: the
/// check is a new statement, so it sees whatever committed while it waited.
pub async fn lock(tx: &mut crate::core::tx::Tx, actor: &Actor, channel: Uuid) -> AppResult<Locked> {
    let found = sqlx::query_scalar!(
        "select 1 as \"one!\" from channel where channel_id = $1 and workspace_id = $2 for no key update",
        channel,
        actor.workspace_id
    )
    .fetch_optional(&mut **tx)
    .await?;
    if found.is_none() {
        return Err(AppError::NotFound(Missing::Channel));
    }
    Ok(Locked(access(&mut **tx, actor, channel).await?))
}

/// The policy's view of a channel and its caller.
pub fn policy(actor: &Actor, a: &Access) -> (crate::core::policy::Subject, crate::core::policy::Target) {
    let s = crate::core::policy::Subject { member: actor.member_id, role: actor.role };
    let t = crate::core::policy::Target {
        is_dm: a.kind.is_dm(),
        is_general: a.is_general,
        is_member: a.is_member,
        is_archived: a.is_archived,
        created_by: a.created_by,
    };
    (s, t)
}

/// Which channels [`fetch`] reads.
#[derive(Debug, Default)]
pub struct Filter<'a> {
    pub channel: Option<Uuid>,
    pub only_member: bool,
    pub kinds: Option<Vec<ChannelKind>>,
    pub query: Option<&'a str>,
    pub exclude_archived: bool,
    pub after: Option<(String, Uuid)>,
    pub with_counts: bool,
    pub limit: i64,
}

/// Reads the channels visible to `actor` that match `f`, ordered by name.
pub async fn fetch(db: &PgPool, actor: &Actor, f: Filter<'_>) -> AppResult<Vec<Channel>> {
    let kinds: Option<Vec<String>> =
        f.kinds.as_ref().map(|ks| ks.iter().map(|k| k.as_str().to_string()).collect());
    let (after_name, after_id) = f.after.unzip();
    let query = f.query.map(|q| format!("%{}%", crate::db::like_escape(q)));
    let rows = sqlx::query!(
        r#"select c.channel_id, c.name, c.kind, c.is_general, c.archived_at is not null as "is_archived!",
                  c.topic, c.purpose, c.created_by, c.created_at, c.last_seq,
                  cm.member_id is not null as "is_member!", coalesce(cm.last_read_seq, 0) as "last_read!",
                  c.member_count::bigint as "member_count!",
                  case when c.kind in ('dm', 'group_dm') then array(
                    select x.member_id from channel_member x join member m using (member_id)
                    where x.channel_id = c.channel_id and x.member_id <> $1
                    order by m.display_name, m.member_id) else '{}' end as "users!",
                  case when c.kind in ('dm', 'group_dm') then (
                    select string_agg(m.display_name, ', ' order by m.display_name, m.member_id)
                    from channel_member x join member m using (member_id)
                    where x.channel_id = c.channel_id and x.member_id <> $1) end as dm_name,
                  case when $9 and cm.member_id is not null then exists(
                    select 1 from message g where g.channel_id = c.channel_id and g.seq > cm.last_read_seq
                      and (g.thread_seq is null or g.also_in_channel)
                      and g.member_id <> $1 and g.deleted_at is null) else false end as "has_unread!",
                  case when $9 and cm.member_id is not null then (select count(*) from (
                    select 1 from message g where g.channel_id = c.channel_id
                      and g.seq > greatest(cm.last_read_seq, c.last_seq - 1000)
                      and g.member_id <> $1 and g.deleted_at is null
                      and (c.kind in ('dm', 'group_dm') or $1 = any(g.mentions) or g.mentions_all)
                    limit 100) z) else 0 end as "mention_count!"
           from channel c
           left join channel_member cm on cm.channel_id = c.channel_id and cm.member_id = $1
           where c.workspace_id = $2
             and (cm.member_id is not null or (c.kind = 'public' and not $3))
             and ($4::uuid is null or c.channel_id = $4)
             and (not $5 or cm.member_id is not null)
             and ($6::text[] is null or c.kind = any($6))
             and ($7::text is null or c.name ilike $7)
             and (not $8 or c.archived_at is null)
             and ($10::text is null or (coalesce(c.name, ''), c.channel_id) > ($10, $11::uuid))
           order by coalesce(c.name, ''), c.channel_id
           limit $12"#,
        actor.member_id,
        actor.workspace_id,
        actor.role == Role::Guest,
        f.channel,
        f.only_member,
        kinds.as_deref(),
        query,
        f.exclude_archived,
        f.with_counts,
        after_name,
        after_id,
        f.limit
    )
    .fetch_all(db)
    .await?;
    rows.into_iter()
        .map(|r| {
            let kind = ChannelKind::parse(&r.kind)?;
            let display_name = match (&r.name, kind) {
                (Some(n), _) => n.clone(),
                (None, _) => match r.dm_name {
                    Some(n) => n,
                    None => "Notes to self".to_string(),
                },
            };
            Ok(Channel {
                id: r.channel_id,
                name: r.name,
                kind,
                is_private: kind != ChannelKind::Public,
                is_general: r.is_general,
                is_archived: r.is_archived,
                topic: r.topic,
                purpose: r.purpose,
                display_name,
                users: r.users,
                is_member: r.is_member,
                member_count: r.member_count,
                latest_seq: r.last_seq,
                last_read: r.last_read,
                has_unread: r.has_unread,
                mention_count: r.mention_count,
                created_by: r.created_by,
                created_at: r.created_at,
            })
        })
        .collect()
}

/// One channel, with the caller's read state.
pub async fn info(db: &PgPool, actor: &Actor, channel: Uuid) -> AppResult<Channel> {
    access(db, actor, channel).await?;
    let f = Filter { channel: Some(channel), with_counts: true, limit: 1, ..Default::default() };
    fetch(db, actor, f).await?.pop().ok_or(AppError::NotFound(Missing::Channel))
}

/// A page of `conversations.list`.
#[derive(Debug)]
pub struct Page {
    pub channels: Vec<Channel>,
    pub meta: ResponseMetadata,
}

/// Arguments of `conversations.list`.
#[derive(Debug, Default)]
pub struct ListInput<'a> {
    pub types: Option<&'a str>,
    pub cursor: Option<&'a str>,
    pub limit: Option<i64>,
    pub query: Option<&'a str>,
    pub exclude_archived: bool,
}

/// Channels the caller can see: every public channel (not for guests) and
/// the private channels and DMs they are in.
pub async fn list(db: &PgPool, actor: &Actor, input: ListInput<'_>) -> AppResult<Page> {
    let limit = page_limit(input.limit, 100, 200);
    let after = match input.cursor.filter(|c| !c.is_empty()) {
        Some(c) => Some(decode_cursor(c)?),
        None => None,
    };
    let query = input.query.map(str::trim).filter(|q| !q.is_empty());
    let f = Filter {
        kinds: Some(super::parse_types(input.types)?),
        query,
        exclude_archived: input.exclude_archived,
        after,
        limit: limit + 1,
        ..Default::default()
    };
    let mut channels = fetch(db, actor, f).await?;
    let has_more = channels.len() as i64 > limit;
    channels.truncate(limit as usize);
    let next_cursor = match channels.last() {
        Some(c) if has_more => encode_cursor(&(c.name.clone().unwrap_or_default(), c.id)),
        _ => String::new(),
    };
    Ok(Page { channels, meta: ResponseMetadata { next_cursor } })
}

/// Every conversation the caller is in, with unread state: the sidebar.
pub async fn mine(db: &PgPool, actor: &Actor) -> AppResult<Vec<Channel>> {
    let f = Filter { only_member: true, with_counts: true, limit: 2000, ..Default::default() };
    fetch(db, actor, f).await
}

/// A member of a channel, for `conversations.members`.
pub async fn members(
    db: &PgPool,
    actor: &Actor,
    channel: Uuid,
    cursor: Option<&str>,
    limit: Option<i64>,
) -> AppResult<crate::users::queries::Page> {
    access(db, actor, channel).await?;
    let limit = page_limit(limit, 100, 200);
    let after: Option<(String, Uuid)> = match cursor.filter(|c| !c.is_empty()) {
        Some(c) => Some(decode_cursor(c)?),
        None => None,
    };
    let (after_name, after_id) = after.unzip();
    let rows = sqlx::query!(
        r#"select m.member_id, m.display_name, m.role, m.title, a.email, m.created_at
           from channel_member cm join member m using (member_id) join account a using (account_id)
           where cm.channel_id = $1 and m.deactivated_at is null
             and ($2::text is null or (lower(m.display_name), m.member_id) > ($2, $3::uuid))
           order by lower(m.display_name), m.member_id
           limit $4"#,
        channel,
        after_name,
        after_id,
        limit + 1
    )
    .fetch_all(db)
    .await?;
    let has_more = rows.len() as i64 > limit;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows.into_iter().take(limit as usize) {
        out.push(crate::users::queries::to_info(
            actor,
            r.member_id,
            r.display_name,
            &r.role,
            r.title,
            r.email,
            r.created_at,
        )?);
    }
    let next_cursor = match out.last() {
        Some(last) if has_more => encode_cursor(&(last.name.to_lowercase(), last.id)),
        _ => String::new(),
    };
    Ok(crate::users::queries::Page { members: out, meta: ResponseMetadata { next_cursor } })
}

/// The channel ids of a DM set, sorted, as stored in `dm_key`.
pub fn dm_key(members: &[Uuid]) -> String {
    let mut ids: Vec<String> = members.iter().map(Uuid::to_string).collect();
    ids.sort();
    ids.dedup();
    ids.join(",")
}
