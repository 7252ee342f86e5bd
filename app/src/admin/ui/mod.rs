//! The admin pages: overview, members (and one member), channels, settings, audit log. Each
//! sits inside [`AdminGate`], which shows a plain 404 to anyone but owners
//! and admins (the server refuses them too, with `unknown_method`).

mod audit;
mod channels;
pub mod frame;
mod member;
mod members;
mod overview;
mod settings;

pub use audit::AuditLogPage;
pub use channels::ChannelsPage;
pub use member::MemberPage;
pub use members::MembersPage;
pub use overview::OverviewPage;
pub use settings::SettingsPage;
