-- Profile photos and workspace icons: square pictures in the file store,
-- in two sizes (`<key>-512`, `<key>-128`). The version moves on every
-- change, so pages that heard of it load the new picture at once.
alter table member
  add column avatar_key text,
  add column avatar_mime text,
  add column avatar_version integer not null default 0;
alter table workspace
  add column icon_key text,
  add column icon_mime text,
  add column icon_version integer not null default 0;
