//! Response maps in the order the query asked (spec §7.2.2, "Serialized Map Ordering").
//! async-graphql 7.2 resolves an object's fields concurrently and answers them in the order they
//! finish, so a field that waits on the database (`totalCount`) lands after one that does not;
//! here every object of `data` is put back in the order of its selections.

use async_graphql::Value;
use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};

/// The order of one selection set: its response keys as asked, each once, and for each key the
/// order of what is selected inside it.
#[derive(Debug, Default)]
pub struct Plan<'a> {
    keys: Vec<&'a str>,
    inner: Vec<Plan<'a>>,
}

impl<'a> Plan<'a> {
    /// The plan of the selection sets `sets` (one, or several merged where fragments select the
    /// same key), through their fragments.
    pub fn new(sets: &[&'a SelectionSet], document: &'a ExecutableDocument) -> Self {
        let mut keys: Vec<&'a str> = Vec::new();
        let mut inner: Vec<Vec<&'a SelectionSet>> = Vec::new();
        for set in sets {
            collect(set, document, &mut keys, &mut inner, &mut Vec::new());
        }
        Self {
            keys,
            inner: inner
                .iter()
                .map(|sets| {
                    if sets.iter().all(|set| set.items.is_empty()) {
                        Plan::default()
                    } else {
                        Plan::new(sets, document)
                    }
                })
                .collect(),
        }
    }

    /// Puts the objects of `value` (and everything inside them) in this plan's order.
    pub fn apply(&self, value: &mut Value) {
        if self.keys.is_empty() {
            return;
        }
        match value {
            Value::List(items) => items.iter_mut().for_each(|item| self.apply(item)),
            Value::Object(fields) => {
                let position = |key: &str| {
                    self.keys
                        .iter()
                        .position(|asked| *asked == key)
                        .unwrap_or(usize::MAX)
                };
                let in_order = fields.keys().map(|key| position(key.as_str())).is_sorted();
                if !in_order {
                    fields.sort_by_cached_key(|key, _| position(key.as_str()));
                }
                for (key, field) in fields.iter_mut() {
                    if let Some(inner) = self.inner.get(position(key.as_str())) {
                        inner.apply(field);
                    }
                }
            }
            _ => {}
        }
    }
}

/// Adds the response keys of `set` to `keys`, and their selection sets to `inner` at the same
/// index, through fragments.
fn collect<'a>(
    set: &'a SelectionSet,
    document: &'a ExecutableDocument,
    keys: &mut Vec<&'a str>,
    inner: &mut Vec<Vec<&'a SelectionSet>>,
    visiting: &mut Vec<&'a str>,
) {
    for selection in &set.items {
        match &selection.node {
            Selection::Field(field) => {
                let key = field.node.response_key().node.as_str();
                let selections = &field.node.selection_set.node;
                match keys.iter().position(|seen| *seen == key) {
                    Some(index) => inner[index].push(selections),
                    None => {
                        keys.push(key);
                        inner.push(vec![selections]);
                    }
                }
            }
            Selection::InlineFragment(fragment) => {
                collect(
                    &fragment.node.selection_set.node,
                    document,
                    keys,
                    inner,
                    visiting,
                );
            }
            Selection::FragmentSpread(spread) => {
                let name = spread.node.fragment_name.node.as_str();
                if let Some(fragment) = document.fragments.get(name)
                    && !visiting.contains(&name)
                {
                    visiting.push(name);
                    collect(
                        &fragment.node.selection_set.node,
                        document,
                        keys,
                        inner,
                        visiting,
                    );
                    visiting.pop();
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use async_graphql::parser::parse_query;
    use async_graphql::parser::types::DocumentOperations;
    use async_graphql::value;

    use super::*;

    fn keys(value: &Value) -> Vec<String> {
        match value {
            Value::Object(fields) => fields.keys().map(ToString::to_string).collect(),
            _ => Vec::new(),
        }
    }

    #[test]
    fn objects_are_answered_in_the_order_asked_through_lists_and_fragments() {
        let document =
            parse_query("{ zz: a { ...f total } aa: b } fragment f on T { nodes { y x } }")
                .expect("the test query parses");
        let DocumentOperations::Single(operation) = &document.operations else {
            unreachable!("one operation")
        };
        let plan = Plan::new(&[&operation.node.selection_set.node], &document);
        let mut data = value!({
            "aa": 1,
            "zz": { "total": 2, "nodes": [{ "x": 1, "y": 2 }, { "x": 3, "y": 4 }] },
        });
        plan.apply(&mut data);
        assert_eq!(keys(&data), ["zz", "aa"]);
        let Value::Object(fields) = &data else {
            unreachable!("an object")
        };
        let zz = &fields["zz"];
        assert_eq!(keys(zz), ["nodes", "total"]);
        let Value::Object(zz) = zz else {
            unreachable!("an object")
        };
        let Value::List(nodes) = &zz["nodes"] else {
            unreachable!("a list")
        };
        assert!(nodes.iter().all(|node| keys(node) == ["y", "x"]));
    }
}
