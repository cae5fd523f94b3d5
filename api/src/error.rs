//! The API's error codes, mapped once. Every top-level GraphQL error carries one of them in
//! `extensions.code`; internal details are logged, never sent.

use async_graphql::ErrorExtensions;
use sea_orm::DbErr;

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

    pub fn code(&self) -> &'static str {
        match self {
            Self::Unauthenticated => "UNAUTHENTICATED",
            Self::Forbidden(_) => "FORBIDDEN",
            Self::NotFound(_) => "NOT_FOUND",
            Self::BadUserInput { .. } => "BAD_USER_INPUT",
            Self::Conflict(_) => "CONFLICT",
            Self::Internal => "INTERNAL",
        }
    }
}

impl From<DbErr> for ApiError {
    fn from(err: DbErr) -> Self {
        tracing::error!(error = %err, "database error");
        Self::Internal
    }
}

impl ErrorExtensions for ApiError {
    fn extend(&self) -> async_graphql::Error {
        async_graphql::Error::new(self.to_string()).extend_with(|_, extensions| {
            extensions.set("code", self.code());
            if let Self::BadUserInput {
                field: Some(field), ..
            } = self
            {
                extensions.set("field", field.as_str());
            }
        })
    }
}

/// Turns an area's error into a GraphQL error with its code, in resolvers:
/// `service(..).await.or_gql()?`.
pub trait OrGql<T> {
    fn or_gql(self) -> async_graphql::Result<T>;
}

impl<T, E: Into<ApiError>> OrGql<T> for Result<T, E> {
    fn or_gql(self) -> async_graphql::Result<T> {
        self.map_err(|err| err.into().extend())
    }
}
