//! Organisations: one for each department and each community's residents' committee, the Party
//! units, and the social organisations and businesses that partner with the communities.

use chrono::{DateTime, Utc};
use entities::organization::{self, OrganizationKind, OrganizationStatus, ServiceCategory};
use sea_orm::{DbErr, Iterable};

use super::district;
use super::seeder::Seeder;
use super::structure::Structure;
use super::writer::Rows;

pub(super) struct Organizations {
    /// The organisation of each department, in the order of [`Structure::departments`].
    pub(super) departments: Vec<i64>,
    /// Each community's own committee, in the order of [`Structure::communities`].
    pub(super) communities: Vec<i64>,
    pub(super) party_units: Vec<i64>,
    /// Active social organisations, with what they offer.
    pub(super) social: Vec<(i64, ServiceCategory)>,
    /// Active businesses.
    pub(super) businesses: Vec<i64>,
}

impl Organizations {
    /// The partners that claim wishes: social organisations, businesses and Party units.
    pub(super) fn partners(&self) -> Vec<i64> {
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

pub(super) const SOCIAL_PREFIXES: &[&str] = &[
    "阳光", "爱心", "同心", "和谐", "康乐", "益民", "惠民", "暖心", "馨家", "邻里", "德馨",
];
pub(super) const BUSINESS_PREFIXES: &[&str] = &[
    "恒达", "金鼎", "鑫源", "德润", "万家", "华联", "宏远", "信诚",
];
pub(super) const BUSINESS_TRADES: &[&str] = &[
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
    pub(super) async fn organizations(
        &mut self,
        structure: &Structure,
    ) -> Result<Organizations, DbErr> {
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
