-- Maintained member counts: the sidebar and channel lists read
-- channel.member_count instead of counting channel_member per channel per
-- request. Statement-level triggers keep it exact for every insert and
-- delete, bulk ones included, and take the channel's row lock, which is the
-- lock writes to the channel hold (see channels::server::lock).
alter table channel add column member_count integer not null default 0;

update channel c set member_count = n.n
  from (select channel_id, count(*)::int n from channel_member group by channel_id) n
 where n.channel_id = c.channel_id;

create function channel_member_added() returns trigger language plpgsql as $$
begin
  update channel c set member_count = c.member_count + a.n
    from (select channel_id, count(*)::int n from added group by channel_id) a
   where c.channel_id = a.channel_id;
  return null;
end $$;

create function channel_member_removed() returns trigger language plpgsql as $$
begin
  update channel c set member_count = c.member_count - r.n
    from (select channel_id, count(*)::int n from removed group by channel_id) r
   where c.channel_id = r.channel_id;
  return null;
end $$;

create trigger channel_member_count_added after insert on channel_member
  referencing new table as added for each statement execute function channel_member_added();
create trigger channel_member_count_removed after delete on channel_member
  referencing old table as removed for each statement execute function channel_member_removed();
