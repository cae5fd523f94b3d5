//! The shape every mutation's refusals share, as partners read it from the schema, and what a
//! retry with an idempotency key meets when the first result cannot be replayed.

use entities::idempotency_key::{self, IdempotencyStatus};
use entities::micro_wish::{self, WishStatus};
use entities::organization::OrganizationKind;
use gongzhi::auth::Scope;
use gongzhi::auth::secret::digest;
use gongzhi::graphql::ids::global_id;
use gongzhi_tests::demo::organization_of;
use gongzhi_tests::{TestApp, e2e};
use sea_orm::ActiveValue::Set;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};

e2e!(
    every_mutation_answers_its_areas_user_errors,
    a_first_result_stored_in_an_older_shape_is_a_conflict_not_a_replay,
);

const SCHEMA: &str = r#"{
    __schema {
        mutationType { fields { name type { ...Named } } }
        types {
            name kind description
            interfaces { name }
            fields { name type { ...Named } }
            enumValues { name description }
        }
    }
}
fragment Named on __Type { kind name ofType { kind name ofType { kind name ofType { kind name } } } }"#;

/// Every mutation's payload has `userErrors` (directly, or on each row of a bulk call) of its
/// area's type, which implements the `UserError` interface and whose `code` is a non-null enum
/// with every value described.
async fn every_mutation_answers_its_areas_user_errors(app: TestApp) {
    let schema = app.query(SCHEMA, json!({})).await["__schema"].clone();
    let types = schema["types"].as_array().expect("the types");
    let by_name = |name: &str| -> &Value {
        types
            .iter()
            .find(|ty| ty["name"] == name)
            .unwrap_or_else(|| panic!("the type {name}"))
    };
    let field = |ty: &Value, name: &str| -> Option<Value> {
        ty["fields"]
            .as_array()?
            .iter()
            .find(|field| field["name"] == name)
            .map(|field| field["type"].clone())
    };
    let mutations = schema["mutationType"]["fields"]
        .as_array()
        .expect("the mutations");
    assert!(mutations.len() > 40, "{} mutations", mutations.len());
    let mut areas = Vec::new();
    for mutation in mutations {
        let payload = by_name(named(&mutation["type"]));
        let user_errors = field(payload, "userErrors")
            .or_else(|| {
                // A bulk call reports per row.
                let rows = field(payload, "rows")?;
                field(by_name(named(&rows)), "userErrors")
            })
            .unwrap_or_else(|| panic!("{} has no userErrors", mutation["name"]));
        assert_eq!(
            shape(&user_errors),
            "NON_NULL LIST NON_NULL OBJECT",
            "{}",
            mutation["name"]
        );
        let error = by_name(named(&user_errors));
        assert_eq!(error["interfaces"], json!([{ "name": "UserError" }]));
        let code = field(error, "code").expect("a code");
        assert_eq!(shape(&code), "NON_NULL ENUM", "{}", error["name"]);
        let field_path = field(error, "field").expect("a field path");
        assert_eq!(shape(&field_path), "NON_NULL LIST NON_NULL SCALAR");
        let codes = by_name(named(&code));
        assert!(codes["description"].as_str().is_some_and(|d| !d.is_empty()));
        for value in codes["enumValues"].as_array().expect("the codes") {
            assert!(
                value["description"].as_str().is_some_and(|d| !d.is_empty()),
                "{}.{} is not described",
                codes["name"],
                value["name"]
            );
        }
        areas.push(error["name"].as_str().expect("a name").to_owned());
    }
    areas.sort();
    areas.dedup();
    assert_eq!(
        areas,
        [
            "FeedbackReportUserError",
            "MemberRegistrationUserError",
            "MemberReportUserError",
            "MicroWishUserError",
            "OrgRegistrationUserError",
            "ServicePostUserError",
            "TrustedDocumentUserError",
            "VolunteerTeamUserError",
            "VolunteeringUserError",
        ]
    );
}

/// A result stored before its type changed shape cannot be replayed: the retry gets CONFLICT,
/// saying so, and the mutation does not run again.
async fn a_first_result_stored_in_an_older_shape_is_a_conflict_not_a_replay(app: TestApp) {
    let partner = organization_of(&app, OrganizationKind::SocialOrganization).await;
    let token = app.client_token(partner.id, &[Scope::WishesRead, Scope::WishesWrite]);
    let wish = micro_wish::Entity::find()
        .filter(micro_wish::Column::Status.eq(WishStatus::Open))
        .one(app.db())
        .await
        .expect("query wishes")
        .expect("an open wish");
    // As a release before the refusal pipeline stored the outcome of a claim.
    let now = chrono::Utc::now();
    idempotency_key::ActiveModel {
        caller: Set(format!("dev:client-{}", partner.id)),
        key: Set("retry-1".to_owned()),
        operation: Set("claimMicroWish".to_owned()),
        fingerprint: Set(digest(&format!("claimMicroWish\n{}", wish.id))),
        status: Set(IdempotencyStatus::Done),
        result: Set(Some(
            r#"{"wish":null,"refusal":"AlreadyClaimed"}"#.to_owned(),
        )),
        created_at: Set(now),
        expires_at: Set(now + chrono::Duration::hours(1)),
        ..Default::default()
    }
    .insert(app.db())
    .await
    .expect("store a first result");

    let (status, errors) = app
        .errors(
            Some(&token),
            r#"mutation($id: ID!) {
                claimMicroWish(input: { wishId: $id, idempotencyKey: "retry-1" }) { wish { status } }
            }"#,
            json!({ "id": global_id("MicroWish", wish.id) }),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(errors[0]["extensions"]["code"], "CONFLICT", "{errors:?}");
    assert!(
        errors[0]["message"]
            .as_str()
            .is_some_and(|message| message.contains("earlier version")),
        "{errors:?}"
    );
    let unchanged = micro_wish::Entity::find_by_id(wish.id)
        .one(app.db())
        .await
        .expect("query wishes")
        .expect("the wish");
    assert_eq!(unchanged.status, WishStatus::Open, "the claim did not run");
}

/// The name of the type inside any wrappers.
fn named(ty: &Value) -> &str {
    match ty["name"].as_str() {
        Some(name) => name,
        None => named(&ty["ofType"]),
    }
}

/// The kinds from the outside in: `NON_NULL LIST NON_NULL OBJECT`.
fn shape(ty: &Value) -> String {
    let mut kinds = Vec::new();
    let mut ty = ty;
    while let Some(kind) = ty["kind"].as_str() {
        kinds.push(kind);
        ty = &ty["ofType"];
    }
    kinds.join(" ")
}
