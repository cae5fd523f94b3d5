//! The errors that end a request or a field, and their codes, written once. Every top-level
//! GraphQL error carries one of these codes in `extensions.code` (the GraphQL layer maps
//! [`ApiError`] in `graphql::errors`; the HTTP layer answers with [`ErrorCode`] directly);
//! internal details are logged, never sent. Rule violations of a mutation are not errors but
//! refusals, answered in its payload's `userErrors` (see `domain::outcome`).

use sea_orm::DbErr;

/// The codes of top-level errors, as `extensions.code` carries them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    /// No (valid) token, where one is needed.
    Unauthenticated,
    /// The caller lacks a role or a scope.
    Forbidden,
    /// Nothing the caller may see has this id.
    NotFound,
    /// The request or an argument is malformed or out of range.
    BadUserInput,
    /// The request conflicts with the current state.
    Conflict,
    /// The query is nested too deep or too complex to run.
    QueryTooComplex,
    /// Something failed inside the server; the details are in its log.
    Internal,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unauthenticated => "UNAUTHENTICATED",
            Self::Forbidden => "FORBIDDEN",
            Self::NotFound => "NOT_FOUND",
            Self::BadUserInput => "BAD_USER_INPUT",
            Self::Conflict => "CONFLICT",
            Self::QueryTooComplex => "QUERY_TOO_COMPLEX",
            Self::Internal => "INTERNAL",
        }
    }
}

/// An error that ends a request or a field with a top-level GraphQL error.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// No (valid) token, where one is needed.
    #[error("authentication required: send an access token as `Authorization: Bearer <token>`")]
    Unauthenticated,
    /// The caller lacks a role or a scope; the message names what is missing.
    #[error("{0}")]
    Forbidden(String),
    /// Nothing the caller may see has this id.
    #[error("{0} not found")]
    NotFound(String),
    /// An argument is malformed or out of range.
    #[error("{message}")]
    BadUserInput {
        message: String,
        field: Option<String>,
    },
    /// The request conflicts with the current state.
    #[error("{0}")]
    Conflict(String),
    /// Something failed inside the server; the details are in its log.
    #[error("internal error")]
    Internal,
}

impl ApiError {
    pub fn bad_input(field: &str, message: impl Into<String>) -> Self {
        Self::BadUserInput {
            message: message.into(),
            field: Some(field.to_owned()),
        }
    }

    pub fn code(&self) -> ErrorCode {
        match self {
            Self::Unauthenticated => ErrorCode::Unauthenticated,
            Self::Forbidden(_) => ErrorCode::Forbidden,
            Self::NotFound(_) => ErrorCode::NotFound,
            Self::BadUserInput { .. } => ErrorCode::BadUserInput,
            Self::Conflict(_) => ErrorCode::Conflict,
            Self::Internal => ErrorCode::Internal,
        }
    }
}

impl From<DbErr> for ApiError {
    fn from(err: DbErr) -> Self {
        tracing::error!(error = %err, "database error");
        Self::Internal
    }
}
