-- Seeds a bench database for `loadgen ws` (used by scripts/bench-ws): in the
-- one workspace, :members members with an API token each, in public channels
-- of :per_channel members; writes the raw tokens (one a line) to :tokens and
-- `token channel_id` per member to :plan.
--
-- Straight SQL rather than the API because hundreds of sign-ups and
-- tokens.create calls would take minutes and trip the login limits.
-- Tokens are stored as the server stores them: sha256 of the raw token, and
-- its first 12 characters as the prefix.
--
-- psql "$(pg_url DB)" -v members=600 -v per_channel=20 \
--      -v tokens=/tmp/tokens.txt -v plan=/tmp/plan.txt -f scripts/bench-ws-seed.sql
-- Needs the workspace's owner first (bench_token, or any sign-up).

\set ON_ERROR_STOP on
\set QUIET on

create temp table seed as
  select i as n, gen_random_uuid() as account_id, gen_random_uuid() as member_id,
         'tsp_bench_' || i || '_' || replace(gen_random_uuid()::text, '-', '') as raw,
         (i - 1) / :per_channel as channel_no
  from generate_series(1, :members) i;
create temp table seed_channel as
  select no, gen_random_uuid() as channel_id
  from generate_series(0, (:members - 1) / :per_channel) no;

insert into account (account_id, email, password_hash)
  select account_id, 'ws' || n || '@example.com', (select password_hash from account limit 1) from seed;
insert into member (member_id, workspace_id, account_id, role, display_name)
  select member_id, (select workspace_id from workspace limit 1), account_id, 'member', 'WS Member ' || n
  from seed;
insert into api_token (api_token_id, member_id, label, prefix, token_hash)
  select gen_random_uuid(), member_id, 'bench-ws', left(raw, 12), sha256(convert_to(raw, 'UTF8'))
  from seed;
insert into channel (channel_id, workspace_id, kind, name)
  select channel_id, (select workspace_id from workspace limit 1), 'public', 'ws-bench-' || no
  from seed_channel;
insert into channel_member (channel_id, member_id)
  select c.channel_id, s.member_id from seed s join seed_channel c on c.no = s.channel_no;
analyze;

\pset tuples_only on
\pset format unaligned
select raw from seed order by n \g :tokens
select s.raw || ' ' || c.channel_id from seed s join seed_channel c on c.no = s.channel_no order by s.n \g :plan
