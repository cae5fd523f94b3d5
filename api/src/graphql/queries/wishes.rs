use async_graphql::{Context, ID, InputObject, Object, Result};
use chrono::{DateTime, Utc};
use entities::micro_wish::{WishCategory, WishStatus};
use entities::wish_claim::ClaimStatus;
use entities::{micro_wish, wish_claim};
use sea_orm::{ColumnTrait, Condition};

use crate::auth::Scope;
use crate::domain::scope::units_within;
use crate::error::ApiError;
use crate::graphql::connection::{ListFilter, NodeConnection, PageArgs, list};
use crate::graphql::guards::Needs;
use crate::graphql::ids::optional_id;
use crate::graphql::ordering::{CreatedOrderField, OrderBy, WishOrderField};
use crate::graphql::types::{AdminUnit, MicroWish, Organization, WishClaim};

/// Which wishes to list.
#[derive(Debug, Default, InputObject)]
pub struct MicroWishFilter {
    /// Only wishes in this unit or anywhere below it (a sub-district, community or grid).
    within: Option<ID>,
    /// Only wishes of this community.
    community: Option<ID>,
    /// Only wishes of this grid.
    grid: Option<ID>,
    /// Only wishes in these statuses. At most 20 items.
    #[graphql(validator(max_items = 20))]
    status: Option<Vec<WishStatus>>,
    /// Only wishes of this category.
    category: Option<WishCategory>,
    /// Only wishes whose deadline is at or after this time.
    deadline_after: Option<DateTime<Utc>>,
    /// Only wishes whose deadline is before this time.
    deadline_before: Option<DateTime<Utc>>,
    /// Only wishes that changed at or after this instant (their `updatedAt`): poll with the
    /// time of the last poll to sync only what changed.
    updated_since: Option<DateTime<Utc>>,
}

impl ListFilter for MicroWishFilter {
    type Entity = micro_wish::Entity;

    fn condition(self) -> Result<Condition, ApiError> {
        use micro_wish::Column as C;
        let within = optional_id::<AdminUnit>("within", self.within.as_ref())?;
        let community = optional_id::<AdminUnit>("community", self.community.as_ref())?;
        let grid = optional_id::<AdminUnit>("grid", self.grid.as_ref())?;
        Ok(Condition::all()
            .add_option(within.map(|unit| C::GridId.in_subquery(units_within(unit))))
            .add_option(community.map(|id| C::CommunityId.eq(id)))
            .add_option(grid.map(|id| C::GridId.eq(id)))
            .add_option(self.status.map(|statuses| C::Status.is_in(statuses)))
            .add_option(self.category.map(|category| C::Category.eq(category)))
            .add_option(self.deadline_after.map(|time| C::Deadline.gte(time)))
            .add_option(self.deadline_before.map(|time| C::Deadline.lt(time)))
            .add_option(self.updated_since.map(|time| C::UpdatedAt.gte(time))))
    }
}

/// Which wish claims to list.
#[derive(Debug, Default, InputObject)]
pub struct WishClaimFilter {
    /// Only claims of this wish.
    wish: Option<ID>,
    /// Only claims by this organisation.
    claimant_organization: Option<ID>,
    /// Only claims in these statuses. At most 20 items.
    #[graphql(validator(max_items = 20))]
    status: Option<Vec<ClaimStatus>>,
    /// Only claims that changed at or after this instant (their `updatedAt`): poll with the
    /// time of the last poll to sync only what changed.
    updated_since: Option<DateTime<Utc>>,
}

impl ListFilter for WishClaimFilter {
    type Entity = wish_claim::Entity;

    fn condition(self) -> Result<Condition, ApiError> {
        use wish_claim::Column as C;
        let wish = optional_id::<MicroWish>("wish", self.wish.as_ref())?;
        let organization = optional_id::<Organization>(
            "claimantOrganization",
            self.claimant_organization.as_ref(),
        )?;
        Ok(Condition::all()
            .add_option(wish.map(|id| C::WishId.eq(id)))
            .add_option(organization.map(|id| C::ClaimantOrganizationId.eq(id)))
            .add_option(self.status.map(|statuses| C::Status.is_in(statuses)))
            .add_option(self.updated_since.map(|time| C::UpdatedAt.gte(time))))
    }
}

#[derive(Default)]
pub struct WishQuery;

#[Object]
impl WishQuery {
    /// Micro-wishes: open ones for everyone (without their beneficiary), the rest for the
    /// staff of their units, their claimants and the residents they are for.
    #[expect(clippy::too_many_arguments, reason = "Relay connection arguments")]
    async fn micro_wishes(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Narrows the list; every field given must match.")] filter: Option<
            MicroWishFilter,
        >,
        #[graphql(desc = "The order of the list; ties are broken by id.")] order_by: Option<
            OrderBy<WishOrderField>,
        >,
        #[graphql(
            desc = "Returns the first n items (0–100; 20 when neither `first` nor `last` is given)."
        )]
        first: Option<i32>,
        #[graphql(desc = "Returns the items after this cursor.")] after: Option<String>,
        #[graphql(desc = "Returns the last n items (0–100).")] last: Option<i32>,
        #[graphql(desc = "Returns the items before this cursor.")] before: Option<String>,
    ) -> Result<NodeConnection<MicroWish>> {
        list(
            ctx,
            filter,
            order_by,
            PageArgs {
                first,
                after,
                last,
                before,
            },
        )
        .await
    }

    /// Claims of wishes, as the caller may see them (a partner sees its own).
    #[graphql(guard = "Needs(Scope::WishesRead)")]
    #[expect(clippy::too_many_arguments, reason = "Relay connection arguments")]
    async fn wish_claims(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Narrows the list; every field given must match.")] filter: Option<
            WishClaimFilter,
        >,
        #[graphql(desc = "The order of the list; ties are broken by id.")] order_by: Option<
            OrderBy<CreatedOrderField>,
        >,
        #[graphql(
            desc = "Returns the first n items (0–100; 20 when neither `first` nor `last` is given)."
        )]
        first: Option<i32>,
        #[graphql(desc = "Returns the items after this cursor.")] after: Option<String>,
        #[graphql(desc = "Returns the last n items (0–100).")] last: Option<i32>,
        #[graphql(desc = "Returns the items before this cursor.")] before: Option<String>,
    ) -> Result<NodeConnection<WishClaim>> {
        list(
            ctx,
            filter,
            order_by,
            PageArgs {
                first,
                after,
                last,
                before,
            },
        )
        .await
    }
}
