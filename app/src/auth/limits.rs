//! The size limits of account fields: a leaf module, so that the error
//! texts (`error`) and the validation (`auth`) can both name them without
//! importing each other.

/// Shortest password accepted.
pub const MIN_PASSWORD_LEN: usize = 10;
/// Longest password accepted (hashing cost grows with length).
pub const MAX_PASSWORD_LEN: usize = 256;
/// Longest email accepted (RFC 5321 path limit).
pub const MAX_EMAIL_LEN: usize = 254;
/// Longest display or workspace name.
pub const MAX_NAME_LEN: usize = 80;
