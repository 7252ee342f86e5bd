-- Search that stays bounded and consistent (issue 19).

-- The rare-word probe reads only the caller's channels: one GIN index over
-- (channel_id, tsv) (btree_gin gives uuid a GIN operator class), so a
-- bitmap scan per channel intersects the channel's entries with the word's
-- instead of reading the word's hits in every workspace.
create extension if not exists btree_gin;
create extension if not exists pg_trgm;
drop index if exists message_tsv_idx;
create index message_channel_tsv_idx on message using gin (channel_id, tsv);

-- The Meilisearch index is used for queries only once a reindex has filled
-- it (`meili_ready`). While a full reindex builds its new index,
-- `rebuilding` makes the indexer log every key it applies to the live index
-- into search_rebuild_log, and the reindex applies those keys to the new
-- index before and after the swap, so nothing written meanwhile is lost.
alter table search_setting add column meili_ready boolean not null default false;
alter table search_setting add column rebuilding boolean not null default false;
create table search_rebuild_log (
  channel_id uuid not null,
  seq        bigint not null,
  constraint search_rebuild_log_pkey primary key (channel_id, seq)
);

-- Reindex runs, for their progress (the command line and the admin
-- overview). workspace_id is null for a full reindex.
create table search_reindex (
  reindex_id   uuid primary key default gen_random_uuid(),
  workspace_id uuid references workspace (workspace_id) on delete cascade,
  status       text not null default 'running'
    constraint search_reindex_status check (status in ('running', 'done', 'failed')),
  done         bigint not null default 0,
  total        bigint not null default 0,
  started_at   timestamptz not null default now(),
  heartbeat_at timestamptz not null default now(),
  finished_at  timestamptz,
  error        text
);
create index search_reindex_recent_idx on search_reindex (started_at desc);

-- Typo tolerance on Postgres: each workspace's words (as written, lower
-- case, 4 to 32 letters or digits, not only digits), so a word that matches
-- nothing can be corrected to a similar one (pg_trgm) from the same
-- workspace only.
create table search_term (
  workspace_id uuid not null references workspace (workspace_id) on delete cascade,
  term         text not null,
  constraint search_term_pkey primary key (workspace_id, term)
);
create index search_term_trgm_idx on search_term using gin (workspace_id, term gin_trgm_ops);

create function search_terms_of(body text) returns setof text language sql immutable parallel safe as $$
  -- Sorted, so that concurrent sends insert shared new words in one order.
  select distinct w from regexp_split_to_table(lower(left(body, 4000)), '[^[:alnum:]]+') w
  where char_length(w) between 4 and 32 and w !~ '^[0-9]+$'
  order by w limit 100
$$;

create function search_term_collect() returns trigger language plpgsql as $$
begin
  if new.deleted_at is null then
    insert into search_term (workspace_id, term)
      select c.workspace_id, t from channel c, search_terms_of(new.body) t
      where c.channel_id = new.channel_id
      on conflict do nothing;
  end if;
  return null;
end
$$;
create trigger message_search_terms
  after insert or update of body on message
  for each row execute function search_term_collect();

insert into search_term (workspace_id, term)
  select distinct c.workspace_id, t
  from message g join channel c using (channel_id) cross join lateral search_terms_of(g.body) t
  where g.deleted_at is null
  on conflict do nothing;
