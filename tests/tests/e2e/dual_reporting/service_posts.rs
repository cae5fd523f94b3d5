//! Service posts (服务岗位) over HTTP: community staff publish and close them, registered
//! members apply, confirmations never exceed a post's head count under concurrency, holders
//! withdraw or end their claims, and deregistering ends a member's posts in the community.

use chrono::Utc;
use entities::audit_log;
use entities::member_registration::{self, MemberRegistrationStatus};
use entities::post_claim::{self, PostClaimStatus};
use entities::{party_member, service_post};
use futures::future::join_all;
use gongzhi::graphql::ids::global_id;
use gongzhi_tests::demo::{QIYI, other_community, unit_by_id, unregistered_members};
use gongzhi_tests::{Role, TestApp, e2e};
use sea_orm::ActiveValue::Set;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder};
use serde_json::{Value, json};

use super::common::DEREGISTER;

e2e!(
    concurrent_confirmations_never_exceed_a_posts_head_count,
    a_deregistered_member_leaves_the_communitys_posts,
    an_application_racing_a_deregistration_leaves_no_claim_behind,
);

const PUBLISH: &str = r#"mutation($community: ID!, $title: String!, $headCount: Int!) {
    publishServicePost(input: { communityId: $community, title: $title, headCount: $headCount }) {
        post { id title headCount status }
        userErrors { field code }
    }
}"#;

const APPLY: &str = r#"mutation($post: ID!) {
    applyForServicePost(input: { postId: $post }) {
        claim { id status }
        userErrors { field code }
    }
}"#;

const CONFIRM: &str = r#"mutation($claim: ID!) {
    confirmPostClaim(input: { claimId: $claim }) {
        claim { status decidedAt }
        userErrors { code }
    }
}"#;

const REJECT_CLAIM: &str = r#"mutation($claim: ID!) {
    rejectPostClaim(input: { claimId: $claim }) {
        claim { status }
        userErrors { code }
    }
}"#;

async fn concurrent_confirmations_never_exceed_a_posts_head_count(app: TestApp) {
    let qiyi = app.unit_by_code(QIYI).await;
    let other = other_community(&app, qiyi.id).await;
    let community = global_id("AdminUnit", qiyi.id);
    let staff = app.staff_token(Role::CommunityStaff, QIYI).await;

    let elsewhere = app.staff_token(Role::CommunityStaff, &other.code).await;
    let data = app
        .query_as(
            Some(&elsewhere),
            PUBLISH,
            json!({ "community": community, "title": "楼栋长", "headCount": 2 }),
        )
        .await;
    assert_eq!(
        data["publishServicePost"]["userErrors"][0]["code"],
        "NOT_COMMUNITY_STAFF"
    );
    let data = app
        .query_as(
            Some(&staff),
            PUBLISH,
            json!({ "community": community, "title": "楼栋长", "headCount": 0 }),
        )
        .await;
    assert_eq!(
        data["publishServicePost"]["userErrors"][0],
        json!({ "field": ["input", "headCount"], "code": "INVALID_HEAD_COUNT" })
    );
    let data = app
        .query_as(
            Some(&staff),
            PUBLISH,
            json!({ "community": community, "title": "楼栋长", "headCount": 2 }),
        )
        .await;
    assert_eq!(data["publishServicePost"]["userErrors"], json!([]));
    assert_eq!(data["publishServicePost"]["post"]["status"], "OPEN");
    let post = data["publishServicePost"]["post"]["id"].clone();

    // A member registered here applies, once; a member registered elsewhere may not.
    let registered = member_registration::Entity::find()
        .filter(member_registration::Column::CommunityId.eq(qiyi.id))
        .filter(member_registration::Column::Status.eq(MemberRegistrationStatus::Accepted))
        .one(app.db())
        .await
        .expect("query registrations")
        .expect("七一 has an accepted registration");
    let resident = party_member::Entity::find_by_id(registered.party_member_id)
        .one(app.db())
        .await
        .expect("query members")
        .expect("the member");
    let resident_token = app.person_token(resident.person_id);
    let data = app
        .query_as(Some(&resident_token), APPLY, json!({ "post": post }))
        .await;
    assert_eq!(data["applyForServicePost"]["userErrors"], json!([]));
    assert_eq!(data["applyForServicePost"]["claim"]["status"], "APPLIED");
    let data = app
        .query_as(Some(&resident_token), APPLY, json!({ "post": post }))
        .await;
    assert_eq!(
        data["applyForServicePost"]["userErrors"][0],
        json!({ "field": ["input", "postId"], "code": "ALREADY_APPLIED" })
    );
    let stranger = unregistered_members(&app, 1).await.remove(0);
    let data = app
        .query_as(
            Some(&app.person_token(stranger.person_id)),
            APPLY,
            json!({ "post": post }),
        )
        .await;
    assert_eq!(
        data["applyForServicePost"]["userErrors"][0]["code"],
        "NOT_REGISTERED_HERE"
    );

    // Nine more applications, then ten confirmations at once: two holders, eight refusals.
    let post_id = post_claim::Entity::find()
        .filter(post_claim::Column::PartyMemberId.eq(resident.id))
        .filter(post_claim::Column::Status.eq(PostClaimStatus::Applied))
        .one(app.db())
        .await
        .expect("query claims")
        .expect("the application")
        .post_id;
    let others = party_member::Entity::find()
        .filter(party_member::Column::Id.ne(resident.id))
        .order_by_asc(party_member::Column::Id)
        .all(app.db())
        .await
        .expect("query members");
    post_claim::Entity::insert_many(others.iter().take(9).map(|member| post_claim::ActiveModel {
        post_id: Set(post_id),
        party_member_id: Set(member.id),
        status: Set(PostClaimStatus::Applied),
        created_at: Set(Utc::now()),
        ..Default::default()
    }))
    .exec(app.db())
    .await
    .expect("insert applications");
    let claims: Vec<i64> = post_claim::Entity::find()
        .filter(post_claim::Column::PostId.eq(post_id))
        .order_by_asc(post_claim::Column::Id)
        .all(app.db())
        .await
        .expect("query claims")
        .into_iter()
        .map(|claim| claim.id)
        .collect();
    assert_eq!(claims.len(), 10);
    let responses = join_all(claims.iter().map(|&claim| {
        app.query_as(
            Some(&staff),
            CONFIRM,
            json!({ "claim": global_id("PostClaim", claim) }),
        )
    }))
    .await;
    let codes: Vec<Value> = responses
        .iter()
        .map(|data| data["confirmPostClaim"]["userErrors"][0]["code"].clone())
        .collect();
    let confirmed = codes.iter().filter(|code| code.is_null()).count();
    let full = codes.iter().filter(|code| **code == "POST_FULL").count();
    assert_eq!((confirmed, full), (2, 8), "codes: {codes:?}");
    let holders = post_claim::Entity::find()
        .filter(post_claim::Column::PostId.eq(post_id))
        .filter(post_claim::Column::Status.eq(PostClaimStatus::Confirmed))
        .count(app.db())
        .await
        .expect("count holders");
    assert_eq!(holders, 2);

    // Staff reject a waiting application; a decided one is not decided again.
    let waiting = responses
        .iter()
        .position(|data| data["confirmPostClaim"]["userErrors"][0]["code"] == "POST_FULL")
        .expect("a refused confirmation");
    let held = responses
        .iter()
        .position(|data| data["confirmPostClaim"]["userErrors"] == json!([]))
        .expect("a confirmation");
    let data = app
        .query_as(
            Some(&staff),
            REJECT_CLAIM,
            json!({ "claim": global_id("PostClaim", claims[waiting]) }),
        )
        .await;
    assert_eq!(
        data["rejectPostClaim"],
        json!({ "claim": { "status": "REJECTED" }, "userErrors": [] })
    );
    let data = app
        .query_as(
            Some(&staff),
            REJECT_CLAIM,
            json!({ "claim": global_id("PostClaim", claims[held]) }),
        )
        .await;
    assert_eq!(
        data["rejectPostClaim"]["userErrors"][0]["code"],
        "NOT_APPLIED"
    );

    // An applicant withdraws their own waiting application, nobody else's, and only once.
    let claim_of = |index: usize| global_id("PostClaim", claims[index]);
    let waiting: Vec<usize> = (0..claims.len())
        .filter(|&index| {
            index != held
                && responses[index]["confirmPostClaim"]["userErrors"][0]["code"] == "POST_FULL"
                && index != waiting
        })
        .collect();
    let (first, second) = (waiting[0], waiting[1]);
    let data = app
        .query_as(
            Some(&staff),
            WITHDRAW_CLAIM,
            json!({ "claim": claim_of(first) }),
        )
        .await;
    assert_eq!(
        data["withdrawPostClaim"]["userErrors"][0]["code"],
        "NOT_CLAIMANT"
    );
    // Another applicant does not see the claim at all.
    let (_, errors) = app
        .errors(
            Some(&claimant_token(&app, claims[second]).await),
            WITHDRAW_CLAIM,
            json!({ "claim": claim_of(first) }),
        )
        .await;
    assert_eq!(errors[0]["extensions"]["code"], "NOT_FOUND");
    let own = claimant_token(&app, claims[first]).await;
    let data = app
        .query_as(
            Some(&own),
            WITHDRAW_CLAIM,
            json!({ "claim": claim_of(first) }),
        )
        .await;
    assert_eq!(data["withdrawPostClaim"]["userErrors"], json!([]));
    assert_eq!(data["withdrawPostClaim"]["claim"]["status"], "WITHDRAWN");
    assert!(data["withdrawPostClaim"]["claim"]["closedAt"].is_string());
    let data = app
        .query_as(
            Some(&own),
            WITHDRAW_CLAIM,
            json!({ "claim": claim_of(first) }),
        )
        .await;
    assert_eq!(
        data["withdrawPostClaim"]["userErrors"][0],
        json!({ "field": ["input", "claimId"], "code": "NOT_APPLIED" })
    );

    // Ending a holding frees its place: the next confirmation succeeds, the one after is full.
    let data = app
        .query_as(
            Some(&staff),
            END_CLAIM,
            json!({ "claim": claim_of(second) }),
        )
        .await;
    assert_eq!(
        data["endPostClaim"]["userErrors"][0],
        json!({ "field": ["input", "claimId"], "code": "NOT_HELD" })
    );
    // Another community's staff do not see the claim at all.
    let (_, errors) = app
        .errors(
            Some(&elsewhere),
            END_CLAIM,
            json!({ "claim": claim_of(held) }),
        )
        .await;
    assert_eq!(errors[0]["extensions"]["code"], "NOT_FOUND");
    let data = app
        .query_as(Some(&staff), END_CLAIM, json!({ "claim": claim_of(held) }))
        .await;
    assert_eq!(data["endPostClaim"]["userErrors"], json!([]));
    assert_eq!(data["endPostClaim"]["claim"]["status"], "ENDED");
    let data = app
        .query_as(Some(&staff), CONFIRM, json!({ "claim": claim_of(second) }))
        .await;
    assert_eq!(data["confirmPostClaim"]["userErrors"], json!([]));
    let data = app
        .query_as(
            Some(&staff),
            CONFIRM,
            json!({ "claim": claim_of(waiting[2]) }),
        )
        .await;
    assert_eq!(
        data["confirmPostClaim"]["userErrors"][0]["code"],
        "POST_FULL"
    );
    // A holder gives the post up themself.
    let data = app
        .query_as(
            Some(&claimant_token(&app, claims[second]).await),
            END_CLAIM,
            json!({ "claim": claim_of(second) }),
        )
        .await;
    assert_eq!(data["endPostClaim"]["claim"]["status"], "ENDED");

    // Closing a post stops applications; only its community's staff close it, once.
    let data = app
        .query_as(Some(&resident_token), CLOSE_POST, json!({ "post": post }))
        .await;
    assert_eq!(
        data["closeServicePost"]["userErrors"][0]["code"],
        "NOT_COMMUNITY_STAFF"
    );
    let data = app
        .query_as(Some(&staff), CLOSE_POST, json!({ "post": post }))
        .await;
    assert_eq!(
        data["closeServicePost"],
        json!({ "post": { "status": "CLOSED" }, "userErrors": [] })
    );
    let data = app
        .query_as(Some(&staff), CLOSE_POST, json!({ "post": post }))
        .await;
    assert_eq!(
        data["closeServicePost"]["userErrors"][0],
        json!({ "field": ["input", "postId"], "code": "POST_CLOSED" })
    );
    let data = app
        .query_as(Some(&resident_token), APPLY, json!({ "post": post }))
        .await;
    assert_eq!(
        data["applyForServicePost"]["userErrors"][0]["code"],
        "POST_CLOSED"
    );
    let closings: Vec<String> = audit_log::Entity::find()
        .filter(audit_log::Column::EntityType.eq("post_claim"))
        .filter(audit_log::Column::EntityId.is_in(claims.clone()))
        .filter(audit_log::Column::Action.is_in(["withdraw_post_claim", "end_post_claim"]))
        .all(app.db())
        .await
        .expect("query audit log")
        .into_iter()
        .map(|record| record.action)
        .collect();
    assert_eq!(closings.len(), 3, "{closings:?}");
}

const WITHDRAW_CLAIM: &str = r#"mutation($claim: ID!) {
    withdrawPostClaim(input: { claimId: $claim }) {
        claim { status closedAt } userErrors { field code }
    }
}"#;

const END_CLAIM: &str = r#"mutation($claim: ID!) {
    endPostClaim(input: { claimId: $claim }) {
        claim { status closedAt } userErrors { field code }
    }
}"#;

const CLOSE_POST: &str = r#"mutation($post: ID!) {
    closeServicePost(input: { postId: $post }) {
        post { status } userErrors { field code }
    }
}"#;

async fn a_deregistered_member_leaves_the_communitys_posts(app: TestApp) {
    // A post holder registered with the post's community.
    let mut holding = None;
    for claim in post_claim::Entity::find()
        .filter(post_claim::Column::Status.eq(PostClaimStatus::Confirmed))
        .order_by_asc(post_claim::Column::Id)
        .all(app.db())
        .await
        .expect("query claims")
    {
        let post = service_post::Entity::find_by_id(claim.post_id)
            .one(app.db())
            .await
            .expect("query posts")
            .expect("the post");
        let registration = member_registration::Entity::find()
            .filter(member_registration::Column::PartyMemberId.eq(claim.party_member_id))
            .filter(member_registration::Column::CommunityId.eq(post.community_id))
            .filter(member_registration::Column::Status.eq(MemberRegistrationStatus::Accepted))
            .one(app.db())
            .await
            .expect("query registrations");
        if let Some(registration) = registration {
            holding = Some((claim, registration));
            break;
        }
    }
    let (claim, registration) = holding.expect("the demo district has a registered post holder");
    let community = unit_by_id(&app, registration.community_id).await;
    let staff = app.staff_token(Role::CommunityStaff, &community.code).await;

    let data = app
        .query_as(
            Some(&staff),
            DEREGISTER,
            json!({ "id": global_id("MemberRegistration", registration.id) }),
        )
        .await;
    assert_eq!(
        data["deregisterMember"],
        json!({ "registration": { "status": "DEREGISTERED" }, "userErrors": [] })
    );
    let after = post_claim::Entity::find_by_id(claim.id)
        .one(app.db())
        .await
        .expect("query claims")
        .expect("the claim");
    assert_eq!(after.status, PostClaimStatus::Ended);
    assert!(after.closed_at.is_some());
    let audited = audit_log::Entity::find()
        .filter(audit_log::Column::EntityType.eq("post_claim"))
        .filter(audit_log::Column::EntityId.eq(claim.id))
        .filter(audit_log::Column::Action.eq("leave_community_posts"))
        .count(app.db())
        .await
        .expect("count audit records");
    assert_eq!(audited, 1);
    let open = post_claim::Entity::find()
        .filter(post_claim::Column::PartyMemberId.eq(claim.party_member_id))
        .filter(
            post_claim::Column::Status
                .is_in([PostClaimStatus::Applied, PostClaimStatus::Confirmed]),
        )
        .all(app.db())
        .await
        .expect("query claims");
    for other in open {
        let post = service_post::Entity::find_by_id(other.post_id)
            .one(app.db())
            .await
            .expect("query posts")
            .expect("the post");
        assert_ne!(post.community_id, registration.community_id);
    }
}

/// A token of the member who made the post claim `claim`.
async fn claimant_token(app: &TestApp, claim: i64) -> String {
    let claim = post_claim::Entity::find_by_id(claim)
        .one(app.db())
        .await
        .expect("query claims")
        .expect("the claim");
    let member = party_member::Entity::find_by_id(claim.party_member_id)
        .one(app.db())
        .await
        .expect("query members")
        .expect("the member");
    app.person_token(member.person_id)
}

/// Members apply for a post on one instance while, on another, staff deregister them from the
/// community: whichever comes first, no member who left holds an open claim there.
async fn an_application_racing_a_deregistration_leaves_no_claim_behind(app: TestApp) {
    let qiyi = app.unit_by_code(QIYI).await;
    let staff = app.staff_token(Role::CommunityStaff, QIYI).await;
    let published = app
        .query_as(
            Some(&staff),
            PUBLISH,
            json!({ "community": global_id("AdminUnit", qiyi.id), "title": "楼栋长", "headCount": 20 }),
        )
        .await;
    let post = published["publishServicePost"]["post"]["id"].clone();
    let registrations = member_registration::Entity::find()
        .filter(member_registration::Column::CommunityId.eq(qiyi.id))
        .filter(member_registration::Column::Status.eq(MemberRegistrationStatus::Accepted))
        .order_by_asc(member_registration::Column::Id)
        .all(app.db())
        .await
        .expect("query registrations");
    assert!(registrations.len() >= 4, "七一 has accepted registrations");
    let mut members = Vec::new();
    for registration in &registrations {
        let member = party_member::Entity::find_by_id(registration.party_member_id)
            .one(app.db())
            .await
            .expect("query members")
            .expect("the member");
        members.push((registration.id, member));
    }
    let other = app.another_instance().await;
    let tokens: Vec<String> = members
        .iter()
        .map(|(_, member)| app.person_token(member.person_id))
        .collect();
    let races = members
        .iter()
        .zip(&tokens)
        .map(|((registration, _), token)| {
            let apply = app.query_as(Some(token), APPLY, json!({ "post": post }));
            let deregister = other.query_as(
                Some(&staff),
                DEREGISTER,
                json!({ "id": global_id("MemberRegistration", *registration) }),
            );
            async move { futures::join!(apply, deregister) }
        });
    for (_, deregistered) in join_all(races).await {
        assert_eq!(
            deregistered["deregisterMember"]["registration"]["status"], "DEREGISTERED",
            "{deregistered}"
        );
    }
    for (_, member) in &members {
        let qiyi_posts = service_post::Entity::find()
            .filter(service_post::Column::CommunityId.eq(qiyi.id))
            .all(app.db())
            .await
            .expect("query posts")
            .into_iter()
            .map(|post| post.id);
        let open = post_claim::Entity::find()
            .filter(post_claim::Column::PartyMemberId.eq(member.id))
            .filter(post_claim::Column::PostId.is_in(qiyi_posts))
            .filter(
                post_claim::Column::Status
                    .is_in([PostClaimStatus::Applied, PostClaimStatus::Confirmed]),
            )
            .count(app.db())
            .await
            .expect("count claims");
        assert_eq!(
            open, 0,
            "member {} left 七一 but holds an open claim there",
            member.id
        );
    }
}
