-- Foundation: accounts, workspaces, members, invites, API tokens and the audit log.
-- Table names are singular, keys are <table>_id, constraints have stable names
-- (the action layer turns unique violations into friendly errors by name).

create or replace function set_updated_at() returns trigger
language plpgsql as $$
begin
  new.updated_at = now();
  return new;
end
$$;

create table workspace (
  workspace_id      uuid primary key,
  name              text not null,
  idle_timeout_secs integer not null default 300,
  created_at        timestamptz not null default now(),
  updated_at        timestamptz not null default now(),
  constraint workspace_name_length check (char_length(name) between 1 and 80),
  constraint workspace_idle_timeout_range check (idle_timeout_secs between 60 and 86400)
);
create trigger workspace_updated_at before update on workspace
  for each row execute function set_updated_at();

-- The login identity. Emails are stored lowercased so that uniqueness is case-insensitive.
create table account (
  account_id    uuid primary key,
  email         text not null,
  password_hash text not null,
  created_at    timestamptz not null default now(),
  updated_at    timestamptz not null default now(),
  constraint account_email_key unique (email),
  constraint account_email_lowercase check (email = lower(email))
);
create trigger account_updated_at before update on account
  for each row execute function set_updated_at();

-- An account inside a workspace. API "user" ids are member ids, as in Slack.
create table member (
  member_id      uuid primary key,
  workspace_id   uuid not null references workspace (workspace_id) on delete cascade,
  account_id     uuid not null references account (account_id) on delete cascade,
  role           text not null,
  display_name   text not null,
  title          text not null default '',
  deactivated_at timestamptz,
  created_at     timestamptz not null default now(),
  updated_at     timestamptz not null default now(),
  constraint member_workspace_account_key unique (workspace_id, account_id),
  constraint member_role_valid check (role in ('owner', 'admin', 'member', 'guest')),
  constraint member_display_name_length check (char_length(display_name) between 1 and 80)
);
create index member_account_idx on member (account_id);
-- The directory pages by (lower(display_name), member_id).
create index member_directory_idx on member (workspace_id, lower(display_name), member_id);
create trigger member_updated_at before update on member
  for each row execute function set_updated_at();

create table invite (
  invite_id    uuid primary key,
  workspace_id uuid not null references workspace (workspace_id) on delete cascade,
  created_by   uuid not null references member (member_id) on delete cascade,
  role         text not null,
  token_hash   bytea not null,
  expires_at   timestamptz not null,
  max_uses     integer not null,
  uses         integer not null default 0,
  revoked_at   timestamptz,
  created_at   timestamptz not null default now(),
  updated_at   timestamptz not null default now(),
  constraint invite_token_hash_key unique (token_hash),
  constraint invite_role_valid check (role in ('admin', 'member', 'guest')),
  constraint invite_max_uses_range check (max_uses between 1 and 1000),
  constraint invite_uses_within_max check (uses between 0 and max_uses)
);
create index invite_workspace_idx on invite (workspace_id, created_at desc);
create trigger invite_updated_at before update on invite
  for each row execute function set_updated_at();

-- Personal API tokens. Only a SHA-256 of the token is kept; the prefix helps people tell them apart.
create table api_token (
  api_token_id uuid primary key,
  member_id    uuid not null references member (member_id) on delete cascade,
  label        text not null,
  prefix       text not null,
  token_hash   bytea not null,
  expires_at   timestamptz,
  revoked_at   timestamptz,
  last_used_at timestamptz,
  created_at   timestamptz not null default now(),
  updated_at   timestamptz not null default now(),
  constraint api_token_token_hash_key unique (token_hash),
  constraint api_token_label_length check (char_length(label) between 1 and 80)
);
create index api_token_member_idx on api_token (member_id, created_at desc);
create trigger api_token_updated_at before update on api_token
  for each row execute function set_updated_at();

create table audit_log (
  audit_log_id    bigint generated always as identity primary key,
  workspace_id    uuid not null references workspace (workspace_id) on delete cascade,
  actor_member_id uuid references member (member_id) on delete set null,
  action          text not null,
  detail          jsonb not null default '{}',
  created_at      timestamptz not null default now()
);
create index audit_log_workspace_idx on audit_log (workspace_id, created_at desc);
