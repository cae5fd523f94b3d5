//! Volunteering mutations, one sub-area a file as in the domain: activities, sign-ups,
//! attendance, service records, certificates, points and teams.

mod activities;
mod attendance;
mod certificates;
mod points;
mod records;
mod signups;
mod teams;

use async_graphql::MergedObject;

/// The volunteering mutations, merged.
#[derive(MergedObject, Default)]
pub struct VolunteeringMutation(
    activities::ActivityMutation,
    signups::SignupMutation,
    attendance::AttendanceMutation,
    records::RecordMutation,
    certificates::CertificateMutation,
    points::PointsMutation,
    teams::VolunteerTeamMutation,
);
