//! Structure: the admin units (the district, its sub-districts, communities and grids), the
//! departments, and the seven service centres of every community.

use std::collections::HashSet;
use std::ops::Range;

use chrono::{DateTime, Utc};
use entities::admin_unit::{self, FeaturedType, UnitLevel};
use entities::department;
use entities::service_centre::{self, CentreKind};
use rand::Rng;
use rand::seq::{IndexedRandom, index};
use sea_orm::{DbErr, Iterable};

use super::district;
use super::random::partition;
use super::seeder::Seeder;
use super::writer::Rows;

/// An admin unit as later steps refer to it.
pub(super) struct Unit {
    pub(super) id: i64,
    level: UnitLevel,
    pub(super) name: String,
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

pub(super) struct Community {
    pub(super) unit: Unit,
    pub(super) grids: Range<usize>,
    centres: Vec<(CentreKind, i64)>,
}

impl Community {
    pub(super) fn centre(&self, kind: CentreKind) -> i64 {
        self.centres
            .iter()
            .find(|&&(k, _)| k == kind)
            .map(|&(_, id)| id)
            .expect("every community has all seven centres")
    }
}

pub(super) struct Grid {
    pub(super) unit: Unit,
    pub(super) community: usize,
    pub(super) households: i32,
}

pub(super) struct Structure {
    pub(super) district: Unit,
    pub(super) subdistricts: Vec<Unit>,
    pub(super) communities: Vec<Community>,
    pub(super) grids: Vec<Grid>,
    /// Ids and names of the departments.
    pub(super) departments: Vec<(i64, &'static str)>,
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
    pub(super) async fn structure(&mut self) -> Result<Structure, DbErr> {
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
