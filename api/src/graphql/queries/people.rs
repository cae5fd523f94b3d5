use async_graphql::{Context, ID, InputObject, Object, Result};
use entities::organization::{OrganizationKind, OrganizationStatus, ServiceCategory};
use entities::{household, organization, party_member, person};
use sea_orm::sea_query::Query;
use sea_orm::{ColumnTrait, Condition};

use crate::auth::Scope;
use crate::error::ApiError;
use crate::graphql::connection::{ListFilter, NodeConnection, PageArgs, contains_text, list};
use crate::graphql::context::ContextExt;
use crate::graphql::guards::Needs;
use crate::graphql::ids::optional_id;
use crate::graphql::ordering::{CreatedOrderField, OrderBy, OrganizationOrderField};
use crate::graphql::types::{AdminUnit, Organization, PartyMember, Person};

/// Which people to list.
#[derive(Debug, Default, InputObject)]
pub struct PersonFilter {
    /// Only people living in this community.
    community: Option<ID>,
    /// Only people living in this grid.
    grid: Option<ID>,
}

impl ListFilter for PersonFilter {
    type Entity = person::Entity;

    fn condition(self) -> Result<Condition, ApiError> {
        let community = optional_id::<AdminUnit>("community", self.community.as_ref())?;
        let grid = optional_id::<AdminUnit>("grid", self.grid.as_ref())?;
        if community.is_none() && grid.is_none() {
            return Ok(Condition::all());
        }
        let homes = Query::select()
            .column(household::Column::Id)
            .from(household::Entity)
            .cond_where(
                Condition::all()
                    .add_option(community.map(|id| household::Column::CommunityId.eq(id)))
                    .add_option(grid.map(|id| household::Column::GridId.eq(id))),
            )
            .to_owned();
        Ok(Condition::all().add(person::Column::HouseholdId.in_subquery(homes)))
    }
}

/// Which organisations to list.
#[derive(Debug, Default, InputObject)]
pub struct OrganizationFilter {
    /// Only organisations of this kind.
    kind: Option<OrganizationKind>,
    /// Only organisations in this status.
    status: Option<OrganizationStatus>,
    /// Only organisations based in this community.
    community: Option<ID>,
    /// Only social organisations bringing in this professional service.
    service_category: Option<ServiceCategory>,
    /// Only organisations whose name contains this text. At most 100 characters.
    #[graphql(validator(chars_max_length = 100))]
    name_contains: Option<String>,
}

impl ListFilter for OrganizationFilter {
    type Entity = organization::Entity;

    fn condition(self) -> Result<Condition, ApiError> {
        use organization::Column as C;
        let community = optional_id::<AdminUnit>("community", self.community.as_ref())?;
        Ok(Condition::all()
            .add_option(self.kind.map(|kind| C::Kind.eq(kind)))
            .add_option(self.status.map(|status| C::Status.eq(status)))
            .add_option(community.map(|id| C::CommunityId.eq(id)))
            .add_option(
                self.service_category
                    .map(|category| C::ServiceCategory.eq(category)),
            )
            .add_option(self.name_contains.map(|text| contains_text(C::Name, &text))))
    }
}

/// Which Party members to list.
#[derive(Debug, Default, InputObject)]
pub struct PartyMemberFilter {
    /// Only members of this unit's Party organisation.
    unit: Option<ID>,
    /// Only serving (or only retired) members.
    serving: Option<bool>,
}

impl ListFilter for PartyMemberFilter {
    type Entity = party_member::Entity;

    fn condition(self) -> Result<Condition, ApiError> {
        use party_member::Column as C;
        let unit = optional_id::<Organization>("unit", self.unit.as_ref())?;
        Ok(Condition::all()
            .add_option(unit.map(|id| C::OrganizationId.eq(id)))
            .add_option(self.serving.map(|serving| C::Serving.eq(serving))))
    }
}

#[derive(Default)]
pub struct PeopleQuery;

#[Object]
impl PeopleQuery {
    /// The signed-in person: their own record whole, with their Party membership,
    /// registrations, posts and self-reports. Null for anonymous callers and partner clients.
    async fn me(&self, ctx: &Context<'_>) -> Result<Option<Person>> {
        let request = ctx.request()?;
        request.load_opt(request.principal.person_id).await
    }

    /// People the caller may see: staff see the residents of their units, organisations their
    /// members, a person themself. Personal data is masked unless the caller needs it.
    #[graphql(guard = "Needs(Scope::PeopleRead)")]
    #[expect(clippy::too_many_arguments, reason = "Relay connection arguments")]
    async fn people(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Narrows the list; every field given must match.")] filter: Option<
            PersonFilter,
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
    ) -> Result<NodeConnection<Person>> {
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

    /// The organisations on the platform.
    #[expect(clippy::too_many_arguments, reason = "Relay connection arguments")]
    async fn organizations(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Narrows the list; every field given must match.")] filter: Option<
            OrganizationFilter,
        >,
        #[graphql(desc = "The order of the list; ties are broken by id.")] order_by: Option<
            OrderBy<OrganizationOrderField>,
        >,
        #[graphql(
            desc = "Returns the first n items (0–100; 20 when neither `first` nor `last` is given)."
        )]
        first: Option<i32>,
        #[graphql(desc = "Returns the items after this cursor.")] after: Option<String>,
        #[graphql(desc = "Returns the last n items (0–100).")] last: Option<i32>,
        #[graphql(desc = "Returns the items before this cursor.")] before: Option<String>,
    ) -> Result<NodeConnection<Organization>> {
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

    /// Party members the caller may see.
    #[graphql(guard = "Needs(Scope::PeopleRead)")]
    #[expect(clippy::too_many_arguments, reason = "Relay connection arguments")]
    async fn party_members(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Narrows the list; every field given must match.")] filter: Option<
            PartyMemberFilter,
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
    ) -> Result<NodeConnection<PartyMember>> {
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
