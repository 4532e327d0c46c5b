//! The OpenAPI schemas of text and number fields whose rules a Rust type cannot carry but a
//! JSON Schema can: lengths, ranges, and the characters the gateway refuses (control
//! characters, and in names and place filters the invisible bidi and zero-width ones). Fields
//! name them with `#[schema(schema_with = …)]` or `#[param(schema_with = …)]`, so that what the
//! document allows the gateway accepts (schemathesis's `positive_data_acceptance`, run in
//! `.ci/schemathesis`). Rules across fields ("one of name, national ID or phone") and rules that
//! need the database or the gazetteer are left to the gateway's 400 and listed in
//! `schemathesis.toml`.
//!
//! Each pattern is the gateway's own check, written out: a text is trimmed before it is checked,
//! so the patterns refuse blank edges rather than say what trimming forgives.

use utoipa::PartialSchema;
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{
    AnyOfBuilder, Array, ArrayBuilder, KnownFormat, Object, ObjectBuilder, Schema, SchemaFormat, SchemaType, Type,
};

/// Control characters (Unicode `Cc`, Rust's `char::is_control`).
const CONTROL: &str = r"\u0000-\u001f\u007f-\u009f";
/// Control characters but the newline (reasons and notes may span lines).
const CONTROL_BUT_NEWLINE: &str = r"\u0000-\u0009\u000b-\u001f\u007f-\u009f";
/// The invisible format characters names and place filters refuse (bidi marks and
/// overrides, zero-width characters, the soft hyphen, the byte-order mark).
const INVISIBLE: &str = r"\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff";

/// A text of 1 to `max` characters whose first and last are neither blank nor `refused`, and
/// whose inner ones are not `refused_inside`.
fn text(max: usize, refused: &str, refused_inside: &str) -> Object {
    let edge = format!(r"[^\s{refused}]");
    let pattern = format!(r"^{edge}([^{refused_inside}]*{edge})?$");
    ObjectBuilder::new()
        .schema_type(Type::String)
        .min_length(Some(1))
        .max_length(Some(max))
        .pattern(Some(pattern))
        .build()
}

/// A required name or label: 1 to 200 characters, no control characters.
pub fn label() -> Object {
    text(200, CONTROL, CONTROL)
}

/// A required reason: 1 to 2,000 characters, no control characters but newlines.
pub fn reason() -> Object {
    text(2000, CONTROL, CONTROL_BUT_NEWLINE)
}

/// A place's code or spelling, at most `max` characters with no control or invisible characters.
fn place_text(max: usize) -> Object {
    let refused = format!("{CONTROL}{INVISIBLE}");
    text(max, &refused, &refused)
}

/// A filter of a query (a place's code or any spelling): at most 200 characters with no control
/// or invisible characters; empty (`?area=`) is the same as absent.
pub fn filter() -> RefOr<Schema> {
    or_empty(place_text(200))
}

/// Spellings of a place to add: 1 to 50, each of at most 100 characters.
pub fn spellings() -> Array {
    ArrayBuilder::new().items(place_text(100)).min_items(Some(1)).max_items(Some(50)).build()
}

/// A query parameter's value `schema`, or empty: the gateway reads `?name=` as absent.
fn or_empty(schema: impl Into<RefOr<Schema>>) -> RefOr<Schema> {
    let empty = ObjectBuilder::new().schema_type(Type::String).max_length(Some(0)).build();
    RefOr::T(Schema::AnyOf(AnyOfBuilder::new().item(empty).item(schema).build()))
}

/// A query parameter holding one of the words of `T` (an enum of the contract), or empty.
pub fn word<T: PartialSchema>() -> RefOr<Schema> {
    or_empty(T::schema())
}

/// A webhook's secret: 16 to 256 characters, no control characters.
pub fn secret() -> Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .min_length(Some(16))
        .max_length(Some(256))
        .pattern(Some(format!("^[^{CONTROL}]*$")))
        .build()
}

/// A user name: 3 to 64 lower-case letters, digits, `.`, `-` or `_`.
pub fn username() -> Object {
    ObjectBuilder::new().schema_type(Type::String).pattern(Some(r"^[a-z0-9._-]{3,64}$")).build()
}

/// An agency's code: 2 to 32 capital letters, digits, `-` or `_`.
pub fn agency_code() -> Object {
    ObjectBuilder::new().schema_type(Type::String).pattern(Some(r"^[A-Z0-9_-]{2,32}$")).build()
}

/// A day, `YYYY-MM-DD`, in a query (or empty).
pub fn day() -> RefOr<Schema> {
    or_empty(
        ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Date)))
            .build(),
    )
}

/// A page size in a query, a whole number from 1 to `max` (or empty).
fn count(max: u32) -> RefOr<Schema> {
    or_empty(ObjectBuilder::new().schema_type(Type::Integer).minimum(Some(1)).maximum(Some(max)).build())
}

/// A page size of 1 to 100.
pub fn limit_100() -> RefOr<Schema> {
    count(100)
}

/// A page size of 1 to 1,000.
pub fn limit_1000() -> RefOr<Schema> {
    count(1000)
}

/// A page size of 1 to 10,000.
pub fn limit_10000() -> RefOr<Schema> {
    count(10_000)
}

/// A spot check's answer: `same` or `different`.
pub fn same_or_different() -> Object {
    ObjectBuilder::new().schema_type(Type::String).enum_values(Some(["same", "different"])).build()
}

/// An optional label: at most 200 characters, no control characters, or `null`.
pub fn optional_label() -> Object {
    ObjectBuilder::new()
        .schema_type(SchemaType::from_iter([Type::String, Type::Null]))
        .max_length(Some(200))
        .pattern(Some(format!("^[^{CONTROL}]*$")))
        .build()
}

/// A reviewer's note: at most 2,000 characters, no control characters but newlines; may be empty.
pub fn note() -> Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .max_length(Some(2000))
        .pattern(Some(format!("^[^{CONTROL_BUT_NEWLINE}]*$")))
        .build()
}

/// The order of the review queue in a query: `priority` or `oldest` (or empty).
pub fn flag_order() -> RefOr<Schema> {
    or_empty(ObjectBuilder::new().schema_type(Type::String).enum_values(Some(["priority", "oldest"])).build())
}
