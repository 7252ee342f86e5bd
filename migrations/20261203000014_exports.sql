-- Workspace exports: a zip in the layout of a Slack export, built in the
-- background and kept in the file store until a newer one replaces it.
create table export (
  export_id            uuid primary key,
  workspace_id         uuid not null references workspace (workspace_id) on delete cascade,
  actor_member_id      uuid references member (member_id) on delete set null,
  -- Private channels and direct messages are included only when an owner
  -- chose so (the audit entry says which).
  include_private      boolean not null,
  status               text not null default 'running'
    constraint export_status check (status in ('running', 'done', 'failed', 'interrupted', 'replaced')),
  conversations_total  integer not null default 0,
  conversations_done   integer not null default 0,
  messages             bigint not null default 0,
  files                bigint not null default 0,
  -- The zip in the object store, once done.
  storage_key          text,
  size                 bigint,
  error                text,
  started_at           timestamptz not null default now(),
  heartbeat_at         timestamptz not null default now(),
  finished_at          timestamptz
);
create unique index export_one_running_idx on export (workspace_id) where status = 'running';
create index export_recent_idx on export (workspace_id, started_at desc);
