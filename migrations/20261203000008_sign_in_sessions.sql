-- Sign-in sessions that can be listed and revoked.
--
-- The browser's tower-session keeps only the id of an `auth_session` row;
-- every request checks that row (live, and its member active), so revoking a
-- row (sign out elsewhere, a password change, deactivation) locks that
-- browser out at its next request. Sockets learn of it through the bus.
create table auth_session (
  auth_session_id uuid primary key,
  account_id      uuid not null references account (account_id) on delete cascade,
  -- The member the session currently acts as (workspaces.switch moves it).
  member_id       uuid not null references member (member_id) on delete cascade,
  user_agent      text not null default '',
  ip              text not null default '',
  created_at      timestamptz not null default now(),
  last_seen_at    timestamptz not null default now(),
  revoked_at      timestamptz,
  constraint auth_session_user_agent_length check (char_length(user_agent) <= 512),
  constraint auth_session_ip_length check (char_length(ip) <= 64)
);
create index auth_session_member_idx on auth_session (member_id) where revoked_at is null;
create index auth_session_account_idx on auth_session (account_id) where revoked_at is null;

-- A socket ticket remembers the credential it was minted with, so that
-- revoking that token (or session) closes the socket too.
alter table ws_ticket add column credential uuid;

-- The audit log pages newest first, filtered by kind or actor.
create index audit_log_page_idx on audit_log (workspace_id, audit_log_id desc);
create index audit_log_action_idx on audit_log (workspace_id, action, audit_log_id desc);
create index audit_log_actor_idx on audit_log (workspace_id, actor_member_id, audit_log_id desc);
-- Audit rows are never edited: only retention of the workspace itself removes them.
create function audit_log_immutable() returns trigger language plpgsql as $$
begin
  raise exception 'audit_log rows are never changed';
end $$;
create trigger audit_log_no_update before update on audit_log
  for each row execute function audit_log_immutable();
