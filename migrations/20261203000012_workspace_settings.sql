-- Workspace settings an admin chooses on /admin/settings: who may create
-- and archive channels, who may use @channel/@here in large channels, and
-- the upload limits. The rules live on the workspace row, which every
-- check reads by primary key.
alter table workspace
  add column who_creates_channels text not null default 'members'
    constraint workspace_who_creates check (who_creates_channels in ('members', 'admins')),
  add column who_archives_channels text not null default 'members'
    constraint workspace_who_archives check (who_archives_channels in ('members', 'admins')),
  -- In channels with more members than this, only admins may use
  -- @channel/@here/@everyone; null lets everyone.
  add column broadcast_admins_over integer
    constraint workspace_broadcast_over check (broadcast_admins_over between 0 and 100000),
  add column max_upload_bytes bigint not null default 26214400
    constraint workspace_max_upload check (max_upload_bytes between 1048576 and 26214400),
  -- Lowercase file name extensions, without the dot.
  add column blocked_file_types text[] not null default '{}'
    constraint workspace_blocked_types check (cardinality(blocked_file_types) <= 50);
