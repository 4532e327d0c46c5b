//! What the examples that read an othercase caseload (`benches/othercase`) share.
#![allow(dead_code)] // each example that includes this module uses its own part of it

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

/// The first `n` lines of a JSON Lines file (a caseload or its answers).
pub fn read_lines(path: &str, n: usize) -> Result<Vec<serde_json::Value>, Box<dyn std::error::Error>> {
    use std::io::BufRead;
    let mut v = Vec::new();
    for line in std::io::BufReader::new(std::fs::File::open(path)?).lines().take(n) {
        v.push(serde_json::from_str(&line?)?);
    }
    Ok(v)
}

/// The index as it stood before line `k`: the members of every earlier line, in the household
/// its answer gave it (`"household_id": "h<number>"`).
pub fn index_before(cases: &[serde_json::Value], answers: &[serde_json::Value], k: usize) -> Index {
    let mut index = Index::new();
    let mut person = 0u64;
    for (line, answer) in cases.iter().zip(answers).take(k) {
        let Some(h) = answer["household_id"].as_str().and_then(|h| h.trim_start_matches('h').parse::<u64>().ok())
        else {
            continue;
        };
        for p in members(line) {
            person += 1;
            index.insert(person, h, p);
        }
    }
    index
}
