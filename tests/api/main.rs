//! The integration suite, one binary: the real gateway over HTTP, on SQLite and PostgreSQL.

mod support;

mod access;
mod at_rest;
mod bounded;
mod contract;
mod dedup;
mod desk;
mod desk_pages;
mod fairness;
mod foundation;
mod fuzzed;
mod hardening;
mod import;
mod life;
mod operations;
mod outages;
mod pages;
mod places;
mod planning;
mod privacy;
mod readme;
mod scale;
mod soak;
mod workflow;
mod write_path;
