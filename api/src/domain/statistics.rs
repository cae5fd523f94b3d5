//! Figures rolled up the hierarchy: for each of a set of units, counts over the unit and
//! everything below it (its materialised path as a range). Each function answers for any number
//! of units with a fixed number of statements, so a page of units costs the same as one.
//!
//! The figures cover public rows (open wishes) or aggregate counts that reveal no row; the
//! GraphQL layer decides who may read them.
//!
//! The district-wide figures read every wish or registration below a unit, about 50 ms of
//! PostgreSQL per request for the district's sub-districts; a burst of dashboards asking for the
//! same figures queued behind each other for seconds. [`FiguresCache`] computes them once per
//! database snapshot instead.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, PoisonError};

use entities::admin_unit;
use entities::member_registration::{self, MemberRegistrationStatus};
use entities::micro_wish::{self, WishStatus};
use entities::org_registration::{self, OrgRegistrationStatus};
use entities::post_claim::{self, PostClaimStatus};
use entities::service_post::{self, PostStatus};
use entities::service_record::{self, RecordStatus};
use sea_orm::sea_query::{
    Alias, Asterisk, Expr, ExprTrait, Func, JoinType, Query, SelectStatement,
};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseTransaction, DbBackend, DbErr, EntityTrait,
    FromQueryResult, QueryFilter, QueryResult, QuerySelect, StatementBuilder,
};
use tokio::sync::OnceCell;

use super::transaction::{Db, SnapshotRead};

/// The wish and registration figures already computed, by the database snapshot they were
/// computed in. Two reads that see the same snapshot see the same rows (nothing committed, and
/// no transaction began writing, in between), so the first one's figures are exactly the
/// second's: a burst of identical reads costs the database one computation, those arriving
/// while it runs wait for it, and any write makes the next read compute afresh. Each instance
/// keeps its own, and none can go stale, because the key is the database's. On PostgreSQL; on
/// SQLite (one embedded instance) every read computes.
#[derive(Default)]
pub struct FiguresCache {
    wishes: Memo<UnitWishFigures>,
    registrations: Memo<UnitRegistrationFigures>,
}

impl FiguresCache {
    /// [`wish_figures`] of each of `units`, computed at most once per snapshot.
    pub async fn wish_figures(
        &self,
        db: &Db,
        units: &[i64],
    ) -> Result<HashMap<i64, UnitWishFigures>, DbErr> {
        self.wishes
            .get_or_compute(db, units, async |txn, units| wish_figures(txn, units).await)
            .await
    }

    /// [`registration_figures`] of each of `units`, computed at most once per snapshot.
    pub async fn registration_figures(
        &self,
        db: &Db,
        units: &[i64],
    ) -> Result<HashMap<i64, UnitRegistrationFigures>, DbErr> {
        self.registrations
            .get_or_compute(db, units, async |txn, units| {
                registration_figures(txn, units).await
            })
            .await
    }
}

/// How many computations (snapshot and set of units) a [`Memo`] remembers: every write makes a
/// new snapshot, so only the last few are ever asked for again.
const REMEMBERED: usize = 16;

/// Figures of sets of units by snapshot; the oldest are forgotten first.
struct Memo<V>(Mutex<VecDeque<Computation<V>>>);

/// The figures of `units` in `snapshot`, once someone has computed them.
struct Computation<V> {
    snapshot: String,
    units: Vec<i64>,
    figures: Arc<OnceCell<HashMap<i64, V>>>,
}

impl<V> Default for Memo<V> {
    fn default() -> Self {
        Self(Mutex::new(VecDeque::with_capacity(REMEMBERED)))
    }
}

impl<V: Clone> Memo<V> {
    async fn get_or_compute(
        &self,
        db: &Db,
        units: &[i64],
        compute: impl AsyncFnOnce(&DatabaseTransaction, &[i64]) -> Result<HashMap<i64, V>, DbErr>,
    ) -> Result<HashMap<i64, V>, DbErr> {
        let mut units = units.to_vec();
        units.sort_unstable();
        units.dedup();
        let read = SnapshotRead::begin(db).await?;
        let figures = match read.name().await? {
            Some(snapshot) => self
                .computation(snapshot, &units)
                .get_or_try_init(|| compute(read.connection(), &units))
                .await?
                .clone(),
            None => compute(read.connection(), &units).await?,
        };
        read.end().await?;
        Ok(figures)
    }

    /// The computation of `units` in `snapshot`, begun now if nobody has asked for it yet.
    fn computation(&self, snapshot: String, units: &[i64]) -> Arc<OnceCell<HashMap<i64, V>>> {
        // A panic elsewhere cannot leave the list half-changed: every change below is one call.
        let mut remembered = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(known) = remembered
            .iter()
            .find(|known| known.snapshot == snapshot && known.units == units)
        {
            return known.figures.clone();
        }
        if remembered.len() == REMEMBERED {
            remembered.pop_front();
        }
        let figures = Arc::new(OnceCell::new());
        remembered.push_back(Computation {
            snapshot,
            units: units.to_vec(),
            figures: figures.clone(),
        });
        figures
    }
}

/// The number of open wishes in each of `units` and everything below it; 0 for a unit with none.
pub async fn open_wishes_below(
    db: &impl ConnectionTrait,
    units: &[i64],
) -> Result<HashMap<i64, u64>, DbErr> {
    #[derive(FromQueryResult)]
    struct Row {
        unit_id: i64,
        open: i64,
    }
    let query = wishes_below(units)
        .expr_as(
            Func::count(Expr::col((micro_wish::Entity, micro_wish::Column::Id))),
            Alias::new("open"),
        )
        .and_where(Expr::col((micro_wish::Entity, micro_wish::Column::Status)).eq(WishStatus::Open))
        .group_by_col((Alias::new("unit"), admin_unit::Column::Id))
        .to_owned();
    let statement = StatementBuilder::build(&query, &db.get_database_backend());
    let rows = Row::find_by_statement(statement).all(db).await?;
    let mut counts: HashMap<i64, u64> = units.iter().map(|unit| (*unit, 0)).collect();
    counts.extend(
        rows.into_iter()
            .map(|row| (row.unit_id, row.open.unsigned_abs())),
    );
    Ok(counts)
}

/// The number of open wishes of each of `grids`: a grid's own wishes need no walk down the
/// hierarchy, just the `(grid_id, status)` index.
pub async fn open_wishes_in_grids(
    db: &impl ConnectionTrait,
    grids: &[i64],
) -> Result<HashMap<i64, u64>, DbErr> {
    let rows: Vec<(i64, i64)> = micro_wish::Entity::find()
        .select_only()
        .column(micro_wish::Column::GridId)
        .column_as(micro_wish::Column::Id.count(), "open")
        .filter(micro_wish::Column::GridId.is_in(grids.iter().copied()))
        .filter(micro_wish::Column::Status.eq(WishStatus::Open))
        .group_by(micro_wish::Column::GridId)
        .into_tuple()
        .all(db)
        .await?;
    let mut counts: HashMap<i64, u64> = grids.iter().map(|grid| (*grid, 0)).collect();
    counts.extend(
        rows.into_iter()
            .map(|(grid, open)| (grid, open.unsigned_abs())),
    );
    Ok(counts)
}

/// Wish figures of a unit and everything below it: counts by status, and the median number of days realised wishes
/// took from publishing to realisation.
#[derive(Debug, Clone, Default)]
pub struct UnitWishFigures {
    pub by_status: Vec<(WishStatus, u64)>,
    pub median_days_to_realize: Option<f64>,
}

/// The wish figures of each of `units`.
pub async fn wish_figures(
    db: &impl ConnectionTrait,
    units: &[i64],
) -> Result<HashMap<i64, UnitWishFigures>, DbErr> {
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
    let backend = db.get_database_backend();
    let counts = counts_by_status(
        units,
        micro_wish::Entity,
        micro_wish::Column::GridId,
        micro_wish::Column::Status,
    );
    let counts = Count::find_by_statement(StatementBuilder::build(&counts, &backend))
        .all(db)
        .await?;
    let realized = days_to_realize(units, backend);
    let realized = Realized::find_by_statement(StatementBuilder::build(&realized, &backend))
        .all(db)
        .await?;

    let mut figures: HashMap<i64, UnitWishFigures> = units
        .iter()
        .map(|unit| (*unit, UnitWishFigures::default()))
        .collect();
    for count in counts {
        if let Some(unit) = figures.get_mut(&count.unit_id) {
            unit.by_status.push((count.status, count.n.unsigned_abs()));
        }
    }
    let mut days: HashMap<i64, Vec<f64>> = HashMap::new();
    for wish in realized {
        days.entry(wish.unit_id).or_default().push(wish.days);
    }
    for (unit, mut days) in days {
        if let Some(figures) = figures.get_mut(&unit) {
            figures.median_days_to_realize = median(&mut days);
        }
    }
    Ok(figures)
}

/// Registration and service figures of a unit and everything below it.
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

/// The registration and service figures of each of `units`.
pub async fn registration_figures(
    db: &impl ConnectionTrait,
    units: &[i64],
) -> Result<HashMap<i64, UnitRegistrationFigures>, DbErr> {
    let count = |column: &str| Func::count(Expr::col((Alias::new(column), Alias::new("id"))));
    let members = counts_by_status(
        units,
        member_registration::Entity,
        member_registration::Column::CommunityId,
        member_registration::Column::Status,
    );
    let organizations = counts_by_status(
        units,
        org_registration::Entity,
        org_registration::Column::CommunityId,
        org_registration::Column::Status,
    );
    let posts = rows_below(
        units,
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
    .and_where(Expr::col((service_post::Entity, service_post::Column::Status)).eq(PostStatus::Open))
    .group_by_col((Alias::new("unit"), admin_unit::Column::Id))
    .to_owned();
    let holders = rows_below(
        units,
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
        Expr::col((post_claim::Entity, post_claim::Column::Status)).eq(PostClaimStatus::Confirmed),
    )
    .group_by_col((Alias::new("unit"), admin_unit::Column::Id))
    .to_owned();
    let service = rows_below(
        units,
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

    let mut figures: HashMap<i64, UnitRegistrationFigures> = units
        .iter()
        .map(|unit| (*unit, UnitRegistrationFigures::default()))
        .collect();
    for row in db.query_all(&members).await? {
        let entry = (row.try_get("", "status")?, count_of(&row, "n")?);
        figures_of(&mut figures, &row)?
            .members_by_status
            .push(entry);
    }
    for row in db.query_all(&organizations).await? {
        let entry = (row.try_get("", "status")?, count_of(&row, "n")?);
        figures_of(&mut figures, &row)?
            .organizations_by_status
            .push(entry);
    }
    for row in db.query_all(&posts).await? {
        let (posts, places) = (count_of(&row, "posts")?, count_of(&row, "places")?);
        let unit = figures_of(&mut figures, &row)?;
        (unit.open_posts, unit.open_places) = (posts, places);
    }
    for row in db.query_all(&holders).await? {
        let holders = count_of(&row, "n")?;
        figures_of(&mut figures, &row)?.post_holders = holders;
    }
    for row in db.query_all(&service).await? {
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

/// The figures of the unit a row of a [`rows_below`] query is about.
fn figures_of<'a>(
    figures: &'a mut HashMap<i64, UnitRegistrationFigures>,
    row: &QueryResult,
) -> Result<&'a mut UnitRegistrationFigures, DbErr> {
    let unit: i64 = row.try_get("", "unit_id")?;
    figures
        .get_mut(&unit)
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
