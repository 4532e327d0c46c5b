//! Issue 2: agencies and keys, intake, replay and conflict, bad input, roles, durability.

use serde_json::{Value, json};

use crate::both_backends;
use crate::support::{Backend, MASTER, TestApp, record};

both_backends!(
    agencies_and_keys,
    post_replay_conflict,
    bad_input_is_refused_and_writes_nothing,
    every_route_checks_key_and_role,
    stored_record_survives_restart,
    a_withdrawn_records_persons_keep_their_agency_after_a_restart,
    check_stores_nothing,
);

fn agencies_and_keys(b: Backend) {
    let app = TestApp::start(b);
    let (s, body) =
        app.post("/v1/agencies", MASTER, &json!({"code": "WFP", "name": "World Food Programme", "role": "submitter"}));
    assert_eq!(s, 201, "{body}");
    let key = body["api_key"].as_str().expect("key");
    assert!(key.starts_with("bwb_") && key.len() > 40);
    assert_eq!(body["agency"]["code"], "WFP");
    let id = body["agency"]["id"].clone();
    // The same code with another role adds a key to the same agency.
    let (s, body2) =
        app.post("/v1/agencies", MASTER, &json!({"code": "WFP", "name": "World Food Programme", "role": "caseworker"}));
    assert_eq!(s, 201);
    assert_eq!(body2["agency"]["id"], id);
    assert_ne!(body2["api_key"], body["api_key"]);
    let (s, list) = app.get("/v1/agencies", MASTER);
    assert_eq!(s, 200);
    assert_eq!(list["agencies"].as_array().map(Vec::len), Some(1));
    // Keys are stored only as hashes.
    assert_eq!(app.db.count("api_keys"), 2);
    let mut c = app.db.connect();
    use bawaba::store::schema::api_keys;
    use diesel::prelude::*;
    let hashes: Vec<String> = api_keys::table.select(api_keys::key_hash).load(&mut c).expect("hashes");
    assert!(hashes.iter().all(|h| h.len() == 64 && h != key));
    // The new key works with its role.
    let (s, _) = app.post("/v1/records", key, &record("WFP-1"));
    assert_eq!(s, 201);
    let (s, e) = app.post("/v1/agencies", MASTER, &json!({"code": "wfp lower", "name": "", "role": "boss"}));
    assert_eq!(s, 400);
    let fields: Vec<&str> =
        e["error"]["details"].as_array().expect("details").iter().filter_map(|d| d["field"].as_str()).collect();
    assert_eq!(fields, ["code", "name", "role"]);
}

fn post_replay_conflict(b: Backend) {
    let app = TestApp::start(b);
    let key = app.agency("WFP", "submitter");
    let (s, first) = app.post("/v1/records", &key, &record("WFP-HEB-2026-004512"));
    assert_eq!(s, 201, "{first}");
    assert_eq!(first["decision"], "unique");
    assert!(first["record_id"].is_string() && first["household_id"].is_string());
    let counts = app.db.counts();
    // Replay, formatted differently: 200 with the first answer, nothing stored twice.
    let text = serde_json::to_string_pretty(&record("WFP-HEB-2026-004512")).expect("json");
    let (s, again) = app.raw("POST", "/v1/records", Some(&key), text.as_bytes());
    assert_eq!(s, 200);
    assert_eq!(again, first);
    assert_eq!(app.db.counts(), counts);
    // The same external_id with another body: 409.
    let mut other = record("WFP-HEB-2026-004512");
    other["assistance"]["amount"] = json!(800.0);
    let (s, e) = app.post("/v1/records", &key, &other);
    assert_eq!(s, 409);
    assert_eq!(e["error"]["code"], "conflict");
    assert_eq!(app.db.counts(), counts);
    // Another agency may use the same external_id.
    let key2 = app.agency("UNRWA", "submitter");
    let (s, second) = app.post("/v1/records", &key2, &record("WFP-HEB-2026-004512"));
    assert_eq!(s, 201);
    // Same household, same cash period, another agency: flagged as overlapping aid.
    assert_eq!(second["household_id"], first["household_id"]);
    assert_eq!(second["decision"], "duplicate");
    let flag = &second["flags"][0];
    assert_eq!(flag["kind"], "overlapping_aid");
    assert_eq!(flag["matched_agency"], "WFP");
    assert_eq!(flag["matched_record_id"], first["record_id"]);
    assert_eq!(flag["overlap"], json!({"type": "cash", "from": "2026-01-01", "to": "2026-03-31"}));
    assert!(!flag["evidence"].as_array().expect("evidence").is_empty());
    assert_eq!(app.db.count("flags"), 1);
    // The record reads back as stored.
    let id = second["record_id"].as_str().expect("id");
    let (s, stored) = app.get(&format!("/v1/records/{id}"), &key2);
    assert_eq!(s, 200);
    assert_eq!(stored["members"][0]["name"], "محمد احمد محمود الشاعر");
    assert_eq!(stored["flags"].as_array().map(Vec::len), Some(1));
    // Another agency's submitter does not see it.
    let (s, _) = app.get(&format!("/v1/records/{id}"), &key);
    assert_eq!(s, 404);
}

fn field_of(e: &Value) -> Vec<String> {
    e["error"]["details"]
        .as_array()
        .map(|d| d.iter().filter_map(|x| x["field"].as_str().map(str::to_owned)).collect())
        .unwrap_or_default()
}

fn bad_input_is_refused_and_writes_nothing(b: Backend) {
    let app = TestApp::start(b);
    let key = app.agency("WFP", "submitter");
    let (s, _) = app.post("/v1/records", &key, &record("ok-1"));
    assert_eq!(s, 201);
    let before = app.db.counts();
    let mut cases: Vec<(&str, Vec<u8>, u16, &str)> = Vec::new();
    let with = |f: &dyn Fn(&mut Value)| {
        let mut v = record("bad");
        f(&mut v);
        serde_json::to_vec(&v).expect("json")
    };
    cases.push(("malformed JSON", b"{\"external_id\": \"x\",".to_vec(), 400, "body"));
    cases.push(("wrong type", with(&|v| v["assistance"]["amount"] = json!("750")), 400, "assistance.amount"));
    cases.push((
        "missing field",
        with(&|v| {
            v["members"][0].as_object_mut().map(|m| m.remove("name"));
        }),
        400,
        "members[0].name",
    ));
    cases.push(("unknown enum", with(&|v| v["assistance"]["type"] = json!("money")), 400, "assistance.type"));
    cases.push(("unknown role", with(&|v| v["members"][1]["role"] = json!("wife")), 400, "members[1].role"));
    cases.push((
        "bad date",
        with(&|v| v["assistance"]["period_start"] = json!("2026-02-30")),
        400,
        "assistance.period_start",
    ));
    cases.push((
        "bad birth date",
        with(&|v| v["members"][0]["date_of_birth"] = json!("1980-13")),
        400,
        "members[0].date_of_birth",
    ));
    cases.push((
        "end before start",
        with(&|v| v["assistance"]["period_end"] = json!("2025-12-31")),
        400,
        "assistance.period_end",
    ));
    cases.push((
        "51 members",
        with(&|v| {
            let m = v["members"][1].clone();
            v["members"] = Value::Array(vec![m; 51]);
        }),
        400,
        "members",
    ));
    cases.push(("no members", with(&|v| v["members"] = json!([])), 400, "members"));
    cases.push((
        "control char",
        with(&|v| v["members"][0]["name"] = json!("محمد\u{0007} الشاعر")),
        400,
        "members[0].name",
    ));
    cases.push((
        "bidi override",
        with(&|v| v["members"][0]["name"] = json!("محمد \u{202E}الشاعر")),
        400,
        "members[0].name",
    ));
    cases.push((
        "zero-width joiner",
        with(&|v| v["members"][1]["name"] = json!("فاطمة\u{200D} علي")),
        400,
        "members[1].name",
    ));
    cases.push((
        "mixed scripts",
        with(&|v| v["members"][0]["name"] = json!("محمد Ahmad الشاعر")),
        400,
        "members[0].name",
    ));
    cases.push((
        "bad national id",
        with(&|v| v["members"][0]["national_id"] = json!("40123X563")),
        400,
        "members[0].national_id",
    ));
    cases.push(("negative amount", with(&|v| v["assistance"]["amount"] = json!(-5)), 400, "assistance.amount"));
    cases.push(("minus zero amount", with(&|v| v["assistance"]["amount"] = json!(-0.0)), 400, "assistance.amount"));
    cases.push((
        "a period over everything",
        with(&|v| {
            v["assistance"]["period_start"] = json!("0000-01-01");
            v["assistance"]["period_end"] = json!("9999-12-31");
        }),
        400,
        "assistance.period_start",
    ));
    cases.push((
        "name of tatweel and diacritics",
        with(&|v| v["members"][0]["name"] = json!("ـــ\u{064E}\u{0651} ـ")),
        400,
        "members[0].name",
    ));
    cases.push(("bad currency", with(&|v| v["assistance"]["currency"] = json!("shekel")), 400, "assistance.currency"));
    cases.push(("unknown field", with(&|v| v["members"][0]["nationalid"] = json!("1")), 400, "members[0]"));
    cases.push(("bad sex", with(&|v| v["members"][0]["sex"] = json!("male")), 400, "members[0].sex"));
    cases.push(("empty external id", with(&|v| v["external_id"] = json!("  ")), 400, "external_id"));
    // serde's derive would also read a struct from an array of its fields: refused, by name.
    cases.push(("location as an array", with(&|v| v["location"] = json!([null, null])), 400, "location"));
    cases.push((
        "assistance as an array",
        with(&|v| v["assistance"] = json!(["cash", 750, "ILS", "2026-01-01", "2026-01-31"])),
        400,
        "assistance",
    ));
    cases.push((
        "a member as an array",
        with(&|v| v["members"][0] = json!(["محمد أحمد الشاعر", "head", "M"])),
        400,
        "members[0]",
    ));
    cases.push(("the body as an array", b"[\"ok-2\", {}, []]".to_vec(), 400, "body"));
    cases.push(("the body as a string", b"\"ok-2\"".to_vec(), 400, "body"));
    // Arabizi digits are read in a Latin name (below); in an Arabic name, or alone, a digit is refused.
    cases.push((
        "a digit in an Arabic name",
        with(&|v| v["members"][0]["name"] = json!("محمد 7 الشاعر")),
        400,
        "members[0].name",
    ));
    cases.push((
        "a lone digit in a Latin name",
        with(&|v| v["members"][0]["name"] = json!("Ahmad 7 Shaer")),
        400,
        "members[0].name",
    ));
    let huge = {
        let mut v = record("huge");
        v["assistance"]["program"] = json!("x".repeat(2 * 1024 * 1024));
        serde_json::to_vec(&v).expect("json")
    };
    cases.push(("2 MiB body", huge, 413, ""));
    for (what, body, status, field) in cases {
        let (s, e) = app.raw("POST", "/v1/records", Some(&key), &body);
        assert_eq!(s, status, "{what}: {e}");
        if status == 400 {
            assert_eq!(e["error"]["code"], "validation_failed", "{what}");
            let fields = field_of(&e);
            assert!(fields.iter().any(|f| f.starts_with(field)), "{what}: fields {fields:?} should name {field}");
        } else {
            assert_eq!(e["error"]["code"], "payload_too_large", "{what}");
        }
        assert_eq!(app.db.counts(), before, "{what} wrote something");
    }
    // The limit of an external_id is in characters, as its message says: 200 Arabic letters
    // (400 bytes) are taken, 201 are not.
    let (s, e) = app.raw("POST", "/v1/records", Some(&key), &with(&|v| v["external_id"] = json!("ع".repeat(200))));
    assert_eq!(s, 201, "{e}");
    let (s, e) = app.raw("POST", "/v1/records", Some(&key), &with(&|v| v["external_id"] = json!("ع".repeat(201))));
    assert_eq!((s, e["error"]["details"][0]["field"].as_str()), (400, Some("external_id")), "{e}");
    // A name in Arabizi, as people registering themselves on a phone write it, is taken.
    let arabizi = with(&|v| {
        v["external_id"] = json!("arabizi-1");
        v["members"][0]["name"] = json!("Mo7ammad A7mad Al-Sha3er");
    });
    let (s, e) = app.raw("POST", "/v1/records", Some(&key), &arabizi);
    assert_eq!(s, 201, "{e}");
}

fn every_route_checks_key_and_role(b: Backend) {
    let app = TestApp::start(b);
    let submitter = app.agency("WFP", "submitter");
    let caseworker = app.agency("MOSD", "caseworker");
    let auditor = app.agency("AUDIT", "auditor");
    let (_, created) = app.post("/v1/records", &submitter, &record("r1"));
    let rid = created["record_id"].as_str().expect("record id").to_owned();
    let hid = created["household_id"].as_str().expect("household id").to_owned();
    let body = record("r2");
    let routes: Vec<(&str, String, Option<Value>, &str)> = vec![
        ("POST", "/v1/agencies".into(), Some(json!({"code": "X1", "name": "x", "role": "submitter"})), &caseworker),
        ("GET", "/v1/agencies".into(), None, &submitter),
        ("POST", "/v1/records".into(), Some(body.clone()), &caseworker),
        ("POST", "/v1/records/batch".into(), Some(json!({"records": [body.clone()]})), &auditor),
        ("POST", "/v1/records/check".into(), Some(body.clone()), MASTER),
        ("GET", format!("/v1/records/{rid}"), None, MASTER),
        ("GET", format!("/v1/households/{hid}"), None, MASTER),
    ];
    let before = app.db.counts();
    for (method, path, body, wrong) in &routes {
        let (s, e) = app.req(method, path, None, body.as_ref());
        assert_eq!(s, 401, "{method} {path} without a key");
        assert_eq!(e["error"]["code"], "unauthorized");
        let (s, _) = app.req(method, path, Some("bwb_not_a_key"), body.as_ref());
        assert_eq!(s, 401, "{method} {path} with an unknown key");
        let (s, e) = app.req(method, path, Some(wrong), body.as_ref());
        assert_eq!(s, 403, "{method} {path} with the wrong role");
        assert_eq!(e["error"]["code"], "forbidden");
    }
    assert_eq!(app.db.counts(), before);
    // And the right roles get through.
    assert_eq!(app.get(&format!("/v1/households/{hid}"), &caseworker).0, 200);
    assert_eq!(app.get(&format!("/v1/records/{rid}"), &auditor).0, 200);
    assert_eq!(app.post("/v1/records/check", &caseworker, &body).0, 200);
    assert_eq!(app.req("GET", "/healthz", None, None).0, 200);
    let (s, doc) = app.req("GET", "/openapi.json", None, None);
    assert_eq!(s, 200);
    for p in [
        "/v1/agencies",
        "/v1/records",
        "/v1/records/check",
        "/v1/records/batch",
        "/v1/records/{record_id}",
        "/v1/households/{household_id}",
    ] {
        assert!(doc["paths"].get(p).is_some(), "openapi lacks {p}");
    }
    let (s, e) = app.get("/v1/nowhere", &caseworker);
    assert_eq!((s, e["error"]["code"].as_str()), (404, Some("not_found")));
}

fn stored_record_survives_restart(b: Backend) {
    let app = TestApp::start(b);
    let key = app.agency("WFP", "submitter");
    let (s, first) = app.post("/v1/records", &key, &record("durable-1"));
    assert_eq!(s, 201);
    let db = app.stop();
    let app = TestApp::start_on(db);
    let id = first["record_id"].as_str().expect("id");
    let (s, stored) = app.get(&format!("/v1/records/{id}"), &key);
    assert_eq!(s, 200, "{stored}");
    assert_eq!(stored["external_id"], "durable-1");
    // The index was rebuilt: the same household is recognised after the restart.
    let (s, again) = app.post("/v1/records", &key, &record("durable-2"));
    assert_eq!(s, 201);
    assert_eq!(again["household_id"], first["household_id"]);
    assert_eq!(again["flags"][0]["kind"], "duplicate_record");
    // And every record's aid with it (read while the index was rebuilt): another agency's cash
    // for the same period overlaps both of WFP's records, the one stored before the restart too.
    let other = app.agency("UNRWA", "submitter");
    let (s, third) = app.post("/v1/records", &other, &record("durable-3"));
    assert_eq!(s, 201, "{third}");
    let flag = third["flags"].as_array().expect("flags").iter().find(|f| f["kind"] == "overlapping_aid").cloned();
    let flag = flag.unwrap_or_else(|| panic!("an overlap after the restart: {third}"));
    assert_eq!((&flag["matched_agency"], &flag["matched_records"]), (&json!("WFP"), &json!(2)), "{third}");
}

/// A withdrawn record's persons stay in the index (they are still people the household holds),
/// and a restart must give them back their agency: the evidence of a later match names it, and
/// who may see that evidence's values is decided by it.
fn a_withdrawn_records_persons_keep_their_agency_after_a_restart(b: Backend) {
    let app = TestApp::start(b);
    let wfp = app.agency("WFP", "submitter");
    let (s, first) = app.post("/v1/records", &wfp, &record("gone-1"));
    assert_eq!(s, 201, "{first}");
    let path = format!("/v1/records/{}", first["record_id"].as_str().expect("id"));
    let (s, out) = app.req("DELETE", &path, Some(&wfp), Some(&json!({"reason": "aid never delivered"})));
    assert_eq!(s, 200, "{out}");
    let db = app.stop();
    let app = TestApp::start_on(db);
    // The household is found again (its only record withdrawn, nothing is flagged)…
    let unrwa = app.agency("UNRWA", "submitter");
    let (s, joined) = app.post("/v1/records", &unrwa, &record("u-1"));
    assert_eq!(s, 201, "{joined}");
    assert_eq!(joined["household_id"], first["household_id"], "{joined}");
    // …and the next agency's duplicate is explained by the persons stored first, WFP's.
    let nrc = app.agency("NRC", "submitter");
    let (s, later) = app.post("/v1/records", &nrc, &record("n-1"));
    assert_eq!(s, 201, "{later}");
    assert_eq!(later["decision"], "duplicate", "{later}");
    let mut agencies = Vec::new();
    let mut walk = vec![&later];
    while let Some(v) = walk.pop() {
        match v {
            Value::Object(m) => {
                agencies.extend(m.get("theirs_agency").cloned());
                walk.extend(m.values());
            }
            Value::Array(a) => walk.extend(a.iter()),
            _ => {}
        }
    }
    assert!(!agencies.is_empty(), "the match is explained: {later}");
    assert!(agencies.iter().all(|a| a == "WFP" || a == "UNRWA"), "{agencies:?}: {later}");
    assert!(agencies.contains(&json!("WFP")), "{agencies:?}: {later}");
}

fn check_stores_nothing(b: Backend) {
    let app = TestApp::start(b);
    let key = app.agency("WFP", "submitter");
    let cw = app.agency("MOSD", "caseworker");
    let (_, first) = app.post("/v1/records", &key, &record("c-1"));
    let before = app.db.counts();
    let (s, answer) = app.post("/v1/records/check", &cw, &record("c-2"));
    assert_eq!(s, 200, "{answer}");
    assert!(answer.get("record_id").is_none());
    assert_eq!(answer["household_id"], first["household_id"]);
    assert_eq!(answer["decision"], "duplicate");
    assert!(answer["flags"][0].get("flag_id").is_none());
    // Nothing of the record is stored; the check itself is audited (it reads others' data).
    let after = app.db.counts();
    assert_eq!(after[..4], before[..4]);
    assert_eq!(after[4], before[4] + 1);
}
