//! The database itself: migrations go down and up cleanly, the demo district loads once, and
//! the schema's constraints hold the domain's invariants.

use entities::{admin_unit, micro_wish, wish_claim};
use gongzhi_tests::{Backend, TestApp, e2e};
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

/// Instances of a rolling deploy starting at once on an empty database: every one starts, and
/// the schema and the demo district are there once, as after a single start.
mod instances_starting_together_migrate_and_seed_once {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        starting_together(Backend::Sqlite).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        starting_together(Backend::Postgres).await;
    }
}

async fn starting_together(backend: Backend) {
    let single = TestApp::spawn(backend).await;
    let together = TestApp::spawn_together(backend, 3, |_| {}).await;
    for app in [&single, &together[0]] {
        assert!(
            Migrator::get_pending_migrations(app.db())
                .await
                .expect("pending")
                .is_empty()
        );
    }
    let counts = |app: &TestApp| {
        let db = app.db().clone();
        async move {
            (
                admin_unit::Entity::find().count(&db).await.expect("count"),
                micro_wish::Entity::find().count(&db).await.expect("count"),
            )
        }
    };
    assert_eq!(counts(&together[2]).await, counts(&single).await);
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

/// Two transactions that lock two rows in opposite orders deadlock; PostgreSQL rolls one back,
/// and the server reads its error as contention, which mutations run again (and answer
/// `SERVICE_UNAVAILABLE` if it persists), never as `INTERNAL`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deadlock_victim_is_contention_not_an_internal_error() {
    use sea_orm::{ConnectionTrait, TransactionTrait};
    let app = TestApp::spawn(Backend::Postgres).await;
    let ids: Vec<i64> = micro_wish::Entity::find()
        .all(app.db())
        .await
        .expect("query wishes")
        .iter()
        .take(2)
        .map(|wish| wish.id)
        .collect();
    let lock = |id: i64| format!("SELECT id FROM micro_wish WHERE id = {id} FOR UPDATE");
    let first = app.db().begin().await.expect("a transaction");
    let second = app.db().begin().await.expect("a transaction");
    first.execute_unprepared(&lock(ids[0])).await.expect("lock");
    second
        .execute_unprepared(&lock(ids[1]))
        .await
        .expect("lock");
    let (crossing_first, crossing_second) = (lock(ids[1]), lock(ids[0]));
    let (a, b) = futures::join!(
        first.execute_unprepared(&crossing_first),
        second.execute_unprepared(&crossing_second)
    );
    let victim = match (a, b) {
        (Err(err), Ok(_)) | (Ok(_), Err(err)) => err,
        other => panic!("one of the two is rolled back: {other:?}"),
    };
    assert!(gongzhi::error::contended(&victim), "{victim}");
    assert_eq!(
        gongzhi::error::ApiError::from_db(&victim).code(),
        gongzhi::error::ErrorCode::ServiceUnavailable
    );
}
