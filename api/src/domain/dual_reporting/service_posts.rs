//! Service posts (岗位): a community publishes posts with a head count, members registered with
//! it apply, and its staff confirm or reject them. A post never has more confirmed holders than
//! its head count: confirming locks the post's row (PostgreSQL; SQLite's `BEGIN IMMEDIATE`
//! already serialises writers) before counting its holders.

use chrono::Utc;
use entities::member_registration::{self, MemberRegistrationStatus};
use entities::party_member;
use entities::post_claim::{self, PostClaimStatus};
use entities::service_post::{self, PostStatus};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseBackend,
    DatabaseTransaction, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, SqlErr,
};

use crate::auth::{Principal, Scope};
use crate::domain::audit::{Actor, Transition};
use crate::domain::outcome::{Outcome, refusals, refuse};
use crate::domain::permissions::{community_staff_of, own_membership};
use crate::domain::rows::{find_visible, is_community, lock, lock_owner, not_found, reload};
use crate::domain::transaction::{Db, begin_write};
use crate::error::ApiError;

/// The longest post title, as the schema holds it.
const MAX_TITLE: usize = 100;

refusals! {
    /// Why a service post transition was refused.
    pub enum ServicePostRefusal for "ServicePost" {
        NotCommunityStaff => NOT_COMMUNITY_STAFF:
            "only the staff of the post's community may do this",
        UnknownCommunity => UNKNOWN_COMMUNITY @ "communityId": "no such community",
        InvalidTitle => INVALID_TITLE @ "title": "a title has 1 to 100 characters",
        InvalidHeadCount => INVALID_HEAD_COUNT @ "headCount": "a head count is at least 1",
        NotRegisteredHere => NOT_REGISTERED_HERE:
            "only Party members registered with the post's community may apply",
        PostClosed => POST_CLOSED @ "postId": "the post does not take applications",
        AlreadyApplied => ALREADY_APPLIED @ "postId":
            "the member has already applied for or holds this post",
        NotApplied => NOT_APPLIED @ "claimId": "the application is not waiting for a decision",
        PostFull => POST_FULL @ "postId": "the post already has as many holders as its head count",
        NotClaimant => NOT_CLAIMANT: "only the member who applied may do this",
        NotHeld => NOT_HELD @ "claimId": "the member does not hold the post",
    }
}

/// The outcome of publishing a post.
pub type PostOutcome = Outcome<service_post::Model, ServicePostRefusal>;

/// The outcome of a change to a claim of a post.
pub type ClaimOutcome = Outcome<post_claim::Model, ServicePostRefusal>;

/// A new post, as the community describes it.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct NewPost {
    pub community_id: i64,
    pub title: String,
    pub description: Option<String>,
    pub head_count: i32,
}

/// Community staff publish a post, open for applications.
pub async fn publish(
    db: &Db,
    principal: &Principal,
    post: NewPost,
) -> Result<PostOutcome, ApiError> {
    principal.require(Scope::RegistrationsWrite)?;
    let refused = |refusal| Outcome::refused(None, refusal);
    if !community_staff_of(principal, post.community_id) {
        return Ok(refused(ServicePostRefusal::NotCommunityStaff));
    }
    let title = post.title.trim();
    if title.is_empty() || title.chars().count() > MAX_TITLE {
        return Ok(refused(ServicePostRefusal::InvalidTitle));
    }
    if post.head_count < 1 {
        return Ok(refused(ServicePostRefusal::InvalidHeadCount));
    }
    let txn = begin_write(db).await?;
    if !is_community(&txn, post.community_id).await? {
        txn.rollback().await?;
        return Ok(refused(ServicePostRefusal::UnknownCommunity));
    }
    let published = service_post::ActiveModel {
        community_id: Set(post.community_id),
        title: Set(title.to_owned()),
        description: Set(post.description.map(|text| text.trim().to_owned())),
        head_count: Set(post.head_count),
        status: Set(PostStatus::Open),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    Transition::created(
        "publish_service_post",
        "service_post",
        published.id,
        published.status,
    )
    .record(&txn, &Actor::from(principal))
    .await?;
    txn.commit().await?;
    Ok(Outcome::done(published))
}

/// A Party member registered (accepted) with the post's community applies for it.
pub async fn apply(db: &Db, principal: &Principal, post_id: i64) -> Result<ClaimOutcome, ApiError> {
    principal.require(Scope::RegistrationsWrite)?;
    let txn = begin_write(db).await?;
    let post = find_visible::<service_post::Entity>(&txn, principal, post_id).await?;
    let member = own_membership(&txn, principal).await?;
    let registered = match &member {
        Some(member) => {
            // The member's row owns where they are registered: a deregistration at this moment
            // waits, or has left the community before this looks.
            lock_owner::<party_member::Entity>(&txn, member.id).await?;
            member_registration::Entity::find()
                .filter(member_registration::Column::PartyMemberId.eq(member.id))
                .filter(member_registration::Column::CommunityId.eq(post.community_id))
                .filter(member_registration::Column::Status.eq(MemberRegistrationStatus::Accepted))
                .count(&txn)
                .await?
                > 0
        }
        None => false,
    };
    let Some(member) = member.filter(|_| registered) else {
        return refuse(txn, None, ServicePostRefusal::NotRegisteredHere).await;
    };
    // Read again under the post's lock: a post closed at this moment takes no new claims.
    let post = lock::<service_post::Entity>(&txn, post.id).await?;
    if post.status != PostStatus::Open {
        return refuse(txn, None, ServicePostRefusal::PostClosed).await;
    }
    let inserted = post_claim::ActiveModel {
        post_id: Set(post.id),
        party_member_id: Set(member.id),
        status: Set(PostClaimStatus::Applied),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(&txn)
    .await;
    // The one-open-claim index decides between a member's concurrent applications.
    let claim = match inserted {
        Ok(claim) => claim,
        Err(err) if matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => {
            return refuse(txn, None, ServicePostRefusal::AlreadyApplied).await;
        }
        Err(err) => return Err(err.into()),
    };
    Transition::created(
        "apply_for_service_post",
        "post_claim",
        claim.id,
        claim.status,
    )
    .record(&txn, &Actor::from(principal))
    .await?;
    txn.commit().await?;
    Ok(Outcome::done(claim))
}

/// Community staff confirm an application (never beyond the head count) or reject it.
pub async fn decide(
    db: &Db,
    principal: &Principal,
    claim_id: i64,
    confirm: bool,
) -> Result<ClaimOutcome, ApiError> {
    principal.require(Scope::RegistrationsWrite)?;
    let txn = begin_write(db).await?;
    let claim = find_visible::<post_claim::Entity>(&txn, principal, claim_id).await?;
    // Locking the post makes confirmations of one post take turns, so each counts the holders
    // the one before it left.
    let mut post = service_post::Entity::find_by_id(claim.post_id);
    if txn.get_database_backend() == DatabaseBackend::Postgres {
        post = post.lock_exclusive();
    }
    let post = post
        .one(&txn)
        .await?
        .ok_or_else(|| not_found::<service_post::Entity>(claim.post_id))?;
    if !community_staff_of(principal, post.community_id) {
        return refuse(txn, Some(claim), ServicePostRefusal::NotCommunityStaff).await;
    }
    if claim.status != PostClaimStatus::Applied {
        return refuse(txn, Some(claim), ServicePostRefusal::NotApplied).await;
    }
    let status = if confirm {
        let holders = post_claim::Entity::find()
            .filter(post_claim::Column::PostId.eq(post.id))
            .filter(post_claim::Column::Status.eq(PostClaimStatus::Confirmed))
            .count(&txn)
            .await?;
        if holders >= u64::try_from(post.head_count).unwrap_or(0) {
            return refuse(txn, Some(claim), ServicePostRefusal::PostFull).await;
        }
        PostClaimStatus::Confirmed
    } else {
        PostClaimStatus::Rejected
    };
    let action = if confirm {
        "confirm_post_claim"
    } else {
        "reject_post_claim"
    };
    let now = Utc::now();
    let decided = post_claim::Model {
        status,
        decided_at: Some(now),
        updated_at: now,
        ..claim.clone()
    };
    finish(
        txn,
        principal,
        claim,
        decided,
        action,
        ServicePostRefusal::NotApplied,
    )
    .await
}

/// How a claim of a post closes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Closing {
    /// The member withdraws an application still waiting for a decision.
    Withdraw,
    /// The member gives up a post they hold, or the community's staff relieve them of it.
    End,
}

/// Closes a claim: the applicant withdraws their application, or the holder (or the post's
/// community staff) ends their holding of the post, which frees a place for another.
pub async fn close_claim(
    db: &Db,
    principal: &Principal,
    claim_id: i64,
    closing: Closing,
) -> Result<ClaimOutcome, ApiError> {
    principal.require(Scope::RegistrationsWrite)?;
    let txn = begin_write(db).await?;
    let claim = find_visible::<post_claim::Entity>(&txn, principal, claim_id).await?;
    let own = own_membership(&txn, principal)
        .await?
        .is_some_and(|member| member.id == claim.party_member_id);
    let (allowed, from, to, refusal, action) = match closing {
        Closing::Withdraw => (
            own,
            PostClaimStatus::Applied,
            PostClaimStatus::Withdrawn,
            ServicePostRefusal::NotApplied,
            "withdraw_post_claim",
        ),
        Closing::End => {
            let post = reload::<service_post::Entity>(&txn, claim.post_id).await?;
            (
                own || community_staff_of(principal, post.community_id),
                PostClaimStatus::Confirmed,
                PostClaimStatus::Ended,
                ServicePostRefusal::NotHeld,
                "end_post_claim",
            )
        }
    };
    if !allowed {
        return refuse(txn, Some(claim), ServicePostRefusal::NotClaimant).await;
    }
    if claim.status != from {
        return refuse(txn, Some(claim), refusal).await;
    }
    let now = Utc::now();
    let closed = post_claim::Model {
        status: to,
        closed_at: Some(now),
        updated_at: now,
        ..claim.clone()
    };
    finish(txn, principal, claim, closed, action, refusal).await
}

/// Community staff close a post to applications; its holders keep it until their claims end.
pub async fn close_post(
    db: &Db,
    principal: &Principal,
    post_id: i64,
) -> Result<PostOutcome, ApiError> {
    principal.require(Scope::RegistrationsWrite)?;
    let txn = begin_write(db).await?;
    let post = find_visible::<service_post::Entity>(&txn, principal, post_id).await?;
    let refused = |post, refusal| Outcome::refused(Some(post), refusal);
    if !community_staff_of(principal, post.community_id) {
        txn.rollback().await?;
        return Ok(refused(post, ServicePostRefusal::NotCommunityStaff));
    }
    let now = Utc::now();
    let updated = service_post::Entity::update_many()
        .col_expr(service_post::Column::UpdatedAt, Expr::value(now))
        .col_expr(
            service_post::Column::Status,
            Expr::value(PostStatus::Closed),
        )
        .filter(service_post::Column::Id.eq(post.id))
        .filter(service_post::Column::Status.eq(PostStatus::Open))
        .exec(&txn)
        .await?;
    if updated.rows_affected == 0 {
        txn.rollback().await?;
        return Ok(refused(post, ServicePostRefusal::PostClosed));
    }
    Transition::new(
        "close_service_post",
        "service_post",
        post.id,
        post.status,
        PostStatus::Closed,
    )
    .record(&txn, &Actor::from(principal))
    .await?;
    txn.commit().await?;
    Ok(Outcome::done(service_post::Model {
        status: PostStatus::Closed,
        updated_at: now,
        ..post
    }))
}

/// A member leaving a community (deregistered, or transferred elsewhere) leaves its posts too:
/// their waiting applications there are withdrawn and their holdings ended, freeing the places.
pub(super) async fn leave_community_posts(
    txn: &DatabaseTransaction,
    actor: &Actor,
    party_member_id: i64,
    community_id: i64,
) -> Result<(), ApiError> {
    let posts = sea_orm::sea_query::Query::select()
        .column(service_post::Column::Id)
        .from(service_post::Entity)
        .and_where(service_post::Column::CommunityId.eq(community_id))
        .to_owned();
    // Locked in id order, so a decision on one of them at this moment waits, and each claim
    // moves from the state it is in.
    let open = post_claim::Entity::find()
        .filter(post_claim::Column::PartyMemberId.eq(party_member_id))
        .filter(post_claim::Column::PostId.in_subquery(posts))
        .filter(
            post_claim::Column::Status
                .is_in([PostClaimStatus::Applied, PostClaimStatus::Confirmed]),
        )
        .order_by_asc(post_claim::Column::Id)
        .lock_exclusive()
        .all(txn)
        .await?;
    let now = Utc::now();
    let mut transitions = Vec::with_capacity(open.len());
    for (from, to) in [
        (PostClaimStatus::Applied, PostClaimStatus::Withdrawn),
        (PostClaimStatus::Confirmed, PostClaimStatus::Ended),
    ] {
        let ids: Vec<i64> = open
            .iter()
            .filter(|claim| claim.status == from)
            .map(|claim| claim.id)
            .collect();
        if ids.is_empty() {
            continue;
        }
        post_claim::Entity::update_many()
            .col_expr(post_claim::Column::UpdatedAt, Expr::value(Utc::now()))
            .col_expr(post_claim::Column::Status, Expr::value(to))
            .col_expr(post_claim::Column::ClosedAt, Expr::value(now))
            .filter(post_claim::Column::Id.is_in(ids.iter().copied()))
            .filter(post_claim::Column::Status.eq(from))
            .exec(txn)
            .await?;
        transitions.extend(
            ids.into_iter()
                .map(|id| Transition::new("leave_community_posts", "post_claim", id, from, to)),
        );
    }
    Transition::record_all(transitions, txn, actor).await?;
    Ok(())
}

/// Writes the claim's new status if nobody changed it since it was read, with its audit
/// record; refuses with `lost` when someone did.
async fn finish(
    txn: DatabaseTransaction,
    principal: &Principal,
    from: post_claim::Model,
    to: post_claim::Model,
    action: &'static str,
    lost: ServicePostRefusal,
) -> Result<ClaimOutcome, ApiError> {
    let updated = post_claim::Entity::update_many()
        .col_expr(post_claim::Column::UpdatedAt, Expr::value(to.updated_at))
        .col_expr(post_claim::Column::Status, Expr::value(to.status))
        .col_expr(post_claim::Column::DecidedAt, Expr::value(to.decided_at))
        .col_expr(post_claim::Column::ClosedAt, Expr::value(to.closed_at))
        .filter(post_claim::Column::Id.eq(from.id))
        .filter(post_claim::Column::Status.eq(from.status))
        .exec(&txn)
        .await?;
    if updated.rows_affected == 0 {
        return refuse(txn, Some(from), lost).await;
    }
    Transition::new(action, "post_claim", from.id, from.status, to.status)
        .record(&txn, &Actor::from(principal))
        .await?;
    txn.commit().await?;
    Ok(Outcome::done(to))
}
