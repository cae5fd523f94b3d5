//! People: households and their residents, grid by grid, and the staff at their posts, from the
//! district down to the grids ("一长两员").

use std::ops::{Range, RangeInclusive};

use chrono::{Datelike, NaiveDate, TimeDelta};
use entities::staff_assignment::{self, StaffRole};
use entities::{household, person};
use rand::Rng;
use rand::seq::IndexedRandom;
use sea_orm::DbErr;

use super::clock::HISTORY_START;
use super::clock::days;
use super::identities::Identity;
use super::seeder::Seeder;
use super::structure::{Community, Structure};
use super::writer::Rows;

pub(super) struct People {
    pub(super) grids: Vec<GridPeople>,
    /// Residents of working age (id, grid index): the serving Party members are drawn from them.
    pub(super) working_age: Vec<(i64, usize)>,
    pub(super) district_officer: i64,
    pub(super) subdistrict_leads: Vec<i64>,
    pub(super) community_secretaries: Vec<i64>,
}

pub(super) struct GridPeople {
    /// The grid's residents, whose ids are consecutive.
    pub(super) residents: Range<i64>,
    /// Residents who live alone or in hardship: those most wishes are for.
    pub(super) vulnerable: Vec<i64>,
    pub(super) administrator: i64,
}

impl People {
    /// The residents of a community: its grids' residents, which are consecutive too.
    pub(super) fn residents_of(&self, community: &Community) -> Range<i64> {
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
    pub(super) async fn people(&mut self, structure: &Structure) -> Result<People, DbErr> {
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
