-- Notification preferences (issue 15): a member's default, keywords and
-- do-not-disturb; a per-conversation override and mute on the membership.
alter table member
  add column notify_level text not null default 'mentions',
  add column notify_keywords text[] not null default '{}',
  -- Do not disturb until this time (a snooze), or not at all when null.
  add column dnd_until timestamptz,
  -- A daily quiet period, minutes after midnight in the member's time zone;
  -- both null when there is none. start > end wraps past midnight.
  add column dnd_start smallint,
  add column dnd_end smallint,
  add constraint member_notify_level check (notify_level in ('all', 'mentions', 'nothing')),
  add constraint member_dnd_window check (
    (dnd_start is null) = (dnd_end is null)
    and coalesce(dnd_start between 0 and 1439 and dnd_end between 0 and 1439, true));

alter table channel_member
  add column muted boolean not null default false,
  -- Null follows the member's default.
  add column notify_level text,
  add constraint channel_member_notify_level check (notify_level in ('all', 'mentions', 'nothing'));

-- Threads a member follows: they replied, started it, or were mentioned in a
-- reply. Replies in them notify at the "mentions" level. Written by the send
-- action of each reply; read (most recent first) when a browser starts.
create table thread_follow (
  channel_id  uuid not null references channel (channel_id) on delete cascade,
  thread_seq  bigint not null,
  member_id   uuid not null references member (member_id) on delete cascade,
  followed_at timestamptz not null default now(),
  -- The newest reply the member has read (threads.mark), for the Threads view.
  last_read_seq bigint not null default 0,
  constraint thread_follow_pkey primary key (member_id, channel_id, thread_seq)
);
create index thread_follow_recent_idx on thread_follow (member_id, followed_at desc);
