//! `node(id:)` and `nodes(ids:)`: any object by its global id (Relay Global Object
//! Identification), as the caller may see it.

use async_graphql::{Context, ID, Interface, Object};

use crate::error::ApiError;
use crate::graphql::context::ContextExt;
use crate::graphql::errors::OrGql;
use crate::graphql::ids::{NodeType, decode};
use crate::graphql::types::{
    ActivitySignup, AdminUnit, Department, FeedbackReport, MemberRegistration, MemberReport,
    MicroWish, OrgRegistration, Organization, PartyMember, Person, PostClaim, ServiceCentre,
    ServicePost, ServiceRecord, StaffAssignment, TeamMembership, VolunteerActivity, VolunteerTeam,
    WishClaim,
};

/// The most ids `nodes` takes at once.
const MAX_NODES: usize = 100;

/// An object with a globally unique, opaque id that `node(id:)` fetches again.
#[derive(Interface)]
#[graphql(field(
    name = "id",
    ty = "ID",
    desc = "The object's opaque, globally unique id."
))]
pub enum Node {
    AdminUnit(AdminUnit),
    StaffAssignment(StaffAssignment),
    ServiceCentre(ServiceCentre),
    Department(Department),
    Person(Person),
    Organization(Organization),
    PartyMember(PartyMember),
    OrgRegistration(OrgRegistration),
    MemberRegistration(MemberRegistration),
    ServicePost(ServicePost),
    PostClaim(PostClaim),
    FeedbackReport(FeedbackReport),
    MemberReport(MemberReport),
    VolunteerTeam(VolunteerTeam),
    TeamMembership(TeamMembership),
    VolunteerActivity(VolunteerActivity),
    ActivitySignup(ActivitySignup),
    ServiceRecord(ServiceRecord),
    MicroWish(MicroWish),
    WishClaim(WishClaim),
}

async fn load_node(ctx: &Context<'_>, id: &ID) -> async_graphql::Result<Option<Node>> {
    let (name, raw) = decode(id).or_gql()?;
    let request = ctx.request()?;
    macro_rules! load_as {
        ($($type:ident),*) => {
            match name.as_str() {
                $(<$type as NodeType>::NAME => request.load::<$type>(raw).await?.map(Node::$type),)*
                _ => None,
            }
        };
    }
    Ok(load_as!(
        AdminUnit,
        StaffAssignment,
        ServiceCentre,
        Department,
        Person,
        Organization,
        PartyMember,
        OrgRegistration,
        MemberRegistration,
        ServicePost,
        PostClaim,
        FeedbackReport,
        MemberReport,
        VolunteerTeam,
        TeamMembership,
        VolunteerActivity,
        ActivitySignup,
        ServiceRecord,
        MicroWish,
        WishClaim
    ))
}

#[derive(Default)]
pub struct NodeQuery;

#[Object]
impl NodeQuery {
    /// Fetches any object by its global id. An id that names nothing the caller may see gives
    /// a NOT_FOUND error, the same whether the object is missing or out of the caller's scope.
    async fn node(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The object's global id.")] id: ID,
    ) -> async_graphql::Result<Option<Node>> {
        match load_node(ctx, &id).await? {
            Some(node) => Ok(Some(node)),
            None => Err(ApiError::NotFound(format!("node `{}`", id.as_str()))).or_gql(),
        }
    }

    /// Fetches up to 100 objects by their global ids, in the order given; null for each id that
    /// does not exist or that the caller may not see.
    async fn nodes(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The objects' global ids.")] ids: Vec<ID>,
    ) -> async_graphql::Result<Vec<Option<Node>>> {
        if ids.len() > MAX_NODES {
            return Err(ApiError::bad_input(
                "ids",
                format!("at most {MAX_NODES} ids at once"),
            ))
            .or_gql();
        }
        // Loading all ids concurrently lets the loaders batch them per type.
        futures::future::try_join_all(ids.iter().map(|id| load_node(ctx, id))).await
    }
}
