//! Issue 16, the leak: a submitter learns nothing of another agency's person (name, ID, birth
//! date, phone) through a check, its own intake answers, its record view, the household view or
//! a search, whether it guesses an ID or tries a name alone; a caseworker still sees the values.

use serde_json::{Value, json};

use crate::both_backends;
use crate::support::{Backend, TestApp};

both_backends!(submitter_learns_no_values_of_other_agencies);

/// What UNRWA knows of the family and WFP must not learn from the gateway.
const SECRETS: &[&str] = &[
    "1980-05",   // head's birth date
    "599123456", // head's phone
    "فاطم",      // the wife's name (فاطمة, فاطمه)
    "حسن",       // her father's name
    "1984-02",   // her birth date
    "597000111", // her phone
];

fn unrwa_family() -> Value {
    json!({
        "external_id": "UNRWA-1",
        "assistance": {"type": "cash", "amount": 500.0, "currency": "ILS", "period_start": "2026-01-01", "period_end": "2026-03-31"},
        "location": {"governorate": "الخليل", "locality": "يطا"},
        "members": [
            {"role": "head", "name": "محمد احمد محمود الشاعر", "national_id": "401234563",
             "date_of_birth": "1980-05-01", "sex": "M", "phone": "+970599123456"},
            {"role": "spouse", "name": "فاطمة علي حسن الشاعر", "national_id": "852741960",
             "date_of_birth": "1984-02-11", "sex": "F", "phone": "0597000111"}
        ]
    })
}

/// WFP's record: the head's ID (guessed, or known) under the name `name`, nothing else.
fn wfp_record(external_id: &str, name: &str) -> Value {
    json!({
        "external_id": external_id,
        "assistance": {"type": "cash", "period_start": "2026-02-01", "period_end": "2026-02-28"},
        "members": [{"role": "head", "name": name, "national_id": "401234563", "sex": "M"}]
    })
}

fn assert_hidden(what: &str, body: &Value) {
    let text = body.to_string();
    for s in SECRETS {
        assert!(!text.contains(s), "{what} shows `{s}` to another agency's submitter: {text}");
    }
}

fn evidence_of(body: &Value) -> Vec<Value> {
    let mut out = Vec::new();
    let mut walk = vec![body];
    while let Some(v) = walk.pop() {
        match v {
            Value::Object(m) => {
                if let Some(Value::Array(items)) = m.get("evidence") {
                    out.extend(items.iter().cloned());
                }
                walk.extend(m.values());
            }
            Value::Array(a) => walk.extend(a.iter()),
            _ => {}
        }
    }
    out
}

fn submitter_learns_no_values_of_other_agencies(b: Backend) {
    let app = TestApp::start(b);
    let unrwa = app.agency("UNRWA", "submitter");
    let wfp = app.agency("WFP", "submitter");
    let cw = app.agency("MOSD", "caseworker");
    let (s, first) = app.post("/v1/records", &unrwa, &unrwa_family());
    assert_eq!(s, 201, "{first}");

    // A caseworker's check sees the values: the control that shows the assertions can fail.
    let (s, seen) = app.post("/v1/records/check", &cw, &wfp_record("cw-check", "X"));
    assert_eq!(s, 200, "{seen}");
    assert!(!evidence_of(&seen).is_empty(), "{seen}");
    assert!(seen.to_string().contains("1980-05"), "a caseworker sees the stored values: {seen}");

    // A check with a guessed ID and the name "X", then with a name alone: whether and with
    // whom, nothing more; each check audited.
    let audits = app.db.count("audit_events");
    let (s, by_id) = app.post("/v1/records/check", &wfp, &wfp_record("probe-1", "X"));
    assert_eq!(s, 200, "{by_id}");
    assert_hidden("check by a guessed ID", &by_id);
    assert_eq!(by_id["decision"], "duplicate", "{by_id}");
    let flag = &by_id["flags"][0];
    assert_eq!(flag["matched_agency"], "UNRWA", "{by_id}");
    assert_eq!(flag["overlap"]["type"], "cash");
    assert!(flag.get("matched_record_id").is_none(), "{by_id}");
    assert!(evidence_of(&by_id).is_empty(), "{by_id}");
    let mut by_name = unrwa_family();
    by_name["external_id"] = json!("probe-2");
    for m in by_name["members"].as_array_mut().expect("members") {
        let o = m.as_object_mut().expect("member");
        o.retain(|k, _| k == "role" || k == "name");
    }
    by_name["members"][1]["name"] = json!("فاطمة الشاعر");
    let (s, named) = app.post("/v1/records/check", &wfp, &by_name);
    assert_eq!(s, 200, "{named}");
    // The wife's name was sent by WFP itself here; only what UNRWA alone knows must stay hidden.
    for secret in ["1980-05", "599123456", "حسن", "1984-02", "597000111"] {
        assert!(!named.to_string().contains(secret), "check by name shows `{secret}`: {named}");
    }
    assert!(evidence_of(&named).is_empty(), "{named}");
    assert_eq!(app.db.count("audit_events"), audits + 2, "every check is audited");

    // Its own intake answer, its record view, the household view and a search by the wife's ID.
    let (s, posted) = app.post("/v1/records", &wfp, &wfp_record("WFP-7", "محمد احمد محمود الشاعر"));
    assert_eq!(s, 201, "{posted}");
    assert_eq!(posted["household_id"], first["household_id"], "joins UNRWA's household: {posted}");
    assert_hidden("the intake answer", &posted);
    let ev = evidence_of(&posted);
    assert!(!ev.is_empty(), "{posted}");
    for e in &ev {
        assert!(e["theirs"].is_null(), "{e}");
        assert_eq!(e["theirs_agency"], "UNRWA", "{e}");
    }
    let (s, replay) = app.post("/v1/records", &wfp, &wfp_record("WFP-7", "محمد احمد محمود الشاعر"));
    assert_eq!(s, 200, "{replay}");
    assert_hidden("a replayed answer", &replay);
    let record_id = posted["record_id"].as_str().expect("record_id");
    let (s, record) = app.get(&format!("/v1/records/{record_id}"), &wfp);
    assert_eq!(s, 200, "{record}");
    assert!(!evidence_of(&record).is_empty(), "{record}");
    assert_hidden("the record view", &record);
    let hid = posted["household_id"].as_str().expect("household_id");
    let (s, household) = app.get(&format!("/v1/households/{hid}"), &wfp);
    assert_eq!(s, 200, "{household}");
    assert_hidden("the household view", &household);
    for q in [
        "national_id=852741960",
        "phone=0597000111",
        "name=%D9%81%D8%A7%D8%B7%D9%85%D8%A9%20%D8%A7%D9%84%D8%B4%D8%A7%D8%B9%D8%B1",
    ] {
        let (s, found) = app.get(&format!("/v1/households/search?{q}"), &wfp);
        assert_eq!(s, 200, "{found}");
        // The query's own value may come back as `ours`; nothing stored may.
        for e in evidence_of(&found) {
            assert!(e["theirs"].is_null(), "{q}: {e}");
        }
        for m in found["candidates"]
            .as_array()
            .expect("candidates")
            .iter()
            .flat_map(|c| c["members"].as_array().cloned().unwrap_or_default())
        {
            assert_eq!(m["agency"], "WFP", "{q}: a member WFP never posted: {m}");
        }
    }
    // The caseworker's household view still shows everything.
    let (s, full) = app.get(&format!("/v1/households/{hid}"), &cw);
    assert_eq!(s, 200);
    assert!(full.to_string().contains("فاطمة علي حسن الشاعر"), "{full}");
}
