//! The API's object types: one wrapper per entity, exposing what partners may rely on. The
//! node types are declared in [`nodes`]; each area's file implements the fields of its own.

mod dual_reporting;
mod nodes;
mod people;
mod structure;
mod traffic;
mod volunteering;
mod wishes;

pub use nodes::{
    ActivitySignup, AdminUnit, Department, FeedbackReport, MemberRegistration, MemberReport,
    MicroWish, OrgRegistration, Organization, PartyMember, Person, PostClaim, ServiceCentre,
    ServicePost, ServiceRecord, StaffAssignment, TeamMembership, VolunteerActivity, VolunteerTeam,
    WishClaim,
};
pub use traffic::{RateLimit, TrustedDocument, points};
pub use volunteering::{PointsAccount, PointsEntry, ServiceCertificate, ServiceHours};
