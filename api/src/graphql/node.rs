//! Relay Global Object Identification: opaque ids, the `Node` interface and `node` / `nodes`.

use async_graphql::{Context, ID, Interface, Object};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::context::ContextExt;
use super::types::*;
use crate::domain::scope::Scoped;
use crate::error::{ApiError, OrGql};

/// The most ids `nodes` takes at once.
const MAX_NODES: usize = 100;

/// An object type that is a `Node`: a wrapper around one row of one entity.
pub trait NodeType: Send + Sync + 'static {
    type Entity: Scoped<Model: Send + Sync + Clone>;
    /// The GraphQL type name, also the prefix inside its global ids.
    const NAME: &'static str;
    fn from_model(model: <Self::Entity as sea_orm::EntityTrait>::Model) -> Self;
    fn raw_id(&self) -> i64;

    /// The opaque global id of this object.
    fn global_id(&self) -> ID {
        global_id(Self::NAME, self.raw_id())
    }
}

/// Declares a node type wrapping one entity's row.
macro_rules! node_type {
    ($(#[$doc:meta])* $name:ident => $module:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone)]
        pub struct $name(pub entities::$module::Model);

        impl $crate::graphql::node::NodeType for $name {
            type Entity = entities::$module::Entity;
            const NAME: &'static str = stringify!($name);
            fn from_model(model: entities::$module::Model) -> Self {
                Self(model)
            }
            fn raw_id(&self) -> i64 {
                self.0.id
            }
        }
    };
}
pub(crate) use node_type;

pub fn global_id(type_name: &str, id: i64) -> ID {
    ID(URL_SAFE_NO_PAD.encode(format!("{type_name}:{id}")))
}

/// Splits a global id into its type name and row id.
pub fn decode(id: &ID) -> Result<(String, i64), ApiError> {
    URL_SAFE_NO_PAD
        .decode(id.as_str())
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .and_then(|text| {
            let (name, raw) = text.split_once(':')?;
            Some((name.to_owned(), raw.parse().ok()?))
        })
        .ok_or_else(|| ApiError::bad_input("id", format!("`{}` is not a Gongzhi id", id.as_str())))
}

/// The row id inside a global id that must name an `N`, for arguments such as `community: ID`.
pub fn decode_as<N: NodeType>(field: &str, id: &ID) -> Result<i64, ApiError> {
    match decode(id)? {
        (name, raw) if name == N::NAME => Ok(raw),
        _ => Err(ApiError::bad_input(
            field,
            format!("`{field}` must be the id of a {}", N::NAME),
        )),
    }
}

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
