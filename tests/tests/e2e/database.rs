//! The database itself: migrations go down and up cleanly, the demo district loads once, and
//! the schema's constraints hold the domain's invariants.

use entities::{admin_unit, micro_wish, wish_claim};
use gongzhi_tests::{TestApp, e2e};
use migration::{Migrator, MigratorTrait};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, Set};

e2e!(
    migrations_go_down_and_up_again,
    a_second_start_seeds_nothing_twice,
    a_wish_cannot_have_two_active_claims,
    a_grid_must_lie_inside_its_community,
);

async fn migrations_go_down_and_up_again(app: TestApp) {
    let db = app.db();
    Migrator::down(db, None)
        .await
        .expect("every migration rolls back");
    assert_eq!(
        Migrator::get_pending_migrations(db)
            .await
            .expect("pending")
            .len(),
        Migrator::migrations().len()
    );
    assert!(
        admin_unit::Entity::find().count(db).await.is_err(),
        "the tables are gone"
    );
    Migrator::up(db, None)
        .await
        .expect("every migration applies again");
    assert_eq!(
        admin_unit::Entity::find()
            .count(db)
            .await
            .expect("count units"),
        0
    );
}

async fn a_second_start_seeds_nothing_twice(app: TestApp) {
    let units = admin_unit::Entity::find()
        .count(app.db())
        .await
        .expect("count units");
    let wishes = micro_wish::Entity::find()
        .count(app.db())
        .await
        .expect("count wishes");
    assert!(
        units > 0 && wishes > 0,
        "the first start loaded the demo district"
    );
    let again = gongzhi::prepare(&app.config).await.expect("a second start");
    assert_eq!(
        admin_unit::Entity::find()
            .count(&again.db)
            .await
            .expect("count units"),
        units
    );
    assert_eq!(
        micro_wish::Entity::find()
            .count(&again.db)
            .await
            .expect("count wishes"),
        wishes
    );
}

async fn a_wish_cannot_have_two_active_claims(app: TestApp) {
    let db = app.db();
    let active = wish_claim::Entity::find()
        .filter(wish_claim::Column::Status.eq(wish_claim::ClaimStatus::Active))
        .one(db)
        .await
        .expect("query claims")
        .expect("the demo district has an active claim");
    let mut second: wish_claim::ActiveModel = active.clone().into();
    second.id = sea_orm::ActiveValue::NotSet;
    second.claimant_organization_id = Set(active.claimant_organization_id);
    let refused = second.insert(db).await;
    assert!(
        refused.is_err(),
        "the one-active-claim index refuses a second active claim"
    );
}

async fn a_grid_must_lie_inside_its_community(app: TestApp) {
    let db = app.db();
    let communities = admin_unit::Entity::find()
        .filter(admin_unit::Column::Level.eq(admin_unit::UnitLevel::Community))
        .all(db)
        .await
        .expect("query communities");
    let wish = micro_wish::Entity::find()
        .one(db)
        .await
        .expect("query wishes")
        .expect("a wish");
    let other = communities
        .iter()
        .find(|community| community.id != wish.community_id)
        .expect("two communities");
    let mut moved: micro_wish::ActiveModel = wish.into();
    moved.community_id = Set(other.id);
    assert!(
        moved.update(db).await.is_err(),
        "a wish's grid must belong to its community"
    );
}
