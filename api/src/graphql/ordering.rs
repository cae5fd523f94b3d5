//! How lists are ordered: a field and a direction per list, and the sort keys that cursors
//! carry so that the next page starts right after the last row of this one.

use async_graphql::{Enum, InputObject, InputType};
use chrono::{DateTime, Utc};
use entities::{admin_unit, micro_wish, organization, service_record, volunteer_activity};
use sea_orm::EntityTrait;
use serde::{Deserialize, Serialize};

use crate::db;

/// Which way to sort.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Enum)]
pub enum OrderDirection {
    /// Smallest (or earliest) first.
    #[default]
    Asc,
    /// Largest (or latest) first.
    Desc,
}

/// A sortable value of a row, kept in cursors so the next page starts right after it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum SortKey {
    Int(i64),
    Time(DateTime<Utc>),
    Text(String),
}

impl From<SortKey> for sea_orm::Value {
    fn from(key: SortKey) -> Self {
        match key {
            SortKey::Int(value) => value.into(),
            SortKey::Time(value) => value.into(),
            SortKey::Text(value) => value.into(),
        }
    }
}

/// One way to order the rows of an entity: a non-null column and how to read it off a row.
pub trait SortField<E: EntityTrait>: Copy + Send + Sync + std::fmt::Debug {
    fn column(self) -> E::Column;
    fn key(self, row: &E::Model) -> SortKey;
}

/// How to order a list: a field and a direction.
#[derive(Debug, Clone, Copy, InputObject)]
#[graphql(
    concrete(name = "AdminUnitOrder", params(AdminUnitOrderField)),
    concrete(name = "OrganizationOrder", params(OrganizationOrderField)),
    concrete(name = "CreatedOrder", params(CreatedOrderField)),
    concrete(name = "VolunteerActivityOrder", params(ActivityOrderField)),
    concrete(name = "ServiceRecordOrder", params(ServiceRecordOrderField)),
    concrete(name = "MicroWishOrder", params(WishOrderField))
)]
pub struct OrderBy<F: InputType + Copy> {
    /// The field to sort by; ties are broken by id.
    pub field: F,
    /// Which way to sort.
    #[graphql(default)]
    pub direction: OrderDirection,
}

impl<F: InputType + Copy + Default> OrderBy<F> {
    /// The field and direction of an optional ordering argument (by default, the field's
    /// default ascending).
    pub fn or_default(order_by: Option<Self>) -> (F, OrderDirection) {
        order_by.map_or((F::default(), OrderDirection::Asc), |order| {
            (order.field, order.direction)
        })
    }
}

/// Ordering by id alone, for lists that offer no other.
#[derive(Debug, Clone, Copy)]
pub struct IdOrder;

impl<E: EntityTrait> SortField<E> for IdOrder
where
    E::Model: Sync,
{
    fn column(self) -> E::Column {
        db::id_column::<E>()
    }

    fn key(self, row: &E::Model) -> SortKey {
        SortKey::Int(db::row_id::<E>(row))
    }
}

/// Orders a list by id (creation order) or creation time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Enum)]
pub enum CreatedOrderField {
    /// By id: the order in which the items were created.
    #[default]
    Id,
    /// By creation time.
    CreatedAt,
}

macro_rules! created_order {
    ($($module:ident),* $(,)?) => {
        $(impl SortField<entities::$module::Entity> for CreatedOrderField {
            fn column(self) -> entities::$module::Column {
                match self {
                    Self::Id => entities::$module::Column::Id,
                    Self::CreatedAt => entities::$module::Column::CreatedAt,
                }
            }

            fn key(self, row: &entities::$module::Model) -> SortKey {
                match self {
                    Self::Id => SortKey::Int(row.id),
                    Self::CreatedAt => SortKey::Time(row.created_at),
                }
            }
        })*
    };
}

created_order!(
    person,
    party_member,
    org_registration,
    member_registration,
    service_post,
    post_claim,
    feedback_report,
    member_report,
    volunteer_team,
    activity_signup,
    wish_claim,
);

/// What to order units by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Enum)]
pub enum AdminUnitOrderField {
    /// By id.
    #[default]
    Id,
    /// By administrative code.
    Code,
    /// By name.
    Name,
    /// By household count.
    Households,
}

impl SortField<admin_unit::Entity> for AdminUnitOrderField {
    fn column(self) -> admin_unit::Column {
        match self {
            Self::Id => admin_unit::Column::Id,
            Self::Code => admin_unit::Column::Code,
            Self::Name => admin_unit::Column::Name,
            Self::Households => admin_unit::Column::Households,
        }
    }

    fn key(self, row: &admin_unit::Model) -> SortKey {
        match self {
            Self::Id => SortKey::Int(row.id),
            Self::Code => SortKey::Text(row.code.clone()),
            Self::Name => SortKey::Text(row.name.clone()),
            Self::Households => SortKey::Int(row.households.into()),
        }
    }
}

/// What to order organisations by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Enum)]
pub enum OrganizationOrderField {
    /// By id: the order in which they joined the platform.
    #[default]
    Id,
    /// By name.
    Name,
    /// By when they joined the platform.
    CreatedAt,
}

impl SortField<organization::Entity> for OrganizationOrderField {
    fn column(self) -> organization::Column {
        match self {
            Self::Id => organization::Column::Id,
            Self::Name => organization::Column::Name,
            Self::CreatedAt => organization::Column::CreatedAt,
        }
    }

    fn key(self, row: &organization::Model) -> SortKey {
        match self {
            Self::Id => SortKey::Int(row.id),
            Self::Name => SortKey::Text(row.name.clone()),
            Self::CreatedAt => SortKey::Time(row.created_at),
        }
    }
}

/// What to order activities by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Enum)]
pub enum ActivityOrderField {
    /// By start time.
    #[default]
    StartsAt,
    /// By id: the order in which they were created.
    Id,
    /// By when they were created.
    CreatedAt,
}

impl SortField<volunteer_activity::Entity> for ActivityOrderField {
    fn column(self) -> volunteer_activity::Column {
        match self {
            Self::StartsAt => volunteer_activity::Column::StartsAt,
            Self::Id => volunteer_activity::Column::Id,
            Self::CreatedAt => volunteer_activity::Column::CreatedAt,
        }
    }

    fn key(self, row: &volunteer_activity::Model) -> SortKey {
        match self {
            Self::StartsAt => SortKey::Time(row.starts_at),
            Self::Id => SortKey::Int(row.id),
            Self::CreatedAt => SortKey::Time(row.created_at),
        }
    }
}

/// What to order service records by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Enum)]
pub enum ServiceRecordOrderField {
    /// By id: the order in which they were recorded.
    #[default]
    Id,
    /// By when the service started.
    StartedAt,
}

impl SortField<service_record::Entity> for ServiceRecordOrderField {
    fn column(self) -> service_record::Column {
        match self {
            Self::Id => service_record::Column::Id,
            Self::StartedAt => service_record::Column::StartedAt,
        }
    }

    fn key(self, row: &service_record::Model) -> SortKey {
        match self {
            Self::Id => SortKey::Int(row.id),
            Self::StartedAt => SortKey::Time(row.started_at),
        }
    }
}

/// What to order wishes by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Enum)]
pub enum WishOrderField {
    /// By id: the order in which they were submitted.
    #[default]
    Id,
    /// By deadline.
    Deadline,
    /// By estimated value.
    EstimatedValue,
    /// By when they were submitted.
    CreatedAt,
}

impl SortField<micro_wish::Entity> for WishOrderField {
    fn column(self) -> micro_wish::Column {
        match self {
            Self::Id => micro_wish::Column::Id,
            Self::Deadline => micro_wish::Column::Deadline,
            Self::EstimatedValue => micro_wish::Column::EstimatedValueCents,
            Self::CreatedAt => micro_wish::Column::CreatedAt,
        }
    }

    fn key(self, row: &micro_wish::Model) -> SortKey {
        match self {
            Self::Id => SortKey::Int(row.id),
            Self::Deadline => SortKey::Time(row.deadline),
            Self::EstimatedValue => SortKey::Int(row.estimated_value_cents.into()),
            Self::CreatedAt => SortKey::Time(row.created_at),
        }
    }
}
