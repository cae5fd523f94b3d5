//! Relay Global Object Identification: every object type is a wrapper around one row, and its
//! id is the opaque `base64url("TypeName:rowId")`. Arguments that take ids are read back here.

use async_graphql::ID;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::domain::scope::Scoped;
use crate::error::ApiError;

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

        impl $crate::graphql::ids::NodeType for $name {
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

/// The row id inside an optional id argument, checked to name an `N`.
pub fn optional_id<N: NodeType>(field: &str, id: Option<&ID>) -> Result<Option<i64>, ApiError> {
    id.map(|id| decode_as::<N>(field, id)).transpose()
}
