//! Dual reporting (双报到) over HTTP, by sub-area: members' and organisations' registrations
//! with communities, service posts, quarterly feedback and members' half-yearly reports, and
//! the statistics they add up to.

mod common;
mod feedback_reports;
mod member_reports;
mod org_registrations;
mod registrations;
mod service_posts;
mod statistics;
