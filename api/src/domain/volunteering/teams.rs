//! Volunteer teams and their members. The owning organisation and staff of the team's community
//! (or above) manage a team; a person joins and leaves for themself; the team's leader also sets
//! roles and removes members. Every change runs in one write transaction with its audit records,
//! and a change the state or the caller's role does not allow is refused with a stable code.

use chrono::Utc;
use entities::team_member::{self, TeamRole};
use entities::volunteer_team::{self, TeamStatus, VolunteerArea};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction, DbErr,
    EntityTrait, QueryFilter,
};
use serde::{Deserialize, Serialize};

use crate::auth::{Principal, Scope};
use crate::domain::audit::{Actor, Transition};
use crate::domain::outcome::{Outcome, refusals};
use crate::domain::permissions::{
    COMMUNITY_OR_ABOVE, ORGANISATION_ADMINS, acts_for, organizing_organization, person_of,
    staff_covers,
};
use crate::domain::rows::{is_community, lock, not_found, reload};
use crate::domain::scope::Scoped;
use crate::domain::transaction::{Db, begin_write};
use crate::error::ApiError;

refusals! {
    /// Why a change to a team or a membership was refused.
    pub enum TeamRefusal for "VolunteerTeam" {
        NotOrganizer => NOT_ORGANIZER:
            "only an organisation's administrators or its API client create teams",
        NotACommunity => NOT_A_COMMUNITY @ "communityId": "teams are based in a community",
        UnknownLeader => UNKNOWN_LEADER @ "leaderId":
            "the first leader is the caller themself; appoint others with setTeamMemberRole once they have joined",
        NotPermitted => NOT_PERMITTED:
            "only the team's organisation or staff of its community (or above) may do this",
        NotTeamManager => NOT_TEAM_MANAGER:
            "only the team's organisation, staff of its community or the team's leader may do this",
        Dissolved => TEAM_DISSOLVED @ "teamId": "the team is dissolved",
        NotAVolunteer => NOT_A_VOLUNTEER: "only a person can join or leave a team, for themself",
        AlreadyMember => ALREADY_MEMBER @ "teamId": "the person is already a member of the team",
        NotMember => NOT_A_MEMBER @ "teamId": "the caller is not a current member of the team",
        MembershipEnded => MEMBERSHIP_ENDED @ "membershipId": "the membership has ended",
    }
}

pub type TeamOutcome = Outcome<volunteer_team::Model, TeamRefusal>;
pub type MembershipOutcome = Outcome<team_member::Model, TeamRefusal>;

/// A new team, as its organisation founds it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NewTeam {
    pub name: String,
    pub area: VolunteerArea,
    pub community_id: i64,
    /// The person who leads it; they become its first member.
    pub leader_id: Option<i64>,
}

/// Changes to a team's particulars; absent fields stay as they are.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TeamUpdate {
    pub name: Option<String>,
    pub area: Option<VolunteerArea>,
    pub community_id: Option<i64>,
}
/// Founds a team owned by the caller's organisation. Inputs that break a rule are all reported.
pub async fn create_team(
    db: &Db,
    principal: &Principal,
    new: NewTeam,
) -> Result<TeamOutcome, ApiError> {
    principal.require(Scope::VolunteeringWrite)?;
    let Some(organization_id) = organizing_organization(principal) else {
        return Ok(Outcome::refused(None, TeamRefusal::NotOrganizer));
    };
    let txn = begin_write(db).await?;
    let mut refusals = Vec::new();
    if !is_community(&txn, new.community_id).await? {
        refusals.push(TeamRefusal::NotACommunity);
    }
    // Nobody is made a leader without their consent, and no person is looked up: the answer
    // does not tell which ids name people.
    if new
        .leader_id
        .is_some_and(|leader| principal.person_id != Some(leader))
    {
        refusals.push(TeamRefusal::UnknownLeader);
    }
    if !refusals.is_empty() {
        txn.rollback().await?;
        return Ok(Outcome {
            changed: None,
            refusals,
        });
    }
    let now = Utc::now();
    let team = volunteer_team::ActiveModel {
        name: Set(new.name),
        area: Set(new.area),
        community_id: Set(new.community_id),
        organization_id: Set(organization_id),
        leader_person_id: Set(new.leader_id),
        status: Set(TeamStatus::Active),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let actor = Actor::from(principal);
    Transition::new(
        "create_volunteer_team",
        "volunteer_team",
        team.id,
        TeamStatus::Active,
        TeamStatus::Active,
    )
    .record(&txn, &actor)
    .await?;
    if let Some(leader) = new.leader_id {
        // The leader is a member like any other, so that the team's roster shows them.
        let membership = insert_member(&txn, team.id, leader, TeamRole::Leader).await?;
        Transition::new(
            "join_volunteer_team",
            "team_member",
            membership.id,
            TeamRole::Leader,
            TeamRole::Leader,
        )
        .record(&txn, &actor)
        .await?;
    }
    txn.commit().await?;
    Ok(Outcome::done(team))
}

/// Changes an active team's name, area or community (its organisation or community staff).
pub async fn update_team(
    db: &Db,
    principal: &Principal,
    team_id: i64,
    update: TeamUpdate,
) -> Result<TeamOutcome, ApiError> {
    principal.require(Scope::VolunteeringWrite)?;
    let txn = begin_write(db).await?;
    let team = lock::<volunteer_team::Entity>(&txn, team_id).await?;
    let refusal = if !manages(&txn, principal, &team).await? {
        Some(TeamRefusal::NotPermitted)
    } else if team.status == TeamStatus::Dissolved {
        Some(TeamRefusal::Dissolved)
    } else if let Some(community) = update.community_id
        && !is_community(&txn, community).await?
    {
        Some(TeamRefusal::NotACommunity)
    } else {
        None
    };
    if let Some(refusal) = refusal {
        txn.rollback().await?;
        return Ok(Outcome::refused(Some(team), refusal));
    }
    if update.name.is_none() && update.area.is_none() && update.community_id.is_none() {
        // Nothing to change, and nothing to audit.
        txn.rollback().await?;
        return Ok(Outcome::done(team));
    }
    let mut changes = volunteer_team::ActiveModel {
        id: Set(team.id),
        ..Default::default()
    };
    if let Some(name) = update.name {
        changes.name = Set(name);
    }
    if let Some(area) = update.area {
        changes.area = Set(area);
    }
    if let Some(community) = update.community_id {
        changes.community_id = Set(community);
    }
    let team = changes.update(&txn).await?;
    Transition::new(
        "update_volunteer_team",
        "volunteer_team",
        team.id,
        team.status,
        team.status,
    )
    .record(&txn, &Actor::from(principal))
    .await?;
    txn.commit().await?;
    Ok(Outcome::done(team))
}

/// Dissolves a team: its current members leave with it, and it is kept for the record.
pub async fn dissolve_team(
    db: &Db,
    principal: &Principal,
    team_id: i64,
) -> Result<TeamOutcome, ApiError> {
    principal.require(Scope::VolunteeringWrite)?;
    let txn = begin_write(db).await?;
    let team = lock::<volunteer_team::Entity>(&txn, team_id).await?;
    let refusal = if !manages(&txn, principal, &team).await? {
        Some(TeamRefusal::NotPermitted)
    } else if team.status == TeamStatus::Dissolved {
        Some(TeamRefusal::Dissolved)
    } else {
        None
    };
    if let Some(refusal) = refusal {
        txn.rollback().await?;
        return Ok(Outcome::refused(Some(team), refusal));
    }
    let updated = volunteer_team::Entity::update_many()
        .col_expr(volunteer_team::Column::UpdatedAt, Expr::value(Utc::now()))
        .col_expr(
            volunteer_team::Column::Status,
            Expr::value(TeamStatus::Dissolved),
        )
        .col_expr(
            volunteer_team::Column::LeaderPersonId,
            Expr::value(Option::<i64>::None),
        )
        .filter(volunteer_team::Column::Id.eq(team.id))
        .filter(volunteer_team::Column::Status.eq(TeamStatus::Active))
        .exec(&txn)
        .await?;
    if updated.rows_affected != 1 {
        return Err(changed_meanwhile());
    }
    let current = team_member::Entity::find()
        .filter(team_member::Column::TeamId.eq(team.id))
        .filter(team_member::Column::LeftAt.is_null())
        .all(&txn)
        .await?;
    team_member::Entity::update_many()
        .col_expr(team_member::Column::UpdatedAt, Expr::value(Utc::now()))
        .col_expr(team_member::Column::LeftAt, Expr::value(Utc::now()))
        .filter(team_member::Column::TeamId.eq(team.id))
        .filter(team_member::Column::LeftAt.is_null())
        .exec(&txn)
        .await?;
    let actor = Actor::from(principal);
    let leaving = current
        .iter()
        .map(|member| {
            Transition::new(
                "leave_with_team",
                "team_member",
                member.id,
                member.role,
                member.role,
            )
        })
        .collect();
    Transition::record_all(leaving, &txn, &actor).await?;
    Transition::new(
        "dissolve_volunteer_team",
        "volunteer_team",
        team.id,
        TeamStatus::Active,
        TeamStatus::Dissolved,
    )
    .record(&txn, &actor)
    .await?;
    let team = reload::<volunteer_team::Entity>(&txn, team.id).await?;
    txn.commit().await?;
    Ok(Outcome::done(team))
}

/// A person joins an active team as a member, for themself. Joins of one team are serialised by
/// the team's row lock, and the partial unique index backs the one current membership per person.
pub async fn join_team(
    db: &Db,
    principal: &Principal,
    team_id: i64,
) -> Result<MembershipOutcome, ApiError> {
    principal.require(Scope::VolunteeringWrite)?;
    let Some(person) = person_of(principal) else {
        return Ok(Outcome::refused(None, TeamRefusal::NotAVolunteer));
    };
    let txn = begin_write(db).await?;
    let team = lock::<volunteer_team::Entity>(&txn, team_id).await?;
    let refusal = if team.status == TeamStatus::Dissolved {
        Some(TeamRefusal::Dissolved)
    } else if current_membership(&txn, team.id, person).await?.is_some() {
        Some(TeamRefusal::AlreadyMember)
    } else {
        None
    };
    if let Some(refusal) = refusal {
        txn.rollback().await?;
        return Ok(Outcome::refused(None, refusal));
    }
    let membership = insert_member(&txn, team.id, person, TeamRole::Member).await?;
    Transition::new(
        "join_volunteer_team",
        "team_member",
        membership.id,
        TeamRole::Member,
        TeamRole::Member,
    )
    .record(&txn, &Actor::from(principal))
    .await?;
    txn.commit().await?;
    Ok(Outcome::done(membership))
}

/// A person leaves a team they are a current member of, for themself.
pub async fn leave_team(
    db: &Db,
    principal: &Principal,
    team_id: i64,
) -> Result<MembershipOutcome, ApiError> {
    principal.require(Scope::VolunteeringWrite)?;
    let Some(person) = person_of(principal) else {
        return Ok(Outcome::refused(None, TeamRefusal::NotAVolunteer));
    };
    let txn = begin_write(db).await?;
    let team = lock::<volunteer_team::Entity>(&txn, team_id).await?;
    let Some(membership) = current_membership(&txn, team.id, person).await? else {
        txn.rollback().await?;
        return Ok(Outcome::refused(None, TeamRefusal::NotMember));
    };
    let membership =
        end_membership(&txn, principal, &team, membership, "leave_volunteer_team").await?;
    txn.commit().await?;
    Ok(Outcome::done(membership))
}

/// Sets a current member's role (the team's organisation, community staff or leader). A new
/// leader takes over from the old one, who stays on as a member: a team has one leader.
pub async fn set_member_role(
    db: &Db,
    principal: &Principal,
    membership_id: i64,
    role: TeamRole,
) -> Result<MembershipOutcome, ApiError> {
    principal.require(Scope::VolunteeringWrite)?;
    let (txn, team, membership) = begin_membership_change(db, principal, membership_id).await?;
    if let Some(refusal) = membership_refusal(&txn, principal, &team, &membership).await? {
        txn.rollback().await?;
        return Ok(Outcome::refused(Some(membership), refusal));
    }
    if membership.role == role {
        txn.rollback().await?;
        return Ok(Outcome::done(membership));
    }
    let actor = Actor::from(principal);
    if role == TeamRole::Leader {
        let previous = team_member::Entity::find()
            .filter(team_member::Column::TeamId.eq(team.id))
            .filter(team_member::Column::Role.eq(TeamRole::Leader))
            .filter(team_member::Column::LeftAt.is_null())
            .all(&txn)
            .await?;
        for leader in previous {
            change_role(&txn, &leader, TeamRole::Member).await?;
            Transition::new(
                "hand_over_team_leadership",
                "team_member",
                leader.id,
                TeamRole::Leader,
                TeamRole::Member,
            )
            .record(&txn, &actor)
            .await?;
        }
    }
    change_role(&txn, &membership, role).await?;
    let leader = match (membership.role, role) {
        (_, TeamRole::Leader) => Some(Some(membership.person_id)),
        (TeamRole::Leader, _) => Some(None),
        _ => None,
    };
    if let Some(leader) = leader {
        set_leader(&txn, team.id, leader).await?;
    }
    Transition::new(
        "set_team_member_role",
        "team_member",
        membership.id,
        membership.role,
        role,
    )
    .record(&txn, &actor)
    .await?;
    let membership = reload::<team_member::Entity>(&txn, membership.id).await?;
    txn.commit().await?;
    Ok(Outcome::done(membership))
}

/// Removes a current member from the team (the team's organisation, community staff or leader).
pub async fn remove_member(
    db: &Db,
    principal: &Principal,
    membership_id: i64,
) -> Result<MembershipOutcome, ApiError> {
    principal.require(Scope::VolunteeringWrite)?;
    let (txn, team, membership) = begin_membership_change(db, principal, membership_id).await?;
    if let Some(refusal) = membership_refusal(&txn, principal, &team, &membership).await? {
        txn.rollback().await?;
        return Ok(Outcome::refused(Some(membership), refusal));
    }
    let membership =
        end_membership(&txn, principal, &team, membership, "remove_team_member").await?;
    txn.commit().await?;
    Ok(Outcome::done(membership))
}

/// Opens the transaction of a change to a membership, with its team locked. A membership the
/// caller may neither see nor manage is not found, so that its existence does not leak.
async fn begin_membership_change(
    db: &Db,
    principal: &Principal,
    membership_id: i64,
) -> Result<
    (
        DatabaseTransaction,
        volunteer_team::Model,
        team_member::Model,
    ),
    ApiError,
> {
    let txn = begin_write(db).await?;
    let not_found = || not_found::<team_member::Entity>(membership_id);
    let membership = team_member::Entity::find_by_id(membership_id)
        .one(&txn)
        .await?
        .ok_or_else(not_found)?;
    let team = lock::<volunteer_team::Entity>(&txn, membership.team_id).await?;
    let visible = team_member::Entity::find_by_id(membership_id)
        .filter(team_member::Entity::visible_to(principal))
        .one(&txn)
        .await?
        .is_some();
    if !visible && !leads(&txn, principal, team.id).await? {
        return Err(not_found());
    }
    // Read again under the team's lock: a concurrent change may have ended it meanwhile.
    let membership = reload::<team_member::Entity>(&txn, membership_id).await?;
    Ok((txn, team, membership))
}

/// Why the caller may not change `membership`, if they may not.
async fn membership_refusal(
    txn: &DatabaseTransaction,
    principal: &Principal,
    team: &volunteer_team::Model,
    membership: &team_member::Model,
) -> Result<Option<TeamRefusal>, DbErr> {
    Ok(
        if !manages(txn, principal, team).await? && !leads(txn, principal, team.id).await? {
            Some(TeamRefusal::NotTeamManager)
        } else if team.status == TeamStatus::Dissolved {
            Some(TeamRefusal::Dissolved)
        } else if membership.left_at.is_some() {
            Some(TeamRefusal::MembershipEnded)
        } else {
            None
        },
    )
}

/// Ends a current membership; a leader leaving leaves the team without one.
async fn end_membership(
    txn: &DatabaseTransaction,
    principal: &Principal,
    team: &volunteer_team::Model,
    membership: team_member::Model,
    action: &'static str,
) -> Result<team_member::Model, ApiError> {
    let updated = team_member::Entity::update_many()
        .col_expr(team_member::Column::UpdatedAt, Expr::value(Utc::now()))
        .col_expr(team_member::Column::LeftAt, Expr::value(Utc::now()))
        .filter(team_member::Column::Id.eq(membership.id))
        .filter(team_member::Column::LeftAt.is_null())
        .exec(txn)
        .await?;
    if updated.rows_affected != 1 {
        return Err(changed_meanwhile());
    }
    if team.leader_person_id == Some(membership.person_id) {
        set_leader(txn, team.id, None).await?;
    }
    Transition::new(
        action,
        "team_member",
        membership.id,
        membership.role,
        membership.role,
    )
    .record(txn, &Actor::from(principal))
    .await?;
    reload::<team_member::Entity>(txn, membership.id).await
}

/// Moves a current membership from its role to `role`, if no one changed it meanwhile.
async fn change_role(
    txn: &DatabaseTransaction,
    membership: &team_member::Model,
    role: TeamRole,
) -> Result<(), ApiError> {
    let updated = team_member::Entity::update_many()
        .col_expr(team_member::Column::UpdatedAt, Expr::value(Utc::now()))
        .col_expr(team_member::Column::Role, Expr::value(role))
        .filter(team_member::Column::Id.eq(membership.id))
        .filter(team_member::Column::Role.eq(membership.role))
        .filter(team_member::Column::LeftAt.is_null())
        .exec(txn)
        .await?;
    if updated.rows_affected != 1 {
        return Err(changed_meanwhile());
    }
    Ok(())
}

async fn set_leader(
    txn: &DatabaseTransaction,
    team_id: i64,
    leader: Option<i64>,
) -> Result<(), DbErr> {
    volunteer_team::Entity::update_many()
        .col_expr(volunteer_team::Column::UpdatedAt, Expr::value(Utc::now()))
        .col_expr(volunteer_team::Column::LeaderPersonId, Expr::value(leader))
        .filter(volunteer_team::Column::Id.eq(team_id))
        .exec(txn)
        .await
        .map(drop)
}

async fn insert_member(
    txn: &DatabaseTransaction,
    team_id: i64,
    person_id: i64,
    role: TeamRole,
) -> Result<team_member::Model, DbErr> {
    team_member::ActiveModel {
        team_id: Set(team_id),
        person_id: Set(person_id),
        role: Set(role),
        joined_at: Set(Utc::now()),
        left_at: Set(None),
        ..Default::default()
    }
    .insert(txn)
    .await
}

/// The person's current membership of the team, if any.
async fn current_membership(
    txn: &impl ConnectionTrait,
    team_id: i64,
    person_id: i64,
) -> Result<Option<team_member::Model>, DbErr> {
    team_member::Entity::find()
        .filter(team_member::Column::TeamId.eq(team_id))
        .filter(team_member::Column::PersonId.eq(person_id))
        .filter(team_member::Column::LeftAt.is_null())
        .one(txn)
        .await
}

/// Whether the caller manages the team: for its organisation, or as staff of its community or
/// a unit above it.
async fn manages(
    txn: &DatabaseTransaction,
    principal: &Principal,
    team: &volunteer_team::Model,
) -> Result<bool, DbErr> {
    Ok(
        acts_for(principal, team.organization_id, ORGANISATION_ADMINS)
            || staff_covers(txn, principal, COMMUNITY_OR_ABOVE, team.community_id).await?,
    )
}

/// Whether the caller is the team's current leader.
async fn leads(
    txn: &DatabaseTransaction,
    principal: &Principal,
    team_id: i64,
) -> Result<bool, DbErr> {
    let Some(person) = person_of(principal) else {
        return Ok(false);
    };
    Ok(current_membership(txn, team_id, person)
        .await?
        .is_some_and(|membership| membership.role == TeamRole::Leader))
}

fn changed_meanwhile() -> ApiError {
    ApiError::Conflict("the team changed meanwhile; read it again and retry".to_owned())
}
