-- The scale world (issue 17), in one transaction: workspaces of 10–500
-- members (exponential sizes around the mean, plus one 500-member workspace
-- per 500), each with #general, public and private channels, 1:1 and group
-- DMs, a skewed message history, and an API token per person.
--
-- Parameters come as settings (`scale.*`, set by `loadgen seed`). Straight
-- SQL because 250k sign-ups through the API would take hours and trip every
-- limit; rows are written as the application writes them (token hashes,
-- dm_key, member_count, seqs, read state), with triggers off
-- (`session_replication_role = replica`) and the totals filled in at the end.
-- The raw tokens and who is online go into `loadgen_person`, a table only a
-- bench database has, so a world can be reused without seeding again.

set local session_replication_role = replica;
set local statement_timeout = 0;
select setseed(current_setting('scale.seed')::float8);

create temp table s_ws on commit drop as
  select n, gen_random_uuid() as workspace_id,
         case when n % 500 = 1 then 500
              else least(500, greatest(10, round(10 + (current_setting('scale.mean')::int - 10) * -ln(1 - random()))))::int
         end as size
  from generate_series(1, current_setting('scale.workspaces')::int) n;

create temp table s_m on commit drop as
  select w.n as ws, w.workspace_id, i, gen_random_uuid() as member_id, gen_random_uuid() as account_id,
         case when i = 1 then 'owner' when i <= 3 then 'admin' else 'member' end as role,
         random() < current_setting('scale.online')::float8 or i = 1 as online,
         'tsp_scale_' || w.n || '_' || i || '_' || md5(random()::text || clock_timestamp()::text) as raw
  from s_ws w, generate_series(1, w.size) i;
create index on s_m (ws, i);

-- The simulated people send no input, so without a long idle setting all
-- 75,000 would turn idle 5 minutes after connecting, in the middle of the
-- scenarios: a burst of presence changes no real day has.
insert into workspace (workspace_id, name, idle_after_secs) select workspace_id, 'Scale ' || n, 3600 from s_ws;
insert into account (account_id, email, password_hash)
  select account_id, 'p' || ws || '-' || i || '@scale.test', '!scale' from s_m;
insert into member (member_id, workspace_id, account_id, role, display_name, title)
  select member_id, workspace_id, account_id, role, 'Person ' || ws || '-' || i,
         (array['Engineer', 'Designer', 'Sales', 'Support', 'Finance', 'Operations'])[1 + i % 6]
  from s_m;
insert into api_token (api_token_id, member_id, label, prefix, token_hash)
  select gen_random_uuid(), member_id, 'scale', left(raw, 12), sha256(convert_to(raw, 'UTF8')) from s_m;
create table if not exists loadgen_person (
  member_id uuid primary key, ws int not null, i int not null, online boolean not null, raw text not null);
insert into loadgen_person select member_id, ws, i, online, raw from s_m;

-- Conversations and how many people each has (`size`); members are drawn below.
create temp table s_c (
  channel_id uuid, workspace_id uuid, ws int, kind text, name text, is_general boolean, size int
) on commit drop;
insert into s_c select gen_random_uuid(), workspace_id, n, 'public', 'general', true, size from s_ws;
insert into s_c select gen_random_uuid(), w.workspace_id, w.n, 'public', 'channel-' || j, false,
    3 + floor(power(random(), 2) * (least(w.size, 80) - 3))::int
  from s_ws w, generate_series(1, 2 + w.size / 10) j;
insert into s_c select gen_random_uuid(), w.workspace_id, w.n, 'private', 'private-' || j, false,
    3 + floor(random() * (least(w.size, 20) - 3))::int
  from s_ws w, generate_series(1, 1 + w.size / 25) j;
insert into s_c select gen_random_uuid(), w.workspace_id, w.n, 'dm', null, false, 2
  from s_ws w, generate_series(1, w.size / 2) j;
insert into s_c select gen_random_uuid(), w.workspace_id, w.n, 'group_dm', null, false, 3 + floor(random() * 4)::int
  from s_ws w, generate_series(1, greatest(1, w.size / 10)) j;

create temp table s_cm on commit drop as
  select c.channel_id, m.member_id from s_c c join s_m m on m.ws = c.ws where c.is_general;
insert into s_cm
  select c.channel_id, p.member_id from s_c c
  cross join lateral (select m.member_id from s_m m where m.ws = c.ws order by random() limit c.size) p
  where not c.is_general;

-- One set of people has one DM: drop the draws that repeat a set.
create temp table s_dm on commit drop as
  select c.channel_id, c.workspace_id, string_agg(cm.member_id::text, ',' order by cm.member_id::text) as dm_key
  from s_c c join s_cm cm using (channel_id) where c.kind in ('dm', 'group_dm') group by c.channel_id, c.workspace_id;
delete from s_c c using s_dm d
  where d.channel_id = c.channel_id
    and exists (select 1 from s_dm e where e.workspace_id = d.workspace_id and e.dm_key = d.dm_key and e.channel_id < d.channel_id);
delete from s_cm cm where not exists (select 1 from s_c c where c.channel_id = cm.channel_id);

-- Messages: each conversation's share of the total is heavy-tailed (Pareto),
-- so a few channels are busy and most are quiet.
create temp table s_count on commit drop as
  select channel_id, least(power(1 - random(), -1 / 1.1), 20000) as w from s_c;
create temp table s_auth on commit drop as
  select c.channel_id, c.workspace_id, array_agg(cm.member_id) as ids,
         floor(current_setting('scale.messages')::bigint * n.w / (select sum(w) from s_count))::bigint as msgs
  from s_c c join s_cm cm using (channel_id) join s_count n using (channel_id)
  group by c.channel_id, c.workspace_id, n.w;

insert into channel (channel_id, workspace_id, kind, name, is_general, dm_key, member_count, last_seq, last_message_at, is_default)
  select c.channel_id, c.workspace_id, c.kind, c.name, c.is_general, d.dm_key, cardinality(a.ids), a.msgs,
         case when a.msgs > 0 then now() end, c.is_general
  from s_c c join s_auth a using (channel_id) left join s_dm d using (channel_id);
insert into channel_member (channel_id, member_id, last_read_seq)
  select cm.channel_id, cm.member_id, a.msgs from s_cm cm join s_auth a using (channel_id);

insert into message (channel_id, workspace_id, seq, member_id, body, html, created_at)
  select a.channel_id, a.workspace_id, s, a.ids[1 + (s % cardinality(a.ids))], t.body, '<p>' || t.body || '</p>' || chr(10),
         now() - (a.msgs - s) * interval '47 seconds'
  from s_auth a cross join lateral generate_series(1, a.msgs) s
  cross join lateral (select 'Note ' || s || ' on the '
      || (array['release','launch','budget','design','hiring','roadmap','incident','customer','migration','security'])[1 + s % 10]
      || ' ' || (array['review','update','question','decision','draft','summary','estimate','feedback','risk','timeline'])[1 + (s / 10) % 10]
      || ', ref zq' || lpad((abs(hashtext(a.channel_id::text || s)) % 100000)::text, 5, '0') as body) t
  where a.msgs > 0;
