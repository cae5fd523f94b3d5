//! Batched loading: every nested relation is loaded with one query per kind of relation for the
//! whole response, never one per parent.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::marker::PhantomData;
use std::sync::Arc;

use async_graphql::dataloader::Loader;
use entities::wish_claim::{self, ClaimStatus};
use entities::{audit_log, household};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, IntoTableRef, Query, SelectStatement};
use sea_orm::{
    ColumnTrait, Condition, DbErr, EntityTrait, IdenStatic, ModelTrait, QueryFilter, QueryOrder,
};

use super::lists;
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

/// The rows of `E` whose `column` references `parent`, the oldest `limit` of them; only those
/// whose `ended` column is null, when it is given (current posts and members, say).
pub struct ChildrenOf<E: EntityTrait> {
    column: E::Column,
    parent: i64,
    ended: Option<E::Column>,
    limit: usize,
}

impl<E: EntityTrait> ChildrenOf<E> {
    pub fn new(column: E::Column, parent: i64, limit: usize) -> Self {
        Self {
            column,
            parent,
            ended: None,
            limit,
        }
    }

    /// Only the rows whose `ended` column is null.
    pub fn current(self, ended: E::Column) -> Self {
        Self {
            ended: Some(ended),
            ..self
        }
    }

    /// What the rows of one query have in common: all but the parent.
    fn relation(&self) -> (&'static str, Option<&'static str>, usize) {
        (
            self.column.as_str(),
            self.ended.map(|ended| ended.as_str()),
            self.limit,
        )
    }
}

impl<E: EntityTrait> Clone for ChildrenOf<E> {
    fn clone(&self) -> Self {
        Self {
            column: self.column,
            parent: self.parent,
            ended: self.ended,
            limit: self.limit,
        }
    }
}
impl<E: EntityTrait> PartialEq for ChildrenOf<E> {
    fn eq(&self, other: &Self) -> bool {
        self.parent == other.parent && self.relation() == other.relation()
    }
}
impl<E: EntityTrait> Eq for ChildrenOf<E> {}
impl<E: EntityTrait> Hash for ChildrenOf<E> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.relation().hash(state);
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
        // One query per relation asked for, whatever the number of parents.
        let mut by_relation: HashMap<_, (ChildrenOf<E>, Vec<i64>)> = HashMap::new();
        for key in keys {
            by_relation
                .entry(key.relation())
                .or_insert_with(|| (key.clone(), Vec::new()))
                .1
                .push(key.parent);
        }
        let mut children: HashMap<ChildrenOf<E>, Vec<E::Model>> = HashMap::new();
        for (relation, parents) in by_relation.into_values() {
            let rows = E::find()
                .filter(id_column::<E>().in_subquery(self.first_children(&relation, parents)))
                .order_by_asc(id_column::<E>())
                .all(&self.db)
                .await?;
            for row in rows {
                if let sea_orm::Value::BigInt(Some(parent)) = row.get(relation.column) {
                    let key = ChildrenOf {
                        parent,
                        ..relation.clone()
                    };
                    children.entry(key).or_default().push(row);
                }
            }
        }
        Ok(children)
    }
}

impl Loaders {
    /// The ids of the oldest `relation.limit` rows of each of `parents` that the caller may
    /// see.
    fn first_children<E: Scoped>(
        &self,
        relation: &ChildrenOf<E>,
        parents: Vec<i64>,
    ) -> SelectStatement {
        let mut condition = Condition::all()
            .add(relation.column.is_in(parents))
            .add(E::visible_to(&self.principal));
        if let Some(ended) = relation.ended {
            condition = condition.add(ended.is_null());
        }
        let id = id_column::<E>().as_str();
        first_of_each(
            E::default(),
            id,
            relation.column.as_str(),
            id,
            condition,
            relation.limit,
        )
    }
}

/// The ids of the first `limit` rows of `table` in each group of rows that agree on
/// `partition`, in `order`, among those that meet `condition`: however many rows a group has,
/// no more are read into the answer.
fn first_of_each(
    table: impl IntoTableRef,
    id: &str,
    partition: &str,
    order: &str,
    condition: Condition,
    limit: usize,
) -> SelectStatement {
    let mut ranked = Query::select();
    ranked
        .column(Alias::new(id))
        .expr_as(
            Expr::cust(format!(
                "ROW_NUMBER() OVER (PARTITION BY {partition} ORDER BY {order})"
            )),
            Alias::new("place"),
        )
        .from(table)
        .cond_where(condition);
    Query::select()
        .column(Alias::new(id))
        .from_subquery(ranked, Alias::new("ranked"))
        .and_where(Expr::col(Alias::new("place")).lte(limit as u64))
        .to_owned()
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

/// The audit trail of a wish, oldest first: its first [`lists::WISH_HISTORY`] events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct WishHistory(pub i64);

impl Loader<WishHistory> for Loaders {
    type Value = Vec<audit_log::Model>;
    type Error = Arc<DbErr>;

    async fn load(
        &self,
        keys: &[WishHistory],
    ) -> Result<HashMap<WishHistory, Vec<audit_log::Model>>, Self::Error> {
        let of_wishes = Condition::all()
            .add(audit_log::Column::EntityType.eq("micro_wish"))
            .add(audit_log::Column::EntityId.is_in(keys.iter().map(|key| key.0)));
        let first = first_of_each(
            audit_log::Entity,
            "id",
            "entity_id",
            "occurred_at, id",
            of_wishes,
            lists::WISH_HISTORY.limit(),
        );
        let events = audit_log::Entity::find()
            .filter(audit_log::Column::Id.in_subquery(first))
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

/// The claim of a wish now being fulfilled (active or delivered), as the caller may see it: a
/// wish has one at most (a unique index holds it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ActiveClaimOf(pub i64);

impl Loader<ActiveClaimOf> for Loaders {
    type Value = wish_claim::Model;
    type Error = Arc<DbErr>;

    async fn load(
        &self,
        keys: &[ActiveClaimOf],
    ) -> Result<HashMap<ActiveClaimOf, wish_claim::Model>, Self::Error> {
        let claims = wish_claim::Entity::find()
            .filter(wish_claim::Column::WishId.is_in(keys.iter().map(|key| key.0)))
            .filter(wish_claim::Column::Status.is_in([ClaimStatus::Active, ClaimStatus::Delivered]))
            .filter(wish_claim::Entity::visible_to(&self.principal))
            .all(&self.db)
            .await?;
        Ok(claims
            .into_iter()
            .map(|claim| (ActiveClaimOf(claim.wish_id), claim))
            .collect())
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
