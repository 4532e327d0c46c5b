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

/// The columns of the flat file `benches/splink/splink_run.py` reads: one row per record, the
/// head's name parts as this crate normalises them and their skeletons, and the spouse's.
pub const SPLINK_HEADER: &str = "unique_id,truth_household,agency,aid_type,period_start,period_end,first_name,\
     father_name,grandfather_name,family_name,first_name_sk,family_name_sk,full_name,date_of_birth,national_id,phone,\
     sex,spouse_first_name,spouse_family_name,spouse_date_of_birth,spouse_national_id,n_members";

/// What a Splink row says of a record besides its prepared members.
pub struct SplinkRecord<'a> {
    pub truth: u64,
    pub agency: &'a str,
    pub aid_type: &'a str,
    pub period_start: &'a str,
    pub period_end: &'a str,
    /// The head's and (if the second member is a spouse) the spouse's birth dates as written.
    pub dates_of_birth: [Option<&'a str>; 2],
}

/// Record `i` as one row of [`SPLINK_HEADER`].
pub fn splink_row(i: usize, r: &SplinkRecord<'_>, p: &[PreparedPerson]) -> String {
    let q = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
    let part = |x: NamePart| p.first().and_then(|m| m.part(x)).unwrap_or_default();
    let sk = |s: &str| phonetic::skeleton(s);
    let head = p.first();
    let spouse = p.get(1).filter(|m| m.role() == Role::Spouse);
    let opt = |s: Option<String>| s.unwrap_or_default();
    [
        i.to_string(),
        r.truth.to_string(),
        r.agency.to_owned(),
        r.aid_type.to_owned(),
        r.period_start.to_owned(),
        r.period_end.to_owned(),
        q(&part(NamePart::First)),
        q(&part(NamePart::Father)),
        q(&part(NamePart::Grandfather)),
        q(&part(NamePart::Family)),
        q(&sk(&part(NamePart::First))),
        q(&sk(&part(NamePart::Family))),
        q(&head.map(|h| h.normalized_name()).unwrap_or_default()),
        r.dates_of_birth[0].unwrap_or_default().to_owned(),
        opt(head.and_then(|h| h.national_id())),
        opt(head.and_then(|h| h.phone())),
        opt(head.and_then(|h| h.sex()).map(|s| s.as_str().to_string())),
        q(&spouse.and_then(|m| m.part(NamePart::First)).unwrap_or_default()),
        q(&spouse.and_then(|m| m.part(NamePart::Family)).unwrap_or_default()),
        spouse.and(r.dates_of_birth[1]).unwrap_or_default().to_owned(),
        opt(spouse.and_then(|m| m.national_id())),
        p.len().to_string(),
    ]
    .join(",")
}
