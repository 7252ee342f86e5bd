-- Files: stored content (blobs, deduplicated by sha256 within a workspace) and
-- the files people shared (one row per upload, each shared into one message).

create table blob (
    blob_id      uuid primary key,
    workspace_id uuid not null references workspace (workspace_id) on delete cascade,
    -- The sha256 of the bytes as uploaded: the deduplication key.
    sha256       bytea not null,
    -- Sniffed from the bytes, never taken from the client.
    mimetype     text not null,
    -- The size of the stored object (image metadata is stripped before storing).
    size         bigint not null,
    -- Object key in the configured store.
    storage_key  text not null,
    width        integer,
    height       integer,
    -- 'none' (not an image), 'pending', 'ready' or 'failed'.
    thumb_state  text not null default 'none',
    thumb_key    text,
    thumb_width  integer,
    thumb_height integer,
    created_at   timestamptz not null default now(),
    constraint blob_workspace_sha256_key unique (workspace_id, sha256),
    constraint blob_sha256_length check (octet_length(sha256) = 32),
    constraint blob_size_range check (size between 1 and 26214400),
    constraint blob_thumb_state_valid check (thumb_state in ('none', 'pending', 'ready', 'failed'))
);

create table file (
    file_id      uuid primary key,
    workspace_id uuid not null references workspace (workspace_id) on delete cascade,
    blob_id      uuid not null references blob (blob_id),
    member_id    uuid not null references member (member_id) on delete cascade,
    -- Where it was shared. Access to the file is access to this channel.
    channel_id   uuid not null,
    seq          bigint not null,
    -- Order within the message.
    position     smallint not null default 0,
    name         text not null,
    created_at   timestamptz not null default now(),
    constraint file_message_fkey foreign key (channel_id, seq) references message (channel_id, seq) on delete cascade,
    constraint file_name_length check (char_length(name) between 1 and 255)
);
create index file_message_idx on file (channel_id, seq, position);
-- The channel's Files view, newest first.
create index file_channel_idx on file (channel_id, created_at desc, file_id);
create index file_blob_idx on file (blob_id);

-- A message may carry only files, no text.
alter table message add column file_count smallint not null default 0;
create table storage_trash (
    -- An object to delete from the store: its rows are gone (committed in the
    -- same transaction), so a sweeper removes it, retrying until it succeeds.
    storage_key text primary key,
    queued_at   timestamptz not null default now()
);
