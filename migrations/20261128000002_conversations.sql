-- Conversations: channels (public, private, dm, group_dm), membership with read
-- state, messages with a per-channel gap-free seq, and reactions.

create table channel (
  channel_id   uuid primary key,
  workspace_id uuid not null references workspace (workspace_id) on delete cascade,
  kind         text not null,
  -- Null for direct messages, which are named after their members.
  name         text,
  topic        text not null default '',
  purpose      text not null default '',
  is_general   boolean not null default false,
  -- Direct messages: the sorted member ids, so one set of people has one conversation.
  dm_key       text,
  created_by   uuid references member (member_id) on delete set null,
  -- The last seq handed out. Incremented under the row lock in the insert
  -- transaction, so seqs are gap-free and unique even under concurrent sends.
  last_seq     bigint not null default 0,
  last_message_at timestamptz,
  archived_at  timestamptz,
  created_at   timestamptz not null default now(),
  updated_at   timestamptz not null default now(),
  constraint channel_kind_valid check (kind in ('public', 'private', 'dm', 'group_dm')),
  constraint channel_name_format check (name is null or name ~ '^[a-z0-9_-]{1,80}$'),
  constraint channel_named_unless_dm check ((kind in ('dm', 'group_dm')) = (name is null)),
  constraint channel_dm_key_only_dm check ((kind in ('dm', 'group_dm')) = (dm_key is not null)),
  constraint channel_topic_length check (char_length(topic) <= 250),
  constraint channel_purpose_length check (char_length(purpose) <= 250),
  constraint channel_workspace_name_key unique (workspace_id, name),
  constraint channel_workspace_dm_key unique (workspace_id, dm_key)
);
create unique index channel_one_general_idx on channel (workspace_id) where is_general;
create index channel_browse_idx on channel (workspace_id, kind, name);
create trigger channel_updated_at before update on channel
  for each row execute function set_updated_at();

create table channel_member (
  channel_id    uuid not null references channel (channel_id) on delete cascade,
  member_id     uuid not null references member (member_id) on delete cascade,
  last_read_seq bigint not null default 0,
  joined_at     timestamptz not null default now(),
  constraint channel_member_pkey primary key (channel_id, member_id)
);
create index channel_member_member_idx on channel_member (member_id, channel_id);

-- Keyed by (channel_id, seq). Hash-partitioned by channel so that a channel's
-- pages live in one partition and partitions stay a manageable size.
create table message (
  channel_id      uuid not null,
  seq             bigint not null,
  member_id       uuid not null,
  -- Set on thread replies: the seq of the thread's root message.
  thread_seq      bigint,
  -- A reply that was also sent to the channel shows in the channel's history.
  also_in_channel boolean not null default false,
  client_msg_id   text,
  body            text not null,
  -- Sanitised HTML, rendered once at write time (reads vastly outnumber writes).
  html            text not null,
  mentions        uuid[] not null default '{}',
  mentions_all    boolean not null default false,
  reply_count     integer not null default 0,
  last_reply_at   timestamptz,
  edited_at       timestamptz,
  deleted_at      timestamptz,
  created_at      timestamptz not null default now(),
  constraint message_pkey primary key (channel_id, seq),
  constraint message_client_msg_id_key unique (channel_id, member_id, client_msg_id),
  constraint message_body_length check (char_length(body) <= 40000),
  constraint message_client_msg_id_length check (char_length(client_msg_id) between 1 and 64)
) partition by hash (channel_id);

do $$
begin
  for i in 0..15 loop
    execute format('create table message_p%s partition of message for values with (modulus 16, remainder %s)', i, i);
  end loop;
end
$$;

-- The channel's own history (roots and replies also sent to the channel), newest first.
create index message_history_idx on message (channel_id, seq) where thread_seq is null or also_in_channel;
create index message_thread_idx on message (channel_id, thread_seq, seq) where thread_seq is not null;

create table reaction (
  channel_id uuid not null,
  seq        bigint not null,
  member_id  uuid not null references member (member_id) on delete cascade,
  emoji      text not null,
  created_at timestamptz not null default now(),
  constraint reaction_pkey primary key (channel_id, seq, emoji, member_id),
  constraint reaction_message_fkey foreign key (channel_id, seq) references message (channel_id, seq) on delete cascade,
  constraint reaction_emoji_length check (char_length(emoji) between 1 and 64)
);

-- Every existing workspace gets its #general, with its non-guest members in it.
insert into channel (channel_id, workspace_id, kind, name, is_general, purpose)
select gen_random_uuid(), workspace_id, 'public', 'general', true,
       'This channel is for workspace-wide communication and announcements.'
from workspace;
insert into channel_member (channel_id, member_id)
select c.channel_id, m.member_id
from channel c join member m using (workspace_id)
where c.is_general and m.role <> 'guest' and m.deactivated_at is null;
