//! Micro-wishes: the rules of claiming and releasing, each a compare-and-set on the wish's
//! version inside one transaction, with its audit record.

use chrono::{Duration, Utc};
use entities::micro_wish::{self, WishStatus};
use entities::wish_claim::{self, ClaimStatus, ClaimantKind};
use entities::{party_member, person};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait,
    DatabaseConnection, DatabaseTransaction, DbErr, EntityTrait, PaginatorTrait, QueryFilter,
};

use super::audit::{Actor, Transition};
use super::scope::Scoped;
use super::transaction::begin_write;
use crate::auth::{Principal, PrincipalKind, Scope};
use crate::error::ApiError;

/// Limits of the claim workflow, from the configuration.
#[derive(Debug, Clone, Copy)]
pub struct WishRules {
    /// Open (active or delivered) claims one claimant may hold at once.
    pub max_open_claims: u64,
    /// How long a claimant has to deliver.
    pub claim_period: Duration,
}

/// Why a wish transition was refused: the caller's request does not fit the wish's state or the
/// caller's role. Each has a stable code partners can act on.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, thiserror::Error, serde::Serialize, serde::Deserialize,
)]
pub enum WishRefusal {
    #[error("the wish is not open for claiming")]
    NotOpen,
    #[error("the wish has already been claimed")]
    AlreadyClaimed,
    #[error("only the claimant may do this")]
    NotClaimant,
    #[error("a claimant may not claim a wish of their own or of their household")]
    OwnWish,
    #[error("the claimant already holds the most open claims allowed")]
    TooManyOpenClaims,
    #[error(
        "this caller cannot claim wishes: claims are made by organisations, Party members and volunteers"
    )]
    NotAClaimant,
}

impl WishRefusal {
    pub fn code(self) -> &'static str {
        match self {
            Self::NotOpen => "WISH_NOT_OPEN",
            Self::AlreadyClaimed => "ALREADY_CLAIMED",
            Self::NotClaimant => "NOT_CLAIMANT",
            Self::OwnWish => "OWN_WISH",
            Self::TooManyOpenClaims => "TOO_MANY_OPEN_CLAIMS",
            Self::NotAClaimant => "NOT_A_CLAIMANT",
        }
    }
}

/// The outcome of a wish mutation: the wish as it stands after it, and the refusal if any.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct WishOutcome {
    pub wish: micro_wish::Model,
    pub refusal: Option<WishRefusal>,
}

/// Who claims, derived from the caller.
#[derive(Debug, Clone, Copy)]
enum Claimant {
    Organization(i64),
    Person { id: i64, kind: ClaimantKind },
}

/// Claims an open wish for the caller. Of concurrent claims of one wish exactly one wins: the
/// claim is a compare-and-set of the wish's status and version, and the database holds at most
/// one active claim per wish.
pub async fn claim_wish(
    db: &DatabaseConnection,
    principal: &Principal,
    wish_id: i64,
    rules: WishRules,
) -> Result<WishOutcome, ApiError> {
    principal.require(Scope::WishesWrite)?;
    let txn = begin_write(db).await?;
    let wish = claimable_wish(&txn, principal, wish_id).await?;
    let claimant = match claimant(&txn, principal).await? {
        Some(claimant) => claimant,
        None => return refuse(txn, wish, WishRefusal::NotAClaimant).await,
    };
    match wish.status {
        WishStatus::Open => {}
        WishStatus::Claimed | WishStatus::Delivered | WishStatus::Disputed => {
            return refuse(txn, wish, WishRefusal::AlreadyClaimed).await;
        }
        _ => return refuse(txn, wish, WishRefusal::NotOpen).await,
    }
    if let Claimant::Person { id, .. } = claimant
        && is_own_wish(&txn, &wish, id).await?
    {
        return refuse(txn, wish, WishRefusal::OwnWish).await;
    }
    if open_claims(&txn, claimant).await? >= rules.max_open_claims {
        return refuse(txn, wish, WishRefusal::TooManyOpenClaims).await;
    }
    let Some(claimed) = compare_and_set(&txn, &wish, WishStatus::Claimed).await? else {
        // Someone else's claim committed first.
        return refuse(txn, wish, WishRefusal::AlreadyClaimed).await;
    };
    let now = Utc::now();
    let (kind, organization, person) = match claimant {
        Claimant::Organization(id) => (ClaimantKind::Organization, Some(id), None),
        Claimant::Person { id, kind } => (kind, None, Some(id)),
    };
    wish_claim::ActiveModel {
        wish_id: Set(wish.id),
        claimant_kind: Set(kind),
        claimant_organization_id: Set(organization),
        claimant_person_id: Set(person),
        status: Set(ClaimStatus::Active),
        due_at: Set(now + rules.claim_period),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await
    .map_err(already_claimed_or)?;
    Transition::of_wish(&wish, WishStatus::Claimed, "claim_wish")
        .record(&txn, &Actor::from(principal))
        .await?;
    txn.commit().await?;
    Ok(WishOutcome {
        wish: claimed,
        refusal: None,
    })
}

/// Releases the caller's active claim: the wish reopens for others.
pub async fn release_claim(
    db: &DatabaseConnection,
    principal: &Principal,
    wish_id: i64,
) -> Result<WishOutcome, ApiError> {
    principal.require(Scope::WishesWrite)?;
    let txn = begin_write(db).await?;
    let wish = claimable_wish(&txn, principal, wish_id).await?;
    let claim = wish_claim::Entity::find()
        .filter(wish_claim::Column::WishId.eq(wish.id))
        .filter(wish_claim::Column::Status.eq(ClaimStatus::Active))
        .one(&txn)
        .await?;
    let claimant = claimant(&txn, principal).await?;
    let Some(claim) = claim.filter(|claim| claimant.is_some_and(|claimant| holds(claim, claimant)))
    else {
        return refuse(txn, wish, WishRefusal::NotClaimant).await;
    };
    let Some(reopened) = compare_and_set(&txn, &wish, WishStatus::Open).await? else {
        return refuse(txn, wish, WishRefusal::NotClaimant).await;
    };
    let now = Utc::now();
    let mut released: wish_claim::ActiveModel = claim.into();
    released.status = Set(ClaimStatus::Released);
    released.closed_at = Set(Some(now));
    released.updated_at = Set(now);
    released.update(&txn).await?;
    Transition::of_wish(&wish, WishStatus::Open, "release_claim")
        .record(&txn, &Actor::from(principal))
        .await?;
    txn.commit().await?;
    Ok(WishOutcome {
        wish: reopened,
        refusal: None,
    })
}

/// The wish, if the caller may see it or could once: a published wish was public while it was
/// open, so a claimant who lost the race learns `ALREADY_CLAIMED`, not that it vanished. Any
/// other wish is NOT_FOUND, as if it did not exist.
async fn claimable_wish(
    txn: &DatabaseTransaction,
    principal: &Principal,
    wish_id: i64,
) -> Result<micro_wish::Model, ApiError> {
    micro_wish::Entity::find_by_id(wish_id)
        .filter(
            Condition::any()
                .add(micro_wish::Entity::visible_to(principal))
                .add(micro_wish::Column::PublishedAt.is_not_null()),
        )
        .one(txn)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("micro-wish {wish_id}")))
}

/// Moves the wish to `status` if nobody changed it since it was read; `None` when somebody did.
async fn compare_and_set(
    txn: &DatabaseTransaction,
    wish: &micro_wish::Model,
    status: WishStatus,
) -> Result<Option<micro_wish::Model>, DbErr> {
    let now = Utc::now();
    let updated = micro_wish::Entity::update_many()
        .col_expr(micro_wish::Column::Status, Expr::value(status))
        .col_expr(
            micro_wish::Column::Version,
            Expr::col(micro_wish::Column::Version).add(1),
        )
        .col_expr(micro_wish::Column::UpdatedAt, Expr::value(now))
        .filter(micro_wish::Column::Id.eq(wish.id))
        .filter(micro_wish::Column::Version.eq(wish.version))
        .exec(txn)
        .await?;
    if updated.rows_affected == 0 {
        return Ok(None);
    }
    Ok(Some(micro_wish::Model {
        status,
        version: wish.version + 1,
        updated_at: now,
        ..wish.clone()
    }))
}

/// Ends a refused transition: nothing changed, the wish is returned as it is.
async fn refuse(
    txn: DatabaseTransaction,
    wish: micro_wish::Model,
    refusal: WishRefusal,
) -> Result<WishOutcome, ApiError> {
    txn.rollback().await?;
    Ok(WishOutcome {
        wish,
        refusal: Some(refusal),
    })
}

/// A second active claim of one wish violates the database's one-active-claim index.
fn already_claimed_or(err: DbErr) -> ApiError {
    match err.sql_err() {
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => {
            ApiError::Conflict(WishRefusal::AlreadyClaimed.to_string())
        }
        _ => err.into(),
    }
}

async fn claimant(
    txn: &impl ConnectionTrait,
    principal: &Principal,
) -> Result<Option<Claimant>, DbErr> {
    use entities::role_grant::Role;
    Ok(match principal.kind {
        Some(PrincipalKind::Client) => principal.organization_id.map(Claimant::Organization),
        Some(PrincipalKind::Staff) => principal
            .grants
            .iter()
            .find(|grant| matches!(grant.role, Role::OrgAdmin | Role::PartyUnitAdmin))
            .and_then(|grant| grant.org)
            .map(Claimant::Organization),
        Some(PrincipalKind::Person) => match principal.person_id {
            Some(id) => {
                let member = party_member::Entity::find()
                    .filter(party_member::Column::PersonId.eq(id))
                    .count(txn)
                    .await?;
                let kind = if member > 0 {
                    ClaimantKind::PartyMember
                } else {
                    ClaimantKind::Volunteer
                };
                Some(Claimant::Person { id, kind })
            }
            None => None,
        },
        None => None,
    })
}

fn holds(claim: &wish_claim::Model, claimant: Claimant) -> bool {
    match claimant {
        Claimant::Organization(id) => claim.claimant_organization_id == Some(id),
        Claimant::Person { id, .. } => claim.claimant_person_id == Some(id),
    }
}

/// The claimant is the beneficiary or lives in the beneficiary's household.
async fn is_own_wish(
    txn: &impl ConnectionTrait,
    wish: &micro_wish::Model,
    claimant: i64,
) -> Result<bool, DbErr> {
    if claimant == wish.beneficiary_person_id {
        return Ok(true);
    }
    let people = person::Entity::find()
        .filter(person::Column::Id.is_in([claimant, wish.beneficiary_person_id]))
        .all(txn)
        .await?;
    let home = |id: i64| {
        people
            .iter()
            .find(|person| person.id == id)
            .and_then(|person| person.household_id)
    };
    Ok(home(claimant).is_some() && home(claimant) == home(wish.beneficiary_person_id))
}

async fn open_claims(txn: &impl ConnectionTrait, claimant: Claimant) -> Result<u64, DbErr> {
    let open = wish_claim::Entity::find()
        .filter(wish_claim::Column::Status.is_in([ClaimStatus::Active, ClaimStatus::Delivered]));
    match claimant {
        Claimant::Organization(id) => {
            open.filter(wish_claim::Column::ClaimantOrganizationId.eq(id))
        }
        Claimant::Person { id, .. } => open.filter(wish_claim::Column::ClaimantPersonId.eq(id)),
    }
    .count(txn)
    .await
}
