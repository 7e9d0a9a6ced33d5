//! The OpenAPI side of an answer whose shape depends on who asks (a ticket, the snapshot):
//! `anyOf` its staff type and its public type, both registered. The types themselves say
//! what each audience gets; this only writes the schema once for every such answer.

use utoipa::openapi::schema::{AnyOfBuilder, Schema};
use utoipa::openapi::{Ref, RefOr};
use utoipa::ToSchema;

/// `anyOf` references to `Staff` and `Public`, with `description`.
pub fn any_of<Staff: ToSchema, Public: ToSchema>(description: &str) -> RefOr<Schema> {
    AnyOfBuilder::new()
        .item(Ref::from_schema_name(Staff::name()))
        .item(Ref::from_schema_name(Public::name()))
        .description(Some(description))
        .into()
}

/// Registers `Staff` and `Public` and every schema they refer to.
pub fn register<Staff: ToSchema, Public: ToSchema>(schemas: &mut Vec<(String, RefOr<Schema>)>) {
    schemas.push((Staff::name().into_owned(), Staff::schema()));
    schemas.push((Public::name().into_owned(), Public::schema()));
    Staff::schemas(schemas);
    Public::schemas(schemas);
}
