//! The sub-codes of the code-bearing `AppError` variants, one enum per
//! status, each code with the text shown to people. Enums, not strings: a
//! code that does not exist cannot be written, so it can never surface as a
//! 500, and adding one is a one-line change in one table.

/// Declares a sub-code enum: `Variant => "wire_code", "detail";`.
macro_rules! codes {
    ($(#[$doc:meta])* $name:ident { $($variant:ident => $code:literal, $detail:literal;)* }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $($variant),*
        }

        impl $name {
            /// Every code, for documentation and tests.
            pub const ALL: &'static [$name] = &[$($name::$variant),*];

            /// The stable wire code.
            pub fn code(self) -> &'static str {
                match self {
                    $($name::$variant => $code),*
                }
            }

            /// What to tell the person.
            pub fn detail(self) -> &'static str {
                match self {
                    $($name::$variant => $detail),*
                }
            }

            /// The code's variant, for clients reading an error.
            pub fn parse(code: &str) -> Option<$name> {
                $name::ALL.iter().copied().find(|c| c.code() == code)
            }
        }
    };
}

codes! {
    /// Carried by `AppError::NotFound` (404): the resource does not exist or the caller may not see it.
    Missing {
        User => "user_not_found", "No such person in this workspace.";
        Workspace => "workspace_not_found", "You are not a member of that workspace.";
        Invite => "invite_not_found", "This invite link is not valid. Check the link, or ask for a new one.";
        Token => "token_not_found", "No such token.";
        Channel => "channel_not_found", "No such channel, or you can't see it.";
        Message => "message_not_found", "No such message.";
        Thread => "thread_not_found", "No such thread.";
        NoReaction => "no_reaction", "You haven't reacted with that emoji.";
        File => "file_not_found", "No such file, or you can't see it.";
        Session => "session_not_found", "No such session: it may have ended already.";
        Export => "export_not_found", "No such export.";
        Import => "import_not_found", "No such import.";
    }
}

codes! {
    /// Carried by `AppError::AlreadyExists` (409): it exists already.
    Conflict {
        EmailTaken => "email_taken", "That email already has an account: log in instead.";
        AlreadyMember => "already_member", "You are already a member of this workspace.";
        NameTaken => "name_taken", "A channel with that name already exists.";
        AlreadyReacted => "already_reacted", "You already reacted with that emoji.";
        ExportRunning => "export_running", "An export is already being built: wait for it to finish.";
        ImportRunning => "import_running", "An import or its dry run is already running in this workspace: wait for it, or cancel it.";
        ImportState => "import_state", "This import can't do that now: check its status (the dry run comes first, and a running job must finish or be cancelled).";
        RetentionRunning => "retention_running", "A retention run is already under way: wait for it to finish.";
    }
}

codes! {
    /// Carried by `AppError::Refused` (403): a well-formed request the rules refuse.
    Refusal {
        IsArchived => "is_archived", "This channel is archived, so it is read-only.";
        NotInChannel => "not_in_channel", "Join the channel first.";
        CantLeaveGeneral => "cant_leave_general", "Everyone stays in #general.";
        CantArchiveGeneral => "cant_archive_general", "#general can't be archived.";
        CantKickFromGeneral => "cant_kick_from_general", "Nobody can be removed from #general.";
        CantLeaveDm => "cant_leave_dm", "Direct messages can't be left.";
        CantUpdateMessage => "cant_update_message", "Only the author can edit a message.";
        CantDeleteMessage => "cant_delete_message", "Only the author or an admin can delete a message.";
        RestrictedAction => "restricted_action", "Your role doesn't allow that here.";
        CantDeleteFile => "cant_delete_file", "Only the person who shared a file, or an admin, can delete it.";
        CantDeactivateSelf => "cant_deactivate_self", "You can't deactivate yourself: ask another admin.";
        LastOwner => "last_owner", "A workspace needs an owner: make someone else an owner first.";
        OwnerOnly => "owner_only", "Only an owner of the workspace can do that (change an owner, make a private channel public, export private channels).";
        CantConvertGeneral => "cant_convert_general", "#general stays a public channel that everyone joins.";
        IsDeactivated => "user_is_deactivated", "That person is deactivated: reactivate them first.";
        InviteForAnotherEmail => "invite_email_mismatch", "This invite was sent to another email address: use that one, or ask for a new invite.";
        DomainNotAllowed => "email_domain_not_allowed", "This link only accepts email addresses at the workspace's own domains. Ask an admin to invite you by email.";
        CantBroadcast => "cant_broadcast", "In a channel this large, only admins can use @channel, @here and @everyone.";
        SessionOnly => "session_only", "Only a signed-in browser can do this, not an API token.";
    }
}

codes! {
    /// Carried by `AppError::Invalid` (400): a parameter breaks a domain rule.
    Rule {
        MsgTooLong => "msg_too_long", "Messages can be at most 40,000 characters.";
        NoText => "no_text", "The message is empty.";
        TooManyUsers => "too_many_users", "A group conversation holds at most 9 people.";
        InvalidName => "invalid_name", "Channel names use lowercase letters, digits, - and _, and at most 80 characters.";
        CantKickSelf => "cant_kick_self", "To leave a channel, use leave instead.";
        InvalidEmoji => "invalid_emoji", "That is not an emoji we know.";
        NoFile => "no_file", "Attach at least one file.";
        FileEmpty => "file_empty", "That file is empty.";
        TooManyFiles => "too_many_files", "A message can carry at most 10 files.";
        InvalidMultipart => "invalid_multipart", "The upload is not a valid multipart/form-data body.";
        FileTypeBlocked => "file_type_blocked", "Your workspace doesn't allow files of this type.";
        NotAnImage => "not_an_image", "That is not a PNG, JPEG, GIF or WebP image we can read.";
        NotSlackExport => "not_a_slack_export", "That file is not a Slack export: upload the .zip file Slack made.";
        InvalidResetLink => "invalid_reset_link", "This reset link has expired or was already used. Ask for a new one.";
    }
}
