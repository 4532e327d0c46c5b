//! Unit tests of the generator: determinism, API validity, hard negatives, scripts, and the
//! ground-truth helpers on a hand-made caseload.

use super::*;
use std::collections::HashSet;

fn small() -> Caseload {
    generate(&Config { households: 1_500, seed: 42, ..Config::default() })
}

fn is_arabic(s: &str) -> bool {
    s.chars().any(|c| ('\u{0600}'..='\u{06FF}').contains(&c))
}

#[test]
fn deterministic_for_a_seed() {
    let a = generate(&Config { households: 300, seed: 9, ..Config::default() });
    let b = generate(&Config { households: 300, seed: 9, ..Config::default() });
    assert_eq!(a.records, b.records);
    let c = generate(&Config { households: 300, seed: 10, ..Config::default() });
    assert_ne!(a.records, c.records);
}

#[test]
fn records_are_valid_per_api() {
    let c = small();
    assert_eq!(c.households.len(), 1_500);
    assert!(c.records.len() >= 1_500);
    let mut seen = HashSet::new();
    let mut last_start = String::new();
    for r in &c.records {
        assert!(seen.insert((r.agency.clone(), r.external_id.clone())), "external_id unique per agency");
        assert!(c.agencies.iter().any(|a| a.code == r.agency));
        let a = &r.assistance;
        assert!(ASSISTANCE_TYPES.contains(&a.kind.as_str()), "{}", a.kind);
        assert!(a.amount >= 0.0 && a.amount.is_finite());
        assert_eq!(a.currency.len(), 3);
        assert!(!a.program.is_empty());
        assert!(dates::parse_partial(&a.period_start).is_some_and(|d| d.2.is_some()), "{}", a.period_start);
        if let Some(e) = &a.period_end {
            assert!(dates::parse_partial(e).is_some_and(|d| d.2.is_some()));
            assert!(e >= &a.period_start);
        }
        assert!(a.period_start >= last_start, "sorted by period_start");
        last_start = a.period_start.clone();
        assert!(!r.location.governorate.is_empty() && !r.location.locality.is_empty());
        assert!((1..=50).contains(&r.members.len()));
        assert_eq!(r.members.iter().filter(|m| m.role == "head").count(), 1);
        for m in &r.members {
            assert!(["head", "spouse", "child", "other"].contains(&m.role));
            assert!(!m.name.trim().is_empty());
            if let Some(id) = &m.national_id {
                assert!(id.len() == 9 && id.bytes().all(|b| b.is_ascii_digit()), "{id}");
            }
            if let Some(d) = &m.date_of_birth {
                assert!(dates::parse_partial(d).is_some(), "{d}");
            }
            if let Some(s) = &m.sex {
                assert!(s == "M" || s == "F");
            }
            if let Some(p) = &m.phone {
                assert!(p.chars().filter(|c| c.is_ascii_digit()).count() >= 10, "{p}");
            }
            assert_eq!(c.persons[m.true_person].household, r.truth.household);
        }
        let j = r.to_api_json();
        assert!(j.get("truth").is_none());
        assert_eq!(j["assistance"]["type"], a.kind.as_str());
        assert_eq!(j["members"].as_array().map(Vec::len), Some(r.members.len()));
        assert_eq!(serde_json::to_value(r.api_body()).ok(), Some(j));
    }
    // True IDs are valid and unique.
    let mut ids_seen = HashSet::new();
    for p in &c.persons {
        assert!(ids::is_valid(&p.national_id), "{}", p.national_id);
        assert!(ids_seen.insert(p.national_id.clone()));
    }
}

#[test]
fn hard_negatives_present() {
    let c = small();
    let pairs = c.brother_household_pairs();
    assert!(pairs.len() > 100, "brothers' households: {}", pairs.len());
    for &(a, b) in pairs.iter().take(200) {
        let (ha, hb) = (&c.persons[c.households[a].head], &c.persons[c.households[b].head]);
        if ha.sex == "M" && hb.sex == "M" {
            assert_eq!((ha.father, ha.grandfather, ha.family), (hb.father, hb.grandfather, hb.family));
            assert_ne!(ha.first, hb.first);
        }
    }
    // Same full name, different people.
    let mut names = std::collections::HashMap::new();
    let mut dup = 0;
    for p in &c.persons {
        if let Some(other) = names.insert(p.full_name(), p.index) {
            assert_ne!(c.persons[other].national_id, p.national_id);
            dup += 1;
        }
    }
    assert!(dup > 5, "same-name different people: {dup}");
    // Cousins named after the same grandfather.
    assert!(c.households.iter().any(|h| h.parent_household.is_some()));
    // Same household both ways: wife as head at one agency, spouse at another.
    let wife_head = c.records.iter().any(|r| {
        r.members.iter().any(|m| m.role == "head" && c.households[r.truth.household].spouse == Some(m.true_person))
    });
    assert!(wife_head);
}

#[test]
fn both_scripts_and_variation_present() {
    let c = small();
    let names: Vec<&str> = c.records.iter().flat_map(|r| r.members.iter().map(|m| m.name.as_str())).collect();
    let arabic = names.iter().filter(|n| is_arabic(n)).count();
    let latin = names.iter().filter(|n| n.chars().any(|c| c.is_ascii_alphabetic()) && !is_arabic(n)).count();
    assert!(arabic > names.len() / 4, "arabic {arabic} of {}", names.len());
    assert!(latin > names.len() / 10, "latin {latin} of {}", names.len());
    for v in ["Mohammed", "Muhammad", "Ahmad", "عبدالله", "عبد الله", "فاطمه", "فاطمة", "احمد", "أحمد"]
    {
        assert!(names.iter().any(|n| n.contains(v)), "no {v}");
    }
    // Mistyped IDs exist, and they are not the person's ID.
    let mistyped = c
        .records
        .iter()
        .flat_map(|r| &r.members)
        .filter(|m| m.national_id.as_ref().is_some_and(|id| *id != c.persons[m.true_person].national_id))
        .count();
    assert!(mistyped > 10, "{mistyped}");
    assert!(!c.true_overlaps_same_type().is_empty());
}

fn rec(agency: &str, hh: usize, kind: &str, start: &str, end: Option<&str>) -> Record {
    Record {
        agency: agency.into(),
        external_id: format!("{agency}-{start}"),
        assistance: Assistance {
            kind: kind.into(),
            program: "p".into(),
            amount: 1.0,
            currency: "ILS".into(),
            period_start: start.into(),
            period_end: end.map(Into::into),
        },
        location: Location { governorate: "غزة".into(), locality: "غزة".into() },
        members: vec![Member {
            role: "head",
            name: "x".into(),
            national_id: None,
            date_of_birth: None,
            sex: None,
            phone: None,
            true_person: hh,
        }],
        truth: Truth { household: hh },
    }
}

#[test]
fn ground_truth_helpers_on_a_hand_made_caseload() {
    let c = Caseload {
        agencies: vec![],
        households: vec![],
        persons: vec![],
        records: vec![
            rec("WFP", 0, "cash", "2025-01-01", Some("2025-03-31")),   // 0
            rec("MOSD", 0, "cash", "2025-03-31", None),                // 1: touches 0 on its last day
            rec("UNRWA", 0, "food", "2025-02-01", Some("2025-02-28")), // 2: other type
            rec("WFP", 1, "cash", "2025-01-01", Some("2025-12-31")),   // 3: other household
            rec("OXFAM", 0, "cash", "2025-04-01", None),               // 4: after 0 ends
            rec("NRC", 1, "food", "2025-06-30", Some("2025-07-01")),   // 5
        ],
    };
    assert_eq!(c.same_household_pairs(), vec![(0, 1), (0, 2), (0, 4), (1, 2), (1, 4), (2, 4), (3, 5)]);
    assert_eq!(c.true_overlaps(|a, b| a == b), vec![(0, 1)]);
    assert_eq!(c.true_overlaps(|_, _| true), vec![(0, 1), (0, 2), (3, 5)]);
    let food_cash = |a: &str, b: &str| a == b || (a == "food" && b == "cash") || (a == "cash" && b == "food");
    assert_eq!(c.true_overlaps(food_cash), vec![(0, 1), (0, 2), (3, 5)]);
}
