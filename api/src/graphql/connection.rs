//! Relay cursor connections over any scoped entity, with keyset pagination: a page costs one
//! indexed query (plus one `COUNT` only when `totalCount` is asked for), however deep it is.

use std::borrow::Cow;

use async_graphql::connection::PageInfo;
use async_graphql::{Context, ErrorExtensions, InputType, Object, OutputType, TypeName};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sea_orm::sea_query::{Expr, ExprTrait, IntoCondition, LikeExpr};
use sea_orm::{
    ColumnTrait, Condition, EntityTrait, Order, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Select,
};
use serde::{Deserialize, Serialize};

use super::batch::AllAtOnce;
use super::context::ContextExt;
use super::ids::NodeType;
use super::ordering::{OrderBy, OrderDirection, SortField, SortKey};
use crate::db;
use crate::domain::scope::Scoped;
use crate::error::ApiError;
use crate::graphql::errors::OrGql;

/// The most items one page may hold.
pub const MAX_PAGE_SIZE: usize = 100;
/// The page size when neither `first` nor `last` is given.
pub const DEFAULT_PAGE_SIZE: usize = 20;

/// The position of a row in an ordering: its sort key, then its id to break ties, and the list
/// and ordering it belongs to, so that it is refused anywhere else.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cursor {
    #[serde(rename = "k")]
    key: SortKey,
    #[serde(rename = "i")]
    id: i64,
    /// The list and its ordering: `adminUnits:Name:Asc`.
    #[serde(rename = "l")]
    list: String,
}

impl Cursor {
    /// Reads the cursor passed as the argument `field` (`after` or `before`) to `list`.
    fn decode(field: &str, text: &str, list: &str) -> Result<Self, ApiError> {
        let cursor: Self = URL_SAFE_NO_PAD
            .decode(text)
            .ok()
            .and_then(|json| serde_json::from_slice(&json).ok())
            .ok_or_else(|| {
                ApiError::bad_input(
                    field,
                    format!("`{field}` is not a cursor this API gave out"),
                )
            })?;
        if cursor.list != list {
            return Err(ApiError::bad_input(
                field,
                format!(
                    "`{field}` is a cursor of another list or ordering: take cursors from the same \
                     field with the same `orderBy`"
                ),
            ));
        }
        Ok(cursor)
    }

    fn encode(&self) -> String {
        let json = serde_json::to_vec(self).expect("a cursor always serialises");
        URL_SAFE_NO_PAD.encode(json)
    }
}

/// The name a list and its ordering give their cursors.
fn list_name<F: std::fmt::Debug>(field: &str, order: F, direction: OrderDirection) -> String {
    format!("{field}:{order:?}:{direction:?}")
}

/// Whether a cursor's sort key is of the kind `column` holds, so that a forged cursor cannot
/// compare a number with text in the database.
fn fits(column: &impl ColumnTrait, key: &SortKey) -> bool {
    use sea_orm::sea_query::ColumnType as T;
    matches!(
        (column.def().get_column_type(), key),
        (
            T::TinyInteger | T::SmallInteger | T::Integer | T::BigInteger,
            SortKey::Int(_)
        ) | (T::Char(_) | T::String(_) | T::Text, SortKey::Text(_))
            | (
                T::DateTime | T::Timestamp | T::TimestampWithTimeZone,
                SortKey::Time(_)
            )
    )
}

/// The Relay arguments of a connection field.
#[derive(Debug, Default, Clone)]
pub struct PageArgs {
    pub first: Option<i32>,
    pub after: Option<String>,
    pub last: Option<i32>,
    pub before: Option<String>,
}

/// One page of a list of `N`, as a Relay cursor connection.
pub struct NodeConnection<N: NodeType> {
    edges: Vec<NodeEdge<N>>,
    has_previous_page: bool,
    has_next_page: bool,
    /// The whole filtered and scoped list, counted only when `totalCount` is asked for.
    matching: Select<N::Entity>,
}

impl<N: NodeType + OutputType> TypeName for NodeConnection<N> {
    fn type_name() -> Cow<'static, str> {
        format!("{}Connection", N::type_name()).into()
    }
}

/// A page of a list, as a Relay cursor connection: its edges (or just their nodes), where it
/// stands in the list, and how long the list is.
#[Object(name_type)]
impl<N: NodeType + OutputType> NodeConnection<N> {
    /// The items of the page with their cursors.
    async fn edges(&self) -> AllAtOnce<&NodeEdge<N>> {
        AllAtOnce(self.edges.iter().collect())
    }

    /// The items of the page.
    async fn nodes(&self) -> AllAtOnce<&N> {
        AllAtOnce(self.edges.iter().map(|edge| &edge.node).collect())
    }

    /// Where the page stands in the list.
    async fn page_info(&self) -> PageInfo {
        PageInfo {
            has_previous_page: self.has_previous_page,
            has_next_page: self.has_next_page,
            start_cursor: self.edges.first().map(|edge| edge.cursor.encode()),
            end_cursor: self.edges.last().map(|edge| edge.cursor.encode()),
        }
    }

    /// How many items match the filter, over all pages.
    async fn total_count(&self, ctx: &Context<'_>) -> async_graphql::Result<u64> {
        self.matching
            .clone()
            .count(&ctx.request()?.db)
            .await
            .or_gql()
    }
}

/// An item of a list with its cursor.
pub struct NodeEdge<N> {
    cursor: Cursor,
    node: N,
}

impl<N: OutputType> TypeName for NodeEdge<N> {
    fn type_name() -> Cow<'static, str> {
        format!("{}Edge", N::type_name()).into()
    }
}

/// An item of a list, with the cursor that points at it.
#[Object(name_type)]
impl<N: NodeType + OutputType> NodeEdge<N> {
    /// The item.
    async fn node(&self) -> &N {
        &self.node
    }

    /// Pass it as `after` (or `before`) to continue the list after (or before) this item.
    async fn cursor(&self) -> String {
        self.cursor.encode()
    }
}

/// Loads one page of `select` (already filtered by the caller's arguments), restricted to what
/// the caller may see, in `ordering`.
pub async fn paginate<N, F>(
    ctx: &Context<'_>,
    select: Select<N::Entity>,
    (field, direction): (F, OrderDirection),
    page: PageArgs,
) -> async_graphql::Result<NodeConnection<N>>
where
    N: NodeType + OutputType,
    F: SortField<N::Entity>,
    <N::Entity as EntityTrait>::Model: Sync,
{
    let request = ctx.request()?;
    let select = select.filter(<N::Entity as Scoped>::visible_to(&request.principal));
    let list = list_name(ctx.field().name(), field, direction);
    let window = Window::from_args(&page, &list).or_gql()?;
    let column = field.column();
    for (argument, cursor) in [("after", &window.after), ("before", &window.before)] {
        if cursor
            .as_ref()
            .is_some_and(|cursor| !fits(&column, &cursor.key))
        {
            return Err(ApiError::bad_input(
                argument,
                format!("`{argument}` is not a cursor this API gave out"),
            ))
            .or_gql();
        }
    }

    let forward = !window.backward;
    let order = match (direction, forward) {
        (OrderDirection::Asc, true) | (OrderDirection::Desc, false) => Order::Asc,
        _ => Order::Desc,
    };
    let id = db::id_column::<N::Entity>();
    let mut query = select
        .clone()
        .order_by(column, order.clone())
        .order_by(id, order.clone());
    if let Some(cursor) = window.cursor() {
        query = query.filter(beyond(column, id, &order, cursor.clone()));
    }
    let limit = window.size as u64 + 1;
    let mut rows = query.limit(limit).all(&request.db).await.or_gql()?;
    let has_more = rows.len() > window.size;
    rows.truncate(window.size);
    if !forward {
        rows.reverse();
    }

    let (has_previous_page, has_next_page) = if forward {
        (window.after.is_some(), has_more)
    } else {
        (has_more, window.before.is_some())
    };
    let edges = rows
        .into_iter()
        .map(|row| NodeEdge {
            cursor: Cursor {
                key: field.key(&row),
                id: db::row_id::<N::Entity>(&row),
                list: list.clone(),
            },
            node: N::from_model(row),
        })
        .collect();
    Ok(NodeConnection {
        edges,
        has_previous_page,
        has_next_page,
        matching: select,
    })
}

/// Rows strictly after `cursor` in the direction of travel.
fn beyond<C: ColumnTrait>(column: C, id: C, direction: &Order, cursor: Cursor) -> Condition {
    let key: sea_orm::Value = cursor.key.into();
    let (past_key, past_id) = match direction {
        Order::Asc => (
            Expr::col(column).gt(key.clone()),
            Expr::col(id).gt(cursor.id),
        ),
        _ => (
            Expr::col(column).lt(key.clone()),
            Expr::col(id).lt(cursor.id),
        ),
    };
    Condition::any().add(past_key).add(
        Condition::all()
            .add(Expr::col(column).eq(key))
            .add(past_id)
            .into_condition(),
    )
}

/// The validated page window: its size, and the cursor it starts from.
struct Window {
    size: usize,
    after: Option<Cursor>,
    before: Option<Cursor>,
    /// Paging backwards (`last`, `before`).
    backward: bool,
}

impl Window {
    fn from_args(page: &PageArgs, list: &str) -> Result<Self, ApiError> {
        let size = |name: &str, value: i32| -> Result<usize, ApiError> {
            usize::try_from(value)
                .ok()
                .filter(|size| *size <= MAX_PAGE_SIZE)
                .ok_or_else(|| {
                    ApiError::bad_input(
                        name,
                        format!("`{name}` must be between 0 and {MAX_PAGE_SIZE}"),
                    )
                })
        };
        let after = page
            .after
            .as_deref()
            .map(|text| Cursor::decode("after", text, list))
            .transpose()?;
        let before = page
            .before
            .as_deref()
            .map(|text| Cursor::decode("before", text, list))
            .transpose()?;
        match (page.first, page.last) {
            (Some(_), Some(_)) => Err(ApiError::bad_input(
                "last",
                "pass `first` or `last`, not both",
            )),
            (_, Some(last)) => Ok(Self {
                size: size("last", last)?,
                after,
                before,
                backward: true,
            }),
            (first, None) => Ok(Self {
                size: first.map_or(Ok(DEFAULT_PAGE_SIZE), |first| size("first", first))?,
                after,
                before,
                backward: false,
            }),
        }
    }

    fn cursor(&self) -> Option<&Cursor> {
        if self.backward {
            self.before.as_ref()
        } else {
            self.after.as_ref()
        }
    }
}

/// The `filter` argument of a list: it narrows the rows of one entity.
pub trait ListFilter: Default {
    type Entity: EntityTrait;
    fn condition(self) -> Result<Condition, ApiError>;
}

/// `column` contains `text` literally: `%`, `_` and `\` in the text match themselves, on SQLite
/// and PostgreSQL alike.
pub fn contains_text<C: ColumnTrait>(column: C, text: &str) -> Condition {
    let mut pattern = String::with_capacity(text.len() + 2);
    pattern.push('%');
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    Condition::all().add(column.like(LikeExpr::new(pattern).escape('\\')))
}

/// A list field: the rows matching `filter`, scoped to the caller, in `order_by`, one page.
pub async fn list<N, F, O>(
    ctx: &Context<'_>,
    filter: Option<F>,
    order_by: Option<OrderBy<O>>,
    page: PageArgs,
) -> async_graphql::Result<NodeConnection<N>>
where
    N: NodeType + OutputType,
    F: ListFilter<Entity = N::Entity>,
    O: SortField<N::Entity> + InputType + Copy + Default,
    <N::Entity as EntityTrait>::Model: Sync,
{
    let condition = filter
        .unwrap_or_default()
        .condition()
        .map_err(|err| err.extend())?;
    paginate(
        ctx,
        N::Entity::find().filter(condition),
        OrderBy::or_default(order_by),
        page,
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    impl Window {
        fn from_args_for_test(page: &PageArgs) -> Result<Self, ApiError> {
            Self::from_args(page, "test:Id:Asc")
        }
    }

    fn page(first: Option<i32>, last: Option<i32>) -> PageArgs {
        PageArgs {
            first,
            last,
            ..PageArgs::default()
        }
    }

    #[test]
    fn a_cursor_reads_back_as_it_was_given_out() {
        for key in [
            SortKey::Int(42),
            SortKey::Text("七一社区".to_owned()),
            SortKey::Time("2026-11-29T08:00:00Z".parse().expect("a time")),
        ] {
            let cursor = Cursor {
                key,
                id: 7,
                list: "adminUnits:Name:Asc".to_owned(),
            };
            let decoded =
                Cursor::decode("after", &cursor.encode(), "adminUnits:Name:Asc").expect("a cursor");
            assert_eq!(decoded, cursor);
        }
    }

    #[test]
    fn a_cursor_not_given_out_is_bad_input_naming_its_argument() {
        let refused =
            Cursor::decode("before", "not-a-cursor", "adminUnits:Id:Asc").expect_err("refused");
        assert!(
            matches!(&refused, ApiError::BadUserInput { field: Some(field), .. } if field == "before"),
            "{refused:?}"
        );
    }

    #[test]
    fn a_cursor_of_another_list_or_ordering_is_refused() {
        let cursor = Cursor {
            key: SortKey::Text("七一社区".to_owned()),
            id: 7,
            list: list_name("adminUnits", "Name", OrderDirection::Asc),
        };
        let refused =
            Cursor::decode("after", &cursor.encode(), "adminUnits:Id:Asc").expect_err("refused");
        assert!(
            refused.to_string().contains("another list or ordering"),
            "{refused}"
        );
    }

    #[test]
    fn a_window_is_the_default_page_forwards_unless_told_otherwise() {
        let window = Window::from_args_for_test(&page(None, None)).expect("a window");
        assert_eq!((window.size, window.backward), (DEFAULT_PAGE_SIZE, false));
        let window = Window::from_args_for_test(&page(None, Some(5))).expect("a window");
        assert_eq!((window.size, window.backward), (5, true));
    }

    #[test]
    fn a_window_refuses_both_ends_and_sizes_out_of_range() {
        assert!(Window::from_args_for_test(&page(Some(1), Some(1))).is_err());
        assert!(Window::from_args_for_test(&page(Some(-1), None)).is_err());
        let most = i32::try_from(MAX_PAGE_SIZE).expect("a page size fits");
        assert!(Window::from_args_for_test(&page(Some(most), None)).is_ok());
        assert!(Window::from_args_for_test(&page(Some(most + 1), None)).is_err());
    }
}
