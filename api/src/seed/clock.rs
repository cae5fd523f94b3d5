//! Time: the span of the data set, from the start of history to the real present, and random
//! instants and durations within it.

use std::ops::RangeInclusive;

use chrono::{DateTime, NaiveDate, NaiveTime, SubsecRound, TimeDelta, Utc};
use rand::Rng;
use rand::rngs::StdRng;

use crate::domain::calendar;

/// History (structure, registrations, past activities and wishes) starts on this day …
pub(super) const HISTORY_START: NaiveDate =
    NaiveDate::from_ymd_opt(2026, 1, 1).expect("a valid date");

/// … or this many days before now, whichever is earlier, so that there is always some history.
const MIN_HISTORY_DAYS: i64 = 120;

/// The span of the data set: from the start of history to the real present.
#[derive(Debug, Clone, Copy)]
pub(super) struct Clock {
    pub(super) start: DateTime<Utc>,
    pub(super) now: DateTime<Utc>,
}

impl Clock {
    pub(super) fn new(now: DateTime<Utc>) -> Self {
        let now = now.trunc_subsecs(0);
        let start = HISTORY_START
            .and_time(NaiveTime::MIN)
            .and_utc()
            .min(now - TimeDelta::days(MIN_HISTORY_DAYS));
        Self { start, now }
    }

    /// Whole days from the start of history to now.
    pub(super) fn history_days(&self) -> i64 {
        (self.now - self.start).num_days()
    }

    /// A random instant of history that leaves at least `room` before now.
    pub(super) fn past(&self, rng: &mut StdRng, room: TimeDelta) -> DateTime<Utc> {
        between(rng, self.start, self.now - room)
    }

    /// `hour:minute` China Standard Time on the day `days` after today (before, if negative).
    pub(super) fn local_time(&self, days: i64, hour: u32, minute: u32) -> DateTime<Utc> {
        let today = calendar::local(self.now).date_naive();
        let time =
            NaiveTime::from_hms_opt(hour, minute, 0).expect("callers pass a valid time of day");
        calendar::at_local(today + TimeDelta::days(days), time)
    }
}

/// A random instant in `[from, to)`; `from` itself when the span is empty.
pub(super) fn between(rng: &mut StdRng, from: DateTime<Utc>, to: DateTime<Utc>) -> DateTime<Utc> {
    let seconds = (to - from).num_seconds();
    if seconds <= 0 {
        return from;
    }
    from + TimeDelta::seconds(rng.random_range(0..seconds))
}

/// `count` random instants in `(from, to]`, in order.
pub(super) fn timeline(
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

pub(super) fn days(rng: &mut StdRng, range: RangeInclusive<i64>) -> TimeDelta {
    TimeDelta::days(rng.random_range(range))
}

pub(super) fn hours(rng: &mut StdRng, range: RangeInclusive<i64>) -> TimeDelta {
    TimeDelta::hours(rng.random_range(range))
}

pub(super) fn minutes(rng: &mut StdRng, range: RangeInclusive<i64>) -> TimeDelta {
    TimeDelta::minutes(rng.random_range(range))
}
