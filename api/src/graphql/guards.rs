//! Guards on fields: the checks of [`Principal::require`](crate::auth::Principal::require),
//! raised as GraphQL errors with their codes.

use async_graphql::{Context, Guard};

use super::context::ContextExt;
use crate::auth::Scope;
use crate::graphql::errors::OrGql;

/// The field needs a signed-in caller and, from API clients, the given scope.
pub struct Needs(pub Scope);

impl Guard for Needs {
    async fn check(&self, ctx: &Context<'_>) -> async_graphql::Result<()> {
        ctx.request()?.principal.require(self.0).or_gql()
    }
}
