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
    /// The query costs more than one query may (see the `Query` type's description).
    QueryTooCostly,
    /// The request names its document by an id (`documentId`, or Apollo's
    /// `extensions.persistedQuery`) that this server does not know: send the document's text
    /// with the id once (automatic persisted queries), or register it as a trusted document.
    /// The message is `PersistedQueryNotFound`, which Apollo's clients recognise.
    PersistedQueryNotFound,
    /// The caller is an API client that runs trusted documents only, and the request is not
    /// one of them: its text, or an id that is not registered for the client.
    PersistedQueryNotAllowed,
    /// The caller's budget of query-cost points does not hold this query's cost: nothing was
    /// done, and the same request may be sent again after the HTTP `Retry-After` seconds
    /// (`extensions.cost.throttleStatus` says where the budget stands).
    Throttled,
    /// The database is unreachable or every connection is busy: nothing was done, and the
    /// same request may be sent again after the HTTP `Retry-After` seconds.
    ServiceUnavailable,
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
            Self::QueryTooCostly => "QUERY_TOO_COSTLY",
            Self::PersistedQueryNotFound => "PERSISTED_QUERY_NOT_FOUND",
            Self::PersistedQueryNotAllowed => "PERSISTED_QUERY_NOT_ALLOWED",
            Self::Throttled => "THROTTLED",
            Self::ServiceUnavailable => "SERVICE_UNAVAILABLE",
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
    /// The request's transaction collided with concurrent ones (a deadlock or a serialisation
    /// failure, see [`contended`]) and was rolled back: nothing was done, and it may be run
    /// again.
    #[error(
        "the request collided with concurrent changes and was rolled back; nothing was done, send it again"
    )]
    Contended,
    /// The database is unreachable or every connection is busy (see [`unavailable`]).
    #[error(
        "the database is busy or unreachable; nothing was done, send the request again shortly"
    )]
    Unavailable,
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
            Self::Unavailable | Self::Contended => ErrorCode::ServiceUnavailable,
            Self::Internal => ErrorCode::Internal,
        }
    }

    /// A database error, logged: [`ApiError::Unavailable`] when the database could not be
    /// reached in time, [`ApiError::Internal`] for anything else.
    pub fn from_db(err: &DbErr) -> Self {
        if contended(err) {
            tracing::warn!(error = %err, "transaction rolled back by the database");
            Self::Contended
        } else if unavailable(err) {
            tracing::warn!(error = %err, "database unavailable");
            Self::Unavailable
        } else {
            tracing::error!(error = %err, "database error");
            Self::Internal
        }
    }
}

impl From<DbErr> for ApiError {
    fn from(err: DbErr) -> Self {
        Self::from_db(&err)
    }
}

/// Whether the database rolled the transaction back because it collided with others: a
/// deadlock (SQLSTATE 40P01) or a serialisation failure (40001). Nothing of it was done, and the
/// same work run again will most likely go through.
pub fn contended(err: &DbErr) -> bool {
    use sea_orm::RuntimeErr;
    use sea_orm::sqlx::Error as Sqlx;
    match err {
        DbErr::Exec(RuntimeErr::SqlxError(err)) | DbErr::Query(RuntimeErr::SqlxError(err)) => {
            matches!(err.as_ref(), Sqlx::Database(err)
                if err.code().is_some_and(|code| code == "40P01" || code == "40001"))
        }
        _ => false,
    }
}

/// Whether a database error says the database could not serve the request right now, rather
/// than that the request or the server is wrong: no connection came within
/// `DATABASE_ACQUIRE_TIMEOUT`, a connection could not be opened or broke, or PostgreSQL is
/// shutting down or starting (SQLSTATE classes 08 and 57P). The same request may succeed
/// moments later, so the caller is told to retry.
pub fn unavailable(err: &DbErr) -> bool {
    use sea_orm::RuntimeErr;
    use sea_orm::sqlx::Error as Sqlx;
    match err {
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => true,
        DbErr::Exec(RuntimeErr::SqlxError(err)) | DbErr::Query(RuntimeErr::SqlxError(err)) => {
            match err.as_ref() {
                Sqlx::Io(_) | Sqlx::PoolTimedOut | Sqlx::PoolClosed | Sqlx::WorkerCrashed => true,
                Sqlx::Database(err) => err
                    .code()
                    .is_some_and(|code| code.starts_with("08") || code.starts_with("57P")),
                _ => false,
            }
        }
        _ => false,
    }
}
