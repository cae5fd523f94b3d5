//! Feedback reports: the communities' reports to the units on what their members did there, per
//! quarter (from the [`Tally`]), generated, signed, sent and acknowledged.

use chrono::TimeDelta;
use entities::feedback_report::{self, ReportStatus};
use rand::Rng;
use sea_orm::DbErr;

use super::base::Base;
use super::seeder::Seeder;
use super::tally::Tally;
use super::writer::Rows;
use crate::domain::calendar::Quarter;

impl Seeder<'_> {
    /// A report from each community to each unit whose members served there, for every quarter
    /// that is over: generated a few days after, then signed, sent and acknowledged. Reports on
    /// the last quarter are still on their way.
    pub(super) async fn feedback_reports(
        &mut self,
        base: Base<'_>,
        tally: Tally,
    ) -> Result<(), DbErr> {
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
                updated_at: stages[reached - 1],
            });
            self.out.flush_when_full(&mut [&mut rows]).await?;
        }
        self.out.finish(&mut [&mut rows]).await
    }
}
