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
//!   given), `nodes(ids:)` as many as it is given ids, a list of [`lists::ALL`] its `first` or
//!   its declared maximum, any other list (a mutation payload's) [`LIST_ITEMS`];
//! - each mutation field costs [`MUTATION_COST`] on top;
//! - the fields of [`FIELD_COSTS`] cost what it says instead of 1 (or 0 for a scalar);
//! - fragments count where they are spread, every type condition included.
//!
//! What a query actually cost ([`actual`]) is the same sum over its answer: each list at the
//! items it returned, nothing for a null.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::rc::Rc;

use async_graphql::indexmap::IndexMap;
use async_graphql::parser::types::{
    BaseType, ExecutableDocument, Field, OperationDefinition, OperationType, Selection,
    SelectionSet,
};
use async_graphql::{Name, Value, Variables};

use super::shape::{Shape, inline_type, named};
use crate::graphql::connection::{DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE};
use crate::graphql::lists::{self, List};

/// The items any other list counts as: the lists of a mutation's payload, which its own input
/// bounds (its user errors, the rows of a bulk call).
pub const LIST_ITEMS: u64 = 5;

/// The fixed cost of a mutation field, for the transaction, audit record and idempotency key it
/// writes.
pub const MUTATION_COST: u64 = 10;

/// Fields priced apart from their kind: the points each costs in place of 1 (an object) or 0 (a
/// scalar), before its selection. Rolled-up figures read every row below a unit; a report's CSV
/// is rendered on each read; the caller's own rate limit reads nothing and is free, so that
/// asking for it never spends.
pub const FIELD_COSTS: &[(&str, &str, u64)] = &[
    ("AdminUnit", "wishStatistics", 10),
    ("AdminUnit", "registrationStatistics", 10),
    ("FeedbackReport", "csv", 5),
    ("Query", "rateLimit", 0),
];

/// The cost of the field `name` of `parent` itself, when [`FIELD_COSTS`] lists it.
fn field_cost(parent: Option<&str>, name: &str) -> Option<u64> {
    let parent = parent?;
    FIELD_COSTS
        .iter()
        .find(|(ty, field, _)| *ty == parent && *field == name)
        .map(|(_, _, cost)| *cost)
}

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
        // Introspection reads no data.
        if name.starts_with("__") {
            return 0;
        }
        let base = field_cost(parent, name);
        // Scalars and enums.
        if field.selection_set.node.items.is_empty() {
            return base.unwrap_or(0);
        }
        let ty = named(&shape.ty);
        let inner_page = if ty.ends_with("Connection") {
            self.page(field)
        } else {
            page
        };
        let each = self
            .set(&field.selection_set.node, Some(ty), inner_page)
            .saturating_add(base.unwrap_or(1));
        let items = if !matches!(shape.ty.base, BaseType::List(_)) {
            1
        } else if parent.is_some_and(|parent| parent.ends_with("Connection")) {
            page
        } else if parent == Some("Query") && name == "nodes" {
            self.ids(field)
        } else if let Some(list) = parent.and_then(|parent| lists::declared(parent, name)) {
            self.list_items(field, list)
        } else {
            LIST_ITEMS
        };
        items.saturating_mul(each)
    }

    /// The page a connection field asks for: `first` or `last`, within the page limit (a larger
    /// one is refused when the field runs), or the default page.
    fn page(&self, field: &Field) -> u64 {
        self.asked(
            field,
            &["first", "last"],
            DEFAULT_PAGE_SIZE as u64,
            MAX_PAGE_SIZE as u64,
        )
    }

    /// The items a declared list may hold: its `first`, within its maximum (a larger one is
    /// refused when the field runs), or its maximum.
    fn list_items(&self, field: &Field, list: List) -> u64 {
        if !list.paged {
            return list.max;
        }
        self.asked(field, &["first"], list.max, list.max)
    }

    /// The largest of the counts `arguments` ask for, at most `max`; `default` when none does.
    fn asked(&self, field: &Field, arguments: &[&str], default: u64, max: u64) -> u64 {
        arguments
            .iter()
            .filter_map(|argument| self.argument(field, argument))
            .filter_map(|value| match value {
                Value::Number(number) => number.as_u64(),
                _ => None,
            })
            .max()
            .map_or(default, |size| size.min(max))
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

/// What `operation` of `document` cost, counted from its answer `data`: the model of
/// [`of`] with every list at the items it holds and nothing for a null, so never more than
/// [`of`] said for a list that holds no more than it was priced at.
pub fn actual(
    document: &ExecutableDocument,
    operation: &OperationDefinition,
    shape: &Shape,
    data: &Value,
) -> u64 {
    let Value::Object(answer) = data else {
        return 0;
    };
    let (root, base) = match operation.ty {
        OperationType::Query => ("Query", 0),
        OperationType::Mutation => ("Mutation", MUTATION_COST),
        OperationType::Subscription => ("Subscription", 0),
    };
    let fields = operation
        .selection_set
        .node
        .items
        .iter()
        .filter(|item| matches!(item.node, Selection::Field(_)))
        .count() as u64;
    let counting = Counting {
        document,
        shape,
        collected: RefCell::default(),
    };
    let root = [(&operation.selection_set.node, Some(root))];
    base.saturating_mul(fields)
        .saturating_add(counting.object(&root, answer))
}

/// A selection set and the type it selects on (`None` when unknown).
type Selecting<'a> = (&'a SelectionSet, Option<&'a str>);

/// A field as collected for an object of the answer: its response key, the field, and the type
/// it was selected on.
type Collected<'a> = Vec<(&'a str, &'a Field, Option<&'a str>)>;

struct Counting<'a> {
    document: &'a ExecutableDocument,
    shape: &'a Shape,
    /// The fields of each list of selection sets (by their addresses), collected once: every
    /// object of a list has the same ones.
    collected: RefCell<HashMap<Vec<usize>, Rc<Collected<'a>>>>,
}

impl<'a> Counting<'a> {
    /// What an object of the answer cost, whose fields `sets` select.
    fn object(&self, sets: &[Selecting<'a>], object: &IndexMap<Name, Value>) -> u64 {
        let fields = self.fields(sets);
        object
            .iter()
            .map(|(key, value)| {
                let mut selected = fields.iter().filter(|(k, _, _)| *k == key.as_str());
                let Some(&(_, field, on)) = selected.next() else {
                    return 0;
                };
                let name = field.name.node.as_str();
                if name.starts_with("__") {
                    return 0;
                }
                let ty = on
                    .and_then(|on| self.shape.field(on, name))
                    .map(|shape| named(&shape.ty));
                let children: Vec<Selecting<'a>> = std::iter::once(field)
                    .chain(selected.map(|&(_, field, _)| field))
                    .map(|field| (&field.selection_set.node, ty))
                    .collect();
                self.value(value, field_cost(on, name), &children)
            })
            .fold(0u64, u64::saturating_add)
    }

    fn value(&self, value: &Value, base: Option<u64>, children: &[Selecting<'a>]) -> u64 {
        match value {
            Value::Null => 0,
            Value::List(items) => items
                .iter()
                .map(|item| self.value(item, base, children))
                .fold(0u64, u64::saturating_add),
            Value::Object(object) => base
                .unwrap_or(1)
                .saturating_add(self.object(children, object)),
            _ => base.unwrap_or(0),
        }
    }

    /// The fields `sets` select, fragments expanded, in order.
    fn fields(&self, sets: &[Selecting<'a>]) -> Rc<Collected<'a>> {
        let key: Vec<usize> = sets
            .iter()
            .map(|(set, _)| std::ptr::from_ref(*set) as usize)
            .collect();
        if let Some(fields) = self.collected.borrow().get(&key) {
            return Rc::clone(fields);
        }
        let mut fields = Vec::new();
        for &(set, on) in sets {
            self.collect(set, on, &mut fields, &mut HashSet::new());
        }
        let fields = Rc::new(fields);
        self.collected.borrow_mut().insert(key, Rc::clone(&fields));
        fields
    }

    fn collect(
        &self,
        set: &'a SelectionSet,
        on: Option<&'a str>,
        into: &mut Collected<'a>,
        spread: &mut HashSet<&'a str>,
    ) {
        for item in &set.items {
            match &item.node {
                Selection::Field(field) => {
                    let field = &field.node;
                    let key = field.alias.as_ref().unwrap_or(&field.name).node.as_str();
                    into.push((key, field, on));
                }
                Selection::InlineFragment(fragment) => {
                    let fragment = &fragment.node;
                    let on = inline_type(fragment, on);
                    self.collect(&fragment.selection_set.node, on, into, spread);
                }
                Selection::FragmentSpread(fragment) => {
                    let name = fragment.node.fragment_name.node.as_str();
                    // Each fragment once per object, as the spec's field collection does.
                    if !spread.insert(name) {
                        continue;
                    }
                    if let Some(fragment) = self.document.fragments.get(name) {
                        let fragment = &fragment.node;
                        let on = Some(fragment.type_condition.node.on.node.as_str());
                        self.collect(&fragment.selection_set.node, on, into, spread);
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use async_graphql::parser::parse_query;

    use super::*;

    const SDL: &str = "
        type Query { units(first: Int, last: Int): UnitConnection! unit: Unit
                     adminUnit: AdminUnit
                     nodes(ids: [ID!]!): [Unit]! rateLimit: RateLimit! }
        type RateLimit { remaining: Int! }
        type AdminUnit { name: String! wishStatistics: Figures!
                         children(first: Int): [AdminUnit!]! }
        type Figures { total: Int! }
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
    fn a_declared_list_costs_its_first_or_its_maximum() {
        let max = lists::UNIT_CHILDREN.max;
        let priced = |query: &str| cost(query, serde_json::json!({ "n": 3 }));
        assert_eq!(priced("{ adminUnit { children { name } } }"), 1 + max);
        assert_eq!(
            priced("{ adminUnit { children(first: 2) { name } } }"),
            1 + 2
        );
        assert_eq!(
            priced("query($n: Int) { adminUnit { children(first: $n) { name } } }"),
            1 + 3
        );
        // Above the maximum, it is refused when it runs; priced at the maximum.
        assert_eq!(
            priced("{ adminUnit { children(first: 1000) { name } } }"),
            1 + max
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
    fn listed_fields_cost_what_the_table_says() {
        assert_eq!(
            cost("{ rateLimit { remaining } }", serde_json::json!({})),
            0
        );
        assert_eq!(
            cost(
                "{ ... on Query { unit { ... on AdminUnit { wishStatistics { total } } } } }",
                serde_json::json!({})
            ),
            1 + 10
        );
    }

    /// The actual cost of `query` that answered `data`.
    fn actual_cost(query: &str, data: serde_json::Value) -> u64 {
        let shape = Shape::from_sdl(SDL);
        let document = parse_query(query).expect("the test query parses");
        let (_, operation) = document.operations.iter().next().expect("an operation");
        let data = Value::from_json(data).expect("JSON data");
        actual(&document, &operation.node, &shape, &data)
    }

    #[test]
    fn the_actual_cost_counts_what_came_back() {
        let page = "{ units(first: 100) { totalCount nodes { name parent { name } } } }";
        let nodes = serde_json::json!([
            { "name": "a", "parent": { "name": "p" } },
            { "name": "b", "parent": null },
        ]);
        assert_eq!(
            actual_cost(
                page,
                serde_json::json!({ "units": { "totalCount": 2, "nodes": nodes } })
            ),
            1 + 2 + 1
        );
        assert_eq!(
            actual_cost("{ unit { name } }", serde_json::json!({ "unit": null })),
            0
        );
        // Aliases, fragments spread into one object once, and the table's prices.
        let query = "{ a: unit { ...u } b: unit { ...u ...u } rateLimit { remaining } }
                     fragment u on Unit { children { name } }";
        let unit = serde_json::json!({ "children": [{ "name": "x" }] });
        assert_eq!(
            actual_cost(
                query,
                serde_json::json!({ "a": unit, "b": unit, "rateLimit": { "remaining": 1 } })
            ),
            2 * (1 + 1)
        );
        assert_eq!(
            actual_cost(
                r#"mutation { rename(name: "x") { name } }"#,
                serde_json::json!({ "rename": null })
            ),
            MUTATION_COST
        );
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
