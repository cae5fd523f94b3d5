//! Refusals and outcomes, one shape for every area.
//!
//! A mutation that would break a rule of the domain changes nothing and says why: it returns
//! an [`Outcome`] whose `refusals` name the rules, each a value of its area's [`Refusal`] enum
//! with a stable code, the input field it is about and a message. The GraphQL layer turns them
//! into the payload's `userErrors` (one mapper for every area); a refusal is never an error, so
//! a retried request with an idempotency key gets the same outcome again.
//!
//! Each area declares its refusals with [`refusals!`], one line per refusal:
//!
//! ```text
//! refusals! {
//!     /// Why a change to a micro-wish was refused.
//!     pub enum WishRefusal for "MicroWish" {
//!         NotOpen => WISH_NOT_OPEN @ "wishId": "the wish is not open",
//!         NotPermitted => NOT_PERMITTED: "the caller's role does not allow this",
//!     }
//! }
//! ```
//!
//! reads: the refusal `NotOpen` has the code `WISH_NOT_OPEN`, is about the input field `wishId`,
//! and says "the wish is not open"; `NotPermitted` is about the request as a whole. Several
//! refusals may share a code when a client would act on them alike.

use sea_orm::DatabaseTransaction;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::ApiError;

/// A rule of an area that a change would break.
pub trait Refusal:
    Copy
    + Eq
    + std::fmt::Debug
    + std::fmt::Display
    + Serialize
    + DeserializeOwned
    + Send
    + Sync
    + 'static
{
    /// The area's name in the API, e.g. `MicroWish`: its refusals are `MicroWishUserError`s
    /// with a `MicroWishUserErrorCode`.
    const AREA: &'static str;
    /// What the area's refusals are, for the code enum's description.
    const DESCRIPTION: &'static str;
    /// Every refusal of the area, in the order declared.
    const ALL: &'static [Self];

    /// The stable code programs act on, in SCREAMING_SNAKE_CASE.
    fn code(self) -> &'static str;

    /// The input field the refusal is about, as the mutation's input names it (`wishId`);
    /// `None` when it is about the request as a whole (the caller's role, say).
    fn field(self) -> Option<&'static str>;
}

/// What a mutation did: the object as it stands after it (unchanged when refused; absent when
/// a creation was refused), and the refusals, empty when the change was made.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
#[serde(bound(serialize = "T: Serialize", deserialize = "T: DeserializeOwned"))]
pub struct Outcome<T, R: Refusal> {
    pub changed: Option<T>,
    pub refusals: Vec<R>,
}

impl<T, R: Refusal> Outcome<T, R> {
    /// The change was made; `changed` is the object after it.
    pub fn done(changed: T) -> Self {
        Self {
            changed: Some(changed),
            refusals: Vec::new(),
        }
    }

    /// The change was refused for one reason; `unchanged` is the object as it stands.
    pub fn refused(unchanged: Option<T>, refusal: R) -> Self {
        Self {
            changed: unchanged,
            refusals: vec![refusal],
        }
    }

    /// Whether the change was made.
    pub fn is_done(&self) -> bool {
        self.refusals.is_empty()
    }
}

/// Refuses a change inside a write transaction: rolls the transaction back, so that nothing
/// of the change stays, and answers with the refusal.
pub async fn refuse<T, R: Refusal>(
    txn: DatabaseTransaction,
    unchanged: Option<T>,
    refusal: R,
) -> Result<Outcome<T, R>, ApiError> {
    txn.rollback().await?;
    Ok(Outcome::refused(unchanged, refusal))
}

/// Declares an area's refusals: the enum, its messages (`Display`) and its [`Refusal`] table.
/// See the [module documentation](self) for the syntax.
macro_rules! refusals {
    (
        $(#[doc = $doc:literal])*
        $vis:vis enum $name:ident for $area:literal {
            $($variant:ident => $code:ident $(@ $field:literal)? : $message:literal),+ $(,)?
        }
    ) => {
        $(#[doc = $doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
        $vis enum $name {
            $(#[doc = $message] $variant),+
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(match self {
                    $(Self::$variant => $message),+
                })
            }
        }

        impl $crate::domain::outcome::Refusal for $name {
            const AREA: &'static str = $area;
            const DESCRIPTION: &'static str = concat!($($doc, "\n"),*);
            const ALL: &'static [Self] = &[$(Self::$variant),+];

            fn code(self) -> &'static str {
                match self {
                    $(Self::$variant => stringify!($code)),+
                }
            }

            fn field(self) -> Option<&'static str> {
                match self {
                    $(Self::$variant => $crate::domain::outcome::refusals!(@field $($field)?)),+
                }
            }
        }
    };
    (@field) => { None };
    (@field $field:literal) => { Some($field) };
}
pub(crate) use refusals;

#[cfg(test)]
pub mod tests {
    use super::Refusal;

    /// Checks an area's table: a description, codes in SCREAMING_SNAKE_CASE, fields in
    /// lowerCamelCase, and messages that read as a sentence's lower-case body.
    pub fn check_table<R: Refusal>() {
        assert!(
            !R::DESCRIPTION.trim().is_empty(),
            "{} has no description",
            R::AREA
        );
        for &refusal in R::ALL {
            let code = refusal.code();
            assert!(
                code.chars().all(|c| c.is_ascii_uppercase() || c == '_'),
                "{refusal:?}: the code {code} is not SCREAMING_SNAKE_CASE"
            );
            if let Some(field) = refusal.field() {
                assert!(
                    field.chars().all(|c| c.is_ascii_alphanumeric())
                        && field.starts_with(|c: char| c.is_ascii_lowercase()),
                    "{refusal:?}: the field {field} is not lowerCamelCase"
                );
            }
            let message = refusal.to_string();
            assert!(
                message.starts_with(|c: char| c.is_lowercase()) && !message.ends_with('.'),
                "{refusal:?}: the message {message:?} is not a sentence's lower-case body"
            );
        }
    }

    super::refusals! {
        /// Why a test change was refused.
        enum TestRefusal for "Test" {
            TooEarly => TOO_EARLY @ "at": "it is too early",
            TooLate => OUT_OF_TIME @ "at": "it is too late",
            Nobody => NOT_PERMITTED: "nobody may do this",
        }
    }

    #[test]
    fn a_table_line_gives_the_code_field_and_message() {
        assert_eq!(TestRefusal::TooEarly.code(), "TOO_EARLY");
        assert_eq!(TestRefusal::TooLate.field(), Some("at"));
        assert_eq!(TestRefusal::Nobody.field(), None);
        assert_eq!(TestRefusal::TooLate.to_string(), "it is too late");
        assert_eq!(TestRefusal::ALL.len(), 3);
        assert_eq!(TestRefusal::AREA, "Test");
        check_table::<TestRefusal>();
    }
}
