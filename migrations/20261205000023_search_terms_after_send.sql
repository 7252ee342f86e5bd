-- The words typo correction knows (search_term) are collected after the send
-- instead of inside it. The trigger's per-word upsert (about ten index probes
-- with `on conflict do nothing` for every message) was 70% of a message
-- insert's time, and the insert 78% of Postgres's statement time at 600
-- messages/s (scale suite P2, pg_stat_statements and EXPLAIN ANALYZE). Now a
-- send queues its text in one plain row; search::postgres::terms folds the
-- queue into search_term a batch at a time (every node, every second, `skip
-- locked`), and typo correction first folds its own workspace's rows, so a
-- word just sent can be corrected to at once.
create table search_term_pending (
  workspace_id uuid not null,
  body text not null
);

create or replace function search_term_collect() returns trigger language plpgsql as $$
begin
  if current_setting('threadspace.bulk_import', true) = 'on' then
    return null;
  end if;
  if new.deleted_at is null then
    insert into search_term_pending (workspace_id, body) values (new.workspace_id, left(new.body, 4000));
  end if;
  return null;
end
$$;
