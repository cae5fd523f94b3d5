use async_graphql::{Context, ID, Object, Result};
use chrono::NaiveDate;
use entities::organization::{OrganizationKind, OrganizationStatus, ServiceCategory};
use entities::person::Gender;
use entities::{household, member_registration, member_report, party_member, post_claim};

use super::nodes::{
    AdminUnit, Department, MemberRegistration, MemberReport, Organization, PartyMember, Person,
    PostClaim,
};
use crate::domain::scope::may_see_personal_data;
use crate::graphql::context::ContextExt;
use crate::graphql::ids::NodeType;
use crate::graphql::lists;
use crate::graphql::loaders::{ChildrenOf, HomeOf};

impl Person {
    async fn home(&self, ctx: &Context<'_>) -> Result<Option<household::Model>> {
        match self.0.household_id {
            Some(id) => ctx.request()?.fetch(HomeOf(id)).await,
            None => Ok(None),
        }
    }

    /// Personal data is shown whole only to the person and to the staff of their community or
    /// grid; everyone else sees it masked.
    async fn may_unmask(&self, ctx: &Context<'_>) -> Result<bool> {
        let home = self.home(ctx).await?;
        Ok(may_see_personal_data(
            &ctx.request()?.principal,
            self.0.id,
            home.as_ref(),
        ))
    }

    /// Like [`may_unmask`](Self::may_unmask), for a read of personal data: an unmasked read of
    /// someone else's data is recorded for the audit log.
    async fn unmasked(&self, ctx: &Context<'_>) -> Result<bool> {
        let unmasked = self.may_unmask(ctx).await?;
        let request = ctx.request()?;
        if unmasked && request.principal.person_id != Some(self.0.id) {
            request.personal_data_reads.record(self.0.id);
        }
        Ok(unmasked)
    }
}

/// A person: a resident, a volunteer, a Party member or a staff member. Name, phone and ID
/// number are masked (张*, 138****5678) unless the caller is the person or staff of the
/// community or grid where they live.
#[Object]
impl Person {
    /// The person's opaque, globally unique id.
    pub async fn id(&self) -> ID {
        self.global_id()
    }

    /// Whether this caller sees the person's personal data whole.
    async fn personal_data_visible(&self, ctx: &Context<'_>) -> Result<bool> {
        let home = self.home(ctx).await?;
        Ok(may_see_personal_data(
            &ctx.request()?.principal,
            self.0.id,
            home.as_ref(),
        ))
    }

    /// The person's name; masked to its first character unless personal data is visible.
    async fn name(&self, ctx: &Context<'_>) -> Result<String> {
        Ok(if self.unmasked(ctx).await? {
            self.0.name.clone()
        } else {
            mask_name(&self.0.name)
        })
    }

    /// The person's phone number; masked to its first three and last four digits unless
    /// personal data is visible.
    async fn phone(&self, ctx: &Context<'_>) -> Result<Option<String>> {
        let unmasked = self.unmasked(ctx).await?;
        Ok(self.0.phone.as_deref().map(|phone| {
            if unmasked {
                phone.to_owned()
            } else {
                mask_middle(phone, 3, 4)
            }
        }))
    }

    /// The person's ID number; masked to its first three and last four characters unless
    /// personal data is visible.
    async fn id_number(&self, ctx: &Context<'_>) -> Result<Option<String>> {
        let unmasked = self.unmasked(ctx).await?;
        Ok(self.0.id_number.as_deref().map(|number| {
            if unmasked {
                number.to_owned()
            } else {
                mask_middle(number, 3, 4)
            }
        }))
    }

    /// The person's gender.
    async fn gender(&self) -> Option<Gender> {
        self.0.gender
    }

    /// Date of birth; null unless personal data is visible.
    async fn birth_date(&self, ctx: &Context<'_>) -> Result<Option<NaiveDate>> {
        Ok(if self.unmasked(ctx).await? {
            self.0.birth_date
        } else {
            None
        })
    }

    /// Whether the person lives alone; null unless personal data is visible.
    async fn lives_alone(&self, ctx: &Context<'_>) -> Result<Option<bool>> {
        Ok(self.unmasked(ctx).await?.then_some(self.0.lives_alone))
    }

    /// Whether the person's household is in hardship; null unless personal data is visible.
    async fn hardship(&self, ctx: &Context<'_>) -> Result<Option<bool>> {
        Ok(self.unmasked(ctx).await?.then_some(self.0.hardship))
    }

    /// The person's Party membership, if they are a Party member the caller may see.
    async fn party_member(&self, ctx: &Context<'_>) -> Result<Option<PartyMember>> {
        // A person is a Party member once at most.
        let membership = ChildrenOf::new(party_member::Column::PersonId, self.0.id, 1);
        let memberships: Vec<PartyMember> = ctx.request()?.first_children(membership, 1).await?;
        Ok(memberships.into_iter().next())
    }

    /// The community the person lives in, when registered.
    async fn community(&self, ctx: &Context<'_>) -> Result<Option<AdminUnit>> {
        let home = self.home(ctx).await?;
        ctx.request()?
            .load_opt(home.map(|home| home.community_id))
            .await
    }

    /// The grid the person lives in, when registered.
    async fn grid(&self, ctx: &Context<'_>) -> Result<Option<AdminUnit>> {
        let home = self.home(ctx).await?;
        ctx.request()?.load_opt(home.map(|home| home.grid_id)).await
    }
}

/// `张三` → `张*`: the family name stays, each other character becomes `*`.
fn mask_name(name: &str) -> String {
    let mut chars = name.chars();
    chars.next().into_iter().chain(chars.map(|_| '*')).collect()
}

/// `13812345678` → `138****5678`: keeps `head` leading and `tail` trailing characters.
fn mask_middle(text: &str, head: usize, tail: usize) -> String {
    let chars: Vec<char> = text.chars().collect();
    if chars.len() <= head + tail {
        return "*".repeat(chars.len());
    }
    chars
        .iter()
        .enumerate()
        .map(|(index, c)| {
            if index < head || index >= chars.len() - tail {
                *c
            } else {
                '*'
            }
        })
        .collect()
}

/// An organisation on the platform: a social organisation, a business, an in-office Party
/// unit, a district department or a community's own committee.
#[Object]
impl Organization {
    /// The organisation's opaque, globally unique id.
    pub async fn id(&self) -> ID {
        self.global_id()
    }

    /// The organisation's name.
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// What kind of organisation it is.
    async fn kind(&self) -> OrganizationKind {
        self.0.kind
    }

    /// Unified social credit code (统一社会信用代码).
    async fn credit_code(&self) -> Option<&str> {
        self.0.credit_code.as_deref()
    }

    /// Whether the organisation may act on the platform.
    async fn status(&self) -> OrganizationStatus {
        self.0.status
    }

    /// For social organisations: the professional service they bring in.
    async fn service_category(&self) -> Option<ServiceCategory> {
        self.0.service_category
    }

    /// The community the organisation is based in, if any.
    async fn community(&self, ctx: &Context<'_>) -> Result<Option<AdminUnit>> {
        ctx.request()?.load_opt(self.0.community_id).await
    }

    /// For a department's organisation: the department.
    async fn department(&self, ctx: &Context<'_>) -> Result<Option<Department>> {
        ctx.request()?.load_opt(self.0.department_id).await
    }
}

/// A Party member, belonging to the Party organisation of the unit where they work.
#[Object]
impl PartyMember {
    /// The member's opaque, globally unique id.
    pub async fn id(&self) -> ID {
        self.global_id()
    }

    /// The member as a person; null when the caller may not see the person.
    async fn person(&self, ctx: &Context<'_>) -> Result<Option<Person>> {
        ctx.request()?.load(self.0.person_id).await
    }

    /// The Party organisation of the member's own unit.
    async fn unit(&self, ctx: &Context<'_>) -> Result<Option<Organization>> {
        ctx.request()?.load(self.0.organization_id).await
    }

    /// Whether the member is in service (在职) rather than retired.
    async fn serving(&self) -> bool {
        self.0.serving
    }

    /// When the member joined the Party.
    async fn joined_party_on(&self) -> Option<NaiveDate> {
        self.0.joined_party_on
    }

    /// The member's registrations with residential communities, oldest first: at most 20
    /// (all of them through `memberRegistrations`).
    async fn registrations(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "At most this many, 1 to 20; 20 when left out.")] first: Option<i32>,
    ) -> Result<Vec<MemberRegistration>> {
        ctx.request()?
            .children(
                member_registration::Column::PartyMemberId,
                self.0.id,
                lists::MEMBER_REGISTRATIONS,
                first,
            )
            .await
    }

    /// The member's applications for and holdings of service posts the caller may see,
    /// oldest first: at most 20 (all of them through `postClaims`).
    async fn post_claims(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "At most this many, 1 to 20; 20 when left out.")] first: Option<i32>,
    ) -> Result<Vec<PostClaim>> {
        ctx.request()?
            .children(
                post_claim::Column::PartyMemberId,
                self.0.id,
                lists::MEMBER_POST_CLAIMS,
                first,
            )
            .await
    }

    /// The member's half-yearly self-reports the caller may see (drafts only to the member),
    /// oldest first: at most 20 (all of them through `memberReports`).
    async fn self_reports(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "At most this many, 1 to 20; 20 when left out.")] first: Option<i32>,
    ) -> Result<Vec<MemberReport>> {
        ctx.request()?
            .children(
                member_report::Column::PartyMemberId,
                self.0.id,
                lists::MEMBER_SELF_REPORTS,
                first,
            )
            .await
    }
}
