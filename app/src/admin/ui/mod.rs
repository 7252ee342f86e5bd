//! The admin pages: overview, members (and one member), channels, audit log. Each
//! sits inside [`AdminGate`], which shows a plain 404 to anyone but owners
//! and admins (the server refuses them too, with `unknown_method`).

mod audit;
mod channels;
pub mod frame;
mod member;
mod members;
mod overview;

pub use audit::AuditLogPage;
pub use channels::ChannelsPage;
pub use member::MemberPage;
pub use members::MembersPage;
pub use overview::OverviewPage;
