//! Evidence: a match explained field by field, as intake answers and searches give it. Each
//! line names what was compared, both values (the stored one redacted for callers who may not
//! see it, see `auth::Principal::redact`), the agreement level and the weight it added.

use bawaba_matching::{Field, HouseholdMatch};

use super::domain::EvidenceItem;
use super::index::EngineState;

/// The path of an evidence field under a member.
pub fn field_path(field: Field) -> &'static str {
    match field {
        Field::Name => "name",
        Field::FirstName => "name.first",
        Field::FatherName => "name.father",
        Field::GrandfatherName => "name.grandfather",
        Field::FamilyName => "name.family",
        Field::NationalId => "national_id",
        Field::DateOfBirth => "date_of_birth",
        Field::Phone => "phone",
        Field::Sex => "sex",
        Field::Role => "role",
        _ => "other",
    }
}

/// The evidence of a household match, field by field; `member` names the incoming member
/// (`members[0]` for a record, `query` for a search). Each item names the agency (its code) and
/// role of the stored person it compares with, so it can be redacted for viewers who may not
/// see that agency's values.
pub fn evidence(state: &EngineState, m: &HouseholdMatch, member: impl Fn(usize) -> String) -> Vec<EvidenceItem> {
    let mut out = Vec::new();
    for pair in &m.pairs {
        let who = member(pair.ours);
        let (agency, role) = match state.person_meta(pair.theirs) {
            Some((code, role)) => (Some(code.to_owned()), Some(role)),
            None => (None, None),
        };
        out.extend(pair.evidence.iter().map(|e| EvidenceItem {
            field: format!("{who}.{}", field_path(e.field)),
            ours: e.ours.clone(),
            theirs: Some(e.theirs.clone()),
            theirs_agency: agency.clone(),
            theirs_role: role,
            level: e.level.to_owned(),
            similarity: round3(e.similarity),
            weight: round3(e.weight),
        }));
    }
    out
}

/// Three decimals, for answers people read.
pub fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}
