//! Issue 4: batch, search, review and merge, reports, visibility, audit, concurrency and
//! crash safety.

use std::sync::{Arc, Barrier};

use serde_json::{Value, json};

use crate::both_backends;
use crate::support::{Backend, TestApp, record};

both_backends!(
    batch_catches_in_batch_duplicates_and_bad_items,
    search_by_any_spelling_and_id,
    review_confirm_merges_and_dismiss_keeps_apart,
    reports_json_csv_and_summary,
    submitter_sees_others_aid_as_agency_type_period,
    workflow_bad_input_is_refused,
    simultaneous_posts_of_one_household_are_flagged,
    killed_mid_batch_loses_nothing_on_resend,
);

fn batch_catches_in_batch_duplicates_and_bad_items(b: Backend) {
    let app = TestApp::start(b);
    let key = app.agency("WFP", "submitter");
    let mut bad = record("b-bad");
    bad["assistance"]["period_start"] = json!("2026-13-01");
    let records = json!([record("b-1"), json!({"external_id": 5}), bad, record("b-2"), record("b-1")]);
    let (s, out) = app.post("/v1/records/batch", &key, &json!({"records": records}));
    assert_eq!(s, 200, "{out}");
    let r = out["results"].as_array().expect("results");
    assert_eq!(r.len(), 5);
    assert_eq!(r[0]["decision"], "unique");
    assert_eq!(r[1]["error"]["code"], "validation_failed");
    assert_eq!(r[1]["error"]["details"][0]["field"], "external_id");
    assert_eq!(r[2]["error"]["details"][0]["field"], "assistance.period_start");
    // The same household twice in one batch: the second is caught against the first.
    assert_eq!(r[3]["decision"], "duplicate");
    assert_eq!(r[3]["household_id"], r[0]["household_id"]);
    assert_eq!(r[3]["flags"][0]["kind"], "duplicate_record");
    assert_eq!(r[3]["flags"][0]["matched_record_id"], r[0]["record_id"]);
    // The same external_id again in the batch: a replay of item 0.
    assert_eq!(r[4]["record_id"], r[0]["record_id"]);
    assert_eq!(r[4]["replayed"], true);
    assert_eq!(app.db.count("records"), 2);
    // Too many records is refused whole.
    let many: Vec<Value> = (0..10_001).map(|_| json!({})).collect();
    let (s, e) = app.post("/v1/records/batch", &key, &json!({"records": many}));
    assert_eq!(s, 400);
    assert_eq!(e["error"]["details"][0]["field"], "records");
    assert_eq!(app.db.count("records"), 2);
}

fn search_by_any_spelling_and_id(b: Backend) {
    let app = TestApp::start(b);
    let intl = app.agency("OXFAM", "submitter");
    let cw = app.agency("MOSD", "caseworker");
    let latin = json!({"external_id": "ox-1",
        "assistance": {"type": "food", "period_start": "2026-02-01"},
        "location": {"governorate": "Hebron", "locality": "Yatta"},
        "members": [
            {"role": "head", "name": "Mohammed Ahmad Al-Shaer", "date_of_birth": "1980-05-01", "sex": "M", "phone": "0599-123-456"},
            {"role": "spouse", "name": "Fatmeh Ali Al-Shaer", "date_of_birth": "1984", "sex": "F"}]});
    let (s, posted) = app.post("/v1/records", &intl, &latin);
    assert_eq!(s, 201, "{posted}");
    let hid = posted["household_id"].clone();
    let before_audit = app.db.count("audit_events");
    for q in [
        "name=%D9%85%D8%AD%D9%85%D8%AF%20%D8%A3%D8%AD%D9%85%D8%AF%20%D8%A7%D9%84%D8%B4%D8%A7%D8%B9%D8%B1", // محمد أحمد الشاعر
        "name=Muhammad%20Ahmed%20Alshaer",
        "phone=%2B970599123456",
    ] {
        let (s, found) = app.get(&format!("/v1/households/search?{q}"), &cw);
        assert_eq!(s, 200, "{q}: {found}");
        let first = &found["candidates"][0];
        assert_eq!(first["household_id"], hid, "{q}: {found}");
        assert!(!first["evidence"].as_array().expect("evidence").is_empty(), "{q}");
        assert!(first["members"].as_array().expect("members").iter().any(|m| m["name"] == "Mohammed Ahmad Al-Shaer"));
    }
    assert_eq!(app.db.count("audit_events"), before_audit + 3);
    // The household view is audited too.
    let (s, view) = app.get(&format!("/v1/households/{}", hid.as_str().expect("id")), &cw);
    assert_eq!(s, 200);
    assert_eq!(view["aid_history"][0]["agency"], "OXFAM");
    assert_eq!(app.db.count("audit_events"), before_audit + 4);
}

fn review_confirm_merges_and_dismiss_keeps_apart(b: Backend) {
    let app = TestApp::start(b);
    let a = app.agency("UNRWA", "submitter");
    let c = app.agency("ZAKAT", "submitter");
    let cw = app.agency("MOSD", "caseworker");
    // A known household, then the same name with no ID, no birth date and another place:
    // not enough to join, enough to ask a person.
    let known = json!({"external_id": "u-1", "assistance": {"type": "cash", "amount": 300.0, "currency": "ILS", "period_start": "2026-01-01", "period_end": "2026-03-31"},
        "location": {"governorate": "الخليل"},
        "members": [{"role": "head", "name": "خليل ابراهيم يوسف العمايرة", "national_id": "852741963", "date_of_birth": "1970-01-01", "sex": "M"}]});
    let (s, k) = app.post("/v1/records", &a, &known);
    assert_eq!(s, 201);
    let vague = |ext: &str| {
        json!({"external_id": ext, "assistance": {"type": "cash", "amount": 200.0, "currency": "ILS", "period_start": "2026-02-01", "period_end": "2026-02-28"},
        "location": {"governorate": "بيت لحم"},
        "members": [{"role": "head", "name": "خليل العمايرة"}]})
    };
    let (s, v) = app.post("/v1/records", &c, &vague("z-1"));
    assert_eq!(s, 201, "{v}");
    assert_ne!(v["household_id"], k["household_id"], "a vague match must not join: {v}");
    let flag = v["flags"]
        .as_array()
        .expect("flags")
        .iter()
        .find(|f| f["kind"] == "possible_same_household")
        .cloned()
        .expect("possible_same_household flag");
    assert_eq!(flag["band"], "possible");
    assert_eq!(v["decision"], "possible_duplicate");
    let (s, page) = app.get("/v1/flags?status=open&kind=possible_same_household", &cw);
    assert_eq!(s, 200);
    assert_eq!(page["flags"].as_array().map(Vec::len), Some(1));
    // Confirm: the households merge, the records follow, and the overlap the merge reveals is flagged.
    let fid = flag["flag_id"].as_str().expect("flag id");
    let (s, rev) = app.post(
        &format!("/v1/flags/{fid}/review"),
        &cw,
        &json!({"decision": "confirm", "note": "same family, visited"}),
    );
    assert_eq!(s, 200, "{rev}");
    assert_eq!(rev["merged_into"], k["household_id"]);
    assert_eq!(rev["new_flags"].as_array().map(Vec::len), Some(1));
    let (s, view) = app.get(&format!("/v1/households/{}", v["household_id"].as_str().expect("id")), &cw);
    assert_eq!(s, 200);
    assert_eq!(view["household_id"], k["household_id"]);
    assert_eq!(view["aid_history"].as_array().map(Vec::len), Some(2));
    assert_eq!(app.db.count("reviews"), 1);
    // Reviewing twice is a conflict.
    let (s, _) = app.post(&format!("/v1/flags/{fid}/review"), &cw, &json!({"decision": "dismiss"}));
    assert_eq!(s, 409);

    // Dismiss: another household that may be the same man, kept apart for good.
    let d = app.agency("NRC", "submitter");
    // (No birth date: the merged household now reads its خليل العمايرة as born in 1970, from
    // the known record, and a date a year off would weigh against asking at all.)
    let nrc = |ext: &str| {
        let mut v = vague(ext);
        v["members"][0]["phone"] = json!("0599111222");
        v
    };
    let (_, v2) = app.post("/v1/records", &d, &nrc("n-1"));
    let flag2 = v2["flags"]
        .as_array()
        .expect("flags")
        .iter()
        .find(|f| f["kind"] == "possible_same_household")
        .cloned()
        .expect("flag");
    assert_eq!(flag2["matched_household_id"], k["household_id"]);
    let (s, _) = app.post(
        &format!("/v1/flags/{}/review", flag2["flag_id"].as_str().expect("id")),
        &cw,
        &json!({"decision": "dismiss", "note": "different man"}),
    );
    assert_eq!(s, 200);
    // The same household posted again joins its own household and is never linked to the other.
    let (_, v3) = app.post("/v1/records", &d, &nrc("n-2"));
    assert_eq!(v3["household_id"], v2["household_id"], "{v3}");
    assert!(
        v3["flags"].as_array().expect("flags").iter().all(|f| f["matched_household_id"] != k["household_id"]),
        "{v3}"
    );
    // It survives a restart.
    let db = app.stop();
    let app = TestApp::start_on(db);
    let (_, v4) = app.post("/v1/records", &d, &nrc("n-3"));
    assert_eq!(v4["household_id"], v2["household_id"], "{v4}");
    assert!(
        v4["flags"].as_array().expect("flags").iter().all(|f| f["matched_household_id"] != k["household_id"]),
        "{v4}"
    );
}

fn reports_json_csv_and_summary(b: Backend) {
    let app = TestApp::start(b);
    let w = app.agency("WFP", "submitter");
    let u = app.agency("UNRWA", "submitter");
    let auditor = app.agency("AUDIT", "auditor");
    app.post("/v1/records", &w, &record("w-1"));
    let (_, second) = app.post("/v1/records", &u, &record("u-1"));
    assert_eq!(second["decision"], "duplicate");
    let (s, rep) = app.get("/v1/reports/overlaps?from=2026-01-01&to=2026-12-31", &auditor);
    assert_eq!(s, 200, "{rep}");
    assert_eq!(rep["rows"].as_array().map(Vec::len), Some(1));
    let row = &rep["rows"][0];
    assert_eq!((row["agency"].as_str(), row["matched_agency"].as_str()), (Some("UNRWA"), Some("WFP")));
    assert_eq!(row["overlapping_days"], 90);
    assert_eq!(rep["totals"]["amount"]["ILS"], 750.0);
    // The totals (computed in the database) count the pair, its household and record, its days.
    let t = &rep["totals"];
    assert_eq!(
        [&t["rows"], &t["households"], &t["overlapping_records"], &t["overlapping_days"]],
        [&json!(1), &json!(1), &json!(1), &json!(90)],
        "{t}"
    );
    // Filters.
    let (_, none) = app.get("/v1/reports/overlaps?type=food", &auditor);
    assert_eq!(none["rows"].as_array().map(Vec::len), Some(0));
    let (_, none) = app.get("/v1/reports/overlaps?from=2027-01-01", &auditor);
    assert_eq!(none["rows"].as_array().map(Vec::len), Some(0));
    // CSV, parsed back.
    let resp = ureq::get(&format!("{}/v1/reports/overlaps?format=csv", app.base))
        .set("Authorization", &format!("Bearer {auditor}"))
        .call()
        .expect("csv");
    assert!(resp.content_type().starts_with("text/csv"));
    let text = resp.into_string().expect("body");
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().expect("header").split(',').collect();
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    assert_eq!(rows.len(), 1);
    let col = |name: &str| header.iter().position(|h| *h == name).expect(name);
    assert_eq!(rows[0][col("agency")], "UNRWA");
    assert_eq!(rows[0][col("matched_agency")], "WFP");
    assert_eq!(rows[0][col("amount")], "750");
    assert_eq!(rows[0][col("governorate")], "الخليل");
    let (s, sum) = app.get("/v1/reports/summary?from=2026-01-01&to=2026-12-31", &auditor);
    assert_eq!(s, 200);
    assert_eq!(sum["by_agency_pair"][0]["key"], "UNRWA|WFP");
    assert_eq!(sum["by_agency_pair"][0]["households"], 1);
    assert_eq!(sum["by_type"][0]["key"], "cash");
    assert_eq!(sum["by_governorate"][0]["amount"]["ILS"], 750.0);
    assert_eq!(sum["totals"], rep["totals"]);
    // Only auditors pull reports.
    assert_eq!(app.get("/v1/reports/overlaps", &w).0, 403);
    assert_eq!(app.get("/v1/reports/summary", &w).0, 403);
}

fn submitter_sees_others_aid_as_agency_type_period(b: Backend) {
    let app = TestApp::start(b);
    let w = app.agency("WFP", "submitter");
    let u = app.agency("UNRWA", "submitter");
    let stranger = app.agency("NRC", "submitter");
    let (_, first) = app.post("/v1/records", &w, &record("w-1"));
    let mut other = record("u-1");
    other["assistance"]["type"] = json!("food");
    app.post("/v1/records", &u, &other);
    let hid = first["household_id"].as_str().expect("id");
    let (s, view) = app.get(&format!("/v1/households/{hid}"), &w);
    assert_eq!(s, 200);
    let history = view["aid_history"].as_array().expect("history");
    assert_eq!(history.len(), 2);
    let theirs = history.iter().find(|h| h["agency"] == "UNRWA").expect("UNRWA aid");
    assert_eq!(theirs["type"], "food");
    assert!(theirs.get("amount").is_none() && theirs.get("program").is_none() && theirs.get("record_id").is_none());
    assert!(view["members"].as_array().expect("members").iter().all(|m| m["agency"] == "WFP"));
    // An agency that does not serve the household does not see it.
    assert_eq!(app.get(&format!("/v1/households/{hid}"), &stranger).0, 404);
}

fn workflow_bad_input_is_refused(b: Backend) {
    let app = TestApp::start(b);
    let cw = app.agency("MOSD", "caseworker");
    let auditor = app.agency("AUDIT", "auditor");
    let before = app.db.counts();
    let cases = [
        ("/v1/households/search", &cw, "name"),
        ("/v1/households/search?name=%E2%80%AEabc", &cw, "name"),
        ("/v1/households/search?national_id=abc", &cw, "national_id"),
        ("/v1/households/search?name=Ali&limit=0", &cw, "limit"),
        ("/v1/households/search?name=Ali&date_of_birth=1990-02-30", &cw, "date_of_birth"),
        ("/v1/households/search?name=Ali&colour=red", &cw, "colour"),
        ("/v1/flags?status=closed", &cw, "status"),
        ("/v1/flags?kind=odd", &cw, "kind"),
        ("/v1/flags?limit=abc", &cw, "limit"),
        ("/v1/reports/overlaps?from=2026-02-30", &auditor, "from"),
        ("/v1/reports/overlaps?from=2026-03-01&to=2026-02-01", &auditor, "to"),
        ("/v1/reports/overlaps?format=xml", &auditor, "format"),
        ("/v1/reports/overlaps?type=money", &auditor, "type"),
        ("/v1/reports/summary?band=sure", &auditor, "band"),
    ];
    for (path, key, field) in cases {
        let (s, e) = app.get(path, key);
        assert_eq!(s, 400, "{path}: {e}");
        let fields: Vec<&str> =
            e["error"]["details"].as_array().expect("details").iter().filter_map(|d| d["field"].as_str()).collect();
        assert!(fields.iter().any(|f| f.contains(field)), "{path}: {fields:?}");
    }
    let (s, _) = app.post("/v1/flags/nope/review", &cw, &json!({"decision": "confirm"}));
    assert_eq!(s, 404);
    let (s, e) = app.post("/v1/flags/nope/review", &cw, &json!({"decision": "maybe"}));
    assert_eq!((s, e["error"]["details"][0]["field"].as_str()), (400, Some("decision")));
    assert_eq!(app.db.counts(), before);
}

/// Two agencies post the same household at the same instant, 200 times over: one of each
/// pair is always flagged against the other.
fn simultaneous_posts_of_one_household_are_flagged(b: Backend) {
    let app = Arc::new(TestApp::start(b));
    let a = app.agency("WFP", "submitter");
    let c = app.agency("UNRWA", "submitter");
    let caseload = bawaba_synth::generate(&bawaba_synth::Config::small(11));
    let mut seen = std::collections::HashSet::new();
    let bodies: Vec<Value> = caseload
        .records
        .iter()
        .filter(|r| seen.insert(r.truth.household) && r.members.iter().all(|m| m.national_id.is_some()))
        .take(200)
        .map(|r| r.to_api_json())
        .collect();
    assert_eq!(bodies.len(), 200);
    let pairs = 200;
    let threads = 8;
    let results: Vec<(Value, Value)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let (app, a, c, bodies) = (&app, &a, &c, &bodies);
                scope.spawn(move || {
                    let mut out = Vec::new();
                    for i in (t..pairs).step_by(threads) {
                        let barrier = Arc::new(Barrier::new(2));
                        let mut body = bodies[i].clone();
                        body["external_id"] = json!(format!("pair-{i}"));
                        let (b1, b2) = (barrier.clone(), barrier);
                        let (x, y) = std::thread::scope(|s2| {
                            let body1 = body.clone();
                            let h1 = s2.spawn(move || {
                                b1.wait();
                                app.post("/v1/records", a, &body1)
                            });
                            let h2 = s2.spawn(move || {
                                b2.wait();
                                app.post("/v1/records", c, &body)
                            });
                            (h1.join().expect("post"), h2.join().expect("post"))
                        });
                        assert_eq!((x.0, y.0), (201, 201), "{} {}", x.1, y.1);
                        out.push((x.1, y.1));
                    }
                    out
                })
            })
            .collect();
        handles.into_iter().flat_map(|h| h.join().expect("thread")).collect()
    });
    assert_eq!(results.len(), pairs);
    for (x, y) in &results {
        let flagged_against = |me: &Value, other: &Value| {
            me["flags"]
                .as_array()
                .expect("flags")
                .iter()
                .any(|f| f["kind"] == "overlapping_aid" && f["matched_record_id"] == other["record_id"])
        };
        assert!(flagged_against(x, y) ^ flagged_against(y, x), "exactly one of the pair is flagged: {x} {y}");
        assert_eq!(x["household_id"], y["household_id"]);
    }
}

/// The real binary, killed in the middle of a batch, restarted, and sent the batch again:
/// every record is stored exactly once.
fn killed_mid_batch_loses_nothing_on_resend(b: Backend) {
    use std::process::{Command, Stdio};
    let db = crate::support::TestDb::new(b);
    let port = std::net::TcpListener::bind("127.0.0.1:0").expect("port").local_addr().expect("addr").port();
    let base = format!("http://127.0.0.1:{port}");
    let spawn = || {
        let mut child = Command::new(env!("CARGO_BIN_EXE_bawaba"))
            .arg("serve")
            .env("BAWABA_DATABASE_URL", &db.url)
            .env("BAWABA_LISTEN", format!("127.0.0.1:{port}"))
            .env("BAWABA_MASTER_KEY", crate::support::MASTER)
            .env("BAWABA_LOG", "warn")
            .envs(crate::support::data_key_env(&db.url))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start bawaba");
        for _ in 0..200 {
            if ureq::get(&format!("{base}/healthz")).call().is_ok() {
                return child;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        let _ = child.kill();
        let _ = child.wait();
        panic!("bawaba did not start");
    };
    let mut child = spawn();
    let key = ureq::post(&format!("{base}/v1/agencies"))
        .set("Authorization", &format!("Bearer {}", crate::support::MASTER))
        .send_json(json!({"code": "WFP", "name": "WFP", "role": "submitter"}))
        .expect("agency")
        .into_json::<Value>()
        .expect("json")["api_key"]
        .as_str()
        .expect("key")
        .to_owned();
    let caseload = bawaba_synth::generate(&bawaba_synth::Config::small(5));
    let records: Vec<Value> = caseload.records.iter().take(2_000).map(|r| r.to_api_json()).collect();
    let batch = json!({"records": records});
    let sender = {
        let (base, key, batch) = (base.clone(), key.clone(), batch.clone());
        std::thread::spawn(move || {
            ureq::post(&format!("{base}/v1/records/batch"))
                .set("Authorization", &format!("Bearer {key}"))
                .send_json(batch)
                .is_ok()
        })
    };
    std::thread::sleep(std::time::Duration::from_millis(150));
    child.kill().expect("kill");
    child.wait().expect("reaped");
    let _ = sender.join();
    let stored_before = db.count("records");
    assert!(stored_before < 2_000, "the kill came too late to test anything ({stored_before} stored)");
    let mut child = spawn();
    let out: Value = ureq::post(&format!("{base}/v1/records/batch"))
        .set("Authorization", &format!("Bearer {key}"))
        .send_json(batch)
        .expect("resend")
        .into_json()
        .expect("json");
    child.kill().expect("kill");
    child.wait().expect("reaped");
    let results = out["results"].as_array().expect("results");
    assert_eq!(results.len(), 2_000);
    let failed: Vec<&Value> = results.iter().filter(|r| !r["record_id"].is_string()).take(3).collect();
    assert!(failed.is_empty(), "every item stored or replayed: {failed:?}");
    let replayed = results.iter().filter(|r| r["replayed"] == true).count() as i64;
    assert_eq!(replayed, stored_before, "what was stored before the kill is replayed, nothing twice");
    assert_eq!(db.count("records"), 2_000);
    let distinct: std::collections::HashSet<&str> = results.iter().filter_map(|r| r["record_id"].as_str()).collect();
    assert_eq!(distinct.len(), 2_000);
}
