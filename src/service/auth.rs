//! Keys and roles. A key is shown once when it is made and stored only as its SHA-256 (keys
//! are 256 random bits, so a fast hash is the right tool); presented keys are hashed and
//! compared in constant time.
//!
//! Known keys are cached in memory after the first look-up, and each cached key is checked
//! again against the database once it is [`REVALIDATE`] old: a key revoked or shortened by
//! another process stops working within that second, here too (a key revoked through this
//! process is dropped from the cache at once). A key past its `expires_at` is refused whatever
//! the cache holds. What the cache answers is answered on the async worker
//! ([`Keys::authenticate_cached`]); only a look-up in the database goes to a blocking thread.
//! When a key was last used is kept in memory and written in batches ([`Keys::take_used`],
//! flushed every [`LAST_USED_FLUSH`]), never with a write per request.
//!
//! Unknown keys are cached too, for
//! [`UNKNOWN_TTL`] and at most [`UNKNOWN_CAPACITY`] of them, so that a flood of one bad key
//! costs no SQL. A new key is still accepted at once: keys are made here, 256 random bits each,
//! so no key can have been presented before it was made, and the use case that makes one
//! forgets it as unknown all the same ([`Keys::forget_unknown`]).
//!
//! The master key must be strong ([`check_master_key`]): the gateway refuses to start with a
//! weak one.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

use parking_lot::RwLock;
use prometheus::IntCounter;
use rand::RngCore;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::service::error::ServiceError;
use crate::store::{DbConn, Pool, queries};

/// A key's role: the contract's words, one enum for the wire, its OpenAPI schema and the
/// gateway.
pub use bawaba_wire::domain::AccessRole as Role;

/// Where a key or a user may look: households with a record in one of these governorates or
/// localities (place codes). A principal with no scope (`None`) sees everywhere.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct Scope {
    #[serde(default)]
    pub governorates: Vec<String>,
    #[serde(default)]
    pub localities: Vec<String>,
}

impl Scope {
    /// Whether a record whose place resolved to these codes is in this scope.
    pub fn holds(&self, governorate_code: Option<&str>, locality_code: Option<&str>) -> bool {
        governorate_code.is_some_and(|g| self.governorates.iter().any(|x| x == g))
            || locality_code.is_some_and(|l| self.localities.iter().any(|x| x == l))
    }

    /// A stored scope (JSON text; none is everywhere). Unreadable text scopes to nowhere, the
    /// safe side.
    pub fn stored(text: Option<&str>) -> Option<Scope> {
        text.map(|t| serde_json::from_str(t).unwrap_or_default())
    }

    /// The stored form.
    pub fn to_stored(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| "{}".to_owned())
    }
}

/// Who is asking: a key (or a named user), its role, its agency (none for the master key), the
/// scope it may see (none: everywhere) and the client address the request came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub key_id: Option<String>,
    pub agency_id: Option<String>,
    pub agency_code: Option<String>,
    pub role: Role,
    /// The named user signed in to the pages, when a person (not a key) is asking.
    pub user_id: Option<String>,
    /// That user's name, for the pages and the audit log.
    pub username: Option<String>,
    /// Where this caller may look; `None` is everywhere.
    pub scope: Option<Scope>,
    /// The client address of the request (set by the edges), for the audit log.
    pub address: Option<String>,
}

impl Principal {
    /// A key's or a user's principal without the per-request parts.
    pub fn new(key_id: Option<String>, agency: Option<(String, String)>, role: Role) -> Principal {
        let (agency_id, agency_code) = agency.map_or((None, None), |(i, c)| (Some(i), Some(c)));
        Principal { key_id, agency_id, agency_code, role, user_id: None, username: None, scope: None, address: None }
    }

    /// The master key: an admin of no agency.
    pub fn master() -> Principal {
        Principal::new(None, None, Role::Admin)
    }

    /// Whether a record whose place resolved to these codes is in this caller's scope (always,
    /// without a scope).
    pub fn in_scope(&self, governorate_code: Option<&str>, locality_code: Option<&str>) -> bool {
        self.scope.as_ref().is_none_or(|s| s.holds(governorate_code, locality_code))
    }

    /// The scope as the store filters by it (`None`: everywhere).
    pub fn scope_codes(&self) -> Option<queries::ScopeCodes> {
        self.scope
            .as_ref()
            .map(|s| queries::ScopeCodes { governorates: s.governorates.clone(), localities: s.localities.clone() })
    }

    /// Who acted, in words: the user's name, the key's id, or `master`.
    pub fn actor(&self) -> String {
        match (&self.username, &self.key_id) {
            (Some(u), _) => u.clone(),
            (None, Some(k)) => format!("key:{k}"),
            (None, None) => "master".to_owned(),
        }
    }

    /// Refuses unless the role is one of `roles`.
    pub fn require(&self, roles: &[Role]) -> Result<(), ServiceError> {
        if roles.contains(&self.role) { Ok(()) } else { Err(ServiceError::Forbidden) }
    }

    /// The operator at the command line (`bawaba report …`): reads like an auditor.
    pub fn operator() -> Principal {
        Principal::new(None, None, Role::Auditor)
    }

    /// Whether this caller sees other agencies' persons' values (names, IDs, dates, phones).
    /// A submitter sees only its own agency's; everyone else's appear as agency and role.
    pub fn sees_others_values(&self) -> bool {
        self.role != Role::Submitter
    }

    /// Whether this caller sees a person's protection marks (`child_protection`,
    /// `women_protection`): the one rule, used wherever a person is shown. Only the agency that
    /// posted them (`posted_by_agency_id`, any of its keys) and caseworkers whose scope holds the
    /// household (`household_places`: the governorate and locality codes of the household's
    /// records) see them; everyone else, the admin and auditors included, sees protection cases
    /// only as counts in reports.
    ///
    /// A caseworker without a scope holds every household; a scoped one holds a household when
    /// one of `household_places` is in scope.
    pub fn sees_protection(
        &self,
        posted_by_agency_id: Option<&str>,
        household_places: &[(Option<String>, Option<String>)],
    ) -> bool {
        if self.agency_id.is_some() && self.agency_id.as_deref() == posted_by_agency_id {
            return true;
        }
        self.role == Role::Caseworker
            && (self.scope.is_none() || household_places.iter().any(|(g, l)| self.in_scope(g.as_deref(), l.as_deref())))
    }

    /// Hides from this caller the evidence values it may not see: a submitter sees the stored
    /// side's value only when its own agency posted that person; evidence that does not say
    /// whose person it was is hidden too.
    pub fn redact(&self, evidence: &mut [crate::service::domain::EvidenceItem]) {
        if !self.sees_others_values() {
            for e in evidence {
                if self.agency_code.is_none() || e.theirs_agency != self.agency_code {
                    e.theirs = None;
                }
            }
        }
    }
}

/// Hex SHA-256 of a key.
pub fn hash_key(key: &str) -> String {
    hex::encode(digest(key))
}

/// A new random key: `bwb_` and 64 hex digits.
pub fn new_key() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    format!("bwb_{}", hex::encode(bytes))
}

/// How long a known key is trusted from the cache before the database is asked again (a
/// revocation in another process takes effect within this).
pub const REVALIDATE: Duration = Duration::from_secs(1);
/// How often the keys' `last used` times are written.
pub const LAST_USED_FLUSH: Duration = Duration::from_secs(10);

/// How long an unknown key is remembered as unknown.
pub const UNKNOWN_TTL: Duration = Duration::from_secs(10);
/// Most unknown keys remembered at once (the least used are forgotten first).
pub const UNKNOWN_CAPACITY: usize = 65_536;

/// Fewest characters of a master key.
pub const MASTER_KEY_MIN_CHARS: usize = 32;
/// Fewest different characters in a master key.
const MASTER_KEY_MIN_DISTINCT: usize = 10;

/// Refuses a weak master key, saying why (never the key itself): it must have at least
/// [`MASTER_KEY_MIN_CHARS`] characters, 10 of them different, and no spaces or control
/// characters. `openssl rand -hex 32` makes a good one.
pub fn check_master_key(key: &str) -> Result<(), String> {
    const HOW: &str = "make one with `openssl rand -hex 32`";
    let chars = key.chars().count();
    if chars < MASTER_KEY_MIN_CHARS {
        return Err(format!(
            "BAWABA_MASTER_KEY is too weak: it has {chars} characters and needs at least {MASTER_KEY_MIN_CHARS}; {HOW}"
        ));
    }
    if key.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!("BAWABA_MASTER_KEY must not hold spaces or control characters; {HOW}"));
    }
    let mut distinct: Vec<char> = key.chars().collect();
    distinct.sort_unstable();
    distinct.dedup();
    if distinct.len() < MASTER_KEY_MIN_DISTINCT {
        return Err(format!(
            "BAWABA_MASTER_KEY is too weak: it uses {} different characters and needs at least \
             {MASTER_KEY_MIN_DISTINCT}; {HOW}",
            distinct.len()
        ));
    }
    Ok(())
}

/// Checks presented keys.
#[derive(Clone)]
pub struct Keys {
    master_hash: Option<[u8; 32]>,
    cache: Arc<RwLock<HashMap<[u8; 32], Cached>>>,
    /// When each key (by id) was last used, not yet written.
    used: Arc<parking_lot::Mutex<HashMap<String, String>>>,
    /// Digests of keys found unknown, with when.
    unknown: Arc<quick_cache::sync::Cache<[u8; 32], Instant>>,
    /// Look-ups of presented keys in the database.
    lookups: IntCounter,
}

impl Keys {
    /// With the master key, if one is configured (an empty one is none; check its strength
    /// first with [`check_master_key`]), counting database look-ups in `lookups`.
    pub fn new(master_key: Option<&str>, lookups: IntCounter) -> Self {
        Keys {
            master_hash: master_key.filter(|k| !k.is_empty()).map(digest),
            cache: Arc::default(),
            used: Arc::default(),
            unknown: Arc::new(quick_cache::sync::Cache::new(UNKNOWN_CAPACITY)),
            lookups,
        }
    }

    /// The principal behind a presented key when the database need not be asked: the master
    /// key, a key checked less than [`REVALIDATE`] ago, a key found unknown less than
    /// [`UNKNOWN_TTL`] ago. `None`: ask [`Keys::authenticate`]. Never blocks, so the async
    /// workers call it and most requests skip a hop to a blocking thread.
    pub fn authenticate_cached(&self, key: &str) -> Option<Result<Principal, ServiceError>> {
        let digest = digest(key);
        if self.is_master(&digest) {
            return Some(Ok(Principal::master()));
        }
        let cached = self.cache.read().get(&digest).cloned();
        match &cached {
            Some(c) if c.checked.elapsed() < REVALIDATE => Some(self.admit(&digest, c)),
            Some(_) => None,
            None => match self.unknown.get(&digest) {
                Some(at) if at.elapsed() < UNKNOWN_TTL => Some(Err(ServiceError::Unauthorized)),
                _ => None,
            },
        }
    }

    /// The principal behind a presented key, or `Unauthorized`. Blocking: call off the async
    /// workers.
    pub fn authenticate(&self, pool: &Pool, key: &str) -> Result<Principal, ServiceError> {
        let digest = digest(key);
        if self.is_master(&digest) {
            return Ok(Principal::master());
        }
        let cached = self.cache.read().get(&digest).cloned();
        if let Some(c) = &cached
            && c.checked.elapsed() < REVALIDATE
        {
            return self.admit(&digest, c);
        }
        if cached.is_none()
            && let Some(at) = self.unknown.get(&digest)
        {
            if at.elapsed() < UNKNOWN_TTL {
                return Err(ServiceError::Unauthorized);
            }
            self.unknown.remove(&digest);
        }
        let mut conn = crate::store::checkout(pool).map_err(ServiceError::from)?;
        if cached.is_none() {
            // Re-validations of a known key are not counted: this counts keys looked up.
            self.lookups.inc();
        }
        match lookup(&mut conn, &hex::encode(digest))? {
            Some(found) => {
                self.cache.write().insert(digest, found.clone());
                self.admit(&digest, &found)
            }
            None => {
                self.cache.write().remove(&digest);
                self.unknown.insert(digest, Instant::now());
                Err(ServiceError::Unauthorized)
            }
        }
    }

    /// A cached key's principal unless it has expired; notes its use.
    fn admit(&self, digest: &[u8; 32], c: &Cached) -> Result<Principal, ServiceError> {
        if c.expires.is_some_and(|e| Utc::now() >= e) {
            // Expired for good (nothing extends a key): remembered as unknown, costing no SQL.
            self.cache.write().remove(digest);
            self.unknown.insert(*digest, Instant::now());
            return Err(ServiceError::Unauthorized);
        }
        if let Some(id) = &c.principal.key_id {
            self.used.lock().insert(id.clone(), crate::service::ids::now());
        }
        Ok(c.principal.clone())
    }

    /// Forgets a key at once (revoked through this process).
    pub fn forget(&self, key_id: &str) {
        self.cache.write().retain(|_, c| c.principal.key_id.as_deref() != Some(key_id));
    }

    /// The keys used since the last call, with when each was last used: written in one batch.
    pub fn take_used(&self) -> Vec<(String, String)> {
        std::mem::take(&mut *self.used.lock()).into_iter().collect()
    }

    /// Whether a key's digest is one this gateway already knows (the master key or a key found
    /// before), asking no database: what the rate limits key a request by.
    pub fn is_known(&self, digest: &[u8; 32]) -> bool {
        self.is_master(digest) || self.cache.read().contains_key(digest)
    }

    /// Forgets that a key was unknown (a key just made).
    pub fn forget_unknown(&self, key: &str) {
        self.unknown.remove(&digest(key));
    }

    fn is_master(&self, digest: &[u8; 32]) -> bool {
        self.master_hash.as_ref().is_some_and(|m| bool::from(m.ct_eq(digest)))
    }
}

/// SHA-256 of a key.
pub fn digest(key: &str) -> [u8; 32] {
    Sha256::digest(key.as_bytes()).into()
}

/// A key as the cache keeps it.
#[derive(Debug, Clone)]
struct Cached {
    principal: Principal,
    expires: Option<DateTime<Utc>>,
    /// When the database last said the key stands.
    checked: Instant,
}

fn lookup(conn: &mut DbConn, hash: &str) -> Result<Option<Cached>, ServiceError> {
    let Some((key, agency)) = queries::key_by_hash(conn, hash)? else {
        return Ok(None);
    };
    // The row was found by its hash; compare again in constant time so that no timing
    // difference depends on how much of the hash matched.
    if !bool::from(key.key_hash.as_bytes().ct_eq(hash.as_bytes())) {
        return Ok(None);
    }
    if key.revoked_at.is_some() {
        return Ok(None);
    }
    let role = Role::parse(&key.role).ok_or_else(|| ServiceError::Internal("stored key has an unknown role".into()))?;
    // An expiry that does not read is taken as passed: the safe side.
    let expires = key
        .expires_at
        .as_deref()
        .map(|t| DateTime::parse_from_rfc3339(t).map_or(DateTime::<Utc>::MIN_UTC, |d| d.with_timezone(&Utc)));
    let mut principal = Principal::new(Some(key.id), Some((agency.id, agency.code)), role);
    principal.scope = Scope::stored(key.scope.as_deref());
    Ok(Some(Cached { principal, expires, checked: Instant::now() }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weak_master_keys_are_refused_with_the_reason() {
        assert!(check_master_key("change-me").is_err_and(|e| e.contains("9 characters") && e.contains("32")));
        assert!(check_master_key(&"a".repeat(40)).is_err_and(|e| e.contains("1 different")));
        assert!(check_master_key("abcdefghij abcdefghij abcdefghij abc").is_err_and(|e| e.contains("spaces")));
        assert!(check_master_key("a-long-local-example-key-0123456789").is_ok());
        assert!(check_master_key(&hex::encode([0x5a_u8; 16]).replace('5', "x")).is_err(), "two characters only");
        let strong = hex::encode(rand::random::<[u8; 32]>());
        assert!(check_master_key(&strong).is_ok());
        let err = check_master_key("short-secret").expect_err("too short");
        assert!(!err.contains("short-secret"), "the key is never in the message");
    }
}
