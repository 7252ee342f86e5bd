-- Retention: keep everything, or delete messages older than N days, for the
-- workspace and per channel. A channel's own value wins over the
-- workspace's: null follows the workspace, 0 keeps everything.
alter table workspace
  add column retention_days integer
    constraint workspace_retention_days check (retention_days between 1 and 36500),
  -- When the retention job next looks at this workspace. A node claims a
  -- workspace by moving this forward under `for update skip locked`, so
  -- nodes share the work and never run one workspace twice at once.
  add column retention_next_at timestamptz not null default now();
create index workspace_retention_due_idx on workspace (retention_next_at);

alter table channel
  add column retention_days integer
    constraint channel_retention_days check (retention_days between 0 and 36500);
create index channel_retention_idx on channel (workspace_id) where retention_days is not null;

-- What each run did, shown on /admin/retention. At most one runs per
-- workspace at a time.
create table retention_run (
  run_id           uuid primary key,
  workspace_id     uuid not null references workspace (workspace_id) on delete cascade,
  -- Who pressed "Run now"; null for the schedule.
  actor_member_id  uuid references member (member_id) on delete set null,
  started_at       timestamptz not null default now(),
  -- Moved forward after every batch: a run whose node died is recognised
  -- by a stale heartbeat and marked interrupted.
  heartbeat_at     timestamptz not null default now(),
  finished_at      timestamptz,
  status           text not null default 'running'
    constraint retention_run_status check (status in ('running', 'done', 'failed', 'interrupted')),
  channels         integer not null default 0,
  messages_deleted bigint not null default 0,
  files_deleted    bigint not null default 0,
  error            text
);
create unique index retention_run_one_running_idx on retention_run (workspace_id) where status = 'running';
create index retention_run_recent_idx on retention_run (workspace_id, started_at desc);

-- Deleted messages leave the Meilisearch index too: the outbox trigger
-- also queues deletes (the indexer removes documents whose row is gone).
create or replace function search_outbox_enqueue() returns trigger language plpgsql as $$
begin
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
create trigger message_search_outbox_delete
  after delete on message
  for each row execute function search_outbox_enqueue();
