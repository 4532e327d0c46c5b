//! # bawaba-wire
//!
//! The bawaba HTTP API as bytes on the wire: every request body and every answer, with their
//! serde forms and OpenAPI schemas, and nothing else (no behaviour, no I/O). The gateway builds
//! its answers from these types and validates its requests into its own domain; the import
//! client and the tests read and write the same types, so a field renamed here is renamed for
//! all of them at once. The contract they follow is `shared/API.md`.
//!
//! Modules by resource: [`records`] (intake, batch, the stored record), [`households`] (view and
//! search), [`places`] (the gazetteer), [`review`] (flags and reviews), [`reports`], [`agencies`], [`errors`] (the error
//! body), and [`domain`] (the contract's words and the intake answer).

pub mod access;
pub mod agencies;
pub mod desk;
pub mod directory;
pub mod domain;
pub mod errors;
pub mod households;
pub mod life;
pub mod places;
pub mod planning;
pub mod records;
pub mod reports;
pub mod review;
pub mod schema;
pub mod strict;
