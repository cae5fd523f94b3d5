//! The tally of what members of each Party unit did in each community, per quarter, kept while
//! their service records and realised wishes are generated, for the feedback reports generated
//! after them.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use entities::service_record;

use crate::domain::calendar::Quarter;

/// What members of each unit did in each community, per quarter: the figures of the communities'
/// reports to the units.
#[derive(Default)]
pub(super) struct Tally {
    pub(super) periods: BTreeMap<(usize, i64, Quarter), Period>,
}

#[derive(Default)]
pub(super) struct Period {
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

    pub(super) fn record(&mut self, community: usize, record: &service_record::Model) {
        let Some(unit) = record.member_unit_id else {
            return;
        };
        let period = self.period(community, unit, record.started_at);
        period.members.insert(record.person_id);
        period.activities.extend(record.activity_id);
        period.records += u32::from(record.corrects_id.is_none());
        period.minutes += i64::from(record.minutes);
    }

    pub(super) fn wish(
        &mut self,
        community: usize,
        unit: i64,
        person: i64,
        realized_at: DateTime<Utc>,
    ) {
        let period = self.period(community, unit, realized_at);
        period.members.insert(person);
        period.wishes += 1;
    }
}

impl Period {
    pub(super) fn content(&self, quarter: Quarter) -> String {
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
