//! Volunteering: activities from draft to confirmed records, sign-ups whose capacity holds under
//! concurrency, attendance, and the service records it produces. Every change runs in one write
//! transaction with its audit record; a change the state or the caller's role does not allow is
//! refused with a stable code and changes nothing.

mod activities;
mod attendance;
mod certificates;
mod points;
mod records;
mod rules;
mod signups;
mod teams;

pub use activities::{ActivityStep, NewActivity, create_activity, move_activity};
pub use attendance::{attend_with_code, issue_attendance_code, record_attendance};
pub use certificates::{
    Certificate, CertificateOutcome, CertifiedService, issue_certificate, verify_certificate,
};
pub use points::{PointsOutcome, points_ledger, redeem_points};
pub use records::{HoursTotals, confirm_record, confirmed_hours, correct_record};
pub use rules::{
    ActivityOutcome, RecordOutcome, SignupOutcome, VolunteeringRefusal, VolunteeringRules,
};
pub use signups::{approve_signup, cancel_signup, sign_up};
pub use teams::{
    MembershipOutcome, NewTeam, TeamOutcome, TeamRefusal, TeamUpdate, create_team, dissolve_team,
    join_team, leave_team, remove_member, set_member_role, update_team,
};
