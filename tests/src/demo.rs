//! The demo district (魏都区) that every test's database is loaded with: the codes of the units
//! the tests name, and fixtures that find in it (or add to it) what a scenario needs.

use chrono::Utc;
use entities::admin_unit::{self, UnitLevel};
use entities::member_registration::{self, MemberRegistrationStatus};
use entities::organization::{self, OrganizationKind, OrganizationStatus};
use entities::{household, party_member, person, wish_claim};
use sea_orm::ActiveValue::Set;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use crate::TestApp;

/// 魏都区, the district.
pub const DISTRICT: &str = "411002";
/// The sub-district 七一社区 lies in.
pub const SUBDISTRICT: &str = "411002001";
/// 七一社区, the community most scenarios take place in.
pub const QIYI: &str = "411002001001";
/// 七一社区's first grid.
pub const QIYI_GRID: &str = "41100200100101";
/// 七一社区's second grid.
pub const QIYI_SECOND_GRID: &str = "41100200100102";

/// The district's unit.
pub async fn district(app: &TestApp) -> admin_unit::Model {
    admin_unit::Entity::find()
        .filter(admin_unit::Column::Level.eq(UnitLevel::District))
        .one(app.db())
        .await
        .expect("query units")
        .expect("the demo district")
}

/// The unit with row id `id`.
pub async fn unit_by_id(app: &TestApp, id: i64) -> admin_unit::Model {
    admin_unit::Entity::find_by_id(id)
        .one(app.db())
        .await
        .expect("query units")
        .expect("the unit")
}

/// A community other than `community_id`, with grids: the community of the first grid (by id)
/// outside `community_id`.
pub async fn other_community(app: &TestApp, community_id: i64) -> admin_unit::Model {
    let grid = admin_unit::Entity::find()
        .filter(admin_unit::Column::Level.eq(UnitLevel::Grid))
        .filter(admin_unit::Column::ParentId.ne(community_id))
        .order_by_asc(admin_unit::Column::Id)
        .one(app.db())
        .await
        .expect("query units")
        .expect("a grid of another community");
    unit_by_id(app, grid.parent_id.expect("a grid's community")).await
}

/// The grids of the community `community_id`, in id order; there is at least one.
pub async fn grids_of(app: &TestApp, community_id: i64) -> Vec<admin_unit::Model> {
    let grids = admin_unit::Entity::find()
        .filter(admin_unit::Column::ParentId.eq(community_id))
        .filter(admin_unit::Column::Level.eq(UnitLevel::Grid))
        .order_by_asc(admin_unit::Column::Id)
        .all(app.db())
        .await
        .expect("query grids");
    assert!(!grids.is_empty(), "the community has grids");
    grids
}

/// The first organisation (by id) of `kind`.
pub async fn organization_of(app: &TestApp, kind: OrganizationKind) -> organization::Model {
    organization::Entity::find()
        .filter(organization::Column::Kind.eq(kind))
        .order_by_asc(organization::Column::Id)
        .one(app.db())
        .await
        .expect("query organisations")
        .expect("the demo district has an organisation of this kind")
}

/// The demo partner: the first active social organisation (by id), the one `ngo.admin`
/// administers.
pub async fn partner_organization(app: &TestApp) -> organization::Model {
    organization::Entity::find()
        .filter(organization::Column::Kind.eq(OrganizationKind::SocialOrganization))
        .filter(organization::Column::Status.eq(OrganizationStatus::Active))
        .order_by_asc(organization::Column::Id)
        .one(app.db())
        .await
        .expect("query organisations")
        .expect("the demo district has an active social organisation")
}

/// The social organisation with the most wish claims (of any status).
pub async fn busiest_partner(app: &TestApp) -> organization::Model {
    let claims = wish_claim::Entity::find()
        .filter(wish_claim::Column::ClaimantOrganizationId.is_not_null())
        .all(app.db())
        .await
        .expect("query claims");
    let partners = organization::Entity::find()
        .filter(organization::Column::Kind.eq(OrganizationKind::SocialOrganization))
        .all(app.db())
        .await
        .expect("query organisations");
    partners
        .into_iter()
        .max_by_key(|partner| {
            claims
                .iter()
                .filter(|claim| claim.claimant_organization_id == Some(partner.id))
                .count()
        })
        .expect("a social organisation")
}

/// The ids of the first `count` people (by id): the same ones for the same count.
pub async fn people(app: &TestApp, count: usize) -> Vec<i64> {
    person::Entity::find()
        .select_only()
        .column(person::Column::Id)
        .order_by_asc(person::Column::Id)
        .limit(count as u64)
        .into_tuple()
        .all(app.db())
        .await
        .expect("query people")
}

/// The first `count` Party members (by id) with no open (submitted or accepted) registration.
pub async fn unregistered_members(app: &TestApp, count: usize) -> Vec<party_member::Model> {
    let open: Vec<i64> = member_registration::Entity::find()
        .filter(member_registration::Column::Status.is_in([
            MemberRegistrationStatus::Submitted,
            MemberRegistrationStatus::Accepted,
        ]))
        .all(app.db())
        .await
        .expect("query registrations")
        .into_iter()
        .map(|registration| registration.party_member_id)
        .collect();
    let members: Vec<party_member::Model> = party_member::Entity::find()
        .filter(party_member::Column::Id.is_not_in(open))
        .order_by_asc(party_member::Column::Id)
        .all(app.db())
        .await
        .expect("query members");
    assert!(
        members.len() >= count,
        "the demo district has {count} members without an open registration"
    );
    members.into_iter().take(count).collect()
}

/// The id of a person added for the test: no Party member, of no household, with no records.
pub async fn new_person(app: &TestApp) -> i64 {
    let next = person::Entity::find()
        .order_by_desc(person::Column::Id)
        .one(app.db())
        .await
        .expect("query people")
        .map_or(1, |person| person.id + 1);
    person::Entity::insert(person::ActiveModel {
        id: Set(next),
        name: Set(format!("居民{next}")),
        lives_alone: Set(false),
        hardship: Set(false),
        created_at: Set(Utc::now()),
        ..Default::default()
    })
    .exec(app.db())
    .await
    .expect("insert a person");
    next
}

/// A resident of 七一社区's first grid (one of its first household), and a token of their own.
pub async fn qiyi_resident(app: &TestApp) -> (i64, String) {
    let grid = admin_unit::Entity::find()
        .filter(admin_unit::Column::Code.eq(QIYI_GRID))
        .one(app.db())
        .await
        .expect("query units")
        .expect("the grid");
    let home = household::Entity::find()
        .filter(household::Column::GridId.eq(grid.id))
        .order_by_asc(household::Column::Id)
        .one(app.db())
        .await
        .expect("query households")
        .expect("a household in the grid");
    let resident = person::Entity::find()
        .filter(person::Column::HouseholdId.eq(home.id))
        .one(app.db())
        .await
        .expect("query people")
        .expect("a resident of the household");
    (resident.id, app.person_token(resident.id))
}
