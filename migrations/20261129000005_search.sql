-- Search: full-text on Postgres. The tsvector is a stored generated column, so
-- it can never disagree with the text (edits and deletes update it in the same
-- row write), with a GIN index per partition.
alter table message add column tsv tsvector
  generated always as (to_tsvector('english', body)) stored;
create index message_tsv_idx on message using gin (tsv);
-- Newest-first scans of a channel (common words, filter-only queries): in
-- index order to the end, so the scan stops at the cap without sorting.
create index message_created_idx on message (channel_id, created_at desc, seq desc);

-- The transactional outbox for Meilisearch: a trigger queues every message
-- write in the writing transaction, but only while a Meilisearch is
-- configured (the server sets search_setting.outbox_enabled at start), so a
-- Postgres-only install queues nothing.
create table search_setting (
  singleton      boolean primary key default true,
  outbox_enabled boolean not null default false,
  constraint search_setting_singleton check (singleton)
);
insert into search_setting default values;

create table search_outbox (
  id         bigserial primary key,
  channel_id uuid not null,
  seq        bigint not null,
  queued_at  timestamptz not null default now()
);

create function search_outbox_enqueue() returns trigger language plpgsql as $$
begin
  if (select outbox_enabled from search_setting) then
    insert into search_outbox (channel_id, seq) values (new.channel_id, new.seq);
  end if;
  return null;
end
$$;

create trigger message_search_outbox
  after insert or update of body, deleted_at, file_count, thread_seq, reply_count on message
  for each row execute function search_outbox_enqueue();
