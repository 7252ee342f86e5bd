-- The rare-word probe restricted to the caller's workspace by the index
-- itself (issue 19). GIN cannot search `channel_id = any(array)`, so the
-- `(channel_id, tsv)` index could not narrow the probe to the caller's
-- channels. Each message now carries its channel's workspace, and the GIN
-- index is over (workspace_id, tsv): a scalar `workspace_id = $1` (btree_gin)
-- intersects the workspace's posting tree with the word's (GIN's fast scan
-- skips through the large one), so the probe returns only the caller's
-- workspace's rows and the heap is read for nothing else.
alter table message add column workspace_id uuid;
update message g set workspace_id = c.workspace_id from channel c where c.channel_id = g.channel_id;
alter table message alter column workspace_id set not null;

-- A channel never changes workspace, so the column is filled once, at
-- insert, from the channel (the sending transaction has its row locked).
create function message_fill_workspace() returns trigger language plpgsql as $$
begin
  if new.workspace_id is null then
    select c.workspace_id into new.workspace_id from channel c where c.channel_id = new.channel_id;
  end if;
  return new;
end
$$;
create trigger message_workspace
  before insert on message
  for each row execute function message_fill_workspace();

drop index if exists message_channel_tsv_idx;
create index message_workspace_tsv_idx on message using gin (workspace_id, tsv);
