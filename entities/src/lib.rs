//! SeaORM entities of Gongzhi: one module per table. They hold data only; the rules live in the
//! API crate's domain services.

pub mod account;
pub mod activity_signup;
pub mod admin_unit;
pub mod api_client;
pub mod audit_log;
pub mod certificate_record;
pub mod checkin_code;
pub mod department;
pub mod feedback_report;
pub mod household;
pub mod idempotency_key;
pub mod member_registration;
pub mod member_report;
pub mod micro_wish;
pub mod org_registration;
pub mod organization;
pub mod party_member;
pub mod person;
pub mod points_entry;
pub mod post_claim;
pub mod refresh_token;
pub mod role_grant;
pub mod service_centre;
pub mod service_certificate;
pub mod service_post;
pub mod service_record;
pub mod staff_assignment;
pub mod team_member;
pub mod volunteer_activity;
pub mod volunteer_team;
pub mod wish_claim;
