//! Issue 11, planning: vulnerable groups on members (protection marks seen only by who may),
//! needs and targets, the coverage report (households counted once however many agencies,
//! `no_service`, `double_served`, suppression of small counts), the directory of organisations
//! and services with its 403s, and who does what where in JSON, CSV and HXL.

use serde_json::{Value, json};

use crate::both_backends;
use crate::support::{Backend, MASTER, TestApp};

both_backends!(
    protection_marks_are_seen_only_by_who_may,
    derived_and_unknown_groups_are_refused_naming_the_field,
    needs_are_upserted_and_read_back,
    bad_needs_name_the_field_and_write_nothing,
    coverage_counts_a_household_once_and_finds_gaps_and_overlaps,
    coverage_refuses_bad_input_and_other_roles,
    directory_is_written_by_its_own_agency_or_the_admin,
    three_w_answers_in_json_csv_and_hxl,
    who_signs_in_without_a_page_lands_on_their_own,
    the_3w_page_draws_a_bounded_table,
);

/// Heads of distinct households (none matches another).
const HEADS: [&str; 8] = [
    "خليل ابراهيم يوسف النجار",
    "سامي عبد الله حسن الاغا",
    "Yousef Kamal Saleh Barakat",
    "ناصر جميل فؤاد العطار",
    "Rami Nabil Ziad Hamdan",
    "عمر سعيد توفيق الفرا",
    "Tariq Mahmoud Adel Shurrab",
    "هاني وليد كمال الزعانين",
];

/// A one-member record of household `head` in `locality` (Hebron governorate).
fn rec(external_id: &str, head: usize, aid: &str, locality: &str) -> Value {
    json!({
        "external_id": external_id,
        "assistance": {"type": aid, "period_start": "2026-01-01", "period_end": "2026-03-31"},
        "location": {"governorate": "الخليل", "locality": locality},
        "members": [{"role": "head", "name": HEADS[head], "date_of_birth": format!("{}", 1970 + head), "sex": "M"}]
    })
}

fn field(e: &Value) -> String {
    e["error"]["details"][0]["field"].as_str().unwrap_or("").to_owned()
}

fn fields(e: &Value) -> Vec<String> {
    e["error"]["details"]
        .as_array()
        .map(|d| d.iter().filter_map(|p| p["field"].as_str().map(str::to_owned)).collect())
        .unwrap_or_default()
}

fn req(app: &TestApp, method: &str, path: &str, key: &str, body: &Value) -> (u16, Value) {
    app.req(method, path, Some(key), Some(body))
}

fn protection_marks_are_seen_only_by_who_may(b: Backend) {
    let app = TestApp::start(b);
    let wfp = app.agency("WFP", "submitter");
    let unrwa = app.agency("UNRWA", "submitter");
    let auditor = app.agency("OCHA", "auditor");
    let caseworker = app.agency("MOSD", "caseworker");
    let mut body = json!({
        "external_id": "wfp-p-1",
        "assistance": {"type": "psychosocial", "period_start": "2026-01-01", "period_end": "2026-03-31"},
        "location": {"governorate": "Hebron", "locality": "Yatta"},
        "members": [
            {"role": "head", "name": "فاطمة علي حسن الشاعر", "national_id": "401234563", "date_of_birth": "1950-02-01", "sex": "F",
             "groups": ["women_protection", "chronic_illness"]},
            {"role": "child", "name": "سارة محمد الشاعر", "date_of_birth": "2015", "groups": ["child_protection", "disability"]}
        ]
    });
    let (st, a) = app.post("/v1/records", &wfp, &body);
    assert_eq!(st, 201, "{a}");
    let record = a["record_id"].as_str().unwrap_or_default().to_owned();
    let household = a["household_id"].as_str().unwrap_or_default().to_owned();
    // The posting agency sees every mark, and the derived groups.
    let (st, r) = app.get(&format!("/v1/records/{record}"), &wfp);
    assert_eq!(st, 200, "{r}");
    assert_eq!(r["members"][0]["groups"], json!(["women_protection", "chronic_illness"]), "{r}");
    assert_eq!(r["members"][1]["groups"], json!(["child_protection", "disability"]), "{r}");
    let groups = r["groups"].to_string();
    for g in ["elderly", "female_headed", "women_protection", "child_protection", "disability", "chronic_illness"] {
        assert!(groups.contains(g), "{g} in {groups}");
    }
    // A caseworker (scope holds every household until scopes exist) sees them too.
    let (st, r) = app.get(&format!("/v1/records/{record}"), &caseworker);
    assert_eq!(st, 200, "{r}");
    assert!(r.to_string().contains("women_protection"), "{r}");
    // An auditor sees the other groups, never the protection marks.
    let (st, r) = app.get(&format!("/v1/records/{record}"), &auditor);
    assert_eq!(st, 200, "{r}");
    let text = r.to_string();
    assert!(!text.contains("protection"), "{text}");
    assert!(text.contains("chronic_illness") && text.contains("disability") && text.contains("elderly"), "{text}");
    let (st, h) = app.get(&format!("/v1/households/{household}"), &auditor);
    assert_eq!(st, 200, "{h}");
    assert!(!h.to_string().contains("protection"), "{h}");
    assert!(h.to_string().contains("chronic_illness"), "{h}");
    // Another agency's submitter serving the same household sees no mark of WFP's anywhere.
    body["external_id"] = json!("unrwa-p-1");
    body["members"][0]["groups"] = json!([]);
    body["members"][1]["groups"] = json!([]);
    let (st, a) = app.post("/v1/records", &unrwa, &body);
    assert_eq!(st, 201, "{a}");
    assert_eq!(a["household_id"], json!(household), "the same household");
    let (st, r) = app.get(&format!("/v1/records/{record}"), &unrwa);
    assert_eq!(st, 404, "another agency's record: {r}");
    let (st, h) = app.get(&format!("/v1/households/{household}"), &unrwa);
    assert_eq!(st, 200, "{h}");
    assert!(!h.to_string().contains("protection"), "{h}");
    // The caseworker's household view carries WFP's marks.
    let (st, h) = app.get(&format!("/v1/households/{household}"), &caseworker);
    assert_eq!(st, 200, "{h}");
    assert!(h.to_string().contains("child_protection"), "{h}");
}

fn derived_and_unknown_groups_are_refused_naming_the_field(b: Backend) {
    let app = TestApp::start(b);
    let wfp = app.agency("WFP", "submitter");
    let before = app.db.count("records");
    let mut body = rec("g-1", 0, "cash", "Yatta");
    body["members"][0]["groups"] = json!(["disability", "elderly"]);
    let (st, e) = app.post("/v1/records", &wfp, &body);
    assert_eq!(st, 400, "{e}");
    assert_eq!(field(&e), "members[0].groups[1]", "{e}");
    assert!(e.to_string().contains("derived"), "{e}");
    body["members"][0]["groups"] = json!(["female_headed"]);
    let (st, e) = app.post("/v1/records", &wfp, &body);
    assert_eq!((st, field(&e)), (400, "members[0].groups[0]".to_owned()), "{e}");
    body["members"][0]["groups"] = json!(["orphan"]);
    let (st, e) = app.post("/v1/records", &wfp, &body);
    assert_eq!((st, field(&e)), (400, "members[0].groups[0]".to_owned()), "{e}");
    body["members"][0]["groups"] = json!("disability");
    let (st, e) = app.post("/v1/records", &wfp, &body);
    assert_eq!((st, field(&e)), (400, "members[0].groups".to_owned()), "{e}");
    body["members"][0]["groups"] = json!(["disability"]);
    body["members"][0]["elderly"] = json!(true);
    let (st, e) = app.post("/v1/records", &wfp, &body);
    assert_eq!(st, 400, "{e}");
    assert!(field(&e).starts_with("members[0]"), "{e}");
    assert_eq!(app.db.count("records"), before, "nothing written");
    assert_eq!(app.db.count("record_groups"), 0);
}

fn need(area: &str, sector: &str, group: Option<&str>, in_need: i64, targeted: i64) -> Value {
    let mut n = json!({"area": area, "sector": sector, "period_start": "2026-01-01", "period_end": "2026-03-31",
                       "households_in_need": in_need, "households_targeted": targeted, "source": "directorate list"});
    if let Some(g) = group {
        n["group"] = json!(g);
    }
    n
}

fn needs_are_upserted_and_read_back(b: Backend) {
    let app = TestApp::start(b);
    let coordinator = app.agency("MOSD", "coordinator");
    let wfp = app.agency("WFP", "submitter");
    let body =
        json!({"needs": [need("Yatta", "cash", Some("elderly"), 420, 300), need("PS-HBN", "food", None, 3200, 2000)]});
    let (st, a) = req(&app, "PUT", "/v1/needs", &coordinator, &body);
    assert_eq!(st, 200, "{a}");
    assert_eq!(a["replaced"], 0);
    assert_eq!(a["needs"][0]["area"], "PS-HBN-YATTA");
    assert_eq!(a["needs"][0]["area_name"], "يطا");
    // The same area × sector × group × period again replaces it.
    let body = json!({"needs": [need("يطا", "cash", Some("elderly"), 450, 320)]});
    let (st, a) = req(&app, "PUT", "/v1/needs", &coordinator, &body);
    assert_eq!(st, 200, "{a}");
    assert_eq!(a["replaced"], 1);
    let (st, list) = app.get("/v1/needs?area=Hebron", &coordinator);
    assert_eq!(st, 200, "{list}");
    let needs = list["needs"].as_array().cloned().unwrap_or_default();
    assert_eq!(needs.len(), 2, "the governorate's and its locality's: {list}");
    let yatta = needs.iter().find(|n| n["area"] == "PS-HBN-YATTA").cloned().unwrap_or_default();
    assert_eq!((yatta["households_in_need"].clone(), yatta["households_targeted"].clone()), (json!(450), json!(320)));
    let (_, list) = app.get("/v1/needs?group=all", &coordinator);
    assert_eq!(list["needs"].as_array().map(Vec::len), Some(1), "{list}");
    assert_eq!(list["needs"][0]["group"], Value::Null);
    let (_, list) = app.get("/v1/needs?sector=cash&group=elderly", MASTER);
    assert_eq!(list["needs"].as_array().map(Vec::len), Some(1), "{list}");
    // A submitter neither writes nor reads needs.
    let (st, _) = req(&app, "PUT", "/v1/needs", &wfp, &body);
    assert_eq!(st, 403);
    let (st, _) = app.get("/v1/needs", &wfp);
    assert_eq!(st, 403);
}

fn bad_needs_name_the_field_and_write_nothing(b: Backend) {
    let app = TestApp::start(b);
    let coordinator = app.agency("MOSD", "coordinator");
    let mut bad_period = need("Yatta", "cash", None, 10, 5);
    bad_period["period_end"] = json!("2025-12-31");
    let body = json!({"needs": [
        need("Yatta", "cash", None, 10, 5),
        need("Atlantis", "cash", None, 10, 5),
        need("Yatta", "cash", Some("orphans"), 10, 5),
        need("Yatta", "cash", None, -1, 5),
        bad_period,
    ]});
    let (st, e) = req(&app, "PUT", "/v1/needs", &coordinator, &body);
    assert_eq!(st, 400, "{e}");
    assert_eq!(
        fields(&e),
        ["needs[1].area", "needs[2].group", "needs[3].households_in_need", "needs[4].period_end"],
        "{e}"
    );
    let body = json!({"needs": [{"area": "Yatta", "sector": "money", "period_start": "2026-01-01",
                                 "period_end": "2026-01-31", "households_in_need": 1}]});
    let (st, e) = req(&app, "PUT", "/v1/needs", &coordinator, &body);
    assert_eq!((st, field(&e)), (400, "needs[0].sector".to_owned()), "{e}");
    let (st, e) = req(&app, "PUT", "/v1/needs", &coordinator, &json!({"needs": []}));
    assert_eq!((st, field(&e)), (400, "needs".to_owned()), "{e}");
    let (st, e) = app.get("/v1/needs?group=orphans", &coordinator);
    assert_eq!((st, field(&e)), (400, "group".to_owned()), "{e}");
    assert_eq!(app.db.count("needs"), 0, "nothing half-written");
}

fn row<'a>(report: &'a Value, area: &str, sector: &str, group: Option<&str>) -> &'a Value {
    report["rows"]
        .as_array()
        .and_then(|rows| {
            rows.iter().find(|r| {
                r["area"] == area && r["sector"] == sector && r["group"] == group.map_or(Value::Null, |g| json!(g))
            })
        })
        .unwrap_or(&Value::Null)
}

fn coverage_counts_a_household_once_and_finds_gaps_and_overlaps(b: Backend) {
    let app = TestApp::start(b);
    let coordinator = app.agency("MOSD", "coordinator");
    let mut keys = Vec::new();
    for code in ["WFP", "UNRWA", "ICRC"] {
        keys.push(app.agency(code, "submitter"));
    }
    // One household in Yatta, reached with cash by three agencies.
    for (i, k) in keys.iter().enumerate() {
        let mut body = crate::support::record(&format!("same-{i}"));
        body["assistance"]["type"] = json!("cash");
        let (st, a) = app.post("/v1/records", k, &body);
        assert_eq!(st, 201, "{a}");
    }
    // Six households in Halhul with food, by WFP alone; two of them twice.
    for h in 0..6 {
        let (st, a) = app.post("/v1/records", &keys[0], &rec(&format!("food-{h}"), h, "food", "Halhul"));
        assert_eq!(st, 201, "{a}");
    }
    for h in 0..2 {
        let mut again = rec(&format!("food-again-{h}"), h, "food", "Halhul");
        again["assistance"]["period_start"] = json!("2026-02-01");
        let (st, a) = app.post("/v1/records", &keys[0], &again);
        assert_eq!(st, 201, "{a}");
    }
    let needs = json!({"needs": [
        need("Yatta", "cash", None, 40, 30),
        need("Halhul", "food", None, 10, 8),
        need("Dura", "cash", None, 100, 60),
    ]});
    let (st, a) = req(&app, "PUT", "/v1/needs", &coordinator, &needs);
    assert_eq!(st, 200, "{a}");

    let path = "/v1/reports/coverage?governorate=%D8%A7%D9%84%D8%AE%D9%84%D9%8A%D9%84&from=2026-01-01&to=2026-03-31";
    let (st, admin) = app.get(path, MASTER);
    assert_eq!(st, 200, "{admin}");
    let yatta = row(&admin, "PS-HBN-YATTA", "cash", None);
    assert_eq!(yatta["households_reached"], 1, "three agencies, one household: {admin}");
    assert_eq!(yatta["records"], 3);
    assert_eq!(yatta["agencies"], json!(["ICRC", "UNRWA", "WFP"]));
    assert_eq!(yatta["households_reached_by_two_or_more"], 1);
    assert_eq!(yatta["status"], "double_served");
    assert_eq!(yatta["gap"], 39);
    assert_eq!(yatta["suppressed"], false, "the admin sees every count");
    let halhul = row(&admin, "PS-HBN-HALHUL", "food", None);
    assert_eq!((halhul["households_reached"].clone(), halhul["records"].clone()), (json!(6), json!(8)), "{admin}");
    assert_eq!(halhul["status"], "under");
    assert_eq!(halhul["coverage"], 0.75);
    assert_eq!(halhul["gap"], 4);
    let dura = row(&admin, "PS-HBN-DURA", "cash", None);
    assert_eq!(dura["status"], "no_service", "{admin}");
    assert_eq!(dura["households_reached"], 0);
    assert_eq!(dura["agencies"], json!([]));
    assert_eq!(admin["totals"]["households_reached"], 7, "{admin}");
    assert_eq!(admin["totals"]["no_service"], 1);
    assert_eq!(admin["totals"]["double_served"], 1);

    // The coordinator sees 1 as suppressed (null), 6 as it is.
    let (st, coord) = app.get(path, &coordinator);
    assert_eq!(st, 200, "{coord}");
    let yatta = row(&coord, "PS-HBN-YATTA", "cash", None);
    assert_eq!(yatta["households_reached"], Value::Null, "{coord}");
    assert_eq!(yatta["gap"], Value::Null, "the gap would give the count away");
    assert_eq!(yatta["suppressed"], true);
    assert_eq!(row(&coord, "PS-HBN-HALHUL", "food", None)["households_reached"], 6);
    assert_eq!(row(&coord, "PS-HBN-DURA", "cash", None)["households_reached"], 0, "zero is not suppressed");

    // By governorate, and for one group: the head born 1980 is not elderly; nobody is.
    let (st, top) = app.get("/v1/reports/coverage", MASTER);
    assert_eq!(st, 200, "{top}");
    assert_eq!(row(&top, "PS-HBN", "cash", None)["households_reached"], 1, "{top}");
    assert_eq!(row(&top, "PS-HBN", "food", None)["households_reached"], 6, "{top}");
    let (st, elderly) = app.get("/v1/reports/coverage?group=elderly&area=Yatta", MASTER);
    assert_eq!(st, 200, "{elderly}");
    assert_eq!(elderly["rows"].as_array().map(Vec::len), Some(0), "{elderly}");
    let (_, one) = app.get("/v1/reports/coverage?area=%D9%8A%D8%B7%D8%A7&sector=cash", MASTER);
    assert_eq!(row(&one, "PS-HBN-YATTA", "cash", None)["households_reached"], 1, "{one}");

    // CSV: the same rows, suppressed cells empty and marked.
    let (st, csv) = app.get(&format!("{path}&format=csv"), &coordinator);
    assert_eq!(st, 200);
    let text = csv.as_str().unwrap_or_default().to_owned();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let headers = reader.headers().map(|h| h.iter().map(str::to_owned).collect::<Vec<_>>()).unwrap_or_default();
    let col = |name: &str| headers.iter().position(|h| h == name).unwrap_or(usize::MAX);
    let lines: Vec<csv::StringRecord> = reader.records().filter_map(Result::ok).collect();
    let yatta = lines.iter().find(|l| l.get(col("area")) == Some("PS-HBN-YATTA")).cloned().unwrap_or_default();
    assert_eq!(yatta.get(col("households_reached")), Some(""), "{text}");
    assert_eq!(yatta.get(col("suppressed")), Some("true"), "{text}");
    assert_eq!(yatta.get(col("status")), Some("double_served"), "{text}");
}

fn coverage_refuses_bad_input_and_other_roles(b: Backend) {
    let app = TestApp::start(b);
    let wfp = app.agency("WFP", "submitter");
    let auditor = app.agency("OCHA", "auditor");
    for (query, at) in [
        ("from=2026-13-01", "from"),
        ("to=yesterday", "to"),
        ("from=2026-03-01&to=2026-01-01", "to"),
        ("group=orphans", "group"),
        ("sector=money", "sector"),
        ("format=xml", "format"),
        ("colour=red", "colour"),
    ] {
        let (st, e) = app.get(&format!("/v1/reports/coverage?{query}"), &auditor);
        assert_eq!((st, field(&e)), (400, at.to_owned()), "{query}: {e}");
    }
    let (st, _) = app.get("/v1/reports/coverage", &wfp);
    assert_eq!(st, 403);
    let (st, r) = app.get("/v1/reports/coverage?area=Nowhere%20Land", &auditor);
    assert_eq!(st, 200, "an unknown place selects nothing: {r}");
    assert_eq!(r["rows"], json!([]));
}

fn directory_is_written_by_its_own_agency_or_the_admin(b: Backend) {
    let app = TestApp::start(b);
    let wfp = app.agency("WFP", "submitter");
    let unrwa = app.agency("UNRWA", "submitter");
    let coordinator = app.agency("MOSD", "coordinator");
    let org = json!({"name_ar": "برنامج الأغذية العالمي", "name_en": "World Food Programme", "kind": "un_agency",
                     "contact": {"phone": "+970 2 540 1340", "email": "palestine@wfp.org", "website": "https://www.wfp.org"},
                     "description": "Food and cash assistance."});
    let (st, o) = req(&app, "PUT", "/v1/directory/organizations/WFP", &wfp, &org);
    assert_eq!(st, 200, "{o}");
    assert_eq!(o["kind"], "un_agency");
    let (st, _) = req(&app, "PUT", "/v1/directory/organizations/WFP", &unrwa, &org);
    assert_eq!(st, 403, "another agency may not write WFP's description");
    let (st, _) = req(
        &app,
        "PUT",
        "/v1/directory/organizations/UNRWA",
        MASTER,
        &json!({"name_en": "UNRWA", "kind": "un_agency"}),
    );
    assert_eq!(st, 200);
    let (st, _) =
        req(&app, "PUT", "/v1/directory/organizations/NOPE", MASTER, &json!({"name_en": "x", "kind": "private"}));
    assert_eq!(st, 404);
    for (bad, at) in [
        (json!({"name_en": "x", "kind": "club"}), "kind"),
        (json!({"kind": "private"}), "name_ar"),
        (json!({"name_en": "x", "kind": "private", "contact": {"email": "nobody"}}), "contact.email"),
        (json!({"name_en": "x", "kind": "private", "contact": {"website": "ftp://x"}}), "contact.website"),
        (json!({"name_en": "x", "kind": "private", "colour": "red"}), "colour"),
    ] {
        let (st, e) = req(&app, "PUT", "/v1/directory/organizations/WFP", &wfp, &bad);
        assert_eq!((st, field(&e)), (400, at.to_owned()), "{bad}: {e}");
    }

    // Services: WFP writes its own.
    let service = json!({"name": "Winter cash", "sector": "cash", "groups": ["elderly", "female_headed"],
                         "areas": ["Yatta", "خانيونس"], "eligibility": "Households of five or more",
                         "period_start": "2026-01-01", "period_end": "2026-03-31", "capacity_households": 800,
                         "contact": {"phone": "1800-500"}});
    let (st, s) = app.post("/v1/directory/services", &wfp, &service);
    assert_eq!(st, 201, "{s}");
    assert_eq!(s["service"]["organization"], "WFP");
    assert_eq!(s["service"]["areas"], json!(["PS-HBN-YATTA", "PS-KYS"]));
    assert_eq!(s["service"]["status"], "active");
    let id = s["service"]["id"].as_str().unwrap_or_default().to_owned();
    let (st, _) =
        app.post("/v1/directory/services", &unrwa, &json!({"organization": "WFP", "name": "x", "sector": "cash"}));
    assert_eq!(st, 403, "UNRWA may not add WFP's services");
    let (st, _) =
        req(&app, "PATCH", &format!("/v1/directory/services/{id}"), &unrwa, &json!({"capacity_households": 1}));
    assert_eq!(st, 403);
    let (st, _) = req(&app, "PATCH", &format!("/v1/directory/services/{id}"), &coordinator, &json!({"name": "x"}));
    assert_eq!(st, 403, "a coordinator reads the directory, writes only its own agency's");
    let (st, p) = req(
        &app,
        "PATCH",
        &format!("/v1/directory/services/{id}"),
        &wfp,
        &json!({"capacity_households": 900, "status": "paused"}),
    );
    assert_eq!(st, 200, "{p}");
    assert_eq!(
        (p["service"]["capacity_households"].clone(), p["service"]["status"].clone()),
        (json!(900), json!("paused"))
    );
    assert_eq!(p["service"]["name"], "Winter cash", "fields not given are kept");
    // Found by area in any spelling (a governorate-wide service serves its localities), group and sector.
    for q in ["area=%D9%8A%D8%B7%D8%A7", "area=Bani%20Suheila", "group=elderly&sector=cash", "organization=WFP"] {
        let (st, l) = app.get(&format!("/v1/directory/services?{q}"), &coordinator);
        assert_eq!(st, 200, "{l}");
        assert_eq!(l["services"].as_array().map(Vec::len), Some(1), "{q}: {l}");
    }
    for q in ["area=Jenin", "sector=food", "group=disability", "status=active"] {
        let (_, l) = app.get(&format!("/v1/directory/services?{q}"), &coordinator);
        assert_eq!(l["services"].as_array().map(Vec::len), Some(0), "{q}: {l}");
    }
    for (bad, at) in [
        (json!({"name": "x", "sector": "cash", "areas": ["Yatta", "Atlantis"]}), "areas[1]"),
        (json!({"name": "x", "sector": "cash", "groups": ["orphans"]}), "groups[0]"),
        (json!({"name": " ", "sector": "cash"}), "name"),
        (json!({"name": "x", "sector": "money"}), "sector"),
        (json!({"name": "x", "sector": "cash", "capacity_households": -3}), "capacity_households"),
        (
            json!({"name": "x", "sector": "cash", "period_start": "2026-02-01", "period_end": "2026-01-01"}),
            "period_end",
        ),
    ] {
        let (st, e) = app.post("/v1/directory/services", &wfp, &bad);
        assert_eq!((st, field(&e)), (400, at.to_owned()), "{bad}: {e}");
    }
    let (st, e) = app.post("/v1/directory/services", MASTER, &json!({"name": "x", "sector": "cash"}));
    assert_eq!((st, field(&e)), (400, "organization".to_owned()), "{e}");
    // Closing keeps it.
    let (st, d) = app.req("DELETE", &format!("/v1/directory/services/{id}"), Some(&unrwa), None);
    assert_eq!(st, 403, "{d}");
    let (st, d) = app.req("DELETE", &format!("/v1/directory/services/{id}"), Some(&wfp), None);
    assert_eq!(st, 200, "{d}");
    assert_eq!(d["service"]["status"], "closed");
    let (_, l) = app.get("/v1/directory/services?status=closed", &unrwa);
    assert_eq!(l["services"][0]["id"], json!(id));
    let (st, _) = app.req("DELETE", "/v1/directory/services/no-such-id", Some(&wfp), None);
    assert_eq!(st, 404);
    // Everyone reads the organisations, each with its services.
    let (st, orgs) = app.get("/v1/directory/organizations", &unrwa);
    assert_eq!(st, 200, "{orgs}");
    let list = orgs["organizations"].as_array().cloned().unwrap_or_default();
    let wfp_org = list.iter().find(|o| o["code"] == "WFP").cloned().unwrap_or_default();
    assert_eq!(wfp_org["name_ar"], "برنامج الأغذية العالمي");
    assert_eq!(wfp_org["services"].as_array().map(Vec::len), Some(1));
    let mosd = list.iter().find(|o| o["code"] == "MOSD").cloned().unwrap_or_default();
    assert_eq!(mosd["kind"], Value::Null, "not described yet: {orgs}");
}

fn three_w_answers_in_json_csv_and_hxl(b: Backend) {
    let app = TestApp::start(b);
    let wfp = app.agency("WFP", "submitter");
    let unrwa = app.agency("UNRWA", "submitter");
    for h in 0..5 {
        let (st, a) = app.post("/v1/records", &wfp, &rec(&format!("w-{h}"), h, "cash", "Yatta"));
        assert_eq!(st, 201, "{a}");
    }
    let (st, a) = app.post("/v1/records", &unrwa, &rec("u-0", 0, "food", "Yatta"));
    assert_eq!(st, 201, "{a}");
    let (st, _) = req(
        &app,
        "PUT",
        "/v1/directory/organizations/WFP",
        &wfp,
        &json!({"name_ar": "برنامج الأغذية العالمي", "name_en": "World Food Programme", "kind": "un_agency"}),
    );
    assert_eq!(st, 200);
    let (st, s) = app.post(
        "/v1/directory/services",
        &wfp,
        &json!({"name": "Winter cash", "sector": "cash", "areas": ["Yatta", "PS-GZA"], "period_start": "2026-01-01"}),
    );
    assert_eq!(st, 201, "{s}");

    let (st, w) = app.get("/v1/directory/3w?from=2026-01-01&to=2026-12-31", MASTER);
    assert_eq!(st, 200, "{w}");
    let rows = w["rows"].as_array().cloned().unwrap_or_default();
    let find = |org: &str, sector: &str, adm2: Value| {
        rows.iter().find(|r| r["organization"] == org && r["sector"] == sector && r["adm2_code"] == adm2).cloned()
    };
    let yatta = find("WFP", "cash", json!("PS-HBN-YATTA")).unwrap_or_default();
    assert_eq!(yatta["households_reached"], 5, "{w}");
    assert_eq!(yatta["services"], json!(["Winter cash"]));
    assert_eq!(yatta["adm1_code"], "PS-HBN");
    assert_eq!(yatta["adm2_name"], "يطا");
    assert_eq!(yatta["organization_kind"], "un_agency");
    let gaza =
        rows.iter().find(|r| r["organization"] == "WFP" && r["adm1_code"] == "PS-GZA").cloned().unwrap_or_default();
    assert_eq!((gaza["households_reached"].clone(), gaza["adm2_code"].clone()), (json!(0), Value::Null), "{w}");
    assert_eq!(find("UNRWA", "food", json!("PS-HBN-YATTA")).map(|r| r["households_reached"].clone()), Some(json!(1)));
    // Another key sees the single household suppressed.
    let (_, w2) = app.get("/v1/directory/3w", &unrwa);
    let small = w2["rows"].as_array().and_then(|r| r.iter().find(|r| r["organization"] == "UNRWA").cloned());
    assert_eq!(
        small.map(|r| (r["households_reached"].clone(), r["suppressed"].clone())),
        Some((Value::Null, json!(true)))
    );
    // Out of the window: no records, the open-ended service stays.
    let (_, later) = app.get("/v1/directory/3w?from=2027-01-01", MASTER);
    assert!(later["rows"].as_array().is_some_and(|r| r.iter().all(|r| r["households_reached"] == 0)), "{later}");

    // CSV and HXL, parsed back.
    for (format, tagged) in [("csv", false), ("hxl", true)] {
        let (st, text) = app.get(&format!("/v1/directory/3w?format={format}&sector=cash"), MASTER);
        assert_eq!(st, 200, "{text}");
        let text = text.as_str().unwrap_or_default().to_owned();
        let mut reader = csv::ReaderBuilder::new().has_headers(false).from_reader(text.as_bytes());
        let lines: Vec<Vec<String>> =
            reader.records().filter_map(Result::ok).map(|r| r.iter().map(str::to_owned).collect()).collect();
        let headers = lines.first().cloned().unwrap_or_default();
        let col = |name: &str| headers.iter().position(|h| h == name).unwrap_or(usize::MAX);
        let data = if tagged {
            let tags = lines.get(1).cloned().unwrap_or_default();
            for (h, t) in [
                ("organization_name", "#org+name"),
                ("organization", "#org+code"),
                ("organization_kind", "#org+type"),
                ("sector", "#sector"),
                ("adm1_code", "#adm1+code"),
                ("adm1_name", "#adm1+name"),
                ("adm2_code", "#adm2+code"),
                ("adm2_name", "#adm2+name"),
                ("period_start", "#date+start"),
                ("period_end", "#date+end"),
                ("households_reached", "#reached+hh"),
            ] {
                assert_eq!(tags.get(col(h)).map(String::as_str), Some(t), "{h}: {text}");
            }
            &lines[2..]
        } else {
            assert!(lines.get(1).is_some_and(|l| !l[0].starts_with('#')), "{text}");
            &lines[1..]
        };
        let yatta = data.iter().find(|l| l.get(col("adm2_code")).map(String::as_str) == Some("PS-HBN-YATTA"));
        let yatta = yatta.cloned().unwrap_or_default();
        assert_eq!(yatta.get(col("households_reached")).map(String::as_str), Some("5"), "{text}");
        assert_eq!(yatta.get(col("organization")).map(String::as_str), Some("WFP"), "{text}");
        assert!(data.iter().all(|l| l.get(col("sector")).map(String::as_str) == Some("cash")), "{text}");
    }
    let (st, e) = app.get("/v1/directory/3w?format=xml", MASTER);
    assert_eq!((st, field(&e)), (400, "format".to_owned()), "{e}");
    let (st, e) = app.get("/v1/directory/3w?from=soon", MASTER);
    assert_eq!((st, field(&e)), (400, "from".to_owned()), "{e}");
}

/// Signing in with no page asked lands each role on a page it may open: a coordinator (and the
/// admin) on the map, a caseworker on the search; `/` sends a signed-in user there too.
fn who_signs_in_without_a_page_lands_on_their_own(b: Backend) {
    use crate::pages::Client;
    let app = TestApp::start(b);
    let coordinator = app.agency("MOSD", "coordinator");
    let caseworker = app.agency("MOSD", "caseworker");
    let mut anon = Client::new(&app);
    let form = anon.get("/ui/login");
    assert!(form.body.contains("name=\"next\" value=\"\""), "no page asked, none carried: {}", form.body);
    for (key, want) in [(&coordinator, "/ui/map"), (&caseworker, "/ui/search"), (&MASTER.to_owned(), "/ui/map")] {
        let mut c = Client::new(&app);
        let p = c.sign_in(key, "");
        assert_eq!((p.status, p.location.as_deref()), (303, Some(want)), "{}", p.body);
        assert_eq!(c.get(want).status, 200, "{want} opens");
        let home = c.get("/");
        assert_eq!((home.status, home.location.as_deref()), (303, Some(want)));
        // A page asked for is still where sign-in leads.
        let mut asked = Client::new(&app);
        assert_eq!(asked.sign_in(key, "/ui/3w").location.as_deref(), Some("/ui/3w"));
    }
}

/// A national 3W has tens of thousands of rows: the page draws the first few hundred and says
/// how many there are, and the download still holds every row.
fn the_3w_page_draws_a_bounded_table(b: Backend) {
    use crate::pages::Client;
    let app = TestApp::start(b);
    let key = app.agency("WFP", "submitter");
    let coordinator = app.agency("MOSD", "coordinator");
    let (s, places) = app.get("/v1/places?kind=locality", &key);
    assert_eq!(s, 200, "{places}");
    let places = places["places"].as_array().expect("places");
    // One 3W row per organisation, sector and locality: 2 sectors × 300 localities.
    let localities: Vec<(&str, &str)> =
        places.iter().filter_map(|p| Some((p["name_ar"].as_str()?, p["parent"].as_str()?))).take(300).collect();
    assert_eq!(localities.len(), 300, "the gazetteer has 300 localities");
    let records: Vec<Value> = localities
        .iter()
        .enumerate()
        .flat_map(|(i, (name, parent))| {
            ["cash", "food"].into_iter().map(move |aid| {
                let mut r = rec(&format!("w3-{aid}-{i}"), i % HEADS.len(), aid, name);
                r["location"]["governorate"] = json!(parent);
                r
            })
        })
        .collect();
    let (s, out) = app.post("/v1/records/batch", &key, &json!({"records": records}));
    assert_eq!(s, 200, "{out}");
    let (s, all) = app.get("/v1/directory/3w", &coordinator);
    assert_eq!(s, 200, "{all}");
    let total = all["rows"].as_array().expect("rows").len();
    assert!(total >= 600, "a row per sector and locality: {total}");
    let mut c = Client::signed_in(&app, &coordinator);
    let page = c.get("/ui/3w");
    assert_eq!(page.status, 200, "{}", page.body);
    let drawn = page.body.matches("<tr>").count() - 1; // less the header row
    assert_eq!(drawn, 500, "the page draws the first 500 rows");
    assert!(page.body.contains("id=\"w3-shown\""), "and says so");
    assert!(page.body.contains(&format!("{total}")), "naming how many there are");
    let csv = c.get("/ui/3w.csv?format=csv");
    assert_eq!(csv.status, 200);
    assert_eq!(csv.body.lines().count(), total + 1, "the download holds every row");
    // Narrowed to one governorate, the table is whole and says nothing of a cut.
    let one = c.get("/ui/3w?governorate=PS-HBN");
    assert!(!one.body.contains("id=\"w3-shown\""), "a narrowed 3W is drawn whole");
}

mod chromium {
    //! The planning pages end to end in headless Chromium: the map draws the 16 governorates,
    //! recolours when the measure changes and leads to a governorate's localities; the coverage
    //! page shows suppressed cells and takes a coordinator's needs; the 3W lists who does what
    //! where; the directory page edits an agency's own service. Screenshots in Arabic and
    //! English go to `BAWABA_SCREENSHOTS` (a temp dir when unset).

    use std::time::Duration;

    use headless_chrome::Tab;
    use serde_json::json;

    use super::rec;
    use crate::support::chromium::{click_and_wait, go, launch, shot, shots_dir, text};
    use crate::support::{Backend, TestApp};

    fn eval(tab: &Tab, js: &str) -> String {
        tab.evaluate(js, false)
            .ok()
            .and_then(|r| r.value)
            .map(|v| v.as_str().map(str::to_owned).unwrap_or_else(|| v.to_string()))
            .unwrap_or_default()
    }

    fn sign_in(tab: &Tab, base: &str, key: &str, next: &str) {
        go(tab, &format!("{base}/ui/login?next={next}"));
        tab.wait_for_element("#key").expect("the sign-in form").click().expect("focus");
        tab.send_character(key).expect("type the key");
        click_and_wait(tab, "form[action='/ui/login'] button[type=submit]");
    }

    /// What sticks out of the window sideways (nothing should: pages scroll down, not across).
    fn overflow(tab: &Tab) -> String {
        eval(
            tab,
            "Array.from(document.querySelectorAll('body *')).filter(e => { const r = e.getBoundingClientRect(); \
             return r.width > 0 && (r.left < -1 || r.right > document.documentElement.clientWidth + 1) \
             && !e.closest('.table-wrap'); }).slice(0, 5).map(e => e.tagName + '.' + e.className + ' ' + \
             Math.round(e.getBoundingClientRect().left) + '..' + Math.round(e.getBoundingClientRect().right)).join('; ')",
        )
    }

    fn fills(tab: &Tab) -> String {
        eval(
            tab,
            "Array.from(document.querySelectorAll('path.gov')).map(p => p.id + '=' + p.getAttribute('fill')).join('|')",
        )
    }

    #[test]
    #[cfg_attr(not(chromium_tests), ignore = "Chromium is not installed at /usr/bin/chromium (.ci/run installs it)")]
    fn map_coverage_3w_and_directory_in_chromium() {
        let app = TestApp::start(Backend::Sqlite);
        let wfp = app.agency("WFP", "submitter");
        let unrwa = app.agency("UNRWA", "submitter");
        let coordinator = app.agency("MOSD", "coordinator");
        let post = |key: &str, body: serde_json::Value| {
            let (st, a) = app.post("/v1/records", key, &body);
            assert_eq!(st, 201, "{a}");
        };
        // Hebron: 10 households in Yatta by WFP; North Gaza: 5 by WFP and 5 by UNRWA in Jabalia;
        // Khan Younis: 2 by WFP (suppressed for the coordinator).
        let firsts = ["خليل", "سامي", "ناصر", "عمر", "هاني", "رامي", "طارق", "يوسف", "محمود", "سعيد", "جميل"];
        let families = ["النجار", "الاغا", "العطار", "الفرا", "الزعانين", "البرغوثي", "التميمي"];
        let names = |i: usize| format!("{} {} {}", firsts[i % 11], firsts[(i * 3 + 1) % 11], families[i % 7]);
        for i in 0..22 {
            let (key, gov, loc) = match i {
                0..10 => (&wfp, "Hebron", "Yatta"),
                10..15 => (&wfp, "North Gaza", "Jabalia"),
                15..20 => (&unrwa, "North Gaza", "Jabalia"),
                _ => (&wfp, "Khan Younis", "Bani Suheila"),
            };
            let mut body = rec(&format!("r-{i}"), 0, "cash", loc);
            body["location"] = json!({"governorate": gov, "locality": loc});
            body["members"][0]["name"] = json!(names(i));
            body["members"][0]["date_of_birth"] = json!(format!("{}-0{}-1{}", 1950 + i, 1 + i % 9, i % 10));
            post(key, body);
        }
        let (st, s) = app.post(
            "/v1/directory/services",
            &wfp,
            &json!({"name": "Winter cash", "sector": "cash", "areas": ["Yatta"], "capacity_households": 100}),
        );
        assert_eq!(st, 201, "{s}");
        let service = s["service"]["id"].as_str().unwrap_or_default().to_owned();

        let shots = shots_dir();
        let profile = tempfile::tempdir().expect("profile");
        let browser = launch(profile.path());
        let tab = browser.new_tab().expect("tab");
        tab.set_default_timeout(Duration::from_secs(20));
        let base = &app.base.replace("127.0.0.1", "localhost");

        // The map, as the coordinator, in Arabic.
        sign_in(&tab, base, &coordinator, "/ui/map");
        assert!(tab.get_url().contains("/ui/map"), "{}: {}", tab.get_url(), text(&tab));
        assert_eq!(eval(&tab, "String(document.querySelectorAll('#map path.gov').length)"), "16", "16 governorates");
        assert!(text(&tab).contains("geoBoundaries"), "the attribution is under the map");
        let reached = fills(&tab);
        assert!(reached.contains("gov-PS-KYS=url(#hatch)"), "Khan Younis suppressed: {reached}");
        shot(&tab, &shots, "map-reached-ar");
        // Another measure recolours it.
        eval(&tab, "document.getElementById('measure').value = 'agencies'; 'ok'");
        click_and_wait(&tab, "#show");
        assert_eq!(eval(&tab, "document.getElementById('map').dataset.measure"), "agencies");
        let agencies = fills(&tab);
        assert_ne!(reached, agencies, "recoloured");
        let fill_of = |all: &str, code: &str| {
            all.split('|').find_map(|p| p.strip_prefix(&format!("gov-{code}="))).unwrap_or_default().to_owned()
        };
        assert_ne!(fill_of(&agencies, "PS-HBN"), fill_of(&agencies, "PS-NGZ"), "one agency against two: {agencies}");
        shot(&tab, &shots, "map-agencies-ar");
        // A governorate leads to its localities.
        click_and_wait(&tab, "#gov-PS-HBN");
        assert!(tab.get_url().contains("governorate=PS-HBN"), "{}", tab.get_url());
        assert!(tab.wait_for_element("#localities").is_ok(), "the localities table");
        let t = text(&tab);
        assert!(t.contains("يطا"), "{t}");
        shot(&tab, &shots, "map-hebron-ar");
        click_and_wait(&tab, "header .who a.lang");
        assert!(text(&tab).contains("Yatta"), "{}", text(&tab));
        assert_eq!(overflow(&tab), "", "nothing sticks out sideways");
        shot(&tab, &shots, "map-hebron-en");

        // Coverage: the suppressed cells are visible as such; the coordinator enters needs.
        go(&tab, &format!("{base}/ui/coverage?governorate=PS-KYS&lang=en"));
        assert!(tab.wait_for_element("#coverage").is_ok());
        assert_eq!(
            eval(&tab, "String(document.querySelectorAll('#coverage td.reached span.suppressed').length > 0)"),
            "true"
        );
        assert!(text(&tab).contains("< 5"));
        shot(&tab, &shots, "coverage-en");
        eval(
            &tab,
            "document.getElementById('needs-csv').value = \
            'area,sector,group,period_start,period_end,households_in_need,households_targeted,source\\n\
             Dura,cash,,2026-01-01,2026-03-31,120,80,survey\\n\
             يطا,cash,elderly,2026-01-01,2026-03-31,40,30,survey\\n'; 'ok'",
        );
        click_and_wait(&tab, "#needs button[type=submit]");
        assert!(tab.get_url().contains("done=2"), "{}: {}", tab.get_url(), text(&tab));
        let (_, needs) = app.get("/v1/needs", &coordinator);
        assert_eq!(needs["needs"].as_array().map(Vec::len), Some(2), "{needs}");
        go(&tab, &format!("{base}/ui/coverage?governorate=PS-HBN&lang=ar"));
        let t = text(&tab);
        assert!(t.contains("احتياج بلا خدمة"), "Dura has need and no service: {t}");
        assert_eq!(overflow(&tab), "", "nothing sticks out sideways");
        shot(&tab, &shots, "coverage-ar");
        // A bad line is named, and nothing is saved.
        eval(
            &tab,
            "document.getElementById('needs-csv').value = \
            'area,sector,period_start,period_end,households_in_need\\nAtlantis,cash,2026-01-01,2026-03-31,5\\n'; 'ok'",
        );
        click_and_wait(&tab, "#needs button[type=submit]");
        assert!(text(&tab).contains("line 2: area"), "{}", text(&tab));

        // Who does what where.
        go(&tab, &format!("{base}/ui/3w?lang=ar"));
        assert!(tab.wait_for_element("#w3").is_ok());
        assert!(text(&tab).contains("Winter cash"));
        assert_eq!(overflow(&tab), "", "nothing sticks out sideways");
        shot(&tab, &shots, "3w-ar");
        go(&tab, &format!("{base}/ui/3w?lang=en"));
        shot(&tab, &shots, "3w-en");

        // The directory: WFP edits its own service.
        click_and_wait(&tab, "header form[action='/ui/logout'] button");
        sign_in(&tab, base, &wfp, "/ui/directory");
        assert!(tab.get_url().contains("/ui/directory"), "{}: {}", tab.get_url(), text(&tab));
        shot(&tab, &shots, "directory-en");
        let form = format!("#service-{service}");
        eval(&tab, &format!("document.querySelector('{form} input[name=capacity_households]').value = '1234'; 'ok'"));
        click_and_wait(&tab, &format!("{form} button[type=submit]"));
        assert!(tab.get_url().contains("done="), "{}: {}", tab.get_url(), text(&tab));
        let (_, list) = app.get("/v1/directory/services?organization=WFP", &unrwa);
        assert_eq!(list["services"][0]["capacity_households"], 1234, "{list}");
        go(&tab, &format!("{base}/ui/directory?lang=ar"));
        assert_eq!(overflow(&tab), "", "nothing sticks out sideways");
        shot(&tab, &shots, "directory-ar");
        // UNRWA's page offers no form for WFP's service.
        click_and_wait(&tab, "header form[action='/ui/logout'] button");
        sign_in(&tab, base, &unrwa, "/ui/directory");
        assert_eq!(eval(&tab, &format!("String(document.querySelector('{form}') === null)")), "true");
    }
}
