//! Issue 11, places: every record's location resolves to codes in either script and the usual
//! spellings; unknown names are kept and counted; the admin adds places and spellings (stored,
//! audited, kept across a restart, earlier records resolved again); filters take a code or any
//! spelling; existing records resolve when the gateway starts on the new schema.

use serde_json::{Value, json};

use crate::both_backends;
use crate::support::{Backend, MASTER, TestApp, TestDb};

both_backends!(
    spellings_in_both_scripts_resolve_to_one_code,
    unknown_place_is_kept_and_counted_unresolved,
    admin_adds_a_locality_and_a_spelling_and_earlier_records_resolve,
    filters_by_code_and_by_spelling_give_the_same_rows,
    bad_place_input_names_the_field,
    a_restart_keeps_added_places,
    existing_records_resolve_when_the_gateway_starts_on_the_new_schema,
);

/// Heads of distinct households (none matches another).
const HEADS: [&str; 8] = [
    "محمد احمد محمود الشاعر",
    "خليل ابراهيم يوسف النجار",
    "سامي عبد الله حسن الاغا",
    "Yousef Kamal Saleh Barakat",
    "ناصر جميل فؤاد العطار",
    "Rami Nabil Ziad Hamdan",
    "عمر سعيد توفيق الفرا",
    "Tariq Mahmoud Adel Shurrab",
];

/// A one-member record of household `head`, in `location`.
fn rec(external_id: &str, head: usize, location: Value) -> Value {
    json!({
        "external_id": external_id,
        "assistance": {"type": "cash", "amount": 500.0, "currency": "ILS",
                        "period_start": "2026-01-01", "period_end": "2026-03-31"},
        "location": location,
        "members": [{"role": "head", "name": HEADS[head], "date_of_birth": format!("{}", 1960 + head)}]
    })
}

fn codes(v: &Value) -> (Value, Value) {
    (v["governorate_code"].clone(), v["locality_code"].clone())
}

fn field(e: &Value) -> &str {
    e["error"]["details"][0]["field"].as_str().unwrap_or("")
}

fn spellings_in_both_scripts_resolve_to_one_code(b: Backend) {
    let app = TestApp::start(b);
    let wfp = app.agency("WFP", "submitter");
    let cw = app.agency("MOSD", "caseworker");
    let spellings = ["Khan Younis", "Khan Yunis", "خانيونس", "خان يونس"];
    let mut ids = Vec::new();
    for (i, s) in spellings.iter().enumerate() {
        // As the governorate, and as the locality (which implies the governorate).
        let (st, a) = app.post("/v1/records", &wfp, &rec(&format!("g-{i}"), i, json!({"governorate": s})));
        assert_eq!(st, 201, "{a}");
        assert_eq!(codes(&a), (json!("PS-KYS"), Value::Null), "{s}");
        let (st, a) = app.post("/v1/records", &wfp, &rec(&format!("l-{i}"), i + 4, json!({"locality": s})));
        assert_eq!(st, 201, "{a}");
        assert_eq!(codes(&a), (json!("PS-KYS"), json!("PS-KYS-KHAN-YOUNIS")), "{s}");
        ids.push(a["record_id"].as_str().expect("record_id").to_owned());
    }
    // The stored record keeps the text as written beside the codes.
    let (st, r) = app.get(&format!("/v1/records/{}", ids[2]), &wfp);
    assert_eq!(st, 200, "{r}");
    assert_eq!(r["location"]["locality"], "خانيونس");
    assert_eq!(codes(&r["location"]), (json!("PS-KYS"), json!("PS-KYS-KHAN-YOUNIS")));
    // Check and batch answer with the codes too; the household view's aid history carries them.
    let (st, a) =
        app.post("/v1/records/check", &cw, &rec("c-1", 0, json!({"governorate": "الخليل", "locality": "يطا"})));
    assert_eq!(st, 200, "{a}");
    assert_eq!(codes(&a), (json!("PS-HBN"), json!("PS-HBN-YATTA")));
    let batch = json!({"records": [rec("b-1", 0, json!({"governorate": "Hebron", "locality": "Yatta"})),
                                   rec("b-2", 1, json!({"governorate": "Nowhere Land"}))]});
    let (st, out) = app.post("/v1/records/batch", &wfp, &batch);
    assert_eq!(st, 200, "{out}");
    assert_eq!(codes(&out["results"][0]), (json!("PS-HBN"), json!("PS-HBN-YATTA")));
    assert_eq!(codes(&out["results"][1]), (Value::Null, Value::Null));
    let household = out["results"][0]["household_id"].as_str().expect("household");
    let (st, h) = app.get(&format!("/v1/households/{household}"), &cw);
    assert_eq!(st, 200, "{h}");
    let yatta = h["aid_history"].as_array().expect("history").iter().find(|e| e["locality_code"] == "PS-HBN-YATTA");
    assert_eq!(yatta.map(|e| e["governorate_code"].clone()), Some(json!("PS-HBN")), "{h}");
    // A replay answers with the codes as well.
    let (st, again) = app.post("/v1/records", &wfp, &rec("l-3", 7, json!({"locality": "خان يونس"})));
    assert_eq!(st, 200, "{again}");
    assert_eq!(codes(&again), (json!("PS-KYS"), json!("PS-KYS-KHAN-YOUNIS")));
    // The gazetteer: any key lists and searches it.
    let (st, list) = app.get("/v1/places?kind=governorate", &wfp);
    assert_eq!(st, 200, "{list}");
    assert_eq!(list["places"].as_array().map(Vec::len), Some(16));
    assert!(list["attribution"].as_str().is_some_and(|a| a.contains("GeoNames")));
    for s in spellings {
        let (st, found) = app.get(&format!("/v1/places?kind=locality&q={}", enc(s)), &cw);
        assert_eq!(st, 200, "{found}");
        assert_eq!(found["places"][0]["code"], "PS-KYS-KHAN-YOUNIS", "{s}");
        assert_eq!(found["places"][0]["parent"], "PS-KYS");
    }
    let (_, hebron) = app.get("/v1/places?parent=%D8%A7%D9%84%D8%AE%D9%84%D9%8A%D9%84", &cw);
    let localities = hebron["places"].as_array().expect("places");
    assert!(localities.len() > 20, "{hebron}");
    assert!(localities.iter().all(|p| p["parent"] == "PS-HBN" && p["kind"] == "locality"));
}

/// Percent-encodes a query value.
fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

fn unknown_place_is_kept_and_counted_unresolved(b: Backend) {
    let app = TestApp::start(b);
    let wfp = app.agency("WFP", "submitter");
    let unrwa = app.agency("UNRWA", "submitter");
    let auditor = app.agency("AUDIT", "auditor");
    // An unknown place is never refused: stored as written, with null codes.
    let atlantis = json!({"governorate": "Atlantis", "locality": "Sunken Harbour"});
    let (st, a) = app.post("/v1/records", &wfp, &rec("w-1", 0, atlantis.clone()));
    assert_eq!(st, 201, "{a}");
    assert_eq!(codes(&a), (Value::Null, Value::Null));
    let (_, r) = app.get(&format!("/v1/records/{}", a["record_id"].as_str().expect("id")), &wfp);
    assert_eq!(
        r["location"],
        json!({"governorate": "Atlantis", "locality": "Sunken Harbour",
                                     "governorate_code": null, "locality_code": null})
    );
    // The same household from another agency: an overlap in an unresolved place.
    let (_, second) = app.post("/v1/records", &unrwa, &rec("u-1", 0, atlantis));
    assert_eq!(second["decision"], "duplicate", "{second}");
    // A known governorate with an unknown hamlet: the governorate resolves, the locality not.
    let (_, c) =
        app.post("/v1/records", &wfp, &rec("w-2", 1, json!({"governorate": "Hebron", "locality": "Wadi Imaginary"})));
    assert_eq!(codes(&c), (json!("PS-HBN"), Value::Null));
    let (_, d) = app.post("/v1/records", &wfp, &rec("w-3", 2, json!({"governorate": "Hebron", "locality": "Yatta"})));
    assert_eq!(codes(&d), (json!("PS-HBN"), json!("PS-HBN-YATTA")));
    app.post("/v1/records", &wfp, &rec("w-4", 3, json!({})));
    let (st, sum) = app.get("/v1/reports/summary?from=2026-01-01&to=2026-12-31", &auditor);
    assert_eq!(st, 200, "{sum}");
    assert_eq!(sum["unresolved"], json!({"records": 3, "governorate": 2, "locality": 3}), "{sum}");
    assert_eq!(sum["by_governorate"][0]["key"], "(unresolved)", "{sum}");
    assert_eq!(sum["by_governorate"][0]["households"], 1);
    // The overlap row carries the codes (null) beside the names as written.
    let (_, rep) = app.get("/v1/reports/overlaps", &auditor);
    let row = &rep["rows"][0];
    assert_eq!((row["governorate"].clone(), row["locality"].clone()), (json!("Atlantis"), json!("Sunken Harbour")));
    assert_eq!(codes(row), (Value::Null, Value::Null));
    // Filters that name no known place select what was written so.
    let (_, rep) = app.get("/v1/reports/overlaps?governorate=atlantis", &auditor);
    assert_eq!(rep["rows"].as_array().map(Vec::len), Some(1), "{rep}");
    let (_, rep) = app.get("/v1/reports/overlaps?area=Sunken%20Harbour", &auditor);
    assert_eq!(rep["rows"].as_array().map(Vec::len), Some(1), "{rep}");
    let (_, rep) = app.get("/v1/reports/overlaps?governorate=PS-HBN", &auditor);
    assert_eq!(rep["rows"].as_array().map(Vec::len), Some(0), "{rep}");
    let (_, sum) = app.get("/v1/reports/summary?governorate=Hebron", &auditor);
    assert_eq!(sum["unresolved"], json!({"records": 1, "governorate": 0, "locality": 1}), "{sum}");
}

fn admin_adds_a_locality_and_a_spelling_and_earlier_records_resolve(b: Backend) {
    let app = TestApp::start(b);
    let wfp = app.agency("WFP", "submitter");
    let auditor = app.agency("AUDIT", "auditor");
    // Before: a hamlet the gazetteer lacks, under a known governorate, and a spelling of it alone.
    let (_, early) =
        app.post("/v1/records", &wfp, &rec("w-1", 0, json!({"governorate": "Hebron", "locality": "Umm al-Khair"})));
    assert_eq!(codes(&early), (json!("PS-HBN"), Value::Null), "{early}");
    let (_, alone) = app.post("/v1/records", &wfp, &rec("w-2", 1, json!({"locality": "Khirbet Umm al-Kheir"})));
    assert_eq!(codes(&alone), (Value::Null, Value::Null), "{alone}");
    let get = |r: &Value| {
        let (st, v) = app.get(&format!("/v1/records/{}", r["record_id"].as_str().expect("id")), &wfp);
        assert_eq!(st, 200, "{v}");
        codes(&v["location"])
    };
    // Only the admin adds places.
    let body = json!({"kind": "locality", "name_en": "Umm al-Khair", "name_ar": "أم الخير", "parent": "الخليل",
                      "locality_kind": "village", "aliases": ["Um El Kheir"]});
    assert_eq!(app.post("/v1/places", &wfp, &body).0, 403);
    assert_eq!(app.post("/v1/places", &auditor, &body).0, 403);
    let (st, added) = app.post("/v1/places", MASTER, &body);
    assert_eq!(st, 201, "{added}");
    let code = added["place"]["code"].as_str().expect("code").to_owned();
    assert_eq!(code, "PS-HBN-UMM-AL-KHAIR");
    assert_eq!(added["place"]["parent"], "PS-HBN");
    assert_eq!(added["place"]["locality_kind"], "village");
    assert_eq!(added["records_resolved"], 1, "{added}");
    assert_eq!(get(&early), (json!("PS-HBN"), json!(code)));
    assert_eq!(get(&alone), (Value::Null, Value::Null));
    // Adding it again, in either script, is a conflict.
    assert_eq!(app.post("/v1/places", MASTER, &body).0, 409);
    let (st, e) =
        app.post("/v1/places", MASTER, &json!({"kind": "locality", "name_ar": "ام الخير", "parent": "PS-HBN"}));
    assert_eq!((st, e["error"]["code"].as_str()), (409, Some("conflict")), "{e}");
    // Another spelling, and the record written so resolves, governorate included.
    let (st, patched) = app.req(
        "PATCH",
        &format!("/v1/places/{code}"),
        Some(MASTER),
        Some(&json!({"aliases": ["Khirbet Umm al-Kheir"]})),
    );
    assert_eq!(st, 200, "{patched}");
    assert_eq!(patched["records_resolved"], 1);
    assert!(patched["place"]["aliases"].as_array().is_some_and(|a| a.contains(&json!("Khirbet Umm al-Kheir"))));
    assert_eq!(get(&alone), (json!("PS-HBN"), json!(code)));
    // A spelling it already has changes nothing.
    let (st, same) =
        app.req("PATCH", &format!("/v1/places/{code}"), Some(MASTER), Some(&json!({"aliases": ["Um El Kheir"]})));
    assert_eq!((st, same["records_resolved"].clone()), (200, json!(0)), "{same}");
    // New records written in any of its spellings resolve.
    for (i, s) in ["أم الخير", "ام الخير", "Um El Kheir", "Khirbet Umm al-Kheir"].iter().enumerate() {
        let (st, a) = app.post("/v1/records", &wfp, &rec(&format!("n-{i}"), i + 2, json!({"locality": s})));
        assert_eq!(st, 201, "{a}");
        assert_eq!(codes(&a), (json!("PS-HBN"), json!(code)), "{s}");
    }
    // A spelling of a built-in place.
    let (_, a) = app.post("/v1/records", &wfp, &rec("n-y", 7, json!({"locality": "Yatta East Quarter"})));
    assert_eq!(codes(&a), (Value::Null, Value::Null), "{a}");
    let (st, p) =
        app.req("PATCH", "/v1/places/PS-HBN-YATTA", Some(MASTER), Some(&json!({"aliases": ["Yatta East Quarter"]})));
    assert_eq!((st, p["records_resolved"].clone()), (200, json!(1)), "{p}");
    assert_eq!(get(&a), (json!("PS-HBN"), json!("PS-HBN-YATTA")));
    // Listed and searchable; each change is an audit event.
    let (_, found) = app.get("/v1/places?q=%D8%A3%D9%85%20%D8%A7%D9%84%D8%AE%D9%8A%D8%B1", &wfp);
    assert_eq!(found["places"][0]["code"], json!(code), "{found}");
    assert_eq!(audit_actions(&app.db), ["place.alias", "place.alias", "place.create"]);
}

/// The actions of the audit events about places, sorted.
fn audit_actions(db: &TestDb) -> Vec<String> {
    use diesel::RunQueryDsl;
    #[derive(diesel::QueryableByName)]
    struct A {
        #[diesel(sql_type = diesel::sql_types::Text)]
        action: String,
    }
    let mut c = db.connect();
    let rows: Vec<A> = diesel::sql_query("SELECT action FROM audit_events WHERE action LIKE 'place.%' ORDER BY action")
        .load(&mut c)
        .expect("audit rows");
    rows.into_iter().map(|a| a.action).collect()
}

fn filters_by_code_and_by_spelling_give_the_same_rows(b: Backend) {
    let app = TestApp::start(b);
    let wfp = app.agency("WFP", "submitter");
    let unrwa = app.agency("UNRWA", "submitter");
    let auditor = app.agency("AUDIT", "auditor");
    let cw = app.agency("MOSD", "caseworker");
    // Two overlapping pairs in Khan Younis (written differently by each agency), one in Yatta.
    app.post("/v1/records", &wfp, &rec("w-1", 0, json!({"governorate": "خان يونس"})));
    app.post("/v1/records", &unrwa, &rec("u-1", 0, json!({"locality": "Khan Yunis"})));
    app.post("/v1/records", &wfp, &rec("w-2", 1, json!({"governorate": "Khanyounis", "locality": "Bani Suheila"})));
    app.post("/v1/records", &unrwa, &rec("u-2", 1, json!({"governorate": "KHAN YOUNIS"})));
    app.post("/v1/records", &wfp, &rec("w-3", 2, json!({"governorate": "Hebron", "locality": "Yatta"})));
    app.post("/v1/records", &unrwa, &rec("u-3", 2, json!({"governorate": "الخليل", "locality": "يطا"})));
    let flags = |query: &str| -> Vec<String> {
        let (st, rep) = app.get(&format!("/v1/reports/overlaps?{query}"), &auditor);
        assert_eq!(st, 200, "{query}: {rep}");
        let mut ids: Vec<String> = rep["rows"]
            .as_array()
            .expect("rows")
            .iter()
            .map(|r| r["flag_id"].as_str().expect("id").to_owned())
            .collect();
        ids.sort();
        ids
    };
    let all = flags("");
    assert_eq!(all.len(), 3);
    let khan_younis = flags("governorate=PS-KYS");
    assert_eq!(khan_younis.len(), 2);
    for q in [
        "governorate=ps-kys",
        "governorate=Khan%20Younis",
        "governorate=Khan%20Yunis",
        &format!("governorate={}", enc("خانيونس")),
        &format!("governorate={}", enc("خان يونس")),
        "area=PS-KYS",
        "area=Khan%20Yunis",
    ] {
        assert_eq!(flags(q), khan_younis, "{q}");
    }
    let yatta = flags("area=PS-HBN-YATTA");
    assert_eq!(yatta.len(), 1);
    for q in
        ["area=Yatta", &format!("area={}", enc("يطا")), "governorate=Hebron", &format!("governorate={}", enc("الخليل"))]
    {
        assert_eq!(flags(q), yatta, "{q}");
    }
    assert_eq!(flags("area=Bani%20Suheila").len(), 1);
    // The summary, likewise, and grouped by code.
    let summary = |q: &str| app.get(&format!("/v1/reports/summary?{q}"), &auditor).1;
    assert_eq!(summary("governorate=PS-KYS")["totals"], summary(&format!("governorate={}", enc("خانيونس")))["totals"]);
    let all = summary("");
    let keys: Vec<&str> =
        all["by_governorate"].as_array().expect("lines").iter().filter_map(|l| l["key"].as_str()).collect();
    assert_eq!(keys, ["PS-HBN", "PS-KYS"], "{all}");
    assert_eq!(all["by_governorate"][1]["name_en"], "Khan Yunis");
    assert_eq!(all["by_governorate"][1]["households"], 2);
    // Search: a governorate by code or by spelling finds the same households.
    let search = |q: &str| -> Vec<Value> {
        let (st, found) = app.get(&format!("/v1/households/search?name={}&{q}", enc(HEADS[0])), &cw);
        assert_eq!(st, 200, "{found}");
        found["candidates"].as_array().expect("candidates").iter().map(|c| c["household_id"].clone()).collect()
    };
    let by_code = search("governorate=PS-KYS");
    assert!(!by_code.is_empty());
    assert_eq!(search(&format!("governorate={}", enc("خان يونس"))), by_code);
    assert_eq!(search("governorate=Khan%20Younis"), by_code);
    assert_eq!(search("area=PS-KYS"), by_code);
    assert!(search("governorate=PS-HBN").iter().all(|h| !by_code.contains(h)));
}

fn bad_place_input_names_the_field(b: Backend) {
    let app = TestApp::start(b);
    let wfp = app.agency("WFP", "submitter");
    let auditor = app.agency("AUDIT", "auditor");
    let base = json!({"kind": "locality", "name_en": "Wadi al-Ghoul", "parent": "PS-HBN"});
    let with = |k: &str, v: Value| {
        let mut b = base.clone();
        b[k] = v;
        b
    };
    let long = "ا".repeat(101);
    let cases: Vec<(Value, &str)> = vec![
        (with("kind", json!("district")), "kind"),
        (with("kind", json!("governorate")), "kind"),
        (with("parent", json!("PS-XXX")), "parent"),
        (with("parent", json!("Atlantis")), "parent"),
        (with("parent", json!("PS-HBN-YATTA")), "parent"),
        (with("parent", Value::Null), "parent"),
        (with("name_en", json!("  ")), "name_en"),
        (with("name_en", json!("x".repeat(101))), "name_en"),
        (with("name_en", json!("وادي الغول")), "name_en"),
        (with("name_ar", json!(long)), "name_ar"),
        (with("name_ar", json!("Wadi")), "name_ar"),
        (with("name_en", json!("Wadi\u{202E}Ghoul")), "name_en"),
        (with("aliases", json!([""])), "aliases[0]"),
        (with("aliases", json!(["ok", "1234"])), "aliases[1]"),
        (with("aliases", json!(vec!["x"; 51])), "aliases"),
        (with("lat", json!(91.0)), "lat"),
        (with("lon", json!(35.1)), "lat"),
        (with("locality_kind", json!("hamlet")), "locality_kind"),
        // Codes are made by the gateway, not given.
        (with("code", json!("PS-HBN-X")), "code"),
    ];
    for (body, f) in cases {
        let (st, e) = app.post("/v1/places", MASTER, &body);
        assert_eq!((st, field(&e)), (400, f), "{body}: {e}");
    }
    // Duplicates: a spelling another locality of the governorate has.
    for body in [
        with("name_en", json!("Yatta")),
        json!({"kind": "locality", "name_ar": "يطا", "parent": "Hebron"}),
        with("aliases", json!(["Dura"])),
    ] {
        let (st, e) = app.post("/v1/places", MASTER, &body);
        assert_eq!(st, 409, "{body}: {e}");
        assert!(e["error"]["message"].as_str().is_some_and(|m| m.contains("PS-HBN-")), "{e}");
    }
    // The same name in another governorate is another place.
    let (st, e) = app.post("/v1/places", MASTER, &json!({"kind": "locality", "name_en": "Yatta", "parent": "PS-NBS"}));
    assert_eq!(st, 201, "{e}");
    assert_eq!(e["place"]["code"], "PS-NBS-YATTA");
    // Aliases.
    let patch = |code: &str, body: Value| app.req("PATCH", &format!("/v1/places/{code}"), Some(MASTER), Some(&body));
    assert_eq!(patch("PS-HBN-NOWHERE", json!({"aliases": ["x"]})).0, 404);
    let (st, e) = patch("PS-HBN-YATTA", json!({"aliases": []}));
    assert_eq!((st, field(&e)), (400, "aliases"));
    let (st, e) = patch("PS-HBN-YATTA", json!({"aliases": ["Yata", "x".repeat(200)]}));
    assert_eq!((st, field(&e)), (400, "aliases[1]"));
    let (st, e) = patch("PS-HBN-YATTA", json!({"names": ["Yata"]}));
    assert_eq!((st, field(&e)), (400, "names"), "{e}");
    let (st, e) = patch("PS-HBN-YATTA", json!({"aliases": ["Dura"]}));
    assert_eq!(st, 409, "{e}");
    assert_eq!(app.req("PATCH", "/v1/places/PS-HBN-YATTA", Some(&wfp), Some(&json!({"aliases": ["Yata"]}))).0, 403);
    // Nothing of the refused was stored.
    assert_eq!(app.db.count("places"), 1);
    assert_eq!(app.db.count("place_aliases"), 0);
    // The list's parameters, and the filters'.
    let (st, e) = app.get("/v1/places?kind=district", &wfp);
    assert_eq!((st, field(&e)), (400, "kind"));
    let (st, e) = app.get("/v1/places?parent=Atlantis", &wfp);
    assert_eq!((st, field(&e)), (400, "parent"));
    let (st, e) = app.get(&format!("/v1/places?q={}", "x".repeat(101)), &wfp);
    assert_eq!((st, field(&e)), (400, "q"));
    let (st, e) = app.get(&format!("/v1/reports/overlaps?governorate={}", "x".repeat(201)), &auditor);
    assert_eq!((st, field(&e)), (400, "governorate"));
    let (st, e) = app.get(&format!("/v1/reports/summary?area={}", "x".repeat(201)), &auditor);
    assert_eq!((st, field(&e)), (400, "area"));
    let (st, e) = app.get("/v1/places", "not-a-key");
    assert_eq!(st, 401, "{e}");
}

fn a_restart_keeps_added_places(b: Backend) {
    let app = TestApp::start(b);
    let (st, added) = app.post(
        "/v1/places",
        MASTER,
        &json!({"kind": "locality", "name_en": "Susiya", "name_ar": "سوسيا", "parent": "PS-HBN", "locality_kind": "village",
                "aliases": ["Khirbet Susiya"], "lat": 31.39, "lon": 35.11}),
    );
    assert_eq!(st, 201, "{added}");
    let (st, _) =
        app.req("PATCH", "/v1/places/PS-KYS", Some(MASTER), Some(&json!({"aliases": ["Khan Yunes Governorate Area"]})));
    assert_eq!(st, 200);
    let db = app.stop();
    let app = TestApp::start_on(db);
    let wfp = app.agency("WFP", "submitter");
    let (_, found) = app.get("/v1/places?q=Susiya", &wfp);
    let place = &found["places"][0];
    assert_eq!(place["code"], "PS-HBN-SUSIYA", "{found}");
    assert_eq!(place["aliases"], json!(["Khirbet Susiya"]));
    assert_eq!((place["lat"].clone(), place["lon"].clone()), (json!(31.39), json!(35.11)));
    for (i, location) in [json!({"locality": "Khirbet Susiya"}), json!({"governorate": "Khan Yunes Governorate Area"})]
        .into_iter()
        .enumerate()
    {
        let (st, a) = app.post("/v1/records", &wfp, &rec(&format!("w-{i}"), i, location));
        assert_eq!(st, 201, "{a}");
        let want = if i == 0 { json!("PS-HBN") } else { json!("PS-KYS") };
        assert_eq!(a["governorate_code"], want, "{a}");
    }
    // Added again after the restart: still a conflict, not a second place.
    let (st, _) = app.post("/v1/places", MASTER, &json!({"kind": "locality", "name_en": "Susiya", "parent": "PS-HBN"}));
    assert_eq!(st, 409);
}

fn existing_records_resolve_when_the_gateway_starts_on_the_new_schema(b: Backend) {
    let app = TestApp::start(b);
    let wfp = app.agency("WFP", "submitter");
    let locations = [
        json!({"governorate": "Khan Younis"}),
        json!({"locality": "خانيونس"}),
        json!({"governorate": "الخليل", "locality": "يطا"}),
        json!({"governorate": "Atlantis"}),
    ];
    let mut ids = Vec::new();
    for (i, l) in locations.iter().enumerate() {
        let (st, a) = app.post("/v1/records", &wfp, &rec(&format!("w-{i}"), i, l.clone()));
        assert_eq!(st, 201, "{a}");
        ids.push(a["record_id"].as_str().expect("id").to_owned());
    }
    let db = app.stop();
    // Take the schema back to before places: the records as the old gateway stored them.
    {
        use diesel::RunQueryDsl;
        use diesel::connection::SimpleConnection;
        let mut c = db.connect();
        // Each migration since places taken back, the latest first (the national ID's and the
        // phone's indexes, which the write indexes' own way back drops, come back before it).
        let back = [
            (include_str!("../../migrations/sqlite/2026-12-15-100000_no_national_id_index/down.sql"), "20261215100000"),
            (include_str!("../../migrations/sqlite/2026-12-14-100000_no_phone_index/down.sql"), "20261214100000"),
            (include_str!("../../migrations/sqlite/2026-12-12-090000_write_indexes/down.sql"), "20261212090000"),
            (include_str!("../../migrations/sqlite/2026-12-11-160000_rest_reach/down.sql"), "20261211160000"),
            (include_str!("../../migrations/sqlite/2026-12-03-110001_plan_planning/down.sql"), "20261203110001"),
            (include_str!("../../migrations/sqlite/2026-12-01-000001_places/down.sql"), "20261201000001"),
        ];
        for (down, version) in back {
            c.batch_execute(down).unwrap_or_else(|e| panic!("down {version}: {e}"));
            c.batch_execute(&format!("DELETE FROM __diesel_schema_migrations WHERE version = '{version}'"))
                .expect("forget");
        }
        assert!(diesel::sql_query("SELECT governorate_code FROM records").execute(&mut c).is_err(), "old shape");
    }
    let app = TestApp::start_on(db);
    let wfp = app.agency("WFP", "submitter");
    let want = [
        (json!("PS-KYS"), Value::Null),
        (json!("PS-KYS"), json!("PS-KYS-KHAN-YOUNIS")),
        (json!("PS-HBN"), json!("PS-HBN-YATTA")),
        (Value::Null, Value::Null),
    ];
    for (id, want) in ids.iter().zip(want) {
        let (st, r) = app.get(&format!("/v1/records/{id}"), &wfp);
        assert_eq!(st, 200, "{r}");
        assert_eq!(codes(&r["location"]), want, "{r}");
    }
    // Started again, nothing changes.
    let db = app.stop();
    let app = TestApp::start_on(db);
    let wfp = app.agency("WFP", "submitter");
    let (_, r) = app.get(&format!("/v1/records/{}", ids[2]), &wfp);
    assert_eq!(codes(&r["location"]), (json!("PS-HBN"), json!("PS-HBN-YATTA")));
}
