//! Issue 15, the review desk and the family as one, over HTTP on SQLite and PostgreSQL: persons
//! once per household, a flag side by side with a waterfall that adds up to its score, review
//! batches with a dry run and one audit record, undo (and 409 when a later merge depends on
//! it), and the queue in priority order.

use serde_json::{Value, json};

use crate::both_backends;
use crate::support::{Backend, MASTER, TestApp, record};

both_backends!(
    household_shows_each_person_once,
    flag_detail_pairs_members_and_its_waterfall_adds_up,
    bulk_dismiss_dry_run_changes_nothing_and_undo_restores,
    undo_of_a_merge_a_later_merge_depends_on_is_409,
    queue_sorted_by_priority,
    desk_bad_input_is_refused,
    spot_check_answers_move_the_quality_estimate,
);

/// A known household (full name, ID, birth date, in Hebron) and a vague one (first and family
/// name only, in Bethlehem) that may be it: not enough to join, enough to ask a person.
pub(crate) fn family(
    app: &TestApp,
    known_by: &str,
    vague_by: &str,
    ext: &str,
    parts: [&str; 4],
    id: &str,
) -> (Value, Value, Value) {
    let [first, father, grandfather, last] = parts;
    let known = json!({"external_id": format!("k-{ext}"), "assistance": {"type": "cash", "amount": 300.0, "currency": "ILS", "period_start": "2026-01-01", "period_end": "2026-03-31"},
        "location": {"governorate": "الخليل"},
        "members": [{"role": "head", "name": format!("{first} {father} {grandfather} {last}"), "national_id": id, "date_of_birth": "1970-01-01", "sex": "M"}]});
    let (s, k) = app.post("/v1/records", known_by, &known);
    assert_eq!(s, 201, "{k}");
    let vague = json!({"external_id": format!("v-{ext}"), "assistance": {"type": "cash", "amount": 200.0, "currency": "ILS", "period_start": "2026-02-01", "period_end": "2026-02-28"},
        "location": {"governorate": "بيت لحم"},
        "members": [{"role": "head", "name": format!("{first} {last}")}]});
    let (s, v) = app.post("/v1/records", vague_by, &vague);
    assert_eq!(s, 201, "{v}");
    assert_ne!(v["household_id"], k["household_id"], "a vague match must not join: {v}");
    let flag = v["flags"]
        .as_array()
        .expect("flags")
        .iter()
        .find(|f| f["kind"] == "possible_same_household")
        .cloned()
        .unwrap_or_else(|| panic!("a possible_same_household flag: {v}"));
    (k, v, flag)
}

fn id(v: &Value, k: &str) -> String {
    v[k].as_str().unwrap_or_else(|| panic!("{k} in {v}")).to_owned()
}

fn status_of(app: &TestApp, key: &str, flag: &str) -> String {
    let (s, d) = app.get(&format!("/v1/flags/{flag}"), key);
    assert_eq!(s, 200, "{d}");
    id(&d["flag"], "status")
}

fn household_shows_each_person_once(b: Backend) {
    let app = TestApp::start(b);
    let wfp = app.agency("WFP", "submitter");
    let unrwa = app.agency("UNRWA", "submitter");
    let cw = app.agency("MOSD", "caseworker");
    let (s, first) = app.post("/v1/records", &wfp, &record("w-1"));
    assert_eq!(s, 201, "{first}");
    // The same family from another agency: the head by the same ID, the wife spelt otherwise,
    // and a child the first agency does not know.
    let mut again = record("u-1");
    again["members"][1]["name"] = json!("فاطمه علي حسن الشاعر");
    again["members"][0]["phone"] = json!("0599765432");
    again["members"]
        .as_array_mut()
        .expect("members")
        .push(json!({"role": "child", "name": "احمد محمد احمد الشاعر", "date_of_birth": "2010-03-04", "sex": "M"}));
    let (s, second) = app.post("/v1/records", &unrwa, &again);
    assert_eq!(s, 201, "{second}");
    assert_eq!(second["household_id"], first["household_id"], "{second}");
    let hid = id(&first, "household_id");
    let (s, view) = app.get(&format!("/v1/households/{hid}"), &cw);
    assert_eq!(s, 200, "{view}");
    assert_eq!(view["members"].as_array().map(Vec::len), Some(5), "{view}");
    let persons = view["persons"].as_array().expect("persons");
    assert_eq!(persons.len(), 3, "head, wife and child once each: {view}");
    let head = persons.iter().find(|p| p["roles"][0] == "head").expect("the head");
    assert_eq!(head["national_ids"].as_array().map(Vec::len), Some(2), "each agency's ID: {head}");
    let mut agencies: Vec<&str> =
        head["agencies"].as_array().expect("agencies").iter().filter_map(Value::as_str).collect();
    agencies.sort_unstable();
    assert_eq!(agencies, ["UNRWA", "WFP"], "{head}");
    assert_eq!(head["phones"].as_array().map(Vec::len), Some(2), "who said which phone: {head}");
    let wife = persons.iter().find(|p| p["sex"] == "F").expect("the wife");
    let spellings: Vec<&str> =
        wife["names"].as_array().expect("names").iter().filter_map(|n| n["name"].as_str()).collect();
    assert!(spellings.contains(&"فاطمة علي حسن الشاعر") && spellings.contains(&"فاطمه علي حسن الشاعر"), "{wife}");
    assert_eq!(wife["member_rows"].as_array().map(Vec::len), Some(2), "{wife}");
    // A submitter sees only its own rows, so its persons say nothing the other agency said.
    let (s, own) = app.get(&format!("/v1/households/{hid}"), &wfp);
    assert_eq!(s, 200, "{own}");
    let persons = own["persons"].as_array().expect("persons");
    assert_eq!(persons.len(), 2, "{own}");
    assert!(persons.iter().all(|p| p["agencies"] == json!(["WFP"])), "{own}");
    assert!(!own.to_string().contains("0599765432"), "the other agency's phone: {own}");
}

fn flag_detail_pairs_members_and_its_waterfall_adds_up(b: Backend) {
    let app = TestApp::start(b);
    let a = app.agency("UNRWA", "submitter");
    let c = app.agency("ZAKAT", "submitter");
    let cw = app.agency("MOSD", "caseworker");
    app.agency("AUD", "auditor");
    let (_, v, flag) = family(&app, &a, &c, "1", ["خليل", "ابراهيم", "يوسف", "العمايرة"], "852741963");
    let fid = id(&flag, "flag_id");
    let before = app.db.count("audit_events");
    let (s, d) = app.get(&format!("/v1/flags/{fid}"), &cw);
    assert_eq!(s, 200, "{d}");
    assert_eq!(app.db.count("audit_events"), before + 1, "the look is audited");
    assert_eq!(d["flag"]["flag_id"], fid);
    assert_eq!(d["flag"]["household_id"], v["household_id"]);
    let comparison = d["comparison"].as_array().expect("comparison");
    assert!(!comparison.is_empty(), "{d}");
    assert!(comparison.iter().all(|r| r["field"].as_str().is_some_and(|f| f.starts_with("members[0]"))), "{d}");
    let family_name = comparison.iter().find(|r| r["field"] == "members[0].name.family").expect("family name row");
    assert_eq!(family_name["agrees"], true, "{family_name}");
    let dob = comparison.iter().find(|r| r["field"] == "members[0].date_of_birth").expect("birth date row");
    assert_eq!(dob["agrees"], Value::Null, "one side does not say: {dob}");
    // The waterfall: the prior first, the total last, the steps adding up to it exactly.
    let steps = d["waterfall"].as_array().expect("waterfall");
    assert_eq!(steps[0]["step"], "prior", "{d}");
    let total = steps.last().expect("total");
    assert_eq!(total["step"], "total");
    assert_eq!(total["probability"], flag["score"], "{d}");
    let sum: f64 = steps[..steps.len() - 1].iter().map(|s| s["weight"].as_f64().expect("weight")).sum();
    let t = total["weight"].as_f64().expect("total weight");
    assert!((sum - t).abs() < 1e-9, "steps add up to {sum}, total {t}: {d}");
    let p = flag["score"].as_f64().expect("score");
    assert!((t - (p / (1.0 - p)).log2()).abs() < 1e-3, "the total is the score's log2 odds: {t} {p}");
    assert!(steps.iter().any(|s| s["step"] == "members[0].name.family" && s["tf_adjustment"].is_number()), "{d}");
    // Who may not: a submitter is refused, a caseworker whose scope lacks the household does
    // not find it, and an unknown flag is not there.
    assert_eq!(app.get(&format!("/v1/flags/{fid}"), &a).0, 403);
    let (s, k) = app.post(
        "/v1/keys",
        MASTER,
        &json!({"agency": "MOSD", "role": "caseworker", "label": "gaza", "scope": {"governorates": ["PS-KYS"]}}),
    );
    assert_eq!(s, 201, "{k}");
    let (s, e) = app.get(&format!("/v1/flags/{fid}"), &id(&k, "api_key"));
    assert_eq!(s, 404, "{e}");
    assert_eq!(app.get("/v1/flags/no-such-flag", &cw).0, 404);
}

fn bulk_dismiss_dry_run_changes_nothing_and_undo_restores(b: Backend) {
    let app = TestApp::start(b);
    let a = app.agency("UNRWA", "submitter");
    let c = app.agency("ZAKAT", "submitter");
    let cw = app.agency("MOSD", "caseworker");
    let (_, _, f1) = family(&app, &a, &c, "1", ["خليل", "ابراهيم", "يوسف", "العمايرة"], "852741963");
    let (_, _, f2) = family(&app, &a, &c, "2", ["سمير", "احمد", "محمود", "الجعبري"], "903456782");
    let (_, _, f3) = family(&app, &a, &c, "3", ["ناصر", "علي", "حسن", "التميمي"], "914567893");
    let flags: Vec<String> = [&f1, &f2, &f3].iter().map(|f| id(f, "flag_id")).collect();
    let body = |dry: bool| json!({"flags": flags, "decision": "dismiss", "note": "different families", "dry_run": dry});
    let counts =
        |app: &TestApp| ["reviews", "dismissed_pairs", "review_batches", "audit_events"].map(|t| app.db.count(t));
    let before = counts(&app);
    // A dry run says what would change and changes nothing.
    let (s, dry) = app.post("/v1/flags/review", &cw, &body(true));
    assert_eq!(s, 200, "{dry}");
    assert_eq!(dry["dry_run"], true);
    assert!(dry.get("batch_id").is_none(), "{dry}");
    let changes = dry["changes"].as_array().expect("changes");
    assert_eq!(changes.len(), 3, "{dry}");
    assert!(changes.iter().all(|c| c["status_before"] == "open" && c["status_after"] == "dismissed"), "{dry}");
    assert!(changes.iter().all(|c| c["kept_apart"].as_array().map(Vec::len) == Some(2)), "{dry}");
    assert_eq!(counts(&app), before, "a dry run writes nothing");
    for f in &flags {
        assert_eq!(status_of(&app, &cw, f), "open");
    }
    // Without it, every listed flag changes, as one batch audited once.
    let before = counts(&app);
    let (s, done) = app.post("/v1/flags/review", &cw, &body(false));
    assert_eq!(s, 200, "{done}");
    let batch = id(&done, "batch_id");
    assert_eq!(done["changes"], dry["changes"], "the dry run said what happened");
    let after = counts(&app);
    assert_eq!(after[0], before[0] + 3, "a review row per flag");
    assert_eq!(after[1], before[1] + 3, "each pair kept apart");
    assert_eq!(after[2], before[2] + 1, "one batch");
    assert_eq!(after[3], before[3] + 1, "one audit record for the batch");
    assert_eq!(app.db.count("audit_events WHERE action = 'review.batch'"), 1);
    for f in &flags {
        assert_eq!(status_of(&app, &cw, f), "dismissed");
    }
    // Reviewing any of them again is a conflict, and nothing of the batch is done.
    let (s, e) = app.post("/v1/flags/review", &cw, &body(false));
    assert_eq!(s, 409, "{e}");
    assert_eq!(app.db.count("review_batches"), after[2]);
    // Undo: the flags are open again and the pairs may be linked again.
    let (s, undone) = app.post(&format!("/v1/reviews/{batch}/undo"), &cw, &json!({}));
    assert_eq!(s, 200, "{undone}");
    assert_eq!(undone["flags"].as_array().map(Vec::len), Some(3), "{undone}");
    for f in &flags {
        assert_eq!(status_of(&app, &cw, f), "open");
    }
    assert_eq!(app.db.count("dismissed_pairs"), before[1]);
    assert_eq!(app.db.count("audit_events WHERE action = 'review.undo'"), 1);
    // Once only.
    let (s, e) = app.post(&format!("/v1/reviews/{batch}/undo"), &cw, &json!({}));
    assert_eq!(s, 409, "{e}");
    assert_eq!(app.post("/v1/reviews/no-such-batch/undo", &cw, &json!({})).0, 404);
    // The pair can be reviewed again, and the engine matches the vague record's twin again.
    let (s, again) =
        app.post(&format!("/v1/flags/{}/review", flags[0]), &cw, &json!({"decision": "dismiss", "note": "checked"}));
    assert_eq!(s, 200, "{again}");
    assert!(again["batch_id"].is_string(), "a single review is a batch of one: {again}");
}

fn undo_of_a_merge_a_later_merge_depends_on_is_409(b: Backend) {
    let app = TestApp::start(b);
    let a = app.agency("UNRWA", "submitter");
    let c = app.agency("ZAKAT", "submitter");
    let d = app.agency("NRC", "submitter");
    let cw = app.agency("MOSD", "caseworker");
    let (k, v, flag) = family(&app, &a, &c, "1", ["خليل", "ابراهيم", "يوسف", "العمايرة"], "852741963");
    let (known, vague) = (id(&k, "household_id"), id(&v, "household_id"));
    let (s, first) = app.post(
        "/v1/flags/review",
        &cw,
        &json!({"flags": [id(&flag, "flag_id")], "decision": "confirm", "note": "same family"}),
    );
    assert_eq!(s, 200, "{first}");
    assert_eq!(first["changes"][0]["merged_into"], known.as_str());
    assert_eq!(first["changes"][0]["merged_from"], vague.as_str());
    let revealed = first["changes"][0]["new_flags"].as_array().expect("new flags").clone();
    assert_eq!(revealed.len(), 1, "the overlap the merge reveals: {first}");
    let batch1 = id(&first, "batch_id");
    // A later record that may be the merged household, confirmed: it depends on the merge.
    let nrc = json!({"external_id": "n-1", "assistance": {"type": "food", "period_start": "2026-06-01", "period_end": "2026-06-30"},
        "location": {"governorate": "بيت لحم"},
        "members": [{"role": "head", "name": "خليل العمايرة", "phone": "0599111222"}]});
    let (s, n) = app.post("/v1/records", &d, &nrc);
    assert_eq!(s, 201, "{n}");
    let flag2 = n["flags"]
        .as_array()
        .expect("flags")
        .iter()
        .find(|f| f["kind"] == "possible_same_household")
        .cloned()
        .unwrap_or_else(|| panic!("flag: {n}"));
    assert_eq!(flag2["matched_household_id"], known.as_str());
    let (s, second) = app.post(
        &format!("/v1/flags/{}/review", id(&flag2, "flag_id")),
        &cw,
        &json!({"decision": "confirm", "note": "same man"}),
    );
    assert_eq!(s, 200, "{second}");
    let batch2 = id(&second, "batch_id");
    let (s, e) = app.post(&format!("/v1/reviews/{batch1}/undo"), &cw, &json!({}));
    assert_eq!(s, 409, "{e}");
    assert!(e["error"]["message"].as_str().is_some_and(|m| m.contains(&batch2)), "names the batch that depends: {e}");
    assert_eq!(status_of(&app, &cw, &id(&flag, "flag_id")), "confirmed", "nothing undone");
    // Undo the later one, then the first: the households are apart again.
    let (s, u2) = app.post(&format!("/v1/reviews/{batch2}/undo"), &cw, &json!({}));
    assert_eq!(s, 200, "{u2}");
    assert_eq!(u2["flags"][0]["split_out"], n["household_id"]);
    let (s, u1) = app.post(&format!("/v1/reviews/{batch1}/undo"), &cw, &json!({}));
    assert_eq!(s, 200, "{u1}");
    assert_eq!(u1["flags"][0]["split_out"], vague.as_str());
    assert_eq!(u1["flags"][0]["superseded"], json!(revealed));
    let (s, hv) = app.get(&format!("/v1/households/{vague}"), &cw);
    assert_eq!(s, 200, "{hv}");
    assert_eq!(hv["household_id"], vague.as_str(), "its own household again: {hv}");
    assert!(hv.get("merged_from").is_none(), "{hv}");
    assert_eq!(hv["aid_history"].as_array().map(Vec::len), Some(1), "{hv}");
    let (_, hk) = app.get(&format!("/v1/households/{known}"), &cw);
    assert_eq!(hk["aid_history"].as_array().map(Vec::len), Some(1), "{hk}");
    assert_eq!(status_of(&app, &cw, &id(&flag, "flag_id")), "open");
    assert_eq!(status_of(&app, &cw, revealed[0].as_str().expect("id")), "superseded");
    // The engine split them too: the vague record's twin, posted again, is asked about, not joined.
    let again = json!({"external_id": "z-2", "assistance": {"type": "cash", "amount": 200.0, "currency": "ILS", "period_start": "2026-09-01", "period_end": "2026-09-30"},
        "location": {"governorate": "بيت لحم"},
        "members": [{"role": "head", "name": "خليل العمايرة"}]});
    let (s, z) = app.post("/v1/records", &c, &again);
    assert_eq!(s, 201, "{z}");
    assert_ne!(z["household_id"], known.as_str(), "{z}");
}

fn queue_sorted_by_priority(b: Backend) {
    let app = TestApp::start(b);
    let wfp = app.agency("WFP", "submitter");
    let unrwa = app.agency("UNRWA", "submitter");
    let c = app.agency("ZAKAT", "submitter");
    let cw = app.agency("MOSD", "caseworker");
    // First a certain overlap (the same family from two agencies), then an uncertain household.
    assert_eq!(app.post("/v1/records", &wfp, &record("w-1")).0, 201);
    let (s, o) = app.post("/v1/records", &unrwa, &record("u-1"));
    assert_eq!(s, 201, "{o}");
    assert!(!o["flags"].as_array().expect("flags").is_empty(), "{o}");
    let (_, _, uncertain) = family(&app, &wfp, &c, "1", ["خليل", "ابراهيم", "يوسف", "العمايرة"], "852741963");
    let (s, oldest) = app.get("/v1/flags?status=open", &cw);
    assert_eq!(s, 200, "{oldest}");
    let n = oldest["flags"].as_array().map(Vec::len).expect("flags");
    assert!(n >= 2, "{oldest}");
    assert_ne!(oldest["flags"][0]["flag_id"], uncertain["flag_id"], "oldest first by default");
    let (s, first) = app.get("/v1/flags?status=open&sort=priority&limit=1", &cw);
    assert_eq!(s, 200, "{first}");
    // The uncertain household (and the aid it may overlap, flagged at its score) first; the
    // certain overlap last.
    assert_eq!(first["flags"][0]["band"], "possible", "the uncertain first: {first}");
    assert_eq!(first["flags"][0]["score"], uncertain["score"], "{first}");
    // Paging in priority order reaches every flag once.
    let mut seen = vec![id(&first["flags"][0], "flag_id")];
    let mut cursor = first["next_cursor"].as_str().map(str::to_owned);
    while let Some(cur) = cursor {
        let (s, page) = app.get(&format!("/v1/flags?status=open&sort=priority&limit=1&cursor={cur}"), &cw);
        assert_eq!(s, 200, "{page}");
        seen.extend(page["flags"].as_array().expect("flags").iter().map(|f| id(f, "flag_id")));
        cursor = page["next_cursor"].as_str().map(str::to_owned);
        assert!(seen.len() <= n, "{seen:?}");
    }
    assert_eq!(seen.len(), n);
    assert_eq!(seen.last().map(String::as_str), oldest["flags"][0]["flag_id"].as_str(), "the certain one last");
    let (s, e) = app.get("/v1/flags?sort=urgent", &cw);
    assert_eq!(s, 400, "{e}");
    assert_eq!(e["error"]["details"][0]["field"], "sort");
}

fn desk_bad_input_is_refused(b: Backend) {
    let app = TestApp::start(b);
    let a = app.agency("UNRWA", "submitter");
    let c = app.agency("ZAKAT", "submitter");
    let cw = app.agency("MOSD", "caseworker");
    let (_, _, flag) = family(&app, &a, &c, "1", ["خليل", "ابراهيم", "يوسف", "العمايرة"], "852741963");
    let fid = id(&flag, "flag_id");
    let cases = [
        (json!({"flags": [], "decision": "dismiss"}), "flags"),
        (json!({"flags": ["nope"], "decision": "dismiss"}), "flags[0]"),
        (json!({"flags": [fid, fid], "decision": "dismiss"}), "flags[1]"),
        (json!({"flags": [fid], "decision": "maybe"}), "decision"),
        (json!({"flags": [fid], "decision": "dismiss", "note": "a\u{0}b"}), "note"),
    ];
    for (body, field) in cases {
        let (s, e) = app.post("/v1/flags/review", &cw, &body);
        assert_eq!(s, 400, "{body}: {e}");
        assert!(e["error"]["details"].to_string().contains(&format!("\"{field}")), "{body}: {e}");
    }
    let (s, _) = app.post("/v1/flags/review", &a, &json!({"flags": [fid], "decision": "dismiss"}));
    assert_eq!(s, 403, "a submitter does not review");
    assert_eq!(app.db.count("review_batches"), 0);
    assert_eq!(status_of(&app, &cw, &fid), "open");
}

fn band<'a>(q: &'a Value, name: &str) -> &'a Value {
    q["bands"].as_array().expect("bands").iter().find(|b| b["band"] == name).expect(name)
}

fn spot_check_answers_move_the_quality_estimate(b: Backend) {
    let app = TestApp::start(b);
    let wfp = app.agency("WFP", "submitter");
    let unrwa = app.agency("UNRWA", "submitter");
    let zakat = app.agency("ZAKAT", "submitter");
    let cw = app.agency("MOSD", "caseworker");
    let aud = app.agency("AUD", "auditor");
    // Two automatic links: the same family from a second agency joins at intake.
    assert_eq!(app.post("/v1/records", &wfp, &record("w-1")).0, 201);
    let (s, joined) = app.post("/v1/records", &unrwa, &record("u-1"));
    assert_eq!(s, 201, "{joined}");
    let (_, _, possible) = family(&app, &wfp, &zakat, "1", ["خليل", "ابراهيم", "يوسف", "العمايرة"], "852741963");
    let em_only = estimate(&app, "0 reviewers' decisions and 0 spot checks");
    let (s, q0) = app.get("/v1/review/quality", &aud);
    assert_eq!(s, 200, "{q0}");
    assert_eq!(band(&q0, "certain")["judged"], 0);
    assert_eq!(band(&q0, "certain")["precision"], 0.5);
    // Draw: the automatic link, blind (members of both sides, no score, no band).
    let (s, drawn) = app.post("/v1/review/spot-checks", &aud, &json!({"size": 5}));
    assert_eq!(s, 200, "{drawn}");
    let checks = drawn["spot_checks"].as_array().expect("spot checks");
    assert_eq!(checks.len(), 1, "the one automatic link: {drawn}");
    let check = &checks[0];
    assert_eq!(check["record_id"], joined["record_id"]);
    assert!(!check["record_members"].as_array().expect("record members").is_empty());
    assert!(!check["household_members"].as_array().expect("household members").is_empty());
    assert!(!drawn.to_string().contains("\"score\"") && !drawn.to_string().contains("\"band\""), "blind: {drawn}");
    // Drawn once: a second draw finds nothing new; the open list holds it.
    let (_, again) = app.post("/v1/review/spot-checks", &aud, &json!({}));
    assert_eq!(again["spot_checks"].as_array().map(Vec::len), Some(0), "{again}");
    let (s, open) = app.get("/v1/review/spot-checks", &cw);
    assert_eq!(s, 200, "{open}");
    assert_eq!(open["spot_checks"].as_array().map(Vec::len), Some(1));
    // An answer moves the estimate of its band.
    let sc = id(check, "spot_check_id");
    let (s, e) = app.post(&format!("/v1/review/spot-checks/{sc}"), &aud, &json!({"answer": "maybe"}));
    assert_eq!(s, 400, "{e}");
    assert_eq!(e["error"]["details"][0]["field"], "answer");
    let (s, a) = app.post(&format!("/v1/review/spot-checks/{sc}"), &aud, &json!({"answer": "different"}));
    assert_eq!(s, 200, "{a}");
    let (_, q1) = app.get("/v1/review/quality", &aud);
    let certain = band(&q1, "certain");
    assert_eq!(certain["judged"], 1, "{q1}");
    assert_eq!(certain["spot_checked_different"], 1);
    assert_eq!(certain["precision_from_spot_checks"], 0.0);
    assert!(certain["precision"].as_f64().expect("precision") < 0.5, "{q1}");
    assert_eq!(q1["spot_checks_open"], 0);
    let (s, _) = app.post(&format!("/v1/review/spot-checks/{sc}"), &aud, &json!({"answer": "same"}));
    assert_eq!(s, 409, "answered once");
    // A reviewer's decision moves the possible band.
    let (s, _) =
        app.post(&format!("/v1/flags/{}/review", id(&possible, "flag_id")), &cw, &json!({"decision": "confirm"}));
    assert_eq!(s, 200);
    let (_, q2) = app.get("/v1/review/quality", &aud);
    assert_eq!(band(&q2, "possible")["confirmed"], 1, "{q2}");
    assert_eq!(band(&q2, "possible")["precision_from_decisions"], 1.0);
    assert!(band(&q2, "possible")["precision"].as_f64().expect("p") > 0.5);
    // `bawaba model estimate` learns m from the decision and the answered check beside EM.
    let learned = estimate(&app, "1 reviewers' decisions and 1 spot checks");
    assert_ne!(learned["m"], em_only["m"], "the labelled pairs moved m");
    // Who may: the quality for auditors (and the admin), spot checks for reviewers.
    assert_eq!(app.get("/v1/review/quality", &cw).0, 403);
    assert_eq!(app.get("/v1/review/quality", MASTER).0, 200);
    assert_eq!(app.post("/v1/review/spot-checks", &wfp, &json!({})).0, 403);
    let (s, e) = app.post("/v1/review/spot-checks", &aud, &json!({"size": 0}));
    assert_eq!(s, 400, "{e}");
    assert_eq!(e["error"]["details"][0]["field"], "size");
    assert_eq!(app.post("/v1/review/spot-checks/nope", &aud, &json!({"answer": "same"})).0, 404);
}

/// Runs `bawaba model estimate` on the test's database; checks what it says it learned from and
/// returns the model it wrote.
fn estimate(app: &TestApp, learned_from: &str) -> Value {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("model.json");
    let out = crate::operations::bawaba(&app.db.url, &["model", "estimate", "--out", path.to_str().expect("path")]);
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{said}");
    assert!(said.contains(&format!("m learned from {learned_from}")), "{said}");
    serde_json::from_str(&std::fs::read_to_string(&path).expect("model")).expect("json")
}
