//! What the GraphQL spec asks of a server beyond what async-graphql 7.2 does, done around each
//! request: the query's text is bounded and its input objects checked before it is parsed
//! ([`lexical`]), the parsed document is checked against the rules async-graphql's validation
//! misses and against the depth limit ([`validation`]), a failed field is answered as `null`
//! beside its error, propagated through non-null positions ([`nulls`]), and every object of the
//! answer lists its fields in the order asked for ([`order`]). A document that passed the checks
//! of its text is remembered by its SHA-256 ([`documents`]): sent again, it is neither parsed nor
//! checked again, and it can be sent by its hash alone.

mod cost;
mod documents;
mod lexical;
mod nulls;
mod order;
mod shape;
mod validation;

use std::sync::Arc;

use async_graphql::parser::types::{
    DocumentOperations, ExecutableDocument, OperationDefinition, OperationType,
};
use async_graphql::{Request, Response, ServerError};

use crate::config::QueryLimits;
use crate::domain::trusted_documents::DocumentId;
use crate::error::ErrorCode;
use crate::graphql::GongzhiSchema;
use crate::graphql::errors::{request_error as refusal, too_costly};
use lexical::TextProblem;
use shape::Shape;

/// The most tokens a query may have: a generous hand-written query has a few hundred, graphql-js's
/// standard introspection query about 300.
pub const MAX_TOKENS: usize = 10_000;
/// The most directives a query may have.
pub const MAX_DIRECTIVES: usize = 100;

/// The checks of one schema, and the documents that passed them lately.
#[derive(Debug)]
pub struct RequestChecks {
    shape: Shape,
    max_depth: usize,
    max_cost: u64,
    documents: documents::Documents,
}

impl RequestChecks {
    pub fn new(schema: &GongzhiSchema, limits: &QueryLimits) -> Self {
        Self {
            shape: Shape::from_sdl(&schema.sdl()),
            max_depth: limits.max_depth,
            max_cost: limits.max_cost,
            documents: documents::Documents::new(limits.document_cache_bytes),
        }
    }

    /// The document with this id, if this instance checked it lately: how an automatic
    /// persisted query is found by its hash alone.
    pub fn known(&self, id: DocumentId) -> Option<Arc<Prepared>> {
        self.documents.get(id)
    }

    /// Checks a document's text (its size, its input objects, its validity beyond what the
    /// schema checks, its depth) once while it is remembered, and parses it. A refusal is a
    /// request error with its code.
    pub fn prepare(&self, text: String) -> Result<Arc<Prepared>, ServerError> {
        self.prepare_as(DocumentId::of(&text), text)
    }

    /// [`prepare`](Self::prepare) for a text whose id the caller has computed already.
    pub fn prepare_as(&self, id: DocumentId, text: String) -> Result<Arc<Prepared>, ServerError> {
        if let Some(prepared) = self.documents.get(id) {
            return Ok(prepared);
        }
        let prepared = Arc::new(self.checked(id, text)?);
        self.documents.put(Arc::clone(&prepared));
        Ok(prepared)
    }

    fn checked(&self, id: DocumentId, text: String) -> Result<Prepared, ServerError> {
        let tokens =
            lexical::check(&text, MAX_TOKENS, MAX_DIRECTIVES).map_err(|problem| match problem {
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
            })?;
        let document = async_graphql::parser::parse_query(&text)?;
        validation::check(&document, &self.shape, self.max_depth).map_err(|problem| {
            let code = match problem {
                validation::Problem::TooDeep { .. }
                | validation::Problem::IntrospectionTooDeep { .. }
                | validation::Problem::TooMuchIntrospection { .. }
                | validation::Problem::TooManyFields { .. } => ErrorCode::QueryTooComplex,
                _ => ErrorCode::BadUserInput,
            };
            refusal(problem.to_string(), code, problem.pos())
        })?;
        Ok(Prepared {
            id,
            text,
            tokens,
            document,
        })
    }

    /// Prices the operation a request of a prepared document runs, with the request's
    /// variables, refusing one that costs more than one query may.
    pub fn check(
        &self,
        prepared: Arc<Prepared>,
        request: &Request,
    ) -> Result<Checked, ServerError> {
        let mut checked = Checked {
            prepared,
            operation_name: request.operation_name.clone(),
            cost: 0,
        };
        if let Some(operation) = checked.operation() {
            let cost = cost::of(
                &checked.prepared.document,
                operation,
                &self.shape,
                &request.variables,
            );
            if cost > self.max_cost {
                return Err(too_costly(
                    format!(
                        "the query costs {cost} points, more than the {max} one query may cost: \
                         ask for smaller pages (`first`/`last`) or fewer fields, or split it",
                        max = self.max_cost
                    ),
                    cost,
                    self.max_cost,
                ));
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
            cost::actual(
                &checked.prepared.document,
                operation,
                &self.shape,
                &response.data,
            )
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
        let document = &checked.prepared.document;
        let Some(operation) = checked.operation() else {
            return;
        };
        nulls::complete(response, document, operation, &self.shape);
        order::Plan::new(&[&operation.selection_set.node], document).apply(&mut response.data);
    }
}

/// A document that passed the checks that depend on its text alone, parsed.
#[derive(Debug)]
pub struct Prepared {
    id: DocumentId,
    text: String,
    /// How many tokens the text has: what its parsed form weighs grows with them.
    tokens: usize,
    document: ExecutableDocument,
}

impl Prepared {
    /// The document's id: the SHA-256 of its text.
    pub fn id(&self) -> DocumentId {
        self.id
    }

    /// The document's text.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// About how many bytes the document takes in memory, parsed: a few hundred a token (each
    /// becomes a node with its position and name), measured on selections of thousands of
    /// fields.
    pub fn weight(&self) -> usize {
        const BYTES_PER_TOKEN: usize = 256;
        self.text.len() + self.tokens * BYTES_PER_TOKEN
    }

    /// A request of the document, parsed already, so that the schema does not parse it again.
    pub fn request(&self) -> Request {
        let mut request = Request::new(self.text.clone());
        request.set_parsed_query(self.document.clone());
        request
    }

    /// Whether the operation a request names (or any, when it names none) is a mutation.
    pub fn has_mutation(&self, operation_name: Option<&str>) -> bool {
        let mutation = |operation: &OperationDefinition| operation.ty == OperationType::Mutation;
        match &self.document.operations {
            DocumentOperations::Single(operation) => mutation(&operation.node),
            DocumentOperations::Multiple(operations) => match operation_name {
                Some(name) => operations
                    .get(name)
                    .is_some_and(|operation| mutation(&operation.node)),
                None => operations
                    .values()
                    .any(|operation| mutation(&operation.node)),
            },
        }
    }

    /// The names of the document's operations, in order.
    pub fn operation_names(&self) -> impl Iterator<Item = &str> {
        self.document
            .operations
            .iter()
            .filter_map(|(name, _)| name.map(|name| name.as_str()))
    }
}

/// A request that passed the checks: its document, for completing the answer.
#[derive(Debug)]
pub struct Checked {
    prepared: Arc<Prepared>,
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
        let operations = &self.prepared.document.operations;
        let found = match self.operation_name.as_deref() {
            Some(name) => operations.iter().find(|(operation, _)| {
                operation.is_some_and(|operation| operation.as_str() == name)
            }),
            None => operations.iter().next(),
        };
        found.map(|(name, operation)| (name.map(|name| name.as_str()), &operation.node))
    }
}
