//! Who may see what: keys with a label, a scope and an expiry (listed, made, revoked, rotated),
//! and named users (made by the admin with a one-time password, changed, disabled). Their page
//! sessions are `sessions.rs`; the audit log they are named in is `audit.rs`.
//!
//! A scope (`auth::Scope`) is a list of governorate and locality codes of the gazetteer;
//! every code given must be one it knows, of the right kind. A key or user without a scope sees
//! everywhere.
//!
//! Revocation takes effect at once in this process (the key is dropped from the cache) and
//! within `auth::REVALIDATE` in any other. Rotation makes a new key like the old one and sets
//! the old one to expire after the grace period (`Settings::key_rotation_grace`, 24 h unless
//! configured). Passwords are hashed with argon2id (the `argon2` crate, its default cost), each
//! with its own random salt.

use std::collections::HashMap;
use std::sync::{Arc, Weak};

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use bawaba_wire::access::{
    CreatedUser, IssuedKey, KeyInfo, KeyList, NewKeyBody, NewUserBody, ScopeBody, User, UserList, UserPatch,
};
use chrono::{DateTime, Utc};
use rand::RngCore;

use super::Services;
use super::audit::record;
use super::auth::{self, Keys, Principal, Role, Scope, hash_key, new_key};
use super::error::{FieldProblem, ServiceError, validated};
use super::ids::{new_id, now};
use crate::store::models::{AgencyRow, ApiKeyRow, UserRow};
use crate::store::queries;

/// Who may manage keys and users.
pub const ADMIN: &[Role] = &[Role::Admin];

/// Shortest password a user may choose.
pub const PASSWORD_MIN_CHARS: usize = 12;
/// Longest password taken.
pub const PASSWORD_MAX_CHARS: usize = 200;

/// Writes the keys' `last used` times every [`auth::LAST_USED_FLUSH`] through the audit log's
/// writer (one small transaction), for as long as `alive` lives.
pub fn flush_keys_used_every(keys: Keys, audit: super::audit::AuditLog, alive: Weak<()>) {
    let _ = std::thread::Builder::new().name("bawaba-keys-used".into()).spawn(move || {
        while alive.upgrade().is_some() {
            std::thread::sleep(auth::LAST_USED_FLUSH);
            audit.keys_used(keys.take_used());
        }
    });
}

/// Reads a scope given in a body: every code must be a place of the gazetteer, of the right
/// kind; `field` names it in the error. Empty lists scope to nowhere, so both empty is refused.
fn scope_of(s: &Services, problems: &mut Vec<FieldProblem>, field: &str, body: Option<&ScopeBody>) -> Option<Scope> {
    let body = body?;
    let g = s.places.read();
    let known = |code: &str, governorate: bool| {
        g.get(code).is_some_and(|p| (p.parent.is_none()) == governorate && p.code == code)
    };
    for c in &body.governorates {
        if !known(c, true) {
            problems
                .push(FieldProblem::new(format!("{field}.governorates"), format!("`{c}` is not a governorate code")));
        }
    }
    for c in &body.localities {
        if !known(c, false) {
            problems.push(FieldProblem::new(format!("{field}.localities"), format!("`{c}` is not a locality code")));
        }
    }
    if body.governorates.is_empty() && body.localities.is_empty() {
        problems.push(FieldProblem::new(field, "give governorates or localities, or leave scope out for everywhere"));
    }
    let mut scope = Scope { governorates: body.governorates.clone(), localities: body.localities.clone() };
    scope.governorates.sort_unstable();
    scope.governorates.dedup();
    scope.localities.sort_unstable();
    scope.localities.dedup();
    Some(scope)
}

fn scope_body(scope: Option<Scope>) -> Option<ScopeBody> {
    scope.map(|s| ScopeBody { governorates: s.governorates, localities: s.localities })
}

fn role_of(problems: &mut Vec<FieldProblem>, role: &str) -> Role {
    Role::parse(role).unwrap_or_else(|| {
        problems.push(FieldProblem::new("role", "must be one of admin, submitter, caseworker, auditor, coordinator"));
        Role::Caseworker
    })
}

fn agency_of(
    conn: &mut crate::store::DbConn,
    problems: &mut Vec<FieldProblem>,
    code: &str,
) -> Result<Option<AgencyRow>, ServiceError> {
    let found = queries::agency_by_code(conn, code.trim())?;
    if found.is_none() {
        problems.push(FieldProblem::new("agency", "no agency has this code"));
    }
    Ok(found)
}

fn key_info(k: ApiKeyRow, agency: &AgencyRow) -> KeyInfo {
    KeyInfo {
        id: k.id,
        agency: agency.code.clone(),
        role: k.role,
        scope: scope_body(Scope::stored(k.scope.as_deref())),
        label: k.label,
        created_at: k.created_at,
        last_used_at: k.last_used_at,
        expires_at: k.expires_at,
        revoked_at: k.revoked_at,
    }
}

/// Every key, newest first, never the key itself (admin). The `last used` times noted so far
/// are written first, so the list is current.
pub fn list_keys(s: &Services, who: &Principal) -> Result<KeyList, ServiceError> {
    who.require(ADMIN)?;
    s.audit.keys_used(s.keys.take_used());
    s.audit.flush()?;
    let keys = queries::list_keys(&mut *s.conn()?)?.into_iter().map(|(k, a)| key_info(k, &a)).collect();
    Ok(KeyList { keys })
}

/// A time as stored (RFC 3339 UTC, milliseconds).
fn stored_time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// Makes a key (admin): shown once in the answer, stored as its hash.
pub fn create_key(s: &Services, who: &Principal, body: &NewKeyBody) -> Result<IssuedKey, ServiceError> {
    who.require(ADMIN)?;
    let mut problems = Vec::new();
    let mut conn = s.conn()?;
    let agency = agency_of(&mut conn, &mut problems, &body.agency)?;
    let role = role_of(&mut problems, &body.role);
    let scope = scope_of(s, &mut problems, "scope", body.scope.as_ref());
    let label = body.label.as_deref().map(str::trim).filter(|l| !l.is_empty()).map(str::to_owned);
    if label.as_ref().is_some_and(|l| l.chars().count() > 200 || l.chars().any(char::is_control)) {
        problems.push(FieldProblem::new("label", "must be at most 200 characters with no control characters"));
    }
    let expires_at = match body.expires_at.as_deref().map(str::trim).filter(|e| !e.is_empty()) {
        None => None,
        Some(e) => match DateTime::parse_from_rfc3339(e) {
            Ok(t) if t.with_timezone(&Utc) > Utc::now() => Some(stored_time(t.with_timezone(&Utc))),
            Ok(_) => {
                problems.push(FieldProblem::new("expires_at", "must be in the future"));
                None
            }
            Err(_) => {
                problems.push(FieldProblem::new("expires_at", "must be an RFC 3339 time, e.g. 2027-01-31T00:00:00Z"));
                None
            }
        },
    };
    let agency = validated(problems, agency)?.ok_or(ServiceError::NotFound("agency"))?;
    let key = new_key();
    let row = ApiKeyRow {
        id: new_id(),
        agency_id: agency.id.clone(),
        role: role.as_str().to_owned(),
        key_hash: hash_key(&key),
        created_at: now(),
        label,
        scope: scope.map(|s| s.to_stored()),
        expires_at,
        revoked_at: None,
        last_used_at: None,
    };
    queries::insert_key(&mut conn, &row)?;
    s.keys.forget_unknown(&key);
    record(s, who, "key.create", Some(&row.id), Some(format!("agency={} role={}", agency.code, row.role)))?;
    Ok(IssuedKey { key: key_info(row, &agency), api_key: key, replaces: None })
}

/// Revokes a key at once (admin): refused from this moment in this process, within a second in
/// every other. Revoking a revoked key changes nothing.
pub fn revoke_key(s: &Services, who: &Principal, id: &str) -> Result<KeyInfo, ServiceError> {
    who.require(ADMIN)?;
    let mut conn = s.conn()?;
    queries::key_by_id(&mut conn, id)?.ok_or(ServiceError::NotFound("key"))?;
    queries::revoke_key(&mut conn, id, &now())?;
    s.keys.forget(id);
    record(s, who, "key.revoke", Some(id), None)?;
    let (k, a) = queries::key_by_id(&mut conn, id)?.ok_or(ServiceError::NotFound("key"))?;
    Ok(key_info(k, &a))
}

/// Rotates a key (admin): a new key with the same agency, role, scope, label and expiry; the
/// old one keeps working for the grace period, then stops.
pub fn rotate_key(s: &Services, who: &Principal, id: &str) -> Result<IssuedKey, ServiceError> {
    who.require(ADMIN)?;
    let mut conn = s.conn()?;
    let (old, agency) = queries::key_by_id(&mut conn, id)?.ok_or(ServiceError::NotFound("key"))?;
    if old.revoked_at.is_some() {
        return Err(ServiceError::Conflict("this key is revoked; make a new one instead".into()));
    }
    let grace = chrono::Duration::from_std(s.key_rotation_grace).unwrap_or(chrono::Duration::days(1));
    let until = stored_time(Utc::now() + grace);
    let old_expiry = match &old.expires_at {
        Some(e) if *e < until => e.clone(),
        _ => until,
    };
    let key = new_key();
    let row = ApiKeyRow {
        id: new_id(),
        agency_id: old.agency_id.clone(),
        role: old.role.clone(),
        key_hash: hash_key(&key),
        created_at: now(),
        label: old.label.clone(),
        scope: old.scope.clone(),
        expires_at: old.expires_at.clone(),
        revoked_at: None,
        last_used_at: None,
    };
    diesel::Connection::transaction::<_, ServiceError, _>(&mut *conn, |c| {
        crate::store::lock_for_write(c)?;
        queries::insert_key(c, &row)?;
        queries::set_key_expiry(c, &old.id, &old_expiry)?;
        Ok(())
    })?;
    s.keys.forget(&old.id);
    s.keys.forget_unknown(&key);
    record(s, who, "key.rotate", Some(&old.id), Some(format!("new={} old_expires={old_expiry}", row.id)))?;
    let (old, _) = queries::key_by_id(&mut conn, id)?.ok_or(ServiceError::NotFound("key"))?;
    Ok(IssuedKey { key: key_info(row, &agency), api_key: key, replaces: Some(key_info(old, &agency)) })
}

// ---- users ----

fn user_of(u: UserRow, agency: &AgencyRow) -> User {
    User {
        id: u.id,
        agency: agency.code.clone(),
        username: u.username,
        display_name: u.display_name,
        role: u.role,
        scope: scope_body(Scope::stored(u.scope.as_deref())),
        disabled: u.disabled != 0,
        created_at: u.created_at,
    }
}

/// The principal a user acts as.
pub fn principal_of(u: &UserRow, agency: &AgencyRow) -> Result<Principal, ServiceError> {
    let role = Role::parse(&u.role).ok_or_else(|| ServiceError::Internal("stored user has an unknown role".into()))?;
    let mut p = Principal::new(None, Some((agency.id.clone(), agency.code.clone())), role);
    p.user_id = Some(u.id.clone());
    p.username = Some(u.username.clone());
    p.scope = Scope::stored(u.scope.as_deref());
    Ok(p)
}

/// An argon2id hash of a password (PHC string), with a random salt.
pub fn hash_password(password: &str) -> Result<String, ServiceError> {
    let mut salt = [0u8; 16];
    rand::rng().fill_bytes(&mut salt);
    let salt = SaltString::encode_b64(&salt).map_err(|e| ServiceError::Internal(format!("salt: {e}")))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| ServiceError::Internal(format!("hashing a password: {e}")))
}

/// Whether a password is the one hashed (argon2 compares in constant time).
pub fn password_ok(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
}

/// A one-time password: 20 characters of an alphabet without look-alikes (about 100 bits).
fn one_time_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut bytes = [0u8; 20];
    rand::rng().fill_bytes(&mut bytes);
    bytes.iter().map(|b| ALPHABET[*b as usize % ALPHABET.len()] as char).collect()
}

/// Makes a user (admin): 201 with a one-time password, shown this once.
pub fn create_user(s: &Services, who: &Principal, body: &NewUserBody) -> Result<CreatedUser, ServiceError> {
    who.require(ADMIN)?;
    let mut problems = Vec::new();
    let mut conn = s.conn()?;
    let agency = agency_of(&mut conn, &mut problems, &body.agency)?;
    let role = role_of(&mut problems, &body.role);
    let scope = scope_of(s, &mut problems, "scope", body.scope.as_ref());
    let username = body.username.trim().to_owned();
    let valid_name = (3..=64).contains(&username.len())
        && username.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'-' | b'_'));
    if !valid_name {
        problems.push(FieldProblem::new("username", "must be 3 to 64 lower-case letters, digits, `.`, `-` or `_`"));
    } else if queries::user_by_name(&mut conn, &username)?.is_some() {
        problems.push(FieldProblem::new("username", "is taken"));
    }
    let display_name = body.display_name.trim().to_owned();
    if display_name.is_empty() || display_name.chars().count() > 200 || display_name.chars().any(char::is_control) {
        problems.push(FieldProblem::new("display_name", "must be 1 to 200 characters with no control characters"));
    }
    let agency = validated(problems, agency)?.ok_or(ServiceError::NotFound("agency"))?;
    let password = one_time_password();
    let row = UserRow {
        id: new_id(),
        agency_id: agency.id.clone(),
        username,
        display_name,
        role: role.as_str().to_owned(),
        scope: scope.map(|s| s.to_stored()),
        password_hash: hash_password(&password)?,
        disabled: 0,
        created_at: now(),
        password_changed_at: None,
    };
    match queries::insert_user(&mut conn, &row) {
        Err(diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _)) => {
            return Err(ServiceError::field("username", "is taken"));
        }
        other => other?,
    }
    record(s, who, "user.create", Some(&row.id), Some(format!("username={} role={}", row.username, row.role)))?;
    Ok(CreatedUser { user: user_of(row, &agency), password })
}

/// Every user (admin), by username.
pub fn list_users(s: &Services, who: &Principal) -> Result<UserList, ServiceError> {
    who.require(ADMIN)?;
    let users = queries::list_users(&mut *s.conn()?)?.into_iter().map(|(u, a)| user_of(u, &a)).collect();
    Ok(UserList { users })
}

/// Changes a user's role, scope or whether disabled (admin). A disabled user's sessions end at
/// once; a role or scope changed applies to the next page they open.
pub fn patch_user(s: &Services, who: &Principal, id: &str, patch: &UserPatch) -> Result<User, ServiceError> {
    who.require(ADMIN)?;
    let mut conn = s.conn()?;
    let (u, agency) = queries::user_by_id(&mut conn, id)?.ok_or(ServiceError::NotFound("user"))?;
    let mut problems = Vec::new();
    let role = match &patch.role {
        Some(r) => role_of(&mut problems, r).as_str().to_owned(),
        None => u.role.clone(),
    };
    let scope = match &patch.scope {
        None => u.scope.clone(),
        Some(None) => None,
        Some(Some(b)) => scope_of(s, &mut problems, "scope", Some(b)).map(|s| s.to_stored()),
    };
    let disabled = patch.disabled.unwrap_or(u.disabled != 0);
    validated(problems, ())?;
    diesel::Connection::transaction::<_, ServiceError, _>(&mut *conn, |c| {
        crate::store::lock_for_write(c)?;
        queries::update_user(c, id, &role, scope.as_deref(), disabled)?;
        if disabled {
            queries::delete_sessions_of(c, id)?;
        }
        Ok(())
    })?;
    let what: Vec<&str> =
        [("role", patch.role.is_some()), ("scope", patch.scope.is_some()), ("disabled", patch.disabled.is_some())]
            .iter()
            .filter(|(_, given)| *given)
            .map(|(k, _)| *k)
            .collect();
    record(s, who, "user.update", Some(id), Some(format!("{} disabled={disabled}", what.join(","))))?;
    let (u, _) = queries::user_by_id(&mut conn, id)?.ok_or(ServiceError::NotFound("user"))?;
    Ok(user_of(u, &agency))
}

/// Changes the signed-in user's own password, given the current one.
pub fn change_password(s: &Services, who: &Principal, current: &str, new: &str) -> Result<(), ServiceError> {
    let user_id = who.user_id.as_deref().ok_or(ServiceError::Forbidden)?;
    let mut conn = s.conn()?;
    let (u, _) = queries::user_by_id(&mut conn, user_id)?.ok_or(ServiceError::Unauthorized)?;
    if !password_ok(current, &u.password_hash) {
        return Err(ServiceError::field("current", "is not your password"));
    }
    let n = new.chars().count();
    if !(PASSWORD_MIN_CHARS..=PASSWORD_MAX_CHARS).contains(&n) {
        return Err(ServiceError::field(
            "new",
            format!("must be {PASSWORD_MIN_CHARS} to {PASSWORD_MAX_CHARS} characters"),
        ));
    }
    if new == current {
        return Err(ServiceError::field("new", "must differ from the current password"));
    }
    queries::set_password(&mut conn, user_id, &hash_password(new)?, &now())?;
    record(s, who, "user.password", Some(user_id), None)?;
    Ok(())
}

/// One route (or a group of pages: their methods and paths joined by ", "), the roles it allows
/// and what a scope does to it.
pub type RouteAccess = (&'static str, &'static [Role], &'static str);

/// Every role there is.
pub const ANY: &[Role] = &[Role::Admin, Role::Submitter, Role::Caseworker, Role::Auditor, Role::Coordinator];

/// Every route with the roles it allows, read from the role lists beside the use cases (the
/// same lists the use cases check), and what a scope does to it. A test asks every route with
/// a key of every role and holds the answers to this list.
pub fn routes() -> &'static [RouteAccess] {
    use super::{
        agencies, audit, households, life, places, planning, quality, records, reports, review, search, webhooks,
    };
    const NO_SCOPE: &str = "not narrowed by scope";
    const OWN: &str = "the agency's own records; not narrowed by scope";
    const PAIRS: &str = "pairs with a record in scope; totals count only those";
    const ROWS: &[RouteAccess] = &[
        ("POST /v1/agencies", agencies::ADMIN, NO_SCOPE),
        ("GET /v1/agencies", agencies::ADMIN, NO_SCOPE),
        ("GET /v1/whoami", ANY, NO_SCOPE),
        ("POST /v1/records", records::SUBMIT, OWN),
        ("POST /v1/records/batch", records::SUBMIT, OWN),
        ("POST /v1/records/check", records::CHECK, "a match outside scope shows no household, record or evidence"),
        (
            "GET /v1/records/{record_id}",
            records::READ,
            "its household in scope, else 404 (a submitter: its own records only)",
        ),
        (
            "GET /v1/households/search",
            search::ROLES,
            "households with a record in scope; outside it only by exact `national_id` with a `reason` (audited as break-glass)",
        ),
        ("GET /v1/households/{household_id}", households::VIEW, "a record in scope, else 404"),
        ("GET /v1/flags", review::ROLES, "flags of households with a record in scope"),
        ("POST /v1/flags/{flag_id}/review", review::ROLES, "the flag's household in scope, else 404"),
        ("GET /v1/flags/{flag_id}", review::ROLES, "the flag's household in scope, else 404"),
        ("POST /v1/flags/review", review::ROLES, "every flag's household in scope, else 400 naming it"),
        ("POST /v1/reviews/{batch_id}/undo", review::ROLES, "every flag's household in scope, else 404"),
        ("POST /v1/review/spot-checks", quality::CHECK, "records in scope"),
        ("GET /v1/review/spot-checks", quality::CHECK, "households in scope"),
        ("POST /v1/review/spot-checks/{spot_check_id}", quality::CHECK, "its household in scope, else 404"),
        ("GET /v1/review/quality", quality::READ, NO_SCOPE),
        ("GET /v1/reports/overlaps", reports::ROLES, PAIRS),
        ("GET /v1/reports/summary", reports::ROLES, PAIRS),
        ("PUT /v1/records/{record_id}", life::OWN, OWN),
        ("DELETE /v1/records/{record_id}", life::OWN, OWN),
        ("GET /v1/records", life::OWN, OWN),
        (
            "GET /v1/records/{record_id}/history",
            life::HISTORY,
            "as `GET /v1/records/{record_id}` (a submitter: its own records only)",
        ),
        ("POST /v1/households/{household_id}/split", life::SPLIT, "a record in scope, else 404"),
        ("POST /v1/persons/{person_id}/erase", life::ERASE, NO_SCOPE),
        ("GET /v1/alerts", webhooks::ALERTS, OWN),
        ("POST /v1/webhooks", webhooks::MANAGE, "the agency's own webhooks (the admin: any agency's)"),
        ("GET /v1/webhooks/{webhook_id}/deliveries", webhooks::MANAGE, "the agency's own webhooks (the admin: any)"),
        ("GET /v1/webhooks", webhooks::MANAGE, "the agency's own webhooks (the admin: any agency's)"),
        ("DELETE /v1/webhooks/{webhook_id}", webhooks::MANAGE, "the agency's own webhooks (the admin: any)"),
        ("GET /v1/reports/coverage", planning::READ, "counts only, no names; 1–4 suppressed but for the admin"),
        ("PUT /v1/needs", planning::WRITE_NEEDS, NO_SCOPE),
        ("GET /v1/needs", planning::READ, NO_SCOPE),
        ("GET /v1/directory/organizations", ANY, NO_SCOPE),
        ("PUT /v1/directory/organizations/{code}", ANY, "the admin, or the organisation's own keys"),
        ("GET /v1/directory/services", ANY, NO_SCOPE),
        ("POST /v1/directory/services", ANY, "the admin, or the organisation's own keys"),
        ("PATCH /v1/directory/services/{id}", ANY, "the admin, or the organisation's own keys"),
        ("DELETE /v1/directory/services/{id}", ANY, "the admin, or the organisation's own keys"),
        ("GET /v1/directory/3w", ANY, "households reached, counts only; 1–4 suppressed but for the admin"),
        ("GET /v1/places", places::READ, NO_SCOPE),
        ("POST /v1/places", places::ADMIN, NO_SCOPE),
        ("PATCH /v1/places/{code}", places::ADMIN, NO_SCOPE),
        ("GET /v1/keys", ADMIN, NO_SCOPE),
        ("POST /v1/keys", ADMIN, NO_SCOPE),
        ("DELETE /v1/keys/{key_id}", ADMIN, NO_SCOPE),
        ("POST /v1/keys/{key_id}/rotate", ADMIN, NO_SCOPE),
        ("GET /v1/users", ADMIN, NO_SCOPE),
        ("POST /v1/users", ADMIN, NO_SCOPE),
        ("PATCH /v1/users/{user_id}", ADMIN, NO_SCOPE),
        ("GET /v1/audit", audit::READ, "every event (the log itself is not narrowed)"),
        ("GET /metrics", super::METRICS, NO_SCOPE),
        ("GET /healthz", &[], "anyone, no key"),
        ("GET /readyz", &[], "anyone, no key"),
        ("GET /ui/search, POST /ui/search", search::ROLES, "as `GET /v1/households/search`"),
        ("GET /ui/households/{id}", households::VIEW, "as `GET /v1/households/{household_id}`"),
        ("GET /ui/records/{id}", life::HISTORY, "as `GET /v1/records/{record_id}/history`"),
        ("GET /ui/review, POST /ui/review/{id}", review::ROLES, "as `GET /v1/flags`"),
        (
            "GET /ui/desk, GET /ui/flags/{id}, POST /ui/desk/{id}, POST /ui/review/bulk, POST /ui/reviews/{id}/undo",
            review::ROLES,
            "as `GET /v1/flags/{flag_id}` and `POST /v1/flags/review`",
        ),
        (
            "GET /ui/quality",
            quality::PAGE,
            "the estimate for admin and auditor; spot checks as `GET /v1/review/spot-checks`",
        ),
        (
            "POST /ui/quality/draw, POST /ui/quality/spot-checks/{id}",
            quality::CHECK,
            "as `POST /v1/review/spot-checks`",
        ),
        ("GET /ui/reports, GET /ui/reports/overlaps.csv", reports::ROLES, PAIRS),
        ("GET /ui/audit, GET /ui/audit.csv", audit::READ, "every event"),
        ("GET /ui/map, GET /ui/coverage, GET /ui/coverage.csv", planning::READ, "as `GET /v1/reports/coverage`"),
        ("POST /ui/needs", planning::WRITE_NEEDS, NO_SCOPE),
        ("GET /ui/3w, GET /ui/3w.csv, GET /ui/directory", ANY, "as `GET /v1/directory/3w`"),
        ("POST /ui/directory/…", ANY, "the admin, or the organisation's own keys"),
        ("GET /ui/password, POST /ui/password", ANY, "named users only (not keys)"),
    ];
    ROWS
}

/// The rows of `routes()` that name one API route, as (method, path as mounted, roles, scope):
/// not the pages, nor a row that groups several routes.
pub fn api_routes() -> impl Iterator<Item = (&'static str, &'static str, &'static [Role], &'static str)> {
    routes().iter().filter(|(route, _, _)| !route.contains(", ") && !route.contains(" /ui/")).filter_map(
        |(route, roles, scope)| {
            let (method, path) = route.split_once(' ')?;
            Some((method, path, *roles, *scope))
        },
    )
}

/// The roles a route allows, by its method and its pattern as mounted (`/v1/records/{record_id}`),
/// from `api_routes()`, so the list the README shows is the list the gateway enforces, at its
/// edge, before a request's body is read. `None` for a route the list does not name that way
/// (the pages, the documents) or that needs no key.
pub fn roles_of(method: &str, pattern: &str) -> Option<&'static [Role]> {
    static BY_ROUTE: std::sync::LazyLock<HashMap<(&'static str, &'static str), &'static [Role]>> =
        std::sync::LazyLock::new(|| {
            api_routes()
                .filter(|(_, _, roles, _)| !roles.is_empty())
                .map(|(method, path, roles, _)| ((method, path), roles))
                .collect()
        });
    BY_ROUTE.get(&(method, pattern)).copied()
}

/// `routes()` as the Markdown table the README holds between `<!-- access-table:start -->` and
/// `<!-- access-table:end -->` (a test keeps the two the same, and checks that every route of
/// the OpenAPI document is in it).
pub fn route_table() -> String {
    let mut out = String::from("| route | roles | scope |\n|---|---|---|\n");
    for (route, roles, scope) in routes() {
        let roles: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
        let roles = if roles.is_empty() { "—".to_owned() } else { roles.join(", ") };
        out.push_str(&format!("| `{route}` | {roles} | {scope} |\n"));
    }
    out
}

/// Keeps the flusher of `last used` alive as long as the services.
pub fn alive() -> Arc<()> {
    Arc::new(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_hash_with_salt_and_verify() {
        let a = hash_password("correct horse battery").expect("hash");
        let b = hash_password("correct horse battery").expect("hash");
        assert_ne!(a, b, "each hash has its own salt");
        assert!(a.starts_with("$argon2id$"));
        assert!(password_ok("correct horse battery", &a));
        assert!(!password_ok("correct horse batterY", &a));
        assert!(!password_ok("x", "not a hash"));
        let p = one_time_password();
        assert_eq!(p.chars().count(), 20);
    }
}
