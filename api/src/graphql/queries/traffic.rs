use async_graphql::{Context, Object, Result};

use crate::graphql::types::RateLimit;

#[derive(Default)]
pub struct TrafficQuery;

#[Object]
impl TrafficQuery {
    /// Where the caller's budget of query-cost points stands after this request, without
    /// spending any: the field itself costs 0. Null where the server keeps no budgets
    /// (`GONGZHI_BUDGETS=false`).
    async fn rate_limit(&self, ctx: &Context<'_>) -> Result<Option<RateLimit>> {
        // Every request is decided by its caller's bucket, if any, before it runs.
        Ok(*ctx.data::<Option<RateLimit>>()?)
    }
}
