//! Organisation registrations (单位报到): an in-office Party organisation registers with a
//! community, listing what it offers, what it needs and the projects they build together;
//! community staff accept or return it; a yearly review records both sides' ratings. Each
//! transition is a compare-and-set on the status inside one write transaction, audited.

use chrono::{Datelike, Utc};
use entities::org_registration::{self, OrgRegistrationStatus};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseTransaction, DbErr, EntityTrait,
    QueryFilter, SqlErr,
};

use crate::auth::{Principal, Scope};
use crate::domain::audit::{Actor, Transition};
use crate::domain::calendar;
use crate::domain::outcome::{Outcome, refusals, refuse};
use crate::domain::permissions::{ORGANISATION_ADMINS, acts_for, community_staff_of};
use crate::domain::rows::{find_visible, is_community};
use crate::domain::transaction::{Db, begin_write};
use crate::error::ApiError;

refusals! {
    /// Why an organisation registration transition was refused.
    pub enum OrgRegistrationRefusal for "OrgRegistration" {
        NotOrganization => NOT_ORGANIZATION:
            "only the organisation's own administrators and API clients may do this",
        NotCommunityStaff => NOT_COMMUNITY_STAFF:
            "only the staff of the registration's community may do this",
        UnknownCommunity => UNKNOWN_COMMUNITY @ "communityId": "no such community",
        AlreadyRegistered => ALREADY_REGISTERED @ "communityId":
            "the organisation already has an open registration with this community",
        OffersRequired => OFFERS_REQUIRED @ "offers": "say what the organisation offers",
        NotSubmitted => NOT_SUBMITTED @ "registrationId":
            "the registration is not waiting for a decision",
        NotAccepted => NOT_ACCEPTED @ "registrationId": "only an accepted registration is reviewed",
        AlreadyReviewed => ALREADY_REVIEWED @ "registrationId":
            "this side has already reviewed the registration",
        RatingOutOfRange => RATING_OUT_OF_RANGE @ "rating": "a rating is from 1 to 5",
        NoteRequired => NOTE_REQUIRED @ "note": "returning a registration needs a note saying why",
        NotOpen => NOT_OPEN @ "registrationId":
            "only a submitted or accepted registration can be withdrawn",
    }
}

/// The outcome of an organisation registration mutation.
pub type OrgRegistrationOutcome = Outcome<org_registration::Model, OrgRegistrationRefusal>;

/// What an organisation brings to a community.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Commitments {
    pub offers: String,
    pub needs: String,
    pub projects: String,
}

/// An organisation registers with a community for the current year (China Standard Time).
pub async fn register_organization(
    db: &Db,
    principal: &Principal,
    organization_id: i64,
    community_id: i64,
    commitments: Commitments,
) -> Result<OrgRegistrationOutcome, ApiError> {
    principal.require(Scope::RegistrationsWrite)?;
    if !acts_for(principal, organization_id, ORGANISATION_ADMINS) {
        return Ok(Outcome::refused(
            None,
            OrgRegistrationRefusal::NotOrganization,
        ));
    }
    if commitments.offers.trim().is_empty() {
        return Ok(Outcome::refused(
            None,
            OrgRegistrationRefusal::OffersRequired,
        ));
    }
    let txn = begin_write(db).await?;
    if !is_community(&txn, community_id).await? {
        return refuse(txn, None, OrgRegistrationRefusal::UnknownCommunity).await;
    }
    let now = Utc::now();
    let year = calendar::local(now);
    let inserted = org_registration::ActiveModel {
        organization_id: Set(organization_id),
        community_id: Set(community_id),
        year: Set(year.year()),
        offers: Set(commitments.offers.trim().to_owned()),
        needs: Set(commitments.needs.trim().to_owned()),
        projects: Set(commitments.projects.trim().to_owned()),
        status: Set(OrgRegistrationStatus::Submitted),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await;
    // The one-open-registration index decides between concurrent submissions.
    let registration = match inserted {
        Ok(registration) => registration,
        Err(err) if matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => {
            return refuse(txn, None, OrgRegistrationRefusal::AlreadyRegistered).await;
        }
        Err(err) => return Err(err.into()),
    };
    Transition::created(
        "register_organization",
        "org_registration",
        registration.id,
        registration.status,
    )
    .record(&txn, &Actor::from(principal))
    .await?;
    txn.commit().await?;
    Ok(Outcome::done(registration))
}

/// Community staff decide on a submitted registration: accept it, or return it with a note.
pub async fn decide(
    db: &Db,
    principal: &Principal,
    registration_id: i64,
    accept: bool,
    note: Option<&str>,
) -> Result<OrgRegistrationOutcome, ApiError> {
    principal.require(Scope::RegistrationsWrite)?;
    let txn = begin_write(db).await?;
    let registration =
        find_visible::<org_registration::Entity>(&txn, principal, registration_id).await?;
    if !community_staff_of(principal, registration.community_id) {
        return refuse(
            txn,
            Some(registration),
            OrgRegistrationRefusal::NotCommunityStaff,
        )
        .await;
    }
    if registration.status != OrgRegistrationStatus::Submitted {
        return refuse(
            txn,
            Some(registration),
            OrgRegistrationRefusal::NotSubmitted,
        )
        .await;
    }
    let note = note.map(str::trim).filter(|note| !note.is_empty());
    let (status, action) = if accept {
        (OrgRegistrationStatus::Accepted, "accept_org_registration")
    } else if note.is_some() {
        (OrgRegistrationStatus::Returned, "return_org_registration")
    } else {
        return refuse(
            txn,
            Some(registration),
            OrgRegistrationRefusal::NoteRequired,
        )
        .await;
    };
    let now = Utc::now();
    let decided = org_registration::Model {
        status,
        review_note: note.map(str::to_owned).or(registration.review_note.clone()),
        updated_at: now,
        ..registration.clone()
    };
    let lost = OrgRegistrationRefusal::NotSubmitted;
    finish(txn, principal, &registration, decided, action, lost).await
}

/// One side's part of the yearly review of an accepted registration: the community's staff
/// rate the organisation (with a note), the organisation rates the community. Each side
/// reviews once.
pub async fn review(
    db: &Db,
    principal: &Principal,
    registration_id: i64,
    rating: i32,
    note: Option<&str>,
) -> Result<OrgRegistrationOutcome, ApiError> {
    principal.require(Scope::RegistrationsWrite)?;
    let txn = begin_write(db).await?;
    let registration =
        find_visible::<org_registration::Entity>(&txn, principal, registration_id).await?;
    let as_community = community_staff_of(principal, registration.community_id);
    if !as_community && !acts_for(principal, registration.organization_id, ORGANISATION_ADMINS) {
        return refuse(
            txn,
            Some(registration),
            OrgRegistrationRefusal::NotOrganization,
        )
        .await;
    }
    if registration.status != OrgRegistrationStatus::Accepted {
        return refuse(txn, Some(registration), OrgRegistrationRefusal::NotAccepted).await;
    }
    let Some(rating) = i16::try_from(rating).ok().filter(|r| (1..=5).contains(r)) else {
        return refuse(
            txn,
            Some(registration),
            OrgRegistrationRefusal::RatingOutOfRange,
        )
        .await;
    };
    let now = Utc::now();
    let reviewed = if as_community {
        if registration.community_rating.is_some() {
            return refuse(
                txn,
                Some(registration),
                OrgRegistrationRefusal::AlreadyReviewed,
            )
            .await;
        }
        org_registration::Model {
            community_rating: Some(rating),
            review_note: note.map(str::to_owned).or(registration.review_note.clone()),
            reviewed_at: Some(now),
            updated_at: now,
            ..registration.clone()
        }
    } else {
        if registration.organization_rating.is_some() {
            return refuse(
                txn,
                Some(registration),
                OrgRegistrationRefusal::AlreadyReviewed,
            )
            .await;
        }
        org_registration::Model {
            organization_rating: Some(rating),
            updated_at: now,
            ..registration.clone()
        }
    };
    finish(
        txn,
        principal,
        &registration,
        reviewed,
        "review_org_registration",
        OrgRegistrationRefusal::AlreadyReviewed,
    )
    .await
}

/// The organisation withdraws a registration that is waiting for a decision or accepted: it
/// no longer registers with the community (and may register again later).
pub async fn withdraw(
    db: &Db,
    principal: &Principal,
    registration_id: i64,
) -> Result<OrgRegistrationOutcome, ApiError> {
    principal.require(Scope::RegistrationsWrite)?;
    let txn = begin_write(db).await?;
    let registration =
        find_visible::<org_registration::Entity>(&txn, principal, registration_id).await?;
    if !acts_for(principal, registration.organization_id, ORGANISATION_ADMINS) {
        return refuse(
            txn,
            Some(registration),
            OrgRegistrationRefusal::NotOrganization,
        )
        .await;
    }
    if !matches!(
        registration.status,
        OrgRegistrationStatus::Submitted | OrgRegistrationStatus::Accepted
    ) {
        return refuse(txn, Some(registration), OrgRegistrationRefusal::NotOpen).await;
    }
    let withdrawn = org_registration::Model {
        status: OrgRegistrationStatus::Withdrawn,
        updated_at: Utc::now(),
        ..registration.clone()
    };
    finish(
        txn,
        principal,
        &registration,
        withdrawn,
        "withdraw_org_registration",
        OrgRegistrationRefusal::NotOpen,
    )
    .await
}

/// Writes `to` over `from` if nobody changed the registration since it was read (its status
/// and its ratings are what every transition changes), with its audit record; refuses with
/// `lost` when someone did.
async fn finish(
    txn: DatabaseTransaction,
    principal: &Principal,
    from: &org_registration::Model,
    to: org_registration::Model,
    action: &'static str,
    lost: OrgRegistrationRefusal,
) -> Result<OrgRegistrationOutcome, ApiError> {
    if !compare_and_set(&txn, from, &to).await? {
        return refuse(txn, Some(from.clone()), lost).await;
    }
    Transition::new(action, "org_registration", from.id, from.status, to.status)
        .record(&txn, &Actor::from(principal))
        .await?;
    txn.commit().await?;
    Ok(Outcome::done(to))
}

async fn compare_and_set(
    txn: &DatabaseTransaction,
    from: &org_registration::Model,
    to: &org_registration::Model,
) -> Result<bool, DbErr> {
    use org_registration::Column as C;
    let updated = org_registration::Entity::update_many()
        .col_expr(C::Status, Expr::value(to.status))
        .col_expr(C::ReviewNote, Expr::value(to.review_note.clone()))
        .col_expr(C::CommunityRating, Expr::value(to.community_rating))
        .col_expr(C::OrganizationRating, Expr::value(to.organization_rating))
        .col_expr(C::ReviewedAt, Expr::value(to.reviewed_at))
        .col_expr(C::UpdatedAt, Expr::value(to.updated_at))
        .filter(C::Id.eq(from.id))
        .filter(C::Status.eq(from.status))
        .filter(unchanged(C::CommunityRating, from.community_rating))
        .filter(unchanged(C::OrganizationRating, from.organization_rating))
        .exec(txn)
        .await?;
    Ok(updated.rows_affected == 1)
}

fn unchanged(column: org_registration::Column, rating: Option<i16>) -> sea_orm::Condition {
    let condition = match rating {
        Some(rating) => column.eq(rating),
        None => column.is_null(),
    };
    sea_orm::Condition::all().add(condition)
}
