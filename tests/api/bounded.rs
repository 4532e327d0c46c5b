//! Issue 16: flags grow with records, not with pairs of records. The same family posted
//! thousands of times raises one flag per record and agency (naming the latest overlapping
//! record and counting the rest), the evidence of a match is stored once, and the household
//! view, a report page and the CSV stay small afterwards. (How fast is measured by the load
//! run and quoted in the note, not asserted here.)

use std::time::Instant;

use serde_json::{Value, json};

use crate::both_backends;
use crate::support::{Backend, TestApp, record};

both_backends!(one_family_posted_thousands_of_times_grows_linearly);

/// Records of one family in the batch; `BAWABA_BOUNDED_N` raises it for the figures
/// (10,000), which take longer than a test should.
fn n() -> usize {
    std::env::var("BAWABA_BOUNDED_N").ok().and_then(|v| v.parse().ok()).unwrap_or(1_500)
}

fn same_family(prefix: &str, i: usize) -> Value {
    let mut r = record(&format!("{prefix}-{i}"));
    // A different amount each time, so each is a record of its own, not a replay.
    r["assistance"]["amount"] = json!(100 + i);
    r
}

fn one_family_posted_thousands_of_times_grows_linearly(b: Backend) {
    #[expect(non_snake_case, reason = "N reads as the count it is")]
    let N = n();
    let app = TestApp::start(b);
    let wfp = app.agency("WFP", "submitter");
    let unrwa = app.agency("UNRWA", "submitter");
    let caseworker = app.agency("MOSD", "caseworker");
    let auditor = app.agency("AUDIT", "auditor");

    let batch: Vec<Value> = (0..N).map(|i| same_family("wfp", i)).collect();
    let t = Instant::now();
    let (s, out) = app.post("/v1/records/batch", &wfp, &json!({"records": batch}));
    let took = t.elapsed();
    assert_eq!(s, 200, "{out}");
    let answer_bytes = out.to_string().len();
    eprintln!("{N} records of one family in one batch: {took:?}, answer {answer_bytes} bytes");
    let results = out["results"].as_array().expect("results");
    assert_eq!(results.len(), N);
    for (i, r) in results.iter().enumerate() {
        let flags = r["flags"].as_array().unwrap_or_else(|| panic!("item {i}: {r}"));
        if i == 0 {
            assert!(flags.is_empty(), "the first record overlaps nothing: {r}");
            continue;
        }
        assert_eq!(flags.len(), 1, "item {i}: one flag for all the agency's earlier records: {r}");
        let f = &flags[0];
        assert_eq!(f["kind"], "duplicate_record", "{f}");
        assert_eq!(f["matched_records"], json!(i), "it counts every earlier record: {f}");
        assert_eq!(f["matched_record_id"], results[i - 1]["record_id"], "it names the latest: {f}");
        assert_eq!(r["household_id"], results[0]["household_id"], "one household");
    }
    assert!(answer_bytes < N * 5_000, "the answer grows linearly: {answer_bytes} bytes");

    // Another agency's record of the family: one overlapping_aid flag standing for all N.
    let (s, other) = app.post("/v1/records", &unrwa, &same_family("unrwa", 0));
    assert_eq!(s, 201, "{other}");
    let flags = other["flags"].as_array().expect("flags");
    assert_eq!(flags.len(), 1, "{other}");
    assert_eq!(flags[0]["kind"], "overlapping_aid");
    assert_eq!(flags[0]["matched_agency"], "WFP");
    assert_eq!(flags[0]["matched_records"], json!(N));
    assert_eq!(flags[0]["matched_record_id"], results[N - 1]["record_id"]);
    assert_eq!(other["decision"], "duplicate");

    // Linear in the database too, and the evidence of each match stored once.
    assert_eq!(app.db.count("flags"), N as i64);
    assert_eq!(app.db.count("match_evidence"), N as i64);

    // A replay gives the first answer back, evidence and all.
    let (s, again) = app.post("/v1/records", &wfp, &same_family("wfp", 7));
    assert_eq!(s, 200, "{again}");
    let mut first = results[7].clone();
    first.as_object_mut().expect("object").remove("index");
    assert_eq!(again, first, "a replay answers as the first time");
    assert!(!again["flags"][0]["evidence"].as_array().expect("evidence").is_empty(), "{again}");

    // The household view is capped, with totals.
    let hid = results[0]["household_id"].as_str().expect("household");
    let t = Instant::now();
    let (s, v) = app.get(&format!("/v1/households/{hid}"), &caseworker);
    eprintln!("household view after that: {:?}, {} bytes", t.elapsed(), v.to_string().len());
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["members_total"], json!(2 * (N + 1)));
    assert_eq!(v["aid_total"], json!(N + 1));
    assert_eq!(v["open_flags_total"], json!(N));
    assert!(v["members"].as_array().expect("members").len() <= 200);
    assert!(v["aid_history"].as_array().expect("aid").len() <= 200);
    assert!(v["open_flags"].as_array().expect("flags").len() <= 100);
    // The latest first: UNRWA's record is the one posted last, on the same period.
    assert!(v["aid_history"].as_array().expect("aid").iter().any(|a| a["agency"] == "UNRWA"));

    // A submitter's view of the same household: its own rows and flags only, also capped.
    let (s, mine) = app.get(&format!("/v1/households/{hid}"), &unrwa);
    assert_eq!(s, 200, "{mine}");
    assert_eq!(mine["members_total"], json!(2));
    assert_eq!(mine["open_flags_total"], json!(1));
    assert!(mine["members"].as_array().expect("members").iter().all(|m| m["agency"] == "UNRWA"));

    // A report page and the whole CSV: one row per flag.
    let t = Instant::now();
    let (s, page) = app.get("/v1/reports/overlaps?limit=10", &auditor);
    eprintln!("report page of 10 after that: {:?}", t.elapsed());
    assert_eq!(s, 200, "{page}");
    assert_eq!(page["rows"].as_array().expect("rows").len(), 10);
    assert_eq!(page["totals"]["rows"], json!(N));
    let t = Instant::now();
    let resp = ureq::get(&format!("{}/v1/reports/overlaps?format=csv", app.base))
        .set("Authorization", &format!("Bearer {auditor}"))
        .call()
        .expect("csv");
    let csv = resp.into_string().expect("csv text");
    eprintln!("CSV after that: {:?}, {} bytes", t.elapsed(), csv.len());
    assert_eq!(csv.lines().count(), N + 1, "a header and one row per flag");
    assert!(csv.lines().next().expect("header").split(',').any(|c| c == "matched_records"));
}
