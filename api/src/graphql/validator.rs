//! Validating a document against the schema without running it: what registering a trusted
//! document asks, so that a document that could never run is refused when it is registered
//! rather than when the app sends it.

use std::sync::{Arc, OnceLock};

use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextExecute};
use async_graphql::{Response, ServerError};

use super::{GongzhiSchema, RequestChecks, builder};
use crate::config::QueryLimits;
use crate::domain::Rules;

/// The schema's own validation and [`RequestChecks`]'s, on a copy of the schema that stops
/// each request once it is validated. The copy is built when the first document is validated,
/// not when the server starts: most instances never register a document.
pub struct Validator {
    rules: Rules,
    limits: QueryLimits,
    built: OnceLock<(GongzhiSchema, RequestChecks)>,
}

impl Validator {
    pub(super) fn new(rules: Rules, limits: &QueryLimits) -> Self {
        Self {
            rules,
            // It checks each document once: nothing to remember.
            limits: QueryLimits {
                document_cache_bytes: 0,
                ..limits.clone()
            },
            built: OnceLock::new(),
        }
    }

    fn built(&self) -> &(GongzhiSchema, RequestChecks) {
        self.built.get_or_init(|| {
            let schema = builder(self.rules).extension(ValidateOnly).finish();
            let checks = RequestChecks::new(&schema, &self.limits);
            (schema, checks)
        })
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
        let (schema, checks) = self.built();
        let prepared = match checks.prepare(text.to_owned()) {
            Ok(prepared) => prepared,
            Err(problem) => return vec![problem],
        };
        let mut request = prepared.request();
        // A document of several operations passes validation only with one of them named; the
        // validation covers them all either way.
        request.operation_name = prepared.operation_names().next().map(str::to_owned);
        schema.execute(request).await.errors
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
