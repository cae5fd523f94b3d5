//! What is checked on a parsed query before async-graphql validates and runs it: the rules of
//! the spec's validation that async-graphql 7.2 leaves unchecked, and the depth limit, counted
//! so that introspection (which GraphiQL and code generators need, nested 13 deep by graphql-js's
//! standard query) has a bound of its own.
//!
//! - Depth: the deepest field of an operation, not counting introspection, at most the
//!   configured depth; the deepest field inside `__schema` or `__type`, at most
//!   [`INTROSPECTION_DEPTH`].
//! - Directives Are Unique Per Location (§5.7.3): none of the executable directives
//!   (`@include`, `@skip`) repeats.
//! - All Variable Usages Are Allowed (§5.8.5): a nullable variable without a default is not
//!   used where a value is required.
//! - Values of Correct Type (§5.6.1), for the case async-graphql misses: an `Int` literal lies
//!   in the 32-bit range.
//!
//! The walk is defensive: the document has not been validated yet, so unknown types, fields and
//! fragments are passed over (async-graphql reports them), and fragment cycles end the walk.

use std::collections::{HashMap, HashSet};

use async_graphql::parser::Pos;
use async_graphql::parser::Positioned;
use async_graphql::parser::types::{
    BaseType, Directive, ExecutableDocument, OperationType, Selection, SelectionSet, Type,
};
use async_graphql_value::{ConstValue, Name, Value};

use super::shape::{Shape, inline_type, named};

/// How deep introspection may nest: graphql-js's standard introspection query needs 13.
pub const INTROSPECTION_DEPTH: usize = 20;

/// The most fields a query may select once its fragments are expanded (graphql-js's standard
/// introspection query selects about 300): a few fragments spread into each other many times
/// could otherwise make a short query select billions.
pub const MAX_FIELDS: u64 = 2_000;
/// The most `__schema` and `__type` fields one operation may select, fragments expanded:
/// introspection costs no points, and each `__schema` answers the whole schema (about 90 KB),
/// so aliases of it would make megabytes for nothing. Tools ask once.
pub const MAX_INTROSPECTIONS: u64 = 10;

/// Why a parsed query was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    TooDeep {
        limit: usize,
    },
    TooMuchIntrospection {
        limit: u64,
    },
    TooManyFields {
        limit: u64,
    },
    IntrospectionTooDeep {
        limit: usize,
    },
    RepeatedDirective {
        name: String,
        pos: Pos,
    },
    NullableVariable {
        variable: String,
        expected: String,
        pos: Pos,
    },
    IntOutOfRange {
        value: String,
        pos: Pos,
    },
}

impl Problem {
    /// Where in the query the problem is, when it is in one place.
    pub fn pos(&self) -> Option<Pos> {
        match self {
            Self::TooDeep { .. }
            | Self::IntrospectionTooDeep { .. }
            | Self::TooMuchIntrospection { .. }
            | Self::TooManyFields { .. } => None,
            Self::RepeatedDirective { pos, .. }
            | Self::NullableVariable { pos, .. }
            | Self::IntOutOfRange { pos, .. } => Some(*pos),
        }
    }
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::TooDeep { limit } => write!(f, "the query is nested deeper than {limit} fields"),
            Self::TooManyFields { limit } => write!(
                f,
                "the query selects more than {limit} fields once its fragments are expanded"
            ),
            Self::TooMuchIntrospection { limit } => write!(
                f,
                "the query selects `__schema` or `__type` more than {limit} times; ask once"
            ),
            Self::IntrospectionTooDeep { limit } => {
                write!(f, "the introspection is nested deeper than {limit} fields")
            }
            Self::RepeatedDirective { name, .. } => {
                write!(f, "the directive @{name} may appear once in one place")
            }
            Self::NullableVariable {
                variable, expected, ..
            } => write!(
                f,
                "the variable ${variable} may be null but is used where a value of type {expected} is required: declare it non-null or give it a default"
            ),
            Self::IntOutOfRange { value, .. } => write!(
                f,
                "{value} is not an Int: an Int lies between -2147483648 and 2147483647"
            ),
        }
    }
}

/// Checks every operation of `document`.
pub fn check(
    document: &ExecutableDocument,
    shape: &Shape,
    max_depth: usize,
) -> Result<(), Problem> {
    for (_, operation) in document.operations.iter() {
        let operation = &operation.node;
        let root = match operation.ty {
            OperationType::Query => "Query",
            OperationType::Mutation => "Mutation",
            OperationType::Subscription => "Subscription",
        };
        let variables = operation
            .variable_definitions
            .iter()
            .map(|definition| {
                let definition = &definition.node;
                (
                    &definition.name.node,
                    (
                        &definition.var_type.node,
                        definition
                            .default_value
                            .as_ref()
                            .is_some_and(|value| value.node != ConstValue::Null),
                    ),
                )
            })
            .collect();
        let mut walk = Walk {
            document,
            shape,
            variables,
            visiting: HashSet::new(),
            walked: HashMap::new(),
        };
        walk.directives(&operation.directives)?;
        let depth = walk.selection_set(&operation.selection_set.node, Some(root), false)?;
        if depth.regular > max_depth {
            return Err(Problem::TooDeep { limit: max_depth });
        }
        if depth.fields > MAX_FIELDS {
            return Err(Problem::TooManyFields { limit: MAX_FIELDS });
        }
        if depth.introspections > MAX_INTROSPECTIONS {
            return Err(Problem::TooMuchIntrospection {
                limit: MAX_INTROSPECTIONS,
            });
        }
        if depth.introspection > INTROSPECTION_DEPTH {
            return Err(Problem::IntrospectionTooDeep {
                limit: INTROSPECTION_DEPTH,
            });
        }
    }
    Ok(())
}

/// The extent of a selection set: the depths of its regular fields and of its introspection,
/// and how many fields it selects with its fragments expanded.
#[derive(Debug, Default, Clone, Copy)]
struct Depth {
    regular: usize,
    introspection: usize,
    fields: u64,
    /// The `__schema` and `__type` fields selected.
    introspections: u64,
}

impl Depth {
    /// The extent of two selections side by side: the deeper of each depth, the fields of both.
    fn beside(self, other: Self) -> Self {
        Self {
            regular: self.regular.max(other.regular),
            introspection: self.introspection.max(other.introspection),
            fields: self.fields.saturating_add(other.fields),
            introspections: self.introspections.saturating_add(other.introspections),
        }
    }
}

struct Walk<'a> {
    document: &'a ExecutableDocument,
    shape: &'a Shape,
    /// The operation's variables: their types, and whether they have a non-null default.
    variables: HashMap<&'a Name, (&'a Type, bool)>,
    /// The fragments being walked, so that a cycle ends the walk.
    visiting: HashSet<&'a str>,
    /// The depth of each fragment walked (inside introspection or not): a fragment spread many
    /// times is walked once, so the walk stays linear in the document's size.
    walked: HashMap<(&'a str, bool), Depth>,
}

impl<'a> Walk<'a> {
    /// Walks a selection set on the type `parent` (`None` when unknown), `inside_introspection`
    /// when it lies under `__schema` or `__type`.
    fn selection_set(
        &mut self,
        set: &'a SelectionSet,
        parent: Option<&'a str>,
        inside_introspection: bool,
    ) -> Result<Depth, Problem> {
        let mut depth = Depth::default();
        for selection in &set.items {
            self.directives(selection.node.directives())?;
            let found = match &selection.node {
                Selection::Field(field) => {
                    let field = &field.node;
                    let name = field.name.node.as_str();
                    let shape = parent.and_then(|parent| self.shape.field(parent, name));
                    for (argument, value) in &field.arguments {
                        let expected =
                            shape.and_then(|shape| shape.arguments.get(argument.node.as_str()));
                        if let Some(expected) = expected {
                            self.value(&value.node, &expected.ty, expected.has_default, value.pos)?;
                        }
                    }
                    let entry = !inside_introspection && matches!(name, "__schema" | "__type");
                    let introspection = inside_introspection || entry;
                    let inner = self.selection_set(
                        &field.selection_set.node,
                        shape.map(|shape| named(&shape.ty)),
                        introspection,
                    )?;
                    let fields = inner.fields.saturating_add(1);
                    let introspections = inner.introspections.saturating_add(u64::from(entry));
                    if introspection {
                        Depth {
                            regular: 0,
                            introspection: inner.introspection + 1,
                            fields,
                            introspections,
                        }
                    } else {
                        Depth {
                            regular: inner.regular + 1,
                            introspection: inner.introspection,
                            fields,
                            introspections,
                        }
                    }
                }
                Selection::InlineFragment(fragment) => {
                    let on = inline_type(&fragment.node, parent);
                    self.selection_set(&fragment.node.selection_set.node, on, inside_introspection)?
                }
                Selection::FragmentSpread(spread) => {
                    let name = spread.node.fragment_name.node.as_str();
                    let Some(fragment) = self.document.fragments.get(name) else {
                        continue;
                    };
                    if let Some(&depth) = self.walked.get(&(name, inside_introspection)) {
                        depth
                    } else if !self.visiting.insert(name) {
                        continue;
                    } else {
                        let fragment = &fragment.node;
                        self.directives(&fragment.directives)?;
                        let on = fragment.type_condition.node.on.node.as_str();
                        let depth = self.selection_set(
                            &fragment.selection_set.node,
                            Some(on),
                            inside_introspection,
                        )?;
                        self.visiting.remove(name);
                        self.walked.insert((name, inside_introspection), depth);
                        depth
                    }
                }
            };
            depth = depth.beside(found);
        }
        Ok(depth)
    }

    /// Checks the directives of one location: none repeats, and their arguments.
    fn directives(&self, directives: &'a [Positioned<Directive>]) -> Result<(), Problem> {
        let mut seen = HashSet::new();
        for directive in directives {
            let name = directive.node.name.node.as_str();
            if !seen.insert(name) {
                return Err(Problem::RepeatedDirective {
                    name: name.to_owned(),
                    pos: directive.pos,
                });
            }
            // `@include(if: Boolean!)` and `@skip(if: Boolean!)`, the executable directives.
            if matches!(name, "include" | "skip")
                && let Some(value) = directive.node.get_argument("if")
            {
                let required = Type::new("Boolean!").expect("a valid type");
                self.value(&value.node, &required, false, value.pos)?;
            }
        }
        Ok(())
    }

    /// Checks a value given where `expected` is required (a default there when
    /// `location_has_default`).
    fn value(
        &self,
        value: &'a Value,
        expected: &Type,
        location_has_default: bool,
        pos: Pos,
    ) -> Result<(), Problem> {
        match value {
            Value::Variable(variable) => {
                let Some(&(declared, has_default)) = self.variables.get(variable) else {
                    return Ok(());
                };
                let allowed = if !expected.nullable && declared.nullable {
                    has_default || location_has_default
                } else {
                    true
                };
                if !allowed {
                    return Err(Problem::NullableVariable {
                        variable: variable.to_string(),
                        expected: expected.to_string(),
                        pos,
                    });
                }
                Ok(())
            }
            Value::List(items) => {
                let item_type = match &expected.base {
                    BaseType::List(item) => item.as_ref(),
                    // A single value may stand for a list of one, and a list where a single
                    // value is expected is async-graphql's to refuse.
                    BaseType::Named(_) => return Ok(()),
                };
                items
                    .iter()
                    .try_for_each(|item| self.value(item, item_type, false, pos))
            }
            Value::Object(fields) => {
                let BaseType::Named(ty) = &expected.base else {
                    return Ok(());
                };
                for (name, field_value) in fields {
                    if let Some(field) = self.shape.input_field(ty, name) {
                        self.value(field_value, &field.ty, field.has_default, pos)?;
                    }
                }
                Ok(())
            }
            Value::Number(number) => {
                // Integers beyond 32 bits, where an Int (or a list of them) is expected.
                let integer = number
                    .as_i64()
                    .map(i128::from)
                    .or_else(|| number.as_u64().map(i128::from));
                let out_of_range =
                    integer.is_some_and(|n| i32::try_from(n).is_err()) && named(expected) == "Int";
                if out_of_range {
                    return Err(Problem::IntOutOfRange {
                        value: number.to_string(),
                        pos,
                    });
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use async_graphql::parser::parse_query;

    use super::*;

    const SDL: &str = r#"
        type Query { units(first: Int, filter: Filter): [Unit!]! node(id: ID!): Unit }
        type Unit { name: String! parent: Unit children(first: Int = 10): [Unit!]! }
        input Filter { level: Int! codes: [String!] within: ID }
    "#;

    fn checked(query: &str, max_depth: usize) -> Result<(), Problem> {
        let shape = Shape::from_sdl(SDL);
        let document = parse_query(query).expect("the test query parses");
        check(&document, &shape, max_depth)
    }

    #[test]
    fn depth_counts_fields_through_fragments() {
        let query = "{ units { ...deep } } fragment deep on Unit { parent { parent { name } } }";
        assert_eq!(checked(query, 4), Ok(()));
        assert_eq!(checked(query, 3), Err(Problem::TooDeep { limit: 3 }));
    }

    #[test]
    fn fragments_spread_many_times_are_walked_once_and_counted_every_time() {
        // Each level spreads the one below twice: 2^40 fields if walked at every spread.
        let mut query = String::from("{ node(id: 1) { ...f40 } } fragment f0 on Unit { name }");
        for level in 1..=40 {
            query.push_str(&format!(
                " fragment f{level} on Unit {{ ...f{below} ...f{below} }}",
                below = level - 1
            ));
        }
        assert_eq!(
            checked(&query, 2),
            Err(Problem::TooManyFields { limit: MAX_FIELDS })
        );
    }

    #[test]
    fn introspection_has_a_bound_of_its_own() {
        let mut nested = String::from("name");
        for _ in 0..10 {
            nested = format!("ofType {{ {nested} }}");
        }
        let query = format!("{{ __schema {{ types {{ fields {{ type {{ {nested} }} }} }} }} }}");
        assert_eq!(checked(&query, 2), Ok(()));
        let mut deeper = nested;
        for _ in 0..10 {
            deeper = format!("ofType {{ {deeper} }}");
        }
        let query = format!("{{ __schema {{ types {{ fields {{ type {{ {deeper} }} }} }} }} }}");
        assert_eq!(
            checked(&query, 2),
            Err(Problem::IntrospectionTooDeep {
                limit: INTROSPECTION_DEPTH
            })
        );
    }

    #[test]
    fn introspection_is_asked_for_a_few_times_at_most() {
        let once = "{ __schema { queryType { name } } }";
        assert!(checked(once, 12).is_ok());
        let many = "{ ...s ...s } fragment s on Query { a: __schema { types { name } } \
                    b: __schema { types { name } } c: __type(name: \"Query\") { name } \
                    d: __type(name: \"Query\") { name } e: __type(name: \"Query\") { name } \
                    f: __type(name: \"Query\") { name } }";
        assert!(matches!(
            checked(many, 12),
            Err(Problem::TooMuchIntrospection {
                limit: MAX_INTROSPECTIONS
            })
        ));
    }

    #[test]
    fn a_nullable_variable_without_default_may_not_fill_a_required_place() {
        assert!(matches!(
            checked("query($id: ID) { node(id: $id) { name } }", 5),
            Err(Problem::NullableVariable { variable, .. }) if variable == "id"
        ));
        assert_eq!(
            checked("query($id: ID = \"x\") { node(id: $id) { name } }", 5),
            Ok(())
        );
        assert_eq!(
            checked("query($id: ID!) { node(id: $id) { name } }", 5),
            Ok(())
        );
        assert!(matches!(
            checked("query($level: Int) { units(filter: {level: $level}) { name } }", 5),
            Err(Problem::NullableVariable { variable, .. }) if variable == "level"
        ));
        // A default at the location makes a nullable variable acceptable.
        assert_eq!(
            checked(
                "query($n: Int) { units { children(first: $n) { name } } }",
                5
            ),
            Ok(())
        );
        assert!(matches!(
            checked("query($show: Boolean) { units @include(if: $show) { name } }", 5),
            Err(Problem::NullableVariable { variable, .. }) if variable == "show"
        ));
    }

    #[test]
    fn an_int_literal_lies_in_32_bits() {
        assert!(matches!(
            checked("{ units(first: 2147483648) { name } }", 5),
            Err(Problem::IntOutOfRange { value, .. }) if value == "2147483648"
        ));
        assert!(matches!(
            checked("{ units(filter: {level: -2147483649}) { name } }", 5),
            Err(Problem::IntOutOfRange { .. })
        ));
        assert_eq!(checked("{ units(first: 2147483647) { name } }", 5), Ok(()));
    }

    #[test]
    fn a_directive_appears_once_in_one_place() {
        assert!(matches!(
            checked("{ units @include(if: true) @include(if: true) { name } }", 5),
            Err(Problem::RepeatedDirective { name, .. }) if name == "include"
        ));
        assert_eq!(
            checked("{ units @include(if: true) @skip(if: false) { name } }", 5),
            Ok(())
        );
    }

    #[test]
    fn fragment_cycles_end_the_walk() {
        let query = "{ units { ...a } } fragment a on Unit { parent { ...a } }";
        assert_eq!(checked(query, 5), Ok(()));
    }
}
