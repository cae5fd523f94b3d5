//! Batched loading: every nested relation is loaded with one query per kind of relation for the
//! whole response, never one per parent.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::marker::PhantomData;
use std::sync::Arc;

use async_graphql::dataloader::Loader;
use entities::{audit_log, household};
use sea_orm::{ColumnTrait, DbErr, EntityTrait, IdenStatic, ModelTrait, QueryFilter, QueryOrder};

use crate::auth::Principal;
use crate::db::{id_column, row_id};
use crate::domain::scope::Scoped;
use crate::domain::statistics::{self, FiguresCache, UnitRegistrationFigures, UnitWishFigures};
use crate::domain::transaction::Db;

/// The loaders of one request, for one caller: everything they load is scoped to that caller.
pub struct Loaders {
    db: Db,
    principal: Principal,
    /// The instance's rolled-up figures, shared by every request.
    figures: Arc<FiguresCache>,
}

impl Loaders {
    pub fn new(db: Db, principal: Principal, figures: Arc<FiguresCache>) -> Self {
        Self {
            db,
            principal,
            figures,
        }
    }
}

/// A row of `E` by id.
pub struct ById<E>(i64, PhantomData<fn() -> E>);

impl<E> ById<E> {
    pub fn new(id: i64) -> Self {
        Self(id, PhantomData)
    }
}

impl<E> Clone for ById<E> {
    fn clone(&self) -> Self {
        Self::new(self.0)
    }
}
impl<E> PartialEq for ById<E> {
    fn eq(&self, other: &Self) -> bool {
        self.0 == other.0
    }
}
impl<E> Eq for ById<E> {}
impl<E> Hash for ById<E> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.0.hash(state);
    }
}

impl<E> Loader<ById<E>> for Loaders
where
    E: Scoped,
    E::Model: Send + Sync + Clone,
{
    type Value = E::Model;
    type Error = Arc<DbErr>;

    async fn load(&self, keys: &[ById<E>]) -> Result<HashMap<ById<E>, E::Model>, Self::Error> {
        let rows = E::find()
            .filter(id_column::<E>().is_in(keys.iter().map(|key| key.0)))
            .filter(E::visible_to(&self.principal))
            .all(&self.db)
            .await?;
        Ok(rows
            .into_iter()
            .map(|row| (ById::new(row_id::<E>(&row)), row))
            .collect())
    }
}

/// The rows of `E` whose `column` references `parent`.
pub struct ChildrenOf<E: EntityTrait> {
    column: E::Column,
    parent: i64,
}

impl<E: EntityTrait> ChildrenOf<E> {
    pub fn new(column: E::Column, parent: i64) -> Self {
        Self { column, parent }
    }
}

impl<E: EntityTrait> Clone for ChildrenOf<E> {
    fn clone(&self) -> Self {
        Self {
            column: self.column,
            parent: self.parent,
        }
    }
}
impl<E: EntityTrait> PartialEq for ChildrenOf<E> {
    fn eq(&self, other: &Self) -> bool {
        self.parent == other.parent && self.column.as_str() == other.column.as_str()
    }
}
impl<E: EntityTrait> Eq for ChildrenOf<E> {}
impl<E: EntityTrait> Hash for ChildrenOf<E> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.column.as_str().hash(state);
        self.parent.hash(state);
    }
}

impl<E> Loader<ChildrenOf<E>> for Loaders
where
    E: Scoped,
    E::Model: Send + Sync + Clone,
    E::Column: Send + Sync,
{
    type Value = Vec<E::Model>;
    type Error = Arc<DbErr>;

    async fn load(
        &self,
        keys: &[ChildrenOf<E>],
    ) -> Result<HashMap<ChildrenOf<E>, Vec<E::Model>>, Self::Error> {
        // One query per relation (column) asked for, whatever the number of parents.
        let mut by_column: HashMap<&'static str, (E::Column, Vec<i64>)> = HashMap::new();
        for key in keys {
            by_column
                .entry(key.column.as_str())
                .or_insert_with(|| (key.column, Vec::new()))
                .1
                .push(key.parent);
        }
        let mut children: HashMap<ChildrenOf<E>, Vec<E::Model>> = HashMap::new();
        for (column, parents) in by_column.into_values() {
            let rows = E::find()
                .filter(column.is_in(parents))
                .filter(E::visible_to(&self.principal))
                .order_by_asc(id_column::<E>())
                .all(&self.db)
                .await?;
            for row in rows {
                if let sea_orm::Value::BigInt(Some(parent)) = row.get(column) {
                    children
                        .entry(ChildrenOf::new(column, parent))
                        .or_default()
                        .push(row);
                }
            }
        }
        Ok(children)
    }
}

/// A person's household, for deciding what of their data a caller sees. Not exposed itself, so
/// loaded without scoping.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct HomeOf(pub i64);

impl Loader<HomeOf> for Loaders {
    type Value = household::Model;
    type Error = Arc<DbErr>;

    async fn load(
        &self,
        keys: &[HomeOf],
    ) -> Result<HashMap<HomeOf, household::Model>, Self::Error> {
        let rows = household::Entity::find()
            .filter(household::Column::Id.is_in(keys.iter().map(|key| key.0)))
            .all(&self.db)
            .await?;
        Ok(rows.into_iter().map(|row| (HomeOf(row.id), row)).collect())
    }
}

/// The audit trail of a wish, oldest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct WishHistory(pub i64);

impl Loader<WishHistory> for Loaders {
    type Value = Vec<audit_log::Model>;
    type Error = Arc<DbErr>;

    async fn load(
        &self,
        keys: &[WishHistory],
    ) -> Result<HashMap<WishHistory, Vec<audit_log::Model>>, Self::Error> {
        let events = audit_log::Entity::find()
            .filter(audit_log::Column::EntityType.eq("micro_wish"))
            .filter(audit_log::Column::EntityId.is_in(keys.iter().map(|key| key.0)))
            .order_by_asc(audit_log::Column::OccurredAt)
            .order_by_asc(audit_log::Column::Id)
            .all(&self.db)
            .await?;
        let mut history: HashMap<WishHistory, Vec<audit_log::Model>> = HashMap::new();
        for event in events {
            if let Some(wish) = event.entity_id {
                history.entry(WishHistory(wish)).or_default().push(event);
            }
        }
        Ok(history)
    }
}

/// Declares a loader key that stands for a unit (by id) and loads one rolled-up figure of
/// [`statistics`] for a whole batch of units at once.
macro_rules! unit_figures {
    ($(#[$doc:meta])* $key:ident => |$loaders:ident, $units:ident| $load:expr, $value:ty) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub struct $key(pub i64);

        impl Loader<$key> for Loaders {
            type Value = $value;
            type Error = Arc<DbErr>;

            async fn load(&self, keys: &[$key]) -> Result<HashMap<$key, $value>, Self::Error> {
                let $loaders = self;
                let $units: &[i64] = &keys.iter().map(|key| key.0).collect::<Vec<_>>();
                let figures = $load.await?;
                Ok(figures
                    .into_iter()
                    .map(|(unit, value)| ($key(unit), value))
                    .collect())
            }
        }
    };
}

unit_figures!(
    /// The number of open wishes in a unit and everything below it. Open wishes are public, so
    /// the count needs no further scoping.
    OpenWishCount => |loaders, units| statistics::open_wishes_below(&loaders.db, units), u64
);
unit_figures!(
    /// The number of open wishes of a grid.
    OpenWishesInGrid => |loaders, units| statistics::open_wishes_in_grids(&loaders.db, units), u64
);
unit_figures!(
    /// Wish figures of a unit and everything below it.
    WishFigures => |loaders, units| loaders.figures.wish_figures(&loaders.db, units),
    UnitWishFigures
);
unit_figures!(
    /// Registration and service figures of a unit and everything below it.
    RegistrationFigures => |loaders, units| loaders.figures.registration_figures(&loaders.db, units),
    UnitRegistrationFigures
);
