//! Issue 13: the life of a record over HTTP, on SQLite and PostgreSQL: honest reports (status
//! filter, totals, a merged pair once, summary CSV), withdrawal, correction (matched again
//! through the intake writer, also against a concurrent post), and an agency's export.

use serde_json::{Value, json};

use crate::both_backends;
use crate::pages::Client;
use crate::support::{Backend, MASTER, TestApp, record};

both_backends!(
    reports_follow_the_status_filter_and_list_a_merged_pair_once,
    withdrawn_record_leaves_reports_and_overlap_checks,
    correction_closes_what_it_no_longer_supports,
    concurrent_correction_and_post_stay_consistent,
    export_pages_own_records_as_json_and_csv,
    split_pair_is_not_joined_again,
    erased_person_leaves_no_trace,
    an_id_is_found_in_every_household_and_record_that_holds_it,
    a_row_the_engine_could_not_hold_is_erased_too,
    webhook_retries_in_order_and_survives_a_restart,
);

fn flags(v: &Value) -> Vec<Value> {
    v["flags"].as_array().cloned().unwrap_or_default()
}

fn id(v: &Value, field: &str) -> String {
    v[field].as_str().unwrap_or_else(|| panic!("{field} in {v}")).to_owned()
}

fn rows(rep: &Value) -> usize {
    rep["rows"].as_array().map_or(usize::MAX, Vec::len)
}

fn get_text(app: &TestApp, path: &str, key: &str) -> (u16, String, String) {
    let resp = ureq::get(&format!("{}{path}", app.base)).set("Authorization", &format!("Bearer {key}")).call();
    let resp = match resp {
        Ok(r) => r,
        Err(ureq::Error::Status(_, r)) => r,
        Err(e) => panic!("transport error: {e}"),
    };
    let (status, ct) = (resp.status(), resp.content_type().to_owned());
    (status, ct, resp.into_string().unwrap_or_default())
}

fn reports_follow_the_status_filter_and_list_a_merged_pair_once(b: Backend) {
    let app = TestApp::start(b);
    let w = app.agency("WFP", "submitter");
    let u = app.agency("UNRWA", "submitter");
    let z = app.agency("ZAKAT", "submitter");
    let cw = app.agency("MOSD", "caseworker");
    let auditor = app.agency("AUDIT", "auditor");
    app.post("/v1/records", &w, &record("w-1"));
    let (_, second) = app.post("/v1/records", &u, &record("u-1"));
    let flag = id(&flags(&second)[0], "flag_id");
    let (s, rep) = app.get("/v1/reports/overlaps", &auditor);
    assert_eq!((s, rows(&rep)), (200, 1), "{rep}");
    assert_eq!(rep["totals"]["amount"]["ILS"], 750.0);
    // Dismissed: out of the default report and its totals, there when asked for.
    let (s, _) = app.post(&format!("/v1/flags/{flag}/review"), &cw, &json!({"decision": "dismiss"}));
    assert_eq!(s, 200);
    let (_, rep) = app.get("/v1/reports/overlaps", &auditor);
    assert_eq!(rows(&rep), 0, "{rep}");
    assert_eq!(rep["totals"]["rows"], 0);
    assert!(rep["totals"]["amount"].as_object().is_none_or(|m| m.is_empty()), "{rep}");
    let (_, sum) = app.get("/v1/reports/summary", &auditor);
    assert_eq!(sum["totals"]["overlapping_records"], 0, "{sum}");
    for (status, n) in [("dismissed", 1), ("all", 1), ("open", 0), ("confirmed", 0)] {
        let (s, rep) = app.get(&format!("/v1/reports/overlaps?status={status}"), &auditor);
        assert_eq!((s, rows(&rep)), (200, n), "status={status}: {rep}");
        assert_eq!(rep["totals"]["rows"], n, "status={status}");
    }
    let (_, sum) = app.get("/v1/reports/summary?status=dismissed", &auditor);
    assert_eq!(sum["totals"]["amount"]["ILS"], 750.0, "{sum}");
    let (s, e) = app.get("/v1/reports/overlaps?status=closed", &auditor);
    assert_eq!((s, e["error"]["details"][0]["field"].as_str()), (400, Some("status")), "{e}");

    // A possible match overlapping known aid is flagged twice, at intake and when a reviewer
    // merges the households: one pair, one row.
    let known = json!({"external_id": "u-2", "assistance": {"type": "food", "amount": 300.0, "currency": "ILS", "period_start": "2026-01-01", "period_end": "2026-03-31"},
        "location": {"governorate": "الخليل"},
        "members": [{"role": "head", "name": "خليل ابراهيم يوسف العمايرة", "national_id": "852741963", "date_of_birth": "1970-01-01", "sex": "M"}]});
    app.post("/v1/records", &u, &known);
    let vague = json!({"external_id": "z-1", "assistance": {"type": "food", "amount": 200.0, "currency": "ILS", "period_start": "2026-02-01", "period_end": "2026-02-28"},
        "location": {"governorate": "بيت لحم"}, "members": [{"role": "head", "name": "خليل العمايرة"}]});
    let (_, v) = app.post("/v1/records", &z, &vague);
    let same = flags(&v).into_iter().find(|f| f["kind"] == "possible_same_household").expect("possible flag");
    let (s, rev) =
        app.post(&format!("/v1/flags/{}/review", id(&same, "flag_id")), &cw, &json!({"decision": "confirm"}));
    assert_eq!(s, 200, "{rev}");
    let (_, rep) = app.get("/v1/reports/overlaps?status=all&type=food", &auditor);
    let z_rows: Vec<&Value> =
        rep["rows"].as_array().expect("rows").iter().filter(|r| r["record_id"] == v["record_id"]).collect();
    assert_eq!(z_rows.len(), 1, "{rep}");
    assert_eq!(rep["totals"]["rows"], 1, "{rep}");

    // The summary as CSV.
    let (s, ct, text) = get_text(&app, "/v1/reports/summary?format=csv&status=all", &auditor);
    assert_eq!(s, 200);
    assert!(ct.starts_with("text/csv"), "{ct}");
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("section,key,name_en,name_ar,households,overlapping_records,currency,amount"));
    let body: Vec<&str> = lines.collect();
    assert!(body.iter().any(|l| l.starts_with("agency_pair,UNRWA|WFP,")), "{text}");
    assert!(body.iter().any(|l| l.starts_with("type,food,")), "{text}");
    assert!(body.iter().any(|l| l.starts_with("total,,,,2,2,ILS,950")), "{text}");
    assert_eq!(get_text(&app, "/v1/reports/summary?format=csv", &w).0, 403);
    assert_eq!(get_text(&app, "/v1/reports/summary?format=xml", &auditor).0, 400);
}

fn withdrawn_record_leaves_reports_and_overlap_checks(b: Backend) {
    let app = TestApp::start(b);
    let w = app.agency("WFP", "submitter");
    let u = app.agency("UNRWA", "submitter");
    let n = app.agency("NRC", "submitter");
    let cw = app.agency("MOSD", "caseworker");
    let auditor = app.agency("AUDIT", "auditor");
    let (_, first) = app.post("/v1/records", &w, &record("w-1"));
    let (_, second) = app.post("/v1/records", &u, &record("u-1"));
    assert_eq!(second["decision"], "duplicate");
    let w1 = id(&first, "record_id");
    let flag = id(&flags(&second)[0], "flag_id");
    let (_, rep) = app.get("/v1/reports/overlaps", &auditor);
    assert_eq!(rows(&rep), 1);
    // Bad input first: nothing changes.
    let path = format!("/v1/records/{w1}");
    let (s, e) = app.req("DELETE", &path, Some(&w), Some(&json!({"reason": "  "})));
    assert_eq!((s, e["error"]["details"][0]["field"].as_str()), (400, Some("reason")), "{e}");
    let (s, e) = app.req("DELETE", &path, Some(&w), Some(&json!({})));
    assert_eq!((s, e["error"]["details"][0]["field"].as_str()), (400, Some("reason")), "{e}");
    assert_eq!(app.req("DELETE", &path, Some(&u), Some(&json!({"reason": "not ours"}))).0, 404);
    assert_eq!(app.req("DELETE", &path, Some(&cw), Some(&json!({"reason": "no"}))).0, 403);
    assert_eq!(app.req("DELETE", "/v1/records/nope", Some(&w), Some(&json!({"reason": "no"}))).0, 404);
    assert_eq!(app.get(&path, &w).1["status"], "active");

    let (s, out) = app.req("DELETE", &path, Some(&w), Some(&json!({"reason": "aid never delivered"})));
    assert_eq!(s, 200, "{out}");
    assert_eq!(out["status"], "withdrawn");
    assert_eq!(out["flags_closed"], json!([flag]));
    assert_eq!(app.req("DELETE", &path, Some(&w), Some(&json!({"reason": "again"}))).0, 409);
    // Out of the report and its totals, whatever the status asked for.
    for q in ["", "?status=all"] {
        let (_, rep) = app.get(&format!("/v1/reports/overlaps{q}"), &auditor);
        assert_eq!((rows(&rep), &rep["totals"]["rows"]), (0, &json!(0)), "{rep}");
    }
    let (_, rec) = app.get(&format!("/v1/records/{}", id(&second, "record_id")), &u);
    assert_eq!(rec["flags"][0]["status"], "withdrawn", "{rec}");
    let (_, rec) = app.get(&path, &w);
    assert_eq!(rec["status"], "withdrawn");
    // Still readable, with its history.
    let (s, h) = app.get(&format!("{path}/history"), &w);
    assert_eq!(s, 200, "{h}");
    assert_eq!(h["status"], "withdrawn");
    let last = h["versions"].as_array().and_then(|v| v.last()).cloned().expect("a version");
    assert_eq!((last["current"].as_bool(), last["ended"]["action"].as_str()), (Some(true), Some("withdrawn")));
    assert_eq!(last["ended"]["reason"], "aid never delivered");
    assert_eq!(app.get(&format!("{path}/history"), &n).0, 404);
    assert!(last["ended"]["by"].as_str().is_some_and(|b| !b.is_empty()), "who withdrew it: {last}");
    // The household's aid history keeps it, marked withdrawn; the other agency's aid stands.
    let (s, hh) = app.get(&format!("/v1/households/{}", id(&first, "household_id")), &cw);
    assert_eq!(s, 200, "{hh}");
    let aid = hh["aid_history"].as_array().cloned().unwrap_or_default();
    let entry =
        |rid: &str| aid.iter().find(|a| a["record_id"] == rid).cloned().unwrap_or_else(|| panic!("{rid}: {hh}"));
    assert!(entry(&w1)["withdrawn_at"].is_string(), "{hh}");
    assert!(entry(&id(&second, "record_id")).get("withdrawn_at").is_none(), "{hh}");
    // Later posts do not overlap it, before and after a restart.
    let none_from_wfp = |v: &Value| flags(v).iter().all(|f| f["matched_agency"] != "WFP");
    let (_, third) = app.post("/v1/records", &n, &record("n-1"));
    assert!(none_from_wfp(&third), "{third}");
    assert!(flags(&third).iter().any(|f| f["matched_agency"] == "UNRWA"), "{third}");
    let db = app.stop();
    let app = TestApp::start_on(db);
    let (_, fourth) = app.post("/v1/records", &n, &record("n-2"));
    assert!(none_from_wfp(&fourth), "{fourth}");
    // A withdrawn record cannot be corrected.
    let (s, _) = app.req("PUT", &path, Some(&w), Some(&record("w-1")));
    assert_eq!(s, 409);
}

fn correction_closes_what_it_no_longer_supports(b: Backend) {
    let app = TestApp::start(b);
    let w = app.agency("WFP", "submitter");
    let u = app.agency("UNRWA", "submitter");
    let cw = app.agency("MOSD", "caseworker");
    let auditor = app.agency("AUDIT", "auditor");
    let (_, first) = app.post("/v1/records", &w, &record("w-1"));
    let (_, second) = app.post("/v1/records", &u, &record("u-1"));
    let u1 = id(&second, "record_id");
    let flag = id(&flags(&second)[0], "flag_id");
    let path = format!("/v1/records/{u1}");
    // Bad input: another external_id, another agency, an unknown record, a role that may not.
    let (s, e) = app.req("PUT", &path, Some(&u), Some(&record("u-2")));
    assert_eq!((s, e["error"]["details"][0]["field"].as_str()), (400, Some("external_id")), "{e}");
    assert_eq!(app.req("PUT", &path, Some(&w), Some(&record("u-1"))).0, 404);
    assert_eq!(app.req("PUT", "/v1/records/nope", Some(&u), Some(&record("u-1"))).0, 404);
    assert_eq!(app.req("PUT", &path, Some(&cw), Some(&record("u-1"))).0, 403);
    let mut bad = record("u-1");
    bad["assistance"]["period_start"] = json!("2026-02-30");
    let (s, e) = app.req("PUT", &path, Some(&u), Some(&bad));
    assert_eq!((s, e["error"]["details"][0]["field"].as_str()), (400, Some("assistance.period_start")), "{e}");
    // The same body: the answer as it stands.
    let (s, same) = app.req("PUT", &path, Some(&u), Some(&record("u-1")));
    assert_eq!(s, 200, "{same}");
    assert_eq!(flags(&same)[0]["flag_id"], flag.as_str());

    // A correction that keeps the overlap keeps its flag, open.
    let mut cheaper = record("u-1");
    cheaper["assistance"]["amount"] = json!(500.0);
    let (s, kept) = app.req("PUT", &path, Some(&u), Some(&cheaper));
    assert_eq!(s, 200, "{kept}");
    assert_eq!((kept["record_id"].as_str(), kept["decision"].as_str()), (Some(u1.as_str()), Some("duplicate")));
    assert_eq!(flags(&kept).len(), 1, "{kept}");
    assert_eq!(flags(&kept)[0]["flag_id"], flag.as_str());
    let (_, rep) = app.get("/v1/reports/overlaps", &auditor);
    assert_eq!(rep["totals"]["amount"]["ILS"], 500.0, "{rep}");

    // A correction that removes the overlap closes its flag as superseded.
    let mut june = record("u-1");
    june["assistance"]["period_start"] = json!("2026-06-01");
    june["assistance"]["period_end"] = json!("2026-06-30");
    let (s, moved) = app.req("PUT", &path, Some(&u), Some(&june));
    assert_eq!(s, 200, "{moved}");
    assert_eq!(moved["decision"], "unique", "{moved}");
    assert_eq!(moved["household_id"], first["household_id"]);
    let (_, rec) = app.get(&path, &u);
    assert_eq!(rec["version"], 3);
    assert_eq!(rec["assistance"]["period_start"], "2026-06-01");
    assert_eq!(rec["flags"][0]["status"], "superseded", "{rec}");
    let (_, rep) = app.get("/v1/reports/overlaps?status=all", &auditor);
    assert_eq!(rows(&rep), 0, "{rep}");
    let (_, open) = app.get("/v1/flags?status=open", &cw);
    assert_eq!(open["flags"].as_array().map(Vec::len), Some(0), "{open}");
    let (s, h) = app.get(&format!("{path}/history"), &u);
    assert_eq!(s, 200, "{h}");
    let versions = h["versions"].as_array().expect("versions");
    assert_eq!(versions.len(), 3, "{h}");
    assert_eq!(versions[0]["assistance"]["amount"], 750.0);
    assert_eq!(versions[0]["ended"]["action"], "corrected");
    assert_eq!(versions[1]["assistance"]["amount"], 500.0);
    assert_eq!(versions[2]["assistance"]["period_start"], "2026-06-01");
    assert_eq!(versions[2]["current"], true);
    assert!(versions[2].get("ended").is_none(), "{h}");

    // The earlier record corrected into June: now it overlaps, and is flagged.
    let mut w_june = record("w-1");
    w_june["assistance"]["period_start"] = json!("2026-06-15");
    w_june["assistance"]["period_end"] = json!("2026-07-15");
    let (s, again) = app.req("PUT", &format!("/v1/records/{}", id(&first, "record_id")), Some(&w), Some(&w_june));
    assert_eq!(s, 200, "{again}");
    let raised = flags(&again);
    assert_eq!(raised.len(), 1, "{again}");
    assert_eq!(
        (raised[0]["kind"].as_str(), raised[0]["matched_record_id"].as_str()),
        (Some("overlapping_aid"), Some(u1.as_str()))
    );
    assert_eq!(raised[0]["overlap"]["from"], "2026-06-15");
    let (_, rep) = app.get("/v1/reports/overlaps", &auditor);
    assert_eq!(rows(&rep), 1, "{rep}");
    // And corrected back out: the flag it raised closes; the record stays in its household.
    let (s, out) = app.req("PUT", &format!("/v1/records/{}", id(&first, "record_id")), Some(&w), Some(&record("w-1")));
    assert_eq!((s, out["decision"].as_str()), (200, Some("unique")), "{out}");
    let (_, rep) = app.get("/v1/reports/overlaps", &auditor);
    assert_eq!(rows(&rep), 0, "{rep}");
    // Every correction is in the audit log.
    assert!(app.db.count("audit_events") >= 4);
}

/// A correction and a post of the same household at the same instant, many times over: in
/// whichever order the writer takes them, the two records end in one household with exactly
/// one open overlap flag between them.
fn concurrent_correction_and_post_stay_consistent(b: Backend) {
    let app = TestApp::start(b);
    let w = app.agency("WFP", "submitter");
    let u = app.agency("UNRWA", "submitter");
    let auditor = app.agency("AUDIT", "auditor");
    let caseload = bawaba_synth::generate(&bawaba_synth::Config::small(13));
    let mut seen = std::collections::HashSet::new();
    let bodies: Vec<Value> = caseload
        .records
        .iter()
        .filter(|r| seen.insert(r.truth.household) && r.members.iter().all(|m| m.national_id.is_some()))
        .take(24)
        .map(|r| r.to_api_json())
        .collect();
    let period = |v: &mut Value, from: &str, to: &str| {
        v["assistance"]["type"] = json!("cash");
        v["assistance"]["period_start"] = json!(from);
        v["assistance"]["period_end"] = json!(to);
    };
    for (i, body) in bodies.iter().enumerate() {
        let mut early = body.clone();
        early["external_id"] = json!(format!("w-{i}"));
        period(&mut early, "2026-01-01", "2026-01-31");
        let (s, posted) = app.post("/v1/records", &w, &early);
        assert_eq!(s, 201, "{posted}");
        let wid = id(&posted, "record_id");
        let mut late = early.clone();
        period(&mut late, "2026-06-01", "2026-06-30");
        let mut theirs = body.clone();
        theirs["external_id"] = json!(format!("u-{i}"));
        period(&mut theirs, "2026-06-10", "2026-06-20");
        let barrier = std::sync::Barrier::new(2);
        let ((s1, c), (s2, p)) = std::thread::scope(|sc| {
            let h1 = sc.spawn(|| {
                barrier.wait();
                app.req("PUT", &format!("/v1/records/{wid}"), Some(&w), Some(&late))
            });
            let h2 = sc.spawn(|| {
                barrier.wait();
                app.post("/v1/records", &u, &theirs)
            });
            (h1.join().expect("correct"), h2.join().expect("post"))
        });
        assert_eq!((s1, s2), (200, 201), "{c} {p}");
        assert_eq!(c["household_id"], p["household_id"], "{c} {p}");
        let against = |me: &Value, other: &Value| {
            flags(me).iter().any(|f| f["kind"] == "overlapping_aid" && f["matched_record_id"] == other["record_id"])
        };
        assert!(against(&c, &p) ^ against(&p, &c), "exactly one flag between them: {c} {p}");
    }
    let (_, rep) = app.get("/v1/reports/overlaps?limit=1000", &auditor);
    assert_eq!(rows(&rep), bodies.len(), "{rep}");
}

fn export_pages_own_records_as_json_and_csv(b: Backend) {
    let app = TestApp::start(b);
    let w = app.agency("WFP", "submitter");
    let u = app.agency("UNRWA", "submitter");
    let auditor = app.agency("AUDIT", "auditor");
    for i in 0..3 {
        let mut r = record(&format!("w-{i}"));
        r["assistance"]["period_start"] = json!(format!("2026-0{}-01", i + 1));
        r["assistance"]["period_end"] = json!(format!("2026-0{}-28", i + 1));
        app.post("/v1/records", &w, &r);
    }
    app.post("/v1/records", &u, &record("u-1"));
    let (s, page) = app.get("/v1/records?limit=2", &w);
    assert_eq!(s, 200, "{page}");
    let got = page["records"].as_array().expect("records");
    assert_eq!(got.len(), 2);
    assert_eq!(got[0]["external_id"], "w-0");
    assert_eq!(got[0]["members"][0]["national_id"], "401234563");
    assert_eq!(got[0]["status"], "active");
    let cursor = id(&page, "next_cursor");
    let (_, rest) = app.get(&format!("/v1/records?limit=2&cursor={cursor}"), &w);
    let rest = rest["records"].as_array().cloned().expect("records");
    assert_eq!(rest.len(), 1);
    assert_eq!(rest[0]["external_id"], "w-2");
    let (_, feb) = app.get("/v1/records?from=2026-02-01&to=2026-02-28", &w);
    let ext: Vec<&str> =
        feb["records"].as_array().expect("records").iter().filter_map(|r| r["external_id"].as_str()).collect();
    assert_eq!(ext, ["w-1"]);
    // Another agency sees its own only.
    let (_, theirs) = app.get("/v1/records", &u);
    assert_eq!(theirs["records"].as_array().map(Vec::len), Some(1));
    // CSV: one line per member, every record.
    let (s, ct, text) = get_text(&app, "/v1/records?format=csv", &w);
    assert_eq!(s, 200);
    assert!(ct.starts_with("text/csv"));
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().expect("header").split(',').collect();
    let body: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    assert_eq!(body.len(), 6, "{text}");
    let col = |name: &str| header.iter().position(|h| *h == name).expect(name);
    assert_eq!(body[0][col("external_id")], "w-0");
    assert_eq!(body[0][col("name")], "محمد احمد محمود الشاعر");
    assert_eq!(body[1][col("role")], "spouse");
    // Refused: other roles, bad parameters.
    assert_eq!(app.get("/v1/records", &auditor).0, 403);
    let (s, e) = app.get("/v1/records?from=2026-13-01", &w);
    assert_eq!((s, e["error"]["details"][0]["field"].as_str()), (400, Some("from")));
    let (s, e) = app.get("/v1/records?format=xml", &w);
    assert_eq!((s, e["error"]["details"][0]["field"].as_str()), (400, Some("format")));
    assert_eq!(get_text(&app, "/v1/records?format=csv", &auditor).0, 403);
}

fn split_pair_is_not_joined_again(b: Backend) {
    let app = TestApp::start(b);
    let w = app.agency("WFP", "submitter");
    let u = app.agency("UNRWA", "submitter");
    let n = app.agency("NRC", "submitter");
    let cw = app.agency("MOSD", "caseworker");
    let auditor = app.agency("AUDIT", "auditor");
    let (_, first) = app.post("/v1/records", &w, &record("w-1"));
    let (_, second) = app.post("/v1/records", &u, &record("u-1"));
    let home = id(&first, "household_id");
    assert_eq!(second["household_id"], home.as_str());
    let flag = id(&flags(&second)[0], "flag_id");
    let (w1, u1) = (id(&first, "record_id"), id(&second, "record_id"));
    let path = format!("/v1/households/{home}/split");
    // Bad input: nothing moves.
    let field = |body: &Value, key: &str| {
        let (s, e) = app.post(&path, key, body);
        (s, e["error"]["details"][0]["field"].as_str().map(str::to_owned).unwrap_or_default())
    };
    assert_eq!(field(&json!({"records": []}), &cw), (400, "records".into()));
    assert_eq!(field(&json!({"records": [w1, u1]}), &cw), (400, "records".into()));
    assert_eq!(field(&json!({"records": ["nope"]}), &cw), (400, "records[0]".into()));
    assert_eq!(field(&json!({"record": [u1]}), &cw).0, 400);
    assert_eq!(app.post(&path, &u, &json!({"records": [u1]})).0, 403);
    assert_eq!(app.post("/v1/households/nope/split", &cw, &json!({"records": [u1]})).0, 404);
    assert_eq!(app.get(&format!("/v1/records/{u1}"), &u).1["household_id"], home.as_str());

    let (s, out) = app.post(&path, &auditor, &json!({"records": [u1], "note": "two families, one name"}));
    assert_eq!(s, 200, "{out}");
    let new = id(&out, "new_household_id");
    assert_ne!(new, home);
    assert_eq!(out["flags_closed"], json!([flag]));
    assert_eq!(app.get(&format!("/v1/records/{u1}"), &u).1["household_id"], new.as_str());
    assert_eq!(app.get(&format!("/v1/records/{w1}"), &w).1["household_id"], home.as_str());
    let (_, rep) = app.get("/v1/reports/overlaps", &auditor);
    assert_eq!(rows(&rep), 0, "{rep}");
    let (_, view) = app.get(&format!("/v1/households/{new}"), &cw);
    assert_eq!(view["aid_history"].as_array().map(Vec::len), Some(1), "{view}");
    // A later record of the same family joins one side, never both, and is not linked to the
    // other; so too after a restart.
    let check = |v: &Value| {
        let joined = id(v, "household_id");
        assert!(joined == home || joined == new, "{v}");
        let other = if joined == home { &new } else { &home };
        assert!(flags(v).iter().all(|f| f["matched_household_id"] != other.as_str()), "{v}");
    };
    let (_, third) = app.post("/v1/records", &n, &record("n-1"));
    check(&third);
    let db = app.stop();
    let app = TestApp::start_on(db);
    let (_, fourth) = app.post("/v1/records", &n, &record("n-2"));
    check(&fourth);
    assert_eq!(app.get(&format!("/v1/records/{u1}"), &u).1["household_id"], new.as_str());
    // Correcting the record split off matches it again, but never back into the household it
    // was split from.
    let mut corrected = record("u-1");
    corrected["assistance"]["amount"] = json!(321);
    let (s, again) = app.req("PUT", &format!("/v1/records/{u1}"), Some(&u), Some(&corrected));
    assert_eq!(s, 200, "{again}");
    assert_ne!(id(&again, "household_id"), home, "{again}");
    assert!(flags(&again).iter().all(|f| f["matched_household_id"] != home.as_str()), "{again}");
}

fn erased_person_leaves_no_trace(b: Backend) {
    let app = TestApp::start(b);
    let w = app.agency("WFP", "submitter");
    let u = app.agency("UNRWA", "submitter");
    let cw = app.agency("MOSD", "caseworker");
    let auditor = app.agency("AUDIT", "auditor");
    let (_, first) = app.post("/v1/records", &w, &record("w-1"));
    let (_, second) = app.post("/v1/records", &u, &record("u-1"));
    let (w1, u1, home) = (id(&first, "record_id"), id(&second, "record_id"), id(&first, "household_id"));
    let (_, rec) = app.get(&format!("/v1/records/{w1}"), &w);
    let pid = id(&rec["members"][0], "person_id");
    let values = ["محمد احمد محمود الشاعر", "401234563", "+970599123456", "0599123456", "599123456", "1980-05-01"];
    let (_, before) = app.get(&format!("/v1/households/{home}"), &cw);
    assert!(before.to_string().contains(values[0]) && before.to_string().contains(values[1]), "{before}");
    // Bad input.
    let path = format!("/v1/persons/{pid}/erase");
    let (s, e) = app.post(&path, MASTER, &json!({"reason": ""}));
    assert_eq!((s, e["error"]["details"][0]["field"].as_str()), (400, Some("reason")), "{e}");
    assert_eq!(app.post(&path, &cw, &json!({"reason": "asked"})).0, 403);
    assert_eq!(app.post(&path, &w, &json!({"reason": "asked"})).0, 403);
    assert_eq!(app.post("/v1/persons/99999999/erase", MASTER, &json!({"reason": "asked"})).0, 404);
    assert_eq!(app.post("/v1/persons/abc/erase", MASTER, &json!({"reason": "asked"})).0, 404);

    let (s, out) = app.post(&path, MASTER, &json!({"reason": "the person asked to be removed"}));
    assert_eq!(s, 200, "{out}");
    // The same national ID posted by the other agency is the same person: erased too.
    assert_eq!(out["person_ids"].as_array().map(Vec::len), Some(2), "{out}");
    assert!(out["evidence_rewritten"].as_u64().is_some_and(|n| n >= 1), "{out}");

    let mut seen: Vec<(String, String)> = Vec::new();
    let mut look = |what: &str, text: String| seen.push((what.to_owned(), text));
    for (key, rid) in [(&w, &w1), (&u, &u1), (&cw, &w1), (&cw, &u1), (&auditor, &u1)] {
        look("record", app.get(&format!("/v1/records/{rid}"), key).1.to_string());
        look("history", app.get(&format!("/v1/records/{rid}/history"), key).1.to_string());
    }
    look("household", app.get(&format!("/v1/households/{home}"), &cw).1.to_string());
    for q in ["national_id=401234563", "phone=0599123456", "name=محمد%20احمد%20محمود%20الشاعر", "name=الشاعر"]
    {
        let (s, mut found) = app.get(&format!("/v1/households/search?{q}"), &cw);
        assert_eq!(s, 200, "{found}");
        if q.starts_with("national_id") || q.starts_with("phone") {
            assert_eq!(found["candidates"].as_array().map(Vec::len), Some(0), "{q}: {found}");
        }
        // The evidence quotes the query itself as `ours`: what was found is the rest.
        without_ours(&mut found);
        look("search", found.to_string());
    }
    for st in ["open", "confirmed", "dismissed"] {
        look("flags", app.get(&format!("/v1/flags?status={st}"), &cw).1.to_string());
    }
    look("alerts", app.get("/v1/alerts", &w).1.to_string());
    look("report", app.get("/v1/reports/overlaps?status=all", &auditor).1.to_string());
    look("report csv", get_text(&app, "/v1/reports/overlaps?format=csv&status=all", &auditor).2);
    look("summary csv", get_text(&app, "/v1/reports/summary?format=csv", &auditor).2);
    for key in [&w, &u] {
        look("export", app.get("/v1/records", key).1.to_string());
        look("export csv", get_text(&app, "/v1/records?format=csv", key).2);
    }
    let mut page = Client::signed_in(&app, &cw);
    for p in [format!("/ui/households/{home}"), "/ui/review?status=all".to_owned()] {
        let got = page.get(&p);
        assert_eq!(got.status, 200, "{p}");
        look("page", got.body);
    }
    for (what, text) in &seen {
        for v in values {
            assert!(!text.contains(v), "{what} still holds {v}: {text}");
        }
    }
    // Amounts and counts stay for reports.
    let (_, rep) = app.get("/v1/reports/overlaps", &auditor);
    assert_eq!((rows(&rep), &rep["totals"]["amount"]["ILS"]), (1, &json!(750.0)), "{rep}");
    // Not in the database file either (SQLite: the file and its write-ahead log).
    if b == Backend::Sqlite {
        let db = app.stop();
        let mut bytes = std::fs::read(&db.url).expect("database file");
        bytes.extend(std::fs::read(format!("{}-wal", db.url)).unwrap_or_default());
        for v in ["محمد احمد محمود الشاعر", "401234563", "0599123456", "1980-05-01"] {
            let needle = v.as_bytes();
            assert!(!bytes.windows(needle.len()).any(|w| w == needle), "the database file still holds {v}");
        }
    }
}

/// The national ID has no index in the database: a break-the-glass search and an erasure ask
/// the engine which households hold it. Both must still find it everywhere it is stored: in two
/// households (a split), in a withdrawn record, and written again in the same household (a
/// shadow, in none of the engine's blocks), whether the engine grew with the writes or was
/// rebuilt at a start.
fn an_id_is_found_in_every_household_and_record_that_holds_it(b: Backend) {
    for restart in [false, true] {
        id_everywhere(b, restart);
    }
}

fn id_everywhere(b: Backend, restart: bool) {
    let mut app = TestApp::start(b);
    let w = app.agency("WFP", "submitter");
    let u = app.agency("UNRWA", "submitter");
    let z = app.agency("ZAKAT", "submitter");
    let auditor = app.agency("AUDIT", "auditor");
    app.agency("MOSD", "caseworker");
    // A caseworker in Khan Younis: every record here is in Yatta, outside its scope.
    let (s, k) = app.post(
        "/v1/keys",
        MASTER,
        &json!({"agency": "MOSD", "role": "caseworker", "label": "far",
                "scope": {"localities": ["PS-KYS-KHAN-YOUNIS"]}}),
    );
    assert_eq!(s, 201, "{k}");
    let far = id(&k, "api_key");
    let posted: Vec<Value> = [(&w, "w-1"), (&u, "u-1"), (&z, "z-1")]
        .into_iter()
        .map(|(key, ext)| {
            let (s, v) = app.post("/v1/records", key, &record(ext));
            assert_eq!(s, 201, "{v}");
            v
        })
        .collect();
    let home = id(&posted[0], "household_id");
    assert!(posted.iter().all(|p| p["household_id"] == home.as_str()), "one family: {posted:?}");
    let [w1, u1, z1] = [0, 1, 2].map(|i| id(&posted[i], "record_id"));
    let [pw, pu, pz] = [(&w, &w1), (&u, &u1), (&z, &z1)]
        .map(|(key, rid)| id(&app.get(&format!("/v1/records/{rid}"), key).1["members"][0], "person_id"));
    // ZAKAT's record split off: the same ID in two households.
    let (s, out) = app.post(&format!("/v1/households/{home}/split"), &auditor, &json!({"records": [z1]}));
    assert_eq!(s, 200, "{out}");
    let other = id(&out, "new_household_id");
    // WFP's record withdrawn: its members keep the ID. UNRWA's head, written as WFP's was, is
    // the shadow of WFP's.
    let (s, out) = app.req("DELETE", &format!("/v1/records/{w1}"), Some(&w), Some(&json!({"reason": "not delivered"})));
    assert_eq!(s, 200, "{out}");
    if restart {
        let db = app.stop();
        app = TestApp::start_on(db);
    }

    let glass = |id: &str| -> Vec<String> {
        let q = format!("/v1/households/search?national_id={id}&reason=referral");
        let (s, found) = app.get(&q, &far);
        assert_eq!(s, 200, "{found}");
        let mut v: Vec<String> = found["candidates"]
            .as_array()
            .expect("candidates")
            .iter()
            .map(|c| c["household_id"].as_str().expect("id").to_owned())
            .collect();
        v.sort_unstable();
        v
    };
    let mut both = vec![home.clone(), other.clone()];
    both.sort_unstable();
    assert_eq!(glass("401234563"), both, "the exact ID, in both households");
    assert_eq!(glass("401-234-563"), both, "written another way");
    assert!(glass("401234536").is_empty(), "a near ID breaks no glass");

    // Erased from the household split off: the withdrawn record's row and the shadow go too,
    // and no one else (the spouses have no ID).
    let (s, out) = app.post(&format!("/v1/persons/{pz}/erase"), MASTER, &json!({"reason": "asked"}));
    assert_eq!(s, 200, "{out}");
    let mut erased: Vec<String> =
        out["person_ids"].as_array().expect("ids").iter().map(|p| p.as_str().expect("id").to_owned()).collect();
    erased.sort_unstable();
    let mut want = vec![pw, pu, pz];
    want.sort_unstable();
    assert_eq!(erased, want, "restart={restart}: {out}");
    for (key, rid) in [(&w, &w1), (&u, &u1), (&z, &z1)] {
        let (_, rec) = app.get(&format!("/v1/records/{rid}"), key);
        assert!(!rec.to_string().contains("401234563"), "{rec}");
        assert!(rec.to_string().contains("فاطمة"), "the spouse stays: {rec}");
    }
    assert!(glass("401234563").is_empty(), "nothing left to find");
}

/// A stored person whose sealed ID no longer opens (damage) is held by the rebuilt engine
/// without it, so the engine cannot name its household under the ID: an erasure of the same ID
/// elsewhere still finds it (by its keyed hash, among the rows the rebuild could not hold) and
/// erases it.
fn a_row_the_engine_could_not_hold_is_erased_too(b: Backend) {
    let app = TestApp::start(b);
    let w = app.agency("WFP", "submitter");
    let z = app.agency("ZAKAT", "submitter");
    let auditor = app.agency("AUDIT", "auditor");
    let (_, first) = app.post("/v1/records", &w, &record("w-1"));
    let (_, second) = app.post("/v1/records", &z, &record("z-1"));
    let (w1, z1, home) = (id(&first, "record_id"), id(&second, "record_id"), id(&first, "household_id"));
    assert_eq!(second["household_id"], home.as_str());
    let (s, out) = app.post(&format!("/v1/households/{home}/split"), &auditor, &json!({"records": [z1]}));
    assert_eq!(s, 200, "{out}");
    let pw = id(&app.get(&format!("/v1/records/{w1}"), &w).1["members"][0], "person_id");
    let pz = id(&app.get(&format!("/v1/records/{z1}"), &z).1["members"][0], "person_id");
    let db = app.stop();
    {
        use diesel::RunQueryDsl;
        let mut c = db.connect();
        let damaged = format!("UPDATE persons SET national_id = 'enc1:AAAA' WHERE id = {pz}");
        assert_eq!(diesel::sql_query(damaged).execute(&mut c).expect("damage"), 1);
    }
    let app = TestApp::start_on(db);
    let (s, out) = app.post(&format!("/v1/persons/{pw}/erase"), MASTER, &json!({"reason": "asked"}));
    assert_eq!(s, 200, "{out}");
    let mut erased: Vec<&str> = out["person_ids"].as_array().expect("ids").iter().filter_map(Value::as_str).collect();
    erased.sort_unstable();
    let mut want = vec![pw.as_str(), pz.as_str()];
    want.sort_unstable();
    assert_eq!(erased, want, "{out}");
    let (_, rec) = app.get(&format!("/v1/records/{z1}"), &z);
    assert!(!rec.to_string().contains("محمد احمد محمود الشاعر"), "{rec}");
}

fn without_ours(v: &mut Value) {
    match v {
        Value::Object(o) => {
            o.remove("ours");
            o.values_mut().for_each(without_ours);
        }
        Value::Array(a) => a.iter_mut().for_each(without_ours),
        _ => {}
    }
}

/// A receiver on 127.0.0.1 that answers 500 to its first `fail` requests and 204 after,
/// keeping each request's signature and body.
struct Receiver {
    url: String,
    got: std::sync::Arc<std::sync::Mutex<Vec<(String, String, u16)>>>,
}

impl Receiver {
    fn start(fail: usize) -> Receiver {
        use std::io::{BufRead, BufReader, Read, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let url = format!("http://{}/hook", listener.local_addr().expect("addr"));
        let got = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let log = got.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let mut reader = BufReader::new(stream.try_clone().expect("clone"));
                let (mut len, mut sig) = (0usize, String::new());
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                        break;
                    }
                    let lower = line.to_ascii_lowercase();
                    if let Some(v) = lower.strip_prefix("content-length:") {
                        len = v.trim().parse().unwrap_or(0);
                    }
                    if lower.starts_with("x-bawaba-signature:") {
                        sig = line["x-bawaba-signature:".len()..].trim().to_owned();
                    }
                }
                let mut body = vec![0u8; len];
                let _ = reader.read_exact(&mut body);
                let mut log = log.lock().expect("log");
                let status = if log.len() < fail { 500 } else { 204 };
                log.push((sig, String::from_utf8_lossy(&body).into_owned(), status));
                drop(log);
                let reason = if status == 500 { "Internal Server Error" } else { "No Content" };
                let _ = write!(stream, "HTTP/1.1 {status} {reason}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
            }
        });
        Receiver { url, got }
    }

    fn count(&self) -> usize {
        self.got.lock().map(|g| g.len()).unwrap_or(0)
    }

    fn wait_for(&self, n: usize) {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        while self.count() < n {
            assert!(std::time::Instant::now() < deadline, "the receiver got {} of {n} requests", self.count());
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    }
}

fn webhook_retries_in_order_and_survives_a_restart(b: Backend) {
    use bawaba::service::webhooks::WebhookSettings;
    use hmac::Mac;
    use std::time::Duration;
    // URLs are checked when registered: no loopback or private address by default.
    {
        let strict = TestApp::start(b);
        let w = strict.agency("WFP", "submitter");
        for url in
            ["http://127.0.0.1:9/hook", "http://10.1.2.3/hook", "http://[::1]:9/", "ftp://example.org/", "not a url"]
        {
            let (s, e) = strict.post("/v1/webhooks", &w, &json!({"url": url, "secret": "0123456789abcdef"}));
            assert_eq!((s, e["error"]["details"][0]["field"].as_str()), (400, Some("url")), "{url}: {e}");
        }
    }
    let settings = |s: &mut bawaba::service::Settings| {
        s.webhooks = WebhookSettings {
            allow_private: true,
            backoff: Duration::from_millis(1000),
            backoff_max: Duration::from_secs(4),
            poll: Duration::from_millis(50),
        }
    };
    let receiver = Receiver::start(2);
    let app = TestApp::start_with(crate::support::TestDb::new(b), settings);
    let w = app.agency("WFP", "submitter");
    let u = app.agency("UNRWA", "submitter");
    let cw = app.agency("MOSD", "caseworker");
    let secret = "a-secret-only-wfp-and-bawaba-know";
    let (s, e) = app.post("/v1/webhooks", &w, &json!({"url": receiver.url, "secret": "short"}));
    assert_eq!((s, e["error"]["details"][0]["field"].as_str()), (400, Some("secret")));
    let (s, e) = app.post("/v1/webhooks", &w, &json!({"url": receiver.url, "secret": secret, "agency": "UNRWA"}));
    assert_eq!((s, e["error"]["details"][0]["field"].as_str()), (400, Some("agency")));
    assert_eq!(app.post("/v1/webhooks", &cw, &json!({"url": receiver.url, "secret": secret})).0, 403);
    let (s, hook) = app.post("/v1/webhooks", &w, &json!({"url": receiver.url, "secret": secret}));
    assert_eq!(s, 201, "{hook}");
    let hook_id = id(&hook, "webhook_id");

    app.post("/v1/records", &w, &record("w-1"));
    let (_, second) = app.post("/v1/records", &u, &record("u-1"));
    let first_alert = id(&flags(&second)[0], "flag_id");
    let (s, alerts) = app.get("/v1/alerts", &w);
    assert_eq!(s, 200, "{alerts}");
    assert_eq!(alerts["alerts"].as_array().map(Vec::len), Some(1), "{alerts}");
    assert_eq!(alerts["alerts"][0]["flag_id"], first_alert.as_str());
    assert_eq!(alerts["alerts"][0]["matched_record_id"], second["flags"][0]["matched_record_id"]);
    assert_eq!(app.get("/v1/alerts", &u).1["alerts"].as_array().map(Vec::len), Some(0));
    assert_eq!(app.get("/v1/alerts", &cw).0, 403);

    // Refused twice; the gateway stops before the third try, and nothing is sent while it is down.
    receiver.wait_for(2);
    let db = app.stop();
    std::thread::sleep(Duration::from_millis(2500));
    assert_eq!(receiver.count(), 2, "nothing is sent while the gateway is down");
    let app = TestApp::start_with(db, settings);
    receiver.wait_for(3);
    // A later alert comes after the first, in order.
    let mut again = record("u-2");
    again["assistance"]["program"] = json!("spring-2026");
    let (_, third) = app.post("/v1/records", &u, &again);
    let second_alert = id(&flags(&third)[0], "flag_id");
    receiver.wait_for(4);
    std::thread::sleep(Duration::from_millis(300));
    let got = receiver.got.lock().expect("log").clone();
    assert_eq!(got.len(), 4, "{got:?}");
    let flag_of = |body: &str| serde_json::from_str::<Value>(body).map(|v| v["flag_id"].clone()).unwrap_or_default();
    for (i, (sig, body, status)) in got.iter().enumerate() {
        let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).expect("hmac");
        mac.update(body.as_bytes());
        assert_eq!(sig, &format!("sha256={}", hex::encode(mac.finalize().into_bytes())), "signature of #{i}");
        let want = if i < 3 { &first_alert } else { &second_alert };
        assert_eq!(flag_of(body), json!(want), "#{i}: {body}");
        assert_eq!(*status, if i < 2 { 500 } else { 204 });
        assert!(!body.contains("محمد"), "no names in an alert: {body}");
    }
    let (s, log) = app.get(&format!("/v1/webhooks/{hook_id}/deliveries"), &w);
    assert_eq!(s, 200, "{log}");
    let attempts: Vec<(u64, Option<u64>, bool)> = log["deliveries"]
        .as_array()
        .expect("deliveries")
        .iter()
        .map(|d| (d["attempt"].as_u64().unwrap_or(0), d["status_code"].as_u64(), d["delivered"] == true))
        .collect();
    assert_eq!(attempts, [(1, Some(500), false), (2, Some(500), false), (3, Some(204), true), (1, Some(204), true)]);
    assert_eq!(app.get(&format!("/v1/webhooks/{hook_id}/deliveries"), &u).0, 404);
    assert_eq!(app.get("/v1/webhooks/nope/deliveries", &w).0, 404);

    // Listed to its agency and the admin, never with its secret; deleted by them alone.
    let listed = |key: &str, q: &str| {
        let (s, l) = app.get(&format!("/v1/webhooks{q}"), key);
        assert_eq!(s, 200, "{l}");
        assert!(!l.to_string().contains(secret), "no secret in a list: {l}");
        l["webhooks"].as_array().cloned().unwrap_or_default().iter().map(|h| id(h, "webhook_id")).collect::<Vec<_>>()
    };
    assert_eq!(listed(&w, ""), std::slice::from_ref(&hook_id));
    assert_eq!(listed(MASTER, ""), std::slice::from_ref(&hook_id));
    assert_eq!(listed(MASTER, "?agency=WFP"), std::slice::from_ref(&hook_id));
    assert!(listed(MASTER, "?agency=UNRWA").is_empty());
    assert!(listed(&u, "").is_empty());
    let (s, e) = app.get("/v1/webhooks?agency=UNRWA", &w);
    assert_eq!((s, e["error"]["details"][0]["field"].as_str()), (400, Some("agency")), "{e}");
    assert_eq!(app.get("/v1/webhooks", &cw).0, 403);
    let path = format!("/v1/webhooks/{hook_id}");
    assert_eq!(app.req("DELETE", &path, Some(&u), None).0, 404);
    assert_eq!(app.req("DELETE", &path, Some(&cw), None).0, 403);
    assert_eq!(app.req("DELETE", &path, Some(&w), None).0, 204);
    assert_eq!(app.req("DELETE", &path, Some(&w), None).0, 404);
    assert!(listed(&w, "").is_empty());
    assert_eq!(app.get(&format!("{path}/deliveries"), &w).0, 404);
    // Nothing more is sent to it.
    let mut later = record("u-3");
    later["assistance"]["program"] = json!("summer-2026");
    let (_, fourth) = app.post("/v1/records", &u, &later);
    assert!(!flags(&fourth).is_empty(), "a new alert for WFP: {fourth}");
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(receiver.count(), 4, "a deleted webhook is told nothing");
}

mod chromium {
    //! The split and a record's life, end to end in headless Chromium: a caseworker checks a
    //! record on the household page and splits it off; the record the household kept is
    //! corrected and withdrawn, the household page marks it withdrawn, and its page lists the
    //! versions with who ended each, when and why. Screenshots into `BAWABA_SCREENSHOTS` (a
    //! temp dir when unset).

    use std::time::Duration;

    use super::*;
    use crate::support::chromium::{click_and_wait, go, launch, shot, shots_dir, text};

    #[test]
    #[cfg_attr(not(chromium_tests), ignore = "Chromium is not installed at /usr/bin/chromium (.ci/run installs it)")]
    fn split_a_household_in_chromium() {
        let app = TestApp::start(Backend::Sqlite);
        let w = app.agency("WFP", "submitter");
        let u = app.agency("UNRWA", "submitter");
        let cw = app.agency("MOSD", "caseworker");
        let (_, first) = app.post("/v1/records", &w, &record("w-1"));
        let (_, second) = app.post("/v1/records", &u, &record("u-1"));
        let home = id(&first, "household_id");
        let w1 = id(&first, "record_id");
        let u1 = id(&second, "record_id");
        assert_eq!(second["household_id"], home.as_str());

        let shots = shots_dir();
        let profile = tempfile::tempdir().expect("profile");
        let browser = launch(profile.path());
        let tab = browser.new_tab().expect("tab");
        tab.set_default_timeout(Duration::from_secs(20));
        let base = app.base.replace("127.0.0.1", "localhost");
        let page = format!("/ui/households/{home}");
        go(&tab, &format!("{base}{page}"));
        tab.wait_for_element("#key").expect("key field").click().expect("focus");
        tab.send_character(&cw).expect("type key");
        click_and_wait(&tab, "form[action='/ui/login'] button[type=submit]");
        assert!(tab.get_url().ends_with(&page), "back on the household: {}", tab.get_url());
        tab.wait_for_element("form.split").expect("the split form");
        shot(&tab, &shots, "household-split-ar");
        tab.wait_for_element(&format!("form.split input[value='{u1}']")).expect("u-1's box").click().expect("check");
        tab.wait_for_element("#split-note").expect("note").click().expect("focus");
        tab.send_character("أسرتان مختلفتان بالاسم نفسه").expect("note");
        click_and_wait(&tab, "#split");
        let now = text(&tab);
        assert!(now.contains("فُصلت السجلات المختارة"), "{now}");
        assert!(!tab.get_url().contains(&home) && tab.get_url().contains("done=split"), "{}", tab.get_url());
        shot(&tab, &shots, "household-split-done-ar");
        let (_, moved) = app.get(&format!("/v1/records/{u1}"), &u);
        assert_ne!(moved["household_id"], home.as_str());
        assert!(tab.get_url().contains(moved["household_id"].as_str().expect("household")), "{}", tab.get_url());
        // The form in English, on the household that kept WFP's record (one record: no form).
        go(&tab, &format!("{base}{page}?lang=en"));
        let kept = text(&tab);
        assert!(kept.contains("Aid from every agency") && !kept.contains("UNRWA"), "{kept}");
        assert!(kept.contains("History") && !kept.contains("withdrawn"), "{kept}");
        assert!(tab.find_element("form.split").is_err(), "one record left: nothing to split");
        shot(&tab, &shots, "household-after-split-en");

        // WFP corrects its record, then withdraws it: the household marks it, its page tells
        // its life.
        let mut fixed = record("w-1");
        fixed["assistance"]["amount"] = json!(420.0);
        let (s, _) = app.req("PUT", &format!("/v1/records/{w1}"), Some(&w), Some(&fixed));
        assert_eq!(s, 200);
        let reason = "لم تُسلَّم المساعدة";
        let (s, _) = app.req("DELETE", &format!("/v1/records/{w1}"), Some(&w), Some(&json!({"reason": reason})));
        assert_eq!(s, 200);
        // (Matched again alone, the corrected record may have left for a household of its own.)
        let now_in =
            app.get(&format!("/v1/records/{w1}"), &w).1["household_id"].as_str().expect("household").to_owned();
        go(&tab, &format!("{base}/ui/households/{now_in}?lang=en"));
        let marked = text(&tab);
        assert!(marked.contains("withdrawn"), "the aid history marks the withdrawal: {marked}");
        tab.wait_for_element("tr.withdrawn").expect("the withdrawn row");
        shot(&tab, &shots, "household-withdrawn-en");
        click_and_wait(&tab, &format!("a.record[href='/ui/records/{w1}']"));
        let life = text(&tab);
        for want in ["Versions and corrections", "corrected", "withdrawn", reason, "WFP", "(current)", "420"] {
            assert!(life.contains(want), "the record page lacks {want}: {life}");
        }
        assert_eq!(tab.find_elements("table.versions tbody tr").map(|r| r.len()).unwrap_or(0), 2, "{life}");
        shot(&tab, &shots, "record-history-en");
        go(&tab, &format!("{base}/ui/records/{w1}?lang=ar"));
        let ar = text(&tab);
        assert!(ar.contains("الإصدارات والتصحيحات") && ar.contains("صُحّح") && ar.contains(reason), "{ar}");
        shot(&tab, &shots, "record-history-ar");
        eprintln!("screenshots in {}", shots.display());
    }
}
