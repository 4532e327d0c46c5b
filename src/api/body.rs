//! JSON bodies into the wire types ([`bawaba_wire`]), strictly: unknown fields, wrong types and
//! unknown enum values are refused with the path of the field at fault. What types cannot
//! check (dates, ranges, sizes, the characters of names) is the service's validation.

use crate::service::error::ServiceError;
use crate::service::validate::field_name;

/// Parses JSON into `T`, naming the field at fault.
pub fn parse_json<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, ServiceError> {
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        if inner.is_syntax() || inner.is_eof() {
            return ServiceError::field("body", format!("malformed JSON: {inner}"));
        }
        let problem = inner.to_string();
        ServiceError::field(field_name(&path, &problem), problem)
    })
}
