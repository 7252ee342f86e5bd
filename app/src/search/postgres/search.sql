-- search.messages on Postgres. sql.rs expands the markers in braces once:
-- the columns, the filters and the per-channel walks. Parameters:
--  $1 channels uuid[]    $2 caller          $3 websearch text (all words)
--  $4 headline options   $5 authors uuid[]  $6 after  $7 before
--  $8 has:file $9 has:image $10 has:link $11 has:reaction $12 is:thread
--  $13 sort by date      $14 cap + 1        $15 rare plan  $16 walk plan
--  $17 page limit        $18 page offset    $19 prefix tsquery text ('' = none)
--  $20 websearch text without the prefix word   $21 there is text to match
--  $22 first walk's matches per channel   $23 rows a walk may read per channel (null = all)
--  $24 the caller's workspace
--  $25 only the messages waiting in search_outbox (Meilisearch's pending ones)
with q as (
  select websearch_to_tsquery('english', $3) as words,
         case when $19 = '' then websearch_to_tsquery('english', $3)
              else websearch_to_tsquery('english', $20) && to_tsquery('english', $19) end as q
),
-- Rare words: the word's posting list intersected with the caller's
-- workspace's in the (workspace_id, tsv) GIN index ($24, a scalar `=`, which
-- btree_gin can search; GIN cannot search the channel array), so the probe
-- returns only this workspace's rows, at most a few thousand ("rare" is an
-- absolute estimated count); filtered to the caller's channels after.
-- Materialized, so the planner cannot turn the few hits into a join over
-- the whole scope.
rare as materialized (
  select {cols}, g.deleted_at, g.file_count, g.html, g.reply_count
  from message g cross join q
  where $15 and numnode(q.words) > 0 and g.workspace_id = $24 and g.tsv @@ q.words
),
rare_hits as (
  select {cols} from rare g cross join q
  where g.channel_id = any($1) and {filters} and ($19 = '' or ts_match_vq(g.tsv, q.q))
),
-- The messages Meilisearch has not indexed yet ($25, with the rare and walk
-- plans off): the outbox's rows in the caller's channels. The outbox is
-- short (beyond BEHIND_ROWS the Meilisearch backend is not used), so this is
-- a scan of a small table and a primary-key probe per row (a lateral with a
-- limit, so that no plan can turn it into a scan of `message`).
pending as materialized (
  select g.* from (select distinct o.channel_id, o.seq from search_outbox o
                   where $25 and o.channel_id = any($1)) k
  cross join lateral (
    select {cols}, g.deleted_at, g.file_count, g.html, g.reply_count
    from message g where g.channel_id = k.channel_id and g.seq = k.seq limit 1) g
),
pending_hits as (
  select {cols} from pending g cross join q where {filters} and {match}
),
-- Common words and operator-only queries: each channel newest first
-- (message_created_idx, or message_in_thread_idx for is:thread), $22 matches
-- each; ts_match_vq is @@ without the GIN index, which would read the whole
-- posting list of a common word.
-- With a row budget ($23, search as you type), a channel is read only down
-- to its ($23)th newest message (found in the index alone).
channels as (
  select s.channel_id,
         case when $23 is null then '-infinity'::timestamptz
              else coalesce((select m.created_at from message m where m.channel_id = s.channel_id
                             order by m.created_at desc, m.seq desc offset $23 limit 1), '-infinity') end as floor
  from unnest($1::uuid[]) s(channel_id)
  where $16
),
walk_first as (
  select w.* from channels s cross join lateral ({walk_first}) w
),
-- The cut: the ($14)th newest match so far. No channel's match older than
-- the cut can be among the newest $14, so only channels whose first walk
-- stopped above the cut are walked further, and only down to it.
per_channel as (
  select channel_id, count(*) as n, min(created_at) as low_at,
         (array_agg(seq order by created_at, seq))[1] as low_seq
  from walk_first group by channel_id
),
cut as (
  select coalesce((select created_at from walk_first order by created_at desc, seq desc offset $14 - 1 limit 1),
                  '-infinity') as at
),
walk_more as (
  select w.* from per_channel p cross join cut cross join lateral ({walk_more}) w
  where $23 is null and p.n >= $22 and p.low_at >= cut.at
),
cand as (
  select * from rare_hits
  union all select * from pending_hits
  union all select * from walk_first
  union all select * from walk_more
),
-- A prefix search runs both plans, so a message can come twice.
hits as (
  select distinct on (created_at, seq, channel_id) * from cand
  order by created_at desc, seq desc, channel_id limit $14
),
page as (
  select h.*, count(*) over () as total,
         case when $13 or not $21 then 0 else ts_rank_cd(h.tsv, q.q) end as rank
  from hits h cross join q
  order by rank desc, h.created_at desc, h.seq desc
  limit $17 offset $18
)
select p.channel_id, p.seq, p.thread_seq, p.member_id, m.display_name as user_name, p.body, p.created_at,
       coalesce('#' || c.name,
                (select string_agg(mm.display_name, ', ' order by mm.display_name)
                 from channel_member x join member mm using (member_id)
                 where x.channel_id = c.channel_id and x.member_id <> $2),
                m.display_name) as channel_name,
       case when not $21 then left(p.body, 300) else ts_headline('english', p.body, q.q, $4) end as snippet,
       p.total
from page p
join channel c on c.channel_id = p.channel_id
join member m on m.member_id = p.member_id
cross join q
order by p.rank desc, p.created_at desc, p.seq desc
