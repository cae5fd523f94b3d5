//! Row scoping, in one place: for every entity, the condition that selects the rows a principal
//! may see. Every list and every lookup by id goes through it, so a row outside the caller's
//! scope is indistinguishable from a row that does not exist.
//!
//! Anonymous callers see the public catalogue: units, centres, departments, organisations,
//! teams, posts, published activities and open wishes. Staff see their units' subtrees;
//! organisations see their own records; a person sees their own.

use entities::member_report::MemberReportStatus;
use entities::micro_wish::WishStatus;
use entities::org_registration::OrgRegistrationStatus;
use entities::volunteer_activity::ActivityStatus;
use entities::{
    activity_signup, admin_unit, department, feedback_report, household, member_registration,
    member_report, micro_wish, org_registration, organization, party_member, person, post_claim,
    service_centre, service_post, service_record, staff_assignment, team_member,
    volunteer_activity, volunteer_team, wish_claim,
};
use sea_orm::sea_query::{Expr, ExprTrait, IntoCondition, Query, SelectStatement};
use sea_orm::{ColumnTrait, Condition, EntityTrait};

use crate::auth::{Principal, STAFF_ROLES};

/// An entity whose rows are scoped to the caller.
pub trait Scoped: EntityTrait {
    /// The rows of this entity that `principal` may see.
    fn visible_to(principal: &Principal) -> Condition;
}

/// Activities in these states are public.
const PUBLIC_ACTIVITY_STATUSES: [ActivityStatus; 5] = [
    ActivityStatus::Published,
    ActivityStatus::RecruitmentClosed,
    ActivityStatus::InProgress,
    ActivityStatus::Ended,
    ActivityStatus::RecordsConfirmed,
];

macro_rules! public_catalogue {
    ($($entity:path),* $(,)?) => {
        $(impl Scoped for $entity {
            fn visible_to(_: &Principal) -> Condition {
                Condition::all()
            }
        })*
    };
}

public_catalogue!(
    admin_unit::Entity,
    service_centre::Entity,
    department::Entity,
    organization::Entity,
    volunteer_team::Entity,
    service_post::Entity,
    staff_assignment::Entity,
);

impl Scoped for volunteer_activity::Entity {
    fn visible_to(p: &Principal) -> Condition {
        use volunteer_activity::Column as C;
        Condition::any()
            .also(C::Status.is_in(PUBLIC_ACTIVITY_STATUSES))
            .also(in_staff_units(C::CommunityId, p))
            .also(in_organizations(C::OrganizationId, p))
    }
}

impl Scoped for micro_wish::Entity {
    fn visible_to(p: &Principal) -> Condition {
        use micro_wish::Column as C;
        let claimed_by_caller = Query::select()
            .column(wish_claim::Column::WishId)
            .from(wish_claim::Entity)
            .cond_where(
                Condition::any()
                    .also(in_organizations(
                        wish_claim::Column::ClaimantOrganizationId,
                        p,
                    ))
                    .also(is_caller(wish_claim::Column::ClaimantPersonId, p)),
            )
            .to_owned();
        Condition::any()
            .also(C::Status.eq(WishStatus::Open))
            .also(in_staff_units(C::GridId, p))
            .also(is_caller(C::BeneficiaryPersonId, p))
            .also(is_caller(C::PosterPersonId, p))
            .also(unless_anonymous(p, || C::Id.in_subquery(claimed_by_caller)))
    }
}

impl Scoped for wish_claim::Entity {
    fn visible_to(p: &Principal) -> Condition {
        use wish_claim::Column as C;
        // Residents see who is fulfilling their wishes.
        let callers_wishes = unless_no_person(p, || {
            C::WishId.in_subquery(
                Query::select()
                    .column(micro_wish::Column::Id)
                    .from(micro_wish::Entity)
                    .cond_where(
                        Condition::any()
                            .also(is_caller(micro_wish::Column::BeneficiaryPersonId, p))
                            .also(is_caller(micro_wish::Column::PosterPersonId, p)),
                    )
                    .to_owned(),
            )
        });
        Condition::any()
            .also(callers_wishes)
            .also(scoped_parent(
                C::WishId,
                micro_wish::Column::Id,
                micro_wish::Column::GridId,
                p,
            ))
            .also(in_organizations(C::ClaimantOrganizationId, p))
            .also(is_caller(C::ClaimantPersonId, p))
    }
}

impl Scoped for household::Entity {
    fn visible_to(p: &Principal) -> Condition {
        in_staff_units(household::Column::GridId, p)
    }
}

impl Scoped for person::Entity {
    fn visible_to(p: &Principal) -> Condition {
        use person::Column as C;
        self_or_their_staff(p).also(unless_no_organization(p, || {
            C::Id.in_subquery(
                Query::select()
                    .column(party_member::Column::PersonId)
                    .from(party_member::Entity)
                    .cond_where(in_organizations(party_member::Column::OrganizationId, p))
                    .to_owned(),
            )
        }))
    }
}

/// The people whose own records (a points ledger) the caller may read: the caller themself,
/// and the residents of the units where the caller is staff. Not the Party members of the
/// caller's organisations, who are people the caller may see (`person::visible_to`), but whose
/// own records are not their unit's.
pub fn self_or_their_staff(p: &Principal) -> Condition {
    use person::Column as C;
    Condition::any()
        .also(is_caller(C::Id, p))
        .also(scoped_parent(
            C::HouseholdId,
            household::Column::Id,
            household::Column::GridId,
            p,
        ))
}

impl Scoped for party_member::Entity {
    fn visible_to(p: &Principal) -> Condition {
        use party_member::Column as C;
        Condition::any()
            .also(is_caller(C::PersonId, p))
            .also(in_organizations(C::OrganizationId, p))
            .also(scoped_parent(
                C::Id,
                member_registration::Column::PartyMemberId,
                member_registration::Column::CommunityId,
                p,
            ))
            .also(scoped_parent(
                C::Id,
                member_registration::Column::PartyMemberId,
                member_registration::Column::GridId,
                p,
            ))
    }
}

impl Scoped for member_registration::Entity {
    fn visible_to(p: &Principal) -> Condition {
        use member_registration::Column as C;
        // A grid's staff see the registrations assigned to their grid.
        Condition::any()
            .also(in_staff_units(C::CommunityId, p))
            .also(in_staff_units(C::GridId, p))
            .also(in_organizations(C::OrganizationId, p))
            .also(unless_anonymous(p, || {
                C::PartyMemberId.in_subquery(members_who_are_caller(p))
            }))
    }
}

impl Scoped for org_registration::Entity {
    fn visible_to(p: &Principal) -> Condition {
        use org_registration::Column as C;
        Condition::any()
            .also(C::Status.eq(OrgRegistrationStatus::Accepted))
            .also(in_staff_units(C::CommunityId, p))
            .also(in_organizations(C::OrganizationId, p))
    }
}

impl Scoped for post_claim::Entity {
    fn visible_to(p: &Principal) -> Condition {
        use post_claim::Column as C;
        Condition::any()
            .also(scoped_parent(
                C::PostId,
                service_post::Column::Id,
                service_post::Column::CommunityId,
                p,
            ))
            .also(unless_anonymous(p, || {
                C::PartyMemberId.in_subquery(members_who_are_caller(p))
            }))
    }
}

impl Scoped for feedback_report::Entity {
    fn visible_to(p: &Principal) -> Condition {
        use feedback_report::Column as C;
        use feedback_report::ReportStatus;
        // The unit reads a report once the community has sent it, not while it is drafted.
        Condition::any()
            .also(in_staff_units(C::CommunityId, p))
            .also(unless_no_organization(p, || {
                Condition::all()
                    .add(in_organizations(C::OrganizationId, p))
                    .add(C::Status.is_in([ReportStatus::Sent, ReportStatus::Acknowledged]))
            }))
    }
}

impl Scoped for member_report::Entity {
    fn visible_to(p: &Principal) -> Condition {
        use member_report::Column as C;
        // Drafts are the member's own; their branch reads a report once it is submitted.
        Condition::any()
            .also(unless_no_person(p, || {
                C::PartyMemberId.in_subquery(members_who_are_caller(p))
            }))
            .also(unless_no_organization(p, || {
                Condition::all()
                    .add(C::OrganizationId.is_in(p.organizations().collect::<Vec<_>>()))
                    .add(C::Status.eq(MemberReportStatus::Submitted))
            }))
    }
}

impl Scoped for activity_signup::Entity {
    fn visible_to(p: &Principal) -> Condition {
        use activity_signup::Column as C;
        let own_activities = Query::select()
            .column(volunteer_activity::Column::Id)
            .from(volunteer_activity::Entity)
            .cond_where(
                Condition::any()
                    .also(in_staff_units(volunteer_activity::Column::CommunityId, p))
                    .also(in_organizations(
                        volunteer_activity::Column::OrganizationId,
                        p,
                    )),
            )
            .to_owned();
        Condition::any()
            .also(is_caller(C::PersonId, p))
            .also(unless_anonymous(p, || {
                C::ActivityId.in_subquery(own_activities)
            }))
    }
}

impl Scoped for service_record::Entity {
    fn visible_to(p: &Principal) -> Condition {
        use service_record::Column as C;
        Condition::any()
            .also(is_caller(C::PersonId, p))
            .also(in_staff_units(C::CommunityId, p))
            .also(in_organizations(C::OrganizationId, p))
            .also(in_organizations(C::MemberUnitId, p))
    }
}

impl Scoped for team_member::Entity {
    fn visible_to(p: &Principal) -> Condition {
        use team_member::Column as C;
        // The rosters of the teams the caller manages: as staff of their community, for their
        // organisation, or as their leader, who sets roles and removes members.
        let own_teams = Query::select()
            .column(volunteer_team::Column::Id)
            .from(volunteer_team::Entity)
            .cond_where(
                Condition::any()
                    .also(in_staff_units(volunteer_team::Column::CommunityId, p))
                    .also(in_organizations(volunteer_team::Column::OrganizationId, p))
                    .also(is_caller(volunteer_team::Column::LeaderPersonId, p)),
            )
            .to_owned();
        Condition::any()
            .also(is_caller(C::PersonId, p))
            .also(unless_anonymous(p, || C::TeamId.in_subquery(own_teams)))
    }
}

/// Adds alternatives to an `any` condition, leaving out the empty ones (an empty alternative
/// would be rendered as `OR FALSE`).
trait Also {
    fn also(self, alternative: impl IntoCondition) -> Self;
}

impl Also for Condition {
    fn also(self, alternative: impl IntoCondition) -> Self {
        let alternative = alternative.into_condition();
        if alternative.is_empty() {
            self
        } else {
            self.add(alternative)
        }
    }
}

/// Whether the caller may read this person's name, phone and ID number unmasked: the person
/// themself, and the staff of the community or grid where they live.
pub fn may_see_personal_data(
    p: &Principal,
    person_id: i64,
    home: Option<&household::Model>,
) -> bool {
    use entities::role_grant::Role;
    p.person_id == Some(person_id)
        || home.is_some_and(|home| {
            p.units_with(&[Role::CommunityStaff, Role::GridStaff])
                .any(|unit| unit.id == home.community_id || unit.id == home.grid_id)
        })
}

/// `column` names a unit inside the subtree of one of the caller's staff grants.
fn in_staff_units(column: impl ColumnTrait, p: &Principal) -> Condition {
    p.units_with(STAFF_ROLES)
        .fold(Condition::any(), |any, unit| {
            any.add(column.in_subquery(units_below(&unit.path)))
        })
}

/// The ids of the unit at `path` and of every unit below it: an indexed range over the
/// materialised path (`'/1/4/' <= path < '/1/40'`, as '0' follows '/').
fn units_below(path: &str) -> SelectStatement {
    let mut upper = path.trim_end_matches('/').to_owned();
    upper.push('0');
    Query::select()
        .column(admin_unit::Column::Id)
        .from(admin_unit::Entity)
        .and_where(admin_unit::Column::Path.gte(path))
        .and_where(admin_unit::Column::Path.lt(upper))
        .to_owned()
}

/// The ids of the unit `unit_id` and of every unit below it, for filters such as "wishes within
/// this sub-district". The unit's path is looked up inside the same statement.
pub fn units_within(unit_id: i64) -> SelectStatement {
    let path_of_unit = Query::select()
        .column(admin_unit::Column::Path)
        .from(admin_unit::Entity)
        .and_where(admin_unit::Column::Id.eq(unit_id))
        .to_owned();
    let upper = Query::select()
        .expr(Expr::cust("substr(path, 1, length(path) - 1) || '0'"))
        .from(admin_unit::Entity)
        .and_where(admin_unit::Column::Id.eq(unit_id))
        .to_owned();
    Query::select()
        .column(admin_unit::Column::Id)
        .from(admin_unit::Entity)
        .and_where(
            Expr::col(admin_unit::Column::Path)
                .gte(Expr::SubQuery(None, Box::new(path_of_unit.into()))),
        )
        .and_where(
            Expr::col(admin_unit::Column::Path).lt(Expr::SubQuery(None, Box::new(upper.into()))),
        )
        .to_owned()
}

/// `column` references a parent row (`parent_id` of the parent's table) whose community is in
/// the caller's staff units.
fn scoped_parent(
    column: impl ColumnTrait,
    parent_id: impl ColumnTrait,
    parent_community: impl ColumnTrait,
    p: &Principal,
) -> Condition {
    let staff = in_staff_units(parent_community, p);
    if staff.is_empty() {
        return Condition::any();
    }
    let parent_table = parent_id.entity_name();
    Condition::any().add(
        column.in_subquery(
            Query::select()
                .column(parent_id)
                .from(parent_table)
                .cond_where(staff)
                .to_owned(),
        ),
    )
}

fn in_organizations(column: impl ColumnTrait, p: &Principal) -> Condition {
    let organizations: Vec<i64> = p.organizations().collect();
    if organizations.is_empty() {
        return Condition::any();
    }
    Condition::any().add(column.is_in(organizations))
}

fn is_caller(column: impl ColumnTrait, p: &Principal) -> Condition {
    match p.person_id {
        Some(id) => Condition::any().add(column.eq(id)),
        None => Condition::any(),
    }
}

fn members_who_are_caller(p: &Principal) -> SelectStatement {
    Query::select()
        .column(party_member::Column::Id)
        .from(party_member::Entity)
        .and_where(party_member::Column::PersonId.eq(p.person_id))
        .to_owned()
}

fn unless_anonymous<C: IntoCondition>(p: &Principal, condition: impl FnOnce() -> C) -> Condition {
    if p.person_id.is_none()
        && p.organizations().next().is_none()
        && p.units_with(STAFF_ROLES).next().is_none()
    {
        Condition::any()
    } else {
        Condition::any().add(condition())
    }
}

fn unless_no_person<C: IntoCondition>(p: &Principal, condition: impl FnOnce() -> C) -> Condition {
    match p.person_id {
        Some(_) => Condition::any().add(condition()),
        None => Condition::any(),
    }
}

fn unless_no_organization<C: IntoCondition>(
    p: &Principal,
    condition: impl FnOnce() -> C,
) -> Condition {
    if p.organizations().next().is_none() {
        Condition::any()
    } else {
        Condition::any().add(condition())
    }
}
