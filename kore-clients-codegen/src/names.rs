//! What the generator calls the spec's schemas in Rust.

/// The names of the components that are string enums (`type: string` with
/// an `enum`), whose uses are generated open.
pub(crate) fn string_enums(spec: &openapiv3::OpenAPI) -> Vec<String> {
    use openapiv3::{ReferenceOr, SchemaKind, Type};
    let Some(components) = &spec.components else {
        return Vec::new();
    };
    components
        .schemas
        .iter()
        .filter_map(|(name, schema)| match schema {
            ReferenceOr::Item(schema) => match &schema.schema_kind {
                SchemaKind::Type(Type::String(string)) if !string.enumeration.is_empty() => {
                    Some(name.clone())
                }
                _ => None,
            },
            ReferenceOr::Reference { .. } => None,
        })
        .collect()
}

/// The Rust name typify gives a component (`client_type` → `ClientType`).
pub(crate) fn rust_type_name(component: &str) -> String {
    crate::operations::pascal(&crate::operations::words(component))
}
