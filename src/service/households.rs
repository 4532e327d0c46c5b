//! Households: the view a caseworker gets, with every agency's knowledge of the members, the
//! aid history and open flags. A submitter sees only households its agency serves, and other
//! agencies' aid as agency, type and period only. The member rows are resolved into persons,
//! each once (`family::persons`). A scoped caller sees only households with a
//! record in its scope (any other answers 404). Every look-up is audited.

use std::collections::HashMap;

use bawaba_wire::households::{AidEntry, HouseholdView, KnownMember};

use super::Services;
use super::audit::record;
use super::auth::{Principal, Role};
use super::error::ServiceError;
use super::records::{flag_for, stored_member};
use crate::store::models::RecordBrief;
use crate::store::queries;

/// Who may view a household (a submitter, only one its agency serves).
pub const VIEW: &[Role] = &[Role::Caseworker, Role::Auditor, Role::Submitter];

/// One record as an entry of the aid history: everything (with where: the place codes) to a
/// caseworker, an auditor or the agency that posted it; to another agency's submitter only
/// agency, type and period.
pub fn aid_entry(who: &Principal, r: &RecordBrief, codes: &HashMap<String, String>) -> AidEntry {
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
        withdrawn_at: r.withdrawn_at.clone(),
    }
}

/// The most rows of each list a household view shows; the totals count the rest.
pub const MEMBERS_SHOWN: i64 = 200;
pub const AID_SHOWN: i64 = 200;
pub const FLAGS_SHOWN: i64 = 100;

/// Looks a household up. Every list is capped, so a household known from thousands of
/// records answers as fast as any other.
pub fn get(s: &Services, who: &Principal, id: &str) -> Result<HouseholdView, ServiceError> {
    who.require(VIEW)?;
    if id.len() > 100 {
        return Err(ServiceError::NotFound("household"));
    }
    let resolved = s.engine.state.read().resolve(id).to_owned();
    let mut conn = s.conn()?;
    queries::household(&mut conn, &resolved)?.ok_or(ServiceError::NotFound("household"))?;
    // A submitter sees only households its agency serves, and only its own member rows and flags.
    let own = match who.role {
        Role::Submitter => {
            let own = who.agency_id.as_deref().ok_or(ServiceError::NotFound("household"))?;
            if !queries::agency_serves(&mut conn, &resolved, own)? {
                return Err(ServiceError::NotFound("household"));
            }
            Some(own)
        }
        _ => None,
    };
    // A scoped caller sees only households with a record in its scope; any other is not there.
    if let Some(scope) = who.scope_codes()
        && !queries::household_in_scope(&mut conn, &resolved, &scope)?
    {
        return Err(ServiceError::NotFound("household"));
    }
    record(s, who, "household.view", Some(&resolved), None)?;
    let (records, aid_total) = queries::records_of_household(&mut conn, &resolved, AID_SHOWN)?;
    let (persons, members_total) = queries::members_of_household(&mut conn, &resolved, own, MEMBERS_SHOWN)?;
    let mut agency_ids: Vec<String> =
        records.iter().map(|r| r.agency_id.clone()).chain(persons.iter().map(|(_, a)| a.clone())).collect();
    agency_ids.sort_unstable();
    agency_ids.dedup();
    let codes: HashMap<String, String> =
        queries::agencies_by_ids(&mut conn, &agency_ids)?.into_iter().map(|a| (a.id, a.code)).collect();
    // Protection marks only for who may see them (one rule: `Principal::sees_protection`),
    // asked once per posting agency.
    let mut sees: HashMap<String, bool> = HashMap::new();
    let mut members = Vec::with_capacity(persons.len());
    for (p, agency_id) in persons {
        let record_id = p.record_id.clone();
        let mut member = stored_member(&s.vault, p)?;
        if super::planning::any_protection(&member.groups) {
            let visible = match sees.get(&agency_id) {
                Some(v) => *v,
                None => {
                    let v = super::planning::sees_protection_of(&mut conn, who, &agency_id, &resolved)?;
                    sees.insert(agency_id.clone(), v);
                    v
                }
            };
            if !visible {
                super::planning::hide_protection(&mut member.groups);
            }
        }
        members.push(KnownMember { agency: codes.get(&agency_id).cloned().unwrap_or_default(), record_id, member });
    }
    let aid_history = records.iter().map(|r| aid_entry(who, r, &codes)).collect();
    let persons = super::family::persons(&s.engine.matcher, &members);
    let open_flags = queries::open_flags_of_household(&mut conn, &resolved, own, FLAGS_SHOWN)?
        .into_iter()
        .map(|f| flag_for(&s.vault, who, f))
        .collect::<Result<_, _>>()?;
    let open_flags_total = queries::open_flag_counts(&mut conn, std::slice::from_ref(&resolved), own)?
        .into_iter()
        .map(|(_, n)| n as u64)
        .sum();
    Ok(HouseholdView {
        merged_from: (resolved != id).then(|| id.to_owned()),
        household_id: resolved,
        members,
        members_total: members_total as u64,
        persons,
        aid_history,
        aid_total: aid_total as u64,
        open_flags,
        open_flags_total,
    })
}
