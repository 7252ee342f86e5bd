-- Profiles and custom statuses. A status past its expiry is treated as
-- cleared by every reader (no job has to clear it).
alter table member
  add column full_name text not null default '',
  add column time_zone text not null default '',
  add column status_emoji text not null default '',
  add column status_text text not null default '',
  add column status_expires_at timestamptz,
  add constraint member_full_name_length check (char_length(full_name) <= 80),
  add constraint member_title_length check (char_length(title) <= 100),
  add constraint member_time_zone_length check (char_length(time_zone) <= 64),
  add constraint member_status_text_length check (char_length(status_text) <= 100),
  add constraint member_status_emoji_length check (char_length(status_emoji) <= 16);
