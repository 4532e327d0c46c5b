//! Households: the view a caseworker gets, with every agency's knowledge of the members, the
//! aid history and open flags. A submitter sees only households its agency serves, and other
//! agencies' aid as agency, type and period only. Every look-up is audited.

use std::collections::HashMap;

use bawaba_wire::households::{AidEntry, HouseholdView, KnownMember};

use super::Services;
use super::audit::record;
use super::auth::{Principal, Role};
use super::error::ServiceError;
use super::records::{flag_for, stored_member};
use crate::store::models::RecordRow;
use crate::store::queries;

/// Who may view a household (a submitter, only one its agency serves).
pub const VIEW: &[Role] = &[Role::Caseworker, Role::Auditor, Role::Submitter];

/// One record as an entry of the aid history: everything (with where: the place codes) to a
/// caseworker, an auditor or the agency that posted it; to another agency's submitter only
/// agency, type and period.
pub fn aid_entry(who: &Principal, r: &RecordRow, codes: &HashMap<String, String>) -> AidEntry {
    let visible = who.sees_others_values() || who.agency_id.as_deref() == Some(r.agency_id.as_str());
    AidEntry {
        agency: codes.get(&r.agency_id).cloned().unwrap_or_default(),
        aid_type: r.assistance_type.clone(),
        period_start: r.period_start.clone(),
        period_end: r.period_end.clone(),
        record_id: visible.then(|| r.id.clone()),
        program: if visible { r.program.clone() } else { None },
        amount: if visible { r.amount } else { None },
        currency: if visible { r.currency.clone() } else { None },
        governorate_code: if visible { r.governorate_code.clone() } else { None },
        locality_code: if visible { r.locality_code.clone() } else { None },
    }
}

/// Looks a household up.
pub fn get(s: &Services, who: &Principal, id: &str) -> Result<HouseholdView, ServiceError> {
    who.require(VIEW)?;
    if id.len() > 100 {
        return Err(ServiceError::NotFound("household"));
    }
    let resolved = s.engine.state.read().resolve(id).to_owned();
    let mut conn = s.conn()?;
    queries::household(&mut conn, &resolved)?.ok_or(ServiceError::NotFound("household"))?;
    let records = queries::records_of_household(&mut conn, &resolved)?;
    let own = who.agency_id.as_deref();
    if who.role == Role::Submitter && !records.iter().any(|r| Some(r.agency_id.as_str()) == own) {
        return Err(ServiceError::NotFound("household"));
    }
    record(s, who, "household.view", Some(&resolved), None)?;
    let agency_ids: Vec<String> = records.iter().map(|r| r.agency_id.clone()).collect();
    let codes: HashMap<String, String> =
        queries::agencies_by_ids(&mut conn, &agency_ids)?.into_iter().map(|a| (a.id, a.code)).collect();
    let full = who.role != Role::Submitter;
    let mut members = Vec::new();
    for p in queries::persons_of_household(&mut conn, &resolved)? {
        let Some(r) = records.iter().find(|r| r.id == p.record_id) else {
            continue;
        };
        if full || Some(r.agency_id.as_str()) == own {
            members.push(KnownMember {
                agency: codes.get(&r.agency_id).cloned().unwrap_or_default(),
                record_id: p.record_id.clone(),
                member: stored_member(p),
            });
        }
    }
    let aid_history = records.iter().map(|r| aid_entry(who, r, &codes)).collect();
    let open_flags = queries::open_flags_of_household(&mut conn, &resolved)?
        .into_iter()
        .filter(|f| full || records.iter().any(|r| r.id == f.record_id && Some(r.agency_id.as_str()) == own))
        .map(|f| flag_for(who, f))
        .collect();
    Ok(HouseholdView {
        merged_from: (resolved != id).then(|| id.to_owned()),
        household_id: resolved,
        members,
        aid_history,
        open_flags,
    })
}
