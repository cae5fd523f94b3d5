//! The schema's shape as the checks need it: for every object, interface and input object type,
//! its fields with their types, and for output fields their arguments; read once, from the SDL
//! the schema prints, so it is exactly what partners see.

use std::collections::HashMap;

use async_graphql::parser::types::{
    BaseType, FieldDefinition, InlineFragment, InputValueDefinition, Type, TypeKind,
    TypeSystemDefinition,
};
use async_graphql::parser::{Positioned, parse_schema};

/// An argument or an input object field: its type, and whether it has a default value.
#[derive(Debug, Clone)]
pub struct InputShape {
    pub ty: Type,
    pub has_default: bool,
}

/// An output field: its type and its arguments.
#[derive(Debug, Clone)]
pub struct FieldShape {
    pub ty: Type,
    pub arguments: HashMap<String, InputShape>,
}

/// The fields of the schema's types, by type name.
#[derive(Debug, Default)]
pub struct Shape {
    outputs: HashMap<String, HashMap<String, FieldShape>>,
    inputs: HashMap<String, HashMap<String, InputShape>>,
}

impl Shape {
    /// Reads the shape of the schema whose SDL is `sdl`, with the introspection fields every
    /// query type has (`__schema`, `__type(name: String!)`).
    pub fn from_sdl(sdl: &str) -> Self {
        let mut shape = Self::default();
        let document = parse_schema(sdl).expect("the schema's own SDL parses");
        for definition in document.definitions {
            let TypeSystemDefinition::Type(definition) = definition else {
                continue;
            };
            let definition = definition.node;
            let name = definition.name.node.to_string();
            match definition.kind {
                TypeKind::Object(object) => {
                    shape.outputs.insert(name, output_fields(&object.fields));
                }
                TypeKind::Interface(interface) => {
                    shape.outputs.insert(name, output_fields(&interface.fields));
                }
                TypeKind::InputObject(input) => {
                    shape.inputs.insert(name, input_fields(&input.fields));
                }
                _ => {}
            }
        }
        if let Some(query) = shape.outputs.get_mut("Query") {
            query.insert("__schema".to_owned(), field("__Schema!", &[]));
            query.insert("__type".to_owned(), field("__Type", &[("name", "String!")]));
        }
        shape
    }

    /// The field `name` of the output type `ty`, when both exist.
    pub fn field(&self, ty: &str, name: &str) -> Option<&FieldShape> {
        self.outputs.get(ty)?.get(name)
    }

    /// The field `name` of the input object type `ty`, when both exist.
    pub fn input_field(&self, ty: &str, name: &str) -> Option<&InputShape> {
        self.inputs.get(ty)?.get(name)
    }
}

/// The type an inline fragment's selection is on: its type condition, or else `parent`, the
/// type of the selection set it stands in.
pub fn inline_type<'a>(fragment: &'a InlineFragment, parent: Option<&'a str>) -> Option<&'a str> {
    fragment
        .type_condition
        .as_ref()
        .map(|condition| condition.node.on.node.as_str())
        .or(parent)
}

/// The name of the named type inside `ty`'s lists and non-nulls.
pub fn named(ty: &Type) -> &str {
    match &ty.base {
        BaseType::Named(name) => name.as_str(),
        BaseType::List(item) => named(item),
    }
}

fn output_fields(fields: &[Positioned<FieldDefinition>]) -> HashMap<String, FieldShape> {
    fields
        .iter()
        .map(|field| {
            let field = &field.node;
            (
                field.name.node.to_string(),
                FieldShape {
                    ty: field.ty.node.clone(),
                    arguments: input_fields(&field.arguments),
                },
            )
        })
        .collect()
}

fn input_fields(fields: &[Positioned<InputValueDefinition>]) -> HashMap<String, InputShape> {
    fields
        .iter()
        .map(|field| {
            let field = &field.node;
            (
                field.name.node.to_string(),
                InputShape {
                    ty: field.ty.node.clone(),
                    has_default: field.default_value.is_some(),
                },
            )
        })
        .collect()
}

fn field(ty: &str, arguments: &[(&str, &str)]) -> FieldShape {
    let parse = |ty: &str| Type::new(ty).expect("a valid type");
    FieldShape {
        ty: parse(ty),
        arguments: arguments
            .iter()
            .map(|(name, ty)| {
                (
                    (*name).to_owned(),
                    InputShape {
                        ty: parse(ty),
                        has_default: false,
                    },
                )
            })
            .collect(),
    }
}
