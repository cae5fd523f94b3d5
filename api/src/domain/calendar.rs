//! The district's calendar: China Standard Time (UTC+8; China has kept one offset all year
//! since 1991), in which its days, months, quarters (communities' feedback reports to units,
//! 双报告) and half-years (members' self-reports) are counted. Instants are stored in UTC; this
//! is the one place that turns them into the district's dates and back.

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, NaiveTime, TimeDelta, Utc};

/// UTC+8.
const OFFSET: TimeDelta = TimeDelta::hours(8);

/// China Standard Time, as a time zone.
pub fn china_standard_time() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).expect("UTC+8 is a valid offset")
}

/// The instant as the district's clocks show it.
pub fn local(at: DateTime<Utc>) -> DateTime<FixedOffset> {
    at.with_timezone(&china_standard_time())
}

/// The instant at `time` of the district's day `date`.
pub fn at_local(date: NaiveDate, time: NaiveTime) -> DateTime<Utc> {
    date.and_time(time).and_utc() - OFFSET
}

/// The first instant of the district's day `date`.
pub fn start_of(date: NaiveDate) -> DateTime<Utc> {
    at_local(date, NaiveTime::MIN)
}

/// A quarter of a year, 1 to 4.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Quarter {
    year: i32,
    quarter: u32,
}

impl Quarter {
    /// The quarter `quarter` (1–4) of `year`; `None` for any other number, or a year beyond
    /// the calendar's range (±262,142).
    pub fn new(year: i32, quarter: i16) -> Option<Self> {
        let quarter = u32::try_from(quarter)
            .ok()
            .filter(|q| (1..=4).contains(q))?;
        NaiveDate::from_ymd_opt(year.checked_add(1)?, 1, 1)?;
        NaiveDate::from_ymd_opt(year, 1, 1)?;
        Some(Self { year, quarter })
    }

    /// The quarter an instant falls in.
    pub fn of(at: DateTime<Utc>) -> Self {
        let local = local(at);
        Self {
            year: local.year(),
            quarter: local.month0() / 3 + 1,
        }
    }

    pub fn year(self) -> i32 {
        self.year
    }

    /// 1 to 4.
    pub fn number(self) -> u32 {
        self.quarter
    }

    /// The quarter before this one.
    pub fn previous(self) -> Self {
        match self.quarter {
            1 => Self {
                year: self.year - 1,
                quarter: 4,
            },
            quarter => Self {
                year: self.year,
                quarter: quarter - 1,
            },
        }
    }

    /// The first instant of the quarter and the first instant after it.
    pub fn bounds(self) -> (DateTime<Utc>, DateTime<Utc>) {
        let start_month = self.quarter * 3 - 2;
        let (end_year, end_month) = match self.quarter {
            4 => (self.year + 1, 1),
            _ => (self.year, start_month + 3),
        };
        (
            first_of_month(self.year, start_month),
            first_of_month(end_year, end_month),
        )
    }
}

/// A half of a year, 1 or 2: its first two quarters or its last two.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct HalfYear {
    year: i32,
    half: i16,
}

impl HalfYear {
    /// The half `half` (1 or 2) of `year`; `None` for any other number, or a year beyond the
    /// calendar's range.
    pub fn new(year: i32, half: i16) -> Option<Self> {
        Quarter::new(year, half.checked_mul(2)?)?;
        Some(Self { year, half })
    }

    /// The first instant of the half-year and the first instant after it.
    pub fn bounds(self) -> (DateTime<Utc>, DateTime<Utc>) {
        let quarter = |number| Quarter {
            year: self.year,
            quarter: number,
        };
        let first = u32::from(self.half.unsigned_abs()) * 2 - 1;
        (quarter(first).bounds().0, quarter(first + 1).bounds().1)
    }
}

/// The first instant of a month of a year that [`Quarter::new`] or [`Quarter::of`] accepted.
fn first_of_month(year: i32, month: u32) -> DateTime<Utc> {
    let date = NaiveDate::from_ymd_opt(year, month, 1).expect("a quarter's years are in range");
    start_of(date)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(text: &str) -> DateTime<Utc> {
        text.parse().expect("an RFC 3339 instant")
    }

    fn quarter(year: i32, number: i16) -> Quarter {
        Quarter::new(year, number).expect("a quarter")
    }

    #[test]
    fn new_year_comes_eight_hours_before_it_does_in_utc() {
        let new_year_in_beijing = utc("2026-12-31T16:00:00Z");
        assert_eq!(Quarter::of(new_year_in_beijing), quarter(2027, 1));
        assert_eq!(
            Quarter::of(new_year_in_beijing - TimeDelta::seconds(1)),
            quarter(2026, 4)
        );
        assert_eq!(
            local(new_year_in_beijing).format("%Y-%m").to_string(),
            "2027-01"
        );
    }

    #[test]
    fn a_quarter_runs_from_its_first_instant_to_the_next_quarters() {
        let (from, to) = quarter(2026, 4).bounds();
        assert_eq!(from, utc("2026-09-30T16:00:00Z"));
        assert_eq!(to, utc("2026-12-31T16:00:00Z"));
        let (from, to) = quarter(2026, 1).bounds();
        assert_eq!(from, utc("2025-12-31T16:00:00Z"));
        assert_eq!(to, utc("2026-03-31T16:00:00Z"));
    }

    #[test]
    fn quarters_and_halves_out_of_range_do_not_exist() {
        assert_eq!(Quarter::new(2026, 0), None);
        assert_eq!(Quarter::new(i32::MAX, 1), None);
        assert_eq!(Quarter::new(2026, 5), None);
        assert_eq!(HalfYear::new(2026, 0), None);
        assert_eq!(HalfYear::new(2026, 3), None);
    }

    #[test]
    fn the_quarter_before_the_first_is_last_years_fourth() {
        assert_eq!(quarter(2027, 1).previous(), quarter(2026, 4));
        assert_eq!(quarter(2027, 3).previous(), quarter(2027, 2));
    }

    #[test]
    fn a_half_year_spans_its_two_quarters() {
        let (from, to) = HalfYear::new(2026, 2).expect("a half-year").bounds();
        assert_eq!(from, quarter(2026, 3).bounds().0);
        assert_eq!(to, quarter(2026, 4).bounds().1);
        let (from, _) = HalfYear::new(2026, 1).expect("a half-year").bounds();
        assert_eq!(from, utc("2025-12-31T16:00:00Z"));
    }

    #[test]
    fn a_local_time_of_day_is_eight_hours_ahead_of_utc() {
        let date = NaiveDate::from_ymd_opt(2026, 11, 29).expect("a date");
        let nine = NaiveTime::from_hms_opt(9, 0, 0).expect("a time");
        assert_eq!(at_local(date, nine), utc("2026-11-29T01:00:00Z"));
    }
}
