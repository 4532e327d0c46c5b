//! Sign-in sessions for the pages. A session is a random 256-bit id (the pages keep it in a
//! cookie) that maps, only on the server, to who signed in; each carries its own CSRF token for
//! the pages' POST forms.
//!
//! Named users ([`sign_in_user`], username and password) have their sessions in the database
//! (`user_sessions`, the id kept only as its SHA-256): they survive a restart and are shared by
//! every process. Each page reads the session with its user, so a disabled user, or one whose
//! role or scope changed, is stopped or changed at the next page. Sessions signed in with a key
//! ([`sign_in`]) stay in memory, as below.
//!
//! Sessions expire after [`IDLE`] without use and [`ABSOLUTE`] after sign-in, and are dropped at
//! sign-out. The store is part of the services' state, so two gateways in one process (as in the
//! tests) never see each other's sessions; it lives as long as the process, so a restart signs
//! everyone out, which is the safe side.
//!
//! Failed sign-ins are throttled: after [`MAX_FAILURES_PER_KEY`] failures within
//! [`FAILURE_WINDOW`] with keys that begin alike (their first [`KEY_PREFIX_CHARS`] characters,
//! what stands for a user name here), or [`MAX_FAILURES_PER_ADDRESS`] from one client address
//! (IPv6 by its /64; more, as an office shares one address), sign-in with such a key or from
//! there is refused with `rate_limited` until the window ends, before the key is even looked
//! at. A successful sign-in clears its key's count, not its address's.

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use rand::RngCore;
use subtle::ConstantTimeEq;

use super::Services;
use super::auth::Principal;
use super::error::ServiceError;
use crate::store::models::UserSessionRow;
use crate::store::queries;

/// A session unused for this long is gone.
pub const IDLE: Duration = Duration::from_secs(30 * 60);
/// A session older than this is gone, used or not.
pub const ABSOLUTE: Duration = Duration::from_secs(10 * 60 * 60);
/// Most live sessions; past it the oldest are dropped.
const MAX_SESSIONS: usize = 100_000;
/// Failed sign-ins allowed in one window with keys that begin alike.
pub const MAX_FAILURES_PER_KEY: u32 = 5;
/// Failed sign-ins allowed in one window from one address.
pub const MAX_FAILURES_PER_ADDRESS: u32 = 20;
/// The window failed sign-ins are counted in, from the first of them.
pub const FAILURE_WINDOW: Duration = Duration::from_secs(10 * 60);
/// Characters of a key that name whose it is, for the throttle.
pub const KEY_PREFIX_CHARS: usize = 12;
/// Most addresses and prefixes whose failures are remembered.
const MAX_FAILING: usize = 100_000;

/// A signed-in user.
#[derive(Debug, Clone)]
pub struct Session {
    pub principal: Principal,
    /// A named user's display name.
    pub display_name: Option<String>,
    /// The token POST forms must carry.
    pub csrf: String,
    created: Instant,
    used: Instant,
}

impl Session {
    /// Whether a token sent with a form is this session's (in constant time).
    pub fn csrf_ok(&self, token: &str) -> bool {
        bool::from(self.csrf.as_bytes().ct_eq(token.as_bytes()))
    }
}

/// The live sessions of one gateway, and its recent failed sign-ins.
#[derive(Debug, Default)]
pub struct Sessions {
    store: Mutex<HashMap<String, Session>>,
    failures: Mutex<HashMap<Failing, Failures>>,
}

/// Who failed to sign in: an address or a key prefix.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Failing {
    Address(IpAddr),
    KeyPrefix(String),
}

impl Failing {
    /// Failures allowed in one window.
    fn allowed(&self) -> u32 {
        match self {
            Failing::Address(_) => MAX_FAILURES_PER_ADDRESS,
            Failing::KeyPrefix(_) => MAX_FAILURES_PER_KEY,
        }
    }
}

/// Failed sign-ins in the window that began at `since`.
#[derive(Debug, Clone, Copy)]
struct Failures {
    count: u32,
    since: Instant,
}

fn random_hex() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// A new random token (256 bits, hex), e.g. for the sign-in form's CSRF cookie.
pub fn new_token() -> String {
    random_hex()
}

/// Whether two tokens are the same, in constant time (and never when empty).
pub fn same_token(a: &str, b: &str) -> bool {
    !a.is_empty() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

fn live(s: &Session, now: Instant) -> bool {
    now.duration_since(s.used) < IDLE && now.duration_since(s.created) < ABSOLUTE
}

impl Sessions {
    /// Starts a session for `principal`; returns its id.
    pub fn create(&self, principal: Principal) -> String {
        let id = random_hex();
        let now = Instant::now();
        let session = Session { principal, display_name: None, csrf: random_hex(), created: now, used: now };
        let mut store = self.store.lock();
        store.retain(|_, s| live(s, now));
        if store.len() >= MAX_SESSIONS
            && let Some(oldest) = store.iter().min_by_key(|(_, s)| s.used).map(|(k, _)| k.clone())
        {
            store.remove(&oldest);
        }
        store.insert(id.clone(), session);
        id
    }

    /// The live session behind `id`, marking it used.
    pub fn get(&self, id: &str) -> Option<Session> {
        if id.len() != 64 {
            return None;
        }
        let now = Instant::now();
        let mut store = self.store.lock();
        let s = store.get_mut(id)?;
        if !live(s, now) {
            store.remove(id);
            return None;
        }
        s.used = now;
        Some(s.clone())
    }

    /// Ends a session.
    pub fn remove(&self, id: &str) {
        self.store.lock().remove(id);
    }

    /// How long until any of `who` may try to sign in again, if one is throttled.
    fn throttled(&self, who: &[Failing], now: Instant) -> Option<Duration> {
        let failures = self.failures.lock();
        who.iter()
            .filter_map(|w| failures.get(w).filter(|f| f.count >= w.allowed()))
            .filter_map(|f| (f.since + FAILURE_WINDOW).checked_duration_since(now))
            .filter(|d| !d.is_zero())
            .max()
    }

    /// Counts a failed sign-in against each of `who`.
    fn failed(&self, who: &[Failing], now: Instant) {
        let mut failures = self.failures.lock();
        if failures.len() >= MAX_FAILING {
            failures.retain(|_, f| now.duration_since(f.since) < FAILURE_WINDOW);
            if failures.len() >= MAX_FAILING {
                // Still full of live windows: forget one to remember the newest.
                if let Some(k) = failures.keys().next().cloned() {
                    failures.remove(&k);
                }
            }
        }
        for w in who {
            let f = failures.entry(w.clone()).or_insert(Failures { count: 0, since: now });
            if now.duration_since(f.since) >= FAILURE_WINDOW {
                *f = Failures { count: 0, since: now };
            }
            f.count += 1;
        }
    }

    /// Forgets the failures of one of `who` (its key prefix, after a successful sign-in).
    fn succeeded(&self, who: &Failing) {
        self.failures.lock().remove(who);
    }
}

/// Signs in a named user with username and password (blocking), from client address `from`:
/// a new session in the database, after ending the browser's previous one. Throttled as key
/// sign-ins are, the username standing for the key's prefix. A disabled user, an unknown name
/// and a wrong password are refused alike (`unauthorized`).
pub fn sign_in_user(
    s: &Services,
    username: &str,
    password: &str,
    previous: Option<&str>,
    from: Option<IpAddr>,
) -> Result<String, ServiceError> {
    let username = username.trim().to_lowercase();
    let name = Failing::KeyPrefix(format!("user:{}", username.chars().take(64).collect::<String>()));
    let who = [Failing::Address(super::limits::address_key(from)), name.clone()];
    let now = Instant::now();
    if let Some(wait) = s.sessions.throttled(&who, now) {
        s.metrics.rate_limited.with_label_values(&["sign_in"]).inc();
        return Err(ServiceError::RateLimited(super::limits::seconds(wait)));
    }
    let mut conn = s.conn()?;
    let found = if username.is_empty() || username.len() > 64 || password.len() > 1024 {
        None
    } else {
        queries::user_by_name(&mut conn, &username)?
    };
    // The hash is checked even for an unknown name, so that timing does not tell names apart.
    let hash = found.as_ref().map_or(DUMMY_HASH.as_str(), |(u, _)| u.password_hash.as_str());
    let matches = super::access::password_ok(password, hash);
    let Some((user, _)) = found.filter(|(u, _)| matches && u.disabled == 0) else {
        s.sessions.failed(&who, now);
        return Err(ServiceError::Unauthorized);
    };
    s.sessions.succeeded(&name);
    if let Some(old) = previous {
        end(s, old)?;
    }
    let id = random_hex();
    let at = super::ids::now();
    // Sessions unused past the idle limit are gone anyway: forget them as new ones are made.
    let stale = chrono::Utc::now() - chrono::Duration::from_std(IDLE).unwrap_or(chrono::Duration::minutes(30));
    queries::delete_sessions_before(&mut conn, &stale.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))?;
    queries::insert_session(
        &mut conn,
        &UserSessionRow {
            id_hash: super::auth::hash_key(&id),
            user_id: user.id.clone(),
            csrf: random_hex(),
            created_at: at.clone(),
            used_at: at,
        },
    )?;
    Ok(id)
}

/// A hash no password gives, checked when the username is unknown.
static DUMMY_HASH: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| super::access::hash_password(&random_hex()).unwrap_or_default());

/// The live session behind a cookie's `id` (blocking: a user's session is read from the
/// database, with its user): a key's session from memory, else a user's, unless it expired,
/// or its user is disabled. Marks it used (a user's, at most once a minute).
pub fn session(s: &Services, id: &str) -> Result<Option<Session>, ServiceError> {
    if id.len() != 64 {
        return Ok(None);
    }
    if let Some(found) = s.sessions.get(id) {
        return Ok(Some(found));
    }
    let hash = super::auth::hash_key(id);
    let mut conn = s.conn()?;
    let Some((row, user, agency)) = queries::session_by_hash(&mut conn, &hash)? else {
        return Ok(None);
    };
    let age = |t: &str| {
        chrono::DateTime::parse_from_rfc3339(t)
            .ok()
            .and_then(|t| (chrono::Utc::now() - t.with_timezone(&chrono::Utc)).to_std().ok())
            .unwrap_or(Duration::MAX)
    };
    let (lived, idle) = (age(&row.created_at), age(&row.used_at));
    if user.disabled != 0 || lived >= ABSOLUTE || idle >= IDLE {
        queries::delete_session(&mut conn, &hash)?;
        return Ok(None);
    }
    if idle >= Duration::from_secs(60) {
        queries::touch_session(&mut conn, &hash, &super::ids::now())?;
    }
    let principal = super::access::principal_of(&user, &agency)?;
    let now = Instant::now();
    Ok(Some(Session { principal, display_name: Some(user.display_name), csrf: row.csrf, created: now, used: now }))
}

/// Ends a session, a key's or a user's (blocking).
pub fn end(s: &Services, id: &str) -> Result<(), ServiceError> {
    s.sessions.remove(id);
    queries::delete_session(&mut *s.conn()?, &super::auth::hash_key(id))?;
    Ok(())
}

/// Signs in with a key (blocking), from client address `from`: a new session for the principal
/// it authenticates as, after ending the session the browser had, if any (no fixation).
/// Returns the new session's id. Refused with `rate_limited` after too many failures from that
/// address or with keys that begin alike (see the module's header).
pub fn sign_in(s: &Services, key: &str, previous: Option<&str>, from: Option<IpAddr>) -> Result<String, ServiceError> {
    let key = key.trim();
    let prefix = Failing::KeyPrefix(key.chars().take(KEY_PREFIX_CHARS).collect());
    let who = [Failing::Address(super::limits::address_key(from)), prefix.clone()];
    let now = Instant::now();
    if let Some(wait) = s.sessions.throttled(&who, now) {
        s.metrics.rate_limited.with_label_values(&["sign_in"]).inc();
        return Err(ServiceError::RateLimited(super::limits::seconds(wait)));
    }
    let principal =
        if key.is_empty() || key.len() > 512 { Err(ServiceError::Unauthorized) } else { s.authenticate(key) };
    let principal = match principal {
        Err(ServiceError::Unauthorized) => {
            s.sessions.failed(&who, now);
            return Err(ServiceError::Unauthorized);
        }
        other => other?,
    };
    s.sessions.succeeded(&prefix);
    if let Some(old) = previous {
        s.sessions.remove(old);
    }
    Ok(s.sessions.create(principal))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::service::auth::Role;

    fn who() -> Principal {
        Principal::new(None, None, Role::Auditor)
    }

    #[test]
    fn sessions_are_per_gateway_and_end() {
        let (one, two) = (Sessions::default(), Sessions::default());
        let id = one.create(who());
        assert_eq!(id.len(), 64);
        assert!(two.get(&id).is_none(), "another gateway's session is refused");
        let s = one.get(&id).expect("live");
        assert!(s.csrf_ok(&s.csrf.clone()));
        assert!(!s.csrf_ok("nope"));
        one.remove(&id);
        assert!(one.get(&id).is_none());
    }

    #[test]
    fn failed_sign_ins_are_throttled_per_address_and_prefix() {
        let sessions = Sessions::default();
        let now = Instant::now();
        let here = Failing::Address("10.0.0.1".parse().expect("ip"));
        let there = Failing::Address("10.0.0.2".parse().expect("ip"));
        let key = |p: &str| Failing::KeyPrefix(p.to_owned());
        for i in 0..MAX_FAILURES_PER_ADDRESS {
            assert!(sessions.throttled(&[here.clone(), key(&format!("k{i}"))], now).is_none());
            sessions.failed(&[here.clone(), key(&format!("k{i}"))], now);
        }
        let wait = sessions.throttled(&[here.clone(), key("other")], now).expect("this address is throttled");
        assert!(wait <= FAILURE_WINDOW && wait > FAILURE_WINDOW / 2);
        assert!(sessions.throttled(&[there.clone(), key("other")], now).is_none(), "another address is not");
        assert!(sessions.throttled(std::slice::from_ref(&here), now + FAILURE_WINDOW).is_none(), "the window ends");
        // Five failures with one prefix from five addresses throttle that prefix.
        for i in 0..MAX_FAILURES_PER_KEY {
            let from = Failing::Address(format!("10.1.0.{i}").parse().expect("ip"));
            sessions.failed(&[from, key("bwb_12345678")], now);
        }
        assert!(sessions.throttled(&[there.clone(), key("bwb_12345678")], now).is_some());
        sessions.succeeded(&key("bwb_12345678"));
        assert!(sessions.throttled(&[there, key("bwb_12345678")], now).is_none());
    }
}
