-- Realtime: single-use WebSocket tickets for non-browser clients, and the
-- manual "away" a member can set (kept across reconnects and restarts).

create table ws_ticket (
    ticket_hash bytea primary key,
    member_id uuid not null references member (member_id) on delete cascade,
    expires_at timestamptz not null
);
create index ws_ticket_expiry_idx on ws_ticket (expires_at);

alter table member add column presence_away boolean not null default false;

-- The workspace setting: input-free time after which a member shows as idle.
alter table workspace add column idle_after_secs integer not null default 300
    constraint workspace_idle_after_range check (idle_after_secs between 30 and 86400);
