//! JSON bodies into the wire types ([`bawaba_wire`]), strictly: unknown fields, wrong types and
//! unknown enum values are refused with the path of the field at fault
//! (`service::validate::parse_json`, shared with the other edges). What types cannot check
//! (dates, ranges, sizes, the characters of names) is the service's validation.

pub use crate::service::validate::parse_json;
