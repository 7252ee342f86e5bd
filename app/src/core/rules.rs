//! The restrictions a workspace's admins choose on `/admin/settings`, as
//! plain data: `auth.test` carries them to the browser, and the rules in
//! [`crate::core::policy`] take them as an argument. A leaf module, so that
//! `auth` can carry them without importing the policy that imports `auth`.

use serde::{Deserialize, Serialize};

/// Who may do something that a workspace's admins can restrict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Who {
    /// Every member but guests.
    #[default]
    Members,
    /// Owners and admins only.
    Admins,
}

impl Who {
    pub fn as_str(self) -> &'static str {
        match self {
            Who::Members => "members",
            Who::Admins => "admins",
        }
    }

    /// Reads the stored form; anything unknown is the stricter choice.
    pub fn parse(s: &str) -> Who {
        if s == "members" {
            Who::Members
        } else {
            Who::Admins
        }
    }
}

/// The restrictions a workspace's admins chose on `/admin/settings`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Rules {
    pub create_channels: Who,
    pub archive_channels: Who,
    /// In channels with more members than this, only admins may use
    /// `@channel`, `@here` and `@everyone`; `None` lets everyone.
    pub broadcast_admins_over: Option<i32>,
}
