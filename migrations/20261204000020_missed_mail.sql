-- Missed-message email (issue 15): a DM or an @mention that is still unread
-- when its delay is up, and whose reader has no open tab, is mailed.
alter table member
  add column missed_mail text not null default 'soon',
  add constraint member_missed_mail check (missed_mail in ('soon', 'hourly', 'never'));

-- One row per (reader, message) to look at once it is due. Written by the
-- send of a DM or a mention; the mailer takes due rows with
-- `for update skip locked`, so nodes share the work and none mails twice.
create table missed_outbox (
  member_id  uuid not null references member (member_id) on delete cascade,
  channel_id uuid not null references channel (channel_id) on delete cascade,
  seq        bigint not null,
  due_at     timestamptz not null,
  constraint missed_outbox_pkey primary key (member_id, channel_id, seq)
);
create index missed_outbox_due_idx on missed_outbox (due_at);
