//! Dual reporting (双报到双报告): in-office Party organisations register with the communities
//! they serve ([`org_registrations`]), their serving members register with the communities they
//! live in ([`registrations`]) and take up the posts those communities publish
//! ([`service_posts`]); the community reports back to each member's unit every quarter
//! ([`feedback_reports`]), and members report on themselves every half-year
//! ([`member_reports`]).

pub mod feedback_reports;
pub mod member_reports;
pub mod org_registrations;
pub mod registrations;
pub mod service_posts;
