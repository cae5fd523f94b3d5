//! Batched loading: every nested relation is loaded with one query per kind of relation for the
//! whole response, never one per parent.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::marker::PhantomData;
use std::sync::Arc;

use async_graphql::dataloader::Loader;
use entities::member_registration::MemberRegistrationStatus;
use entities::micro_wish::WishStatus;
use entities::org_registration::OrgRegistrationStatus;
use entities::post_claim::PostClaimStatus;
use entities::service_post::PostStatus;
use entities::service_record::RecordStatus;
use entities::{
    admin_unit, audit_log, household, member_registration, micro_wish, org_registration,
    post_claim, service_post, service_record,
};
use sea_orm::sea_query::{
    Alias, Asterisk, Expr, ExprTrait, Func, JoinType, Query, SelectStatement,
};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, DbErr, EntityTrait,
    FromQueryResult, IdenStatic, ModelTrait, QueryFilter, QueryOrder, QueryResult, QuerySelect,
    StatementBuilder,
};

use super::connection::{id_column, id_of};
use crate::auth::Principal;
use crate::domain::scope::Scoped;

/// The loaders of one request, for one caller: everything they load is scoped to that caller.
pub struct Loaders {
    db: DatabaseConnection,
    principal: Principal,
}

impl Loaders {
    pub fn new(db: DatabaseConnection, principal: Principal) -> Self {
        Self { db, principal }
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
            .map(|row| (ById::new(id_of::<E>(&row)), row))
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

/// The number of open wishes in a unit and everything below it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct OpenWishCount(pub i64);

impl Loader<OpenWishCount> for Loaders {
    type Value = u64;
    type Error = Arc<DbErr>;

    async fn load(
        &self,
        keys: &[OpenWishCount],
    ) -> Result<HashMap<OpenWishCount, u64>, Self::Error> {
        #[derive(FromQueryResult)]
        struct Row {
            unit_id: i64,
            open: i64,
        }
        // Open wishes are public, so the count needs no further scoping.
        let units: Vec<i64> = keys.iter().map(|key| key.0).collect();
        let query = wishes_below(&units)
            .expr_as(
                Func::count(Expr::col((micro_wish::Entity, micro_wish::Column::Id))),
                Alias::new("open"),
            )
            .and_where(
                Expr::col((micro_wish::Entity, micro_wish::Column::Status)).eq(WishStatus::Open),
            )
            .group_by_col((Alias::new("unit"), admin_unit::Column::Id))
            .to_owned();
        let statement = StatementBuilder::build(&query, &self.db.get_database_backend());
        let rows = Row::find_by_statement(statement).all(&self.db).await?;
        let mut counts: HashMap<OpenWishCount, u64> = keys.iter().map(|key| (*key, 0)).collect();
        counts.extend(
            rows.into_iter()
                .map(|row| (OpenWishCount(row.unit_id), row.open.unsigned_abs())),
        );
        Ok(counts)
    }
}

/// The number of open wishes of a grid: a grid's own wishes need no walk down the hierarchy,
/// just the `(grid_id, status)` index.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct OpenWishesInGrid(pub i64);

impl Loader<OpenWishesInGrid> for Loaders {
    type Value = u64;
    type Error = Arc<DbErr>;

    async fn load(
        &self,
        keys: &[OpenWishesInGrid],
    ) -> Result<HashMap<OpenWishesInGrid, u64>, Self::Error> {
        // Open wishes are public, so the count needs no further scoping.
        let rows: Vec<(i64, i64)> = micro_wish::Entity::find()
            .select_only()
            .column(micro_wish::Column::GridId)
            .column_as(micro_wish::Column::Id.count(), "open")
            .filter(micro_wish::Column::GridId.is_in(keys.iter().map(|key| key.0)))
            .filter(micro_wish::Column::Status.eq(WishStatus::Open))
            .group_by(micro_wish::Column::GridId)
            .into_tuple()
            .all(&self.db)
            .await?;
        let mut counts: HashMap<OpenWishesInGrid, u64> = keys.iter().map(|key| (*key, 0)).collect();
        counts.extend(
            rows.into_iter()
                .map(|(grid, open)| (OpenWishesInGrid(grid), open.unsigned_abs())),
        );
        Ok(counts)
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

/// Wish figures of a unit and everything below it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct WishFigures(pub i64);

/// What [`WishFigures`] loads: counts by status, and the median number of days realised wishes
/// took from publishing to realisation.
#[derive(Debug, Clone, Default)]
pub struct UnitWishFigures {
    pub by_status: Vec<(WishStatus, u64)>,
    pub median_days_to_realize: Option<f64>,
}

impl Loader<WishFigures> for Loaders {
    type Value = UnitWishFigures;
    type Error = Arc<DbErr>;

    async fn load(
        &self,
        keys: &[WishFigures],
    ) -> Result<HashMap<WishFigures, UnitWishFigures>, Self::Error> {
        #[derive(FromQueryResult)]
        struct Count {
            unit_id: i64,
            status: WishStatus,
            n: i64,
        }
        #[derive(FromQueryResult)]
        struct Realized {
            unit_id: i64,
            days: f64,
        }
        let units: Vec<i64> = keys.iter().map(|key| key.0).collect();
        let backend = self.db.get_database_backend();
        let counts = counts_by_status(
            &units,
            micro_wish::Entity,
            micro_wish::Column::GridId,
            micro_wish::Column::Status,
        );
        let counts = Count::find_by_statement(StatementBuilder::build(&counts, &backend))
            .all(&self.db)
            .await?;
        let realized = days_to_realize(&units, backend);
        let realized = Realized::find_by_statement(StatementBuilder::build(&realized, &backend))
            .all(&self.db)
            .await?;

        let mut figures: HashMap<WishFigures, UnitWishFigures> = keys
            .iter()
            .map(|key| (*key, UnitWishFigures::default()))
            .collect();
        for count in counts {
            if let Some(unit) = figures.get_mut(&WishFigures(count.unit_id)) {
                unit.by_status.push((count.status, count.n.unsigned_abs()));
            }
        }
        let mut days: HashMap<i64, Vec<f64>> = HashMap::new();
        for wish in realized {
            days.entry(wish.unit_id).or_default().push(wish.days);
        }
        for (unit, mut days) in days {
            if let Some(figures) = figures.get_mut(&WishFigures(unit)) {
                figures.median_days_to_realize = median(&mut days);
            }
        }
        Ok(figures)
    }
}

/// The days from publishing to realisation of each realised wish below each of `units`, one
/// number per wish: computed by the database, so the server decodes no timestamps. (Ranking
/// them there to pick the median cost PostgreSQL more than twice the scan itself.)
fn days_to_realize(units: &[i64], backend: DbBackend) -> SelectStatement {
    let days = match backend {
        DbBackend::Sqlite => {
            "julianday(micro_wish.realized_at) - julianday(micro_wish.published_at)"
        }
        _ => {
            "CAST(EXTRACT(EPOCH FROM micro_wish.realized_at - micro_wish.published_at) \
             AS DOUBLE PRECISION) / 86400"
        }
    };
    wishes_below(units)
        .expr_as(Expr::cust(days), Alias::new("days"))
        .and_where(
            Expr::col((micro_wish::Entity, micro_wish::Column::Status)).eq(WishStatus::Realized),
        )
        .and_where(Expr::col((micro_wish::Entity, micro_wish::Column::PublishedAt)).is_not_null())
        .and_where(Expr::col((micro_wish::Entity, micro_wish::Column::RealizedAt)).is_not_null())
        .to_owned()
}

/// The median of `days`; `None` when there are none.
fn median(days: &mut [f64]) -> Option<f64> {
    let count = days.len();
    if count == 0 {
        return None;
    }
    let (lower, upper, _) = days.select_nth_unstable_by(count / 2, f64::total_cmp);
    let upper = *upper;
    if count % 2 == 1 {
        return Some(upper);
    }
    let below = lower.iter().copied().max_by(f64::total_cmp)?;
    Some((below + upper) / 2.0)
}

/// Registration and service figures of a unit and everything below it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RegistrationFigures(pub i64);

/// What [`RegistrationFigures`] loads.
#[derive(Debug, Clone, Default)]
pub struct UnitRegistrationFigures {
    pub members_by_status: Vec<(MemberRegistrationStatus, u64)>,
    pub organizations_by_status: Vec<(OrgRegistrationStatus, u64)>,
    pub open_posts: u64,
    pub open_places: u64,
    pub post_holders: u64,
    pub service_minutes: i64,
    pub service_records: u64,
    pub serving_members: u64,
}

impl Loader<RegistrationFigures> for Loaders {
    type Value = UnitRegistrationFigures;
    type Error = Arc<DbErr>;

    async fn load(
        &self,
        keys: &[RegistrationFigures],
    ) -> Result<HashMap<RegistrationFigures, UnitRegistrationFigures>, Self::Error> {
        let units: Vec<i64> = keys.iter().map(|key| key.0).collect();
        let count = |column: &str| Func::count(Expr::col((Alias::new(column), Alias::new("id"))));
        let members = counts_by_status(
            &units,
            member_registration::Entity,
            member_registration::Column::CommunityId,
            member_registration::Column::Status,
        );
        let organizations = counts_by_status(
            &units,
            org_registration::Entity,
            org_registration::Column::CommunityId,
            org_registration::Column::Status,
        );
        let posts = rows_below(
            &units,
            service_post::Entity,
            service_post::Column::CommunityId,
        )
        .expr_as(count("service_post"), Alias::new("posts"))
        .expr_as(
            Func::sum(Expr::col((
                service_post::Entity,
                service_post::Column::HeadCount,
            ))),
            Alias::new("places"),
        )
        .and_where(
            Expr::col((service_post::Entity, service_post::Column::Status)).eq(PostStatus::Open),
        )
        .group_by_col((Alias::new("unit"), admin_unit::Column::Id))
        .to_owned();
        let holders = rows_below(
            &units,
            service_post::Entity,
            service_post::Column::CommunityId,
        )
        .join(
            JoinType::InnerJoin,
            post_claim::Entity,
            Expr::col((post_claim::Entity, post_claim::Column::PostId))
                .equals((service_post::Entity, service_post::Column::Id)),
        )
        .expr_as(count("post_claim"), Alias::new("n"))
        .and_where(
            Expr::col((post_claim::Entity, post_claim::Column::Status))
                .eq(PostClaimStatus::Confirmed),
        )
        .group_by_col((Alias::new("unit"), admin_unit::Column::Id))
        .to_owned();
        let service = rows_below(
            &units,
            service_record::Entity,
            service_record::Column::CommunityId,
        )
        .expr_as(
            Func::sum(Expr::col((
                service_record::Entity,
                service_record::Column::Minutes,
            ))),
            Alias::new("minutes"),
        )
        .expr_as(count("service_record"), Alias::new("records"))
        .expr_as(
            Func::count_distinct(Expr::col((
                service_record::Entity,
                service_record::Column::PersonId,
            ))),
            Alias::new("people"),
        )
        .and_where(
            Expr::col((service_record::Entity, service_record::Column::Status))
                .eq(RecordStatus::Confirmed),
        )
        .and_where(
            Expr::col((service_record::Entity, service_record::Column::MemberUnitId)).is_not_null(),
        )
        .group_by_col((Alias::new("unit"), admin_unit::Column::Id))
        .to_owned();

        let mut figures: HashMap<RegistrationFigures, UnitRegistrationFigures> = keys
            .iter()
            .map(|key| (*key, UnitRegistrationFigures::default()))
            .collect();
        for row in self.db.query_all(&members).await? {
            let entry = (row.try_get("", "status")?, count_of(&row, "n")?);
            figures_of(&mut figures, &row)?
                .members_by_status
                .push(entry);
        }
        for row in self.db.query_all(&organizations).await? {
            let entry = (row.try_get("", "status")?, count_of(&row, "n")?);
            figures_of(&mut figures, &row)?
                .organizations_by_status
                .push(entry);
        }
        for row in self.db.query_all(&posts).await? {
            let (posts, places) = (count_of(&row, "posts")?, count_of(&row, "places")?);
            let unit = figures_of(&mut figures, &row)?;
            (unit.open_posts, unit.open_places) = (posts, places);
        }
        for row in self.db.query_all(&holders).await? {
            let holders = count_of(&row, "n")?;
            figures_of(&mut figures, &row)?.post_holders = holders;
        }
        for row in self.db.query_all(&service).await? {
            let minutes: i64 = row.try_get("", "minutes")?;
            let (records, people) = (count_of(&row, "records")?, count_of(&row, "people")?);
            let unit = figures_of(&mut figures, &row)?;
            (
                unit.service_minutes,
                unit.service_records,
                unit.serving_members,
            ) = (minutes, records, people);
        }
        Ok(figures)
    }
}

/// The figures of the unit a row of a [`rows_below`] query is about.
fn figures_of<'a>(
    figures: &'a mut HashMap<RegistrationFigures, UnitRegistrationFigures>,
    row: &QueryResult,
) -> Result<&'a mut UnitRegistrationFigures, DbErr> {
    let unit: i64 = row.try_get("", "unit_id")?;
    figures
        .get_mut(&RegistrationFigures(unit))
        .ok_or_else(|| DbErr::Custom(format!("figures of unit {unit} were not asked for")))
}

/// A count from an aggregate column, which is never negative.
fn count_of(row: &QueryResult, column: &str) -> Result<u64, DbErr> {
    let count: i64 = row.try_get("", column)?;
    Ok(count.unsigned_abs())
}

/// `unit_id, status, n`: how many rows of `entity` below each of `units` are in each `status`.
fn counts_by_status<E: EntityTrait>(
    units: &[i64],
    entity: E,
    unit_column: E::Column,
    status: E::Column,
) -> SelectStatement {
    rows_below(units, entity, unit_column)
        .expr_as(Expr::col((entity, status)), Alias::new("status"))
        .expr_as(Func::count(Expr::col(Asterisk)), Alias::new("n"))
        .group_by_col((Alias::new("unit"), admin_unit::Column::Id))
        .group_by_col((entity, status))
        .to_owned()
}

/// `SELECT unit.id AS unit_id … FROM admin_unit unit JOIN admin_unit below JOIN micro_wish`: the
/// wishes of every grid below each of `units`.
fn wishes_below(units: &[i64]) -> SelectStatement {
    rows_below(units, micro_wish::Entity, micro_wish::Column::GridId)
}

/// `SELECT unit.id AS unit_id … FROM admin_unit unit JOIN admin_unit below JOIN entity`: the rows
/// of `entity` whose `unit_column` names each of `units` or a unit below it (their materialised
/// paths as a range).
fn rows_below<E: EntityTrait>(units: &[i64], entity: E, unit_column: E::Column) -> SelectStatement {
    let (unit, below) = (Alias::new("unit"), Alias::new("below"));
    let path = admin_unit::Column::Path;
    Query::select()
        .expr_as(
            Expr::col((unit.clone(), admin_unit::Column::Id)),
            Alias::new("unit_id"),
        )
        .from_as(admin_unit::Entity, unit.clone())
        .join_as(
            JoinType::InnerJoin,
            admin_unit::Entity,
            below.clone(),
            Expr::col((below.clone(), path))
                .gte(Expr::col((unit.clone(), path)))
                .and(Expr::col((below.clone(), path)).lt(Expr::cust(
                    "substr(unit.path, 1, length(unit.path) - 1) || '0'",
                ))),
        )
        .join(
            JoinType::InnerJoin,
            entity,
            Expr::col((entity, unit_column)).equals((below, admin_unit::Column::Id)),
        )
        .and_where(Expr::col((unit, admin_unit::Column::Id)).is_in(units.iter().copied()))
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::median;

    #[test]
    fn the_median_is_the_middle_value_or_the_mean_of_the_middle_two() {
        assert_eq!(median(&mut []), None);
        assert_eq!(median(&mut [5.0]), Some(5.0));
        assert_eq!(median(&mut [3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&mut [4.0, 1.0, 3.0, 2.0]), Some(2.5));
    }
}
