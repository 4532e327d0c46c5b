//! `bawaba dedup`: a file deduplicated by the real binary, with no server, gives the households
//! and flags that posting the same records one by one to the real gateway gives.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;
use std::process::Command;

use serde_json::{Value, json};

use crate::both_backends;
use crate::support::{Backend, TestApp};

/// Runs the real binary; returns its output lines, parsed.
fn dedup(file: &Path, out: &Path, extra: &[&str]) -> Vec<Value> {
    let status = Command::new(env!("CARGO_BIN_EXE_bawaba"))
        .arg("dedup")
        .arg(file)
        .arg("--out")
        .arg(out)
        .arg("--no-progress")
        .args(extra)
        .env_remove("BAWABA_OVERLAP_POLICY")
        .env_remove("BAWABA_MATCH_CONFIG")
        .status()
        .expect("run bawaba dedup");
    assert!(status.success(), "bawaba dedup failed");
    std::fs::read_to_string(out)
        .expect("output")
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect()
}

/// The records of a small synthetic caseload, in posting order: (agency, body).
fn caseload(n: usize) -> Vec<(String, Value)> {
    let caseload = bawaba_synth::generate(&bawaba_synth::Config::small(23));
    caseload.records.iter().take(n).map(|r| (r.agency.clone(), r.to_api_json())).collect()
}

/// One flag, comparable across the two runs: kind, band, score, the household it names (by the
/// first record that made it) and, for overlaps, the record it names.
type FlagKey = (String, String, String, (String, String), Option<(String, String)>);

/// What a run says: the households as sets of records, and each record's decision and flags.
#[derive(Debug, PartialEq)]
struct Outcome {
    households: BTreeSet<BTreeSet<(String, String)>>,
    answers: BTreeMap<(String, String), (String, BTreeSet<FlagKey>)>,
}

/// Reads a run's answers, in order: (agency, external_id, household, decision, flags), where
/// each flag is (kind, band, score, matched household, matched record as (agency, external_id)).
fn outcome(
    answers: &[(String, String, String, String, Vec<Value>)],
    record_of: &dyn Fn(&Value) -> Option<(String, String)>,
) -> Outcome {
    let mut first_of: HashMap<&str, (String, String)> = HashMap::new();
    let mut households: BTreeMap<&str, BTreeSet<(String, String)>> = BTreeMap::new();
    for (agency, ext, household, _, _) in answers {
        first_of.entry(household).or_insert_with(|| (agency.clone(), ext.clone()));
        households.entry(household).or_default().insert((agency.clone(), ext.clone()));
    }
    let answers = answers
        .iter()
        .map(|(agency, ext, _, decision, flags)| {
            let flags = flags
                .iter()
                .map(|f| {
                    let household = f["matched_household_id"].as_str().expect("matched household");
                    let overlap = f["kind"] != "possible_same_household";
                    (
                        f["kind"].as_str().expect("kind").to_owned(),
                        f["band"].as_str().expect("band").to_owned(),
                        format!("{:.3}", f["score"].as_f64().expect("score")),
                        first_of.get(household).cloned().expect("a household made by an earlier record"),
                        if overlap { record_of(f) } else { None },
                    )
                })
                .collect();
            ((agency.clone(), ext.clone()), (decision.clone(), flags))
        })
        .collect();
    Outcome { households: households.into_values().collect(), answers }
}

fn text(v: &Value, k: &str) -> String {
    v[k].as_str().unwrap_or_else(|| panic!("{k} in {v}")).to_owned()
}

fn dedup_gives_what_intake_gives(b: Backend) {
    let records = caseload(400);
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("list.jsonl");
    let lines: Vec<String> = records
        .iter()
        .map(|(agency, body)| {
            let mut line = body.clone();
            line["agency"] = json!(agency);
            line.to_string()
        })
        .collect();
    std::fs::write(&file, lines.join("\n")).expect("write the list");
    let out = dedup(&file, &dir.path().join("out.jsonl"), &[]);
    assert_eq!(out.len(), records.len(), "one line per input record");

    let app = TestApp::start(b);
    let mut keys: HashMap<String, String> = HashMap::new();
    let mut posted = Vec::new();
    let mut record_ids: HashMap<String, (String, String)> = HashMap::new();
    for (agency, body) in &records {
        let key = keys.entry(agency.clone()).or_insert_with(|| app.agency(agency, "submitter")).clone();
        let (status, answer) = app.post("/v1/records", &key, body);
        assert_eq!(status, 201, "{answer}");
        let ext = text(body, "external_id");
        record_ids.insert(text(&answer, "record_id"), (agency.clone(), ext.clone()));
        posted.push((
            agency.clone(),
            ext,
            text(&answer, "household_id"),
            text(&answer, "decision"),
            answer["flags"].as_array().expect("flags").clone(),
        ));
    }
    let offline: Vec<_> = out
        .iter()
        .map(|l| {
            (
                text(l, "agency"),
                text(l, "external_id"),
                text(l, "household_id"),
                text(l, "decision"),
                l["flags"].as_array().expect("flags").clone(),
            )
        })
        .collect();
    let by_record_id = |f: &Value| f["matched_record_id"].as_str().and_then(|r| record_ids.get(r).cloned());
    let by_name = |f: &Value| Some((text(f, "matched_agency"), text(f, "matched_external_id")));
    let online = outcome(&posted, &by_record_id);
    let offline = outcome(&offline, &by_name);
    // The caseload must exercise the comparison: households of several records, and flags.
    assert!(online.households.iter().any(|h| h.len() > 1), "no household has two records");
    let flagged = online.answers.values().filter(|(_, f)| !f.is_empty()).count();
    assert!(flagged >= 20, "only {flagged} records were flagged");
    assert_eq!(offline.households, online.households, "the same households");
    for (record, answer) in &online.answers {
        assert_eq!(offline.answers.get(record), Some(answer), "the same answer for {record:?}");
    }
}

both_backends!(dedup_gives_what_intake_gives);

/// Lines that are not records, a replay, a conflict, a CSV list and the CSV output: each record
/// gets its line, in input order, and a refusal names the field.
#[test]
fn dedup_answers_every_line_in_order() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("list.jsonl");
    let mut rec = crate::support::record("A-1");
    rec["agency"] = json!("WFP");
    let mut changed = rec.clone();
    changed["assistance"]["amount"] = json!(10.0);
    let mut other = crate::support::record("B-1");
    other["agency"] = json!("UNRWA");
    other["assistance"]["type"] = json!("voucher");
    let mut no_agency = crate::support::record("C-1");
    no_agency["members"][0]["date_of_birth"] = json!("1980-02-30");
    let lines = [
        rec.to_string(),
        "{not json".to_owned(),
        other.to_string(),
        rec.to_string(),
        changed.to_string(),
        json!({"agency": "WFP", "external_id": "D-1", "members": []}).to_string(),
        no_agency.to_string(),
    ];
    std::fs::write(&file, lines.join("\n")).expect("write");
    let out = dedup(&file, &dir.path().join("out.jsonl"), &["--agency", "MOSD"]);
    assert_eq!(out.len(), 7, "{out:?}");
    assert_eq!(out[0]["decision"], "unique");
    assert_eq!(out[1]["error"]["problems"][0]["field"], "body", "{}", out[1]);
    assert_eq!(out[2]["agency"], "UNRWA");
    assert_eq!(out[2]["household_id"], out[0]["household_id"], "the same family, another agency");
    assert_eq!(out[2]["decision"], "unique", "cash and voucher do not conflict by default: {}", out[2]);
    assert_eq!(out[2]["flags"], json!([]));
    assert_eq!(out[3], out[0], "the same body again is a replay of the first answer");
    assert_eq!(out[4]["error"]["code"], "conflict");
    assert_eq!(out[5]["error"]["code"], "validation_failed");
    assert_eq!(out[5]["error"]["problems"][0]["field"], "assistance", "{}", out[5]);
    assert_eq!(out[6]["agency"], "MOSD", "--agency names the agency of lines that name none");
    assert_eq!(out[6]["error"]["problems"][0]["field"], "members[0].date_of_birth", "{}", out[6]);

    // The same family as a spreadsheet-style CSV, and the CSV output.
    let csv = dir.path().join("list.csv");
    std::fs::write(
        &csv,
        "external_id,type,period_start,period_end,role,name,national_id,date_of_birth\n\
         X-1,cash,2026-01-01,2026-03-31,head,محمد احمد محمود الشاعر,401234563,1980-05-01\n\
         X-2,cash,2026-02-01,2026-02-28,head,محمد أحمد الشاعر,401234563,1980-05-01\n",
    )
    .expect("write csv");
    let out_csv = dir.path().join("out.csv");
    let status = Command::new(env!("CARGO_BIN_EXE_bawaba"))
        .args(["dedup", "--agency", "WFP", "--format", "csv", "--no-progress", "--out"])
        .arg(&out_csv)
        .arg(&csv)
        .status()
        .expect("run");
    assert!(status.success());
    let written = std::fs::read_to_string(&out_csv).expect("csv out");
    let mut r = csv::Reader::from_reader(written.trim_start_matches('\u{feff}').as_bytes());
    let rows: Vec<csv::StringRecord> = r.records().map(|x| x.expect("row")).collect();
    assert_eq!(rows.len(), 2);
    assert_eq!(&rows[0][1], "X-1");
    assert_eq!(&rows[0][3], "unique");
    assert_eq!(&rows[1][3], "duplicate", "the same agency's cash in an overlapping month");
    assert_eq!(&rows[1][2], &rows[0][2], "one household");
    assert!(rows[1][5].starts_with("duplicate_record certain"), "{}", &rows[1][5]);
    assert!(rows[1][5].ends_with("WFP/X-1"), "{}", &rows[1][5]);
}
