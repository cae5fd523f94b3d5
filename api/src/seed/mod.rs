//! Seed data: a deterministic, internally consistent picture of Weidu District, small for demos
//! ([`Profile::Demo`], loaded on a bare first start) and at the report's real scale for load and
//! query-plan work ([`Profile::District`]).
//!
//! One generator serves both profiles; they differ only in their [`Scale`]. Everything is drawn
//! from a seeded random generator, so that a run gives the same rows as the last one. Times are
//! the one exception, by design: history starts on a fixed date, but what is open, running or
//! pending is placed around the real present, so that the data makes sense whenever it is loaded.
//!
//! Ids are assigned here, from 1 per table in insertion order, so that rows refer to each other
//! without reading anything back. Rows are streamed to the database in multi-row INSERTs, parents
//! before children, inside one transaction.

mod demo;
mod district;

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::ops::{Range, RangeInclusive};
use std::time::Duration;

use crate::domain::calendar::{self, Quarter};
use chrono::{DateTime, Datelike, NaiveDate, NaiveTime, SubsecRound, TimeDelta, Utc};
use entities::account::{self, AccountStatus};
use entities::activity_signup::{self, SignupStatus};
use entities::admin_unit::{self, FeaturedType, UnitLevel};
use entities::api_client::{self, ApiClientStatus};
use entities::feedback_report::{self, ReportStatus};
use entities::member_registration::{self, MemberRegistrationStatus, SubmittedBy};
use entities::micro_wish::{self, WishCategory, WishStatus};
use entities::org_registration::{self, OrgRegistrationStatus};
use entities::organization::{self, OrganizationKind, OrganizationStatus, ServiceCategory};
use entities::person::{self, Gender};
use entities::post_claim::{self, PostClaimStatus};
use entities::role_grant::{self, Role};
use entities::service_centre::{self, CentreKind};
use entities::service_post::{self, PostStatus};
use entities::service_record::{self, RecordStatus};
use entities::staff_assignment::{self, StaffRole};
use entities::team_member::{self, TeamRole};
use entities::volunteer_activity::{self, ActivityStatus};
use entities::volunteer_team::{self, TeamStatus, VolunteerArea};
use entities::wish_claim::{self, ClaimStatus, ClaimantKind};
use entities::{department, household, party_member};
use futures::future::BoxFuture;
use indicatif::{ProgressBar, ProgressStyle};
use rand::rngs::StdRng;
use rand::seq::{IndexedRandom, SliceRandom, index};
use rand::{Rng, SeedableRng};
use sea_orm::{
    ActiveModelTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr,
    EntityTrait, IntoActiveModel, Iterable, TransactionTrait, Value,
};

/// Which data set to load.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Profile {
    /// A small district that shows every state of every workflow (loaded on first start).
    Demo,
    /// Weidu District at the report's scale: 86 communities, 620 grids, ~150,000 households.
    District,
}

/// What a seed run inserted (counts per table), for the log / CLI output.
#[derive(Debug, Default)]
pub struct SeedReport {
    pub rows: Vec<(&'static str, u64)>,
}

/// True when the database holds no admin units yet (so a first start seeds the demo).
pub async fn is_empty(db: &impl ConnectionTrait) -> Result<bool, DbErr> {
    Ok(admin_unit::Entity::find().one(db).await?.is_none())
}

/// Loads a profile into an empty, migrated database. Refuses (returns DbErr::Custom with a clear
/// message) if the database is not empty.
pub async fn seed(
    db: &DatabaseConnection,
    profile: Profile,
    progress: bool,
) -> Result<SeedReport, DbErr> {
    if !is_empty(db).await? {
        return Err(DbErr::Custom(
            "the database already holds data: seeding needs an empty, migrated database".to_owned(),
        ));
    }
    let scale = match profile {
        Profile::Demo => &demo::SCALE,
        Profile::District => &district::SCALE,
    };
    let bar = progress_bar(progress);
    // One transaction for the whole data set: a run that fails leaves the database empty, so it
    // can simply be run again, where a half-seeded database would be refused as not empty.
    let txn = db.begin().await?;
    let seeder = Seeder {
        out: Output {
            db: &txn,
            bar: bar.clone(),
            report: SeedReport::default(),
        },
        rng: StdRng::seed_from_u64(RNG_SEED),
        clock: Clock::new(Utc::now()),
        scale,
        identities: Identities::default(),
    };
    let report = seeder.run().await?;
    txn.commit().await?;
    bar.finish_and_clear();
    tracing::info!(
        ?profile,
        rows = report.rows.iter().map(|&(_, n)| n).sum::<u64>(),
        "seeded the database"
    );
    Ok(report)
}

/// The seed of the random generator: the same seed, the same data set.
const RNG_SEED: u64 = 20_261_128;

/// Bind parameters per INSERT at most, well under SQLite's (32,766) and PostgreSQL's (65,535)
/// limits.
const MAX_PARAMETERS: usize = 4_000;

/// Bytes per INSERT at most. sqlx sends a message in writes of about 16 KiB and leaves Nagle's
/// algorithm on, so the tail of a longer statement waits for the server's delayed ACK, some 40 ms
/// a statement; statements that fit one write do not wait at all.
const MAX_STATEMENT_BYTES: usize = 15_000;

/// Rows a table collects before they are written.
const FLUSH_ROWS: usize = 2_000;

/// History (structure, registrations, past activities and wishes) starts on this day …
const HISTORY_START: NaiveDate = NaiveDate::from_ymd_opt(2026, 1, 1).expect("a valid date");

/// … or this many days before now, whichever is earlier, so that there is always some history.
const MIN_HISTORY_DAYS: i64 = 120;

/// Every this many-th confirmed service record gets a compensating correction.
const CORRECTION_EVERY: u64 = 1_000;

/// How long a claimant has to fulfil a claimed wish.
const CLAIM_DAYS: i64 = 14;

/// The size of a data set: the one generator scales everything from these numbers.
struct Scale {
    subdistricts: usize,
    communities: usize,
    standardised_communities: usize,
    grids: usize,
    households_per_grid: RangeInclusive<i32>,
    departments: usize,
    party_units: usize,
    social_organizations: usize,
    businesses: usize,
    party_members: usize,
    posts_per_community: usize,
    volunteer_teams: usize,
    team_size: usize,
    activities_per_team: usize,
    activity_capacity: RangeInclusive<i32>,
    micro_wishes: usize,
    /// Whether the first social organisation gets the demo API client, whose secret is public.
    demo_client: bool,
}

// ---------------------------------------------------------------------------------------------
// Writing rows
// ---------------------------------------------------------------------------------------------

/// Rows of one table on their way to the database. Ids are handed out here, from 1 in insertion
/// order, and rows leave in multi-row INSERTs of at most [`MAX_PARAMETERS`] values and
/// [`MAX_STATEMENT_BYTES`] bytes.
struct Rows<E: EntityTrait> {
    pending: Vec<E::Model>,
    /// The longest row written so far, in bytes as sent: it sets the rows per statement. (A fixed
    /// number per table keeps the statement's text, and so its prepared form, the same.)
    widest_row: usize,
    count: u64,
    last_id: i64,
}

impl<E: EntityTrait> Rows<E> {
    fn new() -> Self {
        Self {
            pending: Vec::new(),
            widest_row: 1,
            count: 0,
            last_id: 0,
        }
    }

    /// Adds the row that `make` builds for the next id, and returns it.
    fn add(&mut self, make: impl FnOnce(i64) -> E::Model) -> &E::Model {
        self.last_id += 1;
        self.count += 1;
        let index = self.pending.len();
        self.pending.push(make(self.last_id));
        &self.pending[index]
    }

    /// The ids of the rows added since the last id was `last_before`.
    fn ids_since(&self, last_before: i64) -> Range<i64> {
        last_before + 1..self.last_id + 1
    }
}

/// The object-safe face of [`Rows`], so that a step can flush the tables it fills together.
trait Table: Send {
    fn name(&self) -> &'static str;
    fn count(&self) -> u64;
    fn is_full(&self) -> bool;
    /// Writes the pending rows; returns how many.
    fn flush<'a>(&'a mut self, db: &'a DatabaseTransaction) -> BoxFuture<'a, Result<u64, DbErr>>;
}

impl<E> Table for Rows<E>
where
    E: EntityTrait,
    E::Model: IntoActiveModel<E::ActiveModel> + Send,
    E::ActiveModel: Send,
{
    fn name(&self) -> &'static str {
        E::default().table_name()
    }

    fn count(&self) -> u64 {
        self.count
    }

    fn is_full(&self) -> bool {
        self.pending.len() >= FLUSH_ROWS
    }

    fn flush<'a>(&'a mut self, db: &'a DatabaseTransaction) -> BoxFuture<'a, Result<u64, DbErr>> {
        Box::pin(async move {
            let rows: Vec<E::ActiveModel> = self
                .pending
                .drain(..)
                .map(IntoActiveModel::into_active_model)
                .collect();
            self.widest_row = rows
                .iter()
                .map(encoded_len)
                .fold(self.widest_row, usize::max);
            let columns = E::Column::iter().count();
            let per_statement = (MAX_PARAMETERS / columns)
                .min(MAX_STATEMENT_BYTES / self.widest_row)
                .max(1);
            let mut rows = rows.into_iter();
            let mut written = 0;
            loop {
                let batch: Vec<E::ActiveModel> = rows.by_ref().take(per_statement).collect();
                if batch.is_empty() {
                    return Ok(written);
                }
                written += E::insert_many(batch).exec_without_returning(db).await?;
            }
        })
    }
}

/// About how many bytes a row takes as bind parameters: each value has a length and a format
/// code, text its UTF-8 bytes, anything else (numbers, times, flags) at most 8 bytes.
fn encoded_len<A: ActiveModelTrait>(row: &A) -> usize {
    <A::Entity as EntityTrait>::Column::iter()
        .map(|column| match row.get(column).into_value() {
            Some(Value::String(Some(text))) => 6 + text.len(),
            _ => 6 + 8,
        })
        .sum()
}

/// Where the rows go: the transaction, the progress bar and the report.
struct Output<'a> {
    db: &'a DatabaseTransaction,
    bar: ProgressBar,
    report: SeedReport,
}

impl Output<'_> {
    fn stage(&self, name: &'static str) {
        tracing::debug!(stage = name, "seeding");
        self.bar.set_message(name);
    }

    /// Flushes all `tables` once any of them has collected [`FLUSH_ROWS`] rows. They are given
    /// parents first, and flushed in that order, so that no row reaches the database before a row
    /// it refers to.
    async fn flush_when_full(&self, tables: &mut [&mut dyn Table]) -> Result<(), DbErr> {
        if tables.iter().any(|table| table.is_full()) {
            self.flush(tables).await?;
        }
        Ok(())
    }

    async fn flush(&self, tables: &mut [&mut dyn Table]) -> Result<(), DbErr> {
        for table in tables.iter_mut() {
            let written = table.flush(self.db).await?;
            self.bar.inc(written);
        }
        Ok(())
    }

    /// Writes what is left of a step's tables and records their counts.
    async fn finish(&mut self, tables: &mut [&mut dyn Table]) -> Result<(), DbErr> {
        self.flush(tables).await?;
        for table in tables.iter() {
            tracing::debug!(table = table.name(), rows = table.count(), "seeded");
            self.report.rows.push((table.name(), table.count()));
        }
        Ok(())
    }

    /// PostgreSQL's sequences do not see explicit ids: move each past the largest id, so that the
    /// application's own inserts go on from there. (SQLite's AUTOINCREMENT does this by itself.)
    async fn reset_sequences(&self) -> Result<(), DbErr> {
        if self.db.get_database_backend() != DbBackend::Postgres {
            return Ok(());
        }
        for &(table, rows) in &self.report.rows {
            if rows > 0 {
                let sql = format!(
                    "SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))"
                );
                self.db.execute_unprepared(&sql).await?;
            }
        }
        Ok(())
    }
}

fn progress_bar(visible: bool) -> ProgressBar {
    if !visible {
        return ProgressBar::hidden();
    }
    let style = ProgressStyle::with_template("{spinner} {elapsed:>4} {human_pos:>9} rows  {msg}")
        .expect("the progress template is valid");
    let bar = ProgressBar::new_spinner().with_style(style);
    bar.enable_steady_tick(Duration::from_millis(100));
    bar
}

// ---------------------------------------------------------------------------------------------
// Time
// ---------------------------------------------------------------------------------------------

/// The span of the data set: from the start of history to the real present.
#[derive(Debug, Clone, Copy)]
struct Clock {
    start: DateTime<Utc>,
    now: DateTime<Utc>,
}

impl Clock {
    fn new(now: DateTime<Utc>) -> Self {
        let now = now.trunc_subsecs(0);
        let start = HISTORY_START
            .and_time(NaiveTime::MIN)
            .and_utc()
            .min(now - TimeDelta::days(MIN_HISTORY_DAYS));
        Self { start, now }
    }

    /// Whole days from the start of history to now.
    fn history_days(&self) -> i64 {
        (self.now - self.start).num_days()
    }

    /// A random instant of history that leaves at least `room` before now.
    fn past(&self, rng: &mut StdRng, room: TimeDelta) -> DateTime<Utc> {
        between(rng, self.start, self.now - room)
    }

    /// `hour:minute` China Standard Time on the day `days` after today (before, if negative).
    fn local_time(&self, days: i64, hour: u32, minute: u32) -> DateTime<Utc> {
        let today = calendar::local(self.now).date_naive();
        let time =
            NaiveTime::from_hms_opt(hour, minute, 0).expect("callers pass a valid time of day");
        calendar::at_local(today + TimeDelta::days(days), time)
    }
}

/// A random instant in `[from, to)`; `from` itself when the span is empty.
fn between(rng: &mut StdRng, from: DateTime<Utc>, to: DateTime<Utc>) -> DateTime<Utc> {
    let seconds = (to - from).num_seconds();
    if seconds <= 0 {
        return from;
    }
    from + TimeDelta::seconds(rng.random_range(0..seconds))
}

/// `count` random instants in `(from, to]`, in order.
fn timeline(
    rng: &mut StdRng,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    count: usize,
) -> Vec<DateTime<Utc>> {
    let mut times: Vec<_> = (0..count)
        .map(|_| between(rng, from, to) + TimeDelta::seconds(1))
        .collect();
    times.sort_unstable();
    times
}

fn days(rng: &mut StdRng, range: RangeInclusive<i64>) -> TimeDelta {
    TimeDelta::days(rng.random_range(range))
}

fn hours(rng: &mut StdRng, range: RangeInclusive<i64>) -> TimeDelta {
    TimeDelta::hours(rng.random_range(range))
}

fn minutes(rng: &mut StdRng, range: RangeInclusive<i64>) -> TimeDelta {
    TimeDelta::minutes(rng.random_range(range))
}

// ---------------------------------------------------------------------------------------------
// Shapes of the data set
// ---------------------------------------------------------------------------------------------

/// Splits `0..total` into `parts` consecutive ranges whose lengths differ by at most one, the
/// longer ones first: 620 grids over 86 communities gives 18 communities of 8 and 68 of 7.
fn partition(total: usize, parts: usize) -> Vec<Range<usize>> {
    let (base, extra) = (total / parts, total % parts);
    let mut start = 0;
    (0..parts)
        .map(|part| {
            let len = base + usize::from(part < extra);
            start += len;
            start - len..start
        })
        .collect()
}

/// `total` values shared out in proportion to their weights, each at least once so that even a
/// small data set shows every state, in random order. The first share, the most common one,
/// absorbs the rounding.
fn mix<T: Copy>(rng: &mut StdRng, total: usize, shares: &[(T, usize)]) -> Vec<T> {
    let weight: usize = shares.iter().map(|&(_, weight)| weight).sum();
    let mut counts: Vec<usize> = shares
        .iter()
        .map(|&(_, w)| (total * w / weight).max(1))
        .collect();
    let others: usize = counts[1..].iter().sum();
    counts[0] = total.saturating_sub(others).max(1);
    let mut values: Vec<T> = shares
        .iter()
        .zip(counts)
        .flat_map(|(&(value, _), count)| std::iter::repeat_n(value, count))
        .collect();
    values.shuffle(rng);
    values
}

/// `count` distinct items of `items`, at random (all of them if there are fewer).
fn pick<T: Copy>(rng: &mut StdRng, items: &[T], count: usize) -> Vec<T> {
    index::sample(rng, items.len(), count.min(items.len()))
        .into_iter()
        .map(|i| items[i])
        .collect()
}

/// `count` distinct ids of `ids`, at random (all of them if there are fewer).
fn pick_ids(rng: &mut StdRng, ids: Range<i64>, count: usize) -> Vec<i64> {
    let len = usize::try_from(ids.end - ids.start).unwrap_or(0);
    index::sample(rng, len, count.min(len))
        .into_iter()
        .map(|i| ids.start + i as i64)
        .collect()
}

/// How registrations of members stand (see [`Seeder::register`]).
const REGISTRATION_MIX: &[(RegistrationStory, usize)] = &[
    (RegistrationStory::Accepted, 84),
    (RegistrationStory::Submitted, 6),
    (RegistrationStory::Transferred, 4),
    (RegistrationStory::Rejected, 3),
    (RegistrationStory::Deregistered, 3),
];

const ORG_REGISTRATION_MIX: &[(OrgRegistrationStatus, usize)] = &[
    (OrgRegistrationStatus::Accepted, 85),
    (OrgRegistrationStatus::Submitted, 10),
    (OrgRegistrationStatus::Returned, 3),
    (OrgRegistrationStatus::Withdrawn, 2),
];

/// A community's activities by status. One is running (weight 0 still gives one) and the rest
/// are mostly over, with their records confirmed.
const ACTIVITY_MIX: &[(ActivityStatus, usize)] = &[
    (ActivityStatus::RecordsConfirmed, 84),
    (ActivityStatus::Published, 4),
    (ActivityStatus::Ended, 3),
    (ActivityStatus::Cancelled, 3),
    (ActivityStatus::RecruitmentClosed, 2),
    (ActivityStatus::Draft, 2),
    (ActivityStatus::PendingApproval, 2),
    (ActivityStatus::InProgress, 0),
];

const WISH_MIX: &[(WishStatus, usize)] = &[
    (WishStatus::Realized, 40),
    (WishStatus::Expired, 14),
    (WishStatus::Open, 12),
    (WishStatus::Claimed, 10),
    (WishStatus::Submitted, 6),
    (WishStatus::Delivered, 5),
    (WishStatus::Rejected, 4),
    (WishStatus::Withdrawn, 4),
    (WishStatus::TakenDown, 3),
    (WishStatus::Disputed, 2),
];

// ---------------------------------------------------------------------------------------------
// The generator
// ---------------------------------------------------------------------------------------------

struct Seeder<'a> {
    out: Output<'a>,
    rng: StdRng,
    clock: Clock,
    scale: &'static Scale,
    identities: Identities,
}

impl Seeder<'_> {
    /// The steps, in the order of the foreign keys between their tables.
    async fn run(mut self) -> Result<SeedReport, DbErr> {
        let structure = self.structure().await?;
        let orgs = self.organizations(&structure).await?;
        let people = self.people(&structure).await?;
        let party = self.dual_reporting(&structure, &orgs, &people).await?;
        let base = Base {
            structure: &structure,
            orgs: &orgs,
            people: &people,
            party: &party,
        };
        let mut tally = Tally::default();
        let volunteers = self.volunteering(base, &mut tally).await?;
        self.micro_wishes(base, &volunteers, &mut tally).await?;
        self.feedback_reports(base, tally).await?;
        self.accounts(base).await?;
        self.out.reset_sequences().await?;
        Ok(self.out.report)
    }
}

/// What the later steps look things up in.
#[derive(Clone, Copy)]
struct Base<'b> {
    structure: &'b Structure,
    orgs: &'b Organizations,
    people: &'b People,
    party: &'b Party,
}

// ----- Structure: admin units, departments, service centres ----------------------------------

/// An admin unit as later steps refer to it.
struct Unit {
    id: i64,
    level: UnitLevel,
    name: String,
    code: String,
    path: String,
}

impl From<&admin_unit::Model> for Unit {
    fn from(row: &admin_unit::Model) -> Self {
        Self {
            id: row.id,
            level: row.level,
            name: row.name.clone(),
            code: row.code.clone(),
            path: row.path.clone(),
        }
    }
}

struct Community {
    unit: Unit,
    grids: Range<usize>,
    centres: Vec<(CentreKind, i64)>,
}

impl Community {
    fn centre(&self, kind: CentreKind) -> i64 {
        self.centres
            .iter()
            .find(|&&(k, _)| k == kind)
            .map(|&(_, id)| id)
            .expect("every community has all seven centres")
    }
}

struct Grid {
    unit: Unit,
    community: usize,
    households: i32,
}

struct Structure {
    district: Unit,
    subdistricts: Vec<Unit>,
    communities: Vec<Community>,
    grids: Vec<Grid>,
    /// Ids and names of the departments.
    departments: Vec<(i64, &'static str)>,
}

/// What is known of a unit before it is inserted.
struct UnitSpec {
    level: UnitLevel,
    name: String,
    code: String,
    households: i32,
    featured_type: Option<FeaturedType>,
    standardised: bool,
}

impl UnitSpec {
    fn new(level: UnitLevel, name: String, code: String, households: i32) -> Self {
        Self {
            level,
            name,
            code,
            households,
            featured_type: None,
            standardised: false,
        }
    }
}

fn add_unit(
    rows: &mut Rows<admin_unit::Entity>,
    parent: Option<&Unit>,
    spec: UnitSpec,
    created_at: DateTime<Utc>,
) -> Unit {
    let parent_path = parent.map_or("/", |parent| parent.path.as_str());
    Unit::from(rows.add(|id| admin_unit::Model {
        id,
        parent_id: parent.map(|parent| parent.id),
        level: spec.level,
        parent_level: parent.map(|parent| parent.level),
        name: spec.name,
        code: spec.code,
        path: format!("{parent_path}{id}/"),
        households: spec.households,
        featured_type: spec.featured_type,
        standardised: spec.standardised,
        created_at,
    }))
}

impl Seeder<'_> {
    async fn structure(&mut self) -> Result<Structure, DbErr> {
        self.out.stage("administrative units");
        let scale = self.scale;
        let created_at = self.clock.start;
        let communities_of = partition(scale.communities, scale.subdistricts);
        let grids_of = partition(scale.grids, scale.communities);
        let grid_households: Vec<i32> = (0..scale.grids)
            .map(|_| self.rng.random_range(scale.households_per_grid.clone()))
            .collect();
        let community_households: Vec<i32> = grids_of
            .iter()
            .map(|grids| grid_households[grids.clone()].iter().sum())
            .collect();
        let standardised: HashSet<usize> = index::sample(
            &mut self.rng,
            scale.communities,
            scale.standardised_communities,
        )
        .into_iter()
        .collect();

        // Level by level, so that ids grow downwards: /1/, /1/2/, /1/2/12/, /1/2/12/98/.
        let mut units = Rows::<admin_unit::Entity>::new();
        let district = add_unit(
            &mut units,
            None,
            UnitSpec::new(
                UnitLevel::District,
                district::NAME.to_owned(),
                district::CODE.to_owned(),
                community_households.iter().sum(),
            ),
            created_at,
        );
        let subdistricts: Vec<Unit> = communities_of
            .iter()
            .enumerate()
            .map(|(s, communities)| {
                let spec = UnitSpec::new(
                    UnitLevel::Subdistrict,
                    district::SUBDISTRICTS[s].to_owned(),
                    format!("{}{:03}", district.code, s + 1),
                    community_households[communities.clone()].iter().sum(),
                );
                add_unit(&mut units, Some(&district), spec, created_at)
            })
            .collect();
        let mut communities = Vec::with_capacity(scale.communities);
        for (s, community_range) in communities_of.iter().enumerate() {
            for (n, c) in community_range.clone().enumerate() {
                let spec = UnitSpec {
                    featured_type: self.featured_type(),
                    standardised: standardised.contains(&c),
                    ..UnitSpec::new(
                        UnitLevel::Community,
                        district::COMMUNITIES[c].to_owned(),
                        format!("{}{:03}", subdistricts[s].code, n + 1),
                        community_households[c],
                    )
                };
                let unit = add_unit(&mut units, Some(&subdistricts[s]), spec, created_at);
                communities.push(Community {
                    unit,
                    grids: grids_of[c].clone(),
                    centres: Vec::new(),
                });
            }
        }
        let mut grids = Vec::with_capacity(scale.grids);
        for (c, community) in communities.iter().enumerate() {
            for (n, g) in community.grids.clone().enumerate() {
                let spec = UnitSpec::new(
                    UnitLevel::Grid,
                    format!("{}第{}网格", community.unit.name, n + 1),
                    format!("{}{:02}", community.unit.code, n + 1),
                    grid_households[g],
                );
                let unit = add_unit(&mut units, Some(&community.unit), spec, created_at);
                grids.push(Grid {
                    unit,
                    community: c,
                    households: grid_households[g],
                });
            }
        }

        let mut centres = Rows::<service_centre::Entity>::new();
        for community in &mut communities {
            community.centres = CentreKind::iter()
                .map(|kind| {
                    let row = centres.add(|id| service_centre::Model {
                        id,
                        community_id: community.unit.id,
                        kind,
                        name: format!("{}{}", community.unit.name, centre_label(kind)),
                        address: Some(format!("{}党群服务中心", community.unit.name)),
                        opening_hours: Some(opening_hours(kind).to_owned()),
                    });
                    (kind, row.id)
                })
                .collect();
        }

        let mut departments = Rows::<department::Entity>::new();
        let department_ids = district::DEPARTMENTS[..scale.departments]
            .iter()
            .enumerate()
            .map(|(i, &(name, duties))| {
                let row = departments.add(|id| department::Model {
                    id,
                    code: format!("WD{:03}", i + 1),
                    name: name.to_owned(),
                    duties: Some(duties.to_owned()),
                });
                (row.id, name)
            })
            .collect();

        self.out
            .finish(&mut [&mut units, &mut departments, &mut centres])
            .await?;
        Ok(Structure {
            district,
            subdistricts,
            communities,
            grids,
            departments: department_ids,
        })
    }

    /// About one community in four is known for a theme ("一社一品").
    fn featured_type(&mut self) -> Option<FeaturedType> {
        let themes: Vec<FeaturedType> = FeaturedType::iter().collect();
        self.rng.random_bool(0.25).then(|| {
            *themes
                .choose(&mut self.rng)
                .expect("there are featured types")
        })
    }
}

fn centre_label(kind: CentreKind) -> &'static str {
    match kind {
        CentreKind::Convenience => "便民服务中心",
        CentreKind::ComprehensiveGovernance => "综治中心",
        CentreKind::CultureSports => "文体活动中心",
        CentreKind::Health => "卫生服务中心",
        CentreKind::ElderDayCare => "日间照料中心",
        CentreKind::Children => "儿童服务中心",
        CentreKind::Volunteer => "志愿服务中心",
    }
}

fn opening_hours(kind: CentreKind) -> &'static str {
    match kind {
        CentreKind::ElderDayCare => "07:30-18:30",
        CentreKind::CultureSports => "08:00-21:00",
        CentreKind::Health => "08:00-12:00, 14:00-17:30",
        _ => "08:30-12:00, 14:30-18:00",
    }
}

// ----- Organisations ----------------------------------------------------------------------------

struct Organizations {
    /// The organisation of each department, in the order of [`Structure::departments`].
    departments: Vec<i64>,
    /// Each community's own committee, in the order of [`Structure::communities`].
    communities: Vec<i64>,
    party_units: Vec<i64>,
    /// Active social organisations, with what they offer.
    social: Vec<(i64, ServiceCategory)>,
    /// Active businesses.
    businesses: Vec<i64>,
}

impl Organizations {
    /// The partners that claim wishes: social organisations, businesses and Party units.
    fn partners(&self) -> Vec<i64> {
        let social = self.social.iter().map(|&(id, _)| id);
        social
            .chain(self.businesses.iter().copied())
            .chain(self.party_units.iter().copied())
            .collect()
    }
}

struct NewOrg {
    name: String,
    kind: OrganizationKind,
    status: OrganizationStatus,
    community_id: Option<i64>,
    department_id: Option<i64>,
    service_category: Option<ServiceCategory>,
}

impl NewOrg {
    fn new(name: String, kind: OrganizationKind) -> Self {
        Self {
            name,
            kind,
            status: OrganizationStatus::Active,
            community_id: None,
            department_id: None,
            service_category: None,
        }
    }
}

fn add_org(rows: &mut Rows<organization::Entity>, org: NewOrg, created_at: DateTime<Utc>) -> i64 {
    rows.add(|id| organization::Model {
        id,
        credit_code: Some(credit_code(org.kind, id)),
        name: org.name,
        kind: org.kind,
        status: org.status,
        community_id: org.community_id,
        department_id: org.department_id,
        service_category: org.service_category,
        created_at,
    })
    .id
}

/// An 18-character unified social credit code: the registering authority's prefix for the kind of
/// organisation, the district's code, and the id (which makes it unique).
fn credit_code(kind: OrganizationKind, id: i64) -> String {
    let prefix = match kind {
        OrganizationKind::Department => "11",
        OrganizationKind::PartyUnit => "13",
        OrganizationKind::SocialOrganization => "52",
        OrganizationKind::Community => "55",
        OrganizationKind::Business => "91",
    };
    format!("{prefix}{}{id:010}", district::CODE)
}

const SOCIAL_PREFIXES: &[&str] = &[
    "阳光", "爱心", "同心", "和谐", "康乐", "益民", "惠民", "暖心", "馨家", "邻里", "德馨",
];
const BUSINESS_PREFIXES: &[&str] = &[
    "恒达", "金鼎", "鑫源", "德润", "万家", "华联", "宏远", "信诚",
];
const BUSINESS_TRADES: &[&str] = &[
    "商贸有限公司",
    "物业服务有限公司",
    "餐饮管理有限公司",
    "建筑工程有限公司",
    "医药连锁有限公司",
    "超市有限公司",
];

fn social_stem(category: ServiceCategory) -> &'static str {
    match category {
        ServiceCategory::ElderChildCare => "一老一小服务中心",
        ServiceCategory::GreenTravel => "绿色出行促进会",
        ServiceCategory::Housekeeping => "家政服务中心",
        ServiceCategory::FreshFoodDelivery => "社区生鲜配送服务站",
        ServiceCategory::EducationTraining => "教育培训中心",
        ServiceCategory::HealthCare => "健康服务中心",
        ServiceCategory::LegalServices => "法律服务中心",
    }
}

impl Seeder<'_> {
    async fn organizations(&mut self, structure: &Structure) -> Result<Organizations, DbErr> {
        self.out.stage("organisations");
        let scale = self.scale;
        let created_at = self.clock.start;
        let mut rows = Rows::<organization::Entity>::new();

        let departments = structure
            .departments
            .iter()
            .map(|&(id, name)| {
                let org = NewOrg {
                    department_id: Some(id),
                    ..NewOrg::new(name.to_owned(), OrganizationKind::Department)
                };
                add_org(&mut rows, org, created_at)
            })
            .collect();
        let communities = structure
            .communities
            .iter()
            .map(|community| {
                let name = format!("{}居民委员会", community.unit.name);
                let org = NewOrg {
                    community_id: Some(community.unit.id),
                    ..NewOrg::new(name, OrganizationKind::Community)
                };
                add_org(&mut rows, org, created_at)
            })
            .collect();
        let party_units = (0..scale.party_units)
            .map(|i| {
                let hosts = district::PARTY_UNIT_HOSTS;
                let name = format!(
                    "{}{}",
                    hosts[i % hosts.len()],
                    district::PARTY_BRANCHES[i / hosts.len()]
                );
                add_org(
                    &mut rows,
                    NewOrg::new(name, OrganizationKind::PartyUnit),
                    created_at,
                )
            })
            .collect();

        // The last social organisation is suspended and the last business dissolved: they show
        // those states but take no part in anything.
        let categories: Vec<ServiceCategory> = ServiceCategory::iter().collect();
        let mut social = Vec::with_capacity(scale.social_organizations);
        for i in 0..scale.social_organizations {
            let category = categories[i % categories.len()];
            let name = format!(
                "魏都区{}{}",
                SOCIAL_PREFIXES[i / categories.len()],
                social_stem(category)
            );
            let active = i + 1 < scale.social_organizations;
            let org = NewOrg {
                service_category: Some(category),
                status: if active {
                    OrganizationStatus::Active
                } else {
                    OrganizationStatus::Suspended
                },
                ..NewOrg::new(name, OrganizationKind::SocialOrganization)
            };
            let id = add_org(&mut rows, org, created_at);
            if active {
                social.push((id, category));
            }
        }
        let mut businesses = Vec::with_capacity(scale.businesses);
        for i in 0..scale.businesses {
            let name = format!(
                "许昌{}{}",
                BUSINESS_PREFIXES[i % BUSINESS_PREFIXES.len()],
                BUSINESS_TRADES[i / BUSINESS_PREFIXES.len()]
            );
            let active = i + 1 < scale.businesses;
            let org = NewOrg {
                status: if active {
                    OrganizationStatus::Active
                } else {
                    OrganizationStatus::Dissolved
                },
                ..NewOrg::new(name, OrganizationKind::Business)
            };
            let id = add_org(&mut rows, org, created_at);
            if active {
                businesses.push(id);
            }
        }

        self.out.finish(&mut [&mut rows]).await?;
        Ok(Organizations {
            departments,
            communities,
            party_units,
            social,
            businesses,
        })
    }
}

// ----- People: households, residents, staff -----------------------------------------------------

struct People {
    grids: Vec<GridPeople>,
    /// Residents of working age (id, grid index): the serving Party members are drawn from them.
    working_age: Vec<(i64, usize)>,
    district_officer: i64,
    subdistrict_leads: Vec<i64>,
    community_secretaries: Vec<i64>,
}

struct GridPeople {
    /// The grid's residents, whose ids are consecutive.
    residents: Range<i64>,
    /// Residents who live alone or in hardship: those most wishes are for.
    vulnerable: Vec<i64>,
    administrator: i64,
}

impl People {
    /// The residents of a community: its grids' residents, which are consecutive too.
    fn residents_of(&self, community: &Community) -> Range<i64> {
        self.grids[community.grids.start].residents.start
            ..self.grids[community.grids.end - 1].residents.end
    }
}

/// Residents' birth years: heads of household from 22 to 92 years old.
const RESIDENT_BIRTH_YEARS: RangeInclusive<i32> = 1934..=2004;
/// Born in these years, a resident is of working age.
const WORKING_BIRTH_YEARS: RangeInclusive<i32> = 1967..=2004;
/// Born up to this year, a resident counts as elderly (60 and over).
const ELDERLY_UNTIL: i32 = 1966;
const STAFF_BIRTH_YEARS: RangeInclusive<i32> = 1971..=2000;

/// The three role holders of every grid ("一长两员").
const GRID_ROLES: [StaffRole; 3] = [
    StaffRole::GridLeader,
    StaffRole::PartyInstructor,
    StaffRole::GridAdministrator,
];
const COMMUNITY_ROLES: [StaffRole; 3] = [
    StaffRole::CommunitySecretary,
    StaffRole::CommunityDeputySecretary,
    StaffRole::PartyAffairsOfficer,
];

/// A head of household as generated.
struct Resident {
    identity: Identity,
    household_size: i32,
    lives_alone: bool,
    hardship: bool,
}

impl Seeder<'_> {
    async fn people(&mut self, structure: &Structure) -> Result<People, DbErr> {
        self.out.stage("households and residents");
        let created_at = self.clock.start;
        let mut households = Rows::<household::Entity>::new();
        let mut persons = Rows::<person::Entity>::new();
        let mut assignments = Rows::<staff_assignment::Entity>::new();

        // Residents first, grid by grid, so that each grid's and each community's residents have
        // consecutive ids.
        let mut residents_of_grid = Vec::with_capacity(structure.grids.len());
        let mut vulnerable_of_grid = Vec::with_capacity(structure.grids.len());
        let mut working_age = Vec::new();
        for (g, grid) in structure.grids.iter().enumerate() {
            let community = &structure.communities[grid.community];
            let grid_number = g - community.grids.start;
            let before = persons.last_id;
            let mut vulnerable = Vec::new();
            for n in 0..grid.households {
                let resident = self.resident();
                let household_id = households
                    .add(|id| household::Model {
                        id,
                        community_id: community.unit.id,
                        grid_id: grid.unit.id,
                        address: address(&community.unit.name, grid_number, n),
                        size: resident.household_size,
                    })
                    .id;
                let born = resident.identity.birth_date.year();
                let (lives_alone, hardship) = (resident.lives_alone, resident.hardship);
                let person_id = persons
                    .add(|id| {
                        resident.identity.into_person(
                            id,
                            Some(household_id),
                            lives_alone,
                            hardship,
                            created_at,
                        )
                    })
                    .id;
                if lives_alone || hardship {
                    vulnerable.push(person_id);
                }
                if WORKING_BIRTH_YEARS.contains(&born) {
                    working_age.push((person_id, g));
                }
            }
            residents_of_grid.push(persons.ids_since(before));
            vulnerable_of_grid.push(vulnerable);
            self.out
                .flush_when_full(&mut [&mut households, &mut persons])
                .await?;
        }

        // Then the staff at their posts, from the district down to the grids.
        let mut staff = Staffing {
            persons: &mut persons,
            assignments: &mut assignments,
        };
        let district_officer = self.appoint(
            &mut staff,
            structure.district.id,
            StaffRole::DistrictOfficer,
        );
        let subdistrict_leads = structure
            .subdistricts
            .iter()
            .map(|unit| self.appoint(&mut staff, unit.id, StaffRole::SubdistrictLead))
            .collect();
        let community_secretaries = structure
            .communities
            .iter()
            .map(|community| {
                let [secretary, _deputy, _party_affairs] =
                    COMMUNITY_ROLES.map(|role| self.appoint(&mut staff, community.unit.id, role));
                secretary
            })
            .collect();
        let mut grids = Vec::with_capacity(structure.grids.len());
        for ((grid, residents), vulnerable) in structure
            .grids
            .iter()
            .zip(residents_of_grid)
            .zip(vulnerable_of_grid)
        {
            let [_leader, _instructor, administrator] =
                GRID_ROLES.map(|role| self.appoint(&mut staff, grid.unit.id, role));
            grids.push(GridPeople {
                residents,
                vulnerable,
                administrator,
            });
        }

        self.out
            .finish(&mut [&mut households, &mut persons, &mut assignments])
            .await?;
        Ok(People {
            grids,
            working_age,
            district_officer,
            subdistrict_leads,
            community_secretaries,
        })
    }

    fn resident(&mut self) -> Resident {
        let identity = self.identities.issue(&mut self.rng, RESIDENT_BIRTH_YEARS);
        let elderly = identity.birth_date.year() <= ELDERLY_UNTIL;
        let household_size = if elderly {
            if self.rng.random_bool(0.4) { 1 } else { 2 }
        } else {
            *[1, 2, 3, 3, 4, 4, 5]
                .choose(&mut self.rng)
                .expect("the list is not empty")
        };
        let lives_alone = elderly && household_size == 1;
        let hardship = self.rng.random_bool(if lives_alone { 0.12 } else { 0.04 });
        Resident {
            identity,
            household_size,
            lives_alone,
            hardship,
        }
    }

    /// Appoints a new staff member to a post, and about one grid leader in seven has a
    /// predecessor whose term has ended. Returns the current holder.
    fn appoint(&mut self, staff: &mut Staffing<'_>, unit_id: i64, role: StaffRole) -> i64 {
        let start = HISTORY_START - days(&mut self.rng, 30..=1_400);
        if role == StaffRole::GridLeader && self.rng.random_bool(1.0 / 7.0) {
            let earlier = start - days(&mut self.rng, 700..=1_400);
            self.add_staff(
                staff,
                unit_id,
                role,
                earlier,
                Some(start - TimeDelta::days(1)),
            );
        }
        self.add_staff(staff, unit_id, role, start, None)
    }

    /// A staff member has no household here: staff are recorded at their post, not at home.
    fn add_staff(
        &mut self,
        staff: &mut Staffing<'_>,
        unit_id: i64,
        role: StaffRole,
        started_on: NaiveDate,
        ended_on: Option<NaiveDate>,
    ) -> i64 {
        let identity = self.identities.issue(&mut self.rng, STAFF_BIRTH_YEARS);
        let created_at = self.clock.start;
        let person_id = staff
            .persons
            .add(|id| identity.into_person(id, None, false, false, created_at))
            .id;
        staff.assignments.add(|id| staff_assignment::Model {
            id,
            unit_id,
            person_id,
            role,
            started_on,
            ended_on,
        });
        person_id
    }
}

/// The tables an appointment writes to.
struct Staffing<'r> {
    persons: &'r mut Rows<person::Entity>,
    assignments: &'r mut Rows<staff_assignment::Entity>,
}

/// `七一社区3号楼2单元302室`: 24 flats to a building, 8 to an entrance, 2 to a floor.
fn address(community: &str, grid_number: usize, household: i32) -> String {
    let building = grid_number as i32 * 20 + household / 24 + 1;
    let entrance = household % 24 / 8 + 1;
    let flat = (household % 8 / 2 + 1) * 100 + household % 2 + 1;
    format!("{community}{building}号楼{entrance}单元{flat}室")
}

// ----- Personal data ------------------------------------------------------------------------------

const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙", "胡", "朱", "高", "林",
    "何", "郭", "马", "罗", "梁", "宋", "郑", "谢", "韩", "唐", "冯", "于", "董", "曹", "袁", "邓",
    "许", "傅", "沈", "曾", "彭", "吕", "苏", "卢", "蒋", "蔡", "贾", "丁", "魏", "薛", "叶", "阎",
    "余", "潘", "杜", "戴", "夏", "钟", "田", "任", "姜", "范", "方", "石", "姚", "谭", "廖", "邹",
    "金", "陆", "郝", "孔", "白", "崔", "康", "毛", "秦", "史", "侯", "孟",
];
const MALE_GIVEN: &[&str] = &[
    "伟", "强", "磊", "军", "洋", "勇", "杰", "涛", "明", "超", "刚", "平", "辉", "鹏", "华", "飞",
    "鑫", "波", "斌", "宇", "浩", "凯", "健", "俊", "帆", "旭", "宁", "龙", "林", "国", "建", "志",
    "文", "海", "峰", "亮", "振", "东",
];
const FEMALE_GIVEN: &[&str] = &[
    "芳", "娜", "敏", "静", "丽", "艳", "娟", "霞", "秀", "燕", "玲", "桂", "英", "萍", "红", "梅",
    "琳", "雪", "倩", "婷", "慧", "颖", "佳", "欣", "洁", "月", "兰", "凤", "莉", "丹", "晶", "雯",
    "悦", "璐", "琪", "蕾", "瑶", "楠",
];
const MOBILE_PREFIXES: &[&str] = &[
    "138", "139", "137", "135", "136", "150", "151", "152", "158", "159", "186", "187", "188",
    "183",
];

/// Resident ID numbers issued per birth date: the three-digit sequence holds 500 of each sex.
const SERIALS_PER_DAY: u16 = 500;

/// Who a person is, as an ID card says.
struct Identity {
    name: String,
    gender: Gender,
    phone: String,
    id_number: String,
    birth_date: NaiveDate,
}

impl Identity {
    fn into_person(
        self,
        id: i64,
        household_id: Option<i64>,
        lives_alone: bool,
        hardship: bool,
        created_at: DateTime<Utc>,
    ) -> person::Model {
        person::Model {
            id,
            name: self.name,
            gender: Some(self.gender),
            phone: Some(self.phone),
            id_number: Some(self.id_number),
            birth_date: Some(self.birth_date),
            household_id,
            lives_alone,
            hardship,
            created_at,
        }
    }
}

/// Issues plausible, unique identities: 18-digit resident ID numbers (GB 11643) whose birth date,
/// sex digit and check digit agree with the person, unique by a counter per birth date.
#[derive(Default)]
struct Identities {
    issued: HashMap<NaiveDate, u16>,
}

impl Identities {
    fn issue(&mut self, rng: &mut StdRng, birth_years: RangeInclusive<i32>) -> Identity {
        let gender = if rng.random_bool(0.5) {
            Gender::Female
        } else {
            Gender::Male
        };
        let (birth_date, serial) = loop {
            let ordinal = rng.random_range(1..=365);
            let date = NaiveDate::from_yo_opt(rng.random_range(birth_years.clone()), ordinal)
                .expect("every year has 365 days");
            let issued = self.issued.entry(date).or_default();
            if *issued < SERIALS_PER_DAY {
                *issued += 1;
                break (date, *issued - 1);
            }
        };
        // The sequence's last digit is odd for men and even for women.
        let sequence = serial * 2 + u16::from(gender == Gender::Male);
        let body = format!(
            "{}{}{sequence:03}",
            district::CODE,
            birth_date.format("%Y%m%d")
        );
        let given = if gender == Gender::Male {
            MALE_GIVEN
        } else {
            FEMALE_GIVEN
        };
        let length = rng.random_range(1..=2);
        let given: String = pick(rng, given, length).concat();
        let surname = SURNAMES.choose(rng).expect("the list is not empty");
        let prefix = MOBILE_PREFIXES.choose(rng).expect("the list is not empty");
        Identity {
            name: format!("{surname}{given}"),
            gender,
            phone: format!("{prefix}{:08}", rng.random_range(0..100_000_000)),
            id_number: format!("{body}{}", check_digit(&body)),
            birth_date,
        }
    }
}

/// The check character of an ID number's first 17 digits (ISO 7064 MOD 11-2).
fn check_digit(body: &str) -> char {
    const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    const CHECK: &[u8; 11] = b"10X98765432";
    let sum: u32 = body
        .chars()
        .zip(WEIGHTS)
        .map(|(digit, weight)| digit.to_digit(10).unwrap_or(0) * weight)
        .sum();
    char::from(CHECK[(sum % 11) as usize])
}

// ----- Dual reporting: members, registrations, posts ----------------------------------------------

/// A member with an accepted registration: they serve in their community.
#[derive(Clone, Copy)]
struct ActiveMember {
    member_id: i64,
    person_id: i64,
}

struct Party {
    /// Accepted members of each community.
    by_community: Vec<Vec<ActiveMember>>,
    /// The Party unit of every serving member, by person: their service records keep it.
    unit_of_person: HashMap<i64, i64>,
}

/// The ways a member's registration goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RegistrationStory {
    /// Accepted where they live.
    Accepted,
    /// Waiting for the community's review.
    Submitted,
    /// Rejected: residence could not be confirmed.
    Rejected,
    /// Moved house: the old registration was transferred to an accepted one where they live now.
    Transferred,
    /// No longer serving: deregistered.
    Deregistered,
}

const POSTS: &[(&str, &str)] = &[
    ("楼栋长", "联系本楼栋住户，收集反映社情民意"),
    ("文明劝导员", "劝导不文明行为，维护公共秩序"),
    ("政策宣传员", "宣传惠民政策，帮助居民办事"),
    ("矛盾调解员", "参与邻里纠纷调解"),
    ("环境监督员", "监督小区环境卫生和垃圾分类"),
    ("助老服务员", "定期走访独居老人"),
    ("平安巡逻员", "参与夜间治安巡逻"),
];
const OFFERS: &[&str] = &[
    "法律咨询进社区",
    "义诊和健康讲座",
    "助学帮扶",
    "党员志愿服务队",
    "政策宣讲",
    "老旧小区改造资金支持",
];
const NEEDS: &[&str] = &[
    "党员活动场地",
    "志愿服务岗位对接",
    "困难群众需求清单",
    "联合开展主题党日",
];
const PROJECTS: &[&str] = &[
    "共建红色驿站",
    "结对帮扶困难家庭",
    "共建文明小区",
    "周末公益课堂",
    "楼道照明改造",
];

impl Seeder<'_> {
    async fn dual_reporting(
        &mut self,
        structure: &Structure,
        orgs: &Organizations,
        people: &People,
    ) -> Result<Party, DbErr> {
        self.out.stage("party members and registrations");
        let mut members = Rows::<party_member::Entity>::new();
        let mut registrations = Rows::<member_registration::Entity>::new();
        let mut party = Party {
            by_community: structure.communities.iter().map(|_| Vec::new()).collect(),
            unit_of_person: HashMap::new(),
        };

        let count = self.scale.party_members.min(people.working_age.len());
        let stories = mix(&mut self.rng, count, REGISTRATION_MIX);
        let mut chosen = index::sample(&mut self.rng, people.working_age.len(), count).into_vec();
        chosen.sort_unstable();
        for (story, resident) in stories.into_iter().zip(chosen) {
            let (person_id, grid) = people.working_age[resident];
            let unit_id = *orgs
                .party_units
                .choose(&mut self.rng)
                .expect("every profile has Party units");
            let joined_party_on = NaiveDate::from_yo_opt(
                self.rng.random_range(1990..=2024),
                self.rng.random_range(1..=365),
            );
            let created_at = self.clock.start + hours(&mut self.rng, 0..=30 * 24);
            let member_id = members
                .add(|id| party_member::Model {
                    id,
                    person_id,
                    organization_id: unit_id,
                    serving: story != RegistrationStory::Deregistered,
                    joined_party_on,
                    created_at,
                })
                .id;
            let home = &structure.grids[grid];
            let registration = member_registration::Model {
                id: 0,
                party_member_id: member_id,
                community_id: structure.communities[home.community].unit.id,
                grid_id: Some(home.unit.id),
                organization_id: unit_id,
                status: MemberRegistrationStatus::Accepted,
                submitted_by: if self.rng.random_bool(0.4) {
                    SubmittedBy::Unit
                } else {
                    SubmittedBy::Member
                },
                decision_note: None,
                transferred_to_id: None,
                decided_at: None,
                receipt_issued_at: None,
                created_at,
                updated_at: created_at,
            };
            self.register(&mut registrations, registration, story, structure);
            if matches!(
                story,
                RegistrationStory::Accepted | RegistrationStory::Transferred
            ) {
                party.by_community[home.community].push(ActiveMember {
                    member_id,
                    person_id,
                });
            }
            if story != RegistrationStory::Deregistered {
                party.unit_of_person.insert(person_id, unit_id);
            }
            self.out
                .flush_when_full(&mut [&mut members, &mut registrations])
                .await?;
        }

        let mut org_registrations = Rows::<org_registration::Entity>::new();
        self.org_registrations(&mut org_registrations, structure, orgs);
        let mut posts = Rows::<service_post::Entity>::new();
        let mut claims = Rows::<post_claim::Entity>::new();
        for (community, active) in structure.communities.iter().zip(&party.by_community) {
            self.service_posts(&mut posts, &mut claims, community, active);
        }
        self.out
            .finish(&mut [
                &mut members,
                &mut registrations,
                &mut org_registrations,
                &mut posts,
                &mut claims,
            ])
            .await?;
        Ok(party)
    }

    /// Writes a member's registrations as their story goes; `home` is an accepted registration
    /// where they live, created when they joined the platform.
    fn register(
        &mut self,
        rows: &mut Rows<member_registration::Entity>,
        home: member_registration::Model,
        story: RegistrationStory,
        structure: &Structure,
    ) {
        let clock = self.clock;
        let rng = &mut self.rng;
        let joined = home.created_at;
        match story {
            RegistrationStory::Accepted => {
                let created_at = between(rng, joined, clock.now - TimeDelta::days(30));
                let decided_at = created_at + days(rng, 1..=5);
                rows.add(|id| {
                    decided(
                        id,
                        home,
                        created_at,
                        decided_at,
                        MemberRegistrationStatus::Accepted,
                    )
                });
            }
            RegistrationStory::Submitted => {
                let created_at = clock.now - hours(rng, 2..=14 * 24);
                rows.add(|id| member_registration::Model {
                    id,
                    grid_id: None,
                    status: MemberRegistrationStatus::Submitted,
                    created_at,
                    updated_at: created_at,
                    ..home
                });
            }
            RegistrationStory::Rejected => {
                let created_at = between(rng, joined, clock.now - TimeDelta::days(30));
                let decided_at = created_at + days(rng, 1..=5);
                rows.add(|id| member_registration::Model {
                    grid_id: None,
                    decision_note: Some("未能核实居住地址，请补充材料后重新报到".to_owned()),
                    ..decided(
                        id,
                        home,
                        created_at,
                        decided_at,
                        MemberRegistrationStatus::Rejected,
                    )
                });
            }
            RegistrationStory::Transferred => {
                // The registration where they live now comes first, so that the old one can
                // point at it.
                let old_created = between(rng, joined, joined + TimeDelta::days(60));
                let old_decided = old_created + days(rng, 1..=5);
                let moved_at = between(
                    rng,
                    old_decided + TimeDelta::days(30),
                    clock.now - TimeDelta::days(20),
                );
                let (old_community, old_grid) = grid_elsewhere(rng, structure, home.community_id);
                let now_decided = moved_at + days(rng, 1..=5);
                let current = rows
                    .add(|id| {
                        decided(
                            id,
                            home.clone(),
                            moved_at,
                            now_decided,
                            MemberRegistrationStatus::Accepted,
                        )
                    })
                    .id;
                rows.add(|id| member_registration::Model {
                    community_id: old_community,
                    grid_id: Some(old_grid),
                    transferred_to_id: Some(current),
                    decision_note: Some("迁居，转至新居住社区".to_owned()),
                    updated_at: moved_at,
                    ..decided(
                        id,
                        home,
                        old_created,
                        old_decided,
                        MemberRegistrationStatus::Transferred,
                    )
                });
            }
            RegistrationStory::Deregistered => {
                let created_at = between(rng, joined, joined + TimeDelta::days(60));
                let decided_at = created_at + days(rng, 1..=5);
                let left_at = between(
                    rng,
                    decided_at + TimeDelta::days(30),
                    clock.now - TimeDelta::days(5),
                );
                rows.add(|id| member_registration::Model {
                    decision_note: Some("退休，不再作为在职党员报到".to_owned()),
                    updated_at: left_at,
                    ..decided(
                        id,
                        home,
                        created_at,
                        decided_at,
                        MemberRegistrationStatus::Deregistered,
                    )
                });
            }
        }
    }

    /// Each Party unit registers with one community, some with two, for the current year.
    fn org_registrations(
        &mut self,
        rows: &mut Rows<org_registration::Entity>,
        structure: &Structure,
        orgs: &Organizations,
    ) {
        let pairs: Vec<(i64, i64)> = orgs
            .party_units
            .iter()
            .flat_map(|&unit| {
                let count = if self.rng.random_bool(0.3) { 2 } else { 1 };
                let communities: Vec<usize> = (0..structure.communities.len()).collect();
                pick(&mut self.rng, &communities, count)
                    .into_iter()
                    .map(move |c| (unit, structure.communities[c].unit.id))
                    .collect::<Vec<_>>()
            })
            .collect();
        let statuses = mix(&mut self.rng, pairs.len(), ORG_REGISTRATION_MIX);
        for ((organization_id, community_id), status) in pairs.into_iter().zip(statuses) {
            let created_at = between(
                &mut self.rng,
                self.clock.start,
                self.clock.start + TimeDelta::days(90),
            );
            let reviewed_at = (status != OrgRegistrationStatus::Submitted)
                .then(|| created_at + days(&mut self.rng, 3..=10));
            let accepted = status == OrgRegistrationStatus::Accepted;
            let rating = |rng: &mut StdRng| accepted.then(|| rng.random_range(3..=5));
            let (community_rating, organization_rating) =
                (rating(&mut self.rng), rating(&mut self.rng));
            let offers = pick(&mut self.rng, OFFERS, 2).join("；");
            let needs = pick(&mut self.rng, NEEDS, 2).join("；");
            let projects = pick(&mut self.rng, PROJECTS, 1).join("；");
            rows.add(|id| org_registration::Model {
                id,
                organization_id,
                community_id,
                year: created_at.year(),
                offers,
                needs,
                projects,
                status,
                review_note: (status == OrgRegistrationStatus::Returned)
                    .then(|| "共建项目不够具体，请细化后重新提交".to_owned()),
                community_rating,
                organization_rating,
                reviewed_at,
                created_at,
                updated_at: reviewed_at.unwrap_or(created_at),
            });
        }
    }

    /// A community's posts for its registered members, never with more confirmed holders than
    /// places, and with at most one open claim per member and post.
    fn service_posts(
        &mut self,
        posts: &mut Rows<service_post::Entity>,
        claims: &mut Rows<post_claim::Entity>,
        community: &Community,
        members: &[ActiveMember],
    ) {
        for &(title, description) in &pick(&mut self.rng, POSTS, self.scale.posts_per_community) {
            let head_count = self.rng.random_range(1..=4);
            let mut outcomes =
                vec![PostClaimStatus::Confirmed; self.rng.random_range(0..=head_count)];
            for status in [
                PostClaimStatus::Applied,
                PostClaimStatus::Rejected,
                PostClaimStatus::Withdrawn,
                PostClaimStatus::Ended,
            ] {
                if self.rng.random_bool(0.4) {
                    outcomes.push(status);
                }
            }
            // Distinct claimants; with fewer members than outcomes, the last outcomes go unused.
            let claimants = pick(&mut self.rng, members, outcomes.len());
            outcomes.truncate(claimants.len());
            let confirmed = outcomes
                .iter()
                .filter(|&&status| status == PostClaimStatus::Confirmed)
                .count();
            let created_at = self.clock.past(&mut self.rng, TimeDelta::days(30));
            let post_id = posts
                .add(|id| service_post::Model {
                    id,
                    community_id: community.unit.id,
                    title: title.to_owned(),
                    description: Some(description.to_owned()),
                    head_count: i32::try_from(head_count).expect("a post has a few places"),
                    status: if confirmed == head_count {
                        PostStatus::Closed
                    } else {
                        PostStatus::Open
                    },
                    created_at,
                })
                .id;
            for (status, member) in outcomes.into_iter().zip(claimants) {
                let claimed_at = created_at + hours(&mut self.rng, 1..=10 * 24);
                let decided_at = matches!(
                    status,
                    PostClaimStatus::Confirmed | PostClaimStatus::Rejected | PostClaimStatus::Ended
                )
                .then(|| claimed_at + hours(&mut self.rng, 2..=72));
                let closed_at =
                    matches!(status, PostClaimStatus::Withdrawn | PostClaimStatus::Ended)
                        .then(|| decided_at.unwrap_or(claimed_at) + hours(&mut self.rng, 1..=72));
                claims.add(|id| post_claim::Model {
                    id,
                    post_id,
                    party_member_id: member.member_id,
                    status,
                    decided_at,
                    closed_at,
                    created_at: claimed_at,
                });
            }
        }
    }
}

/// A random grid (community id, grid id) outside the given community, where a member lived before.
fn grid_elsewhere(rng: &mut StdRng, structure: &Structure, community_id: i64) -> (i64, i64) {
    let others: Vec<&Community> = structure
        .communities
        .iter()
        .filter(|community| community.unit.id != community_id)
        .collect();
    let community = others
        .choose(rng)
        .expect("every profile has several communities");
    let grid = &structure.grids[rng.random_range(community.grids.clone())];
    (community.unit.id, grid.unit.id)
}

/// A registration decided at `decided_at`, with its receipt sent to the unit the same day when
/// it was accepted.
fn decided(
    id: i64,
    base: member_registration::Model,
    created_at: DateTime<Utc>,
    decided_at: DateTime<Utc>,
    status: MemberRegistrationStatus,
) -> member_registration::Model {
    let receipt_issued_at =
        (status != MemberRegistrationStatus::Rejected).then(|| decided_at + TimeDelta::hours(2));
    member_registration::Model {
        id,
        status,
        decided_at: Some(decided_at),
        receipt_issued_at,
        created_at,
        updated_at: receipt_issued_at.unwrap_or(decided_at),
        ..base
    }
}

// ----- Volunteering: teams, activities, sign-ups, service records -------------------------------

/// Who volunteers where.
struct Volunteers {
    /// Members of each community's volunteer teams: they may claim its wishes as volunteers.
    team_members: Vec<Vec<i64>>,
}

struct Team {
    id: i64,
    name: String,
    area: VolunteerArea,
    organization_id: i64,
    service_category: Option<ServiceCategory>,
}

/// A community as its activities see it.
struct Neighbourhood<'n> {
    index: usize,
    community: &'n Community,
    /// Who turns up to its activities: team members and the Party members registered there.
    pool: &'n [i64],
    party: &'n Party,
}

/// The tables of the volunteering step, parents first, and how many records it has confirmed.
struct Volunteering {
    teams: Rows<volunteer_team::Entity>,
    members: Rows<team_member::Entity>,
    activities: Rows<volunteer_activity::Entity>,
    signups: Rows<activity_signup::Entity>,
    records: Rows<service_record::Entity>,
    confirmed_records: u64,
}

impl Volunteering {
    fn tables(&mut self) -> [&mut dyn Table; 5] {
        [
            &mut self.teams,
            &mut self.members,
            &mut self.activities,
            &mut self.signups,
            &mut self.records,
        ]
    }
}

/// When an activity in a given status takes place, relative to today.
enum When {
    /// On a day of the past; attended activities never share a day within a community, so that
    /// nobody's attendances overlap.
    Past,
    /// Right now.
    Now,
    /// Some days ahead.
    Ahead(RangeInclusive<i64>),
}

fn when(status: ActivityStatus) -> When {
    match status {
        ActivityStatus::Ended | ActivityStatus::RecordsConfirmed => When::Past,
        ActivityStatus::InProgress => When::Now,
        ActivityStatus::RecruitmentClosed => When::Ahead(1..=7),
        // Sign-up opens 14 days before the start and closes the day before: open today.
        ActivityStatus::Published | ActivityStatus::Cancelled => When::Ahead(2..=12),
        ActivityStatus::Draft | ActivityStatus::PendingApproval => When::Ahead(10..=40),
    }
}

/// An activity's times.
struct Schedule {
    starts_at: DateTime<Utc>,
    ends_at: DateTime<Utc>,
    signup_opens_at: DateTime<Utc>,
    signup_closes_at: DateTime<Utc>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

/// Team names count up when a community has two teams in one area.
const TEAM_ORDINALS: &[&str] = &["", "二", "三", "四"];
/// Start times of activities, China Standard Time; they last two and a half hours.
const ACTIVITY_STARTS: &[(u32, u32)] = &[(8, 30), (9, 0), (14, 30), (15, 0)];
const OUTDOOR_PLACES: &[&str] = &["小区中心广场", "社区文化广场", "小区东门", "辖区主干道沿线"];

fn area_label(area: VolunteerArea) -> &'static str {
    match area {
        VolunteerArea::ElderlyCareMedical => "助老医疗",
        VolunteerArea::PovertyRelief => "扶贫济困",
        VolunteerArea::DisputeMediation => "矛盾调解",
        VolunteerArea::LegalAid => "法律援助",
        VolunteerArea::CommunityActivities => "社区活动",
        VolunteerArea::EmploymentGuidance => "就业指导",
    }
}

/// The centre where an area's activities usually take place.
fn centre_for(area: VolunteerArea) -> CentreKind {
    match area {
        VolunteerArea::ElderlyCareMedical => CentreKind::ElderDayCare,
        VolunteerArea::PovertyRelief | VolunteerArea::EmploymentGuidance => CentreKind::Convenience,
        VolunteerArea::DisputeMediation | VolunteerArea::LegalAid => {
            CentreKind::ComprehensiveGovernance
        }
        VolunteerArea::CommunityActivities => CentreKind::Volunteer,
    }
}

fn activity_titles(area: VolunteerArea) -> &'static [&'static str] {
    match area {
        VolunteerArea::ElderlyCareMedical => &["义诊进社区", "为独居老人上门测血压", "助老理发日"],
        VolunteerArea::PovertyRelief => &["爱心超市物资发放", "困难家庭走访慰问", "旧衣物募集"],
        VolunteerArea::DisputeMediation => &["邻里纠纷调解开放日", "楼院议事会", "物业矛盾协调会"],
        VolunteerArea::LegalAid => &["法律知识讲座", "免费法律咨询", "防范电信诈骗宣传"],
        VolunteerArea::CommunityActivities => &["环境清洁日", "垃圾分类宣传", "文明交通劝导"],
        VolunteerArea::EmploymentGuidance => &["社区招聘会", "家政技能培训", "创业政策宣讲"],
    }
}

impl Seeder<'_> {
    async fn volunteering(
        &mut self,
        base: Base<'_>,
        tally: &mut Tally,
    ) -> Result<Volunteers, DbErr> {
        self.out
            .stage("volunteer teams, activities and service records");
        let Base {
            structure,
            orgs,
            people,
            party,
        } = base;
        let mut rows = Volunteering {
            teams: Rows::new(),
            members: Rows::new(),
            activities: Rows::new(),
            signups: Rows::new(),
            records: Rows::new(),
            confirmed_records: 0,
        };
        let teams_of = partition(self.scale.volunteer_teams, structure.communities.len());
        let mut team_members = Vec::with_capacity(structure.communities.len());
        for (c, community) in structure.communities.iter().enumerate() {
            let mut crews = Vec::new();
            let teams: Vec<Team> = (0..teams_of[c].len())
                .map(|k| {
                    let crew = pick_ids(
                        &mut self.rng,
                        people.residents_of(community),
                        self.scale.team_size,
                    );
                    let owner = self.team_owner(orgs, c);
                    let team = self.team(&mut rows, community, owner, k, &crew);
                    crews.extend(crew);
                    team
                })
                .collect();
            let mut pool: Vec<i64> = party.by_community[c]
                .iter()
                .map(|member| member.person_id)
                .chain(crews.iter().copied())
                .collect();
            pool.sort_unstable();
            pool.dedup();
            let neighbourhood = Neighbourhood {
                index: c,
                community,
                pool: &pool,
                party,
            };
            for (status, day) in
                self.activity_calendar(teams.len() * self.scale.activities_per_team)
            {
                let team = &teams[self.rng.random_range(0..teams.len())];
                self.activity(&mut rows, &neighbourhood, team, status, day, tally);
                self.out.flush_when_full(&mut rows.tables()).await?;
            }
            crews.sort_unstable();
            crews.dedup();
            team_members.push(crews);
        }
        self.out.finish(&mut rows.tables()).await?;
        Ok(Volunteers { team_members })
    }

    /// A community's `k`-th team: the areas take turns, and the crew's first member leads it.
    fn team(
        &mut self,
        rows: &mut Volunteering,
        community: &Community,
        (organization_id, service_category): (i64, Option<ServiceCategory>),
        k: usize,
        crew: &[i64],
    ) -> Team {
        let areas: Vec<VolunteerArea> = VolunteerArea::iter().collect();
        let area = areas[k % areas.len()];
        let name = format!(
            "{}{}志愿服务{}队",
            community.unit.name,
            area_label(area),
            TEAM_ORDINALS[k / areas.len()]
        );
        let created_at = self.clock.start + hours(&mut self.rng, 0..=60 * 24);
        let community_id = community.unit.id;
        let id = rows
            .teams
            .add(|id| volunteer_team::Model {
                id,
                name: name.clone(),
                area,
                community_id,
                organization_id,
                leader_person_id: crew.first().copied(),
                status: TeamStatus::Active,
                created_at,
            })
            .id;
        for (position, &person_id) in crew.iter().enumerate() {
            let role = match position {
                0 => TeamRole::Leader,
                1 => TeamRole::Deputy,
                _ => TeamRole::Member,
            };
            let joined_at = created_at + hours(&mut self.rng, 0..=30 * 24);
            rows.members.add(|member| team_member::Model {
                id: member,
                team_id: id,
                person_id,
                role,
                joined_at,
                left_at: None,
            });
        }
        Team {
            id,
            name,
            area,
            organization_id,
            service_category,
        }
    }

    /// Half of the teams belong to the community's own committee, the rest to partners.
    fn team_owner(
        &mut self,
        orgs: &Organizations,
        community: usize,
    ) -> (i64, Option<ServiceCategory>) {
        const PRESENT: &str = "every profile has partners of each kind";
        match self.rng.random_range(0..10) {
            0..=4 => (orgs.communities[community], None),
            5 | 6 => orgs
                .social
                .choose(&mut self.rng)
                .map(|&(id, category)| (id, Some(category)))
                .expect(PRESENT),
            7 | 8 => (
                *orgs.party_units.choose(&mut self.rng).expect(PRESENT),
                None,
            ),
            _ => (*orgs.businesses.choose(&mut self.rng).expect(PRESENT), None),
        }
    }

    /// When a community's `count` activities take place, as (status, day relative to today),
    /// oldest first.
    fn activity_calendar(&mut self, count: usize) -> Vec<(ActivityStatus, i64)> {
        let mut statuses = mix(&mut self.rng, count, ACTIVITY_MIX);
        // The most recent past activities are the ones whose records wait for confirmation.
        statuses.sort_by_key(|&status| status != ActivityStatus::Ended);
        let past = statuses
            .iter()
            .filter(|&&status| matches!(when(status), When::Past))
            .count();
        let window = usize::try_from(self.clock.history_days())
            .unwrap_or(0)
            .max(past);
        let mut past_days = index::sample(&mut self.rng, window, past).into_vec();
        past_days.sort_unstable();
        let mut past_days = past_days.into_iter().map(|day| -1 - day as i64);
        let mut calendar: Vec<(ActivityStatus, i64)> = statuses
            .into_iter()
            .map(|status| {
                let day = match when(status) {
                    When::Past => past_days
                        .next()
                        .expect("one day was drawn per past activity"),
                    When::Now => 0,
                    When::Ahead(days) => self.rng.random_range(days),
                };
                (status, day)
            })
            .collect();
        calendar.sort_by_key(|&(_, day)| day);
        calendar
    }

    fn schedule(&mut self, status: ActivityStatus, day: i64) -> Schedule {
        let now = self.clock.now;
        let (starts_at, ends_at) = if status == ActivityStatus::InProgress {
            (now - TimeDelta::hours(1), now + TimeDelta::hours(2))
        } else {
            let &(hour, minute) = ACTIVITY_STARTS
                .choose(&mut self.rng)
                .expect("the list is not empty");
            let starts_at = self.clock.local_time(day, hour, minute);
            (starts_at, starts_at + TimeDelta::minutes(150))
        };
        let closes = starts_at - TimeDelta::days(1);
        let signup_closes_at = if status == ActivityStatus::RecruitmentClosed {
            closes.min(now - TimeDelta::hours(1))
        } else {
            closes
        };
        let signup_opens_at = signup_closes_at - TimeDelta::days(13);
        let created_at =
            (signup_opens_at - days(&mut self.rng, 1..=5)).min(now - hours(&mut self.rng, 1..=48));
        let updated_at = match status {
            ActivityStatus::RecordsConfirmed => ends_at + TimeDelta::days(1),
            ActivityStatus::Ended => ends_at + TimeDelta::hours(1),
            ActivityStatus::InProgress => starts_at,
            ActivityStatus::Published => signup_opens_at,
            ActivityStatus::RecruitmentClosed => signup_closes_at,
            ActivityStatus::Cancelled => between(&mut self.rng, created_at, now),
            ActivityStatus::Draft | ActivityStatus::PendingApproval => created_at,
        };
        Schedule {
            starts_at,
            ends_at,
            signup_opens_at,
            signup_closes_at,
            created_at,
            updated_at,
        }
    }

    /// An activity with its sign-ups, and a service record for every checked-out attendance.
    fn activity(
        &mut self,
        rows: &mut Volunteering,
        neighbourhood: &Neighbourhood<'_>,
        team: &Team,
        status: ActivityStatus,
        day: i64,
        tally: &mut Tally,
    ) {
        let schedule = self.schedule(status, day);
        let community = neighbourhood.community;
        let (centre_id, outdoor) = if self.rng.random_bool(0.75) {
            (Some(community.centre(centre_for(team.area))), None)
        } else {
            let spot = OUTDOOR_PLACES
                .choose(&mut self.rng)
                .expect("the list is not empty");
            (None, Some(format!("{}{spot}", community.unit.name)))
        };
        let title = activity_titles(team.area)
            .choose(&mut self.rng)
            .expect("every area has titles");
        let capacity = self.rng.random_range(self.scale.activity_capacity.clone());
        let self_scheduling = self.rng.random_bool(0.4);
        let activity = rows
            .activities
            .add(|id| volunteer_activity::Model {
                id,
                organization_id: team.organization_id,
                team_id: Some(team.id),
                community_id: community.unit.id,
                title: (*title).to_owned(),
                description: Some(format!("由{}组织", team.name)),
                area: Some(team.area),
                service_category: team.service_category,
                centre_id,
                place: outdoor,
                starts_at: schedule.starts_at,
                ends_at: schedule.ends_at,
                signup_opens_at: schedule.signup_opens_at,
                signup_closes_at: schedule.signup_closes_at,
                capacity,
                self_scheduling,
                status,
                created_at: schedule.created_at,
                updated_at: schedule.updated_at,
            })
            .clone();
        for signup in self.signups(&activity, neighbourhood.pool) {
            let signup = rows
                .signups
                .add(|id| activity_signup::Model { id, ..signup });
            if let (SignupStatus::CheckedOut, Some(started_at), Some(ended_at)) =
                (signup.status, signup.checked_in_at, signup.checked_out_at)
            {
                let attendance = Attendance {
                    signup_id: signup.id,
                    person_id: signup.person_id,
                    started_at,
                    ended_at,
                };
                self.service_record(rows, neighbourhood, &activity, attendance, tally);
            }
        }
    }

    /// Sign-ups in the states the activity's status allows, by distinct people of the pool.
    fn signups(
        &mut self,
        activity: &volunteer_activity::Model,
        pool: &[i64],
    ) -> Vec<activity_signup::Model> {
        let statuses = self.signup_statuses(activity, pool.len());
        let people = pick(&mut self.rng, pool, statuses.len());
        let window_end = activity.signup_closes_at.min(self.clock.now);
        let mut signups = Vec::with_capacity(statuses.len());
        for (status, person_id) in statuses.into_iter().zip(people) {
            let created_at = between(&mut self.rng, activity.signup_opens_at, window_end);
            let checked_in_at =
                matches!(status, SignupStatus::CheckedIn | SignupStatus::CheckedOut)
                    .then(|| activity.starts_at + minutes(&mut self.rng, -15..=10));
            let checked_out_at = (status == SignupStatus::CheckedOut)
                .then(|| activity.ends_at + minutes(&mut self.rng, -10..=15));
            let updated_at = match status {
                SignupStatus::CheckedIn => checked_in_at,
                SignupStatus::CheckedOut => checked_out_at,
                SignupStatus::NoShow => Some(activity.ends_at + TimeDelta::hours(1)),
                SignupStatus::Cancelled => Some(between(&mut self.rng, created_at, window_end)),
                SignupStatus::Applied | SignupStatus::Approved | SignupStatus::Waitlisted => None,
            };
            signups.push(activity_signup::Model {
                id: 0,
                activity_id: activity.id,
                person_id,
                status,
                checked_in_at,
                checked_out_at,
                created_at,
                updated_at: updated_at.unwrap_or(created_at),
            });
        }
        signups
    }

    /// Holders of places (at most the capacity), then the waiting list when full, then a few
    /// who cancelled; never more than the pool has people.
    fn signup_statuses(
        &mut self,
        activity: &volunteer_activity::Model,
        pool: usize,
    ) -> Vec<SignupStatus> {
        let capacity = usize::try_from(activity.capacity).unwrap_or(0);
        let seats = capacity.min(pool);
        let holders = match activity.status {
            ActivityStatus::Draft | ActivityStatus::PendingApproval => return Vec::new(),
            ActivityStatus::Published | ActivityStatus::Cancelled => {
                self.rng.random_range(seats / 3..=seats)
            }
            _ => self.rng.random_range(seats * 3 / 4..=seats),
        };
        let mut statuses: Vec<SignupStatus> =
            (0..holders).map(|_| self.holder_status(activity)).collect();
        let recruiting = matches!(
            activity.status,
            ActivityStatus::Published | ActivityStatus::RecruitmentClosed
        );
        if recruiting && holders == capacity {
            statuses.extend(std::iter::repeat_n(
                SignupStatus::Waitlisted,
                self.rng.random_range(1..=2),
            ));
        }
        statuses.extend(std::iter::repeat_n(
            SignupStatus::Cancelled,
            self.rng.random_range(0..=2),
        ));
        statuses.truncate(pool);
        statuses
    }

    fn holder_status(&mut self, activity: &volunteer_activity::Model) -> SignupStatus {
        match activity.status {
            ActivityStatus::Published if !activity.self_scheduling && self.rng.random_bool(0.5) => {
                SignupStatus::Applied
            }
            ActivityStatus::Published | ActivityStatus::RecruitmentClosed => SignupStatus::Approved,
            ActivityStatus::InProgress if self.rng.random_bool(0.85) => SignupStatus::CheckedIn,
            ActivityStatus::InProgress => SignupStatus::Approved,
            ActivityStatus::Ended | ActivityStatus::RecordsConfirmed
                if self.rng.random_bool(0.92) =>
            {
                SignupStatus::CheckedOut
            }
            ActivityStatus::Ended | ActivityStatus::RecordsConfirmed => SignupStatus::NoShow,
            // A cancelled activity cancels its sign-ups (drafts have none).
            ActivityStatus::Cancelled | ActivityStatus::Draft | ActivityStatus::PendingApproval => {
                SignupStatus::Cancelled
            }
        }
    }

    /// The record of an attendance: pending until the organiser confirms the activity's records.
    /// Now and then a confirmed record is found too long and gets a compensating correction.
    fn service_record(
        &mut self,
        rows: &mut Volunteering,
        neighbourhood: &Neighbourhood<'_>,
        activity: &volunteer_activity::Model,
        attendance: Attendance,
        tally: &mut Tally,
    ) {
        let confirmed_at = (activity.status == ActivityStatus::RecordsConfirmed)
            .then(|| activity.ends_at + TimeDelta::days(1));
        let record = rows
            .records
            .add(|id| service_record::Model {
                id,
                person_id: attendance.person_id,
                organization_id: activity.organization_id,
                member_unit_id: neighbourhood
                    .party
                    .unit_of_person
                    .get(&attendance.person_id)
                    .copied(),
                community_id: activity.community_id,
                activity_id: Some(activity.id),
                signup_id: Some(attendance.signup_id),
                area: activity.area,
                started_at: attendance.started_at,
                ended_at: attendance.ended_at,
                minutes: i32::try_from((attendance.ended_at - attendance.started_at).num_minutes())
                    .expect("an attendance lasts a few hours"),
                status: if confirmed_at.is_some() {
                    RecordStatus::Confirmed
                } else {
                    RecordStatus::Pending
                },
                corrects_id: None,
                reason: None,
                confirmed_at,
                created_at: attendance.ended_at,
            })
            .clone();
        tally.record(neighbourhood.index, &record);
        let Some(confirmed_at) = confirmed_at else {
            return;
        };
        rows.confirmed_records += 1;
        let old_enough = record.ended_at < self.clock.now - TimeDelta::days(7);
        if rows.confirmed_records % CORRECTION_EVERY == 1 && old_enough {
            let corrected_at = confirmed_at + TimeDelta::days(2);
            let minutes = -self.rng.random_range(10..=30);
            let correction = rows.records.add(|id| service_record::Model {
                id,
                minutes,
                corrects_id: Some(record.id),
                reason: Some("签退时间晚于实际离开时间，核减相应时长".to_owned()),
                confirmed_at: Some(corrected_at),
                created_at: corrected_at,
                ..record.clone()
            });
            tally.record(neighbourhood.index, correction);
        }
    }
}

/// A checked-out sign-up.
struct Attendance {
    signup_id: i64,
    person_id: i64,
    started_at: DateTime<Utc>,
    ended_at: DateTime<Utc>,
}

// ----- Micro-wishes and their claims ------------------------------------------------------------

/// Wishes residents post: category, title and estimated value in yuan.
const WISHES: &[(WishCategory, &str, i32)] = &[
    (WishCategory::DailyNecessities, "想要一床厚棉被过冬", 200),
    (WishCategory::DailyNecessities, "需要一台电饭煲", 150),
    (WishCategory::DailyNecessities, "想要一副老花镜", 60),
    (WishCategory::DailyNecessities, "需要一辆轮椅方便出门", 400),
    (WishCategory::Study, "孩子想要一套课外读物", 120),
    (WishCategory::Study, "希望有人辅导孩子功课", 0),
    (WishCategory::Study, "孩子需要一个新书包", 80),
    (WishCategory::HealthCare, "希望有人陪同去医院复查", 0),
    (WishCategory::HealthCare, "想要一台电子血压计", 150),
    (WishCategory::HealthCare, "需要代购常用药品送上门", 100),
    (WishCategory::HomeRepair, "厨房水管漏水需要维修", 100),
    (WishCategory::HomeRepair, "卧室窗户玻璃破了想换一块", 120),
    (WishCategory::HomeRepair, "家里电灯开关坏了", 30),
    (WishCategory::Companionship, "希望周末有人来陪我聊聊天", 0),
    (WishCategory::Companionship, "想有人陪我去公园散散步", 0),
    (WishCategory::Other, "想学会用智能手机和孙子视频", 0),
    (WishCategory::Other, "希望有人上门帮忙理发", 0),
];
const CIRCUMSTANCES: &[&str] = &[
    "老人独自居住，腿脚不便",
    "家庭经济困难，子女在外地",
    "身患慢性病，出门不便",
    "孩子父母外出务工，由老人照看",
];
const EVIDENCE_NOTES: &[&str] = &[
    "已送到老人家中，本人签收",
    "已上门完成维修，拍照留存",
    "已陪同完成，居民表示满意",
];
const THANKS: &[&str] = &[
    "非常感谢，东西很实用！",
    "谢谢你们，服务很贴心",
    "感谢党员同志的帮助",
    "解决了大难题，谢谢",
];

/// What happened to a wish after it was submitted; each step is one transition (one version).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum WishStep {
    Rejected,
    Published,
    Claimed,
    /// The claimant handed the claim back; the wish reopened.
    Released,
    /// Staff revoked an overdue claim; the wish reopened.
    Revoked,
    Delivered,
    Disputed,
    Realized,
    Withdrawn,
    TakenDown,
    Expired,
}

/// Who may claim a community's wishes.
struct Claimants<'c> {
    partners: &'c [i64],
    members: &'c [ActiveMember],
    volunteers: &'c [i64],
}

impl Seeder<'_> {
    async fn micro_wishes(
        &mut self,
        base: Base<'_>,
        volunteers: &Volunteers,
        tally: &mut Tally,
    ) -> Result<(), DbErr> {
        self.out.stage("micro-wishes and claims");
        let mut wishes = Rows::<micro_wish::Entity>::new();
        let mut claims = Rows::<wish_claim::Entity>::new();
        let partners = base.orgs.partners();
        for status in mix(&mut self.rng, self.scale.micro_wishes, WISH_MIX) {
            let g = self.rng.random_range(0..base.structure.grids.len());
            let c = base.structure.grids[g].community;
            let draft = self.wish(base, g, status);
            let wish = wishes.add(|id| micro_wish::Model { id, ..draft.wish });
            let claimants = Claimants {
                partners: &partners,
                members: &base.party.by_community[c],
                volunteers: &volunteers.team_members[c],
            };
            for claim in self.wish_claims(wish, &draft.steps, &claimants) {
                let claim = claims.add(|id| wish_claim::Model { id, ..claim });
                // Wishes that members fulfil go into the reports to their units.
                if let (ClaimStatus::Fulfilled, Some(person), Some(realized_at)) =
                    (claim.status, claim.claimant_person_id, wish.realized_at)
                    && let Some(&unit) = base.party.unit_of_person.get(&person)
                {
                    tally.wish(c, unit, person, realized_at);
                }
            }
            self.out
                .flush_when_full(&mut [&mut wishes, &mut claims])
                .await?;
        }
        self.out.finish(&mut [&mut wishes, &mut claims]).await
    }

    /// A wish of a resident of grid `g` (most often one living alone or in hardship), posted by
    /// them or by the grid's administrator, and the steps it has gone through to reach `status`.
    fn wish(&mut self, base: Base<'_>, g: usize, status: WishStatus) -> WishDraft {
        let grid = &base.structure.grids[g];
        let residents = &base.people.grids[g];
        let beneficiary = match residents.vulnerable.choose(&mut self.rng) {
            Some(&person) if self.rng.random_bool(0.8) => person,
            _ => self.rng.random_range(residents.residents.clone()),
        };
        let poster = if self.rng.random_bool(0.3) {
            beneficiary
        } else {
            residents.administrator
        };
        let &(category, title, yuan) = WISHES.choose(&mut self.rng).expect("the list is not empty");
        let circumstance = CIRCUMSTANCES
            .choose(&mut self.rng)
            .expect("the list is not empty");
        let steps = self.wish_steps(status);
        let (created_at, times) = self.wish_times(status, steps.len());
        let steps: Vec<(WishStep, DateTime<Utc>)> = steps.into_iter().zip(times).collect();
        let at = |wanted: WishStep| {
            steps
                .iter()
                .find(|&&(step, _)| step == wanted)
                .map(|&(_, at)| at)
        };
        let published_at = at(WishStep::Published);
        let deadline = at(WishStep::Expired)
            .unwrap_or_else(|| published_at.unwrap_or(created_at) + days(&mut self.rng, 45..=60));
        let review_note = match status {
            WishStatus::Rejected => Some("属于社会救助范围，已转民政部门办理"),
            WishStatus::TakenDown => Some("与已发布的心愿重复，予以下架"),
            WishStatus::Disputed => Some("受益人反映物品与描述不符，待社区核实"),
            _ => None,
        };
        let wish = micro_wish::Model {
            id: 0,
            beneficiary_person_id: beneficiary,
            poster_person_id: poster,
            community_id: base.structure.communities[grid.community].unit.id,
            grid_id: grid.unit.id,
            title: title.to_owned(),
            description: format!("{circumstance}，{title}。"),
            category,
            estimated_value_cents: yuan * self.rng.random_range(80..=120),
            deadline,
            status,
            version: 1 + i32::try_from(steps.len()).expect("a wish takes a few steps"),
            review_note: review_note.map(str::to_owned),
            published_at,
            realized_at: at(WishStep::Realized),
            created_at,
            updated_at: steps.last().map_or(created_at, |&(_, at)| at),
        };
        WishDraft { wish, steps }
    }

    fn wish_steps(&mut self, status: WishStatus) -> Vec<WishStep> {
        use WishStep::*;
        // Some wishes were claimed before and handed back.
        let handed_back = match self.rng.random_range(0..10) {
            0 => vec![Claimed, Released],
            1 => vec![Claimed, Revoked],
            _ => Vec::new(),
        };
        match status {
            WishStatus::Submitted => Vec::new(),
            WishStatus::Rejected => vec![Rejected],
            WishStatus::Open => [vec![Published], handed_back].concat(),
            WishStatus::Claimed => [vec![Published], handed_back, vec![Claimed]].concat(),
            WishStatus::Delivered => vec![Published, Claimed, Delivered],
            WishStatus::Disputed => vec![Published, Claimed, Delivered, Disputed],
            WishStatus::Realized => [
                vec![Published],
                handed_back,
                vec![Claimed, Delivered, Realized],
            ]
            .concat(),
            WishStatus::Withdrawn => vec![Published, Withdrawn],
            WishStatus::TakenDown => vec![Published, TakenDown],
            WishStatus::Expired => [vec![Published], handed_back, vec![Expired]].concat(),
        }
    }

    /// When a wish was submitted and when its steps happened. Wishes still under way were
    /// submitted in the last ten days (so open ones are before their deadline and claims within
    /// their time); settled ones anywhere in history, over up to forty days.
    fn wish_times(
        &mut self,
        status: WishStatus,
        steps: usize,
    ) -> (DateTime<Utc>, Vec<DateTime<Utc>>) {
        let now = self.clock.now;
        let under_way = matches!(
            status,
            WishStatus::Submitted
                | WishStatus::Open
                | WishStatus::Claimed
                | WishStatus::Delivered
                | WishStatus::Disputed
        );
        let (created_at, until) = if under_way {
            (
                now - hours(&mut self.rng, 2..=10 * 24),
                now - TimeDelta::minutes(10),
            )
        } else {
            let created_at = self.clock.past(&mut self.rng, TimeDelta::days(60));
            (created_at, created_at + days(&mut self.rng, 5..=40))
        };
        (
            created_at,
            timeline(&mut self.rng, created_at, until, steps),
        )
    }

    /// The claims a wish's steps imply: closed ones handed back, then the current one (active,
    /// delivered or fulfilled). A claimant is never the beneficiary.
    fn wish_claims(
        &mut self,
        wish: &micro_wish::Model,
        steps: &[(WishStep, DateTime<Utc>)],
        claimants: &Claimants<'_>,
    ) -> Vec<wish_claim::Model> {
        let mut claims = Vec::new();
        let mut current: Option<wish_claim::Model> = None;
        for &(step, at) in steps {
            match (step, current.as_mut()) {
                (WishStep::Claimed, _) => current = Some(self.claim(wish, at, claimants)),
                (WishStep::Released | WishStep::Revoked, Some(claim)) => {
                    claim.status = if step == WishStep::Released {
                        ClaimStatus::Released
                    } else {
                        ClaimStatus::Revoked
                    };
                    claim.closed_at = Some(at);
                    claim.updated_at = at;
                    claims.extend(current.take());
                }
                (WishStep::Delivered, Some(claim)) => {
                    let note = EVIDENCE_NOTES
                        .choose(&mut self.rng)
                        .expect("the list is not empty");
                    claim.status = ClaimStatus::Delivered;
                    claim.evidence_note = Some((*note).to_owned());
                    claim.evidence_urls = Some(
                        serde_json::json!([format!(
                            "https://files.example.com/gongzhi/wishes/{}/evidence-1.jpg",
                            wish.id
                        )])
                        .to_string(),
                    );
                    claim.updated_at = at;
                }
                (WishStep::Realized, Some(claim)) => {
                    let thanks = THANKS.choose(&mut self.rng).expect("the list is not empty");
                    claim.status = ClaimStatus::Fulfilled;
                    claim.rating = Some(self.rng.random_range(4..=5));
                    claim.feedback = Some((*thanks).to_owned());
                    claim.closed_at = Some(at);
                    claim.updated_at = at;
                }
                _ => {}
            }
        }
        claims.extend(current);
        claims
    }

    /// A new active claim: by a Party member registered in the community, a team volunteer or a
    /// partner organisation.
    fn claim(
        &mut self,
        wish: &micro_wish::Model,
        at: DateTime<Utc>,
        claimants: &Claimants<'_>,
    ) -> wish_claim::Model {
        let person = match self.rng.random_range(0..20) {
            0..=7 => claimants
                .members
                .choose(&mut self.rng)
                .map(|member| (ClaimantKind::PartyMember, member.person_id)),
            8..=10 => claimants
                .volunteers
                .choose(&mut self.rng)
                .map(|&person| (ClaimantKind::Volunteer, person)),
            _ => None,
        };
        let (claimant_kind, claimant_organization_id, claimant_person_id) = match person {
            Some((kind, person)) if person != wish.beneficiary_person_id => {
                (kind, None, Some(person))
            }
            _ => {
                let partner = claimants
                    .partners
                    .choose(&mut self.rng)
                    .expect("every profile has partners");
                (ClaimantKind::Organization, Some(*partner), None)
            }
        };
        wish_claim::Model {
            id: 0,
            wish_id: wish.id,
            claimant_kind,
            claimant_organization_id,
            claimant_person_id,
            status: ClaimStatus::Active,
            due_at: at + TimeDelta::days(CLAIM_DAYS),
            evidence_note: None,
            evidence_urls: None,
            rating: None,
            feedback: None,
            closed_at: None,
            created_at: at,
            updated_at: at,
        }
    }
}

/// A wish before it gets its id, with the steps it went through.
struct WishDraft {
    wish: micro_wish::Model,
    steps: Vec<(WishStep, DateTime<Utc>)>,
}

// ----- Feedback reports --------------------------------------------------------------------------

/// What members of each unit did in each community, per quarter: the figures of the communities'
/// reports to the units.
#[derive(Default)]
struct Tally {
    periods: BTreeMap<(usize, i64, Quarter), Period>,
}

#[derive(Default)]
struct Period {
    members: BTreeSet<i64>,
    activities: BTreeSet<i64>,
    records: u32,
    minutes: i64,
    wishes: u32,
}

impl Tally {
    fn period(&mut self, community: usize, unit: i64, at: DateTime<Utc>) -> &mut Period {
        self.periods
            .entry((community, unit, Quarter::of(at)))
            .or_default()
    }

    fn record(&mut self, community: usize, record: &service_record::Model) {
        let Some(unit) = record.member_unit_id else {
            return;
        };
        let period = self.period(community, unit, record.started_at);
        period.members.insert(record.person_id);
        period.activities.extend(record.activity_id);
        period.records += u32::from(record.corrects_id.is_none());
        period.minutes += i64::from(record.minutes);
    }

    fn wish(&mut self, community: usize, unit: i64, person: i64, realized_at: DateTime<Utc>) {
        let period = self.period(community, unit, realized_at);
        period.members.insert(person);
        period.wishes += 1;
    }
}

impl Period {
    fn content(&self, quarter: Quarter) -> String {
        let hours = self.minutes as f64 / 60.0;
        let per_member = hours / self.members.len().max(1) as f64;
        let evaluation = match per_member {
            h if h >= 8.0 => "excellent",
            h if h >= 3.0 => "good",
            _ => "fair",
        };
        serde_json::json!({
            "period": format!("{}-Q{}", quarter.year(), quarter.number()),
            "members": self.members.len(),
            "activities": self.activities.len(),
            "serviceRecords": self.records,
            "serviceHours": (hours * 10.0).round() / 10.0,
            "wishesRealized": self.wishes,
            "evaluation": evaluation,
        })
        .to_string()
    }
}

impl Seeder<'_> {
    /// A report from each community to each unit whose members served there, for every quarter
    /// that is over: generated a few days after, then signed, sent and acknowledged. Reports on
    /// the last quarter are still on their way.
    async fn feedback_reports(&mut self, base: Base<'_>, tally: Tally) -> Result<(), DbErr> {
        self.out.stage("feedback reports");
        let Base {
            structure, people, ..
        } = base;
        let now = self.clock.now;
        let last_quarter = Quarter::of(now).previous();
        let mut rows = Rows::<feedback_report::Entity>::new();
        for ((c, organization_id, quarter), period) in tally.periods {
            let end = quarter.bounds().1;
            let stages = [3, 6, 8, 20].map(|day| end + TimeDelta::days(day));
            let mut reached = stages.iter().filter(|&&at| at <= now).count();
            if reached == 0 {
                continue;
            }
            if quarter == last_quarter {
                reached = reached.min(self.rng.random_range(1..=4));
            }
            let status = [
                ReportStatus::Generated,
                ReportStatus::Signed,
                ReportStatus::Sent,
                ReportStatus::Acknowledged,
            ][reached - 1];
            let at = |stage: usize| (stage < reached).then_some(stages[stage]);
            rows.add(|id| feedback_report::Model {
                id,
                community_id: structure.communities[c].unit.id,
                organization_id,
                year: quarter.year(),
                quarter: i16::try_from(quarter.number()).expect("quarters are 1 to 4"),
                status,
                content: period.content(quarter),
                signed_by_person_id: at(1).map(|_| people.community_secretaries[c]),
                signed_at: at(1),
                sent_at: at(2),
                acknowledged_at: at(3),
                created_at: stages[0],
            });
            self.out.flush_when_full(&mut [&mut rows]).await?;
        }
        self.out.finish(&mut [&mut rows]).await
    }
}

// ----- Accounts ----------------------------------------------------------------------------------

/// Where a fixture account's role applies.
enum Scope {
    District,
    Subdistrict(&'static str),
    Community(&'static str),
    Grid(&'static str),
    Department(&'static str),
    /// The first social organisation.
    SocialOrganization,
    /// The first Party unit.
    PartyUnit,
}

/// Logins for trying the API, one per role, each with the password [`DEMO_PASSWORD`].
const ACCOUNTS: &[(&str, Role, Scope)] = &[
    ("district.admin", Role::DistrictStaff, Scope::District),
    (
        "xidajie.staff",
        Role::SubdistrictStaff,
        Scope::Subdistrict("西大街街道"),
    ),
    (
        "qiyi.staff",
        Role::CommunityStaff,
        Scope::Community("七一社区"),
    ),
    (
        "qiyi.grid1",
        Role::GridStaff,
        Scope::Grid("七一社区第1网格"),
    ),
    (
        "xinfang.handler",
        Role::DepartmentHandler,
        Scope::Department("魏都区信访局"),
    ),
    ("ngo.admin", Role::OrgAdmin, Scope::SocialOrganization),
    ("partyunit.admin", Role::PartyUnitAdmin, Scope::PartyUnit),
];

/// Who holds a fixture account, and where its role applies: a unit (staff, who are also the
/// account's person) or an organisation.
struct Holder {
    unit_id: Option<i64>,
    organization_id: Option<i64>,
    person_id: Option<i64>,
}

impl Holder {
    fn staff(unit_id: i64, person_id: i64) -> Self {
        Self {
            unit_id: Some(unit_id),
            organization_id: None,
            person_id: Some(person_id),
        }
    }

    fn organization(organization_id: i64) -> Self {
        Self {
            unit_id: None,
            organization_id: Some(organization_id),
            person_id: None,
        }
    }
}

impl Base<'_> {
    fn holder(&self, scope: &Scope) -> Holder {
        const NAMED: &str = "fixture accounts name units of every profile";
        let (structure, people) = (self.structure, self.people);
        let position = |units: &mut dyn Iterator<Item = &Unit>, name: &str| {
            units
                .enumerate()
                .find(|(_, unit)| unit.name == name)
                .map(|(i, _)| i)
                .expect(NAMED)
        };
        match *scope {
            Scope::District => Holder::staff(structure.district.id, people.district_officer),
            Scope::Subdistrict(name) => {
                let s = position(&mut structure.subdistricts.iter(), name);
                Holder::staff(structure.subdistricts[s].id, people.subdistrict_leads[s])
            }
            Scope::Community(name) => {
                let c = position(
                    &mut structure
                        .communities
                        .iter()
                        .map(|community| &community.unit),
                    name,
                );
                Holder::staff(
                    structure.communities[c].unit.id,
                    people.community_secretaries[c],
                )
            }
            Scope::Grid(name) => {
                let g = position(&mut structure.grids.iter().map(|grid| &grid.unit), name);
                Holder::staff(structure.grids[g].unit.id, people.grids[g].administrator)
            }
            Scope::Department(name) => {
                let d = structure
                    .departments
                    .iter()
                    .position(|&(_, department)| department == name)
                    .expect(NAMED);
                Holder::organization(self.orgs.departments[d])
            }
            Scope::SocialOrganization => Holder::organization(self.orgs.social[0].0),
            Scope::PartyUnit => Holder::organization(self.orgs.party_units[0]),
        }
    }
}

/// The password of every fixture account.
pub const DEMO_PASSWORD: &str = "gongzhi-demo";

/// The demo API client of the first social organisation (the one `ngo.admin` administers),
/// with a published secret: the demo profile only.
pub const DEMO_CLIENT_ID: &str = "gz_demo_partner";
pub const DEMO_CLIENT_SECRET: &str = "demo-partner-secret";
const DEMO_CLIENT_SCOPES: &str = "wishes:read wishes:write volunteering:read volunteering:write";

/// An argon2 hash, as the seed's error.
async fn hash(secret: &str) -> Result<String, DbErr> {
    crate::auth::secret::hash(secret)
        .await
        .map_err(|err| DbErr::Custom(err.to_string()))
}

impl Seeder<'_> {
    async fn accounts(&mut self, base: Base<'_>) -> Result<(), DbErr> {
        self.out.stage("accounts");
        let created_at = self.clock.start;
        let mut accounts = Rows::<account::Entity>::new();
        let mut grants = Rows::<role_grant::Entity>::new();
        // Argon2 is slow by design: one hash serves every account.
        let password_hash = hash(DEMO_PASSWORD).await?;
        for (username, role, scope) in ACCOUNTS {
            let holder = base.holder(scope);
            let account_id = accounts
                .add(|id| account::Model {
                    id,
                    username: (*username).to_owned(),
                    password_hash: Some(password_hash.clone()),
                    person_id: holder.person_id,
                    organization_id: holder.organization_id,
                    status: AccountStatus::Active,
                    created_at,
                })
                .id;
            grants.add(|id| role_grant::Model {
                id,
                account_id,
                role: *role,
                unit_id: holder.unit_id,
                organization_id: holder.organization_id,
                created_at,
            });
        }
        let mut clients = Rows::<api_client::Entity>::new();
        if self.scale.demo_client {
            let secret_hash = hash(DEMO_CLIENT_SECRET).await?;
            clients.add(|id| api_client::Model {
                id,
                organization_id: base.orgs.social[0].0,
                client_id: DEMO_CLIENT_ID.to_owned(),
                secret_hash,
                name: "示范合作方对接".to_owned(),
                scopes: DEMO_CLIENT_SCOPES.to_owned(),
                status: ApiClientStatus::Active,
                created_at,
                revoked_at: None,
            });
        }
        self.out
            .finish(&mut [&mut accounts, &mut grants, &mut clients])
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_digit_agrees_with_the_standard_example() {
        assert_eq!(check_digit("11010519491231002"), 'X');
    }

    #[test]
    fn identities_are_unique_and_well_formed() {
        let mut rng = StdRng::seed_from_u64(RNG_SEED);
        let mut identities = Identities::default();
        let mut seen = HashSet::new();
        for _ in 0..20_000 {
            let identity = identities.issue(&mut rng, 1990..=1990);
            assert_eq!(identity.id_number.len(), 18);
            let sex_digit = identity.id_number.as_bytes()[16] - b'0';
            assert_eq!(sex_digit % 2 == 1, identity.gender == Gender::Male);
            assert!(seen.insert(identity.id_number));
        }
    }

    #[test]
    fn partition_spreads_grids_over_communities() {
        let parts = partition(620, 86);
        assert_eq!(parts.len(), 86);
        assert_eq!(parts.last().map(|part| part.end), Some(620));
        assert!(parts.iter().all(|part| (7..=8).contains(&part.len())));
    }

    #[test]
    fn mix_shows_every_share_and_keeps_the_total() {
        let mut rng = StdRng::seed_from_u64(RNG_SEED);
        let wishes = mix(&mut rng, 60, WISH_MIX);
        assert_eq!(wishes.len(), 60);
        assert!(WISH_MIX.iter().all(|(status, _)| wishes.contains(status)));
    }

    #[test]
    fn profiles_fit_the_names_and_fixtures() {
        let categories = ServiceCategory::iter().count();
        for scale in [&demo::SCALE, &district::SCALE] {
            assert!(scale.subdistricts <= district::SUBDISTRICTS.len());
            assert!(scale.communities <= district::COMMUNITIES.len());
            assert!(scale.departments <= district::DEPARTMENTS.len());
            assert!(
                scale.party_units
                    <= district::PARTY_UNIT_HOSTS.len() * district::PARTY_BRANCHES.len()
            );
            assert!(scale.social_organizations <= categories * SOCIAL_PREFIXES.len());
            assert!(scale.businesses <= BUSINESS_PREFIXES.len() * BUSINESS_TRADES.len());
            assert!(scale.volunteer_teams.div_ceil(scale.communities) <= 6 * TEAM_ORDINALS.len());
            // Partners of each kind stay active, whatever the last one of a kind shows.
            assert!(
                scale.party_units >= 1 && scale.social_organizations >= 2 && scale.businesses >= 2
            );
            assert!(scale.volunteer_teams >= scale.communities);
            let communities = &district::COMMUNITIES[..scale.communities];
            for (_, _, scope) in ACCOUNTS {
                match *scope {
                    Scope::Subdistrict(name) => {
                        assert!(district::SUBDISTRICTS[..scale.subdistricts].contains(&name))
                    }
                    Scope::Community(name) => assert!(communities.contains(&name)),
                    Scope::Grid(name) => assert!(
                        communities
                            .iter()
                            .any(|community| name.starts_with(community))
                    ),
                    Scope::Department(name) => {
                        assert!(
                            district::DEPARTMENTS[..scale.departments]
                                .iter()
                                .any(|&(department, _)| department == name)
                        );
                    }
                    Scope::District | Scope::SocialOrganization | Scope::PartyUnit => {}
                }
            }
        }
    }
}
