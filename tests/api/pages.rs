//! The caseworkers' and auditors' pages: over HTTP (sessions, roles, CSRF, escaping, big
//! households, report paging, `/docs`), and end to end in headless Chromium.

use serde_json::{Value, json};

use crate::support::{Backend, MASTER, TestApp, record};

/// A browser-like HTTP client: keeps the session and language cookies, never follows
/// redirects (so that tests see them). Other modules' page tests use it too.
pub(crate) struct Client {
    base: String,
    agent: ureq::Agent,
    cookies: Vec<(String, String)>,
}

pub(crate) struct Page {
    pub(crate) status: u16,
    pub(crate) location: Option<String>,
    set_cookies: Vec<String>,
    headers: Vec<(String, String)>,
    pub(crate) body: String,
}

impl Page {
    pub(crate) fn csrf(&self) -> String {
        let at = self.body.find("name=\"csrf\" value=\"").expect("a CSRF field") + 19;
        self.body[at..].split('"').next().expect("csrf value").to_owned()
    }

    /// The sign-in form's own CSRF token.
    fn login_csrf(&self) -> String {
        let form = self.body.find("action=\"/ui/login\"").expect("the sign-in form");
        let at = form + self.body[form..].find("name=\"csrf\" value=\"").expect("its CSRF field") + 19;
        self.body[at..].split('"').next().expect("csrf value").to_owned()
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

impl Client {
    pub(crate) fn new(app: &TestApp) -> Client {
        Client { base: app.base.clone(), agent: ureq::AgentBuilder::new().redirects(0).build(), cookies: vec![] }
    }

    pub(crate) fn signed_in(app: &TestApp, key: &str) -> Client {
        let mut c = Client::new(app);
        let p = c.sign_in(key, "/ui/search");
        assert_eq!(p.status, 303, "{}", p.body);
        assert_eq!(p.location.as_deref(), Some("/ui/search"));
        c
    }

    /// Signs in as a browser does: the form first (its token and cookie), then the post.
    pub(crate) fn sign_in(&mut self, key: &str, next: &str) -> Page {
        let csrf = self.get("/ui/login").login_csrf();
        self.post("/ui/login", &[("key", key), ("next", next), ("csrf", &csrf)])
    }

    fn cookie_header(&self) -> String {
        self.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ")
    }

    fn send(&mut self, r: ureq::Request, form: Option<&[(&str, &str)]>) -> Page {
        let r = if self.cookies.is_empty() { r } else { r.set("Cookie", &self.cookie_header()) };
        let res = match form {
            Some(f) => r.send_form(f),
            None => r.call(),
        };
        let resp = match res {
            Ok(r) => r,
            Err(ureq::Error::Status(_, r)) => r,
            Err(e) => panic!("transport error: {e}"),
        };
        let set_cookies: Vec<String> = resp.all("set-cookie").into_iter().map(str::to_owned).collect();
        for sc in &set_cookies {
            let pair = sc.split(';').next().unwrap_or_default();
            let (k, v) = pair.split_once('=').expect("cookie pair");
            self.cookies.retain(|(n, _)| n != k);
            let removed = sc.contains("Max-Age=0") || v.is_empty();
            if !removed {
                self.cookies.push((k.to_owned(), v.to_owned()));
            }
        }
        let headers =
            resp.headers_names().into_iter().map(|n| (n.clone(), resp.header(&n).unwrap_or("").to_owned())).collect();
        let status = resp.status();
        let location = resp.header("location").map(str::to_owned);
        // Read whole: `into_string` stops at 10 MB, and a big report's CSV is more.
        let mut body = String::new();
        std::io::Read::read_to_string(&mut resp.into_reader(), &mut body).expect("read the body");
        Page { status, location, set_cookies, headers, body }
    }

    pub(crate) fn get(&mut self, path: &str) -> Page {
        let r = self.agent.get(&format!("{}{path}", self.base));
        self.send(r, None)
    }

    /// A form posted from one of the gateway's pages: the browser says so in `Origin`.
    pub(crate) fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Page {
        let r = self.agent.post(&format!("{}{path}", self.base)).set("Origin", &self.base);
        self.send(r, Some(form))
    }
}

fn latin_record(ext: &str) -> Value {
    json!({"external_id": ext,
        "assistance": {"type": "food", "program": "<script>alert('program')</script>", "amount": 120.0, "currency": "ILS",
                        "period_start": "2026-02-01", "period_end": "2026-04-30"},
        "location": {"governorate": "Hebron", "locality": "Yatta"},
        "members": [
            {"role": "head", "name": "Mohammed Ahmad Al-Shaer", "date_of_birth": "1980-05-01", "sex": "M", "phone": "0599-123-456"},
            {"role": "spouse", "name": "Fatmeh Ali Al-Shaer", "date_of_birth": "1984", "sex": "F"}]})
}

fn arabic_record(ext: &str) -> Value {
    let mut r = record(ext);
    r["assistance"]["type"] = json!("food");
    r
}

#[test]
fn pages_need_a_session_and_the_right_role() {
    let app = TestApp::start(Backend::Sqlite);
    let submitter = app.agency("WFP", "submitter");
    let caseworker = app.agency("MOSD", "caseworker");
    let auditor = app.agency("AUD", "auditor");
    let mut anon = Client::new(&app);
    let p = anon.get("/");
    assert_eq!((p.status, p.location.as_deref()), (303, Some("/ui/search")));
    for path in ["/ui/search", "/ui/review?status=open", "/ui/reports", "/ui/households/x", "/ui/reports/overlaps.csv"]
    {
        let p = anon.get(path);
        assert_eq!(p.status, 303, "{path}");
        let to = p.location.expect("location");
        assert!(to.starts_with("/ui/login?next=/ui/"), "{path} → {to}");
    }
    // The sign-in page is Arabic, right to left, by default; the key field is a password.
    let login = anon.get("/ui/login?next=%2Fui%2Freview");
    assert_eq!(login.status, 200);
    assert!(login.body.contains("<html lang=\"ar\" dir=\"rtl\">"), "{}", login.body);
    assert!(login.body.contains("type=\"password\""));
    assert!(login.header("content-security-policy").is_some_and(|v| v.contains("default-src 'none'")));
    assert_eq!(login.header("cache-control"), Some("no-store"));
    // A wrong key: 401, no session.
    let bad = anon.sign_in("bwb_not_a_key", "/ui/search");
    assert_eq!(bad.status, 401);
    assert!(!bad.set_cookies.iter().any(|c| c.starts_with("bawaba_session=")));
    // Signing in: the session cookie is HttpOnly, Secure, SameSite=Strict, Path=/; the key is in no URL.
    let mut cw = Client::new(&app);
    let p = cw.sign_in(&caseworker, "/ui/review?status=open");
    assert_eq!((p.status, p.location.as_deref()), (303, Some("/ui/review?status=open")));
    let sc = p.set_cookies.iter().find(|c| c.starts_with("bawaba_session=")).expect("session cookie");
    for attr in ["HttpOnly", "Secure", "SameSite=Strict", "Path=/"] {
        assert!(sc.contains(attr), "{sc} lacks {attr}");
    }
    let id = sc.split(';').next().expect("pair").trim_start_matches("bawaba_session=");
    assert_eq!(id.len(), 64, "256 random bits in hex");
    // An outside `next` is not followed.
    let mut other = Client::new(&app);
    let p = other.sign_in(&caseworker, "//evil.example/ui/");
    assert_eq!(p.location.as_deref(), Some("/ui/search"));

    let check = |c: &mut Client, path: &str, want: u16| {
        let p = c.get(path);
        assert_eq!(p.status, want, "{path}: {}", p.body);
        assert!(!p.body.contains(&caseworker) && !p.body.contains(&auditor) && !p.body.contains(&submitter));
    };
    check(&mut cw, "/ui/search", 200);
    check(&mut cw, "/ui/review", 200);
    check(&mut cw, "/ui/reports", 403);
    check(&mut cw, "/ui/reports/overlaps.csv", 403);
    let mut sub = Client::signed_in(&app, &submitter);
    check(&mut sub, "/ui/search", 200);
    check(&mut sub, "/ui/review", 403);
    check(&mut sub, "/ui/reports", 403);
    let mut aud = Client::signed_in(&app, &auditor);
    check(&mut aud, "/ui/search", 200);
    check(&mut aud, "/ui/review", 200);
    check(&mut aud, "/ui/reports", 200);
    check(&mut aud, "/ui/reports/overlaps.csv", 200);
    let mut admin = Client::signed_in(&app, MASTER);
    check(&mut admin, "/ui/search", 403);
    let forbidden = admin.get("/ui/review");
    assert!(forbidden.body.contains("dir=\"rtl\""), "the 403 page is a page too");
    check(&mut aud, "/ui/nothing-here", 404);

    // Forms need the session's CSRF token, and a POST from another origin is refused.
    let page = cw.get("/ui/search");
    let csrf = page.csrf();
    assert_eq!(cw.post("/ui/search", &[("q", "محمد"), ("csrf", "wrong")]).status, 403);
    let foreign = cw.agent.post(&format!("{}/ui/search", cw.base)).set("Origin", "http://evil.example");
    assert_eq!(cw.send(foreign, Some(&[("q", "محمد"), ("csrf", &csrf)])).status, 403);
    assert_eq!(cw.post("/ui/search", &[("q", "محمد"), ("csrf", &csrf)]).status, 200);

    // English on request, remembered in a cookie.
    let en = cw.get("/ui/search?lang=en");
    assert!(en.body.contains("<html lang=\"en\" dir=\"ltr\">"));
    assert!(en.set_cookies.iter().any(|c| c.starts_with("bawaba_lang=en")));
    assert!(cw.get("/ui/review").body.contains("Review flags"));
    assert!(cw.get("/ui/review?lang=ar").body.contains("مراجعة التنبيهات"));

    // Sign-out ends the session on the server: the old cookie no longer works.
    let stolen = cw.cookies.clone();
    let p = cw.post("/ui/logout", &[("csrf", &csrf)]);
    assert_eq!((p.status, p.location.as_deref()), (303, Some("/ui/login")));
    assert!(p.set_cookies.iter().any(|c| c.starts_with("bawaba_session=;") || c.contains("Max-Age=0")));
    let mut replay = Client::new(&app);
    replay.cookies = stolen;
    assert_eq!(replay.get("/ui/search").status, 303);
}

#[test]
fn what_users_typed_is_escaped() {
    let app = TestApp::start(Backend::Sqlite);
    let ox = app.agency("OXFAM", "submitter");
    let aud = app.agency("AUD", "auditor");
    // A name with markup never gets in: intake refuses it.
    let mut bad = latin_record("x-0");
    bad["members"][0]["name"] = json!("<script>alert(1)</script>");
    assert_eq!(app.post("/v1/records", &ox, &bad).0, 400);
    let (s, posted) = app.post("/v1/records", &ox, &latin_record("x-1"));
    assert_eq!(s, 201, "{posted}");
    let hid = posted["household_id"].as_str().expect("household id").to_owned();
    let mut c = Client::signed_in(&app, &aud);
    // The programme (free text) on the household page.
    let p = c.get(&format!("/ui/households/{hid}"));
    assert_eq!(p.status, 200);
    assert!(!p.body.contains("<script>alert('program')"), "raw markup in the page");
    assert!(p.body.contains("&lt;script&gt;alert('program')&lt;/script&gt;"));
    // What was typed in the search box comes back escaped.
    let csrf = p.csrf();
    let p = c.post("/ui/search", &[("q", "<script>alert(2)</script>"), ("csrf", &csrf)]);
    assert_eq!(p.status, 200);
    assert!(!p.body.contains("<script>alert(2)"));
    assert!(p.body.contains("&lt;script&gt;alert(2)&lt;/script&gt;"));
    // And a report filter.
    let p = c.get("/ui/reports?governorate=%3Cscript%3Ealert(3)%3C%2Fscript%3E");
    assert_eq!(p.status, 200);
    assert!(!p.body.contains("<script>alert(3)"));
    assert!(p.body.contains("&lt;script&gt;alert(3)&lt;/script&gt;"));
    // The only script on any page is the docs' own, from the gateway.
    assert!(!p.body.contains("<script"));
}

#[test]
fn search_finds_a_latin_household_by_its_arabic_name_with_evidence_and_aid() {
    let app = TestApp::start(Backend::Sqlite);
    let ox = app.agency("OXFAM", "submitter");
    let wfp = app.agency("WFP", "submitter");
    let cw = app.agency("MOSD", "caseworker");
    assert_eq!(app.post("/v1/records", &ox, &latin_record("ox-1")).0, 201);
    let mut c = Client::signed_in(&app, &cw);
    let csrf = c.get("/ui/search").csrf();
    let search = |c: &mut Client, q: &str| {
        let p = c.post("/ui/search", &[("q", q), ("csrf", &csrf)]);
        assert_eq!(p.status, 200, "{q}");
        assert!(p.body.contains("Mohammed Ahmad Al-Shaer"), "{q}: {}", p.body);
        assert!(p.body.contains("class=\"band band-"), "{q}: the score and band");
        assert!(p.body.contains("ul class=\"evidence\""), "{q}: evidence");
        p.body
    };
    // Only the Latin spelling is stored: the Arabic one finds it.
    let body = search(&mut c, "محمد أحمد الشاعر");
    assert!(body.contains("اسم العائلة: </strong>"), "evidence in words: {body}");
    for q in ["Muhammad Ahmed Alshaer", "٠٥٩٩١٢٣٤٥٦", "0599123456 1980-05-01"] {
        search(&mut c, q);
    }
    // Aid across agencies.
    let (s, second) = app.post("/v1/records", &wfp, &arabic_record("wfp-1"));
    assert_eq!(s, 201, "{second}");
    let body = search(&mut c, "+970599123456");
    assert!(body.contains("OXFAM") && body.contains("WFP"), "aid from both agencies: {body}");
    c.get("/ui/search?lang=en");
    let body = search(&mut c, "Mohammed Al-Shaer");
    assert!(body.contains("Family name: </strong>"), "evidence in words: {body}");
    let p = c.post("/ui/search", &[("q", "   "), ("csrf", &csrf)]);
    assert!(p.body.contains("class=\"error\""));
}

#[test]
fn a_household_of_fifty_members_renders() {
    let app = TestApp::start(Backend::Sqlite);
    let ox = app.agency("OXFAM", "submitter");
    let cw = app.agency("MOSD", "caseworker");
    let firsts = ["محمد", "احمد", "خالد", "سامي", "يوسف", "ابراهيم", "عمر", "علي", "حسن", "مصطفى"];
    let fathers = ["سليم", "رامي", "نبيل", "جمال", "كمال"];
    let mut members =
        vec![json!({"role": "head", "name": "عبد الرحمن سليم ابراهيم التميمي", "national_id": "911111111",
        "date_of_birth": "1960-01-01", "sex": "M", "phone": "+970599000001"})];
    for i in 1..50 {
        members.push(json!({"role": if i == 1 { "spouse" } else { "child" },
            "name": format!("{} {} عبد الرحمن التميمي", firsts[i % 10], fathers[i / 10]),
            "date_of_birth": format!("{}-0{}-1{}", 1970 + i / 2, 1 + i % 9, i % 10), "sex": if i % 2 == 0 { "M" } else { "F" }}));
    }
    let mut rec = record("big-1");
    rec["members"] = json!(members);
    let (s, posted) = app.post("/v1/records", &ox, &rec);
    assert_eq!(s, 201, "{posted}");
    let hid = posted["household_id"].as_str().expect("id");
    let mut c = Client::signed_in(&app, &cw);
    let p = c.get(&format!("/ui/households/{hid}"));
    assert_eq!(p.status, 200);
    assert_eq!(
        p.body.matches("<tr>").count(),
        1 + 1 + 50 + 1 + 1,
        "the persons' header, header and 50 member rows, header and one aid row"
    );
    let csrf = p.csrf();
    let p = c.post("/ui/search", &[("q", "عبد الرحمن سليم التميمي"), ("csrf", &csrf)]);
    assert_eq!(p.status, 200);
    assert!(p.body.contains(hid), "the big household is found");
}

/// Posts `n` distinct households with `a`, then the same with `b`: `n` overlapping pairs.
fn overlapping_pairs(app: &TestApp, a: &str, b: &str, n: usize) {
    let firsts = ["محمد", "احمد", "خالد", "سامي", "يوسف", "ابراهيم", "عمر", "علي", "حسن", "مصطفى"];
    let families = ["الشاعر", "التميمي", "الجعبري", "النتشة", "القواسمي", "الزعتري", "الرجبي", "العويوي"];
    let rec = |ext: String, i: usize| {
        json!({"external_id": ext,
            "assistance": {"type": "cash", "amount": 100.0 + i as f64, "currency": "ILS",
                           "period_start": format!("2026-{:02}-01", 1 + i % 6), "period_end": "2026-12-31"},
            "location": {"governorate": "الخليل"},
            "members": [{"role": "head", "name": format!("{} {}", firsts[i % 10], families[(i / 10) % 8]),
                         "national_id": format!("{}", 700_000_001 + i * 7919), "date_of_birth": format!("{}-01-01", 1950 + i % 40),
                         "phone": format!("+9705990{:05}", i)}]})
    };
    for (key, prefix) in [(a, "a"), (b, "b")] {
        let records: Vec<Value> = (0..n).map(|i| rec(format!("{prefix}-{i}"), i)).collect();
        let (s, out) = app.post("/v1/records/batch", key, &json!({"records": records}));
        assert_eq!(s, 200, "{out}");
    }
}

#[test]
fn review_and_report_pages_page_through_many_rows() {
    let app = TestApp::start(Backend::Sqlite);
    let a = app.agency("UNRWA", "submitter");
    let b = app.agency("WFP", "submitter");
    let aud = app.agency("AUD", "auditor");
    overlapping_pairs(&app, &a, &b, 30);
    let mut c = Client::signed_in(&app, &aud);
    // The report, ten rows a page, every row once.
    let first = c.get("/ui/reports?limit=10");
    assert_eq!(first.status, 200);
    assert!(first.body.contains("<svg"), "charts on the first page");
    let total: usize = {
        let (_, api) = app.get("/v1/reports/overlaps?limit=1", &aud);
        api["totals"]["rows"].as_u64().expect("rows") as usize
    };
    assert!(total >= 30, "{total}");
    let mut shown = 0;
    let mut page = first;
    let mut pages = 0;
    loop {
        pages += 1;
        let rows = page.body.matches("<tr><td><a href=\"/ui/households/").count();
        assert!(rows <= 10 && rows > 0, "{rows}");
        shown += rows;
        let Some(at) = page.body.find("id=\"next\" href=\"") else { break };
        let href = page.body[at + 16..].split('"').next().expect("href").replace("&amp;", "&");
        page = c.get(&href);
        assert_eq!(page.status, 200, "{href}");
        assert!(!page.body.contains("<svg"), "charts only on the first page");
    }
    assert_eq!(shown, total, "every row once");
    assert_eq!(pages, total.div_ceil(10));
    // The CSV holds every row.
    let csv = c.get("/ui/reports/overlaps.csv");
    assert_eq!(csv.status, 200);
    assert!(csv.header("content-disposition").is_some_and(|v| v.contains("attachment")));
    let mut reader = csv::Reader::from_reader(csv.body.trim_start_matches('\u{FEFF}').as_bytes());
    assert_eq!(reader.headers().expect("header").get(0), Some("flag_id"));
    assert_eq!(reader.records().count(), total);
    // The review queue pages too, and a confirmation is kept.
    let q = c.get("/ui/review?status=open");
    assert_eq!(q.status, 200);
    assert_eq!(q.body.matches("<article class=\"card flag\"").count(), 25);
    assert!(q.body.contains("id=\"next\"") || q.body.contains("cursor="));
    // A flag's own form (not the bulk dismissal's).
    let at = q
        .body
        .match_indices("action=\"/ui/review/")
        .map(|(i, _)| i + 19)
        .find(|&i| !q.body[i..].starts_with("bulk"))
        .expect("a review form");
    let flag_id = q.body[at..].split('"').next().expect("id").to_owned();
    let csrf = q.csrf();
    let p = c.post(
        &format!("/ui/review/{flag_id}"),
        &[
            ("csrf", &csrf),
            ("decision", "confirm"),
            ("note", "same family, seen at home\r\nvisit 3"),
            ("back", "/ui/review?status=open"),
        ],
    );
    assert_eq!((p.status, p.location.as_deref()), (303, Some("/ui/review?status=open&done=confirmed")));
    let (_, page) = app.get("/v1/flags?status=confirmed", &aud);
    assert_eq!(page["flags"][0]["flag_id"], flag_id.as_str());
    // Twice is a conflict, shown as a page.
    let p =
        c.post(&format!("/ui/review/{flag_id}"), &[("csrf", &csrf), ("decision", "dismiss"), ("back", "/ui/review")]);
    assert_eq!(p.status, 409);
    assert!(p.body.contains("<html"));
}

#[test]
fn docs_are_served_offline() {
    let app = TestApp::start(Backend::Sqlite);
    let mut c = Client::new(&app);
    let p = c.get("/docs");
    assert_eq!(p.status, 200, "no key needed to read the docs");
    assert!(p.body.contains("<script src=\"/docs/docs.js\">"));
    let js = c.get("/docs/docs.js");
    assert_eq!(js.status, 200);
    assert!(js.body.contains("/openapi.json"));
    let css = c.get("/ui/static/app.css");
    assert_eq!(css.status, 200);
    for body in [&p.body, &js.body, &css.body] {
        assert!(!body.contains("http://") && !body.contains("https://"), "nothing from outside");
    }
}

crate::both_backends!(failed_sign_ins_are_throttled_per_key_prefix_and_per_address);

/// Issue 16: the sign-in form carries a token of its own (cookie and field, double-submit),
/// and like every form of the pages must come from the gateway's own origin.
#[test]
fn the_sign_in_form_has_its_own_csrf_token_and_checks_origin() {
    let app = TestApp::start(Backend::Sqlite);
    let caseworker = app.agency("MOSD", "caseworker");
    let mut c = Client::new(&app);
    let form = c.get("/ui/login");
    let token = form.login_csrf();
    assert_eq!(token.len(), 64, "256 random bits in hex");
    let sc = form.set_cookies.iter().find(|c| c.starts_with("bawaba_login_csrf=")).expect("the token's cookie");
    assert!(sc.starts_with(&format!("bawaba_login_csrf={token};")), "{sc}");
    for attr in ["HttpOnly", "Secure", "SameSite=Strict", "Path=/ui/login"] {
        assert!(sc.contains(attr), "{sc} lacks {attr}");
    }
    assert_eq!(c.get("/ui/login").login_csrf(), token, "one token per browser, so two tabs both work");
    let no_session = |p: &Page| !p.set_cookies.iter().any(|c| c.starts_with("bawaba_session="));

    // The right key without the token, with another token, or with the token but not the cookie.
    let p = c.post("/ui/login?lang=en", &[("key", &caseworker), ("next", "/ui/search")]);
    assert_eq!(p.status, 403);
    assert!(p.body.contains("This sign-in form expired or was sent from elsewhere"), "{}", p.body);
    assert!(no_session(&p));
    assert_eq!(p.login_csrf(), token, "the form shown again keeps this browser's token");
    let p = c.post("/ui/login", &[("key", &caseworker), ("csrf", &"0".repeat(64))]);
    assert!(p.status == 403 && no_session(&p));
    let mut cookieless = Client::new(&app);
    let p = cookieless.post("/ui/login", &[("key", &caseworker), ("csrf", &token)]);
    assert!(p.status == 403 && no_session(&p), "a token alone, without this browser's cookie");

    // The token and cookie, but no Origin nor Referer, or another origin: refused.
    let post = |c: &mut Client, headers: &[(&str, &str)]| {
        let mut r = c.agent.post(&format!("{}/ui/login", c.base));
        for (k, v) in headers {
            r = r.set(k, v);
        }
        c.send(r, Some(&[("key", &caseworker), ("next", "/ui/search"), ("csrf", &token)]))
    };
    let p = post(&mut c, &[]);
    assert!(p.status == 403 && no_session(&p), "{}", p.status);
    let p = post(&mut c, &[("Origin", "http://evil.example")]);
    assert!(p.status == 403 && no_session(&p));
    let p = post(&mut c, &[("Origin", "null")]);
    assert!(p.status == 403 && no_session(&p));
    let p = post(&mut c, &[("Referer", "http://evil.example/ui/login")]);
    assert!(p.status == 403 && no_session(&p));
    // Referer names this gateway (a browser that sends no Origin): signed in.
    let referer = format!("{}/ui/login", app.base);
    let p = post(&mut c, &[("Referer", &referer)]);
    assert_eq!((p.status, p.location.as_deref()), (303, Some("/ui/search")));
    assert!(!no_session(&p));

    // The other forms keep the same rule: a POST that does not say where it comes from is refused.
    let csrf = c.get("/ui/search").csrf();
    let bare = c.agent.post(&format!("{}/ui/search", c.base));
    assert_eq!(c.send(bare, Some(&[("q", "محمد"), ("csrf", &csrf)])).status, 403);
    assert_eq!(c.post("/ui/search", &[("q", "محمد"), ("csrf", &csrf)]).status, 200);
    let bare = c.agent.post(&format!("{}/ui/logout", c.base));
    assert_eq!(c.send(bare, Some(&[("csrf", &csrf)])).status, 403);
    assert_eq!(c.get("/ui/search").status, 200, "still signed in");
}

/// Issue 16: after 5 failed sign-ins with keys that begin alike, or 20 from one address, the
/// sign-in form answers 429 with Retry-After and a readable message, and looks no key up.
fn failed_sign_ins_are_throttled_per_key_prefix_and_per_address(b: Backend) {
    let app = TestApp::start(b);
    let caseworker = app.agency("MOSD", "caseworker");
    let lookups = || -> f64 {
        let (_, text) = app.get("/metrics", MASTER);
        let text = text.as_str().expect("metrics text").to_owned();
        text.lines().find_map(|l| l.strip_prefix("bawaba_key_lookups_total ")?.parse().ok()).expect("the counter")
    };
    let mut c = Client::new(&app);
    let guess = |i: usize| format!("bwb_deadbeef{i:056x}");
    for i in 0..5 {
        assert_eq!(c.sign_in(&guess(i), "/ui/search").status, 401, "failure {i}");
    }
    let before = lookups();
    let csrf = c.get("/ui/login").login_csrf();
    let p = c.post("/ui/login?lang=en", &[("key", &guess(99)), ("csrf", &csrf)]);
    assert_eq!(p.status, 429, "{}", p.body);
    let wait: u64 = p.header("retry-after").and_then(|v| v.parse().ok()).expect("Retry-After in seconds");
    assert!((540..=600).contains(&wait), "about ten minutes: {wait}");
    assert!(p.body.contains("Too many failed sign-ins. Try again in 10 minutes."), "{}", p.body);
    assert!(p.body.contains("action=\"/ui/login\""), "the form stays, for later");
    assert_eq!(lookups(), before, "a throttled sign-in looks no key up");
    let ar = c.post("/ui/login?lang=ar", &[("key", &guess(98)), ("csrf", &csrf)]);
    assert_eq!(ar.status, 429);
    assert!(ar.body.contains("محاولات دخول فاشلة كثيرة"), "{}", ar.body);

    // Keys that begin otherwise are still looked at, and the right one signs in.
    assert_eq!(c.sign_in("bwb_0123456789abcdef", "/ui/search").status, 401);
    let p = c.sign_in(&caseworker, "/ui/search");
    assert_eq!(p.status, 303, "{}", p.body);

    // Twenty failures from this address in all (the five above and this one counted, the
    // throttled ones not): then even the right key is refused from here.
    let mut other = Client::new(&app);
    for i in 0..14 {
        assert_eq!(other.sign_in(&format!("bwb_{i:02}{}", "f".repeat(62)), "/ui/search").status, 401, "failure {i}");
    }
    let p = other.sign_in(&caseworker, "/ui/search");
    assert_eq!(p.status, 429, "{}", p.body);
    assert!(p.header("retry-after").is_some());
    // The API is not the sign-in form: the same key still answers there.
    assert_eq!(app.get("/v1/whoami", &caseworker).0, 200);
}

pub(crate) mod chromium {
    //! End to end in headless Chromium (Debian's, at /usr/bin/chromium): sign in, search an
    //! Arabic name posted in Latin script, confirm a flag, download the overlap CSV and parse
    //! it; screenshots of every page in Arabic and English into `BAWABA_SCREENSHOTS` (a temp
    //! dir when unset).

    use std::time::{Duration, Instant};

    use headless_chrome::protocol::cdp::Browser as CdpBrowser;

    use super::*;
    pub(crate) use crate::support::chromium::{click_and_wait, go, launch, press_and_wait, shot, shots_dir, text};

    #[test]
    #[cfg_attr(not(chromium_tests), ignore = "Chromium is not installed at /usr/bin/chromium (.ci/run installs it)")]
    fn sign_in_search_review_and_download_in_chromium() {
        let app = TestApp::start(Backend::Sqlite);
        let ox = app.agency("OXFAM", "submitter");
        let wfp = app.agency("WFP", "submitter");
        let cw = app.agency("MOSD", "caseworker");
        let aud = app.agency("AUD", "auditor");
        assert_eq!(app.post("/v1/records", &ox, &latin_record("ox-1")).0, 201);

        let shots = shots_dir();
        let profile = tempfile::tempdir().expect("profile");
        let downloads = tempfile::tempdir().expect("downloads");
        let browser = launch(profile.path());
        let tab = browser.new_tab().expect("tab");
        tab.set_default_timeout(Duration::from_secs(20));
        // Chromium keeps Secure cookies from plain http only for `localhost`.
        let base = &app.base.replace("127.0.0.1", "localhost");

        // Sign in as the caseworker (Arabic, the default), coming back to the review queue.
        go(&tab, &format!("{base}/ui/review"));
        assert!(tab.get_url().contains("/ui/login?next=/ui/review"), "{}", tab.get_url());
        shot(&tab, &shots, "login-ar");
        tab.wait_for_element("#key").expect("key field").click().expect("focus");
        tab.send_character(&cw).expect("type key");
        click_and_wait(&tab, "form[action='/ui/login'] button[type=submit]");
        if tab.get_url() != format!("{base}/ui/review") {
            shot(&tab, &shots, "login-failed");
            panic!("not signed in: {}", text(&tab));
        }
        assert!(!tab.get_url().contains(&cw), "the key is in no URL");
        let cookies = tab.get_cookies().expect("cookies");
        let session = cookies.iter().find(|c| c.name == "bawaba_session").expect("session cookie");
        assert!(session.http_only && session.secure, "HttpOnly and Secure");
        let js_sees = tab.evaluate("document.cookie", false).expect("cookie").value;
        assert!(!format!("{js_sees:?}").contains("bawaba_session"), "scripts cannot read the session");

        // Search the Arabic spelling of a household posted in Latin script.
        go(&tab, &format!("{base}/ui/search"));
        shot(&tab, &shots, "search-empty-ar");
        tab.wait_for_element("#q").expect("box").click().expect("focus");
        tab.send_character("محمد أحمد الشاعر").expect("type the name");
        click_and_wait(&tab, "form[action='/ui/search'] button[type=submit]");
        tab.wait_for_element("article.candidate").expect("a candidate");
        let found = text(&tab);
        assert!(found.contains("Mohammed Ahmad Al-Shaer"), "{found}");
        assert!(found.contains("اسم العائلة"), "evidence in words: {found}");
        assert!(found.contains("OXFAM"), "its aid: {found}");
        shot(&tab, &shots, "search-results-ar");
        // Another agency serves the same family, in Arabic, in an overlapping period: a flag.
        let (s, second) = app.post("/v1/records", &wfp, &arabic_record("wfp-1"));
        assert_eq!(s, 201, "{second}");
        assert!(second["flags"].as_array().is_some_and(|f| !f.is_empty()), "a flag to review: {second}");
        overlapping_pairs(&app, &ox, &wfp, 12);
        // The same in English.
        click_and_wait(&tab, "header .who a.lang");
        tab.wait_for_element("#q").expect("box").click().expect("focus");
        tab.send_character("محمد أحمد الشاعر").expect("type the name");
        click_and_wait(&tab, "form[action='/ui/search'] button[type=submit]");
        tab.wait_for_element("article.candidate").expect("a candidate");
        assert!(text(&tab).contains("Family name"));
        shot(&tab, &shots, "search-results-en");

        // The household, in English then Arabic.
        click_and_wait(&tab, "article.candidate a.button");
        let household = text(&tab);
        assert!(household.contains("Aid from every agency") && household.contains("WFP"), "{household}");
        shot(&tab, &shots, "household-en");
        click_and_wait(&tab, "header .who a.lang");
        shot(&tab, &shots, "household-ar");

        // Confirm a flag from the review queue, with a note.
        go(&tab, &format!("{base}/ui/review"));
        shot(&tab, &shots, "review-ar");
        let form = tab.wait_for_element("form.review textarea").expect("note");
        form.click().expect("focus");
        tab.send_character("زيارة منزلية: الأسرة نفسها").expect("note");
        let action = tab
            .evaluate("document.querySelector('form.review').getAttribute('action')", false)
            .expect("action")
            .value
            .and_then(|v| v.as_str().map(str::to_owned))
            .expect("form action");
        let flag_id = action.trim_start_matches("/ui/review/").to_owned();
        click_and_wait(&tab, "form.review button[value=confirm]");
        tab.wait_for_element("p.notice").expect("the confirmation notice");
        shot(&tab, &shots, "review-confirmed-ar");
        let (_, flags) = app.get("/v1/flags?status=confirmed", &cw);
        assert!(flags["flags"].as_array().expect("flags").iter().any(|f| f["flag_id"] == flag_id.as_str()), "{flags}");
        go(&tab, &format!("{base}/ui/review?lang=en"));
        shot(&tab, &shots, "review-en");
        // A caseworker may not see the report.
        go(&tab, &format!("{base}/ui/reports"));
        assert!(text(&tab).contains("Not allowed"));
        shot(&tab, &shots, "forbidden-en");

        // Sign out, sign in as the auditor, read the report and download it.
        go(&tab, &format!("{base}/ui/search"));
        click_and_wait(&tab, "header form[action='/ui/logout'] button");
        assert!(tab.get_url().contains("/ui/login"));
        go(&tab, &format!("{base}/ui/login?next=%2Fui%2Freports&lang=en"));
        shot(&tab, &shots, "login-en");
        tab.wait_for_element("#key").expect("key field").click().expect("focus");
        tab.send_character(&aud).expect("type key");
        click_and_wait(&tab, "form[action='/ui/login'] button[type=submit]");
        tab.wait_for_element("#rows").expect("report rows");
        assert!(text(&tab).contains("Overlapping aid report"));
        shot(&tab, &shots, "reports-en");
        go(&tab, &format!("{base}/ui/reports?lang=ar"));
        tab.wait_for_element("#rows").expect("report rows");
        shot(&tab, &shots, "reports-ar");
        tab.call_method(CdpBrowser::SetDownloadBehavior {
            behavior: CdpBrowser::SetDownloadBehaviorBehaviorOption::Allow,
            browser_context_id: None,
            download_path: Some(downloads.path().to_string_lossy().into_owned()),
            events_enabled: None,
        })
        .expect("allow downloads");
        tab.wait_for_element("#csv").expect("CSV link").click().expect("download");
        let file = downloads.path().join("overlaps.csv");
        let deadline = Instant::now() + Duration::from_secs(20);
        while !file.exists() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(100));
        }
        let bytes = std::fs::read(&file).expect("the CSV was downloaded");
        let body = String::from_utf8(bytes).expect("UTF-8");
        let mut reader = csv::Reader::from_reader(body.trim_start_matches('\u{FEFF}').as_bytes());
        let header = reader.headers().expect("header").clone();
        assert_eq!(header.get(0), Some("flag_id"));
        let agency = header.iter().position(|h| h == "agency").expect("agency column");
        let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("a CSV row")).collect();
        assert!(rows.len() >= 13, "{} rows", rows.len());
        assert!(rows.iter().all(|r| ["OXFAM", "WFP"].contains(&r.get(agency).unwrap_or_default())));
        let (_, api) = app.get("/v1/reports/overlaps?limit=1", &aud);
        assert_eq!(rows.len() as u64, api["totals"]["rows"].as_u64().expect("rows"));

        // The API docs render from /openapi.json with nothing but the gateway.
        go(&tab, &format!("{base}/docs?lang=en"));
        tab.wait_for_element("#docs[data-ready='1']").expect("docs rendered");
        let docs = text(&tab);
        assert!(docs.contains("/v1/records") && docs.contains("/v1/households/search"), "{docs}");
        shot(&tab, &shots, "docs-en");
        go(&tab, &format!("{base}/docs?lang=ar"));
        tab.wait_for_element("#docs[data-ready='1']").expect("docs rendered");
        tab.wait_for_element("details.op summary").expect("an operation").click().expect("open it");
        shot(&tab, &shots, "docs-ar");
        eprintln!("screenshots in {}", shots.display());
    }
}

/// The report pages with 100,000 rows: run by hand in release mode
/// (`cargo test --release --test api pages::report_of_a_hundred_thousand_rows -- --ignored --nocapture`).
#[test]
#[ignore = "slow: 200,000 records; run by hand in release mode"]
fn report_of_a_hundred_thousand_rows() {
    let app = TestApp::start(Backend::Sqlite);
    let a = app.agency("UNRWA", "submitter");
    let b = app.agency("WFP", "submitter");
    let aud = app.agency("AUD", "auditor");
    let started = std::time::Instant::now();
    for chunk in 0..10 {
        let records = |prefix: &str| -> Vec<Value> {
            (0..10_000)
                .map(|j| {
                    let i = chunk * 10_000 + j;
                    json!({"external_id": format!("{prefix}-{i}"),
                        "assistance": {"type": "cash", "amount": 100.0, "currency": "ILS",
                                       "period_start": format!("2025-{:02}-01", 1 + i % 12), "period_end": "2026-12-31"},
                        "members": [{"role": "head", "name": format!("person {}", to_letters(i)),
                                     "national_id": format!("{}", 100_000_001 + i)}]})
                })
                .collect()
        };
        for (key, prefix) in [(&a, "a"), (&b, "b")] {
            let (s, out) = app.post("/v1/records/batch", key, &json!({"records": records(prefix)}));
            assert_eq!(s, 200, "{out}");
        }
    }
    eprintln!("stored 200,000 records in {:?}", started.elapsed());
    let mut c = Client::signed_in(&app, &aud);
    let t = std::time::Instant::now();
    let first = c.get("/ui/reports");
    assert_eq!(first.status, 200);
    eprintln!("first page (totals, charts, 100 rows) in {:?}, {} bytes", t.elapsed(), first.body.len());
    let at = first.body.find("id=\"next\" href=\"").expect("a next page") + 16;
    let href = first.body[at..].split('"').next().expect("href").replace("&amp;", "&");
    let t = std::time::Instant::now();
    assert_eq!(c.get(&href).status, 200);
    eprintln!("second page in {:?}", t.elapsed());
    let t = std::time::Instant::now();
    let csv = c.get("/ui/reports/overlaps.csv");
    assert_eq!(csv.status, 200);
    let lines = csv.body.lines().count();
    eprintln!("CSV of {lines} lines in {:?}", t.elapsed());
    // Every pair overlaps (100,000 certain by ID); names this alike add possible pairs too.
    let (_, totals) = app.get("/v1/reports/overlaps?limit=1", &aud);
    let rows = totals["totals"]["rows"].as_u64().expect("rows") as usize;
    assert!(rows >= 100_000, "{rows}");
    assert_eq!(lines, rows + 1, "a header and every row");
}

/// A number as letters, for names that differ without digits.
fn to_letters(mut n: usize) -> String {
    let mut s = String::new();
    for _ in 0..4 {
        s.push((b'a' + (n % 26) as u8) as char);
        n /= 26;
    }
    s
}
