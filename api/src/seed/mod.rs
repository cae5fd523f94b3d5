//! Seed data: a deterministic, internally consistent picture of Weidu District, small for demos
//! ([`Profile::Demo`], loaded on a bare first start) and at the report's real scale for load and
//! query-plan work ([`Profile::District`]).
//!
//! One generator serves both profiles; they differ only in their [`Scale`](scale::Scale). Everything is drawn
//! from a seeded random generator, so that a run gives the same rows as the last one. Times are
//! the one exception, by design: history starts on a fixed date, but what is open, running or
//! pending is placed around the real present, so that the data makes sense whenever it is loaded.
//!
//! Ids are assigned here, from 1 per table in insertion order, so that rows refer to each other
//! without reading anything back. Rows are streamed to the database in multi-row INSERTs, parents
//! before children, inside one transaction.

mod accounts;
mod base;
mod clock;
mod demo;
mod district;
mod dual_reporting;
mod feedback_reports;
mod identities;
mod organizations;
mod people;
mod random;
mod scale;
mod seeder;
mod structure;
mod tally;
mod volunteering;
mod wishes;
mod writer;

pub use accounts::{DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_PASSWORD};
pub use writer::SeedReport;

use chrono::Utc;
use entities::admin_unit;
use rand::SeedableRng;
use rand::rngs::StdRng;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, TransactionTrait};

use base::Base;
use clock::Clock;
use identities::Identities;
use seeder::Seeder;
use tally::Tally;
use writer::{Output, progress_bar};

/// Which data set to load.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Profile {
    /// A small district that shows every state of every workflow (loaded on first start).
    Demo,
    /// Weidu District at the report's scale: 86 communities, 620 grids, ~150,000 households.
    District,
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

#[cfg(test)]
mod tests {
    use entities::organization::ServiceCategory;
    use sea_orm::Iterable;

    use super::accounts::{ACCOUNTS, Scope};
    use super::organizations::{BUSINESS_PREFIXES, BUSINESS_TRADES, SOCIAL_PREFIXES};
    use super::volunteering::TEAM_ORDINALS;
    use super::{demo, district};

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
