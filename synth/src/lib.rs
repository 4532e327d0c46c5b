//! bawaba-synth: seeded synthetic caseloads of Palestinian households with ground truth.
//!
//! [`generate`] builds true households (4-part names, clans with brothers' and cousins'
//! households as hard negatives, national IDs with valid check digits, dates of birth, phones),
//! then has several agencies serve them over 2024–2026, each writing the household its own way
//! (Arabic or Latin script, name form, orthography, typos, missing and wrong fields, which
//! members it records). Shapes that matter at national scale are in at realistic rates: clans of
//! thousands in one town, namesakes, eldest sons named after their grandfather, widows and
//! female-headed households, a husband with two wives, one- and two-member records, names
//! written family name first or as one word, the head's ID written on his wife, displaced
//! households. Every record carries the true household and every member the true
//! person, so matching quality can be measured exactly. Written from real-world variation
//! (see `/work/shared/NAMES.md` and `data/README.md`), independently of the matcher.

pub mod agencies;
pub mod arabic;
pub mod data;
pub mod dates;
mod generate;
pub mod ids;
pub mod latin;

pub use agencies::{Agency, Program};
pub use generate::generate;
pub use latin::Style;

use serde::Serialize;
use std::collections::HashMap;

/// The assistance types of API.md.
pub const ASSISTANCE_TYPES: [&str; 10] =
    ["cash", "food", "voucher", "in_kind", "shelter", "health", "education", "psychosocial", "livelihood", "other"];

/// What to generate.
#[derive(Debug, Clone)]
pub struct Config {
    /// Number of true households.
    pub households: usize,
    pub seed: u64,
    /// Number of agencies (the 8 defaults, then made-up NGOs).
    pub agencies: usize,
    /// Mean number of records per household (each household gets at least one).
    pub records_per_household: f64,
    /// Share of a household's later records that deliberately overlap an earlier one
    /// (same type, overlapping period, another agency or now and then the same one).
    pub overlap_rate: f64,
    /// Share of new lineages that copy an existing head's full name (same-name, different people).
    pub namesake_rate: f64,
    /// Share of Gaza households displaced to another Gaza locality during the period.
    pub displacement_rate: f64,
    /// First year of the period served (the period lasts three years).
    pub start_year: i32,
    /// Share of married heads of 35 and over with a second wife in the household.
    pub co_wife_rate: f64,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            households: 20_000,
            seed: 1,
            agencies: 8,
            records_per_household: 2.5,
            overlap_rate: 0.35,
            namesake_rate: 0.015,
            displacement_rate: 0.25,
            start_year: 2024,
            co_wife_rate: 0.03,
        }
    }
}

impl Config {
    /// About 2,000 households: unit tests and quick quality runs.
    pub fn small(seed: u64) -> Self {
        Config { households: 2_000, seed, ..Config::default() }
    }

    /// 200,000 households (about a million people): benches and load runs.
    pub fn large(seed: u64) -> Self {
        Config { households: 200_000, seed, ..Config::default() }
    }
}

/// A real person.
#[derive(Debug, Clone, Serialize)]
pub struct TruePerson {
    pub index: usize,
    pub household: usize,
    /// Role in the true household: head, spouse, child, other.
    pub role: &'static str,
    pub first: &'static str,
    pub father: &'static str,
    pub grandfather: &'static str,
    pub family: &'static str,
    pub sex: &'static str,
    pub date_of_birth: String,
    pub national_id: String,
    /// Canonical `+97059…`/`+97056…` mobile number.
    pub phone: Option<String>,
}

impl TruePerson {
    /// The full canonical 4-part Arabic name.
    pub fn full_name(&self) -> String {
        format!("{} {} {} {}", self.first, self.father, self.grandfather, self.family)
    }
}

/// A real household.
#[derive(Debug, Clone, Serialize)]
pub struct TrueHousehold {
    pub index: usize,
    pub governorate: &'static str,
    pub locality: &'static str,
    pub region: &'static str,
    /// Person indices: head first, then spouse, children (eldest first), other.
    pub members: Vec<usize>,
    pub head: usize,
    pub spouse: Option<usize>,
    /// Households whose heads are brothers (same father, grandfather, family) share a lineage.
    pub lineage: usize,
    /// The household this one's head is a namesake of (same 4-part name, another man).
    pub namesake_of: Option<usize>,
    /// The household the head grew up in (his father's), when he moved out: a cousins' link.
    pub parent_household: Option<usize>,
    /// Where a displaced household lives from `displaced_from` on.
    pub displaced_to: Option<(&'static str, &'static str)>,
    pub displaced_from: Option<String>,
    /// Headed by a widow (or another woman without a husband present).
    pub female_headed: bool,
    /// A second wife (a husband with two wives, one household).
    pub co_wife: Option<usize>,
}

/// The `assistance` object of a record.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Assistance {
    #[serde(rename = "type")]
    pub kind: String,
    pub program: String,
    pub amount: f64,
    pub currency: String,
    pub period_start: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub period_end: Option<String>,
}

impl Assistance {
    /// The inclusive last day (`period_start` when there is no end).
    pub fn last_day(&self) -> &str {
        self.period_end.as_deref().unwrap_or(&self.period_start)
    }
}

/// The `location` object of a record.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Location {
    pub governorate: String,
    pub locality: String,
}

/// A member as the agency wrote it, with the true person.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Member {
    pub role: &'static str,
    pub name: String,
    pub national_id: Option<String>,
    pub date_of_birth: Option<String>,
    pub sex: Option<String>,
    pub phone: Option<String>,
    pub true_person: usize,
}

/// Ground truth of a record.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
pub struct Truth {
    pub household: usize,
}

/// One assistance record as posted by an agency.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Record {
    /// Agency code.
    pub agency: String,
    pub external_id: String,
    pub assistance: Assistance,
    pub location: Location,
    pub members: Vec<Member>,
    pub truth: Truth,
}

impl Record {
    /// Exactly the `POST /v1/records` body of API.md (no ground truth).
    pub fn to_api_json(&self) -> serde_json::Value {
        let members: Vec<serde_json::Value> = self
            .members
            .iter()
            .map(|m| {
                let mut o = serde_json::Map::new();
                o.insert("role".into(), m.role.into());
                o.insert("name".into(), m.name.clone().into());
                if let Some(v) = &m.national_id {
                    o.insert("national_id".into(), v.clone().into());
                }
                if let Some(v) = &m.date_of_birth {
                    o.insert("date_of_birth".into(), v.clone().into());
                }
                if let Some(v) = &m.sex {
                    o.insert("sex".into(), v.clone().into());
                }
                if let Some(v) = &m.phone {
                    o.insert("phone".into(), v.clone().into());
                }
                serde_json::Value::Object(o)
            })
            .collect();
        let mut assistance = serde_json::json!({
            "type": self.assistance.kind,
            "program": self.assistance.program,
            "amount": self.assistance.amount,
            "currency": self.assistance.currency,
            "period_start": self.assistance.period_start,
        });
        if let (Some(end), Some(o)) = (&self.assistance.period_end, assistance.as_object_mut()) {
            o.insert("period_end".into(), end.clone().into());
        }
        serde_json::json!({
            "external_id": self.external_id,
            "assistance": assistance,
            "location": {"governorate": self.location.governorate, "locality": self.location.locality},
            "members": members,
        })
    }

    /// The `POST /v1/records` body as a borrowed serialisable value (fast to write; the same
    /// JSON as [`Record::to_api_json`]).
    pub fn api_body(&self) -> ApiBody<'_> {
        ApiBody {
            external_id: &self.external_id,
            assistance: &self.assistance,
            location: &self.location,
            members: self
                .members
                .iter()
                .map(|m| ApiMember {
                    role: m.role,
                    name: &m.name,
                    national_id: m.national_id.as_deref(),
                    date_of_birth: m.date_of_birth.as_deref(),
                    sex: m.sex.as_deref(),
                    phone: m.phone.as_deref(),
                })
                .collect(),
        }
    }

    /// The ground truth as JSON: `{"household": h, "members": [person, …]}`.
    pub fn truth_json(&self) -> serde_json::Value {
        serde_json::json!({
            "household": self.truth.household,
            "members": self.members.iter().map(|m| m.true_person).collect::<Vec<_>>(),
        })
    }
}

/// A record body as API.md has it, borrowed from a [`Record`].
#[derive(Debug, Clone, Serialize)]
pub struct ApiBody<'a> {
    pub external_id: &'a str,
    pub assistance: &'a Assistance,
    pub location: &'a Location,
    pub members: Vec<ApiMember<'a>>,
}

/// A member as API.md has it.
#[derive(Debug, Clone, Serialize)]
pub struct ApiMember<'a> {
    pub role: &'a str,
    pub name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub national_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date_of_birth: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sex: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone: Option<&'a str>,
}

/// One JSON line of the `synth` binary: `{"agency", "body", "truth"}`.
#[derive(Debug, Clone, Serialize)]
pub struct JsonLine<'a> {
    pub agency: &'a str,
    pub body: ApiBody<'a>,
    pub truth: LineTruth,
}

/// Ground truth of one JSON line: the household and each member's person, in member order.
#[derive(Debug, Clone, Serialize)]
pub struct LineTruth {
    pub household: usize,
    pub members: Vec<usize>,
}

impl Record {
    /// The line the `synth` binary writes for this record.
    pub fn json_line(&self) -> JsonLine<'_> {
        JsonLine {
            agency: &self.agency,
            body: self.api_body(),
            truth: LineTruth {
                household: self.truth.household,
                members: self.members.iter().map(|m| m.true_person).collect(),
            },
        }
    }
}

/// A generated caseload.
#[derive(Debug, Clone)]
pub struct Caseload {
    pub agencies: Vec<Agency>,
    pub households: Vec<TrueHousehold>,
    pub persons: Vec<TruePerson>,
    /// Sorted by `period_start` (the order to post them in).
    pub records: Vec<Record>,
}

impl Caseload {
    /// Record indices grouped by true household (only households with records).
    pub fn records_by_household(&self) -> HashMap<usize, Vec<usize>> {
        let mut m: HashMap<usize, Vec<usize>> = HashMap::new();
        for (i, r) in self.records.iter().enumerate() {
            m.entry(r.truth.household).or_default().push(i);
        }
        m
    }

    /// Every pair of record indices (i < j) whose records are the same true household, sorted.
    pub fn same_household_pairs(&self) -> Vec<(usize, usize)> {
        let mut out = Vec::new();
        for idx in self.records_by_household().values() {
            for (a, &i) in idx.iter().enumerate() {
                for &j in &idx[a + 1..] {
                    out.push((i.min(j), i.max(j)));
                }
            }
        }
        out.sort_unstable();
        out
    }

    /// Record index pairs (i < j): same true household, types that conflict, periods that
    /// overlap (dates inclusive; no end means one day). Sorted.
    pub fn true_overlaps(&self, conflicts: impl Fn(&str, &str) -> bool) -> Vec<(usize, usize)> {
        let mut out = Vec::new();
        for idx in self.records_by_household().values() {
            for (a, &i) in idx.iter().enumerate() {
                for &j in &idx[a + 1..] {
                    let (x, y) = (&self.records[i].assistance, &self.records[j].assistance);
                    if conflicts(&x.kind, &y.kind)
                        && x.period_start.as_str() <= y.last_day()
                        && y.period_start.as_str() <= x.last_day()
                    {
                        out.push((i.min(j), i.max(j)));
                    }
                }
            }
        }
        out.sort_unstable();
        out
    }

    /// The default overlap policy of API.md: same type conflicts.
    pub fn true_overlaps_same_type(&self) -> Vec<(usize, usize)> {
        self.true_overlaps(|a, b| a == b)
    }

    /// Pairs of distinct households whose heads are brothers (hard negatives).
    pub fn brother_household_pairs(&self) -> Vec<(usize, usize)> {
        let mut by: HashMap<usize, Vec<usize>> = HashMap::new();
        for h in &self.households {
            by.entry(h.lineage).or_default().push(h.index);
        }
        let mut out = Vec::new();
        for v in by.values() {
            for (a, &i) in v.iter().enumerate() {
                for &j in &v[a + 1..] {
                    out.push((i.min(j), i.max(j)));
                }
            }
        }
        out.sort_unstable();
        out
    }
}

#[cfg(test)]
mod tests;
