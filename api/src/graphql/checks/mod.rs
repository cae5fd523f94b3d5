//! What the GraphQL spec asks of a server beyond what async-graphql 7.2 does, done around each
//! request: the query's text is bounded and its input objects checked before it is parsed
//! ([`lexical`]), the parsed document is checked against the rules async-graphql's validation
//! misses and against the depth limit ([`validation`]), a failed field is answered as `null`
//! beside its error, propagated through non-null positions ([`nulls`]), and every object of the
//! answer lists its fields in the order asked for ([`order`]).

mod cost;
mod lexical;
mod nulls;
mod order;
mod shape;
mod validation;

use async_graphql::parser::types::{ExecutableDocument, OperationDefinition};
use async_graphql::{ErrorExtensionValues, Request, Response, ServerError};

use crate::config::QueryLimits;
use crate::error::ErrorCode;
use crate::graphql::GongzhiSchema;
use lexical::TextProblem;
use shape::Shape;

/// The most tokens a query may have: a generous hand-written query has a few hundred, graphql-js's
/// standard introspection query about 300.
pub const MAX_TOKENS: usize = 10_000;
/// The most directives a query may have.
pub const MAX_DIRECTIVES: usize = 100;

/// The checks of one schema.
#[derive(Debug)]
pub struct RequestChecks {
    shape: Shape,
    max_depth: usize,
    max_cost: u64,
}

impl RequestChecks {
    pub fn new(schema: &GongzhiSchema, limits: &QueryLimits) -> Self {
        Self {
            shape: Shape::from_sdl(&schema.sdl()),
            max_depth: limits.max_depth,
            max_cost: limits.max_cost,
        }
    }

    /// Checks `request` and leaves it parsed, so that the schema does not parse it again; keeps
    /// the document for [`complete`](Self::complete). A refusal is a request error with its
    /// code.
    pub fn check(&self, request: &mut Request) -> Result<Checked, ServerError> {
        lexical::check(&request.query, MAX_TOKENS, MAX_DIRECTIVES).map_err(
            |problem| match problem {
                TextProblem::TooManyTokens { limit } => refusal(
                    format!("the query has more than {limit} tokens"),
                    ErrorCode::QueryTooComplex,
                    None,
                ),
                TextProblem::TooManyDirectives { limit } => refusal(
                    format!("the query has more than {limit} directives"),
                    ErrorCode::QueryTooComplex,
                    None,
                ),
                TextProblem::DuplicateInputField { name, line, column } => refusal(
                    format!("the input object field `{name}` is given more than once"),
                    ErrorCode::BadUserInput,
                    Some(async_graphql::Pos { line, column }),
                ),
            },
        )?;
        let operation_name = request.operation_name.clone();
        let document = request.parsed_query()?;
        validation::check(document, &self.shape, self.max_depth).map_err(|problem| {
            let code = match problem {
                validation::Problem::TooDeep { .. }
                | validation::Problem::IntrospectionTooDeep { .. }
                | validation::Problem::TooMuchIntrospection { .. }
                | validation::Problem::TooManyFields { .. } => ErrorCode::QueryTooComplex,
                _ => ErrorCode::BadUserInput,
            };
            refusal(problem.to_string(), code, problem.pos())
        })?;
        let mut checked = Checked {
            // The executor takes the request's document; this copy shapes the answer.
            document: document.clone(),
            operation_name,
            cost: 0,
        };
        if let Some(operation) = checked.operation() {
            let cost = cost::of(
                &checked.document,
                operation,
                &self.shape,
                &request.variables,
            );
            if cost > self.max_cost {
                let mut error = refusal(
                    format!(
                        "the query costs {cost} points, more than the {max} one query may cost: \
                         ask for smaller pages (`first`/`last`) or fewer fields, or split it",
                        max = self.max_cost
                    ),
                    ErrorCode::QueryTooCostly,
                    None,
                );
                if let Some(extensions) = error.extensions.as_mut() {
                    extensions.set("cost", cost);
                    extensions.set("maximumCost", self.max_cost);
                }
                return Err(error);
            }
            checked.cost = cost;
        }
        Ok(checked)
    }

    /// What a checked request actually cost, counted from its answer. An answer with a field
    /// error costs at least what it was priced at: the failed field may have nulled out (up to
    /// the whole of `data`) what was resolved beside it, so the answer no longer shows the
    /// work. A request refused before it ran costs nothing.
    pub fn actual_cost(&self, checked: &Checked, response: &Response) -> u64 {
        let counted = checked.operation().map_or(0, |operation| {
            cost::actual(&checked.document, operation, &self.shape, &response.data)
        });
        if response.errors.iter().any(|error| !error.path.is_empty()) {
            counted.max(checked.cost)
        } else {
            counted
        }
    }

    /// Completes the answer to a checked request: failed fields are `null` beside their errors,
    /// and every object lists its fields in the order asked for.
    pub fn complete(&self, checked: &Checked, response: &mut Response) {
        let document = &checked.document;
        let Some(operation) = checked.operation() else {
            return;
        };
        nulls::complete(response, document, operation, &self.shape);
        order::Plan::new(&[&operation.selection_set.node], document).apply(&mut response.data);
    }
}

/// A request that passed the checks: its document, for completing the answer.
#[derive(Debug)]
pub struct Checked {
    document: ExecutableDocument,
    operation_name: Option<String>,
    /// What the request costs, as priced before it runs (see [`cost`]).
    cost: u64,
}

impl Checked {
    /// What the request costs, as priced before it runs.
    pub fn cost(&self) -> u64 {
        self.cost
    }

    /// The operation the request runs: the one named, or the only one.
    fn operation(&self) -> Option<&OperationDefinition> {
        self.named_operation().map(|(_, operation)| operation)
    }

    /// The name of the operation the request runs, if it has one.
    pub fn operation_name(&self) -> Option<&str> {
        self.named_operation().and_then(|(name, _)| name)
    }

    fn named_operation(&self) -> Option<(Option<&str>, &OperationDefinition)> {
        let operations = &self.document.operations;
        let found = match self.operation_name.as_deref() {
            Some(name) => operations.iter().find(|(operation, _)| {
                operation.is_some_and(|operation| operation.as_str() == name)
            }),
            None => operations.iter().next(),
        };
        found.map(|(name, operation)| (name.map(|name| name.as_str()), &operation.node))
    }
}

fn refusal(message: String, code: ErrorCode, pos: Option<async_graphql::Pos>) -> ServerError {
    let mut error = ServerError::new(message, pos);
    let mut extensions = ErrorExtensionValues::default();
    extensions.set("code", code.as_str());
    error.extensions = Some(extensions);
    error
}
