//! The stable codes carried by the code-bearing `AppError` variants, and the
//! user-facing text of the domain refusals. Kept apart from the error type so
//! that adding a code is a one-line change in one list.

/// Codes carried by `NotFound` (404).
pub const NOT_FOUND_CODES: &[&str] = &[
    "user_not_found",
    "workspace_not_found",
    "invite_not_found",
    "token_not_found",
    "channel_not_found",
    "message_not_found",
    "thread_not_found",
    "no_reaction",
    "file_not_found",
];
/// Codes carried by `AlreadyExists` (409).
pub const CONFLICT_CODES: &[&str] = &["email_taken", "already_member", "name_taken", "already_reacted"];
/// Codes carried by `Refused` (403).
pub const REFUSED_CODES: &[&str] = &[
    "is_archived",
    "not_in_channel",
    "cant_leave_general",
    "cant_archive_general",
    "cant_kick_from_general",
    "cant_leave_dm",
    "cant_update_message",
    "cant_delete_message",
    "restricted_action",
    "cant_delete_file",
];
/// Codes carried by `Invalid` (400).
pub const INVALID_CODES: &[&str] = &[
    "msg_too_long",
    "no_text",
    "too_many_users",
    "invalid_name",
    "cant_kick_self",
    "invalid_emoji",
    "no_file",
    "file_empty",
    "too_many_files",
    "invalid_multipart",
];

pub(super) fn refused_detail(code: &str) -> &'static str {
    match code {
        "is_archived" => "This channel is archived, so it is read-only.",
        "not_in_channel" => "Join the channel first.",
        "cant_leave_general" => "Everyone stays in #general.",
        "cant_archive_general" => "#general can't be archived.",
        "cant_kick_from_general" => "Nobody can be removed from #general.",
        "cant_leave_dm" => "Direct messages can't be left.",
        "cant_update_message" => "Only the author can edit a message.",
        "cant_delete_message" => "Only the author or an admin can delete a message.",
        "cant_delete_file" => "Only the person who shared a file, or an admin, can delete it.",
        _ => "Your role doesn't allow that here.",
    }
}

pub(super) fn invalid_detail(code: &str) -> &'static str {
    match code {
        "msg_too_long" => "Messages can be at most 40,000 characters.",
        "no_text" => "The message is empty.",
        "too_many_users" => "A group conversation holds at most 9 people.",
        "invalid_name" => "Channel names use lowercase letters, digits, - and _, and at most 80 characters.",
        "cant_kick_self" => "To leave a channel, use leave instead.",
        "invalid_emoji" => "That is not an emoji we know.",
        "no_file" => "Attach at least one file.",
        "file_empty" => "That file is empty.",
        "too_many_files" => "A message can carry at most 10 files.",
        "invalid_multipart" => "The upload is not a valid multipart/form-data body.",
        _ => "Invalid arguments.",
    }
}
