//! Which budget each API method takes from. Reads take none (the router's
//! concurrency limit and the statement timeout bound them), except search;
//! every write takes one, so a new write method is limited by default.

use super::Class;
use crate::core::catalog;

/// Writes announced to the whole workspace (or a whole channel list).
const ANNOUNCE: &[&str] = &[
    "conversations.create",
    "conversations.open",
    "conversations.rename",
    "conversations.setTopic",
    "conversations.setPurpose",
    "conversations.archive",
    "conversations.unarchive",
    "users.profile.set",
    "users.status.set",
    "users.deletePhoto",
    "admin.settings.set",
    "admin.settings.deleteIcon",
    "admin.conversations.archive",
    "admin.conversations.unarchive",
    "admin.conversations.rename",
    "admin.conversations.convert",
    "admin.users.setRole",
    "admin.users.deactivate",
    "admin.users.reactivate",
    "admin.ownership.transfer",
];

const UPLOAD: &[&str] = &["files.upload", "users.setPhoto", "admin.settings.setIcon", "admin.import.upload"];

const SEARCH: &[&str] = &["search.messages"];

/// Methods that check a password or a secret: their action takes from the
/// password budget (by account and IP) before checking.
pub const PASSWORD: &[&str] = &[
    "auth.login",
    "auth.signup",
    "auth.password.change",
    "auth.password.reset",
    "auth.password.resetRequest",
    "invites.accept",
];

/// The budget `method` (e.g. `chat.postMessage`) takes from, if any.
pub fn class_of(method: &str) -> Option<Class> {
    if ANNOUNCE.contains(&method) {
        Some(Class::Announce)
    } else if UPLOAD.contains(&method) {
        Some(Class::Upload)
    } else if SEARCH.contains(&method) {
        Some(Class::Search)
    } else if PASSWORD.contains(&method) {
        None
    } else if catalog::EMITTING.contains(&method) || catalog::SILENT.iter().any(|(m, _)| *m == method) {
        Some(Class::Write)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn is_write(m: &str) -> bool {
        catalog::EMITTING.contains(&m) || catalog::SILENT.iter().any(|(x, _)| *x == m)
    }

    #[test]
    fn every_write_takes_a_budget() {
        for m in catalog::EMITTING.iter().copied().chain(catalog::SILENT.iter().map(|(m, _)| *m)) {
            assert!(class_of(m).is_some() || PASSWORD.contains(&m), "{m} takes no budget");
        }
    }

    #[test]
    fn the_lists_name_real_methods() {
        for m in ANNOUNCE.iter().chain(UPLOAD).chain(PASSWORD) {
            assert!(is_write(m), "{m} is not a write in the catalog");
        }
        for m in SEARCH {
            assert!(catalog::READS.contains(m), "{m} is not a read in the catalog");
        }
        assert_eq!(class_of("conversations.history"), None);
        assert_eq!(class_of("chat.postMessage"), Some(Class::Write));
        assert_eq!(class_of("conversations.setTopic"), Some(Class::Announce));
    }
}
