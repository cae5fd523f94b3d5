use async_graphql::{Context, ID, InputObject, Object, Result, SimpleObject};
use entities::team_member::TeamRole;
use entities::volunteer_team::VolunteerArea;

use crate::domain::transaction::Db;
use crate::domain::volunteering::{
    self, MembershipOutcome, NewTeam, TeamOutcome, TeamRefusal, TeamUpdate,
};
use crate::error::ApiError;
use crate::graphql::context::ContextExt;
use crate::graphql::errors::OrGql;
use crate::graphql::ids::{decode_as, optional_id};
use crate::graphql::mutations::run_once;
use crate::graphql::mutations::user_errors::{UserError, user_errors};
use crate::graphql::types::{AdminUnit, Person, TeamMembership, VolunteerTeam};

/// Found a volunteer team for the caller's organisation (its API client with
/// `volunteering:write`, or its organisation or Party unit administrators).
#[derive(Debug, InputObject)]
pub struct CreateVolunteerTeamInput {
    /// The team's name. 1 to 100 characters.
    #[graphql(validator(chars_min_length = 1, chars_max_length = 100))]
    pub name: String,
    /// The area the team serves in.
    pub area: VolunteerArea,
    /// The community the team is based in.
    pub community_id: ID,
    /// The caller themself, to lead the team as its first member (an administrator who is also
    /// a volunteer). Anyone else is refused with `UNKNOWN_LEADER`: other leaders are appointed
    /// with `setTeamMemberRole` once they have joined.
    pub leader_id: Option<ID>,
    /// Makes retries safe: a retry with the same key and input returns the first result and
    /// changes nothing; the key with another input is a CONFLICT. Keys are the caller's own and
    /// expire after 24 hours. 1 to 200 characters.
    #[graphql(validator(chars_min_length = 1, chars_max_length = 200))]
    pub idempotency_key: Option<String>,
}

/// Change a team's particulars (its organisation, or staff of its community or above); fields
/// left out stay as they are.
#[derive(Debug, InputObject)]
pub struct UpdateVolunteerTeamInput {
    /// The team.
    pub team_id: ID,
    /// The new name. 1 to 100 characters.
    #[graphql(validator(chars_min_length = 1, chars_max_length = 100))]
    pub name: Option<String>,
    /// The new area.
    pub area: Option<VolunteerArea>,
    /// The community the team moves to.
    pub community_id: Option<ID>,
    /// Makes retries safe, as for `createVolunteerTeam`. 1 to 200 characters.
    #[graphql(validator(chars_min_length = 1, chars_max_length = 200))]
    pub idempotency_key: Option<String>,
}

/// A change that needs nothing but the team.
#[derive(Debug, InputObject)]
pub struct VolunteerTeamInput {
    /// The team.
    pub team_id: ID,
    /// Makes retries safe, as for `createVolunteerTeam`. 1 to 200 characters.
    #[graphql(validator(chars_min_length = 1, chars_max_length = 200))]
    pub idempotency_key: Option<String>,
}

/// Set a member's role within the team.
#[derive(Debug, InputObject)]
pub struct SetTeamMemberRoleInput {
    /// The membership.
    pub membership_id: ID,
    /// The role; a new leader takes over from the old one, who stays on as a member.
    pub role: TeamRole,
    /// Makes retries safe, as for `createVolunteerTeam`. 1 to 200 characters.
    #[graphql(validator(chars_min_length = 1, chars_max_length = 200))]
    pub idempotency_key: Option<String>,
}

/// A change that needs nothing but the membership.
#[derive(Debug, InputObject)]
pub struct TeamMembershipInput {
    /// The membership.
    pub membership_id: ID,
    /// Makes retries safe, as for `createVolunteerTeam`. 1 to 200 characters.
    #[graphql(validator(chars_min_length = 1, chars_max_length = 200))]
    pub idempotency_key: Option<String>,
}

/// The result of a change to a team.
#[derive(SimpleObject)]
pub struct VolunteerTeamPayload {
    /// The team as it stands after the mutation (unchanged when there are user errors; null when
    /// a creation was refused).
    pub team: Option<VolunteerTeam>,
    /// Why the change was refused; empty when it was made.
    pub user_errors: Vec<UserError<TeamRefusal>>,
}

/// The result of a change to a membership.
#[derive(SimpleObject)]
pub struct TeamMembershipPayload {
    /// The membership as it stands after the mutation (unchanged when there are user errors;
    /// null when a join or a leave was refused).
    pub membership: Option<TeamMembership>,
    /// Why the change was refused; empty when it was made.
    pub user_errors: Vec<UserError<TeamRefusal>>,
}

impl From<TeamOutcome> for VolunteerTeamPayload {
    fn from(outcome: TeamOutcome) -> Self {
        Self {
            team: outcome.changed.map(VolunteerTeam),
            user_errors: user_errors(&outcome.refusals),
        }
    }
}

impl From<MembershipOutcome> for TeamMembershipPayload {
    fn from(outcome: MembershipOutcome) -> Self {
        Self {
            membership: outcome.changed.map(TeamMembership),
            user_errors: user_errors(&outcome.refusals),
        }
    }
}

#[derive(Default)]
pub struct VolunteerTeamMutation;

#[Object]
impl VolunteerTeamMutation {
    /// Founds a team owned by the caller's organisation. Every input that breaks a rule is
    /// reported, e.g. `NOT_A_COMMUNITY` at `["input","communityId"]`.
    async fn create_volunteer_team(
        &self,
        ctx: &Context<'_>,
        input: CreateVolunteerTeamInput,
    ) -> Result<VolunteerTeamPayload> {
        let request = ctx.request()?;
        let new = NewTeam {
            name: input.name,
            area: input.area,
            community_id: decode_as::<AdminUnit>("communityId", &input.community_id).or_gql()?,
            leader_id: optional_id::<Person>("leaderId", input.leader_id.as_ref()).or_gql()?,
        };
        let fingerprint = serde_json::to_value(&new)
            .map_err(|_| ApiError::Internal)
            .or_gql()?;
        let new = &new;
        let create = |db: Db| async move {
            volunteering::create_team(&db, &request.principal, new.clone()).await
        };
        run_once(
            ctx,
            &input.idempotency_key,
            "createVolunteerTeam",
            &fingerprint,
            create,
        )
        .await
    }

    /// Changes an active team's name, area or community (its organisation, or staff of its
    /// community or above).
    async fn update_volunteer_team(
        &self,
        ctx: &Context<'_>,
        input: UpdateVolunteerTeamInput,
    ) -> Result<VolunteerTeamPayload> {
        let request = ctx.request()?;
        let team_id = team_id(&input.team_id)?;
        let update = TeamUpdate {
            name: input.name,
            area: input.area,
            community_id: optional_id::<AdminUnit>("communityId", input.community_id.as_ref())
                .or_gql()?,
        };
        let fingerprint = serde_json::to_value((team_id, &update))
            .map_err(|_| ApiError::Internal)
            .or_gql()?;
        let update = &update;
        let change = |db: Db| async move {
            volunteering::update_team(&db, &request.principal, team_id, update.clone()).await
        };
        run_once(
            ctx,
            &input.idempotency_key,
            "updateVolunteerTeam",
            &fingerprint,
            change,
        )
        .await
    }

    /// Dissolves a team; its current members leave with it (its organisation, or staff of its
    /// community or above).
    async fn dissolve_volunteer_team(
        &self,
        ctx: &Context<'_>,
        input: VolunteerTeamInput,
    ) -> Result<VolunteerTeamPayload> {
        let request = ctx.request()?;
        let team_id = team_id(&input.team_id)?;
        let dissolve = |db: Db| async move {
            volunteering::dissolve_team(&db, &request.principal, team_id).await
        };
        run_once(
            ctx,
            &input.idempotency_key,
            "dissolveVolunteerTeam",
            &team_id,
            dissolve,
        )
        .await
    }

    /// Joins an active team as a member (a person, for themself).
    async fn join_volunteer_team(
        &self,
        ctx: &Context<'_>,
        input: VolunteerTeamInput,
    ) -> Result<TeamMembershipPayload> {
        let request = ctx.request()?;
        let team_id = team_id(&input.team_id)?;
        let join =
            |db: Db| async move { volunteering::join_team(&db, &request.principal, team_id).await };
        run_once(
            ctx,
            &input.idempotency_key,
            "joinVolunteerTeam",
            &team_id,
            join,
        )
        .await
    }

    /// Leaves a team (a person, for themself).
    async fn leave_volunteer_team(
        &self,
        ctx: &Context<'_>,
        input: VolunteerTeamInput,
    ) -> Result<TeamMembershipPayload> {
        let request = ctx.request()?;
        let team_id = team_id(&input.team_id)?;
        let leave = |db: Db| async move {
            volunteering::leave_team(&db, &request.principal, team_id).await
        };
        run_once(
            ctx,
            &input.idempotency_key,
            "leaveVolunteerTeam",
            &team_id,
            leave,
        )
        .await
    }

    /// Sets a current member's role within the team (its organisation, staff of its community
    /// or above, or its leader).
    async fn set_team_member_role(
        &self,
        ctx: &Context<'_>,
        input: SetTeamMemberRoleInput,
    ) -> Result<TeamMembershipPayload> {
        let request = ctx.request()?;
        let membership_id = membership_id(&input.membership_id)?;
        let set = |db: Db| async move {
            volunteering::set_member_role(&db, &request.principal, membership_id, input.role).await
        };
        run_once(
            ctx,
            &input.idempotency_key,
            "setTeamMemberRole",
            &(membership_id, input.role),
            set,
        )
        .await
    }

    /// Removes a current member from the team (its organisation, staff of its community or
    /// above, or its leader).
    async fn remove_team_member(
        &self,
        ctx: &Context<'_>,
        input: TeamMembershipInput,
    ) -> Result<TeamMembershipPayload> {
        let request = ctx.request()?;
        let membership_id = membership_id(&input.membership_id)?;
        let remove = |db: Db| async move {
            volunteering::remove_member(&db, &request.principal, membership_id).await
        };
        run_once(
            ctx,
            &input.idempotency_key,
            "removeTeamMember",
            &membership_id,
            remove,
        )
        .await
    }
}

fn team_id(id: &ID) -> Result<i64> {
    decode_as::<VolunteerTeam>("teamId", id).or_gql()
}

fn membership_id(id: &ID) -> Result<i64> {
    decode_as::<TeamMembership>("membershipId", id).or_gql()
}
