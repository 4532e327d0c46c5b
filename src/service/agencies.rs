//! Agencies and their keys: one set of rules (code, name, role) whichever door a new agency
//! comes through, the API or `bawaba agency create`.

use bawaba_wire::agencies::{Agency, AgencyList, CreatedKey, NewAgencyBody, WhoAmI};

use super::auth::{Principal, Role, hash_key, new_key};
use super::error::{FieldProblem, ServiceError};
use super::ids::{new_id, now};
use super::{Database, Services};
use crate::store::models::{AgencyRow, ApiKeyRow};
use crate::store::{DbConn, queries};

fn agency(r: AgencyRow) -> Agency {
    Agency { id: r.id, code: r.code, name: r.name }
}

/// Who may manage agencies.
pub const ADMIN: &[Role] = &[Role::Admin];

/// A new agency's code, name and role, validated.
fn check(body: &NewAgencyBody) -> Result<(String, String, Role), ServiceError> {
    let mut problems = Vec::new();
    let code = body.code.trim();
    let valid_code = (2..=32).contains(&code.len())
        && code.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
    if !valid_code {
        problems.push(FieldProblem::new("code", "must be 2 to 32 capital letters, digits, - or _"));
    }
    let name = body.name.trim();
    if name.is_empty() || name.chars().count() > 200 || name.chars().any(char::is_control) {
        problems.push(FieldProblem::new("name", "must be 1 to 200 characters with no control characters"));
    }
    let role = Role::parse(&body.role);
    if role.is_none() {
        problems.push(FieldProblem::new("role", "must be one of admin, submitter, caseworker, auditor, coordinator"));
    }
    match role {
        Some(role) if problems.is_empty() => Ok((code.to_owned(), name.to_owned(), role)),
        _ => Err(ServiceError::Validation(problems)),
    }
}

/// Makes an agency with a key, or adds a key of another role to the agency with that code
/// (admin).
pub fn create(s: &Services, who: &Principal, body: &NewAgencyBody) -> Result<CreatedKey, ServiceError> {
    who.require(ADMIN)?;
    let (code, name, role) = check(body)?;
    let created = create_in(&mut *s.conn()?, &code, &name, role)?;
    // A fresh random key cannot have been presented before, but say so to the cache anyway:
    // a new key works at once.
    s.keys.forget_unknown(&created.api_key);
    Ok(created)
}

/// The same, for an operator at the command line, straight into the database.
pub fn create_offline(db: &Database, body: &NewAgencyBody) -> Result<CreatedKey, ServiceError> {
    let (code, name, role) = check(body)?;
    create_in(&mut db.connect()?, &code, &name, role)
}

fn create_in(conn: &mut DbConn, code: &str, name: &str, role: Role) -> Result<CreatedKey, ServiceError> {
    use diesel::result::{DatabaseErrorKind, Error};
    match create_once(conn, code, name, role) {
        // Another request made the same new agency a moment ago: add the key to it.
        Err(Error::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => Ok(create_once(conn, code, name, role)?),
        other => Ok(other?),
    }
}

fn create_once(conn: &mut DbConn, code: &str, name: &str, role: Role) -> Result<CreatedKey, diesel::result::Error> {
    use diesel::Connection;
    let now = now();
    conn.transaction(|c| {
        // Reads, then writes: the write lock first on SQLite (see `store::lock_for_write`).
        crate::store::lock_for_write(c)?;
        let (agency_row, created) = match queries::agency_by_code(c, code)? {
            Some(a) => (a, false),
            None => {
                let a =
                    AgencyRow { id: new_id(), code: code.to_owned(), name: name.to_owned(), created_at: now.clone() };
                queries::insert_agency(c, &a)?;
                (a, true)
            }
        };
        let key = new_key();
        queries::insert_key(
            c,
            &ApiKeyRow {
                id: new_id(),
                agency_id: agency_row.id.clone(),
                role: role.as_str().to_owned(),
                key_hash: hash_key(&key),
                created_at: now.clone(),
                label: None,
                scope: None,
                expires_at: None,
                revoked_at: None,
                last_used_at: None,
            },
        )?;
        Ok(CreatedKey { agency: agency(agency_row), api_key: key, role: role.as_str().to_owned(), created })
    })
}

/// Every agency (admin).
pub fn list(s: &Services, who: &Principal) -> Result<AgencyList, ServiceError> {
    who.require(ADMIN)?;
    let agencies = queries::list_agencies(&mut *s.conn()?)?.into_iter().map(agency).collect();
    Ok(AgencyList { agencies })
}

/// Who a key belongs to (any valid key).
pub fn whoami(who: &Principal) -> WhoAmI {
    WhoAmI { agency: who.agency_code.clone(), role: who.role.as_str().to_owned() }
}
