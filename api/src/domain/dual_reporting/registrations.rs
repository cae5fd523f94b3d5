//! Dual reporting (双报到): serving Party members register with the community where they live.
//! Each transition is one write transaction with its audit record; a registration moves by a
//! compare-and-set on its status, and the database's partial unique index keeps at most one open
//! (submitted or accepted) registration per member.

use std::collections::{HashMap, HashSet};

use chrono::Utc;
use entities::admin_unit::{self, UnitLevel};
use entities::member_registration::{self, MemberRegistrationStatus, SubmittedBy};
use entities::party_member;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseTransaction, DbErr, EntityTrait,
    QueryFilter, SqlErr,
};

use super::service_posts::leave_community_posts;
use crate::auth::{Principal, PrincipalKind, Scope};
use crate::domain::audit::{Actor, Transition};
use crate::domain::outcome::{Outcome, refusals, refuse};
use crate::domain::permissions::{PARTY_UNIT_ADMINS, acts_for, community_staff_of, own_membership};
use crate::domain::rows::{ID_CHUNK, find_visible, lock_owner, lock_owners};
use crate::domain::transaction::{Db, begin_write};
use crate::error::ApiError;

/// The most rows one `bulkRegisterMembers` call takes.
const MAX_BULK_ROWS: usize = 1_000;

/// Registrations in these states are open: the member is (about to be) registered there.
const OPEN: [MemberRegistrationStatus; 2] = [
    MemberRegistrationStatus::Submitted,
    MemberRegistrationStatus::Accepted,
];

refusals! {
    /// Why a registration transition was refused.
    pub enum RegistrationRefusal for "MemberRegistration" {
        NotAMember => NOT_A_MEMBER: "the caller is not a Party member",
        NotRegistrant => NOT_REGISTRANT: "only the member or their own unit may do this",
        NotCommunityStaff => NOT_COMMUNITY_STAFF:
            "only the staff of the registration's community may do this",
        UnknownMember => UNKNOWN_MEMBER @ "memberId": "no such member in this unit",
        UnknownCommunity => UNKNOWN_COMMUNITY @ "communityId": "no such community",
        GridNotInCommunity => GRID_NOT_IN_COMMUNITY @ "gridId":
            "the grid is not inside the community",
        GridRequired => GRID_REQUIRED @ "gridId": "a grid inside the community must be assigned",
        AlreadyRegistered => ALREADY_REGISTERED @ "memberId":
            "the member already has an open registration",
        DuplicateRow => DUPLICATE_ROW @ "memberId":
            "the member appears more than once in this call",
        NotSubmitted => NOT_SUBMITTED @ "registrationId":
            "the registration is not waiting for a decision",
        NotActive => NOT_ACTIVE @ "registrationId": "the registration is not active",
        SameCommunity => SAME_COMMUNITY @ "communityId":
            "the member is already registered with this community",
        NoteRequired => NOTE_REQUIRED @ "note": "a rejection needs a note saying why",
    }
}

/// The outcome of a registration mutation: the registration as it stands after it (the new one
/// for a registration or transfer), and the refusal if any.
pub type RegistrationOutcome = Outcome<member_registration::Model, RegistrationRefusal>;

/// Where a member asks to be registered: a community and, if they know it, their grid in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct Placement {
    pub community_id: i64,
    pub grid_id: Option<i64>,
}

/// Registers a member with a community: the member themself (a person's token; `member_id`
/// may then be left out), or their unit's Party unit administrator or API client.
pub async fn register_member(
    db: &Db,
    principal: &Principal,
    member_id: Option<i64>,
    placement: Placement,
) -> Result<RegistrationOutcome, ApiError> {
    principal.require(Scope::RegistrationsWrite)?;
    let txn = begin_write(db).await?;
    let member = match member_id {
        Some(id) => Some(find_visible::<party_member::Entity>(&txn, principal, id).await?),
        None => own_membership(&txn, principal).await?,
    };
    let Some(member) = member else {
        return refuse(txn, None, RegistrationRefusal::NotAMember).await;
    };
    let Some(submitted_by) = registrant(principal, &member) else {
        return refuse(txn, None, RegistrationRefusal::NotRegistrant).await;
    };
    lock_owner::<party_member::Entity>(&txn, member.id).await?;
    if let Err(refusal) = check_placement(&txn, placement).await? {
        return refuse(txn, None, refusal).await;
    }
    if open_registration(&txn, member.id).await?.is_some() {
        return refuse(txn, None, RegistrationRefusal::AlreadyRegistered).await;
    }
    let registration = match submit(&txn, &member, placement, submitted_by).await {
        Ok(registration) => registration,
        Err(err) if already_registered(&err) => {
            return refuse(txn, None, RegistrationRefusal::AlreadyRegistered).await;
        }
        Err(err) => return Err(err.into()),
    };
    submitted(&registration, "register_member")
        .record(&txn, &Actor::from(principal))
        .await?;
    txn.commit().await?;
    Ok(applied(registration))
}

/// Community staff accept a submitted registration, assigning a grid inside the community
/// (the one the member named, unless they assign another); the member's unit gets its receipt.
pub async fn accept_registration(
    db: &Db,
    principal: &Principal,
    registration_id: i64,
    grid_id: Option<i64>,
) -> Result<RegistrationOutcome, ApiError> {
    principal.require(Scope::RegistrationsWrite)?;
    let txn = begin_write(db).await?;
    let registration =
        find_visible::<member_registration::Entity>(&txn, principal, registration_id).await?;
    if !community_staff_of(principal, registration.community_id) {
        return refuse(
            txn,
            Some(registration),
            RegistrationRefusal::NotCommunityStaff,
        )
        .await;
    }
    if registration.status != MemberRegistrationStatus::Submitted {
        return refuse(txn, Some(registration), RegistrationRefusal::NotSubmitted).await;
    }
    let Some(grid_id) = grid_id.or(registration.grid_id) else {
        return refuse(txn, Some(registration), RegistrationRefusal::GridRequired).await;
    };
    let placement = Placement {
        community_id: registration.community_id,
        grid_id: Some(grid_id),
    };
    if let Err(refusal) = check_placement(&txn, placement).await? {
        return refuse(txn, Some(registration), refusal).await;
    }
    let now = Utc::now();
    let decided = member_registration::Model {
        status: MemberRegistrationStatus::Accepted,
        grid_id: Some(grid_id),
        decided_at: Some(now),
        receipt_issued_at: Some(now),
        updated_at: now,
        ..registration.clone()
    };
    decide(
        txn,
        principal,
        &registration,
        decided,
        "accept_member_registration",
    )
    .await
}

/// Community staff reject a submitted registration, saying why.
pub async fn reject_registration(
    db: &Db,
    principal: &Principal,
    registration_id: i64,
    note: &str,
) -> Result<RegistrationOutcome, ApiError> {
    principal.require(Scope::RegistrationsWrite)?;
    let txn = begin_write(db).await?;
    let registration =
        find_visible::<member_registration::Entity>(&txn, principal, registration_id).await?;
    if !community_staff_of(principal, registration.community_id) {
        return refuse(
            txn,
            Some(registration),
            RegistrationRefusal::NotCommunityStaff,
        )
        .await;
    }
    if registration.status != MemberRegistrationStatus::Submitted {
        return refuse(txn, Some(registration), RegistrationRefusal::NotSubmitted).await;
    }
    let note = note.trim();
    if note.is_empty() {
        return refuse(txn, Some(registration), RegistrationRefusal::NoteRequired).await;
    }
    let now = Utc::now();
    let decided = member_registration::Model {
        status: MemberRegistrationStatus::Rejected,
        decision_note: Some(note.to_owned()),
        decided_at: Some(now),
        updated_at: now,
        ..registration.clone()
    };
    decide(
        txn,
        principal,
        &registration,
        decided,
        "reject_member_registration",
    )
    .await
}

/// Moves an active registration to another community in one step: the old one is closed as
/// transferred and points to the new one, submitted for the new community's decision.
pub async fn transfer_registration(
    db: &Db,
    principal: &Principal,
    registration_id: i64,
    placement: Placement,
) -> Result<RegistrationOutcome, ApiError> {
    principal.require(Scope::RegistrationsWrite)?;
    let txn = begin_write(db).await?;
    let old = find_visible::<member_registration::Entity>(&txn, principal, registration_id).await?;
    let member = find_visible::<party_member::Entity>(&txn, principal, old.party_member_id).await?;
    let Some(submitted_by) = registrant(principal, &member) else {
        return refuse(txn, Some(old), RegistrationRefusal::NotRegistrant).await;
    };
    // Taken before the state is checked, as `register_member` does, so that a transfer and a
    // new registration of the same member take turns.
    lock_owner::<party_member::Entity>(&txn, member.id).await?;
    if old.status != MemberRegistrationStatus::Accepted {
        return refuse(txn, Some(old), RegistrationRefusal::NotActive).await;
    }
    if placement.community_id == old.community_id {
        return refuse(txn, Some(old), RegistrationRefusal::SameCommunity).await;
    }
    if let Err(refusal) = check_placement(&txn, placement).await? {
        return refuse(txn, Some(old), refusal).await;
    }
    // Closing the old registration first frees the member's one open slot for the new one.
    let now = Utc::now();
    let closed = member_registration::Model {
        status: MemberRegistrationStatus::Transferred,
        updated_at: now,
        ..old.clone()
    };
    if !compare_and_set(&txn, &old, &closed).await? {
        return refuse(txn, Some(old), RegistrationRefusal::NotActive).await;
    }
    let actor = Actor::from(principal);
    leave_community_posts(&txn, &actor, member.id, old.community_id).await?;
    let new = submit(&txn, &member, placement, submitted_by).await?;
    member_registration::Entity::update_many()
        .col_expr(
            member_registration::Column::UpdatedAt,
            Expr::value(Utc::now()),
        )
        .col_expr(
            member_registration::Column::TransferredToId,
            Expr::value(new.id),
        )
        .filter(member_registration::Column::Id.eq(old.id))
        .exec(&txn)
        .await?;
    Transition::new(
        "transfer_member_registration",
        "member_registration",
        old.id,
        old.status,
        MemberRegistrationStatus::Transferred,
    )
    .record(&txn, &actor)
    .await?;
    submitted(&new, "transfer_member_registration")
        .record(&txn, &actor)
        .await?;
    txn.commit().await?;
    Ok(applied(new))
}

/// Closes an active registration: the member, their unit or the community's staff end it.
pub async fn deregister(
    db: &Db,
    principal: &Principal,
    registration_id: i64,
) -> Result<RegistrationOutcome, ApiError> {
    principal.require(Scope::RegistrationsWrite)?;
    let txn = begin_write(db).await?;
    let registration =
        find_visible::<member_registration::Entity>(&txn, principal, registration_id).await?;
    let member =
        find_visible::<party_member::Entity>(&txn, principal, registration.party_member_id).await?;
    if registrant(principal, &member).is_none()
        && !community_staff_of(principal, registration.community_id)
    {
        return refuse(txn, Some(registration), RegistrationRefusal::NotRegistrant).await;
    }
    // The member's row first, as every change of their registrations and post claims takes
    // it: an application for a post of this community at this moment waits, then finds the
    // member gone.
    lock_owner::<party_member::Entity>(&txn, member.id).await?;
    if registration.status != MemberRegistrationStatus::Accepted {
        return refuse(txn, Some(registration), RegistrationRefusal::NotActive).await;
    }
    let closed = member_registration::Model {
        status: MemberRegistrationStatus::Deregistered,
        updated_at: Utc::now(),
        ..registration.clone()
    };
    leave_community_posts(
        &txn,
        &Actor::from(principal),
        member.id,
        registration.community_id,
    )
    .await?;
    decide(txn, principal, &registration, closed, "deregister_member").await
}

/// One row of a bulk registration: a member of the unit and where they live.
#[derive(Debug, Clone, Copy, serde::Serialize, serde::Deserialize)]
pub struct BulkRow {
    pub member_id: i64,
    pub placement: Placement,
}

/// The result of one bulk row: the new registration, or why the row was refused.
pub type BulkRowOutcome = Outcome<member_registration::Model, RegistrationRefusal>;

/// A unit registers many of its members at once. Every valid row is applied and every refused
/// row says why, in the order of the rows; it costs a fixed number of statements whatever the
/// number of rows, all in one transaction. A row may come already refused, when its ids could
/// not be read.
pub async fn bulk_register(
    db: &Db,
    principal: &Principal,
    unit_id: i64,
    rows: &[Result<BulkRow, RegistrationRefusal>],
) -> Result<Vec<BulkRowOutcome>, ApiError> {
    principal.require(Scope::RegistrationsWrite)?;
    if rows.len() > MAX_BULK_ROWS {
        return Err(ApiError::bad_input(
            "rows",
            format!("at most {MAX_BULK_ROWS} rows per call"),
        ));
    }
    if !acts_for(principal, unit_id, PARTY_UNIT_ADMINS) {
        return Err(ApiError::Forbidden(
            "only the unit's Party unit administrators and API clients register its members"
                .to_owned(),
        ));
    }
    let txn = begin_write(db).await?;
    let member_ids: Vec<i64> = rows.iter().flatten().map(|row| row.member_id).collect();
    let members: HashMap<i64, party_member::Model> = by_chunks(&member_ids, |chunk| {
        party_member::Entity::find()
            .filter(party_member::Column::Id.is_in(chunk))
            .filter(party_member::Column::OrganizationId.eq(unit_id))
            .all(&txn)
    })
    .await?
    .into_iter()
    .map(|member| (member.id, member))
    .collect();
    let unit_members: Vec<i64> = members.keys().copied().collect();
    lock_owners::<party_member::Entity>(&txn, &unit_members).await?;
    let registered: HashSet<i64> = open_registrations(&txn, &unit_members)
        .await?
        .into_iter()
        .map(|registration| registration.party_member_id)
        .collect();
    let unit_ids: Vec<i64> = rows
        .iter()
        .flatten()
        .flat_map(|row| [Some(row.placement.community_id), row.placement.grid_id])
        .flatten()
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let units: HashMap<i64, admin_unit::Model> = by_chunks(&unit_ids, |chunk| {
        admin_unit::Entity::find()
            .filter(admin_unit::Column::Id.is_in(chunk))
            .all(&txn)
    })
    .await?
    .into_iter()
    .map(|unit| (unit.id, unit))
    .collect();

    let mut seen = HashSet::new();
    let checked: Vec<Result<(&party_member::Model, Placement), RegistrationRefusal>> = rows
        .iter()
        .map(|row| {
            let BulkRow {
                member_id,
                placement,
            } = (*row)?;
            let member = members
                .get(&member_id)
                .ok_or(RegistrationRefusal::UnknownMember)?;
            placement_in(&units, placement)?;
            if !seen.insert(member.id) {
                return Err(RegistrationRefusal::DuplicateRow);
            }
            if registered.contains(&member.id) {
                return Err(RegistrationRefusal::AlreadyRegistered);
            }
            Ok((member, placement))
        })
        .collect();

    let now = Utc::now();
    let new_rows: Vec<member_registration::ActiveModel> = checked
        .iter()
        .filter_map(|row| row.as_ref().ok())
        .map(|(member, placement)| new_registration(member, *placement, SubmittedBy::Unit, now))
        .collect();
    let applied: Vec<i64> = checked
        .iter()
        .filter_map(|row| row.as_ref().ok().map(|(member, _)| member.id))
        .collect();
    // Each member appears once and had no open registration under the lock, so either every
    // row goes in or the transaction fails as a whole: never a partial write without a report.
    for chunk in new_rows.chunks(INSERT_CHUNK) {
        member_registration::Entity::insert_many(chunk.to_vec())
            .exec(&txn)
            .await?;
    }
    let created: HashMap<i64, member_registration::Model> = open_registrations(&txn, &applied)
        .await?
        .into_iter()
        .map(|registration| (registration.party_member_id, registration))
        .collect();
    let transitions = created
        .values()
        .map(|registration| submitted(registration, "bulk_register_members"))
        .collect();
    Transition::record_all(transitions, &txn, &Actor::from(principal)).await?;
    txn.commit().await?;

    checked
        .into_iter()
        .map(|row| match row {
            Ok((member, _)) => created
                .get(&member.id)
                .cloned()
                .map(Outcome::done)
                .ok_or(ApiError::Internal),
            Err(refusal) => Ok(Outcome::refused(None, refusal)),
        })
        .collect()
}

/// Rows per multi-row insert: 13 columns each stays well below SQLite's limit of bound
/// parameters.
const INSERT_CHUNK: usize = 500;

/// Runs `query` for the ids in chunks and gathers the rows.
async fn by_chunks<T, F, Fut>(ids: &[i64], mut query: F) -> Result<Vec<T>, DbErr>
where
    F: FnMut(Vec<i64>) -> Fut,
    Fut: Future<Output = Result<Vec<T>, DbErr>>,
{
    let mut rows = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(ID_CHUNK) {
        rows.extend(query(chunk.to_vec()).await?);
    }
    Ok(rows)
}

/// The registrant kind of the caller for this member: the member themself, or their unit.
fn registrant(principal: &Principal, member: &party_member::Model) -> Option<SubmittedBy> {
    if principal.kind == Some(PrincipalKind::Person)
        && principal.person_id == Some(member.person_id)
    {
        return Some(SubmittedBy::Member);
    }
    acts_for(principal, member.organization_id, PARTY_UNIT_ADMINS).then_some(SubmittedBy::Unit)
}

async fn open_registration(
    txn: &DatabaseTransaction,
    member_id: i64,
) -> Result<Option<member_registration::Model>, DbErr> {
    Ok(open_registrations(txn, &[member_id]).await?.pop())
}

async fn open_registrations(
    txn: &DatabaseTransaction,
    member_ids: &[i64],
) -> Result<Vec<member_registration::Model>, DbErr> {
    by_chunks(member_ids, |chunk| {
        member_registration::Entity::find()
            .filter(member_registration::Column::PartyMemberId.is_in(chunk))
            .filter(member_registration::Column::Status.is_in(OPEN))
            .all(txn)
    })
    .await
}

/// Checks that the community is a community and the grid, if any, a grid inside it.
async fn check_placement(
    txn: &DatabaseTransaction,
    placement: Placement,
) -> Result<Result<(), RegistrationRefusal>, DbErr> {
    let ids: Vec<i64> = [Some(placement.community_id), placement.grid_id]
        .into_iter()
        .flatten()
        .collect();
    let units: HashMap<i64, admin_unit::Model> = admin_unit::Entity::find()
        .filter(admin_unit::Column::Id.is_in(ids))
        .all(txn)
        .await?
        .into_iter()
        .map(|unit| (unit.id, unit))
        .collect();
    Ok(placement_in(&units, placement))
}

fn placement_in(
    units: &HashMap<i64, admin_unit::Model>,
    placement: Placement,
) -> Result<(), RegistrationRefusal> {
    let community = units
        .get(&placement.community_id)
        .filter(|unit| unit.level == UnitLevel::Community)
        .ok_or(RegistrationRefusal::UnknownCommunity)?;
    match placement.grid_id {
        None => Ok(()),
        Some(grid_id) => units
            .get(&grid_id)
            .filter(|grid| grid.level == UnitLevel::Grid && grid.parent_id == Some(community.id))
            .map(drop)
            .ok_or(RegistrationRefusal::GridNotInCommunity),
    }
}

fn new_registration(
    member: &party_member::Model,
    placement: Placement,
    submitted_by: SubmittedBy,
    now: chrono::DateTime<Utc>,
) -> member_registration::ActiveModel {
    member_registration::ActiveModel {
        party_member_id: Set(member.id),
        community_id: Set(placement.community_id),
        grid_id: Set(placement.grid_id),
        // The member's unit now: the community reports each period to the unit of that period.
        organization_id: Set(member.organization_id),
        status: Set(MemberRegistrationStatus::Submitted),
        submitted_by: Set(submitted_by),
        decision_note: Set(None),
        transferred_to_id: Set(None),
        decided_at: Set(None),
        receipt_issued_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
}

async fn submit(
    txn: &DatabaseTransaction,
    member: &party_member::Model,
    placement: Placement,
    submitted_by: SubmittedBy,
) -> Result<member_registration::Model, DbErr> {
    new_registration(member, placement, submitted_by, Utc::now())
        .insert(txn)
        .await
}

/// A new registration, recorded as entering its first state.
fn submitted(registration: &member_registration::Model, action: &'static str) -> Transition {
    Transition::new(
        action,
        "member_registration",
        registration.id,
        registration.status,
        registration.status,
    )
}

/// Writes `to` over `from` if nobody changed the registration's status since it was read.
async fn compare_and_set(
    txn: &DatabaseTransaction,
    from: &member_registration::Model,
    to: &member_registration::Model,
) -> Result<bool, DbErr> {
    use member_registration::Column as C;
    let updated = member_registration::Entity::update_many()
        .col_expr(C::Status, Expr::value(to.status))
        .col_expr(C::GridId, Expr::value(to.grid_id))
        .col_expr(C::DecisionNote, Expr::value(to.decision_note.clone()))
        .col_expr(C::DecidedAt, Expr::value(to.decided_at))
        .col_expr(C::ReceiptIssuedAt, Expr::value(to.receipt_issued_at))
        .col_expr(C::UpdatedAt, Expr::value(to.updated_at))
        .filter(C::Id.eq(from.id))
        .filter(C::Status.eq(from.status))
        .exec(txn)
        .await?;
    Ok(updated.rows_affected == 1)
}

/// Ends a decision (accept, reject, deregister): the compare-and-set and its audit record.
async fn decide(
    txn: DatabaseTransaction,
    principal: &Principal,
    from: &member_registration::Model,
    to: member_registration::Model,
    action: &'static str,
) -> Result<RegistrationOutcome, ApiError> {
    if !compare_and_set(&txn, from, &to).await? {
        // Another decision committed first.
        let refusal = match from.status {
            MemberRegistrationStatus::Submitted => RegistrationRefusal::NotSubmitted,
            _ => RegistrationRefusal::NotActive,
        };
        return refuse(txn, Some(from.clone()), refusal).await;
    }
    Transition::new(
        action,
        "member_registration",
        from.id,
        from.status,
        to.status,
    )
    .record(&txn, &Actor::from(principal))
    .await?;
    txn.commit().await?;
    Ok(applied(to))
}

/// The outcome of a change that was made.
fn applied(registration: member_registration::Model) -> RegistrationOutcome {
    Outcome::done(registration)
}

/// A second open registration of one member violates the one-open-registration index.
fn already_registered(err: &DbErr) -> bool {
    matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_)))
}
