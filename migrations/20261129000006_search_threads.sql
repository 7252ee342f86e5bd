-- is:thread walks only thread messages (roots with replies, and replies),
-- newest first per channel, instead of every message in scope.
create index message_in_thread_idx on message (channel_id, created_at desc, seq desc)
  where thread_seq is not null or reply_count > 0;
