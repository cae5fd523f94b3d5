//! What a query costs before it runs, so that one request cannot ask for more than the server
//! will do for it: a connection is priced by the page it asks for, so 200 aliases of a
//! 100-item page cost 200 times a single one.
//!
//! The model (the `Query` type's description states it for partners):
//! - a field of a scalar or enum type costs 0, and so does introspection (`__typename`,
//!   `__schema`, `__type`), which reads no data;
//! - a field of an object type costs 1 plus the cost of its selection;
//! - a list of objects costs its selection once per item it may hold: a connection's `nodes`
//!   and `edges` hold its page (`first` or `last`, [`DEFAULT_PAGE_SIZE`] when neither is
//!   given), `nodes(ids:)` as many as it is given ids, any other list [`LIST_ITEMS`];
//! - each mutation field costs [`MUTATION_COST`] on top;
//! - fragments count where they are spread, every type condition included.

use std::collections::HashMap;

use async_graphql::parser::types::{
    BaseType, ExecutableDocument, Field, OperationDefinition, OperationType, Selection,
    SelectionSet,
};
use async_graphql::{Name, Value, Variables};

use super::shape::{Shape, inline_type, named};
use crate::graphql::connection::{DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE};

/// The items a list that is not a connection counts as: such lists (a unit's staff, a
/// member's registrations, a wish's history) hold a handful.
pub const LIST_ITEMS: u64 = 5;

/// The fixed cost of a mutation field, for the transaction, audit record and idempotency key it
/// writes.
pub const MUTATION_COST: u64 = 10;

/// The cost of `operation` of `document`, with these `variables`.
pub fn of(
    document: &ExecutableDocument,
    operation: &OperationDefinition,
    shape: &Shape,
    variables: &Variables,
) -> u64 {
    let defaults = operation
        .variable_definitions
        .iter()
        .filter_map(|definition| {
            let definition = &definition.node;
            let value = definition.default_value.as_ref()?.node.clone();
            Some((definition.name.node.clone(), value))
        })
        .collect();
    let mut pricing = Pricing {
        document,
        shape,
        variables,
        defaults,
        fragments: HashMap::new(),
    };
    let (root, base) = match operation.ty {
        OperationType::Query => ("Query", 0),
        OperationType::Mutation => ("Mutation", MUTATION_COST),
        OperationType::Subscription => ("Subscription", 0),
    };
    pricing.root(&operation.selection_set.node, root, base)
}

struct Pricing<'a> {
    document: &'a ExecutableDocument,
    shape: &'a Shape,
    variables: &'a Variables,
    /// The operation's variables' default values.
    defaults: HashMap<Name, Value>,
    /// What each fragment costs, by its name and the page it is spread into: a fragment spread
    /// many times is priced once, so pricing stays linear in the document's size. A fragment
    /// being priced is entered as 0, which ends a cycle (validation refuses cycles anyway).
    fragments: HashMap<(&'a str, u64), u64>,
}

impl<'a> Pricing<'a> {
    /// The root selection: each field of a mutation adds `base`.
    fn root(&mut self, set: &'a SelectionSet, root: &'a str, base: u64) -> u64 {
        let fields = set
            .items
            .iter()
            .filter(|item| matches!(item.node, Selection::Field(_)))
            .count() as u64;
        base.saturating_mul(fields).saturating_add(self.set(
            set,
            Some(root),
            DEFAULT_PAGE_SIZE as u64,
        ))
    }

    /// A selection set on the type `parent` (`None` when unknown), inside a connection whose page
    /// holds `page` items.
    fn set(&mut self, set: &'a SelectionSet, parent: Option<&'a str>, page: u64) -> u64 {
        set.items.iter().fold(0u64, |total, item| {
            let cost = match &item.node {
                Selection::Field(field) => self.field(&field.node, parent, page),
                Selection::InlineFragment(fragment) => {
                    let on = inline_type(&fragment.node, parent);
                    self.set(&fragment.node.selection_set.node, on, page)
                }
                Selection::FragmentSpread(spread) => {
                    let name = spread.node.fragment_name.node.as_str();
                    self.fragment(name, page)
                }
            };
            total.saturating_add(cost)
        })
    }

    fn fragment(&mut self, name: &'a str, page: u64) -> u64 {
        if let Some(&cost) = self.fragments.get(&(name, page)) {
            return cost;
        }
        let Some(fragment) = self.document.fragments.get(name) else {
            return 0;
        };
        self.fragments.insert((name, page), 0);
        let fragment = &fragment.node;
        let on = fragment.type_condition.node.on.node.as_str();
        let cost = self.set(&fragment.selection_set.node, Some(on), page);
        self.fragments.insert((name, page), cost);
        cost
    }

    fn field(&mut self, field: &'a Field, parent: Option<&'a str>, page: u64) -> u64 {
        let name = field.name.node.as_str();
        let Some(shape) = parent.and_then(|parent| self.shape.field(parent, name)) else {
            return 0;
        };
        // Scalars, enums, and introspection, which reads no data.
        if name.starts_with("__") || field.selection_set.node.items.is_empty() {
            return 0;
        }
        let ty = named(&shape.ty);
        let inner_page = if ty.ends_with("Connection") {
            self.page(field)
        } else {
            page
        };
        let each = self
            .set(&field.selection_set.node, Some(ty), inner_page)
            .saturating_add(1);
        let items = if !matches!(shape.ty.base, BaseType::List(_)) {
            1
        } else if parent.is_some_and(|parent| parent.ends_with("Connection")) {
            page
        } else if parent == Some("Query") && name == "nodes" {
            self.ids(field)
        } else {
            LIST_ITEMS
        };
        items.saturating_mul(each)
    }

    /// The page a connection field asks for: `first` or `last`, within the page limit (a larger
    /// one is refused when the field runs), or the default page.
    fn page(&self, field: &Field) -> u64 {
        ["first", "last"]
            .iter()
            .filter_map(|argument| self.argument(field, argument))
            .filter_map(|value| match value {
                Value::Number(number) => number.as_u64(),
                _ => None,
            })
            .max()
            .map_or(DEFAULT_PAGE_SIZE as u64, |size| {
                size.min(MAX_PAGE_SIZE as u64)
            })
    }

    /// How many ids `nodes(ids:)` is given.
    fn ids(&self, field: &Field) -> u64 {
        match self.argument(field, "ids") {
            Some(Value::List(ids)) => ids.len() as u64,
            Some(Value::Null) | None => 0,
            Some(_) => 1,
        }
    }

    /// The value of an argument, with variables resolved.
    fn argument(&self, field: &Field, name: &str) -> Option<Value> {
        let value = field.get_argument(name)?;
        value
            .node
            .clone()
            .into_const_with(|variable| {
                self.variables
                    .get(&variable)
                    .or_else(|| self.defaults.get(&variable))
                    .cloned()
                    .ok_or(())
            })
            .ok()
    }
}

#[cfg(test)]
mod tests {
    use async_graphql::parser::parse_query;

    use super::*;

    const SDL: &str = "
        type Query { units(first: Int, last: Int): UnitConnection! unit: Unit
                     nodes(ids: [ID!]!): [Unit]! }
        type Mutation { rename(name: String!): Unit }
        type UnitConnection { nodes: [Unit!]! edges: [UnitEdge!]! totalCount: Int! }
        type UnitEdge { cursor: String! node: Unit! }
        type Unit { name: String! parent: Unit children: [Unit!]!
                    units(first: Int): UnitConnection! }
    ";

    fn cost(query: &str, variables: serde_json::Value) -> u64 {
        let shape = Shape::from_sdl(SDL);
        let document = parse_query(query).expect("the test query parses");
        let (_, operation) = document.operations.iter().next().expect("an operation");
        of(
            &document,
            &operation.node,
            &shape,
            &Variables::from_json(variables),
        )
    }

    #[test]
    fn scalars_are_free_and_objects_cost_one() {
        assert_eq!(cost("{ __typename }", serde_json::json!({})), 0);
        assert_eq!(cost("{ unit { name } }", serde_json::json!({})), 1);
        assert_eq!(
            cost("{ unit { parent { name } } }", serde_json::json!({})),
            2
        );
    }

    #[test]
    fn a_connection_costs_its_page() {
        // The connection 1, then each node of the page.
        assert_eq!(
            cost(
                "{ units(first: 100) { nodes { name } } }",
                serde_json::json!({})
            ),
            101
        );
        assert_eq!(
            cost(
                "{ units { totalCount nodes { name } } }",
                serde_json::json!({})
            ),
            21
        );
        assert_eq!(
            cost(
                "query($n: Int) { units(last: $n) { edges { node { name } } } }",
                serde_json::json!({ "n": 5 })
            ),
            1 + 5 * 2
        );
        // Nested pages multiply.
        assert_eq!(
            cost(
                "{ units(first: 10) { nodes { units(first: 10) { nodes { name } } } } }",
                serde_json::json!({})
            ),
            1 + 10 * (1 + 1 + 10)
        );
    }

    #[test]
    fn aliases_each_count() {
        let one = "a0: units(first: 100) { nodes { name } }";
        let many: String = (0..200)
            .map(|i| one.replace("a0", &format!("a{i}")))
            .collect();
        assert_eq!(
            cost(&format!("{{ {many} }}"), serde_json::json!({})),
            200 * 101
        );
    }

    #[test]
    fn other_lists_count_a_handful_and_nodes_its_ids() {
        assert_eq!(
            cost("{ unit { children { name } } }", serde_json::json!({})),
            1 + LIST_ITEMS
        );
        assert_eq!(
            cost(
                r#"{ nodes(ids: ["a", "b", "c"]) { name } }"#,
                serde_json::json!({})
            ),
            3
        );
    }

    #[test]
    fn fragments_count_where_spread_and_are_priced_once() {
        let query =
            "{ units(first: 50) { ...page } } fragment page on UnitConnection { nodes { name } }";
        assert_eq!(cost(query, serde_json::json!({})), 51);
        // Each level spreads the one below twice: 2^40 fields, priced in a moment.
        let mut document =
            String::from("{ unit { ...f40 } } fragment f0 on Unit { parent { name } }");
        for level in 1..=40 {
            document.push_str(&format!(
                " fragment f{level} on Unit {{ ...f{below} ...f{below} }}",
                below = level - 1
            ));
        }
        assert_eq!(cost(&document, serde_json::json!({})), 1 + (1u64 << 40));
    }

    #[test]
    fn mutations_have_a_base_cost() {
        assert_eq!(
            cost(
                r#"mutation { rename(name: "x") { name } }"#,
                serde_json::json!({})
            ),
            MUTATION_COST + 1
        );
    }
}
