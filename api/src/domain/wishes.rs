//! Micro-wishes: the whole life of a wish, from submission to fulfilment. Every transition is a
//! compare-and-set on the wish's status and version inside one write transaction, with its
//! audit record; a transition the state or the caller's role does not allow is refused with a
//! stable code and changes nothing.

use chrono::{DateTime, Duration, Utc};
use entities::micro_wish::{self, WishCategory, WishStatus};
use entities::role_grant::Role;
use entities::wish_claim::{self, ClaimStatus, ClaimantKind};
use entities::{household, organization, party_member, person};
use sea_orm::sea_query::{Expr, ExprTrait, SimpleExpr};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait,
    DatabaseConnection, DatabaseTransaction, DbErr, EntityTrait, PaginatorTrait, QueryFilter,
    QuerySelect,
};
use serde::{Deserialize, Serialize};

use super::audit::{Actor, Transition};
use super::outcome::{Outcome, refusals, refuse};
use super::permissions::{CARETAKERS, COMMUNITY_OR_ABOVE, organizing_organization, staff_covers};
use super::rows::{find_visible, lock_owner, not_found, reload};
use super::scope::Scoped;
use super::transaction::{Db, begin_write};
use crate::auth::{Principal, PrincipalKind, Scope};
use crate::db::begin_immediate;
use crate::error::ApiError;

/// Limits of the claim workflow, from the configuration.
#[derive(Debug, Clone, Copy)]
pub struct WishRules {
    /// Open (active or delivered) claims one claimant may hold at once.
    pub max_open_claims: u64,
    /// How long a claimant has to deliver.
    pub claim_period: Duration,
}

refusals! {
    /// Why a wish transition was refused.
    pub enum WishRefusal for "MicroWish" {
        NotOpen => WISH_NOT_OPEN @ "wishId": "the wish is not open",
        NotSubmitted => WISH_NOT_SUBMITTED @ "wishId": "the wish is not waiting for review",
        NotClaimed => WISH_NOT_CLAIMED @ "wishId": "the wish is not claimed",
        NotDelivered => WISH_NOT_DELIVERED @ "wishId": "the wish has not been delivered",
        NotDisputed => WISH_NOT_DISPUTED @ "wishId": "the wish is not disputed",
        AlreadyClaimed => ALREADY_CLAIMED @ "wishId": "the wish has already been claimed",
        NotClaimant => NOT_CLAIMANT @ "wishId": "only the claimant may do this",
        NotPoster => NOT_POSTER @ "wishId": "only the wish's poster or beneficiary may do this",
        OwnWish => OWN_WISH @ "wishId":
            "a claimant may not claim a wish of their own or of their household",
        TooManyOpenClaims => TOO_MANY_OPEN_CLAIMS @ "wishId":
            "the claimant already holds the most open claims allowed",
        NotAClaimant => NOT_A_CLAIMANT @ "wishId":
            "this caller cannot claim wishes: claims are made by organisations, Party members and volunteers",
        NotPermitted => NOT_PERMITTED @ "wishId":
            "the caller's role does not allow this on this wish",
        DeadlinePassed => DEADLINE_PASSED @ "deadline": "the deadline must lie in the future",
        NotInGrid => NOT_IN_GRID @ "beneficiaryId": "the beneficiary does not live in this grid",
    }
}

/// The outcome of a wish mutation: the wish as it stands after it (absent when a submission
/// was refused), and the refusal if any.
pub type WishOutcome = Outcome<micro_wish::Model, WishRefusal>;

/// A new wish, as a resident (or grid staff for them) submits it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NewWish {
    /// The resident the wish is for; `None` when residents submit for themselves.
    pub beneficiary_id: Option<i64>,
    pub title: String,
    pub description: String,
    pub category: WishCategory,
    pub estimated_value_cents: i32,
    pub deadline: DateTime<Utc>,
}

/// Evidence of a delivery.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Evidence {
    pub note: String,
    pub photo_urls: Vec<String>,
}

/// How staff settle a disputed delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum DisputeResolution {
    /// The claimant carries on: back to claimed, with a new claim period to deliver again.
    BackToClaimed,
    /// The claim is revoked and the wish reopens.
    RevokeClaim,
}

/// Submits a wish: a resident for themself, or grid staff for a resident of their grid.
pub async fn submit_wish(
    db: &Db,
    principal: &Principal,
    new: NewWish,
) -> Result<WishOutcome, ApiError> {
    if principal.is_anonymous() {
        return Err(ApiError::Unauthenticated);
    }
    let txn = begin_write(db).await?;
    let beneficiary = match (new.beneficiary_id, principal.kind) {
        (Some(id), _) => id,
        (None, Some(PrincipalKind::Person)) => {
            principal.person_id.ok_or(ApiError::Unauthenticated)?
        }
        (None, _) => {
            return Err(ApiError::bad_input(
                "beneficiaryId",
                "staff submit wishes for a resident: name the beneficiary",
            ));
        }
    };
    // A beneficiary the caller may not read is not found, as in reads: the answer never tells
    // residents apart from other people.
    let home = find_visible::<person::Entity>(&txn, principal, beneficiary)
        .await?
        .household_id;
    let home = match home {
        Some(id) => household::Entity::find_by_id(id).one(&txn).await?,
        None => None,
    };
    let Some(home) = home else {
        return refuse(txn, None, WishRefusal::NotInGrid).await;
    };
    let for_self = principal.person_id == Some(beneficiary);
    if !for_self && !staff_covers(&txn, principal, CARETAKERS, home.grid_id).await? {
        return refuse(txn, None, WishRefusal::NotPermitted).await;
    }
    if new.deadline <= Utc::now() {
        return refuse(txn, None, WishRefusal::DeadlinePassed).await;
    }
    let now = Utc::now();
    let wish = micro_wish::ActiveModel {
        beneficiary_person_id: Set(beneficiary),
        poster_person_id: Set(principal.person_id.unwrap_or(beneficiary)),
        community_id: Set(home.community_id),
        grid_id: Set(home.grid_id),
        title: Set(new.title),
        description: Set(new.description),
        category: Set(new.category),
        estimated_value_cents: Set(new.estimated_value_cents),
        deadline: Set(new.deadline),
        status: Set(WishStatus::Submitted),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    Transition::created("submit_wish", "micro_wish", wish.id, WishStatus::Submitted)
        .record(&txn, &Actor::from(principal))
        .await?;
    txn.commit().await?;
    Ok(Outcome::done(wish))
}

/// Community staff publish a submitted wish, or reject it with a reason.
pub async fn review_wish(
    db: &Db,
    principal: &Principal,
    wish_id: i64,
    publish: bool,
    note: Option<String>,
) -> Result<WishOutcome, ApiError> {
    let change = WishChange::begin(db, principal, wish_id).await?;
    if !change.staff_covers(COMMUNITY_OR_ABOVE).await? {
        return change.refuse(WishRefusal::NotPermitted).await;
    }
    if change.wish.status != WishStatus::Submitted {
        return change.refuse(WishRefusal::NotSubmitted).await;
    }
    let review_note = (micro_wish::Column::ReviewNote, Expr::value(note));
    if publish {
        let published = (micro_wish::Column::PublishedAt, Expr::value(Utc::now()));
        change
            .move_to(
                WishStatus::Open,
                "publish_wish",
                vec![review_note, published],
            )
            .await
    } else {
        change
            .move_to(WishStatus::Rejected, "reject_wish", vec![review_note])
            .await
    }
}

/// Claims an open wish for the caller. Of concurrent claims of one wish exactly one wins: the
/// claim is a compare-and-set of the wish's status and version, and the database holds at most
/// one active claim per wish.
pub async fn claim_wish(
    db: &Db,
    principal: &Principal,
    wish_id: i64,
    rules: WishRules,
) -> Result<WishOutcome, ApiError> {
    principal.require(Scope::WishesWrite)?;
    let change = WishChange::begin_claim(db, principal, wish_id).await?;
    let Some(claimant) = claimant(&change.txn, principal).await? else {
        return change.refuse(WishRefusal::NotAClaimant).await;
    };
    match change.wish.status {
        WishStatus::Open => {}
        WishStatus::Claimed | WishStatus::Delivered | WishStatus::Disputed => {
            return change.refuse(WishRefusal::AlreadyClaimed).await;
        }
        _ => return change.refuse(WishRefusal::NotOpen).await,
    }
    if let Claimant::Person { id, .. } = claimant
        && is_own_wish(&change.txn, &change.wish, id).await?
    {
        return change.refuse(WishRefusal::OwnWish).await;
    }
    // The claimant's row owns the cap: their claims take turns, so each counts the others.
    match claimant {
        Claimant::Organization(id) => lock_owner::<organization::Entity>(&change.txn, id).await?,
        Claimant::Person { id, .. } => lock_owner::<person::Entity>(&change.txn, id).await?,
    }
    if open_claims(&change.txn, claimant).await? >= rules.max_open_claims {
        return change.refuse(WishRefusal::TooManyOpenClaims).await;
    }
    let now = Utc::now();
    let (kind, organization, person) = match claimant {
        Claimant::Organization(id) => (ClaimantKind::Organization, Some(id), None),
        Claimant::Person { id, kind } => (kind, None, Some(id)),
    };
    let wish = change.wish.id;
    let Some(change) = change
        .compare_and_set(WishStatus::Claimed, Vec::new())
        .await?
    else {
        // Another claim committed first: the wish comes back only if the caller may still read
        // it (staff may; a rival claimant may not).
        let wish = micro_wish::Entity::find_by_id(wish)
            .filter(micro_wish::Entity::visible_to(principal))
            .one(db)
            .await?;
        return Ok(Outcome::refused(wish, WishRefusal::AlreadyClaimed));
    };
    wish_claim::ActiveModel {
        wish_id: Set(wish),
        claimant_kind: Set(kind),
        claimant_organization_id: Set(organization),
        claimant_person_id: Set(person),
        status: Set(ClaimStatus::Active),
        due_at: Set(now + rules.claim_period),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&change.txn)
    .await
    .map_err(already_claimed_or)?;
    change.commit("claim_wish").await
}

/// Releases the caller's active claim: the wish reopens for others.
pub async fn release_claim(
    db: &Db,
    principal: &Principal,
    wish_id: i64,
) -> Result<WishOutcome, ApiError> {
    principal.require(Scope::WishesWrite)?;
    let change = WishChange::begin(db, principal, wish_id).await?;
    let Some(claim) = change.callers_claim(ClaimStatus::Active).await? else {
        return change.refuse(WishRefusal::NotClaimant).await;
    };
    change.close_claim(claim, ClaimStatus::Released).await?;
    change
        .move_to(WishStatus::Open, "release_claim", Vec::new())
        .await
}

/// The claimant reports the wish fulfilled, with evidence.
pub async fn deliver_wish(
    db: &Db,
    principal: &Principal,
    wish_id: i64,
    evidence: Evidence,
) -> Result<WishOutcome, ApiError> {
    principal.require(Scope::WishesWrite)?;
    let change = WishChange::begin(db, principal, wish_id).await?;
    if change.wish.status != WishStatus::Claimed {
        return change.refuse(WishRefusal::NotClaimed).await;
    }
    let Some(claim) = change.callers_claim(ClaimStatus::Active).await? else {
        return change.refuse(WishRefusal::NotClaimant).await;
    };
    let urls = serde_json::to_string(&evidence.photo_urls).map_err(|_| ApiError::Internal)?;
    let mut delivered: wish_claim::ActiveModel = claim.into();
    delivered.status = Set(ClaimStatus::Delivered);
    delivered.evidence_note = Set(Some(evidence.note));
    delivered.evidence_urls = Set(Some(urls));
    delivered.updated_at = Set(Utc::now());
    delivered.update(&change.txn).await?;
    change
        .move_to(WishStatus::Delivered, "deliver_wish", Vec::new())
        .await
}

/// The beneficiary (or grid staff for them) confirms a delivery: the wish is realised.
pub async fn confirm_wish(
    db: &Db,
    principal: &Principal,
    wish_id: i64,
    rating: i16,
    feedback: Option<String>,
) -> Result<WishOutcome, ApiError> {
    if !(1..=5).contains(&rating) {
        return Err(ApiError::bad_input("rating", "the rating is from 1 to 5"));
    }
    let change = WishChange::begin(db, principal, wish_id).await?;
    if !change.is_beneficiary() && !change.staff_covers(CARETAKERS).await? {
        return change.refuse(WishRefusal::NotPermitted).await;
    }
    if change.wish.status != WishStatus::Delivered {
        return change.refuse(WishRefusal::NotDelivered).await;
    }
    let claim = change.current_claim(ClaimStatus::Delivered).await?;
    let now = Utc::now();
    let mut fulfilled: wish_claim::ActiveModel = claim.into();
    fulfilled.status = Set(ClaimStatus::Fulfilled);
    fulfilled.rating = Set(Some(rating));
    fulfilled.feedback = Set(feedback);
    fulfilled.closed_at = Set(Some(now));
    fulfilled.updated_at = Set(now);
    fulfilled.update(&change.txn).await?;
    let realized = (micro_wish::Column::RealizedAt, Expr::value(now));
    change
        .move_to(WishStatus::Realized, "confirm_wish", vec![realized])
        .await
}

/// The beneficiary (or grid staff for them) disputes a delivery; staff then decide.
pub async fn dispute_wish(
    db: &Db,
    principal: &Principal,
    wish_id: i64,
) -> Result<WishOutcome, ApiError> {
    let change = WishChange::begin(db, principal, wish_id).await?;
    if !change.is_beneficiary() && !change.staff_covers(CARETAKERS).await? {
        return change.refuse(WishRefusal::NotPermitted).await;
    }
    if change.wish.status != WishStatus::Delivered {
        return change.refuse(WishRefusal::NotDelivered).await;
    }
    change
        .move_to(WishStatus::Disputed, "dispute_wish", Vec::new())
        .await
}

/// Staff settle a dispute: the claimant carries on, or the claim is revoked and the wish reopens.
pub async fn resolve_dispute(
    db: &Db,
    principal: &Principal,
    wish_id: i64,
    resolution: DisputeResolution,
    rules: WishRules,
) -> Result<WishOutcome, ApiError> {
    let change = WishChange::begin(db, principal, wish_id).await?;
    if !change.staff_covers(COMMUNITY_OR_ABOVE).await? {
        return change.refuse(WishRefusal::NotPermitted).await;
    }
    if change.wish.status != WishStatus::Disputed {
        return change.refuse(WishRefusal::NotDisputed).await;
    }
    let claim = change.current_claim(ClaimStatus::Delivered).await?;
    match resolution {
        DisputeResolution::BackToClaimed => {
            // A fresh claim period: the one it had may be over, and the sweep would revoke
            // at once the claim staff just let carry on.
            let now = Utc::now();
            let mut active: wish_claim::ActiveModel = claim.into();
            active.status = Set(ClaimStatus::Active);
            active.due_at = Set(now + rules.claim_period);
            active.updated_at = Set(now);
            active.update(&change.txn).await?;
            change
                .move_to(
                    WishStatus::Claimed,
                    "resolve_dispute_back_to_claimed",
                    Vec::new(),
                )
                .await
        }
        DisputeResolution::RevokeClaim => {
            change.close_claim(claim, ClaimStatus::Revoked).await?;
            change
                .move_to(WishStatus::Open, "resolve_dispute_revoke_claim", Vec::new())
                .await
        }
    }
}

/// The poster (or the beneficiary) withdraws a wish while nobody has claimed it.
pub async fn withdraw_wish(
    db: &Db,
    principal: &Principal,
    wish_id: i64,
) -> Result<WishOutcome, ApiError> {
    let change = WishChange::begin(db, principal, wish_id).await?;
    let caller = principal.person_id;
    if caller.is_none()
        || (caller != Some(change.wish.poster_person_id)
            && caller != Some(change.wish.beneficiary_person_id))
    {
        return change.refuse(WishRefusal::NotPoster).await;
    }
    if !matches!(change.wish.status, WishStatus::Open | WishStatus::Submitted) {
        return change.refuse(WishRefusal::NotOpen).await;
    }
    change
        .move_to(WishStatus::Withdrawn, "withdraw_wish", Vec::new())
        .await
}

/// Staff take down a wish while nobody has claimed it.
pub async fn take_down_wish(
    db: &Db,
    principal: &Principal,
    wish_id: i64,
) -> Result<WishOutcome, ApiError> {
    let change = WishChange::begin(db, principal, wish_id).await?;
    if !change.staff_covers(COMMUNITY_OR_ABOVE).await? {
        return change.refuse(WishRefusal::NotPermitted).await;
    }
    if !matches!(change.wish.status, WishStatus::Open | WishStatus::Submitted) {
        return change.refuse(WishRefusal::NotOpen).await;
    }
    change
        .move_to(WishStatus::TakenDown, "take_down_wish", Vec::new())
        .await
}

/// One transition of one wish, in its write transaction.
struct WishChange<'a> {
    txn: DatabaseTransaction,
    principal: &'a Principal,
    wish: micro_wish::Model,
    /// Whether the caller may read the wish, and so have it back with a refusal.
    readable: bool,
}

impl<'a> WishChange<'a> {
    /// Opens the transaction and reads the wish, one the caller may read: any other is
    /// NOT_FOUND, exactly as in reads, so that no refusal returns it or tells that it exists.
    async fn begin(db: &Db, principal: &'a Principal, wish_id: i64) -> Result<Self, ApiError> {
        Self::begin_within(db, principal, wish_id, false).await
    }

    /// [`Self::begin`] for a claim, which may also find a published wish the caller can no
    /// longer read: it was public while open, so a claimant who lost a race learns
    /// `ALREADY_CLAIMED` rather than that it vanished — without the wish.
    async fn begin_claim(
        db: &Db,
        principal: &'a Principal,
        wish_id: i64,
    ) -> Result<Self, ApiError> {
        Self::begin_within(db, principal, wish_id, true).await
    }

    async fn begin_within(
        db: &Db,
        principal: &'a Principal,
        wish_id: i64,
        published: bool,
    ) -> Result<Self, ApiError> {
        if principal.is_anonymous() {
            return Err(ApiError::Unauthenticated);
        }
        let txn = begin_write(db).await?;
        // Locked: the transitions of one wish, and of the claims under it, take turns.
        let find = |condition: Condition| {
            micro_wish::Entity::find_by_id(wish_id)
                .filter(condition)
                .lock_exclusive()
                .one(&txn)
        };
        let visible = micro_wish::Entity::visible_to(principal);
        let (wish, readable) = match find(visible).await? {
            Some(wish) => (Some(wish), true),
            None if published => {
                let published = Condition::all().add(micro_wish::Column::PublishedAt.is_not_null());
                (find(published).await?, false)
            }
            None => (None, false),
        };
        let wish = wish.ok_or_else(|| not_found::<micro_wish::Entity>(wish_id))?;
        Ok(Self {
            txn,
            principal,
            wish,
            readable,
        })
    }

    /// Ends a refused transition: nothing changed; the wish is returned as it is when the
    /// caller may read it.
    async fn refuse(self, refusal: WishRefusal) -> Result<WishOutcome, ApiError> {
        refuse(self.txn, self.readable.then_some(self.wish), refusal).await
    }

    /// Moves the wish to `to` (with `also` set), records the transition and commits.
    async fn move_to(
        self,
        to: WishStatus,
        action: &'static str,
        also: Vec<(micro_wish::Column, SimpleExpr)>,
    ) -> Result<WishOutcome, ApiError> {
        let Some(changed) = self.compare_and_set(to, also).await? else {
            return Err(ApiError::Conflict(
                "the wish changed meanwhile; read it again and retry".to_owned(),
            ));
        };
        changed.commit(action).await
    }

    /// Moves the wish to `to` if nobody changed it since it was read; `None` when somebody did.
    async fn compare_and_set(
        self,
        to: WishStatus,
        also: Vec<(micro_wish::Column, SimpleExpr)>,
    ) -> Result<Option<ChangedWish<'a>>, DbErr> {
        let mut update = micro_wish::Entity::update_many()
            .col_expr(micro_wish::Column::Status, Expr::value(to))
            .col_expr(
                micro_wish::Column::Version,
                Expr::col(micro_wish::Column::Version).add(1),
            )
            .col_expr(micro_wish::Column::UpdatedAt, Expr::value(Utc::now()));
        for (column, value) in also {
            update = update.col_expr(column, value);
        }
        let updated = update
            .filter(micro_wish::Column::Id.eq(self.wish.id))
            .filter(micro_wish::Column::Version.eq(self.wish.version))
            .exec(&self.txn)
            .await?;
        Ok((updated.rows_affected == 1).then_some(ChangedWish {
            txn: self.txn,
            principal: self.principal,
            from: self.wish,
            to,
        }))
    }

    fn is_beneficiary(&self) -> bool {
        self.principal.person_id == Some(self.wish.beneficiary_person_id)
    }

    async fn staff_covers(&self, roles: &[Role]) -> Result<bool, DbErr> {
        staff_covers(&self.txn, self.principal, roles, self.wish.grid_id).await
    }

    /// The wish's claim in `status`, if it is the caller's.
    async fn callers_claim(&self, status: ClaimStatus) -> Result<Option<wish_claim::Model>, DbErr> {
        let Some(claimant) = claimant(&self.txn, self.principal).await? else {
            return Ok(None);
        };
        let claim = self.current_claim_opt(status).await?;
        Ok(claim.filter(|claim| holds(claim, claimant)))
    }

    /// The wish's claim in `status`, which its own status implies.
    async fn current_claim(&self, status: ClaimStatus) -> Result<wish_claim::Model, ApiError> {
        self.current_claim_opt(status).await?.ok_or_else(|| {
            tracing::error!(wish.id = self.wish.id, "a wish in delivery has no claim");
            ApiError::Internal
        })
    }

    async fn current_claim_opt(
        &self,
        status: ClaimStatus,
    ) -> Result<Option<wish_claim::Model>, DbErr> {
        wish_claim::Entity::find()
            .filter(wish_claim::Column::WishId.eq(self.wish.id))
            .filter(wish_claim::Column::Status.eq(status))
            .one(&self.txn)
            .await
    }

    async fn close_claim(
        &self,
        claim: wish_claim::Model,
        status: ClaimStatus,
    ) -> Result<(), DbErr> {
        let now = Utc::now();
        let mut closed: wish_claim::ActiveModel = claim.into();
        closed.status = Set(status);
        closed.closed_at = Set(Some(now));
        closed.updated_at = Set(now);
        closed.update(&self.txn).await.map(drop)
    }
}

/// A wish whose change is written but not yet committed.
struct ChangedWish<'a> {
    txn: DatabaseTransaction,
    principal: &'a Principal,
    from: micro_wish::Model,
    to: WishStatus,
}

impl ChangedWish<'_> {
    /// Records the transition and commits; returns the wish as it now stands.
    async fn commit(self, action: &'static str) -> Result<WishOutcome, ApiError> {
        Transition::new(
            action,
            "micro_wish",
            self.from.id,
            self.from.status,
            self.to,
        )
        .record(&self.txn, &Actor::from(self.principal))
        .await?;
        let wish = reload::<micro_wish::Entity>(&self.txn, self.from.id).await?;
        self.txn.commit().await?;
        Ok(Outcome::done(wish))
    }
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

/// Who claims, derived from the caller.
#[derive(Debug, Clone, Copy)]
enum Claimant {
    Organization(i64),
    Person { id: i64, kind: ClaimantKind },
}

async fn claimant(
    txn: &impl ConnectionTrait,
    principal: &Principal,
) -> Result<Option<Claimant>, DbErr> {
    Ok(match principal.kind {
        Some(PrincipalKind::Client | PrincipalKind::Staff) => {
            organizing_organization(principal).map(Claimant::Organization)
        }
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

/// Revokes `claim`, listed as overdue at `now`, and reopens its wish — if the claim is still
/// that claim: active and overdue. Between the listing and this step the claimant may have
/// released it and someone claimed the wish again (another claim, due later), or a dispute may
/// have given it new time; then nothing changes. Answers whether it revoked.
pub async fn revoke_overdue_claim(
    db: &DatabaseConnection,
    claim: &wish_claim::Model,
    now: DateTime<Utc>,
) -> Result<bool, ApiError> {
    let txn = begin_immediate(db).await?;
    let Some(wish) = micro_wish::Entity::find_by_id(claim.wish_id)
        .lock_exclusive()
        .one(&txn)
        .await?
    else {
        return Ok(false);
    };
    // The listed claim, in the statement that changes it: only while still active and overdue.
    let revoked = wish_claim::Entity::update_many()
        .col_expr(
            wish_claim::Column::Status,
            Expr::value(ClaimStatus::Revoked),
        )
        .col_expr(wish_claim::Column::ClosedAt, Expr::value(now))
        .col_expr(wish_claim::Column::UpdatedAt, Expr::value(now))
        .filter(wish_claim::Column::Id.eq(claim.id))
        .filter(wish_claim::Column::Status.eq(ClaimStatus::Active))
        .filter(wish_claim::Column::DueAt.lt(now))
        .exec(&txn)
        .await?;
    if revoked.rows_affected != 1 || wish.status != WishStatus::Claimed {
        return Ok(false);
    }
    let system = Principal::default();
    let change = WishChange {
        txn,
        principal: &system,
        wish,
        readable: true,
    };
    match change.compare_and_set(WishStatus::Open, Vec::new()).await? {
        Some(changed) => changed.commit("revoke_overdue_claim").await.map(|_| true),
        None => Ok(false),
    }
}

/// What one sweep did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct SweepReport {
    /// Overdue claims revoked (their wishes reopened).
    pub revoked_claims: u64,
    /// Open wishes past their deadline, expired.
    pub expired_wishes: u64,
}

/// The most wishes one sweep looks at of each kind; the next sweep takes the rest.
const SWEEP_BATCH: u64 = 500;

/// Revokes claims not delivered by their due time (the wish reopens) and expires open wishes
/// past their deadline. Safe when several server instances sweep one database at once, and
/// while claimants act: each step changes only the row it listed, as it was listed (see
/// [`revoke_overdue_claim`]), and each wish moves by a compare-and-set on its version.
pub async fn sweep(db: &DatabaseConnection, now: DateTime<Utc>) -> Result<SweepReport, ApiError> {
    let system = Principal::default();
    let mut report = SweepReport::default();
    let overdue = wish_claim::Entity::find()
        .filter(wish_claim::Column::Status.eq(ClaimStatus::Active))
        .filter(wish_claim::Column::DueAt.lt(now))
        .limit(SWEEP_BATCH)
        .all(db)
        .await?;
    for claim in overdue {
        if revoke_overdue_claim(db, &claim, now).await? {
            report.revoked_claims += 1;
        }
    }
    let expired = micro_wish::Entity::find()
        .filter(micro_wish::Column::Status.eq(WishStatus::Open))
        .filter(micro_wish::Column::Deadline.lt(now))
        .limit(SWEEP_BATCH)
        .all(db)
        .await?;
    for wish in expired {
        let txn = begin_immediate(db).await?;
        let change = WishChange {
            txn,
            principal: &system,
            wish,
            readable: true,
        };
        if let Some(changed) = change
            .compare_and_set(WishStatus::Expired, Vec::new())
            .await?
        {
            changed.commit("expire_wish").await?;
            report.expired_wishes += 1;
        }
    }
    Ok(report)
}
