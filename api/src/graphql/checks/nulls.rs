//! A field error as the spec's error handling (§6.4.4, "Handling Field Errors") answers it:
//! async-graphql 7.2 drops a field whose resolver failed from `data`; the spec keeps it, as
//! `null` beside its error, and when the field's type is non-null the `null` propagates to the
//! parent field, up to `data` itself.

use async_graphql::parser::types::{
    BaseType, ExecutableDocument, OperationDefinition, OperationType, Selection, SelectionSet, Type,
};
use async_graphql::{PathSegment, Response, Value};

use super::shape::{Shape, named};

/// Puts every failed field of `response` back as `null` and propagates the nulls, by the types
/// of the fields the errors' paths name in `operation` (of type `root`) of `document`.
pub fn complete(
    response: &mut Response,
    document: &ExecutableDocument,
    operation: &OperationDefinition,
    shape: &Shape,
) {
    let paths: Vec<Vec<PathSegment>> = response
        .errors
        .iter()
        .filter(|error| !error.path.is_empty())
        .map(|error| error.path.clone())
        .collect();
    if paths.is_empty() {
        return;
    }
    let root = match operation.ty {
        OperationType::Query => "Query",
        OperationType::Mutation => "Mutation",
        OperationType::Subscription => "Subscription",
    };
    // async-graphql answers `null` when no root field succeeded.
    if response.data == Value::Null {
        response.data = Value::Object(Default::default());
    }
    for path in paths {
        let nullable = nullability(&path, &operation.selection_set.node, root, document, shape);
        set_null(&mut response.data, &path, &nullable);
    }
}

/// Whether the position of each segment of `path` may be null; `true` where unknown.
fn nullability(
    path: &[PathSegment],
    root: &SelectionSet,
    root_type: &str,
    document: &ExecutableDocument,
    shape: &Shape,
) -> Vec<bool> {
    let mut nullable = Vec::with_capacity(path.len());
    let mut set = Some(root);
    let mut parent = Some(root_type.to_owned());
    let mut current: Option<Type> = None;
    for segment in path {
        match segment {
            PathSegment::Field(key) => {
                let found = set.zip(parent.as_deref()).and_then(|(set, parent)| {
                    find_field(set, key, parent, document, &mut Vec::new())
                });
                match found.and_then(|(name, on, selections)| {
                    Some((shape.field(&on, name)?.ty.clone(), selections))
                }) {
                    Some((ty, selections)) => {
                        nullable.push(ty.nullable);
                        parent = Some(named(&ty).to_owned());
                        set = Some(selections);
                        current = Some(ty);
                    }
                    None => {
                        nullable.push(true);
                        (parent, set, current) = (None, None, None);
                    }
                }
            }
            PathSegment::Index(_) => {
                let item = current.as_ref().and_then(|ty| match &ty.base {
                    BaseType::List(item) => Some(item.as_ref().clone()),
                    BaseType::Named(_) => None,
                });
                nullable.push(item.as_ref().is_none_or(|item| item.nullable));
                current = item;
            }
        }
    }
    nullable
}

/// The field answered under `key` in `set` on `parent`: its name, the type it is selected on and
/// its selections; looked for through inline fragments and fragment spreads.
fn find_field<'a>(
    set: &'a SelectionSet,
    key: &str,
    parent: &str,
    document: &'a ExecutableDocument,
    visiting: &mut Vec<&'a str>,
) -> Option<(&'a str, String, &'a SelectionSet)> {
    for selection in &set.items {
        let found = match &selection.node {
            Selection::Field(field) => {
                let field = &field.node;
                (field.response_key().node.as_str() == key).then(|| {
                    (
                        field.name.node.as_str(),
                        parent.to_owned(),
                        &field.selection_set.node,
                    )
                })
            }
            Selection::InlineFragment(fragment) => {
                let on = fragment
                    .node
                    .type_condition
                    .as_ref()
                    .map_or(parent, |condition| condition.node.on.node.as_str());
                find_field(
                    &fragment.node.selection_set.node,
                    key,
                    on,
                    document,
                    visiting,
                )
            }
            Selection::FragmentSpread(spread) => {
                let name = spread.node.fragment_name.node.as_str();
                match document.fragments.get(name) {
                    Some(fragment) if !visiting.contains(&name) => {
                        visiting.push(name);
                        let on = fragment.node.type_condition.node.on.node.as_str();
                        let found = find_field(
                            &fragment.node.selection_set.node,
                            key,
                            on,
                            document,
                            visiting,
                        );
                        visiting.pop();
                        found
                    }
                    _ => None,
                }
            }
        };
        if found.is_some() {
            return found;
        }
    }
    None
}

/// Sets the value at `path` to null where it is missing, then propagates the null up through
/// every position that may not be null. (A field put back goes last; [`super::order`] puts it
/// where it was asked for.)
fn set_null(data: &mut Value, path: &[PathSegment], nullable: &[bool]) {
    // The deepest position that ends up null: the failed field, or the nearest ancestor of it
    // that may be null.
    let mut depth = path.len();
    while depth > 0 && !nullable.get(depth - 1).copied().unwrap_or(true) {
        depth -= 1;
    }
    if depth == 0 {
        *data = Value::Null;
        return;
    }
    let (parent_path, last) = path[..depth].split_at(depth - 1);
    let Some(parent) = walk(data, parent_path) else {
        // An ancestor is null already.
        return;
    };
    match (&last[0], parent) {
        (PathSegment::Field(key), Value::Object(fields)) => match fields.get_mut(key.as_str()) {
            Some(value) if depth < path.len() => *value = Value::Null,
            Some(_) => {}
            None => {
                fields.insert(async_graphql::Name::new(key), Value::Null);
            }
        },
        (PathSegment::Index(index), Value::List(items)) => {
            if let Some(item) = items.get_mut(*index) {
                *item = Value::Null;
            }
        }
        _ => {}
    }
}

/// The value at `path` in `data`, when every step exists and is not null.
fn walk<'a>(data: &'a mut Value, path: &[PathSegment]) -> Option<&'a mut Value> {
    let mut value = data;
    for segment in path {
        value = match (segment, value) {
            (PathSegment::Field(key), Value::Object(fields)) => fields.get_mut(key.as_str())?,
            (PathSegment::Index(index), Value::List(items)) => items.get_mut(*index)?,
            _ => return None,
        };
    }
    Some(value)
}

#[cfg(test)]
mod tests {
    use async_graphql::parser::parse_query;
    use async_graphql::{ServerError, value};

    use super::*;

    const SDL: &str = r#"
        type Query { a: Unit b: Unit! units: [Unit!]! maybe: [Unit] }
        type Unit { name: String! code: String parent: Unit! }
    "#;

    fn completed(query: &str, data: Value, path: Vec<PathSegment>) -> Value {
        let shape = Shape::from_sdl(SDL);
        let document = parse_query(query).expect("the test query parses");
        let mut error = ServerError::new("failed", None);
        error.path = path;
        let mut response = Response::new(data);
        response.errors.push(error);
        let (_, operation) = document.operations.iter().next().expect("an operation");
        complete(&mut response, &document, &operation.node, &shape);
        response.data
    }

    fn field(key: &str) -> PathSegment {
        PathSegment::Field(key.to_owned())
    }

    #[test]
    fn a_failed_nullable_field_is_null_beside_its_error() {
        let data = completed(
            "{ x: a { name } b { name } }",
            value!({ "b": { "name": "七一" } }),
            vec![field("x")],
        );
        assert_eq!(data, value!({ "x": null, "b": { "name": "七一" } }));
        let data = completed("{ a { name } }", Value::Null, vec![field("a")]);
        assert_eq!(data, value!({ "a": null }));
    }

    #[test]
    fn a_failed_non_null_field_nulls_its_nearest_nullable_ancestor() {
        let data = completed(
            "{ a { parent { name } } }",
            value!({ "a": {} }),
            vec![field("a"), field("parent")],
        );
        assert_eq!(data, value!({ "a": null }));
        let data = completed(
            "{ b { name } }",
            Value::Null,
            vec![field("b"), field("name")],
        );
        assert_eq!(data, Value::Null);
    }

    #[test]
    fn list_items_follow_their_own_nullability() {
        let data = completed(
            "{ maybe { name } }",
            value!({ "maybe": [{ "name": "a" }, {}] }),
            vec![field("maybe"), PathSegment::Index(1), field("name")],
        );
        assert_eq!(data, value!({ "maybe": [{ "name": "a" }, null] }));
        let data = completed(
            "{ units { name } b { name } }",
            value!({ "units": [{ "name": "a" }, {}], "b": { "name": "b" } }),
            vec![field("units"), PathSegment::Index(1), field("name")],
        );
        assert_eq!(data, Value::Null);
    }

    #[test]
    fn fields_in_fragments_are_found() {
        let data = completed(
            "{ ...q } fragment q on Query { ... on Query { y: a { name } } }",
            value!({}),
            vec![field("y")],
        );
        assert_eq!(data, value!({ "y": null }));
    }
}
