//! Dual reporting mutations (双报到双报告), one sub-area a file as in the domain: members'
//! registrations, organisations' registrations, service posts, feedback reports and members'
//! self-reports.

mod feedback_reports;
mod member_reports;
mod org_registrations;
mod registrations;
mod service_posts;

use async_graphql::MergedObject;

/// The dual-reporting mutations, merged.
#[derive(MergedObject, Default)]
pub struct DualReportingMutation(
    registrations::RegistrationMutation,
    org_registrations::OrgRegistrationMutation,
    service_posts::ServicePostMutation,
    feedback_reports::FeedbackReportMutation,
    member_reports::MemberReportMutation,
);
