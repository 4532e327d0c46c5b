//! Sign-in sessions for the pages. A session is a random 256-bit id (the pages keep it in a
//! cookie) that maps, in memory and only on the server, to the principal its key authenticated
//! as; the key itself is never kept. Each session carries its own CSRF token for the pages'
//! POST forms.
//!
//! Sessions expire after [`IDLE`] without use and [`ABSOLUTE`] after sign-in, and are dropped at
//! sign-out. The store is part of the services' state, so two gateways in one process (as in the
//! tests) never see each other's sessions; it lives as long as the process, so a restart signs
//! everyone out, which is the safe side.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use rand::RngCore;
use subtle::ConstantTimeEq;

use super::Services;
use super::auth::Principal;
use super::error::ServiceError;
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
    created: Instant,
    used: Instant,
}

impl Session {
    /// Whether a token sent with a form is this session's (in constant time).
    pub fn csrf_ok(&self, token: &str) -> bool {
        bool::from(self.csrf.as_bytes().ct_eq(token.as_bytes()))
    }
}

/// The live sessions of one gateway.
#[derive(Debug, Default)]
pub struct Sessions {
    store: Mutex<HashMap<String, Session>>,
}

fn random_hex() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

fn live(s: &Session, now: Instant) -> bool {
    now.duration_since(s.used) < IDLE && now.duration_since(s.created) < ABSOLUTE
}

impl Sessions {
    /// Starts a session for `principal`; returns its id.
    pub fn create(&self, principal: Principal) -> String {
        let id = random_hex();
        let now = Instant::now();
        let session = Session { principal, csrf: random_hex(), created: now, used: now };
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
}

/// Signs in with a key (blocking): a new session for the principal it authenticates as, after
/// ending the session the browser had, if any (no fixation). Returns the new session's id.
pub fn sign_in(s: &Services, key: &str, previous: Option<&str>) -> Result<String, ServiceError> {
    let key = key.trim();
    if key.is_empty() || key.len() > 512 {
        return Err(ServiceError::Unauthorized);
    }
    let principal = s.authenticate(key)?;
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
        Principal { key_id: None, agency_id: None, agency_code: None, role: Role::Auditor }
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
}
