//! Every node type of the schema: a wrapper around one row of one table, with the opaque
//! global id `node(id:)` fetches it by. The wrappers are declared here, together, and each
//! area's file implements its own types' fields, so that the areas can name each other's types
//! (a unit's staff are people, a person's home is a unit) without importing each other.

use crate::graphql::ids::node_type;

// Structure

node_type!(
    /// A unit of the district's organisation: the district, a sub-district, a community or a grid.
    AdminUnit => admin_unit
);

node_type!(
    /// A post held by a person at a unit, over a period.
    StaffAssignment => staff_assignment
);

node_type!(
    /// One of a community's seven service centres.
    ServiceCentre => service_centre
);

node_type!(
    /// A district department that sends work down to grids.
    Department => department
);

// People

node_type!(
    /// A resident, volunteer, Party member or staff member.
    Person => person
);

node_type!(
    /// A partner organisation, an in-office Party unit, a department or a community committee.
    Organization => organization
);

node_type!(
    /// A Party member and the Party organisation of their own unit.
    PartyMember => party_member
);

// Dual reporting

node_type!(
    /// An organisation's registration with a community.
    OrgRegistration => org_registration
);

node_type!(
    /// A Party member's registration with their residential community.
    MemberRegistration => member_registration
);

node_type!(
    /// A service post a community publishes for registered members.
    ServicePost => service_post
);

node_type!(
    /// A member's claim of a service post.
    PostClaim => post_claim
);

node_type!(
    /// A community's quarterly report to a member's unit.
    FeedbackReport => feedback_report
);

node_type!(
    /// A Party member's half-yearly report to their own branch.
    MemberReport => member_report
);

// Volunteering

node_type!(
    /// A volunteer service team.
    VolunteerTeam => volunteer_team
);

node_type!(
    /// A person's membership of a volunteer team.
    TeamMembership => team_member
);

node_type!(
    /// A volunteer activity.
    VolunteerActivity => volunteer_activity
);

node_type!(
    /// A volunteer's sign-up for an activity.
    ActivitySignup => activity_signup
);

node_type!(
    /// Service time credited to a volunteer.
    ServiceRecord => service_record
);

// Wishes

node_type!(
    /// A resident's micro-wish.
    MicroWish => micro_wish
);

node_type!(
    /// A claim of a micro-wish.
    WishClaim => wish_claim
);
