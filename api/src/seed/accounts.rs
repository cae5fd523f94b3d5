//! Accounts: logins for trying the API, one per role with a fixture password, and the demo API
//! client of the first social organisation.

use entities::account::{self, AccountStatus};
use entities::api_client::{self, ApiClientStatus};
use entities::role_grant::{self, Role};
use sea_orm::DbErr;

use super::base::Base;
use super::seeder::Seeder;
use super::structure::Unit;
use super::writer::Rows;

/// Where a fixture account's role applies.
pub(super) enum Scope {
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
pub(super) const ACCOUNTS: &[(&str, Role, Scope)] = &[
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
    pub(super) async fn accounts(&mut self, base: Base<'_>) -> Result<(), DbErr> {
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
                budget_capacity: None,
                budget_restore_rate: None,
                trusted_documents_only: false,
            });
        }
        self.out
            .finish(&mut [&mut accounts, &mut grants, &mut clients])
            .await
    }
}
