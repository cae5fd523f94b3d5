//! Refusals as `userErrors`: the one mapper from an area's [`Refusal`]s to the payload field
//! every mutation has.
//!
//! Each area's refusals become a GraphQL object `{Area}UserError` whose `code` is a value of the
//! enum `{Area}UserErrorCode`, generated from the area's refusal table, so that the codes are
//! part of the contract and clients can switch on them exhaustively. Every `{Area}UserError`
//! implements the interface `UserError` (`field`, `message`).
//!
//! `field` is the path from the mutation's arguments to what the refusal is about, and always
//! starts with `"input"`: `["input", "wishId"]`; `["input", "rows", "3", "memberId"]` for a row
//! of a list; `["input"]` when the refusal is about the request as a whole (the caller's role,
//! say). This is the convention of GitHub's and Shopify's APIs.

use std::borrow::Cow;

use async_graphql::indexmap::IndexMap;
use async_graphql::parser::types::Field;
use async_graphql::registry::{Deprecation, MetaEnumValue, MetaType, MetaTypeId, Registry};
use async_graphql::{
    ContextSelectionSet, Interface, Name, Object, OutputType, Positioned, ServerResult, TypeName,
    Value,
};

use crate::domain::dual_reporting::feedback_reports::FeedbackReportRefusal;
use crate::domain::dual_reporting::member_reports::MemberReportRefusal;
use crate::domain::dual_reporting::org_registrations::OrgRegistrationRefusal;
use crate::domain::dual_reporting::registrations::RegistrationRefusal;
use crate::domain::dual_reporting::service_posts::ServicePostRefusal;
use crate::domain::outcome::Refusal;
use crate::domain::trusted_documents::TrustedDocumentRefusal;
use crate::domain::volunteering::TeamRefusal;
use crate::domain::volunteering::VolunteeringRefusal;
use crate::domain::wishes::WishRefusal;

/// A rule of the district that the change would break: nothing was changed. `code` says which
/// rule, for programs; `message` says it for people; `field` points at the input it is about.
pub struct UserError<R> {
    refusal: R,
    field: Vec<String>,
}

impl<R: Refusal> UserError<R> {
    /// The refusal about the mutation's `input`.
    pub fn new(refusal: R) -> Self {
        Self::under(refusal, &[])
    }

    /// The refusal about an item of a list inside `input`, e.g. `under(r, &["rows", "3"])`.
    pub fn under(refusal: R, prefix: &[&str]) -> Self {
        let field = std::iter::once("input")
            .chain(prefix.iter().copied())
            .chain(refusal.field())
            .map(str::to_owned)
            .collect();
        Self { refusal, field }
    }

    /// The same refusal about another input field than its area's usual one: for a mutation
    /// whose input names the thing differently.
    pub fn about(mut self, field: &str) -> Self {
        self.field = vec!["input".to_owned(), field.to_owned()];
        self
    }

    pub fn refusal(&self) -> R {
        self.refusal
    }
}

/// The `userErrors` of an outcome's refusals.
pub fn user_errors<R: Refusal>(refusals: &[R]) -> Vec<UserError<R>> {
    refusals.iter().copied().map(UserError::new).collect()
}

impl<R: Refusal> TypeName for UserError<R> {
    fn type_name() -> Cow<'static, str> {
        format!("{}UserError", R::AREA).into()
    }
}

/// A rule of the district that the change would break: nothing was changed. `code` says which
/// rule, for programs; `message` says it for people; `field` points at the input it is about.
#[Object(name_type)]
impl<R: Refusal> UserError<R> {
    /// The path from the mutation's arguments to the input the error is about, always starting
    /// with `"input"`: `["input", "wishId"]`, `["input", "rows", "3", "memberId"]` for a row of
    /// a list, or `["input"]` when it is about the request as a whole.
    async fn field(&self) -> &[String] {
        &self.field
    }

    /// What went wrong, for people (English).
    async fn message(&self) -> String {
        self.refusal.to_string()
    }

    /// What went wrong, for programs: a stable code.
    async fn code(&self) -> UserErrorCode<R> {
        UserErrorCode(self.refusal)
    }
}

/// A rule of the district that a change would break: nothing was changed. Every payload's
/// `userErrors` are of its area's type implementing this interface (`MicroWishUserError`,
/// `VolunteeringUserError`, …), whose `code` is a value of the area's enum.
#[derive(Interface)]
#[graphql(
    name = "UserError",
    field(
        name = "field",
        ty = "&[String]",
        desc = "The path from the mutation's arguments to the input the error is about, always \
                starting with `\"input\"`."
    ),
    field(
        name = "message",
        ty = "String",
        desc = "What went wrong, for people (English)."
    )
)]
pub enum AnyUserError {
    MicroWish(UserError<WishRefusal>),
    Volunteering(UserError<VolunteeringRefusal>),
    VolunteerTeam(UserError<TeamRefusal>),
    MemberRegistration(UserError<RegistrationRefusal>),
    OrgRegistration(UserError<OrgRegistrationRefusal>),
    ServicePost(UserError<ServicePostRefusal>),
    FeedbackReport(UserError<FeedbackReportRefusal>),
    MemberReport(UserError<MemberReportRefusal>),
    TrustedDocument(UserError<TrustedDocumentRefusal>),
}

/// The code of a refusal, as a value of its area's enum `{Area}UserErrorCode`.
pub struct UserErrorCode<R>(R);

impl<R: Refusal> UserErrorCode<R> {
    /// Each code with its description: the messages of the refusals that carry it.
    fn values() -> IndexMap<String, MetaEnumValue> {
        let mut values: IndexMap<String, MetaEnumValue> = IndexMap::new();
        for &refusal in R::ALL {
            let message = capitalised(&refusal.to_string());
            let value = values
                .entry(refusal.code().to_owned())
                .or_insert_with(|| MetaEnumValue {
                    name: refusal.code().to_owned(),
                    description: None,
                    deprecation: Deprecation::NoDeprecated,
                    visible: None,
                    inaccessible: false,
                    tags: Vec::new(),
                    directive_invocations: Vec::new(),
                });
            value.description = Some(match value.description.take() {
                None => format!("{message}."),
                Some(earlier) => format!("{earlier} {message}."),
            });
        }
        values
    }
}

impl<R: Refusal> OutputType for UserErrorCode<R> {
    fn type_name() -> Cow<'static, str> {
        format!("{}UserErrorCode", R::AREA).into()
    }

    fn create_type_info(registry: &mut Registry) -> String {
        registry.create_output_type::<Self, _>(MetaTypeId::Enum, |_| MetaType::Enum {
            name: Self::type_name().into_owned(),
            description: Some(R::DESCRIPTION.trim().to_owned()),
            enum_values: Self::values(),
            visible: None,
            inaccessible: false,
            tags: Vec::new(),
            rust_typename: Some(std::any::type_name::<Self>()),
            directive_invocations: Vec::new(),
            requires_scopes: Vec::new(),
        })
    }

    async fn resolve(
        &self,
        _ctx: &ContextSelectionSet<'_>,
        _field: &Positioned<Field>,
    ) -> ServerResult<Value> {
        Ok(Value::Enum(Name::new(self.0.code())))
    }
}

fn capitalised(message: &str) -> String {
    let mut chars = message.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::outcome::tests::check_table;

    #[test]
    fn every_areas_refusal_table_is_well_formed() {
        check_table::<WishRefusal>();
        check_table::<VolunteeringRefusal>();
        check_table::<TeamRefusal>();
        check_table::<RegistrationRefusal>();
        check_table::<OrgRegistrationRefusal>();
        check_table::<ServicePostRefusal>();
        check_table::<FeedbackReportRefusal>();
        check_table::<MemberReportRefusal>();
        check_table::<TrustedDocumentRefusal>();
    }

    #[test]
    fn a_field_path_starts_at_the_input() {
        let error = UserError::new(WishRefusal::NotOpen);
        assert_eq!(error.field, ["input", "wishId"]);
        let error = UserError::under(RegistrationRefusal::UnknownMember, &["rows", "3"]);
        assert_eq!(error.field, ["input", "rows", "3", "memberId"]);
        let error = UserError::new(VolunteeringRefusal::NotOrganizer);
        assert_eq!(error.field, ["input"]);
        let error = UserError::new(VolunteeringRefusal::SignupNotApproved).about("activityId");
        assert_eq!(error.field, ["input", "activityId"]);
    }

    #[test]
    fn a_code_shared_by_refusals_is_described_by_all_of_them() {
        let values = UserErrorCode::<VolunteeringRefusal>::values();
        let window = values.get("INVALID_WINDOW").expect("the code exists");
        assert_eq!(
            window.description.as_deref(),
            Some("The activity must end after it starts. The activity must start in the future.")
        );
    }
}
