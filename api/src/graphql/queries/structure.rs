use async_graphql::{Context, ID, InputObject, Object, Result};
use entities::admin_unit::UnitLevel;
use entities::service_centre::CentreKind;
use entities::{admin_unit, department, service_centre};
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter};

use crate::domain::scope::units_within;
use crate::error::ApiError;
use crate::graphql::connection::{
    ListFilter, NodeConnection, PageArgs, contains_text, list, paginate,
};
use crate::graphql::context::ContextExt;
use crate::graphql::errors::OrGql;
use crate::graphql::ids::optional_id;
use crate::graphql::ordering::{AdminUnitOrderField, IdOrder, OrderBy};
use crate::graphql::types::{AdminUnit, Department, ServiceCentre};

/// Which units to list.
#[derive(Debug, Default, InputObject)]
pub struct AdminUnitFilter {
    /// Only units at this level.
    level: Option<UnitLevel>,
    /// Only the units directly below this one.
    parent: Option<ID>,
    /// Only this unit and the units anywhere below it.
    within: Option<ID>,
    /// Only units whose name contains this text. At most 100 characters.
    #[graphql(validator(chars_max_length = 100))]
    name_contains: Option<String>,
    /// Only the units with these administrative codes.
    /// At most 100 items, each at most 32 characters.
    #[graphql(validator(max_items = 100, list, chars_max_length = 32))]
    codes: Option<Vec<String>>,
}

impl ListFilter for AdminUnitFilter {
    type Entity = admin_unit::Entity;

    fn condition(self) -> Result<Condition, ApiError> {
        use admin_unit::Column as C;
        let parent = optional_id::<AdminUnit>("parent", self.parent.as_ref())?;
        let within = optional_id::<AdminUnit>("within", self.within.as_ref())?;
        Ok(Condition::all()
            .add_option(self.level.map(|level| C::Level.eq(level)))
            .add_option(parent.map(|parent| C::ParentId.eq(parent)))
            .add_option(within.map(|unit| C::Id.in_subquery(units_within(unit))))
            .add_option(self.name_contains.map(|text| contains_text(C::Name, &text)))
            .add_option(self.codes.map(|codes| C::Code.is_in(codes))))
    }
}

/// Which service centres to list.
#[derive(Debug, Default, InputObject)]
pub struct ServiceCentreFilter {
    /// Only the centres of this community.
    community: Option<ID>,
    /// Only centres of this kind.
    kind: Option<CentreKind>,
}

#[derive(Default)]
pub struct StructureQuery;

#[Object]
impl StructureQuery {
    /// The district's units: sub-districts, communities and grids.
    #[expect(clippy::too_many_arguments, reason = "Relay connection arguments")]
    async fn admin_units(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Narrows the list; every field given must match.")] filter: Option<
            AdminUnitFilter,
        >,
        #[graphql(desc = "The order of the list; ties are broken by id.")] order_by: Option<
            OrderBy<AdminUnitOrderField>,
        >,
        #[graphql(
            desc = "Returns the first n items (0–100; 20 when neither `first` nor `last` is given)."
        )]
        first: Option<i32>,
        #[graphql(desc = "Returns the items after this cursor.")] after: Option<String>,
        #[graphql(desc = "Returns the last n items (0–100).")] last: Option<i32>,
        #[graphql(desc = "Returns the items before this cursor.")] before: Option<String>,
    ) -> Result<NodeConnection<AdminUnit>> {
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

    /// A unit by its administrative code.
    async fn admin_unit_by_code(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The administrative code, such as `411002001001`.")] code: String,
    ) -> Result<Option<AdminUnit>> {
        let request = ctx.request()?;
        let unit = admin_unit::Entity::find()
            .filter(admin_unit::Column::Code.eq(code))
            .one(&request.db)
            .await;
        Ok(unit.or_gql()?.map(AdminUnit))
    }

    /// The communities' service centres.
    async fn service_centres(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Narrows the list; every field given must match.")] filter: Option<
            ServiceCentreFilter,
        >,
        #[graphql(
            desc = "Returns the first n items (0–100; 20 when neither `first` nor `last` is given)."
        )]
        first: Option<i32>,
        #[graphql(desc = "Returns the items after this cursor.")] after: Option<String>,
        #[graphql(desc = "Returns the last n items (0–100).")] last: Option<i32>,
        #[graphql(desc = "Returns the items before this cursor.")] before: Option<String>,
    ) -> Result<NodeConnection<ServiceCentre>> {
        use service_centre::Column as C;
        let filter = filter.unwrap_or_default();
        let community =
            optional_id::<AdminUnit>("community", filter.community.as_ref()).or_gql()?;
        let select = service_centre::Entity::find().filter(
            Condition::all()
                .add_option(community.map(|community| C::CommunityId.eq(community)))
                .add_option(filter.kind.map(|kind| C::Kind.eq(kind))),
        );
        paginate(
            ctx,
            select,
            (IdOrder, Default::default()),
            PageArgs {
                first,
                after,
                last,
                before,
            },
        )
        .await
    }

    /// The district departments that send work down to grids.
    async fn departments(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "Returns the first n items (0–100; 20 when neither `first` nor `last` is given)."
        )]
        first: Option<i32>,
        #[graphql(desc = "Returns the items after this cursor.")] after: Option<String>,
        #[graphql(desc = "Returns the last n items (0–100).")] last: Option<i32>,
        #[graphql(desc = "Returns the items before this cursor.")] before: Option<String>,
    ) -> Result<NodeConnection<Department>> {
        let select = department::Entity::find();
        paginate(
            ctx,
            select,
            (IdOrder, Default::default()),
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
