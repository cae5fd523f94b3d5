use async_graphql::{Context, ID, Object, Result};
use chrono::{DateTime, Utc};
use entities::audit_log::{self, ActorKind};
use entities::micro_wish::{WishCategory, WishStatus};
use entities::wish_claim;
use entities::wish_claim::{ClaimStatus, ClaimantKind};
use sea_orm::ActiveEnum;

use super::nodes::{AdminUnit, MicroWish, Organization, Person, WishClaim};
use crate::graphql::context::ContextExt;
use crate::graphql::errors::OrGql;
use crate::graphql::ids::NodeType;
use crate::graphql::lists;
use crate::graphql::loaders::{ActiveClaimOf, WishHistory};

/// A resident's small, concrete wish (微心愿): posted through the grid or community, reviewed
/// and published by staff, claimed and fulfilled by a partner organisation or a Party member,
/// and confirmed by the resident or grid staff.
#[Object]
impl MicroWish {
    /// The wish's opaque, globally unique id.
    pub async fn id(&self) -> ID {
        self.global_id()
    }

    /// A short title.
    async fn title(&self) -> &str {
        &self.0.title
    }

    /// What is wished for, in the resident's words.
    async fn description(&self) -> &str {
        &self.0.description
    }

    /// What the wish asks for.
    async fn category(&self) -> WishCategory {
        self.0.category
    }

    /// Estimated value in fen (1/100 yuan).
    async fn estimated_value_cents(&self) -> i32 {
        self.0.estimated_value_cents
    }

    /// When the wish expires if nobody has claimed it.
    async fn deadline(&self) -> DateTime<Utc> {
        self.0.deadline
    }

    /// Where the wish stands.
    async fn status(&self) -> WishStatus {
        self.0.status
    }

    /// Incremented by every change; each transition is a compare-and-set on it.
    async fn version(&self) -> i32 {
        self.0.version
    }

    /// The community of the wish.
    async fn community(&self, ctx: &Context<'_>) -> Result<Option<AdminUnit>> {
        ctx.request()?.load(self.0.community_id).await
    }

    /// The grid of the wish.
    async fn grid(&self, ctx: &Context<'_>) -> Result<Option<AdminUnit>> {
        ctx.request()?.load(self.0.grid_id).await
    }

    /// The resident the wish is for; null for partners and anyone else who may not see them.
    async fn beneficiary(&self, ctx: &Context<'_>) -> Result<Option<Person>> {
        ctx.request()?.load(self.0.beneficiary_person_id).await
    }

    /// The community's note from its review (the reason when rejected).
    async fn review_note(&self) -> Option<&str> {
        self.0.review_note.as_deref()
    }

    /// The claim now being fulfilled (active or delivered), if the caller may see it.
    async fn active_claim(&self, ctx: &Context<'_>) -> Result<Option<WishClaim>> {
        let claim = ctx.request()?.fetch(ActiveClaimOf(self.0.id)).await?;
        Ok(claim.map(WishClaim::from_model))
    }

    /// The claims of the wish the caller may see, oldest first: at most 20 (all of them through
    /// `wishClaims`).
    async fn claims(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "At most this many, 1 to 20; 20 when left out.")] first: Option<i32>,
    ) -> Result<Vec<WishClaim>> {
        ctx.request()?
            .children(
                wish_claim::Column::WishId,
                self.0.id,
                lists::WISH_CLAIMS,
                first,
            )
            .await
    }

    /// When staff published the wish.
    async fn published_at(&self) -> Option<DateTime<Utc>> {
        self.0.published_at
    }

    /// When the wish was confirmed as fulfilled.
    async fn realized_at(&self) -> Option<DateTime<Utc>> {
        self.0.realized_at
    }

    /// When the wish was submitted.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    /// Who did what to the wish, and when, oldest first: at most 50 events. Only staff of the
    /// wish's own grid or a unit above it see which organisation acted; everyone else sees
    /// what kind of caller it was.
    async fn history(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "At most this many, 1 to 50; 50 when left out.")] first: Option<i32>,
    ) -> Result<Vec<WishEvent>> {
        let request = ctx.request()?;
        let items = lists::WISH_HISTORY.items(first).or_gql()?;
        let staff = request.staff_covers(self.0.grid_id).await?;
        let events = request
            .fetch(WishHistory(self.0.id))
            .await?
            .unwrap_or_default();
        Ok(events
            .into_iter()
            .take(items)
            .map(|event| WishEvent {
                event,
                identified: staff,
            })
            .collect())
    }

    /// When it last changed: created, moved on, edited or closed. Lists partners sync take an
    /// `updatedSince` filter that finds what changed since an instant.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

/// One step in a wish's life, from its audit record.
pub struct WishEvent {
    event: audit_log::Model,
    /// Whether the caller may know which organisation acted.
    identified: bool,
}

/// One step in a wish's life: who (what kind of caller) did what, and when.
#[Object]
impl WishEvent {
    /// What was done, e.g. `claim_wish`, `deliver_wish`, `revoke_overdue_claim`.
    async fn action(&self) -> &str {
        &self.event.action
    }

    /// The wish's status before.
    async fn from_status(&self) -> Option<WishStatus> {
        status(self.event.from_state.as_deref())
    }

    /// The wish's status after.
    async fn to_status(&self) -> Option<WishStatus> {
        status(self.event.to_state.as_deref())
    }

    /// When it happened.
    async fn occurred_at(&self) -> DateTime<Utc> {
        self.event.occurred_at
    }

    /// What kind of caller acted.
    async fn actor_kind(&self) -> ActorKind {
        self.event.actor_kind
    }

    /// The organisation the actor acted for; shown to the staff of the wish's grid or a unit
    /// above it only.
    async fn actor_organization(&self, ctx: &Context<'_>) -> Result<Option<Organization>> {
        let organization = self.event.organization_id.filter(|_| self.identified);
        ctx.request()?.load_opt(organization).await
    }
}

fn status(value: Option<&str>) -> Option<WishStatus> {
    value.and_then(|value| WishStatus::try_from_value(&value.to_owned()).ok())
}

/// A claim of a micro-wish by a partner organisation, a Party member or a volunteer. A wish has
/// at most one active claim at a time.
#[Object]
impl WishClaim {
    /// The claim's opaque, globally unique id.
    pub async fn id(&self) -> ID {
        self.global_id()
    }

    /// The wish claimed.
    async fn wish(&self, ctx: &Context<'_>) -> Result<Option<MicroWish>> {
        ctx.request()?.load(self.0.wish_id).await
    }

    /// Who claimed it.
    async fn claimant_kind(&self) -> ClaimantKind {
        self.0.claimant_kind
    }

    /// The claiming organisation, for organisation claims.
    async fn claimant_organization(&self, ctx: &Context<'_>) -> Result<Option<Organization>> {
        ctx.request()?
            .load_opt(self.0.claimant_organization_id)
            .await
    }

    /// The claiming person, for claims by Party members and volunteers; null when the caller may
    /// not see the person.
    async fn claimant_person(&self, ctx: &Context<'_>) -> Result<Option<Person>> {
        ctx.request()?.load_opt(self.0.claimant_person_id).await
    }

    /// Where the claim stands.
    async fn status(&self) -> ClaimStatus {
        self.0.status
    }

    /// When the claimant must have delivered; overdue claims are revoked.
    async fn due_at(&self) -> DateTime<Utc> {
        self.0.due_at
    }

    /// The claimant's note on the delivery.
    async fn evidence_note(&self) -> Option<&str> {
        self.0.evidence_note.as_deref()
    }

    /// Photos of the delivery.
    async fn evidence_urls(&self) -> Vec<String> {
        self.0
            .evidence_urls
            .as_deref()
            .and_then(|json| serde_json::from_str(json).ok())
            .unwrap_or_default()
    }

    /// The resident's rating of the fulfilment, 1–5.
    async fn rating(&self) -> Option<i16> {
        self.0.rating
    }

    /// The resident's feedback.
    async fn feedback(&self) -> Option<&str> {
        self.0.feedback.as_deref()
    }

    /// When the claim ended (fulfilled, released or revoked).
    async fn closed_at(&self) -> Option<DateTime<Utc>> {
        self.0.closed_at
    }

    /// When the wish was claimed.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    /// When it last changed: created, moved on, edited or closed. Lists partners sync take an
    /// `updatedSince` filter that finds what changed since an instant.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}
