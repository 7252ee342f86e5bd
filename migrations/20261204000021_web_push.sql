-- Web Push (issue 15): a member's devices that asked to be told of DMs,
-- mentions and followed replies while no tab of theirs is open.
--
-- A subscription belongs to the browser session that made it: signing out
-- (or having the session revoked) removes it, so a shared computer is not
-- told anything after its user left. The endpoint is unique: a browser that
-- subscribes again (or under another member) replaces its row.
create table push_subscription (
  push_subscription_id uuid primary key,
  member_id        uuid not null references member (member_id) on delete cascade,
  auth_session_id  uuid not null references auth_session (auth_session_id) on delete cascade,
  endpoint         text not null,
  p256dh           text not null,
  auth             text not null,
  created_at       timestamptz not null default now(),
  last_push_at     timestamptz,
  constraint push_subscription_endpoint_key unique (endpoint),
  constraint push_subscription_endpoint_length check (char_length(endpoint) <= 1024),
  constraint push_subscription_keys_length check (char_length(p256dh) <= 128 and char_length(auth) <= 64)
);
create index push_subscription_member_idx on push_subscription (member_id);

-- One row per new message in a conversation where somebody has a push
-- subscription, queued by the send in its transaction. Every node's pusher
-- takes rows with `for update skip locked` and decides, per reader, whether
-- to push (no open tab, preferences, unread), so the send itself does no
-- per-reader work.
create table push_outbox (
  channel_id uuid not null references channel (channel_id) on delete cascade,
  seq        bigint not null,
  queued_at  timestamptz not null default now(),
  constraint push_outbox_pkey primary key (channel_id, seq)
);
create index push_outbox_queued_idx on push_outbox (queued_at);
