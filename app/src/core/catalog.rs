//! Every Web API method, sorted by what it does to the write path. A test
//! (`server/tests/write_path.rs`) checks that each registered method is in
//! exactly one list, and exercises the emitting ones: a new method cannot
//! land without a decision about its events.

/// Writes that emit events on commit (when they change something).
pub const EMITTING: &[&str] = &[
    "chat.postMessage",
    "chat.update",
    "chat.delete",
    "reactions.add",
    "reactions.remove",
    "files.upload",
    "files.delete",
    "conversations.create",
    "conversations.join",
    "conversations.leave",
    "conversations.invite",
    "conversations.kick",
    "conversations.rename",
    "conversations.setTopic",
    "conversations.setPurpose",
    "conversations.archive",
    "conversations.unarchive",
    "conversations.open",
    "conversations.mark",
    "invites.accept",
    "auth.signup",
    // Presence is node state, announced by the presence service.
    "users.setPresence",
    // `auth_revoked` to the member's own sockets: the ones opened with the
    // revoked session or token close with 4001.
    "auth.logout",
    "auth.sessions.revoke",
    "auth.password.change",
    "auth.password.reset",
    "tokens.revoke",
    "admin.users.revokeSession",
    "admin.users.revokeToken",
    // `member_updated` to the workspace (and `auth_revoked` on deactivation).
    "admin.users.setRole",
    "admin.users.deactivate",
    "admin.users.reactivate",
    "admin.ownership.transfer",
    // `workspace_updated` (name and rules) to the workspace.
    "admin.settings.set",
    // `channel_archived` / `channel_updated`, as the members' own changes.
    "admin.conversations.archive",
    "admin.conversations.unarchive",
    "admin.conversations.rename",
    "admin.conversations.convert",
    // `history_trimmed` to each channel it deletes from (from the job it starts).
    "admin.retention.run",
    // `workspace_updated` with the new icon version.
    "admin.settings.setIcon",
    "admin.settings.deleteIcon",
    // `profile_updated` to the workspace.
    "users.profile.set",
    "users.setPhoto",
    "users.deletePhoto",
    "users.status.set",
    // `notify_prefs_changed` to the member's own sockets.
    "users.prefs.set",
    "dnd.set",
    "dnd.end",
    "conversations.setNotificationPref",
    "conversations.mute",
    "conversations.unmute",
    // `channel_created` and `member_joined` per imported conversation once
    // it is complete (from the job it starts); never one per message.
    "admin.import.start",
    // `thread_follow` to the member's own sockets.
    "threads.follow",
    "threads.unfollow",
];

/// Writes that change nothing any other client shows, with the reason.
pub const SILENT: &[(&str, &str)] = &[
    ("auth.login", "a new session; no other client's state changes"),
    ("workspaces.switch", "changes which workspace the caller's session is in"),
    ("tokens.create", "a personal token, shown only on its owner's settings page"),
    ("invites.create", "admin-only list, read on demand"),
    ("invites.revoke", "admin-only list, read on demand"),
    ("rtm.connect", "a single-use socket ticket"),
    ("auth.password.resetRequest", "queues a mail; nothing any client shows changes"),
    ("admin.conversations.setDefault", "admin-only setting, read on demand"),
    ("admin.export.start", "builds a zip for admins; nothing any client shows changes"),
    ("admin.import.upload", "stores a zip for admins; nothing any client shows changes"),
    ("admin.import.dryRun", "reads the zip and stores its report; nothing any client shows changes"),
    ("admin.import.cancel", "stops the job; what it imported was announced as it went"),
    ("admin.retention.set", "admin-only setting, read by the retention job"),
    ("push.subscribe", "the caller's own device row, read only by the pusher"),
    ("push.unsubscribe", "the caller's own device row, read only by the pusher"),
    ("threads.mark", "a thread's read marker, read by the Threads view when it loads"),
];

/// Methods that only read.
pub const READS: &[&str] = &[
    "users.prefs.get",
    "threads.list",
    "dnd.info",
    "admin.audit.list",
    "admin.conversations.list",
    "admin.export.status",
    "admin.import.report",
    "admin.import.status",
    "admin.overview",
    "admin.retention.get",
    "admin.settings.get",
    "admin.users.list",
    "admin.users.sessions",
    "auth.sessions.list",
    "auth.test",
    "conversations.history",
    "conversations.info",
    "conversations.list",
    "conversations.members",
    "conversations.replies",
    "files.info",
    "files.list",
    "invites.info",
    "invites.list",
    "search.messages",
    "tokens.list",
    "users.conversations",
    "users.getPresence",
    "users.info",
    "users.list",
    "users.presence",
    "users.profile.get",
    "users.statuses",
    "workspaces.list",
];
