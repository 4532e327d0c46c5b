//! Sign-in sessions for the pages. A session is a random 256-bit id in the `bawaba_session`
//! cookie (HttpOnly, SameSite=Strict, Secure, Path=/) that maps, in memory and only on the
//! server, to the principal its key authenticated as; the key itself is never kept, put in a URL
//! or written into a page. Each session carries its own CSRF token for the pages' POST forms.
//!
//! Sessions expire after [`IDLE`] without use and [`ABSOLUTE`] after sign-in, and are dropped at
//! sign-out. They live as long as the process: a restart signs everyone out, which is the safe
//! side. The store is process-wide; each session remembers the gateway instance that made it,
//! so two gateways in one process (as in the tests) never accept each other's sessions.

use std::collections::HashMap;
use std::sync::LazyLock;
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use rand::RngCore;
use subtle::ConstantTimeEq;

use crate::service::Services;
use crate::service::auth::Principal;

/// The cookie's name.
pub const COOKIE: &str = "bawaba_session";
/// A session unused for this long is gone.
pub const IDLE: Duration = Duration::from_secs(30 * 60);
/// A session older than this is gone, used or not.
pub const ABSOLUTE: Duration = Duration::from_secs(10 * 60 * 60);
/// Most live sessions; past it the oldest are dropped.
const MAX_SESSIONS: usize = 100_000;

/// A signed-in user.
#[derive(Debug, Clone)]
pub struct Session {
    pub principal: Principal,
    /// The token POST forms must carry.
    pub csrf: String,
    server: usize,
    created: Instant,
    used: Instant,
}

impl Session {
    /// Whether a token sent with a form is this session's (in constant time).
    pub fn csrf_ok(&self, token: &str) -> bool {
        bool::from(self.csrf.as_bytes().ct_eq(token.as_bytes()))
    }
}

static STORE: LazyLock<Mutex<HashMap<String, Session>>> = LazyLock::new(Mutex::default);

/// Identifies one gateway instance (its services) for as long as it runs.
pub fn server_of(s: &Services) -> usize {
    std::sync::Arc::as_ptr(&s.engine) as usize
}

fn random_hex() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

fn live(s: &Session, now: Instant) -> bool {
    now.duration_since(s.used) < IDLE && now.duration_since(s.created) < ABSOLUTE
}

/// Starts a session for `principal`; returns its id.
pub fn create(server: usize, principal: Principal) -> String {
    let id = random_hex();
    let now = Instant::now();
    let session = Session { principal, csrf: random_hex(), server, created: now, used: now };
    let mut store = STORE.lock();
    store.retain(|_, s| live(s, now));
    if store.len() >= MAX_SESSIONS
        && let Some(oldest) = store.iter().min_by_key(|(_, s)| s.used).map(|(k, _)| k.clone())
    {
        store.remove(&oldest);
    }
    store.insert(id.clone(), session);
    id
}

/// The live session behind `id` on this server, marking it used.
pub fn get(server: usize, id: &str) -> Option<Session> {
    if id.len() != 64 {
        return None;
    }
    let now = Instant::now();
    let mut store = STORE.lock();
    let s = store.get_mut(id)?;
    if s.server != server {
        return None;
    }
    if !live(s, now) {
        store.remove(id);
        return None;
    }
    s.used = now;
    Some(s.clone())
}

/// Ends a session.
pub fn remove(id: &str) {
    STORE.lock().remove(id);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::service::auth::Role;

    fn who() -> Principal {
        Principal { key_id: None, agency_id: None, agency_code: None, role: Role::Auditor }
    }

    #[test]
    fn sessions_are_per_server_and_end() {
        let id = create(1, who());
        assert_eq!(id.len(), 64);
        assert!(get(2, &id).is_none(), "another server's session is refused");
        let s = get(1, &id).expect("live");
        assert!(s.csrf_ok(&s.csrf.clone()));
        assert!(!s.csrf_ok("nope"));
        remove(&id);
        assert!(get(1, &id).is_none());
    }
}
