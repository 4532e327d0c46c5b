//! Issue 15 end to end in headless Chromium: a reviewer clears five flags with the keyboard
//! alone on the review desk, bulk-dismisses three with a preview, undoes them, and opens a
//! household that shows each person once; screenshots in Arabic and English into
//! `BAWABA_SCREENSHOTS` (a temp dir when unset).

use std::path::PathBuf;
use std::time::Duration;

use headless_chrome::Tab;
use serde_json::json;

use crate::pages::chromium::{click_and_wait, go, launch, press_and_wait, shot, text};
use crate::support::{Backend, TestApp, record};

fn inner(tab: &Tab, selector: &str) -> String {
    tab.wait_for_element(selector).expect(selector);
    tab.evaluate(&format!("document.querySelector('{selector}').innerText"), false)
        .expect("innerText")
        .value
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// Open possible_same_household flags.
/// The page is no wider than the window (nothing overflows sideways, which in a right-to-left
/// page pushes everything off to one side).
fn fits(tab: &Tab, what: &str) {
    let get = |js: &str| tab.evaluate(js, false).ok().and_then(|r| r.value).and_then(|v| v.as_f64()).unwrap_or(-1.0);
    let (sw, cw) = (get("document.documentElement.scrollWidth"), get("document.documentElement.clientWidth"));
    let sx = get("window.scrollX");
    eprintln!("{what}: scrollWidth {sw} clientWidth {cw} scrollX {sx}");
    assert!(sw <= cw + 1.0, "{what} overflows sideways: {sw} > {cw}");
}

fn open_flags(app: &TestApp, key: &str) -> usize {
    let (s, page) = app.get("/v1/flags?status=open&kind=possible_same_household&limit=1000", key);
    assert_eq!(s, 200, "{page}");
    page["flags"].as_array().map(Vec::len).expect("flags")
}

/// A known household and a vague one that may be it, their aid in periods apart (so the flag is
/// the household question alone, and a confirmation reveals no overlap).
fn family(app: &TestApp, known_by: &str, vague_by: &str, ext: &str, parts: [&str; 4], id: &str) {
    let [first, father, grandfather, last] = parts;
    let known = json!({"external_id": format!("k-{ext}"), "assistance": {"type": "cash", "amount": 300.0, "currency": "ILS", "period_start": "2026-01-01", "period_end": "2026-03-31"},
        "location": {"governorate": "الخليل"},
        "members": [{"role": "head", "name": format!("{first} {father} {grandfather} {last}"), "national_id": id, "date_of_birth": "1970-01-01", "sex": "M"}]});
    assert_eq!(app.post("/v1/records", known_by, &known).0, 201);
    let vague = json!({"external_id": format!("v-{ext}"), "assistance": {"type": "cash", "amount": 200.0, "currency": "ILS", "period_start": "2026-06-01", "period_end": "2026-06-30"},
        "location": {"governorate": "بيت لحم"},
        "members": [{"role": "head", "name": format!("{first} {last}")}]});
    let (s, v) = app.post("/v1/records", vague_by, &vague);
    assert_eq!(s, 201, "{v}");
    assert!(v["flags"].as_array().is_some_and(|f| f.len() == 1 && f[0]["kind"] == "possible_same_household"), "{v}");
}

const FAMILIES: [([&str; 4], &str); 8] = [
    (["خليل", "ابراهيم", "يوسف", "العمايرة"], "852741963"),
    (["سمير", "احمد", "محمود", "الجعبري"], "903456782"),
    (["ناصر", "علي", "حسن", "التميمي"], "914567893"),
    (["عماد", "خالد", "سليم", "الدويك"], "925678904"),
    (["رائد", "صالح", "عيسى", "النتشة"], "936789015"),
    (["ماهر", "فايز", "نمر", "القواسمي"], "947890126"),
    (["وليد", "جميل", "راشد", "الزعتري"], "958901237"),
    (["باسم", "منير", "عادل", "الشرباتي"], "969012348"),
];

#[test]
#[cfg_attr(not(chromium_tests), ignore = "Chromium is not installed at /usr/bin/chromium (.ci/run installs it)")]
fn a_reviewer_clears_flags_by_keyboard_bulk_dismisses_undoes_and_sees_each_person_once() {
    let app = TestApp::start(Backend::Sqlite);
    let a = app.agency("UNRWA", "submitter");
    let c = app.agency("ZAKAT", "submitter");
    let wfp = app.agency("WFP", "submitter");
    let cw = app.agency("MOSD", "caseworker");
    for (i, (parts, id)) in FAMILIES.iter().enumerate() {
        family(&app, &a, &c, &i.to_string(), *parts, id);
    }
    assert_eq!(open_flags(&app, &cw), 8);

    let shots = match std::env::var_os("BAWABA_SCREENSHOTS") {
        Some(d) => PathBuf::from(d),
        None => std::env::temp_dir().join(format!("bawaba-desk-shots-{}", std::process::id())),
    };
    std::fs::create_dir_all(&shots).expect("screenshot dir");
    let profile = tempfile::tempdir().expect("profile");
    let browser = launch(profile.path());
    let tab = browser.new_tab().expect("tab");
    tab.set_default_timeout(Duration::from_secs(20));
    let base = &app.base.replace("127.0.0.1", "localhost");
    go(&tab, &format!("{base}/ui/desk"));
    tab.wait_for_element("#key").expect("key field").click().expect("focus");
    tab.send_character(&cw).expect("type key");
    click_and_wait(&tab, "form[action='/ui/login'] button[type=submit]");
    assert!(tab.get_url().contains("/ui/desk"), "{}", tab.get_url());

    // The desk: flag 1 of 8, side by side, with the keyboard legend.
    let counter = inner(&tab, "#counter");
    assert!(counter.contains('1') && counter.contains('8'), "{counter}");
    let legend = inner(&tab, "#keys");
    for k in ["C", "D", "S", "N"] {
        assert!(legend.contains(k), "{legend}");
    }
    tab.wait_for_element("table.compare").expect("side by side");
    tab.wait_for_element("figure.waterfall svg").expect("the waterfall");
    fits(&tab, "desk");
    shot(&tab, &shots, "desk-ar");
    // Skip, and back.
    press_and_wait(&tab, "s");
    assert!(tab.get_url().contains("k=2"), "{}", tab.get_url());
    press_and_wait(&tab, "p");
    assert!(tab.get_url().contains("k=1"), "{}", tab.get_url());
    // Five decisions by keyboard alone: four dismissals and a confirmation.
    for (n, k) in ["d", "d", "c", "d", "d"].iter().enumerate() {
        press_and_wait(&tab, k);
        assert_eq!(inner(&tab, "#decided").trim(), (n + 1).to_string(), "{}", text(&tab));
    }
    assert_eq!(open_flags(&app, &cw), 3, "five flags cleared");
    let counter = inner(&tab, "#counter");
    assert!(counter.contains('3'), "{counter}");
    go(&tab, &format!("{base}/ui/desk?lang=en"));
    assert!(inner(&tab, "#counter").contains("of 3"), "{}", text(&tab));
    shot(&tab, &shots, "desk-en");
    let flag_page = tab
        .evaluate("document.querySelector('section.flag').id", false)
        .expect("id")
        .value
        .and_then(|v| v.as_str().map(str::to_owned))
        .expect("flag section id");
    go(&tab, &format!("{base}/ui/flags/{}", flag_page.trim_start_matches("flag-")));
    assert!(text(&tab).contains("How the score was built"), "{}", text(&tab));
    shot(&tab, &shots, "flag-en");
    go(&tab, &format!("{base}/ui/flags/{}?lang=ar", flag_page.trim_start_matches("flag-")));
    shot(&tab, &shots, "flag-ar");

    // Bulk: check the three left, preview, dismiss, undo.
    go(&tab, &format!("{base}/ui/review?status=open&kind=possible_same_household"));
    let boxes = tab.wait_for_elements("input[name=flags]").expect("checkboxes");
    assert_eq!(boxes.len(), 3);
    for b in &boxes {
        b.click().expect("check");
    }
    shot(&tab, &shots, "review-checked-ar");
    click_and_wait(&tab, "#bulk-preview");
    let preview = inner(&tab, "#preview");
    assert!(preview.contains('3'), "{preview}");
    assert_eq!(open_flags(&app, &cw), 3, "a preview changes nothing");
    fits(&tab, "bulk preview");
    shot(&tab, &shots, "bulk-preview-ar");
    click_and_wait(&tab, "#apply");
    tab.wait_for_element("#batch-done").expect("the batch notice");
    assert_eq!(open_flags(&app, &cw), 0, "the three dismissed");
    fits(&tab, "bulk done");
    shot(&tab, &shots, "bulk-done-ar");
    click_and_wait(&tab, "#undo");
    assert_eq!(open_flags(&app, &cw), 3, "undone");
    assert!(text(&tab).contains("تم التراجع"), "{}", text(&tab));
    go(&tab, &format!("{base}/ui/review?status=open&kind=possible_same_household&lang=en"));
    shot(&tab, &shots, "review-en");

    // A family known to two agencies: each person once.
    let (s, first) = app.post("/v1/records", &wfp, &record("w-1"));
    assert_eq!(s, 201, "{first}");
    let mut again = record("u-1");
    again["members"][1]["name"] = json!("فاطمه علي حسن الشاعر");
    again["members"]
        .as_array_mut()
        .expect("members")
        .push(json!({"role": "child", "name": "احمد محمد احمد الشاعر", "date_of_birth": "2010-03-04", "sex": "M"}));
    assert_eq!(app.post("/v1/records", &a, &again).0, 201);
    let hid = first["household_id"].as_str().expect("household").to_owned();
    go(&tab, &format!("{base}/ui/households/{hid}?lang=en"));
    let persons = tab.wait_for_elements("table.persons tr.person").expect("persons");
    assert_eq!(persons.len(), 3, "{}", text(&tab));
    assert!(text(&tab).contains("each person once"), "{}", text(&tab));
    shot(&tab, &shots, "household-en");
    go(&tab, &format!("{base}/ui/households/{hid}?lang=ar"));
    shot(&tab, &shots, "household-ar");
    eprintln!("screenshots in {}", shots.display());
}

/// Two agencies post the same family: the second record joins the first's household at intake
/// (an automatic link, band certain).
fn linked(app: &TestApp, a: &str, b: &str, i: usize) {
    let (parts, id) = FAMILIES[i];
    // Periods apart, so no overlap is flagged: the link is all there is.
    let body = |ext: String, start: &str, end: &str| {
        json!({"external_id": ext, "assistance": {"type": "cash", "amount": 300.0, "currency": "ILS", "period_start": start, "period_end": end},
            "location": {"governorate": "الخليل"},
            "members": [{"role": "head", "name": parts.join(" "), "national_id": id, "date_of_birth": "1970-01-01", "sex": "M"}]})
    };
    let (s, first) = app.post("/v1/records", a, &body(format!("a-{i}"), "2026-01-01", "2026-03-31"));
    assert_eq!(s, 201, "{first}");
    let (s, v) = app.post("/v1/records", b, &body(format!("b-{i}"), "2026-06-01", "2026-06-30"));
    assert_eq!(s, 201, "{v}");
    assert_eq!(v["household_id"], first["household_id"], "joined at intake: {v}");
    assert!(v["flags"].as_array().is_some_and(Vec::is_empty), "an automatic link, no flag: {v}");
}

fn count(tab: &Tab, selector: &str) -> u64 {
    tab.evaluate(&format!("document.querySelectorAll('{selector}').length"), false)
        .ok()
        .and_then(|r| r.value)
        .and_then(|v| v.as_u64())
        .expect("a count")
}

/// The precision shown for a band on the quality page.
fn shown_precision(tab: &Tab, band: &str) -> String {
    inner(tab, &format!("#quality tr[data-band={band}] td.precision"))
}

fn certain_same_and_different(app: &TestApp, key: &str) -> (u64, u64) {
    let (s, q) = app.get("/v1/review/quality", key);
    assert_eq!(s, 200, "{q}");
    let b = q["bands"].as_array().expect("bands").iter().find(|b| b["band"] == "certain").expect("certain").clone();
    (b["spot_checked_same"].as_u64().expect("same"), b["spot_checked_different"].as_u64().expect("different"))
}

#[test]
#[cfg_attr(not(chromium_tests), ignore = "Chromium is not installed at /usr/bin/chromium (.ci/run installs it)")]
fn an_auditor_draws_and_answers_spot_checks_blind_and_sees_the_precision_move() {
    let app = TestApp::start(Backend::Sqlite);
    let a = app.agency("UNRWA", "submitter");
    let b = app.agency("WFP", "submitter");
    let aud = app.agency("AUD", "auditor");
    for i in 0..4 {
        linked(&app, &a, &b, i);
    }
    let shots = crate::support::chromium::shots_dir();
    let profile = tempfile::tempdir().expect("profile");
    let browser = launch(profile.path());
    let tab = browser.new_tab().expect("tab");
    tab.set_default_timeout(Duration::from_secs(20));
    let base = &app.base.replace("127.0.0.1", "localhost");
    go(&tab, &format!("{base}/ui/quality"));
    tab.wait_for_element("#key").expect("key field").click().expect("focus");
    tab.send_character(&aud).expect("type key");
    click_and_wait(&tab, "form[action='/ui/login'] button[type=submit]");
    assert!(tab.get_url().contains("/ui/quality"), "{}", tab.get_url());
    // Reached from the navigation too.
    tab.wait_for_element("header nav a[href='/ui/quality'][aria-current=page]").expect("the nav link");

    // Nothing judged: 50% on [0%, 100%].
    assert_eq!(shown_precision(&tab, "certain"), "50.0%");
    assert!(inner(&tab, "#quality tr[data-band=certain] td.interval").contains("0.0%"));
    assert_eq!(count(&tab, "section.spot"), 0);

    // Draw: the four automatic links, shown blind (no score, no band, no percentage).
    click_and_wait(&tab, "#draw");
    let spots = tab.wait_for_elements("section.spot").expect("spot checks");
    assert_eq!(spots.len(), 4, "{}", text(&tab));
    assert!(inner(&tab, "#waiting").contains('4'), "{}", inner(&tab, "#waiting"));
    let blind = tab
        .evaluate("Array.from(document.querySelectorAll('section.spot')).map(e => e.innerText).join('\\n')", false)
        .expect("spot text")
        .value
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default();
    assert!(blind.contains("العمايرة"), "both sides' members: {blind}");
    for hidden in ['%', '٪'] {
        assert!(!blind.contains(hidden), "no score on a spot check: {blind}");
    }
    for band in ["مؤكد", "مرجّح", "certain", "probable"] {
        assert!(!blind.contains(band), "no band on a spot check: {blind}");
    }
    assert_eq!(count(&tab, "section.spot .band"), 0);
    fits(&tab, "quality");
    shot(&tab, &shots, "quality-ar");

    // Each answer moves the estimate: same, same, different, same.
    let mut before = shown_precision(&tab, "certain");
    for (n, answer) in ["same", "same", "different", "same"].iter().enumerate() {
        click_and_wait(&tab, &format!("section.spot button.{answer}"));
        tab.wait_for_element("#answered").expect("the answer's notice");
        let now = shown_precision(&tab, "certain");
        assert_ne!(now, before, "answer {} moved the estimate", n + 1);
        assert_eq!(inner(&tab, "#quality tr[data-band=certain] td.judged").trim(), (n + 1).to_string());
        assert_eq!(count(&tab, "section.spot"), 3 - n as u64);
        before = now;
    }
    assert_eq!(certain_same_and_different(&app, &aud), (3, 1), "as the API says");
    // 3 right of 4 with a uniform prior: 4/6.
    assert_eq!(shown_precision(&tab, "certain"), "66.7%");
    // The count waiting is shown once, with the checks.
    assert!(inner(&tab, "#waiting").contains('0'), "{}", inner(&tab, "#waiting"));
    assert_eq!(count(&tab, "#open-total"), 0, "no second count");
    // The interval bar runs from the right in Arabic: 66.7% sits left of its middle.
    let dot = |tab: &Tab| {
        tab.evaluate(
            "Number(document.querySelector('#quality tr[data-band=certain] svg.interval circle').getAttribute('cx'))",
            false,
        )
        .ok()
        .and_then(|r| r.value)
        .and_then(|v| v.as_f64())
        .expect("the estimate's dot")
    };
    assert!(dot(&tab) < 64.0, "Arabic: {}", dot(&tab));
    fits(&tab, "quality answered");
    shot(&tab, &shots, "quality-answered-ar");
    go(&tab, &format!("{base}/ui/quality?lang=en"));
    assert!(text(&tab).contains("Precision per band"), "{}", text(&tab));
    assert!(dot(&tab) > 64.0, "English: {}", dot(&tab));
    shot(&tab, &shots, "quality-en");
    // A fresh draw in English, for the screenshot of a check.
    for i in 4..6 {
        linked(&app, &a, &b, i);
    }
    click_and_wait(&tab, "#draw");
    assert_eq!(tab.wait_for_elements("section.spot").expect("spot checks").len(), 2);
    fits(&tab, "quality en");
    shot(&tab, &shots, "quality-drawn-en");
    eprintln!("screenshots in {}", shots.display());
}

/// Who sees what on `/ui/quality`: the estimate for the auditor and the admin, the spot checks
/// for the auditor and caseworkers, nothing for a submitter; answers need the CSRF token.
fn the_quality_page_shows_each_role_its_part(b: Backend) {
    use crate::pages::Client;
    let app = TestApp::start(b);
    let a = app.agency("UNRWA", "submitter");
    let w = app.agency("WFP", "submitter");
    let cw = app.agency("MOSD", "caseworker");
    let aud = app.agency("AUD", "auditor");
    linked(&app, &a, &w, 0);
    let mut sub = Client::signed_in(&app, &a);
    assert_eq!(sub.get("/ui/quality").status, 403);
    assert!(!sub.get("/ui/search").body.contains("/ui/quality"), "no nav link for a submitter");
    let mut admin = Client::signed_in(&app, crate::support::MASTER);
    let p = admin.get("/ui/quality?lang=en");
    assert_eq!(p.status, 200, "{}", p.body);
    assert!(p.body.contains("id=\"quality\"") && !p.body.contains("id=\"draw\""), "the admin reads, draws nothing");
    let mut c = Client::signed_in(&app, &cw);
    let p = c.get("/ui/quality");
    assert_eq!(p.status, 200, "{}", p.body);
    assert!(
        !p.body.contains("id=\"quality\"") && p.body.contains("id=\"draw\""),
        "a caseworker checks, reads no estimate"
    );
    let csrf = p.csrf();
    assert_eq!(c.post("/ui/quality/draw", &[("csrf", "wrong"), ("size", "5")]).status, 403);
    let bad = c.post("/ui/quality/draw", &[("csrf", &csrf), ("size", "500")]);
    assert_eq!(bad.status, 400, "{}", bad.body);
    let p = c.post("/ui/quality/draw", &[("csrf", &csrf), ("size", "5")]);
    assert_eq!((p.status, p.location.as_deref()), (303, Some("/ui/quality?done=drawn")));
    let p = c.get("/ui/quality");
    let at = p.body.find("action=\"/ui/quality/spot-checks/").expect("a spot check's form") + 32;
    let id = p.body[at..].split('"').next().expect("id").to_owned();
    assert_eq!(c.post(&format!("/ui/quality/spot-checks/{id}"), &[("csrf", &csrf), ("answer", "maybe")]).status, 400);
    let p = c.post(&format!("/ui/quality/spot-checks/{id}"), &[("csrf", &csrf), ("answer", "different")]);
    assert_eq!((p.status, p.location.as_deref()), (303, Some("/ui/quality?done=different")));
    assert_eq!(c.post(&format!("/ui/quality/spot-checks/{id}"), &[("csrf", &csrf), ("answer", "same")]).status, 409);
    let mut au = Client::signed_in(&app, &aud);
    let p = au.get("/ui/quality?lang=en");
    let row = &p.body[p.body.find("data-band=\"certain\"").expect("the certain row")..];
    let row = &row[..row.find("</tr>").expect("row end")];
    assert!(row.contains("33.3%"), "one wrong of one, a uniform prior: {row}");
}

crate::both_backends!(the_quality_page_shows_each_role_its_part);
