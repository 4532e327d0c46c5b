//! Who may see what (issue 12): scopes over every route that shows households (in scope, out
//! of scope, break-glass with and without a reason), keys listed, revoked at once (here and in
//! another gateway on the same database), rotated with a grace period and expiring; named
//! users signing in to the pages, wrong passwords, disabled users, sessions surviving a
//! restart, sign-out; and the audit log read with filters, as CSV, refused to submitters. The
//! Chromium test signs a scoped caseworker in.

use std::time::Duration;

use serde_json::{Value, json};

use crate::support::{Backend, MASTER, TestApp, record};

/// A household in Yatta (Hebron governorate), another in Khan Younis, each posted by WFP and
/// again by UNRWA over the same period (so each has an aid flag).
struct World {
    app: TestApp,
    wfp: String,
    yatta_household: String,
    yatta_record: String,
    kys_household: String,
    kys_record: String,
}

fn kys_record(ext: &str) -> Value {
    json!({
        "external_id": ext,
        "assistance": {"type": "cash", "program": "winter-2026", "amount": 500.0, "currency": "ILS",
                        "period_start": "2026-01-01", "period_end": "2026-03-31"},
        "location": {"governorate": "خان يونس", "locality": "خان يونس"},
        "members": [
            {"role": "head", "name": "خالد يوسف ابراهيم النجار", "national_id": "802345671",
             "date_of_birth": "1975-02-11", "sex": "M", "phone": "+970599765432"}
        ]
    })
}

fn world(b: Backend) -> World {
    world_on(TestApp::start(b))
}

fn world_on(app: TestApp) -> World {
    let wfp = app.agency("WFP", "submitter");
    let unrwa = app.agency("UNRWA", "submitter");
    let (s, y) = app.post("/v1/records", &wfp, &record("y-1"));
    assert_eq!(s, 201, "{y}");
    let (s, k) = app.post("/v1/records", &wfp, &kys_record("k-1"));
    assert_eq!(s, 201, "{k}");
    assert_eq!(k["governorate_code"], "PS-KYS", "{k}");
    assert_ne!(y["household_id"], k["household_id"]);
    assert_eq!(app.post("/v1/records", &unrwa, &record("uy-1")).0, 201);
    assert_eq!(app.post("/v1/records", &unrwa, &kys_record("uk-1")).0, 201);
    let text = |v: &Value, k: &str| v[k].as_str().expect(k).to_owned();
    World {
        yatta_household: text(&y, "household_id"),
        yatta_record: text(&y, "record_id"),
        kys_household: text(&k, "household_id"),
        kys_record: text(&k, "record_id"),
        wfp,
        app,
    }
}

/// Makes a key through `POST /v1/keys` and returns it.
fn key(app: &TestApp, agency: &str, role: &str, scope: Option<Value>) -> String {
    let mut body = json!({"agency": agency, "role": role, "label": format!("{agency} {role}")});
    if let Some(s) = scope {
        body["scope"] = s;
    }
    let (s, k) = app.post("/v1/keys", MASTER, &body);
    assert_eq!(s, 201, "{k}");
    k["api_key"].as_str().expect("api_key").to_owned()
}

fn households_found(app: &TestApp, key: &str, query: &str) -> Vec<String> {
    let (s, body) = app.get(&format!("/v1/households/search?{query}"), key);
    assert_eq!(s, 200, "{body}");
    body["candidates"].as_array().expect("candidates").iter().map(|c| c["household_id"].to_string()).collect()
}

fn url(s: &str) -> String {
    s.bytes().map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") }).collect()
}

fn scope_decides_what_each_role_sees(b: Backend) {
    let w = world(b);
    let app = &w.app;
    app.agency("MOSD", "caseworker");
    app.agency("AUD", "auditor");
    let hebron = key(app, "MOSD", "caseworker", Some(json!({"governorates": ["PS-HBN"]})));
    let khan_younis = key(app, "MOSD", "caseworker", Some(json!({"localities": ["PS-KYS-KHAN-YOUNIS"]})));
    let everywhere = key(app, "MOSD", "caseworker", None);
    let hebron_auditor = key(app, "AUD", "auditor", Some(json!({"governorates": ["PS-HBN"]})));
    let auditor = key(app, "AUD", "auditor", None);
    let coordinator = key(app, "MOSD", "coordinator", None);
    let yatta = format!("\"{}\"", w.yatta_household);
    let kys = format!("\"{}\"", w.kys_household);
    let yatta_name = format!("name={}", url("محمد احمد محمود الشاعر"));
    let kys_name = format!("name={}", url("خالد يوسف ابراهيم النجار"));

    // Search: a household is found only by those whose scope holds one of its records.
    assert!(households_found(app, &hebron, &yatta_name).contains(&yatta));
    assert!(!households_found(app, &khan_younis, &yatta_name).contains(&yatta), "outside its scope");
    assert_eq!(households_found(app, &khan_younis, &kys_name), vec![kys.clone()]);
    assert!(!households_found(app, &hebron, &kys_name).contains(&kys));
    assert!(households_found(app, &everywhere, &yatta_name).contains(&yatta));
    assert!(households_found(app, &everywhere, &kys_name).contains(&kys));
    assert!(households_found(app, &w.wfp, &yatta_name).contains(&yatta), "a submitter, its own");
    assert_eq!(app.get(&format!("/v1/households/search?{yatta_name}"), &coordinator).0, 403);

    // Break the glass: the exact national ID outside scope, only with a reason.
    assert!(!households_found(app, &khan_younis, "national_id=401234563").contains(&yatta), "no reason: not found");
    let glass = "national_id=401234563&reason=".to_owned() + &url("referral from Yatta clinic");
    assert!(households_found(app, &khan_younis, &glass).contains(&yatta));
    let (s, e) = app.get(&format!("/v1/households/search?{yatta_name}&reason=curious"), &khan_younis);
    assert_eq!((s, e["error"]["details"][0]["field"].as_str()), (400, Some("reason")), "a reason needs an ID: {e}");

    // The household and record views: outside scope is not there.
    for (k, ok) in [(&hebron, true), (&khan_younis, false), (&everywhere, true), (&hebron_auditor, true)] {
        let want = if ok { 200 } else { 404 };
        assert_eq!(app.get(&format!("/v1/households/{}", w.yatta_household), k).0, want);
        assert_eq!(app.get(&format!("/v1/records/{}", w.yatta_record), k).0, want);
    }
    assert_eq!(app.get(&format!("/v1/households/{}", w.kys_household), &khan_younis).0, 200);
    assert_eq!(app.get(&format!("/v1/records/{}", w.kys_record), &hebron).0, 404);

    // Flags and the review queue: only households in scope.
    let flag_households = |k: &str| -> Vec<String> {
        let (s, body) = app.get("/v1/flags?limit=100", k);
        assert_eq!(s, 200, "{body}");
        let mut v: Vec<String> =
            body["flags"].as_array().expect("flags").iter().map(|f| f["household_id"].to_string()).collect();
        v.sort_unstable();
        v.dedup();
        v
    };
    assert_eq!(flag_households(&hebron), vec![yatta.clone()]);
    assert_eq!(flag_households(&khan_younis), vec![kys.clone()]);
    assert_eq!(flag_households(&everywhere).len(), 2);
    let (_, all) = app.get("/v1/flags", &everywhere);
    let kys_flag =
        all["flags"].as_array().expect("flags").iter().find(|f| f["household_id"] == w.kys_household.as_str());
    let kys_flag = kys_flag.expect("a Khan Younis flag")["flag_id"].as_str().expect("id").to_owned();
    let review = json!({"decision": "confirm", "note": ""});
    let (s, e) = app.post(&format!("/v1/flags/{kys_flag}/review"), &hebron, &review);
    assert_eq!(s, 404, "not reviewable outside scope: {e}");
    assert_eq!(app.post(&format!("/v1/flags/{kys_flag}/review"), &khan_younis, &review).0, 200);

    // Reports: rows and totals of pairs with a record in scope.
    let (s, scoped) = app.get("/v1/reports/overlaps", &hebron_auditor);
    assert_eq!(s, 200, "{scoped}");
    let rows = scoped["rows"].as_array().expect("rows");
    assert!(!rows.is_empty() && rows.iter().all(|r| r["governorate_code"] == "PS-HBN"), "{scoped}");
    let (_, whole) = app.get("/v1/reports/overlaps", &auditor);
    assert!(whole["rows"].as_array().expect("rows").len() > rows.len(), "{whole}");
    let (_, summary) = app.get("/v1/reports/summary", &hebron_auditor);
    let govs: Vec<&str> =
        summary["by_governorate"].as_array().expect("lines").iter().filter_map(|l| l["key"].as_str()).collect();
    assert_eq!(govs, vec!["PS-HBN"], "{summary}");
    let (_, csv) = app.get("/v1/reports/overlaps?format=csv", &hebron_auditor);
    let csv = csv.as_str().expect("csv").to_owned();
    assert!(csv.contains("PS-HBN") && !csv.contains("PS-KYS"), "{csv}");

    // A check outside scope says it matched, and nothing about whom.
    let (s, checked) = app.post("/v1/records/check", &hebron, &kys_record("c-1"));
    assert_eq!(s, 200, "{checked}");
    assert!(checked["household_id"].is_null(), "{checked}");
    assert!(checked["flags"].as_array().expect("flags").iter().all(|f| f["evidence"] == json!([])), "{checked}");
    let (_, inside) = app.post("/v1/records/check", &khan_younis, &kys_record("c-1"));
    assert_eq!(inside["household_id"].to_string(), kys, "{inside}");

    // The break-glass search is audited with its reason.
    let (s, log) = app.get("/v1/audit?action=household.search.break_glass", &auditor);
    assert_eq!(s, 200, "{log}");
    let events = log["events"].as_array().expect("events");
    assert_eq!(events.len(), 1, "{log}");
    assert!(events[0]["detail"].as_str().is_some_and(|d| d.contains("referral from Yatta clinic")), "{log}");
    assert_eq!(events[0]["target"].as_str(), Some(w.yatta_household.as_str()));

    // Scopes name known places.
    let (s, e) = app.post(
        "/v1/keys",
        MASTER,
        &json!({"agency": "MOSD", "role": "caseworker", "scope": {"governorates": ["PS-XXX"], "localities": ["PS-HBN"]}}),
    );
    let fields: Vec<&str> =
        e["error"]["details"].as_array().map_or(vec![], |d| d.iter().filter_map(|x| x["field"].as_str()).collect());
    assert_eq!((s, fields), (400, vec!["scope.governorates", "scope.localities"]), "{e}");
}

fn keys_are_listed_revoked_at_once_rotated_and_expire(b: Backend) {
    let app = TestApp::start_with(crate::support::TestDb::new(b), |s| s.key_rotation_grace = Duration::from_secs(2));
    app.agency("MOSD", "caseworker");
    let cw = app.agency("WFP", "submitter");
    // Made with a label and an expiry; refused with the field named when wrong.
    let soon = (chrono::Utc::now() + chrono::Duration::seconds(3)).to_rfc3339();
    let (s, made) = app.post(
        "/v1/keys",
        MASTER,
        &json!({"agency": "MOSD", "role": "caseworker", "label": "laptop 7", "expires_at": soon}),
    );
    assert_eq!(s, 201, "{made}");
    let expiring = made["api_key"].as_str().expect("key").to_owned();
    let expiring_id = made["key"]["id"].as_str().expect("id").to_owned();
    for (body, field) in [
        (json!({"agency": "NOPE", "role": "caseworker"}), "agency"),
        (json!({"agency": "MOSD", "role": "boss"}), "role"),
        (json!({"agency": "MOSD", "role": "caseworker", "expires_at": "2020-01-01T00:00:00Z"}), "expires_at"),
        (json!({"agency": "MOSD", "role": "caseworker", "expires_at": "tomorrow"}), "expires_at"),
        (json!({"agency": "MOSD", "role": "caseworker", "scope": {}}), "scope"),
    ] {
        let (s, e) = app.post("/v1/keys", MASTER, &body);
        assert_eq!((s, e["error"]["details"][0]["field"].as_str()), (400, Some(field)), "{body}: {e}");
    }
    assert_eq!(app.post("/v1/keys", &cw, &json!({"agency": "MOSD", "role": "admin"})).0, 403);
    assert_eq!(app.get("/v1/keys", &cw).0, 403);

    // Listed, never with the key; last used noted (in a batch, flushed when listed).
    assert_eq!(app.get("/v1/whoami", &expiring).0, 200);
    let (s, list) = app.get("/v1/keys", MASTER);
    assert_eq!(s, 200, "{list}");
    assert!(!list.to_string().contains(&expiring) && !list.to_string().contains("key_hash"), "never the key");
    let listed = list["keys"].as_array().expect("keys").iter().find(|k| k["id"] == expiring_id.as_str()).cloned();
    let listed = listed.expect("listed");
    assert_eq!(listed["label"], "laptop 7");
    assert!(listed["last_used_at"].is_string(), "{listed}");
    assert!(listed["expires_at"].is_string(), "{listed}");

    // Revoked at once: here, and within a second in another gateway on the same database.
    let other = bawaba::service::Services::start(&TestApp::settings(&app.db)).expect("a second gateway");
    let (s, made) = app.post("/v1/keys", MASTER, &json!({"agency": "MOSD", "role": "caseworker"}));
    assert_eq!(s, 201);
    let doomed = made["api_key"].as_str().expect("key").to_owned();
    let doomed_id = made["key"]["id"].as_str().expect("id").to_owned();
    assert_eq!(app.get("/v1/whoami", &doomed).0, 200);
    assert!(other.authenticate(&doomed).is_ok(), "the other gateway knows it (and caches it)");
    let (s, revoked) = app.req("DELETE", &format!("/v1/keys/{doomed_id}"), Some(MASTER), None);
    assert_eq!(s, 200, "{revoked}");
    assert!(revoked["revoked_at"].is_string());
    assert_eq!(app.get("/v1/whoami", &doomed).0, 401, "refused at once");
    std::thread::sleep(bawaba::service::auth::REVALIDATE + Duration::from_millis(100));
    assert!(other.authenticate(&doomed).is_err(), "refused by the other gateway within a second");
    assert_eq!(app.req("DELETE", "/v1/keys/no-such-key", Some(MASTER), None).0, 404);

    // Rotated: the new key works; the old one too, for the grace period (2 s here), then not.
    let old = key(&app, "MOSD", "caseworker", Some(json!({"governorates": ["PS-HBN"]})));
    let (_, list) = app.get("/v1/keys", MASTER);
    let old_id = list["keys"][0]["id"].as_str().expect("newest first").to_owned();
    let (s, rotated) = app.post(&format!("/v1/keys/{old_id}/rotate"), MASTER, &json!({}));
    assert_eq!(s, 201, "{rotated}");
    let new = rotated["api_key"].as_str().expect("key").to_owned();
    assert_eq!(rotated["key"]["scope"], json!({"governorates": ["PS-HBN"], "localities": []}), "same scope");
    assert!(rotated["replaces"]["expires_at"].is_string(), "{rotated}");
    assert_eq!(app.get("/v1/whoami", &new).0, 200);
    assert_eq!(app.get("/v1/whoami", &old).0, 200, "the old key still works in its grace period");
    std::thread::sleep(Duration::from_millis(2_600));
    assert_eq!(app.get("/v1/whoami", &old).0, 401, "the grace period is over");
    assert_eq!(app.get("/v1/whoami", &new).0, 200);
    assert_eq!(app.post(&format!("/v1/keys/{doomed_id}/rotate"), MASTER, &json!({})).0, 409, "revoked");

    // Expired: the first key, three seconds after it was made.
    assert_eq!(app.get("/v1/whoami", &expiring).0, 401, "past its expires_at");
    drop(other);
}

/// A browser-like client for the pages: keeps cookies, follows no redirects.
struct Browser {
    base: String,
    agent: ureq::Agent,
    cookies: Vec<(String, String)>,
}

struct Page {
    status: u16,
    location: Option<String>,
    body: String,
}

impl Page {
    fn field(&self, form_action: &str) -> String {
        let form = self.body.find(&format!("action=\"{form_action}\"")).expect("the form");
        let at = form + self.body[form..].find("name=\"csrf\" value=\"").expect("its CSRF field") + 19;
        self.body[at..].split('"').next().expect("csrf value").to_owned()
    }
}

impl Browser {
    fn new(app: &TestApp) -> Browser {
        Browser { base: app.base.clone(), agent: ureq::AgentBuilder::new().redirects(0).build(), cookies: vec![] }
    }

    fn send(&mut self, r: ureq::Request, form: Option<&[(&str, &str)]>) -> Page {
        let cookie = self.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ");
        let r = if cookie.is_empty() { r } else { r.set("Cookie", &cookie) };
        let res = match form {
            Some(f) => r.send_form(f),
            None => r.call(),
        };
        let resp = match res {
            Ok(r) => r,
            Err(ureq::Error::Status(_, r)) => r,
            Err(e) => panic!("transport error: {e}"),
        };
        for sc in resp.all("set-cookie") {
            let pair = sc.split(';').next().unwrap_or_default();
            let (k, v) = pair.split_once('=').expect("cookie pair");
            self.cookies.retain(|(n, _)| n != k);
            if !(sc.contains("Max-Age=0") || v.is_empty()) {
                self.cookies.push((k.to_owned(), v.to_owned()));
            }
        }
        let status = resp.status();
        let location = resp.header("location").map(str::to_owned);
        let body = resp.into_string().unwrap_or_default();
        Page { status, location, body }
    }

    fn get(&mut self, path: &str) -> Page {
        let r = self.agent.get(&format!("{}{path}", self.base));
        self.send(r, None)
    }

    fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Page {
        let r = self.agent.post(&format!("{}{path}", self.base)).set("Origin", &self.base);
        self.send(r, Some(form))
    }

    fn sign_in(&mut self, username: &str, password: &str) -> Page {
        let csrf = self.get("/ui/login").field("/ui/login");
        self.post(
            "/ui/login",
            &[("username", username), ("password", password), ("next", "/ui/search"), ("csrf", &csrf)],
        )
    }

    fn csrf(&mut self) -> String {
        self.get("/ui/search").field("/ui/logout")
    }
}

fn user(app: &TestApp, username: &str, role: &str, scope: Option<Value>) -> (String, String) {
    let mut body =
        json!({"agency": "MOSD", "username": username, "display_name": format!("{username} الاسم"), "role": role});
    if let Some(s) = scope {
        body["scope"] = s;
    }
    let (s, made) = app.post("/v1/users", MASTER, &body);
    assert_eq!(s, 201, "{made}");
    assert!(made["password"].as_str().is_some_and(|p| p.len() >= 16), "{made}");
    assert!(!made.to_string().contains("argon2"), "never the hash");
    (made["user"]["id"].as_str().expect("id").to_owned(), made["password"].as_str().expect("password").to_owned())
}

fn users_sign_in_survive_a_restart_and_are_disabled(b: Backend) {
    let app = TestApp::start(b);
    app.agency("MOSD", "caseworker");
    let (id, password) = user(&app, "amal.h", "caseworker", Some(json!({"governorates": ["PS-HBN"]})));
    // Refused with the field named.
    for (body, field) in [
        (json!({"agency": "MOSD", "username": "Amal H", "display_name": "x", "role": "caseworker"}), "username"),
        (json!({"agency": "MOSD", "username": "amal.h", "display_name": "x", "role": "caseworker"}), "username"),
        (json!({"agency": "MOSD", "username": "other", "display_name": "", "role": "caseworker"}), "display_name"),
        (json!({"agency": "NONE", "username": "other", "display_name": "x", "role": "caseworker"}), "agency"),
        (json!({"agency": "MOSD", "username": "other", "display_name": "x", "role": "chief"}), "role"),
    ] {
        let (s, e) = app.post("/v1/users", MASTER, &body);
        assert_eq!((s, e["error"]["details"][0]["field"].as_str()), (400, Some(field)), "{body}: {e}");
    }
    let cw = app.agency("MOSD", "caseworker");
    let body = json!({"agency": "MOSD", "username": "sneaky", "display_name": "x", "role": "admin"});
    assert_eq!(app.post("/v1/users", &cw, &body).0, 403);
    assert_eq!(app.get("/v1/users", &cw).0, 403);
    let (s, users) = app.get("/v1/users", MASTER);
    assert_eq!(s, 200);
    assert_eq!(users["users"][0]["username"], "amal.h");

    // A wrong password, then the right one.
    let mut browser = Browser::new(&app);
    let p = browser.sign_in("amal.h", "not the password");
    assert_eq!(p.status, 401, "{}", p.body);
    assert!(p.body.contains("اسم المستخدم أو كلمة المرور غير صحيحة"));
    assert_eq!(browser.sign_in("nobody", &password).status, 401);
    let p = browser.sign_in("amal.h", &password);
    assert_eq!((p.status, p.location.as_deref()), (303, Some("/ui/search")), "{}", p.body);
    let page = browser.get("/ui/search");
    assert_eq!(page.status, 200);
    assert!(page.body.contains("amal.h الاسم"), "the user's name in the header");

    // The session survives a restart on the same database.
    let db = app.stop();
    let app = TestApp::start_on(db);
    browser.base = app.base.clone();
    assert_eq!(browser.get("/ui/search").status, 200, "still signed in after the restart");

    // A password change: the old one stops, the new one works.
    let csrf = browser.get("/ui/password").field("/ui/password");
    let p = browser.post(
        "/ui/password",
        &[("csrf", &csrf), ("current", "wrong"), ("new", "a new long password"), ("again", "a new long password")],
    );
    assert_eq!(p.status, 400);
    let p = browser.post(
        "/ui/password",
        &[("csrf", &csrf), ("current", &password), ("new", "a new long password"), ("again", "a new long password")],
    );
    assert_eq!(p.status, 200, "{}", p.body);
    // Sign-out ends the session.
    let csrf = browser.csrf();
    assert_eq!(browser.post("/ui/logout", &[("csrf", &csrf)]).status, 303);
    assert_eq!(browser.get("/ui/search").status, 303, "signed out");
    assert_eq!(browser.sign_in("amal.h", &password).status, 401, "the old password");
    assert_eq!(browser.sign_in("amal.h", "a new long password").status, 303);

    // A scope or role changed applies to the next page; disabling ends the session at once.
    let (s, patched) =
        app.req("PATCH", &format!("/v1/users/{id}"), Some(MASTER), Some(&json!({"role": "auditor", "scope": null})));
    assert_eq!(s, 200, "{patched}");
    assert!(patched["scope"].is_null() && patched["role"] == "auditor");
    assert_eq!(browser.get("/ui/audit").status, 200, "an auditor now");
    let (s, e) = app.req("PATCH", &format!("/v1/users/{id}"), Some(MASTER), Some(&json!({"role": "boss"})));
    assert_eq!((s, e["error"]["details"][0]["field"].as_str()), (400, Some("role")));
    assert_eq!(app.req("PATCH", "/v1/users/nobody", Some(MASTER), Some(&json!({"disabled": true}))).0, 404);
    let (s, _) = app.req("PATCH", &format!("/v1/users/{id}"), Some(MASTER), Some(&json!({"disabled": true})));
    assert_eq!(s, 200);
    assert_eq!(browser.get("/ui/search").status, 303, "a disabled user's session stops at once");
    assert_eq!(browser.sign_in("amal.h", "a new long password").status, 401, "and cannot sign in");
}

fn the_audit_log_names_who_read_what(b: Backend) {
    let w = world(b);
    let app = &w.app;
    app.agency("MOSD", "caseworker");
    app.agency("AUD", "auditor");
    let (_, password) = user(app, "rana.k", "caseworker", Some(json!({"governorates": ["PS-HBN"]})));
    let cw = key(app, "MOSD", "caseworker", None);
    let auditor = key(app, "AUD", "auditor", None);
    // A named user searches on the page; a key reads through the API.
    let mut browser = Browser::new(app);
    assert_eq!(browser.sign_in("rana.k", &password).status, 303);
    let csrf = browser.csrf();
    let found = browser.post("/ui/search", &[("q", "محمد احمد الشاعر"), ("csrf", &csrf)]);
    assert_eq!(found.status, 200);
    assert!(found.body.contains(&w.yatta_household), "found in scope");
    assert_eq!(app.get(&format!("/v1/households/{}", w.yatta_household), &cw).0, 200);
    assert_eq!(app.get(&format!("/v1/records/{}", w.yatta_record), &cw).0, 200);
    assert_eq!(app.post("/v1/records/check", &cw, &record("chk")).0, 200);
    assert_eq!(app.get("/v1/flags", &cw).0, 200);
    assert_eq!(app.get("/v1/reports/overlaps?format=csv", &auditor).0, 200);
    // Records posted in a batch (and so by `bawaba import`) are audited one by one.
    let batcher = app.agency("WFPB", "submitter");
    let (s, batch) = app.post("/v1/records/batch", &batcher, &json!({"records": [record("b-1"), record("b-2")]}));
    assert_eq!(s, 200, "{batch}");
    let batched: Vec<String> = batch["results"]
        .as_array()
        .expect("results")
        .iter()
        .filter_map(|r| r["record_id"].as_str().map(str::to_owned))
        .collect();
    assert_eq!(batched.len(), 2, "{batch}");

    let events = |q: &str| -> Vec<Value> {
        let (s, log) = app.get(&format!("/v1/audit?{q}"), &auditor);
        assert_eq!(s, 200, "{q}: {log}");
        log["events"].as_array().expect("events").clone()
    };
    // Each audited action is there, naming who, agency, role, target and address.
    for action in [
        "household.search",
        "household.view",
        "record.view",
        "record.check",
        "flag.list",
        "report.overlaps",
        "record.create",
    ] {
        let e = events(&format!("action={action}"));
        assert!(!e.is_empty(), "{action}");
        assert!(e.iter().all(|x| x["action"] == action && x["at"].is_string()), "{action}: {e:?}");
    }
    let created = events("action=record.create");
    for id in &batched {
        assert!(created.iter().any(|e| e["target"].as_str() == Some(id.as_str())), "{id} audited: {created:?}");
    }
    let view = &events("action=household.view")[0];
    assert_eq!(view["target"].as_str(), Some(w.yatta_household.as_str()));
    assert_eq!((view["agency"].as_str(), view["role"].as_str()), (Some("MOSD"), Some("caseworker")));
    assert_eq!(view["address"].as_str(), Some("127.0.0.1"));
    assert_eq!(view["key_label"].as_str(), Some("MOSD caseworker"));
    // By the user's name; by household (the search named it); by time.
    let mine = events("actor=rana.k");
    assert!(mine.iter().any(|e| e["action"] == "household.search" && e["username"] == "rana.k"), "{mine:?}");
    assert!(mine.iter().all(|e| e["username"] == "rana.k" && e["display_name"] == "rana.k الاسم"));
    let about = events(&format!("household_id={}", w.yatta_household));
    let actions: Vec<&str> = about.iter().filter_map(|e| e["action"].as_str()).collect();
    for a in ["household.search", "household.view", "record.view", "record.create"] {
        assert!(actions.contains(&a), "{a} in {actions:?}");
    }
    assert!(about.iter().all(|e| e.to_string().contains(&w.yatta_household)));
    assert!(events("from=2000-01-01&to=2000-12-31").is_empty());
    assert!(!events(&format!("from={}", chrono::Utc::now().date_naive())).is_empty());
    assert!(events("actor=nobody").is_empty());
    // Paged, newest first.
    let (_, page) = app.get("/v1/audit?limit=2", &auditor);
    let first: Vec<String> = page["events"].as_array().expect("events").iter().map(|e| e["id"].to_string()).collect();
    let cursor = page["next_cursor"].as_str().expect("a next page").to_owned();
    let (_, next) = app.get(&format!("/v1/audit?limit=2&cursor={cursor}"), &auditor);
    let second: Vec<String> = next["events"].as_array().expect("events").iter().map(|e| e["id"].to_string()).collect();
    assert!(first.len() == 2 && second.len() == 2 && first[1] > second[0], "{first:?} {second:?}");
    // As CSV.
    let (s, csv) = app.get("/v1/audit?format=csv&action=household.view", &auditor);
    assert_eq!(s, 200);
    let csv = csv.as_str().expect("csv").to_owned();
    assert!(csv.starts_with("id,at,agency,username"), "{csv}");
    assert!(csv.contains(&w.yatta_household) && csv.contains("household.view"), "{csv}");
    assert!(!csv.contains("record.check"));
    // Refused to submitters and caseworkers; bad filters named.
    assert_eq!(app.get("/v1/audit", &w.wfp).0, 403);
    assert_eq!(app.get("/v1/audit", &cw).0, 403);
    assert_eq!(app.get("/v1/audit?format=csv", &w.wfp).0, 403);
    for (q, field) in
        [("from=yesterday", "from"), ("to=2026-13-01", "to"), ("format=xml", "format"), ("limit=0", "limit")]
    {
        let (s, e) = app.get(&format!("/v1/audit?{q}"), &auditor);
        assert_eq!((s, e["error"]["details"][0]["field"].as_str()), (400, Some(field)), "{q}: {e}");
    }
    // No route changes or removes an audit row.
    let before = app.db.count("audit_events");
    assert_eq!(app.req("DELETE", "/v1/audit", Some(MASTER), None).0, 405);
    assert_eq!(app.req("PATCH", "/v1/audit", Some(MASTER), None).0, 405);
    assert!(app.db.count("audit_events") >= before);
    // The audit page, for auditors: the user's search under their name.
    let (_, aud_password) = user(app, "audit.one", "auditor", None);
    let mut reader = Browser::new(app);
    assert_eq!(reader.sign_in("audit.one", &aud_password).status, 303);
    let page = reader.get("/ui/audit?actor=rana.k");
    assert_eq!(page.status, 200);
    assert!(page.body.contains("rana.k الاسم") && page.body.contains("household.search"), "{}", page.body);
    assert!(page.body.contains("dir=\"rtl\""));
    let csv = reader.get("/ui/audit.csv?actor=rana.k");
    assert_eq!(csv.status, 200);
    assert!(csv.body.contains("rana.k"));
    assert_eq!(browser.get("/ui/audit").status, 403, "a caseworker may not read it");
}

/// A path of `access::routes()` with its placeholders filled: `ids` gives a real id for a
/// placeholder, anything else gets one that names nothing.
fn filled(path: &str, ids: &[(&str, &str)]) -> String {
    let mut out = String::new();
    let mut rest = path;
    while let Some(open) = rest.find('{') {
        let close = rest[open..].find('}').expect("a closed placeholder") + open;
        out.push_str(&rest[..open]);
        let name = &rest[open + 1..close];
        out.push_str(ids.iter().find(|(n, _)| *n == name).map_or("x0000000000000000", |(_, id)| id));
        rest = &rest[close + 1..];
    }
    out + rest
}

/// Every API route of `access::routes()` (the list the README's table is made from), asked with
/// a key of every role: a role the list leaves out is refused 403 and nothing is stored; a role
/// it holds gets past the role check, to whatever the request deserves (200, 400, 404…). Then
/// a caseworker scoped to Khan Younis asks every route that names a Yatta household, record or
/// flag: 404 each time, as for one that does not exist.
fn every_route_answers_each_role_as_listed(b: Backend) {
    use bawaba::service::access::{ANY, api_routes};
    use bawaba::service::auth::Role;
    let w = world(b);
    let app = &w.app;
    let keys = [
        (Role::Admin, MASTER.to_owned()),
        (Role::Submitter, w.wfp.clone()),
        (Role::Caseworker, app.agency("MOSD", "caseworker")),
        (Role::Auditor, app.agency("AUD", "auditor")),
        (Role::Coordinator, app.agency("PLAN", "coordinator")),
    ];
    let (_, flags) = app.get("/v1/flags?limit=100", &keys[3].1);
    let flag_of = |household: &str| -> String {
        let f = flags["flags"].as_array().expect("flags").iter().find(|f| f["household_id"] == household);
        f.expect("a flag of the household")["flag_id"].as_str().expect("flag id").to_owned()
    };
    let yatta_flag = flag_of(&w.yatta_household);
    let yatta = [
        ("household_id", w.yatta_household.as_str()),
        ("record_id", w.yatta_record.as_str()),
        ("flag_id", yatta_flag.as_str()),
    ];
    let mut asked = 0;
    let api: Vec<_> = api_routes().collect();
    assert!(api.len() > 50, "{} API routes listed", api.len());
    for &(method, path, roles, scope) in &api {
        // Reads name real households, records and flags; changes name none, so an allowed
        // role's request changes nothing that the next rows ask about.
        let url = if method == "GET" { filled(path, &yatta) } else { filled(path, &[]) };
        let body = (method != "GET" && method != "DELETE").then(|| json!({}));
        if roles.is_empty() {
            assert_eq!(app.req(method, &url, None, None).0, 200, "{method} {path} answers anyone");
            continue;
        }
        for (role, key) in &keys {
            let before = app.db.counts();
            let (s, e) = app.req(method, &url, Some(key), body.as_ref());
            asked += 1;
            assert_ne!(s, 401, "{method} {url} as {role:?}: {e}");
            if roles.contains(role) {
                // The directory's changes are the admin's or the organisation's own: another
                // agency's key gets past the role check and is refused for the organisation.
                let theirs = roles == ANY && scope.contains("own keys");
                assert!(s != 403 || theirs, "{method} {url} is listed for {role:?} but refused: {e}");
            } else {
                assert_eq!(s, 403, "{method} {url} is not listed for {role:?}: {e}");
                assert_eq!(e["error"]["code"], "forbidden", "{method} {url} as {role:?}");
                assert_eq!(app.db.counts()[..4], before[..4], "{method} {url} as {role:?} was refused but stored");
            }
        }
    }
    assert!(asked > 250, "{asked} requests");

    // Out of scope is not there: every route that names one household, record or flag.
    let khan_younis = key(app, "MOSD", "caseworker", Some(json!({"localities": ["PS-KYS-KHAN-YOUNIS"]})));
    let everywhere = key(app, "MOSD", "caseworker", None);
    let review = json!({"decision": "confirm", "note": "seen"});
    let split = json!({"records": [w.yatta_record], "note": "two families"});
    let mut named = 0;
    for &(method, path, roles, _) in &api {
        if !roles.contains(&Role::Caseworker) || !yatta.iter().any(|(n, _)| path.contains(&format!("{{{n}}}"))) {
            continue;
        }
        let body = match (method, path.ends_with("/review"), path.ends_with("/split")) {
            ("POST", true, _) => Some(&review),
            ("POST", _, true) => Some(&split),
            _ => None,
        };
        let url = filled(path, &yatta);
        let (s, e) = app.req(method, &url, Some(&khan_younis), body);
        assert_eq!(s, 404, "{method} {url} outside the key's scope: {e}");
        if method == "GET" {
            assert_eq!(app.req(method, &url, Some(&everywhere), None).0, 200, "{method} {url} in scope");
        }
        named += 1;
    }
    assert!(named >= 6, "{named} routes name a household, record or flag");
}

crate::both_backends!(
    scope_decides_what_each_role_sees,
    every_route_answers_each_role_as_listed,
    keys_are_listed_revoked_at_once_rotated_and_expire,
    users_sign_in_survive_a_restart_and_are_disabled,
    the_audit_log_names_who_read_what,
);

mod chromium {
    //! A named, scoped caseworker in headless Chromium: signs in, finds a household in scope,
    //! does not find one outside it; an auditor's audit page shows that search under her name.

    use std::time::Duration;

    use headless_chrome::Tab;

    use super::*;
    use crate::support::chromium::{click_and_wait, go, launch, shot, shots_dir, text};

    fn type_into(tab: &Tab, selector: &str, text: &str) {
        tab.wait_for_element(selector).expect(selector).click().expect("focus");
        tab.send_character(text).expect("type");
    }

    fn sign_in(tab: &Tab, base: &str, username: &str, password: &str) {
        go(tab, &format!("{base}/ui/login"));
        type_into(tab, "#username", username);
        type_into(tab, "#password", password);
        click_and_wait(tab, "form[action='/ui/login'] button[type=submit]");
        assert!(tab.get_url().ends_with("/ui/search"), "not signed in: {}", text(tab));
    }

    fn search(tab: &Tab, q: &str) -> String {
        type_into(tab, "#q", q);
        click_and_wait(tab, "form[action='/ui/search'] button[type=submit]");
        text(tab)
    }

    #[test]
    #[cfg_attr(not(chromium_tests), ignore = "Chromium is not installed at /usr/bin/chromium (.ci/run installs it)")]
    fn a_scoped_caseworker_in_chromium() {
        let w = world(Backend::Sqlite);
        let app = &w.app;
        app.agency("MOSD", "caseworker");
        let (_, password) = user(app, "huda.y", "caseworker", Some(json!({"localities": ["PS-HBN-YATTA"]})));
        let (_, auditor_password) = user(app, "audit.two", "auditor", None);
        let shots = shots_dir();
        let profile = tempfile::tempdir().expect("profile");
        let browser = launch(profile.path());
        let tab = browser.new_tab().expect("tab");
        tab.set_default_timeout(Duration::from_secs(20));
        let base = &app.base.replace("127.0.0.1", "localhost");

        go(&tab, &format!("{base}/ui/login"));
        shot(&tab, &shots, "access-login-ar");
        sign_in(&tab, base, "huda.y", &password);
        assert!(text(&tab).contains("huda.y الاسم"), "her name in the header");
        let inside = search(&tab, "محمد احمد محمود الشاعر");
        assert!(inside.contains("محمد احمد محمود الشاعر"), "found in scope: {inside}");
        tab.wait_for_element("article.candidate").expect("a candidate");
        shot(&tab, &shots, "access-search-in-scope-ar");
        let outside = search(&tab, "خالد يوسف ابراهيم النجار");
        assert!(tab.find_element("article.candidate").is_err(), "not found outside scope: {outside}");
        shot(&tab, &shots, "access-search-outside-ar");
        assert!(!text(&tab).contains("سجل التدقيق"), "no audit log in a caseworker's navigation");

        // The auditor's audit page shows her search, under her name.
        click_and_wait(&tab, "form[action='/ui/logout'] button");
        sign_in(&tab, base, "audit.two", &auditor_password);
        go(&tab, &format!("{base}/ui/audit?action=household.search"));
        let log = text(&tab);
        assert!(log.contains("huda.y الاسم") && log.contains("بحث عن أسرة"), "{log}");
        shot(&tab, &shots, "access-audit-ar");
        go(&tab, &format!("{base}/ui/audit?action=household.search&lang=en"));
        let log = text(&tab);
        assert!(log.contains("Audit log") && log.contains("household search") && log.contains("huda.y"), "{log}");
        shot(&tab, &shots, "access-audit-en");
    }
}

/// The README's table of routes is the one the role lists make, and names every route the
/// OpenAPI document lists.
#[test]
fn the_readme_lists_every_route_with_its_roles_and_scope() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).expect("README.md");
    let start = readme.find("<!-- access-table:start -->\n").expect("start marker") + 28;
    let end = readme.find("<!-- access-table:end -->").expect("end marker");
    let table = bawaba::service::access::route_table();
    // `UPDATE_README=1 cargo test … the_readme_lists` writes the table in (as INSTA_UPDATE does).
    if std::env::var_os("UPDATE_README").is_some() && readme[start..end] != table {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/README.md");
        std::fs::write(path, format!("{}{}{}", &readme[..start], table, &readme[end..])).expect("README.md written");
        return;
    }
    assert_eq!(
        &readme[start..end],
        table,
        "README.md's access table is stale: put between its markers what service::access::route_table() gives"
    );
    let app = TestApp::start(Backend::Sqlite);
    let (_, doc) = app.req("GET", "/openapi.json", None, None);
    for (path, ops) in doc["paths"].as_object().expect("paths") {
        for method in ops.as_object().expect("operations").keys() {
            let route = format!("`{} {path}`", method.to_uppercase());
            assert!(table.contains(&route), "{route} is not in service::access::route_table()");
        }
    }
}
