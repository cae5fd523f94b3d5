use async_graphql::{Context, ID, InputObject, Object, Result, SimpleObject};

use crate::domain::dual_reporting::service_posts::{
    self, ClaimOutcome, Closing, NewPost, PostOutcome, ServicePostRefusal,
};
use crate::domain::transaction::Db;
use crate::graphql::context::ContextExt;
use crate::graphql::errors::OrGql;
use crate::graphql::ids::decode_as;
use crate::graphql::mutations::run_once;
use crate::graphql::mutations::user_errors::{UserError, user_errors};
use crate::graphql::types::{AdminUnit, PostClaim, ServicePost};

/// Publish a service post.
#[derive(Debug, InputObject)]
pub struct PublishServicePostInput {
    /// The publishing community.
    pub community_id: ID,
    /// The post's title, such as 楼栋长 (building steward), 1–100 characters.
    pub title: String,
    /// What the post involves. At most 2000 characters.
    #[graphql(validator(chars_max_length = 2000))]
    pub description: Option<String>,
    /// How many members may hold the post at once, at least 1.
    pub head_count: i32,
    /// Makes retries safe: a retry with the same key and input returns the first result and
    /// changes nothing; the key with another input is a CONFLICT. 1 to 200 characters.
    #[graphql(validator(chars_min_length = 1, chars_max_length = 200))]
    pub idempotency_key: Option<String>,
}

/// Apply for a service post.
#[derive(Debug, InputObject)]
pub struct ApplyForServicePostInput {
    /// The post applied for.
    pub post_id: ID,
    /// Makes retries safe, as for `publishServicePost`. 1 to 200 characters.
    #[graphql(validator(chars_min_length = 1, chars_max_length = 200))]
    pub idempotency_key: Option<String>,
}

/// Confirm or reject an application for a post.
#[derive(Debug, InputObject)]
pub struct DecidePostClaimInput {
    /// The application decided on.
    pub claim_id: ID,
    /// Makes retries safe, as for `publishServicePost`. 1 to 200 characters.
    #[graphql(validator(chars_min_length = 1, chars_max_length = 200))]
    pub idempotency_key: Option<String>,
}

/// Withdraw an application for a post, or end the holding of a post.
#[derive(Debug, InputObject)]
pub struct ClosePostClaimInput {
    /// The claim to close.
    pub claim_id: ID,
    /// Makes retries safe, as for `publishServicePost`. 1 to 200 characters.
    #[graphql(validator(chars_min_length = 1, chars_max_length = 200))]
    pub idempotency_key: Option<String>,
}

/// Close a post to applications.
#[derive(Debug, InputObject)]
pub struct CloseServicePostInput {
    /// The post to close.
    pub post_id: ID,
    /// Makes retries safe, as for `publishServicePost`. 1 to 200 characters.
    #[graphql(validator(chars_min_length = 1, chars_max_length = 200))]
    pub idempotency_key: Option<String>,
}

/// The result of a change to a post.
#[derive(SimpleObject)]
pub struct ServicePostPayload {
    /// The post as it stands after the mutation; null (publishing) or unchanged when there are
    /// user errors.
    pub post: Option<ServicePost>,
    /// Why the change was refused; empty when it was made.
    pub user_errors: Vec<UserError<ServicePostRefusal>>,
}

/// The result of a change to a claim of a post.
#[derive(SimpleObject)]
pub struct PostClaimPayload {
    /// The claim as it stands after the mutation; unchanged (or null) when there are user
    /// errors.
    pub claim: Option<PostClaim>,
    /// Why the change was refused; empty when it was made.
    pub user_errors: Vec<UserError<ServicePostRefusal>>,
}

impl From<PostOutcome> for ServicePostPayload {
    fn from(outcome: PostOutcome) -> Self {
        Self {
            post: outcome.changed.map(ServicePost),
            user_errors: user_errors(&outcome.refusals),
        }
    }
}

impl From<ClaimOutcome> for PostClaimPayload {
    fn from(outcome: ClaimOutcome) -> Self {
        Self {
            claim: outcome.changed.map(PostClaim),
            user_errors: user_errors(&outcome.refusals),
        }
    }
}

#[derive(Default)]
pub struct ServicePostMutation;

#[Object]
impl ServicePostMutation {
    /// The community's staff publish a post with a head count, open for applications.
    async fn publish_service_post(
        &self,
        ctx: &Context<'_>,
        input: PublishServicePostInput,
    ) -> Result<ServicePostPayload> {
        let request = ctx.request()?;
        let post = NewPost {
            community_id: decode_as::<AdminUnit>("communityId", &input.community_id).or_gql()?,
            title: input.title,
            description: input.description,
            head_count: input.head_count,
        };
        // The work borrows what the idempotency key's fingerprint borrows too.
        let post = &post;
        let publish = |db: Db| async move {
            service_posts::publish(&db, &request.principal, post.clone()).await
        };
        run_once(
            ctx,
            &input.idempotency_key,
            "publishServicePost",
            &post,
            publish,
        )
        .await
    }

    /// A Party member registered (accepted) with the post's community applies for it.
    async fn apply_for_service_post(
        &self,
        ctx: &Context<'_>,
        input: ApplyForServicePostInput,
    ) -> Result<PostClaimPayload> {
        let request = ctx.request()?;
        let id = decode_as::<ServicePost>("postId", &input.post_id).or_gql()?;
        let apply = |db: Db| async move { service_posts::apply(&db, &request.principal, id).await };
        run_once(
            ctx,
            &input.idempotency_key,
            "applyForServicePost",
            &id,
            apply,
        )
        .await
    }

    /// The community's staff confirm an application. A post never has more confirmed holders
    /// than its head count: once it has, confirming is refused with `POST_FULL`.
    async fn confirm_post_claim(
        &self,
        ctx: &Context<'_>,
        input: DecidePostClaimInput,
    ) -> Result<PostClaimPayload> {
        decide(ctx, input, true, "confirmPostClaim").await
    }

    /// The community's staff reject an application.
    async fn reject_post_claim(
        &self,
        ctx: &Context<'_>,
        input: DecidePostClaimInput,
    ) -> Result<PostClaimPayload> {
        decide(ctx, input, false, "rejectPostClaim").await
    }

    /// The applicant withdraws an application still waiting for a decision; anything else is
    /// `NOT_APPLIED`, and only the applicant may (`NOT_CLAIMANT`).
    async fn withdraw_post_claim(
        &self,
        ctx: &Context<'_>,
        input: ClosePostClaimInput,
    ) -> Result<PostClaimPayload> {
        close_claim(ctx, input, Closing::Withdraw, "withdrawPostClaim").await
    }

    /// The holder gives up a post, or the community's staff relieve them of it, freeing a
    /// place for another applicant; a claim that does not hold the post is `NOT_HELD`.
    async fn end_post_claim(
        &self,
        ctx: &Context<'_>,
        input: ClosePostClaimInput,
    ) -> Result<PostClaimPayload> {
        close_claim(ctx, input, Closing::End, "endPostClaim").await
    }

    /// The community's staff close a post to applications (`POST_CLOSED` when it already
    /// is); its holders keep it until their claims end.
    async fn close_service_post(
        &self,
        ctx: &Context<'_>,
        input: CloseServicePostInput,
    ) -> Result<ServicePostPayload> {
        let request = ctx.request()?;
        let id = decode_as::<ServicePost>("postId", &input.post_id).or_gql()?;
        let close =
            |db: Db| async move { service_posts::close_post(&db, &request.principal, id).await };
        run_once(ctx, &input.idempotency_key, "closeServicePost", &id, close).await
    }
}

async fn close_claim(
    ctx: &Context<'_>,
    input: ClosePostClaimInput,
    closing: Closing,
    operation: &'static str,
) -> Result<PostClaimPayload> {
    let request = ctx.request()?;
    let id = decode_as::<PostClaim>("claimId", &input.claim_id).or_gql()?;
    let close = |db: Db| async move {
        service_posts::close_claim(&db, &request.principal, id, closing).await
    };
    run_once(ctx, &input.idempotency_key, operation, &id, close).await
}

async fn decide(
    ctx: &Context<'_>,
    input: DecidePostClaimInput,
    confirm: bool,
    operation: &'static str,
) -> Result<PostClaimPayload> {
    let request = ctx.request()?;
    let id = decode_as::<PostClaim>("claimId", &input.claim_id).or_gql()?;
    let decision =
        |db: Db| async move { service_posts::decide(&db, &request.principal, id, confirm).await };
    run_once(ctx, &input.idempotency_key, operation, &id, decision).await
}
