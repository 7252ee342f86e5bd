-- Slack import (issue 18): the jobs, and every imported person and
-- conversation keyed by its Slack id, so that importing twice or resuming
-- after a crash creates nothing twice. Messages are keyed by their
-- `client_msg_id` (`slack:<ts>`), unique per channel and author already.
create table import_job (
  import_id            uuid primary key,
  workspace_id         uuid not null references workspace (workspace_id) on delete cascade,
  actor_member_id      uuid references member (member_id) on delete set null,
  status               text not null default 'uploaded'
    constraint import_status check (status in ('uploaded', 'checking', 'checked', 'importing', 'done', 'failed', 'cancelled')),
  file_name            text not null,
  size                 bigint not null,
  -- The zip in the object store (deleted when the import is done).
  storage_key          text,
  merge_channels       boolean not null default false,
  -- The dry run's report (`imports::Report`).
  report               jsonb,
  conversations_total  integer not null default 0,
  conversations_done   integer not null default 0,
  messages_total       bigint not null default 0,
  messages_done        bigint not null default 0,
  files_total          bigint not null default 0,
  files_done           bigint not null default 0,
  error                text,
  created_at           timestamptz not null default now(),
  -- A running job moves it after every transaction; a job whose
  -- heartbeat stops (its node died) is taken over by another node.
  heartbeat_at         timestamptz not null default now(),
  finished_at          timestamptz,
  constraint import_file_name_length check (char_length(file_name) between 1 and 255)
);
-- One job works in a workspace at a time.
create unique index import_one_running_idx on import_job (workspace_id) where status in ('checking', 'importing');
create index import_recent_idx on import_job (workspace_id, created_at desc);
create index import_running_idx on import_job (heartbeat_at) where status in ('checking', 'importing');

create table import_person (
  workspace_id uuid not null references workspace (workspace_id) on delete cascade,
  slack_id     text not null,
  member_id    uuid not null references member (member_id) on delete cascade,
  constraint import_person_pkey primary key (workspace_id, slack_id)
);

create table import_conversation (
  workspace_id uuid not null references workspace (workspace_id) on delete cascade,
  slack_id     text not null,
  channel_id   uuid not null references channel (channel_id) on delete cascade,
  -- Whether the channel was created by the import (else merged into).
  created      boolean not null,
  -- The last message stored, in `ts` order: a resumed import goes on after it.
  last_ts      text,
  done         boolean not null default false,
  constraint import_conversation_pkey primary key (workspace_id, slack_id)
);

-- A bulk import indexes its words and queues its messages for Meilisearch
-- itself, once per batch of thousands of rows, instead of one trigger call
-- per row: the triggers step aside while `threadspace.bulk_import` is on
-- (set only inside the import's own transactions).
create or replace function search_outbox_enqueue() returns trigger language plpgsql as $$
begin
  if tg_op <> 'DELETE' and current_setting('threadspace.bulk_import', true) = 'on' then
    return null;
  end if;
  if (select outbox_enabled from search_setting) then
    if tg_op = 'DELETE' then
      insert into search_outbox (channel_id, seq) values (old.channel_id, old.seq);
    else
      insert into search_outbox (channel_id, seq) values (new.channel_id, new.seq);
    end if;
  end if;
  return null;
end
$$;

create or replace function search_term_collect() returns trigger language plpgsql as $$
begin
  if current_setting('threadspace.bulk_import', true) = 'on' then
    return null;
  end if;
  if new.deleted_at is null then
    insert into search_term (workspace_id, term)
      select c.workspace_id, t from channel c, search_terms_of(new.body) t
      where c.channel_id = new.channel_id
      on conflict do nothing;
  end if;
  return null;
end
$$;
