//! The test harness: a real gateway on a free port over a database of its own (a temporary
//! SQLite file, or a fresh PostgreSQL schema dropped afterwards), and a small HTTP client.

use std::net::TcpListener;
use std::thread::JoinHandle;

use actix_web::dev::ServerHandle;
use bawaba::service::audit::AuditLog;
use bawaba::service::{Services, Settings};
use bawaba::store::{DbConn, DbTarget};
use diesel::connection::SimpleConnection;
use serde_json::{Value, json};

/// The tests' master key: as long and varied as the gateway demands (32 characters at least).
pub const MASTER: &str = "test-master-key-0123456789abcdefghij";

/// The tests' data key on PostgreSQL, where the gateway needs one (`BAWABA_DATA_KEY`). On SQLite
/// the tests give none: the gateway makes its key file beside the database, as on first start.
pub const DATA_KEY: &str = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A database that lives as long as the test.
pub struct TestDb {
    pub url: String,
    _dir: Option<tempfile::TempDir>,
    pg_schema: Option<(String, String)>,
    /// The audit log of the gateway running on it: flushed before rows are counted, since
    /// reads queue their events and answer before they are stored.
    audit: Option<AuditLog>,
}

impl TestDb {
    pub fn new(backend: Backend) -> TestDb {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("temp dir");
                let url = dir.path().join("bawaba.db").to_string_lossy().into_owned();
                TestDb { url, _dir: Some(dir), pg_schema: None, audit: None }
            }
            Backend::Postgres => {
                let admin = std::env::var("BAWABA_TEST_POSTGRES_URL")
                    .expect("BAWABA_TEST_POSTGRES_URL is set for PostgreSQL tests");
                // Without TLS unless the URL asks for it: the test binary's gateways share its
                // process, and a libpq connection over TLS still in use by one of their threads
                // as the binary exits met OpenSSL's exit-time cleanup (its locks freed under it:
                // the `bawaba-audit` thread crashed in `pthread_rwlock_wrlock` after every test
                // had passed, 2026-12-01). The machine's PostgreSQL has `ssl = on`.
                let admin = if admin.contains("sslmode=") {
                    admin
                } else {
                    format!("{admin}{}sslmode=disable", if admin.contains('?') { '&' } else { '?' })
                };
                let schema = format!("t_{}", uuid::Uuid::now_v7().simple());
                let mut conn =
                    DbTarget::parse(&admin).and_then(|t| t.connect()).expect("connect to the test PostgreSQL");
                conn.batch_execute(&format!("CREATE SCHEMA {schema}")).expect("create schema");
                let sep = if admin.contains('?') { '&' } else { '?' };
                let url = format!("{admin}{sep}options=-csearch_path%3D{schema}");
                TestDb { url, _dir: None, pg_schema: Some((admin, schema)), audit: None }
            }
        }
    }

    /// Whether this is a PostgreSQL schema.
    pub fn is_postgres(&self) -> bool {
        self.pg_schema.is_some()
    }

    pub fn connect(&self) -> DbConn {
        DbTarget::parse(&self.url).and_then(|t| t.connect()).expect("connect to the test database")
    }

    /// Rows in a table (the audit events queued so far stored first).
    pub fn count(&self, table: &str) -> i64 {
        if let Some(a) = &self.audit {
            // A gateway already stopped has written them all.
            let _ = a.flush();
        }
        use diesel::RunQueryDsl;
        #[derive(diesel::QueryableByName)]
        struct N {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        let mut c = self.connect();
        diesel::sql_query(format!("SELECT COUNT(*) AS n FROM {table}")).get_result::<N>(&mut c).expect("count rows").n
    }

    /// Row counts of every table that intake writes.
    pub fn counts(&self) -> [i64; 5] {
        ["households", "records", "persons", "flags", "audit_events"].map(|t| self.count(t))
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some((admin, schema)) = &self.pg_schema
            && let Ok(mut c) = DbTarget::parse(admin).and_then(|t| t.connect())
        {
            let _ = c.batch_execute(&format!("DROP SCHEMA {schema} CASCADE"));
        }
    }
}

/// The environment a spawned `bawaba` needs for its data key: `BAWABA_DATA_KEY` on PostgreSQL;
/// on SQLite nothing (it reads the key file beside the database).
pub fn data_key_env(database_url: &str) -> Vec<(&'static str, &'static str)> {
    if database_url.starts_with("postgres") { vec![("BAWABA_DATA_KEY", DATA_KEY)] } else { vec![] }
}

/// A running gateway.
pub struct TestApp {
    pub base: String,
    /// Declared before `db`, so dropped first: the server stops (and flushes its queued audit
    /// events) before a PostgreSQL test's schema is dropped under it.
    running: Running,
    pub db: TestDb,
}

/// The server thread; stopped when dropped.
struct Running {
    handle: Option<ServerHandle>,
    thread: Option<JoinHandle<()>>,
}

impl TestApp {
    pub fn start(backend: Backend) -> TestApp {
        Self::start_on(TestDb::new(backend))
    }

    pub fn start_on(db: TestDb) -> TestApp {
        Self::start_with(db, |_| ())
    }

    /// A gateway whose settings `tweak` changes first (tight rate limits, another master key).
    pub fn start_with(db: TestDb, tweak: impl FnOnce(&mut Settings)) -> TestApp {
        let mut settings = Self::settings(&db);
        tweak(&mut settings);
        Self::start_settings(db, settings)
    }

    /// The settings a test gateway starts with.
    pub fn settings(db: &TestDb) -> Settings {
        Settings {
            database_url: db.url.clone(),
            master_key: Some(MASTER.into()),
            data_key: db.is_postgres().then(|| DATA_KEY.into()),
            overlap_policy: Default::default(),
            pool_size: 4,
            sqlite_max_mb: None,
            sqlite_wal_mb: bawaba::service::wal::DEFAULT_MB,
            match_config: Default::default(),
            rate_limits: Default::default(),
            key_rotation_grace: std::time::Duration::from_secs(24 * 60 * 60),
            webhooks: Default::default(),
            advertise: None,
        }
    }

    fn start_settings(mut db: TestDb, settings: Settings) -> TestApp {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a free port");
        let base = format!("http://{}", listener.local_addr().expect("local addr"));
        let (tx, rx) = std::sync::mpsc::channel();
        let thread = std::thread::spawn(move || {
            let services = Services::start(&settings).expect("services start");
            let audit = services.audit.clone();
            actix_web::rt::System::new().block_on(async move {
                let server = bawaba::server(listener, services, Some(2)).expect("server");
                tx.send((server.handle(), audit.clone())).expect("send handle");
                server.await.expect("server ran");
                // As `bawaba serve` does at a clean stop.
                audit.flush().expect("queued audit events stored");
            });
        });
        let (handle, audit) = rx.recv().expect("server started");
        db.audit = Some(audit);
        TestApp { base, db, running: Running { handle: Some(handle), thread: Some(thread) } }
    }

    /// Stops the server and hands the database back, to start again on it.
    pub fn stop(self) -> TestDb {
        let TestApp { db, running, .. } = self;
        drop(running);
        db
    }

    pub fn req(&self, method: &str, path: &str, key: Option<&str>, body: Option<&Value>) -> (u16, Value) {
        let mut r = ureq::request(method, &format!("{}{path}", self.base));
        if let Some(k) = key {
            r = r.set("Authorization", &format!("Bearer {k}"));
        }
        let res = match body {
            Some(b) => r.send_json(b.clone()),
            None => r.call(),
        };
        read(res)
    }

    pub fn raw(&self, method: &str, path: &str, key: Option<&str>, body: &[u8]) -> (u16, Value) {
        let mut r = ureq::request(method, &format!("{}{path}", self.base)).set("Content-Type", "application/json");
        if let Some(k) = key {
            r = r.set("Authorization", &format!("Bearer {k}"));
        }
        read(r.send_bytes(body))
    }

    pub fn get(&self, path: &str, key: &str) -> (u16, Value) {
        self.req("GET", path, Some(key), None)
    }

    pub fn post(&self, path: &str, key: &str, body: &Value) -> (u16, Value) {
        self.req("POST", path, Some(key), Some(body))
    }

    /// Makes an agency (or adds a role to it) and returns the key.
    pub fn agency(&self, code: &str, role: &str) -> String {
        let (status, body) =
            self.post("/v1/agencies", MASTER, &json!({"code": code, "name": format!("{code} agency"), "role": role}));
        assert_eq!(status, 201, "{body}");
        body["api_key"].as_str().expect("api_key").to_owned()
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(h) = self.handle.take() {
            actix_web::rt::System::new().block_on(h.stop(true));
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn read(res: Result<ureq::Response, ureq::Error>) -> (u16, Value) {
    let resp = match res {
        Ok(r) => r,
        Err(ureq::Error::Status(_, r)) => r,
        Err(e) => panic!("transport error: {e}"),
    };
    let status = resp.status();
    // Read whole: `into_string` stops at 10 MB, and a batch of 3,000 records answers more.
    let mut text = String::new();
    let _ = std::io::Read::read_to_string(&mut resp.into_reader(), &mut text);
    (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

/// A record body as in API.md.
pub fn record(external_id: &str) -> Value {
    json!({
        "external_id": external_id,
        "assistance": {"type": "cash", "program": "winter-2026", "amount": 750.0, "currency": "ILS",
                        "period_start": "2026-01-01", "period_end": "2026-03-31"},
        "location": {"governorate": "الخليل", "locality": "يطا"},
        "members": [
            {"role": "head", "name": "محمد احمد محمود الشاعر", "national_id": "401234563",
             "date_of_birth": "1980-05-01", "sex": "M", "phone": "+970599123456"},
            {"role": "spouse", "name": "فاطمة علي حسن الشاعر", "date_of_birth": "1984", "sex": "F"}
        ]
    })
}

/// Declares each test once per backend: `sqlite::name` always, `postgres::name` when a test
/// database is given (ignored, and so reported, otherwise).
#[macro_export]
macro_rules! both_backends {
    ($($name:ident),+ $(,)?) => {
        mod sqlite {
            $(#[test] fn $name() { super::$name($crate::support::Backend::Sqlite) })+
        }
        mod postgres {
            $(
                #[test]
                #[cfg_attr(not(pg_tests), ignore = "set BAWABA_TEST_POSTGRES_URL to run against PostgreSQL")]
                fn $name() { super::$name($crate::support::Backend::Postgres) }
            )+
        }
    };
}

/// What every Chromium test does: start a headless browser, go to a page, click and wait for
/// the next, read the text, take a screenshot.
pub mod chromium {
    use std::ffi::OsStr;
    use std::path::{Path, PathBuf};
    use std::time::{Duration, Instant};

    use headless_chrome::protocol::cdp::Page;
    use headless_chrome::{Browser, LaunchOptions, Tab};

    /// Where screenshots go: `BAWABA_SCREENSHOTS`, or a temp dir when unset (made).
    pub fn shots_dir() -> PathBuf {
        let dir = match std::env::var_os("BAWABA_SCREENSHOTS") {
            Some(d) => PathBuf::from(d),
            None => std::env::temp_dir().join(format!("bawaba-shots-{}", std::process::id())),
        };
        std::fs::create_dir_all(&dir).expect("screenshot dir");
        dir
    }

    pub fn launch(profile: &Path) -> Browser {
        let args: Vec<&OsStr> = ["--disable-gpu", "--disable-background-networking", "--no-first-run", "--lang=ar"]
            .iter()
            .map(OsStr::new)
            .collect();
        Browser::new(LaunchOptions {
            headless: true,
            sandbox: false,
            path: Some(PathBuf::from("/usr/bin/chromium")),
            user_data_dir: Some(profile.to_path_buf()),
            window_size: Some((1280, 900)),
            args,
            idle_browser_timeout: Duration::from_secs(120),
            ..Default::default()
        })
        .expect("start chromium")
    }

    /// A screenshot of the whole page, not only what the window shows.
    pub fn shot(tab: &Tab, dir: &Path, name: &str) {
        let size = |what: &str| {
            tab.evaluate(&format!("document.documentElement.{what}"), false)
                .ok()
                .and_then(|r| r.value)
                .and_then(|v| v.as_f64())
                .unwrap_or(900.0)
        };
        let (width, height) = (size("scrollWidth"), size("scrollHeight").min(6000.0));
        let png = tab
            .call_method(Page::CaptureScreenshot {
                format: Some(Page::CaptureScreenshotFormatOption::Png),
                quality: None,
                clip: Some(Page::Viewport { x: 0.0, y: 0.0, width, height, scale: 1.0 }),
                from_surface: Some(true),
                capture_beyond_viewport: Some(true),
                optimize_for_speed: None,
            })
            .expect("screenshot");
        use base64::Engine;
        let png = base64::engine::general_purpose::STANDARD.decode(png.data).expect("base64 PNG");
        std::fs::write(dir.join(format!("{name}.png")), png).expect("write screenshot");
    }

    pub fn text(tab: &Tab) -> String {
        tab.evaluate("document.body.innerText", false)
            .expect("innerText")
            .value
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default()
    }

    pub fn go(tab: &Tab, url: &str) {
        tab.navigate_to(url).expect("navigate").wait_until_navigated().expect("navigated");
    }

    /// Clicks something that loads a new page, and waits until the new page has loaded (the
    /// old document's marker is gone and the new one is complete).
    pub fn click_and_wait(tab: &Tab, selector: &str) {
        tab.evaluate("window.__old_page = true", false).expect("mark the page");
        tab.wait_for_element(selector).expect(selector).click().expect("click");
        await_new_page(tab, &format!("clicking {selector}"));
    }

    /// Presses a key that loads a new page, and waits for it (as `click_and_wait`).
    pub fn press_and_wait(tab: &Tab, key: &str) {
        tab.evaluate("window.__old_page = true", false).expect("mark the page");
        tab.press_key(key).expect("press");
        await_new_page(tab, &format!("pressing {key}"));
    }

    /// Waits until the page marked before `what` has gone and the new one is complete.
    fn await_new_page(tab: &Tab, what: &str) {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let fresh = tab
                .evaluate("window.__old_page === undefined && document.readyState === 'complete'", false)
                .ok()
                .and_then(|r| r.value)
                .and_then(|v| v.as_bool())
                .unwrap_or(false);
            if fresh {
                return;
            }
            assert!(Instant::now() < deadline, "no new page after {what}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}
