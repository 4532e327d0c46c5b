//! Rows into records: rows sharing an `external_id` form one record (assistance and location
//! from its first row, one member per row); a record any of whose rows cannot be converted is
//! not sent, and every problem is noted with its row.

use std::collections::HashMap;

use bawaba_wire::domain::{AidType, MemberRole, Sex};
use bawaba_wire::records::{AssistanceBody, LocationBody, MemberBody, RecordBody};

use super::columns::{Field, Mapping};
use super::values::{convert_value, member_role, sex_code, text};
use crate::import::table::Row;

/// A problem with one row, for the error file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowProblem {
    pub row: usize,
    pub external_id: String,
    pub field: String,
    pub problem: String,
}

/// A record ready to post, with the file rows of its members in order.
#[derive(Debug, Clone)]
pub struct Pending {
    pub body: RecordBody,
    pub rows: Vec<usize>,
}

/// What the file turned into.
#[derive(Debug, Default)]
pub struct Converted {
    /// Records to post, in first-seen order.
    pub records: Vec<Pending>,
    /// Records not sent because a row could not be converted.
    pub failed_records: usize,
    /// Rows that belong to no record (no external_id).
    pub orphan_rows: usize,
    pub problems: Vec<RowProblem>,
}

/// Groups rows into records and converts their values.
pub fn convert(rows: &[Row], map: &Mapping) -> Converted {
    let mut out = Converted::default();
    let mut groups: Vec<(String, Vec<&Row>)> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    for row in rows {
        let id = text(map.cell(row, Field::ExternalId));
        match id {
            Ok(Some(id)) => {
                let at = *index.entry(id.clone()).or_insert_with(|| {
                    groups.push((id, Vec::new()));
                    groups.len() - 1
                });
                groups[at].1.push(row);
            }
            Ok(None) | Err(_) => {
                out.orphan_rows += 1;
                out.problems.push(RowProblem {
                    row: row.line,
                    external_id: String::new(),
                    field: map.label(Field::ExternalId),
                    problem: "is empty: every row needs its record's external_id".into(),
                });
            }
        }
    }
    for (external_id, rows) in groups {
        let mut problems = Vec::new();
        let body = record(&external_id, &rows, map, &mut problems);
        match body {
            Some(body) if problems.is_empty() => {
                out.records.push(Pending { body, rows: rows.iter().map(|r| r.line).collect() })
            }
            _ => {
                out.failed_records += 1;
                out.problems.extend(problems);
            }
        }
    }
    out
}

/// Builds one record from its rows, noting every problem found.
fn record(external_id: &str, rows: &[&Row], map: &Mapping, problems: &mut Vec<RowProblem>) -> Option<RecordBody> {
    let first = rows.first()?;
    let mut note = |row: &Row, f: Field, problem: String| {
        problems.push(RowProblem { row: row.line, external_id: external_id.to_owned(), field: map.label(f), problem });
    };
    let mut get = |row: &Row, f: Field| -> Option<String> {
        match convert_value(f, map.cell(row, f)) {
            Ok(v) => v,
            Err(p) => {
                note(row, f, p);
                None
            }
        }
    };
    let aid_type = get(first, Field::Type);
    let program = get(first, Field::Program);
    let amount = get(first, Field::Amount);
    let currency = get(first, Field::Currency);
    let period_start = get(first, Field::PeriodStart);
    let period_end = get(first, Field::PeriodEnd);
    let governorate = get(first, Field::Governorate);
    let locality = get(first, Field::Locality);
    let mut members = Vec::with_capacity(rows.len());
    let mut role_given = Vec::with_capacity(rows.len());
    for row in rows {
        let role = get(row, Field::Role);
        let name = get(row, Field::Name);
        let national_id = get(row, Field::NationalId);
        let date_of_birth = get(row, Field::DateOfBirth);
        let sex = get(row, Field::Sex);
        let phone = get(row, Field::Phone);
        role_given.push(role.is_some());
        members.push(MemberBody {
            groups: None,
            role: MemberRole::parse(role.as_deref().map_or("other", member_role)).unwrap_or(MemberRole::Other),
            name: name.unwrap_or_default(),
            national_id,
            date_of_birth,
            sex: sex.as_deref().and_then(sex_code).and_then(Sex::parse),
            phone,
        });
    }
    // Checks that need the whole row.
    for (row, m) in rows.iter().zip(&members) {
        if m.name.is_empty() && map.cell(row, Field::Name).is_empty() {
            note(row, Field::Name, "is empty: every member needs a name".into());
        }
    }
    if aid_type.is_none() && map.cell(first, Field::Type).is_empty() {
        note(first, Field::Type, "is empty: the record's first row needs the type of assistance".into());
    }
    if period_start.is_none() && map.cell(first, Field::PeriodStart).is_empty() {
        note(first, Field::PeriodStart, "is empty: the record's first row needs the start of the period".into());
    }
    // With no role given, the first member is the head, unless another row says it is.
    if role_given.first() == Some(&false) && !members.iter().any(|m| m.role == MemberRole::Head) {
        members[0].role = MemberRole::Head;
    }
    let location = (governorate.is_some() || locality.is_some()).then_some(LocationBody { governorate, locality });
    Some(RecordBody {
        external_id: external_id.to_owned(),
        assistance: AssistanceBody {
            aid_type: aid_type.as_deref().and_then(AidType::parse)?,
            program,
            amount: amount.and_then(|a| a.parse().ok()),
            currency,
            period_start: period_start?,
            period_end,
        },
        location,
        members,
    })
}
