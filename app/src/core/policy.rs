//! Who may do what to a channel and its messages: the one place role rules
//! live. The server's actions call these inside their transaction, and the
//! browser calls the same functions to decide which controls to show, so the
//! two cannot disagree.
//!
//! Every rule takes a [`Subject`] (the caller's role and whether they created
//! the channel) and a [`Target`] (the channel's facts); none reads anything.

use uuid::Uuid;

use crate::auth::Role;
use crate::core::rules::{Rules, Who};

/// Whether `who` includes someone of this role.
fn allows(who: Who, role: Role) -> bool {
    match who {
        Who::Members => role != Role::Guest,
        Who::Admins => role.is_admin(),
    }
}

/// The caller, as the rules see them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Subject {
    pub member: Uuid,
    pub role: Role,
}

/// The channel, as the rules see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Target {
    pub is_dm: bool,
    pub is_general: bool,
    pub is_member: bool,
    pub is_archived: bool,
    pub created_by: Option<Uuid>,
}

impl Subject {
    fn created(&self, t: &Target) -> bool {
        t.created_by == Some(self.member)
    }
}

/// Creating channels: everyone but guests, or only admins if the
/// workspace says so.
pub fn can_create_channel(s: &Subject, rules: &Rules) -> bool {
    allows(rules.create_channels, s.role)
}

/// Posting, reacting, editing one's own messages, setting the topic: members
/// of an open conversation.
pub fn can_post(_s: &Subject, t: &Target) -> bool {
    t.is_member && !t.is_archived
}

/// Adding people: members (not guests) of an open channel.
pub fn can_invite(s: &Subject, t: &Target) -> bool {
    !t.is_dm && can_post(s, t) && s.role != Role::Guest
}

/// Removing someone else: admins or the channel's creator, never from
/// #general, only while the channel is open.
pub fn can_kick(s: &Subject, t: &Target) -> bool {
    !t.is_dm && !t.is_general && can_post(s, t) && (s.role.is_admin() || s.created(t))
}

/// Renaming: admins, or the creator (only admins rename #general).
pub fn can_rename(s: &Subject, t: &Target) -> bool {
    !t.is_dm && can_post(s, t) && (s.role.is_admin() || (!t.is_general && s.created(t)))
}

/// Archiving and unarchiving: any member but a guest (or only admins, if
/// the workspace says so); never #general.
pub fn can_archive(s: &Subject, t: &Target, rules: &Rules) -> bool {
    !t.is_dm && !t.is_general && t.is_member && allows(rules.archive_channels, s.role)
}

/// `@channel`, `@here` or `@everyone` in a conversation of `members`
/// people: anyone, unless the workspace keeps it to admins above a size.
pub fn can_broadcast(s: &Subject, members: i32, rules: &Rules) -> bool {
    s.role.is_admin() || rules.broadcast_admins_over.is_none_or(|n| members <= n)
}

/// Leaving: members of a channel other than #general (DMs are not left).
pub fn can_leave(_s: &Subject, t: &Target) -> bool {
    !t.is_dm && !t.is_general && t.is_member
}

/// Deleting a message: its author, or an admin, while the channel is open.
pub fn can_delete_message(s: &Subject, t: &Target, author: Uuid) -> bool {
    !t.is_archived && (author == s.member || s.role.is_admin())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn who(role: Role) -> Subject {
        Subject { member: Uuid::from_u128(1), role }
    }

    fn channel() -> Target {
        Target { is_dm: false, is_general: false, is_member: true, is_archived: false, created_by: None }
    }

    #[test]
    fn kicking_needs_admin_or_creator_and_never_touches_general_or_dms() {
        let mine = Target { created_by: Some(Uuid::from_u128(1)), ..channel() };
        assert!(can_kick(&who(Role::Admin), &channel()));
        assert!(can_kick(&who(Role::Member), &mine));
        assert!(!can_kick(&who(Role::Member), &channel()));
        assert!(!can_kick(&who(Role::Owner), &Target { is_general: true, ..channel() }));
        assert!(!can_kick(&who(Role::Owner), &Target { is_dm: true, ..channel() }));
        assert!(!can_kick(&who(Role::Owner), &Target { is_archived: true, ..channel() }));
    }

    #[test]
    fn only_admins_rename_general_and_guests_neither_create_nor_archive() {
        let general = Target { is_general: true, created_by: Some(Uuid::from_u128(1)), ..channel() };
        assert!(can_rename(&who(Role::Admin), &general));
        assert!(!can_rename(&who(Role::Member), &general));
        let open = Rules::default();
        assert!(!can_create_channel(&who(Role::Guest), &open));
        assert!(can_create_channel(&who(Role::Member), &open));
        assert!(!can_archive(&who(Role::Guest), &channel(), &open));
        assert!(can_archive(&who(Role::Member), &channel(), &open));
        assert!(!can_archive(&who(Role::Owner), &general, &open));
    }

    #[test]
    fn admins_can_keep_creating_archiving_and_broadcasting_to_themselves() {
        let strict = Rules {
            create_channels: Who::Admins,
            archive_channels: Who::Admins,
            broadcast_admins_over: Some(10),
        };
        assert!(!can_create_channel(&who(Role::Member), &strict));
        assert!(can_create_channel(&who(Role::Admin), &strict));
        assert!(!can_archive(&who(Role::Member), &channel(), &strict));
        assert!(can_archive(&who(Role::Owner), &channel(), &strict));
        assert!(can_broadcast(&who(Role::Member), 10, &strict));
        assert!(!can_broadcast(&who(Role::Member), 11, &strict));
        assert!(can_broadcast(&who(Role::Admin), 5000, &strict));
        assert!(can_broadcast(&who(Role::Guest), 5000, &Rules::default()));
        assert_eq!(Who::parse("members"), Who::Members);
        assert_eq!(Who::parse("anything else"), Who::Admins);
    }

    #[test]
    fn posting_needs_membership_of_an_open_conversation() {
        assert!(can_post(&who(Role::Guest), &channel()));
        assert!(!can_post(&who(Role::Owner), &Target { is_member: false, ..channel() }));
        assert!(!can_post(&who(Role::Owner), &Target { is_archived: true, ..channel() }));
        let other = Uuid::from_u128(2);
        assert!(can_delete_message(&who(Role::Admin), &channel(), other));
        assert!(!can_delete_message(&who(Role::Member), &channel(), other));
    }
}
