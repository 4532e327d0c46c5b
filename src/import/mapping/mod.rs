//! From a table as an agency keeps it to the records the gateway takes, in three jobs:
//! [`columns`] (which column feeds which field: headers, aliases, `--map`), [`rows`] (rows
//! grouped into records, every problem noted by row) and [`values`] (one cell to the text a
//! field is sent as: dates, amounts, roles, sexes, aid types, currencies).
//!
//! Headers are recognised case-insensitively, trimmed, with English and Arabic aliases (spaces,
//! `-` and `_` count alike; Arabic alef and yeh forms and tatweel are folded); `--map` adds or
//! overrides. One row is one household member; rows sharing an `external_id` form one record,
//! in the order their first row appears; assistance and location come from the record's first
//! row. Values are trimmed, empty cells are absent fields, dates are converted to `YYYY-MM-DD`,
//! amounts lose their thousands separators. A record any of whose rows cannot be converted is
//! not sent at all: sending it without the faulty member would store a different household,
//! and fixing the file and running again would then conflict.

pub mod columns;
pub mod rows;
pub mod values;

pub use columns::{Field, MapRule, Mapping, normalize_header};
pub use rows::{Converted, Pending, RowProblem, convert};
pub use values::{
    aid_type, convert_value, currency, member_role, parse_amount, parse_birth_date, parse_date, sex_code,
};
