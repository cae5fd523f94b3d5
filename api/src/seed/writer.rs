//! Writing rows: each table's rows collect in [`Rows`], which hands out their ids, and [`Output`]
//! streams them to the database in multi-row INSERTs, parents before children, inside the seed's
//! one transaction.

use std::ops::Range;
use std::time::Duration;

use futures::future::BoxFuture;
use indicatif::{ProgressBar, ProgressStyle};
use sea_orm::{
    ActiveModelTrait, ConnectionTrait, DatabaseTransaction, DbBackend, DbErr, EntityTrait,
    IntoActiveModel, Iterable, Value,
};

/// What a seed run inserted (counts per table), for the log / CLI output.
#[derive(Debug, Default)]
pub struct SeedReport {
    pub rows: Vec<(&'static str, u64)>,
}

/// Bind parameters per INSERT at most, well under SQLite's (32,766) and PostgreSQL's (65,535)
/// limits.
const MAX_PARAMETERS: usize = 4_000;

/// Bytes per INSERT at most. sqlx sends a message in writes of about 16 KiB and leaves Nagle's
/// algorithm on, so the tail of a longer statement waits for the server's delayed ACK, some 40 ms
/// a statement; statements that fit one write do not wait at all.
const MAX_STATEMENT_BYTES: usize = 15_000;

/// Rows a table collects before they are written.
const FLUSH_ROWS: usize = 2_000;

/// Rows of one table on their way to the database. Ids are handed out here, from 1 in insertion
/// order, and rows leave in multi-row INSERTs of at most [`MAX_PARAMETERS`] values and
/// [`MAX_STATEMENT_BYTES`] bytes.
pub(super) struct Rows<E: EntityTrait> {
    pending: Vec<E::Model>,
    /// The longest row written so far, in bytes as sent: it sets the rows per statement. (A fixed
    /// number per table keeps the statement's text, and so its prepared form, the same.)
    widest_row: usize,
    count: u64,
    pub(super) last_id: i64,
}

impl<E: EntityTrait> Rows<E> {
    pub(super) fn new() -> Self {
        Self {
            pending: Vec::new(),
            widest_row: 1,
            count: 0,
            last_id: 0,
        }
    }

    /// Adds the row that `make` builds for the next id, and returns it.
    pub(super) fn add(&mut self, make: impl FnOnce(i64) -> E::Model) -> &E::Model {
        self.last_id += 1;
        self.count += 1;
        let index = self.pending.len();
        self.pending.push(make(self.last_id));
        &self.pending[index]
    }

    /// The ids of the rows added since the last id was `last_before`.
    pub(super) fn ids_since(&self, last_before: i64) -> Range<i64> {
        last_before + 1..self.last_id + 1
    }
}

/// The object-safe face of [`Rows`], so that a step can flush the tables it fills together.
pub(super) trait Table: Send {
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
pub(super) struct Output<'a> {
    pub(super) db: &'a DatabaseTransaction,
    pub(super) bar: ProgressBar,
    pub(super) report: SeedReport,
}

impl Output<'_> {
    pub(super) fn stage(&self, name: &'static str) {
        tracing::debug!(stage = name, "seeding");
        self.bar.set_message(name);
    }

    /// Flushes all `tables` once any of them has collected [`FLUSH_ROWS`] rows. They are given
    /// parents first, and flushed in that order, so that no row reaches the database before a row
    /// it refers to.
    pub(super) async fn flush_when_full(&self, tables: &mut [&mut dyn Table]) -> Result<(), DbErr> {
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
    pub(super) async fn finish(&mut self, tables: &mut [&mut dyn Table]) -> Result<(), DbErr> {
        self.flush(tables).await?;
        for table in tables.iter() {
            tracing::debug!(table = table.name(), rows = table.count(), "seeded");
            self.report.rows.push((table.name(), table.count()));
        }
        Ok(())
    }

    /// PostgreSQL's sequences do not see explicit ids: move each past the largest id, so that the
    /// application's own inserts go on from there. (SQLite's AUTOINCREMENT does this by itself.)
    pub(super) async fn reset_sequences(&self) -> Result<(), DbErr> {
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

pub(super) fn progress_bar(visible: bool) -> ProgressBar {
    if !visible {
        return ProgressBar::hidden();
    }
    let style = ProgressStyle::with_template("{spinner} {elapsed:>4} {human_pos:>9} rows  {msg}")
        .expect("the progress template is valid");
    let bar = ProgressBar::new_spinner().with_style(style);
    bar.enable_steady_tick(Duration::from_millis(100));
    bar
}
