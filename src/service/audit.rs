//! The audit log: every read of personal data and every change, with who (agency, key), role,
//! action, target and time. Rows are only ever added.
//!
//! Reads record their event through the intake writer ([`record`]), which writes it between
//! the bounded transactions of whatever it is storing: SQLite has one write lock, and a reader
//! contending for it beside a long batch would wait without end (its lock is not fair). The
//! read answers once its event is stored. Work already on the writer, and the command line,
//! write directly ([`audit`]).

use super::Services;
use super::auth::Principal;
use super::error::ServiceError;
use super::ids::{new_id, now};
use crate::store::models::AuditRow;
use crate::store::{DbConn, queries};

/// One audit event.
pub fn event(who: &Principal, action: &str, target: Option<&str>, detail: Option<String>) -> AuditRow {
    AuditRow {
        id: new_id(),
        at: now(),
        agency_id: who.agency_id.clone(),
        key_id: who.key_id.clone(),
        role: who.role.as_str().to_owned(),
        action: action.to_owned(),
        target: target.map(str::to_owned),
        detail,
    }
}

/// Records one audit event through the writer, and waits until it is stored (blocking).
pub fn record(
    s: &Services,
    who: &Principal,
    action: &str,
    target: Option<&str>,
    detail: Option<String>,
) -> Result<(), ServiceError> {
    s.intake.audit(event(who, action, target, detail))
}

/// Writes one audit event on this connection (the writer's, or the command line's).
pub fn audit(
    conn: &mut DbConn,
    who: &Principal,
    action: &str,
    target: Option<&str>,
    detail: Option<String>,
) -> Result<(), ServiceError> {
    queries::insert_audit(conn, &event(who, action, target, detail))?;
    Ok(())
}
