use async_graphql::{Context, ID, InputObject, Object, Result, SimpleObject};

use crate::domain::dual_reporting::registrations::{
    self, BulkRow, BulkRowOutcome, Placement, RegistrationOutcome, RegistrationRefusal,
};
use crate::domain::transaction::Db;
use crate::graphql::context::ContextExt;
use crate::graphql::errors::OrGql;
use crate::graphql::ids::{decode_as, optional_id};
use crate::graphql::mutations::run_once;
use crate::graphql::mutations::user_errors::{UserError, user_errors};
use crate::graphql::types::{AdminUnit, MemberRegistration, Organization, PartyMember};

/// Register a Party member with the community where they live.
#[derive(Debug, InputObject)]
pub struct RegisterMemberInput {
    /// The member to register; leave out to register yourself (a member's own token).
    pub member_id: Option<ID>,
    /// The residential community.
    pub community_id: ID,
    /// The member's grid inside the community, if known; staff may assign another.
    pub grid_id: Option<ID>,
    /// Makes retries safe: a retry with the same key and input returns the first result and
    /// changes nothing; the key with another input is a CONFLICT. Keys are the caller's own
    /// and expire after 24 hours. 1 to 200 characters.
    #[graphql(validator(chars_min_length = 1, chars_max_length = 200))]
    pub idempotency_key: Option<String>,
}

/// Accept a submitted registration, assigning the member a grid inside the community.
#[derive(Debug, InputObject)]
pub struct AcceptMemberRegistrationInput {
    /// The registration to accept.
    pub registration_id: ID,
    /// The grid to assign; defaults to the grid the member named.
    pub grid_id: Option<ID>,
    /// Makes retries safe, as for `registerMember`. 1 to 200 characters.
    #[graphql(validator(chars_min_length = 1, chars_max_length = 200))]
    pub idempotency_key: Option<String>,
}

/// Reject a submitted registration.
#[derive(Debug, InputObject)]
pub struct RejectMemberRegistrationInput {
    /// The registration to reject.
    pub registration_id: ID,
    /// Why: shown to the member and their unit. At most 500 characters.
    #[graphql(validator(chars_max_length = 500))]
    pub note: String,
    /// Makes retries safe, as for `registerMember`. 1 to 200 characters.
    #[graphql(validator(chars_min_length = 1, chars_max_length = 200))]
    pub idempotency_key: Option<String>,
}

/// Move an active registration to another community.
#[derive(Debug, InputObject)]
pub struct TransferMemberRegistrationInput {
    /// The active registration to close.
    pub registration_id: ID,
    /// The new residential community.
    pub community_id: ID,
    /// The member's grid inside the new community, if known.
    pub grid_id: Option<ID>,
    /// Makes retries safe, as for `registerMember`. 1 to 200 characters.
    #[graphql(validator(chars_min_length = 1, chars_max_length = 200))]
    pub idempotency_key: Option<String>,
}

/// End an active registration.
#[derive(Debug, InputObject)]
pub struct DeregisterMemberInput {
    /// The active registration to close.
    pub registration_id: ID,
    /// Makes retries safe, as for `registerMember`. 1 to 200 characters.
    #[graphql(validator(chars_min_length = 1, chars_max_length = 200))]
    pub idempotency_key: Option<String>,
}

/// One member of a bulk registration.
#[derive(Debug, InputObject)]
pub struct BulkMemberRow {
    /// A Party member of the unit.
    pub member_id: ID,
    /// The member's residential community.
    pub community_id: ID,
    /// The member's grid inside the community, if known.
    pub grid_id: Option<ID>,
}

/// Register many of a unit's members at once.
#[derive(Debug, InputObject)]
pub struct BulkRegisterMembersInput {
    /// The unit (its Party organisation) whose members are registered.
    pub unit_id: ID,
    /// Up to 1,000 members. At most 1000 items.
    #[graphql(validator(max_items = 1000))]
    pub rows: Vec<BulkMemberRow>,
    /// Makes retries safe, as for `registerMember`. 1 to 200 characters.
    #[graphql(validator(chars_min_length = 1, chars_max_length = 200))]
    pub idempotency_key: Option<String>,
}

/// The result of a change to a member registration.
#[derive(SimpleObject)]
pub struct MemberRegistrationPayload {
    /// The registration as it stands after the mutation: the new one for `registerMember` and
    /// `transferMemberRegistration`; unchanged (or null) when there are user errors.
    pub registration: Option<MemberRegistration>,
    /// Why the change was refused; empty when it was made.
    pub user_errors: Vec<UserError<RegistrationRefusal>>,
}

impl From<RegistrationOutcome> for MemberRegistrationPayload {
    fn from(outcome: RegistrationOutcome) -> Self {
        Self {
            registration: outcome.changed.map(MemberRegistration),
            user_errors: user_errors(&outcome.refusals),
        }
    }
}

/// What became of one row of a bulk registration.
#[derive(SimpleObject)]
pub struct BulkRegistrationRow {
    /// The row's position in `rows`, from 0.
    pub index: i32,
    /// The new, submitted registration; null when the row was refused.
    pub registration: Option<MemberRegistration>,
    /// Why the row was refused, with the field path from the input (`["rows", 3, "memberId"]`);
    /// empty when it was applied.
    pub user_errors: Vec<UserError<RegistrationRefusal>>,
}

/// The result of a bulk registration: every valid row applied, every refused row reported.
#[derive(SimpleObject)]
pub struct BulkRegisterMembersPayload {
    /// How many rows were applied.
    pub applied_count: i32,
    /// How many rows were refused.
    pub refused_count: i32,
    /// One result per input row, in the input's order.
    pub rows: Vec<BulkRegistrationRow>,
}

impl From<Vec<BulkRowOutcome>> for BulkRegisterMembersPayload {
    fn from(outcomes: Vec<BulkRowOutcome>) -> Self {
        let rows: Vec<BulkRegistrationRow> = (0..)
            .zip(outcomes)
            .map(|(index, outcome)| BulkRegistrationRow {
                index,
                registration: outcome.changed.map(MemberRegistration),
                user_errors: outcome
                    .refusals
                    .into_iter()
                    .map(|refusal| UserError::under(refusal, &["rows", &index.to_string()]))
                    .collect(),
            })
            .collect();
        let applied = rows.iter().filter(|row| row.registration.is_some()).count();
        Self {
            applied_count: count(applied),
            refused_count: count(rows.len() - applied),
            rows,
        }
    }
}

/// Counts are at most the 1,000 rows of a call, so they fit.
fn count(n: usize) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

#[derive(Default)]
pub struct RegistrationMutation;

#[Object]
impl RegistrationMutation {
    /// Registers a serving Party member with their residential community, as submitted for the
    /// community's decision. The member registers themself (a person's token), or their unit's
    /// Party unit administrator or API client (with `registrations:write`) registers them. A
    /// member has at most one open registration: another is `ALREADY_REGISTERED`.
    async fn register_member(
        &self,
        ctx: &Context<'_>,
        input: RegisterMemberInput,
    ) -> Result<MemberRegistrationPayload> {
        let request = ctx.request()?;
        let member_id =
            optional_id::<PartyMember>("memberId", input.member_id.as_ref()).or_gql()?;
        let placement = placement(&input.community_id, input.grid_id.as_ref())?;
        let register = |db: Db| async move {
            registrations::register_member(&db, &request.principal, member_id, placement).await
        };
        run_once(
            ctx,
            &input.idempotency_key,
            "registerMember",
            &(member_id, placement),
            register,
        )
        .await
    }

    /// Community staff accept a submitted registration, assigning a grid inside the community;
    /// the member's unit gets its receipt. Refused with `NOT_SUBMITTED` unless it is submitted.
    async fn accept_member_registration(
        &self,
        ctx: &Context<'_>,
        input: AcceptMemberRegistrationInput,
    ) -> Result<MemberRegistrationPayload> {
        let request = ctx.request()?;
        let id =
            decode_as::<MemberRegistration>("registrationId", &input.registration_id).or_gql()?;
        let grid_id = input
            .grid_id
            .as_ref()
            .map(|grid| decode_as::<AdminUnit>("gridId", grid))
            .transpose()
            .or_gql()?;
        let accept = |db: Db| async move {
            registrations::accept_registration(&db, &request.principal, id, grid_id).await
        };
        run_once(
            ctx,
            &input.idempotency_key,
            "acceptMemberRegistration",
            &(id, grid_id),
            accept,
        )
        .await
    }

    /// Community staff reject a submitted registration with a note saying why.
    async fn reject_member_registration(
        &self,
        ctx: &Context<'_>,
        input: RejectMemberRegistrationInput,
    ) -> Result<MemberRegistrationPayload> {
        let request = ctx.request()?;
        let id =
            decode_as::<MemberRegistration>("registrationId", &input.registration_id).or_gql()?;
        // The work borrows what the idempotency key's fingerprint borrows too.
        let input = &input;
        let reject = |db: Db| async move {
            registrations::reject_registration(&db, &request.principal, id, &input.note).await
        };
        run_once(
            ctx,
            &input.idempotency_key,
            "rejectMemberRegistration",
            &(id, &input.note),
            reject,
        )
        .await
    }

    /// The member or their unit moves an active registration to another community in one step:
    /// the old registration is closed as transferred and the new one submitted. The member
    /// leaves the old community's service posts (applications withdrawn, holdings ended).
    async fn transfer_member_registration(
        &self,
        ctx: &Context<'_>,
        input: TransferMemberRegistrationInput,
    ) -> Result<MemberRegistrationPayload> {
        let request = ctx.request()?;
        let id =
            decode_as::<MemberRegistration>("registrationId", &input.registration_id).or_gql()?;
        let placement = placement(&input.community_id, input.grid_id.as_ref())?;
        let transfer = |db: Db| async move {
            registrations::transfer_registration(&db, &request.principal, id, placement).await
        };
        run_once(
            ctx,
            &input.idempotency_key,
            "transferMemberRegistration",
            &(id, placement),
            transfer,
        )
        .await
    }

    /// The member, their unit or the community's staff end an active registration; the member
    /// leaves the community's service posts (applications withdrawn, holdings ended).
    async fn deregister_member(
        &self,
        ctx: &Context<'_>,
        input: DeregisterMemberInput,
    ) -> Result<MemberRegistrationPayload> {
        let request = ctx.request()?;
        let id =
            decode_as::<MemberRegistration>("registrationId", &input.registration_id).or_gql()?;
        let deregister =
            |db: Db| async move { registrations::deregister(&db, &request.principal, id).await };
        run_once(
            ctx,
            &input.idempotency_key,
            "deregisterMember",
            &id,
            deregister,
        )
        .await
    }

    /// A unit's Party unit administrator or API client registers up to 1,000 of its members at
    /// once. Every valid row is applied; every refused row is reported with its code
    /// (`UNKNOWN_MEMBER`, `UNKNOWN_COMMUNITY`, `GRID_NOT_IN_COMMUNITY`, `ALREADY_REGISTERED`,
    /// `DUPLICATE_ROW`).
    async fn bulk_register_members(
        &self,
        ctx: &Context<'_>,
        input: BulkRegisterMembersInput,
    ) -> Result<BulkRegisterMembersPayload> {
        let request = ctx.request()?;
        let unit_id = decode_as::<Organization>("unitId", &input.unit_id).or_gql()?;
        let rows: Vec<Result<BulkRow, RegistrationRefusal>> =
            input.rows.iter().map(bulk_row).collect();
        // The work borrows what the idempotency key's fingerprint borrows too.
        let rows = &rows;
        let register = |db: Db| async move {
            registrations::bulk_register(&db, &request.principal, unit_id, rows).await
        };
        run_once(
            ctx,
            &input.idempotency_key,
            "bulkRegisterMembers",
            &(unit_id, &rows),
            register,
        )
        .await
    }
}

fn placement(community_id: &ID, grid_id: Option<&ID>) -> Result<Placement> {
    Ok(Placement {
        community_id: decode_as::<AdminUnit>("communityId", community_id).or_gql()?,
        grid_id: grid_id
            .map(|grid| decode_as::<AdminUnit>("gridId", grid))
            .transpose()
            .or_gql()?,
    })
}

/// A row whose ids cannot be read is refused on its own, like a row naming nothing.
fn bulk_row(row: &BulkMemberRow) -> Result<BulkRow, RegistrationRefusal> {
    let member_id = decode_as::<PartyMember>("memberId", &row.member_id)
        .map_err(|_| RegistrationRefusal::UnknownMember)?;
    let community_id = decode_as::<AdminUnit>("communityId", &row.community_id)
        .map_err(|_| RegistrationRefusal::UnknownCommunity)?;
    let grid_id = row
        .grid_id
        .as_ref()
        .map(|grid| decode_as::<AdminUnit>("gridId", grid))
        .transpose()
        .map_err(|_| RegistrationRefusal::GridNotInCommunity)?;
    Ok(BulkRow {
        member_id,
        placement: Placement {
            community_id,
            grid_id,
        },
    })
}
