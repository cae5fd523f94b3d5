//! Validating a document against the schema without running it: what registering a trusted
//! document asks, so that a document that could never run is refused when it is registered
//! rather than when the app sends it.

use std::sync::Arc;

use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextExecute};
use async_graphql::{EmptySubscription, Response, SchemaBuilder, ServerError};

use super::{GongzhiSchema, Mutation, Query, RequestChecks};
use crate::config::QueryLimits;

/// The schema's own validation and [`RequestChecks`]'s, on a copy of the schema that stops
/// each request once it is validated.
pub struct Validator {
    schema: GongzhiSchema,
    checks: RequestChecks,
}

impl Validator {
    pub(super) fn new(
        builder: SchemaBuilder<Query, Mutation, EmptySubscription>,
        limits: &QueryLimits,
    ) -> Self {
        let schema = builder.extension(ValidateOnly).finish();
        // It checks each document once: nothing to remember.
        let limits = QueryLimits {
            document_cache_bytes: 0,
            ..limits.clone()
        };
        let checks = RequestChecks::new(&schema, &limits);
        Self { schema, checks }
    }

    /// What keeps a document from running, as request errors: none when it is valid. Every
    /// operation of it is validated; no variables are needed.
    pub async fn problems(&self, text: &str) -> Vec<ServerError> {
        // Valid GraphQL may hold one in a comment, but PostgreSQL cannot store it.
        if text.contains('\0') {
            return vec![ServerError::new(
                "a document may not contain NUL characters",
                None,
            )];
        }
        let prepared = match self.checks.prepare(text.to_owned()) {
            Ok(prepared) => prepared,
            Err(problem) => return vec![problem],
        };
        let mut request = prepared.request();
        // A document of several operations passes validation only with one of them named; the
        // validation covers them all either way.
        request.operation_name = prepared.operation_names().next().map(str::to_owned);
        self.schema.execute(request).await.errors
    }
}

/// Ends a request once it is validated: nothing runs.
struct ValidateOnly;

impl ExtensionFactory for ValidateOnly {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(ValidateOnly)
    }
}

#[async_trait::async_trait]
impl Extension for ValidateOnly {
    async fn execute(
        &self,
        _ctx: &ExtensionContext<'_>,
        _operation_name: Option<&str>,
        _next: NextExecute<'_>,
    ) -> Response {
        Response::new(async_graphql::Value::Null)
    }
}
