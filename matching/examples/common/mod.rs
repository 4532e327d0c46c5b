//! What the examples that read an othercase caseload (`benches/othercase`) share.

use bawaba_matching::*;

/// The members of one caseload line (`{"body": {"members": [...]}}`), prepared for matching.
pub fn members(line: &serde_json::Value) -> Vec<PreparedPerson> {
    let s = |m: &serde_json::Value, k: &str| m.get(k).and_then(|v| v.as_str()).map(str::to_owned);
    let mut out = Vec::new();
    for m in line["body"]["members"].as_array().into_iter().flatten() {
        let (name, id, dob, phone) = (s(m, "name"), s(m, "national_id"), s(m, "date_of_birth"), s(m, "phone"));
        let role = match s(m, "role").as_deref() {
            Some("head") => Role::Head,
            Some("spouse") => Role::Spouse,
            Some("child") => Role::Child,
            _ => Role::Other,
        };
        let sex = match s(m, "sex").as_deref() {
            Some("M") => Some(Sex::M),
            Some("F") => Some(Sex::F),
            _ => None,
        };
        let name = name.unwrap_or_default();
        out.push(prepare(&PersonInput {
            role,
            name: &name,
            national_id: id.as_deref(),
            date_of_birth: dob.as_deref(),
            sex,
            phone: phone.as_deref(),
        }));
    }
    out
}
