//! Test support: the property names a type's OpenAPI schema declares (following `$ref`,
//! `allOf` and `anyOf`/`oneOf` through the components it registers) and the keys a value
//! actually serialises, so that a test can hold a schema to the bytes sent.

use std::collections::BTreeSet;

use serde_json::Value;
use utoipa::ToSchema;

/// Every property `T`'s schema names, its composed and referenced parts included.
pub fn schema_keys<T: ToSchema>() -> BTreeSet<String> {
    let mut components = Vec::new();
    T::schemas(&mut components);
    let components: serde_json::Map<String, Value> = components
        .into_iter()
        .map(|(name, s)| (name, serde_json::to_value(s).unwrap_or_default()))
        .collect();
    let root = serde_json::to_value(T::schema()).unwrap_or_default();
    let mut out = BTreeSet::new();
    collect(&root, &components, &mut out, 0);
    out
}

fn collect(
    schema: &Value,
    components: &serde_json::Map<String, Value>,
    out: &mut BTreeSet<String>,
    depth: usize,
) {
    assert!(depth < 16, "schema nests too deep: {schema}");
    if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
        let name = r.trim_start_matches("#/components/schemas/");
        let target = components
            .get(name)
            .unwrap_or_else(|| panic!("{r} is not registered"));
        return collect(target, components, out, depth + 1);
    }
    if let Some(props) = schema.get("properties").and_then(Value::as_object) {
        out.extend(props.keys().cloned());
    }
    for key in ["allOf", "anyOf", "oneOf"] {
        for part in schema
            .get(key)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            collect(part, components, out, depth + 1);
        }
    }
}

/// The keys `v` serialises as (an object expected).
pub fn sent_keys(v: &impl serde::Serialize) -> BTreeSet<String> {
    match serde_json::to_value(v) {
        Ok(Value::Object(m)) => m.keys().cloned().collect(),
        other => panic!("not an object: {other:?}"),
    }
}
