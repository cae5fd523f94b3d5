//! [`ApiError`] as GraphQL errors: the message, and its code (and the offending argument, for
//! bad input) in `extensions`.

use async_graphql::{ErrorExtensionValues, ErrorExtensions, Pos, ServerError};

use crate::error::{ApiError, ErrorCode};

/// `QUERY_TOO_COSTLY`: the query's `cost` in points is more than the `maximum`, both in
/// `extensions`.
pub fn too_costly(message: String, cost: u64, maximum: u64) -> ServerError {
    let mut error = request_error(message, ErrorCode::QueryTooCostly, None);
    if let Some(extensions) = error.extensions.as_mut() {
        extensions.set("cost", cost);
        extensions.set("maximumCost", maximum);
    }
    error
}

/// An error of the request as a whole, raised before it runs, with its code.
pub fn request_error(message: impl Into<String>, code: ErrorCode, pos: Option<Pos>) -> ServerError {
    let mut error = ServerError::new(message, pos);
    let mut extensions = ErrorExtensionValues::default();
    extensions.set("code", code.as_str());
    error.extensions = Some(extensions);
    error
}

impl ErrorExtensions for ApiError {
    fn extend(&self) -> async_graphql::Error {
        async_graphql::Error::new(self.to_string()).extend_with(|_, extensions| {
            extensions.set("code", self.code().as_str());
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
