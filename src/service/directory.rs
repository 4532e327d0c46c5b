//! The directory of organisations and their services (HSDS-shaped: organization, service,
//! service areas as place codes, eligibility as text, target groups as attributes), and who does
//! what where (the 3W), with households reached from the records.
//!
//! Who writes: the admin writes everyone's; an agency's own keys write its own description and
//! services; nobody else. Anyone with a key reads. Closing a service (`DELETE`) marks it
//! `closed`: it is kept, and leaves the 3W.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use bawaba_places::{Gazetteer, PlaceKind as GPlaceKind};
use bawaba_wire::directory::{
    Contact, Organization, OrganizationBody, OrganizationList, Service, ServiceAnswer, ServiceBody, ServiceList,
    ServicePatch, ServicesQuery, WhoWhatWhere, WhoWhatWhereQuery, WhoWhatWhereRow,
};

use super::Services;
use super::auth::{Principal, Role};
use super::domain::{AidType, Group, OrgKind, ServiceStatus};
use super::error::{FieldProblem, ServiceError};
use super::ids::{new_id, now};
use super::validate::{check_text, date, nonempty, place_filter};
use crate::store::models::{OrganizationRow, ServiceRow};
use crate::store::planning as sql;
use crate::store::queries;

/// Longest description.
const DESCRIPTION_MAX: usize = 2_000;
/// Most groups or areas on one service.
const LIST_MAX: usize = 200;

/// Whether an identifier from a path can name anything: short, with no control characters
/// (a database would refuse some of them; nothing stored has them).
fn plausible_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 100 && !id.chars().any(char::is_control)
}

/// Whether `who` may write what organisation `code` publishes: the admin, or its own keys.
fn may_edit(who: &Principal, code: &str) -> bool {
    who.role == Role::Admin || who.agency_code.as_deref() == Some(code)
}

fn contact_problems(problems: &mut Vec<FieldProblem>, field: &str, c: &Option<Contact>) -> Contact {
    let Some(c) = c else { return Contact::default() };
    let phone = check_text(problems, &format!("{field}.phone"), &c.phone);
    if phone.as_deref().is_some_and(|p| !p.chars().all(|ch| ch.is_ascii_digit() || " +-()".contains(ch))) {
        problems.push(FieldProblem::new(format!("{field}.phone"), "must be a phone number: digits, spaces, dashes, +"));
    }
    let email = check_text(problems, &format!("{field}.email"), &c.email);
    if email.as_deref().is_some_and(|e| !e.contains('@') || e.contains(' ')) {
        problems.push(FieldProblem::new(format!("{field}.email"), "must be an e-mail address"));
    }
    let website = check_text(problems, &format!("{field}.website"), &c.website);
    if website.as_deref().is_some_and(|w| !(w.starts_with("https://") || w.starts_with("http://"))) {
        problems.push(FieldProblem::new(format!("{field}.website"), "must start with https:// or http://"));
    }
    Contact { phone, email, website }
}

fn split(text: &str) -> Vec<String> {
    text.split(',').filter(|s| !s.is_empty()).map(str::to_owned).collect()
}

fn service_out(r: ServiceRow) -> Service {
    Service {
        id: r.id,
        organization: r.organization,
        name: r.name,
        sector: r.sector,
        groups: split(&r.groups),
        areas: split(&r.areas),
        eligibility: r.eligibility,
        status: ServiceStatus::parse(&r.status).unwrap_or(ServiceStatus::Active),
        period_start: r.period_start,
        period_end: r.period_end,
        capacity_households: r.capacity_households,
        contact: Contact { phone: r.phone, email: r.email, website: r.website },
        created_at: r.created_at,
        updated_at: r.updated_at,
    }
}

// ---- organisations ----

/// `GET /v1/directory/organizations`: every agency, with its description (once it gave one)
/// and its services.
pub fn organizations(s: &Services, who: &Principal) -> Result<OrganizationList, ServiceError> {
    let _ = who;
    let mut conn = s.conn()?;
    let agencies = queries::list_agencies(&mut conn)?;
    let described: HashMap<String, OrganizationRow> =
        sql::organizations(&mut conn)?.into_iter().map(|o| (o.code.clone(), o)).collect();
    let mut services: HashMap<String, Vec<Service>> = HashMap::new();
    for r in sql::services(&mut conn)? {
        services.entry(r.organization.clone()).or_default().push(service_out(r));
    }
    let mut organizations: Vec<Organization> = agencies
        .into_iter()
        .map(|a| {
            let services = services.remove(&a.code).unwrap_or_default();
            match described.get(&a.code) {
                Some(o) => Organization {
                    code: a.code,
                    name_ar: o.name_ar.clone(),
                    name_en: o.name_en.clone(),
                    kind: OrgKind::parse(&o.kind),
                    contact: Contact { phone: o.phone.clone(), email: o.email.clone(), website: o.website.clone() },
                    description: o.description.clone(),
                    services,
                },
                None => Organization {
                    code: a.code,
                    name_ar: String::new(),
                    name_en: a.name,
                    kind: None,
                    contact: Contact::default(),
                    description: None,
                    services,
                },
            }
        })
        .collect();
    organizations.sort_by(|a, b| a.code.cmp(&b.code));
    Ok(OrganizationList { organizations })
}

/// `PUT /v1/directory/organizations/{code}`: the admin, or the agency's own keys.
pub fn put_organization(
    s: &Services,
    who: &Principal,
    code: &str,
    body: &OrganizationBody,
) -> Result<Organization, ServiceError> {
    if !may_edit(who, code) {
        return Err(ServiceError::Forbidden);
    }
    if !plausible_id(code) {
        return Err(ServiceError::NotFound("organization"));
    }
    let mut conn = s.conn()?;
    if queries::agency_by_code(&mut conn, code)?.is_none() {
        return Err(ServiceError::NotFound("organization"));
    }
    let mut problems = Vec::new();
    let name_ar = check_text(&mut problems, "name_ar", &body.name_ar);
    let name_en = check_text(&mut problems, "name_en", &body.name_en);
    if name_ar.is_none() && name_en.is_none() {
        problems.push(FieldProblem::new("name_ar", "name_ar or name_en is required"));
    }
    let contact = contact_problems(&mut problems, "contact", &body.contact);
    let description = check_long(&mut problems, "description", &body.description);
    if !problems.is_empty() {
        return Err(ServiceError::Validation(problems));
    }
    let row = OrganizationRow {
        code: code.to_owned(),
        name_ar: name_ar.unwrap_or_default(),
        name_en: name_en.unwrap_or_default(),
        kind: body.kind.as_str().to_owned(),
        phone: contact.phone.clone(),
        email: contact.email.clone(),
        website: contact.website.clone(),
        description: description.clone(),
        updated_at: now(),
    };
    sql::put_organization(&mut conn, &row)?;
    let services = sql::services(&mut conn)?.into_iter().filter(|r| r.organization == code).map(service_out).collect();
    Ok(Organization {
        code: row.code,
        name_ar: row.name_ar,
        name_en: row.name_en,
        kind: Some(body.kind),
        contact,
        description,
        services,
    })
}

// ---- services ----

/// The parts of a service body that need checking, checked; `None` fields were not given.
struct Checked {
    groups: Option<Vec<String>>,
    areas: Option<Vec<String>>,
}

fn check_lists(
    g: &Gazetteer,
    problems: &mut Vec<FieldProblem>,
    groups: Option<&[String]>,
    areas: Option<&[String]>,
) -> Checked {
    let groups = groups.map(|gs| {
        if gs.len() > LIST_MAX {
            problems.push(FieldProblem::new("groups", format!("must hold at most {LIST_MAX} values")));
            return Vec::new();
        }
        let mut out: Vec<String> = Vec::new();
        for (i, raw) in gs.iter().enumerate() {
            match Group::parse(raw.trim()) {
                Some(gr) => {
                    if !out.iter().any(|o| o == gr.as_str()) {
                        out.push(gr.as_str().to_owned());
                    }
                }
                None => problems.push(FieldProblem::new(
                    format!("groups[{i}]"),
                    "must be one of disability, chronic_illness, child_protection, women_protection, elderly, \
                     female_headed",
                )),
            }
        }
        out
    });
    let areas = areas.map(|as_| {
        if as_.len() > LIST_MAX {
            problems.push(FieldProblem::new("areas", format!("must hold at most {LIST_MAX} values")));
            return Vec::new();
        }
        let mut out: Vec<String> = Vec::new();
        for (i, raw) in as_.iter().enumerate() {
            match g.resolve_area(raw) {
                Some(p) => {
                    if !out.contains(&p.code) {
                        out.push(p.code.clone());
                    }
                }
                None => problems.push(FieldProblem::new(
                    format!("areas[{i}]"),
                    "must be a governorate's or locality's code or name (see GET /v1/places)",
                )),
            }
        }
        out
    });
    Checked { groups, areas }
}

fn check_capacity(problems: &mut Vec<FieldProblem>, c: Option<i64>) {
    if c.is_some_and(|c| !(0..=100_000_000).contains(&c)) {
        problems.push(FieldProblem::new("capacity_households", "must be a whole number from 0 to 100,000,000"));
    }
}

fn check_period(problems: &mut Vec<FieldProblem>, start: Option<&str>, end: Option<&str>) {
    let a = date(problems, "period_start", &start.map(str::to_owned));
    let b = date(problems, "period_end", &end.map(str::to_owned));
    if let (Some(a), Some(b)) = (a, b)
        && b < a
    {
        problems.push(FieldProblem::new("period_end", "must not be before period_start"));
    }
}

/// `POST /v1/directory/services`: for the caller's own organisation (the admin names one).
pub fn create_service(s: &Services, who: &Principal, body: &ServiceBody) -> Result<ServiceAnswer, ServiceError> {
    let organization = match (nonempty(&body.organization), &who.agency_code) {
        (Some(o), _) if !plausible_id(&o) => {
            return Err(ServiceError::field("organization", "is not a known agency code"));
        }
        (Some(o), _) => o,
        (None, Some(own)) => own.clone(),
        (None, None) => return Err(ServiceError::field("organization", "is required for the admin")),
    };
    if !may_edit(who, &organization) {
        return Err(ServiceError::Forbidden);
    }
    let mut conn = s.conn()?;
    if queries::agency_by_code(&mut conn, &organization)?.is_none() {
        return Err(ServiceError::field("organization", "is not a known agency code"));
    }
    let mut problems = Vec::new();
    let name = check_text(&mut problems, "name", &Some(body.name.clone()));
    if name.is_none() {
        problems.push(FieldProblem::new("name", "must not be empty"));
    }
    let checked = {
        let g = s.places.read();
        check_lists(&g, &mut problems, Some(&body.groups), Some(&body.areas))
    };
    let eligibility = check_long(&mut problems, "eligibility", &body.eligibility);
    check_period(&mut problems, body.period_start.as_deref(), body.period_end.as_deref());
    check_capacity(&mut problems, body.capacity_households);
    let contact = contact_problems(&mut problems, "contact", &body.contact);
    if !problems.is_empty() {
        return Err(ServiceError::Validation(problems));
    }
    let at = now();
    let row = ServiceRow {
        id: new_id(),
        organization,
        name: name.unwrap_or_default(),
        sector: body.sector.as_str().to_owned(),
        groups: checked.groups.unwrap_or_default().join(","),
        areas: checked.areas.unwrap_or_default().join(","),
        eligibility,
        status: body.status.unwrap_or(ServiceStatus::Active).as_str().to_owned(),
        period_start: nonempty(&body.period_start),
        period_end: nonempty(&body.period_end),
        capacity_households: body.capacity_households,
        phone: contact.phone,
        email: contact.email,
        website: contact.website,
        created_at: at.clone(),
        updated_at: at,
    };
    sql::insert_service(&mut conn, &row)?;
    Ok(ServiceAnswer { service: service_out(row) })
}

fn check_long(problems: &mut Vec<FieldProblem>, field: &str, v: &Option<String>) -> Option<String> {
    let v = nonempty(v)?;
    if v.chars().count() > DESCRIPTION_MAX || v.chars().any(|c| c.is_control() && c != '\n') {
        problems.push(FieldProblem::new(field, format!("must be at most {DESCRIPTION_MAX} characters of text")));
    }
    Some(v)
}

/// `PATCH /v1/directory/services/{id}`: the fields given replace the stored ones.
pub fn patch_service(
    s: &Services,
    who: &Principal,
    id: &str,
    body: &ServicePatch,
) -> Result<ServiceAnswer, ServiceError> {
    if !plausible_id(id) {
        return Err(ServiceError::NotFound("service"));
    }
    let mut conn = s.conn()?;
    let mut row = sql::service(&mut conn, id)?.ok_or(ServiceError::NotFound("service"))?;
    if !may_edit(who, &row.organization) {
        return Err(ServiceError::Forbidden);
    }
    let mut problems = Vec::new();
    if let Some(n) = &body.name {
        match check_text(&mut problems, "name", &Some(n.clone())) {
            Some(n) => row.name = n,
            None => problems.push(FieldProblem::new("name", "must not be empty")),
        }
    }
    let checked = {
        let g = s.places.read();
        check_lists(&g, &mut problems, body.groups.as_deref(), body.areas.as_deref())
    };
    if body.eligibility.is_some() {
        row.eligibility = check_long(&mut problems, "eligibility", &body.eligibility);
    }
    let start = body.period_start.clone().or(row.period_start.clone());
    let end = body.period_end.clone().or(row.period_end.clone());
    check_period(&mut problems, start.as_deref(), end.as_deref());
    check_capacity(&mut problems, body.capacity_households);
    if body.contact.is_some() {
        let c = contact_problems(&mut problems, "contact", &body.contact);
        (row.phone, row.email, row.website) = (c.phone, c.email, c.website);
    }
    if !problems.is_empty() {
        return Err(ServiceError::Validation(problems));
    }
    if let Some(t) = body.sector {
        row.sector = t.as_str().to_owned();
    }
    if let Some(g) = checked.groups {
        row.groups = g.join(",");
    }
    if let Some(a) = checked.areas {
        row.areas = a.join(",");
    }
    if let Some(st) = body.status {
        row.status = st.as_str().to_owned();
    }
    row.period_start = start.filter(|s| !s.trim().is_empty());
    row.period_end = end.filter(|s| !s.trim().is_empty());
    if body.capacity_households.is_some() {
        row.capacity_households = body.capacity_households;
    }
    row.updated_at = now();
    sql::update_service(&mut conn, &row)?;
    Ok(ServiceAnswer { service: service_out(row) })
}

/// `DELETE /v1/directory/services/{id}`: marks it closed; it is kept.
pub fn close_service(s: &Services, who: &Principal, id: &str) -> Result<ServiceAnswer, ServiceError> {
    patch_service(s, who, id, &ServicePatch { status: Some(ServiceStatus::Closed), ..ServicePatch::default() })
}

/// Whether a service serving `areas` serves `code` (a governorate-wide service serves its
/// localities; a locality's service is found from its governorate too).
fn serves(g: &Gazetteer, areas: &[String], code: &str) -> bool {
    let parent = g.get(code).and_then(|p| p.parent.clone());
    areas.iter().any(|a| a == code || Some(a) == parent.as_ref() || a.starts_with(&format!("{code}-")))
}

/// `GET /v1/directory/services`.
pub fn services(s: &Services, who: &Principal, q: &ServicesQuery) -> Result<ServiceList, ServiceError> {
    let _ = who;
    let mut problems = Vec::new();
    let area = place_filter(&mut problems, "area", &q.area);
    let sector = nonempty(&q.sector);
    if sector.as_deref().is_some_and(|t| AidType::parse(t).is_none()) {
        problems.push(FieldProblem::new("sector", "must be an assistance.type value (cash, food, voucher, …)"));
    }
    let group = nonempty(&q.group);
    if group.as_deref().is_some_and(|t| Group::parse(t).is_none()) {
        problems.push(FieldProblem::new("group", "must be a vulnerable group (disability, elderly, …)"));
    }
    let status = nonempty(&q.status);
    if status.as_deref().is_some_and(|t| ServiceStatus::parse(t).is_none()) {
        problems.push(FieldProblem::new("status", "must be active, paused or closed"));
    }
    let g = s.places.read();
    let area = match area {
        Some(text) => match g.resolve_area(&text) {
            Some(p) => Some(p.code.clone()),
            None => {
                problems.push(FieldProblem::new("area", "must be a governorate's or locality's code or name"));
                None
            }
        },
        None => None,
    };
    if !problems.is_empty() {
        return Err(ServiceError::Validation(problems));
    }
    let organization = nonempty(&q.organization);
    let mut conn = s.conn()?;
    let services = sql::services(&mut conn)?
        .into_iter()
        .map(service_out)
        .filter(|v| organization.as_deref().is_none_or(|o| v.organization == o))
        .filter(|v| sector.as_deref().is_none_or(|t| v.sector == t))
        .filter(|v| group.as_deref().is_none_or(|gr| v.groups.is_empty() || v.groups.iter().any(|x| x == gr)))
        .filter(|v| status.as_deref().is_none_or(|st| v.status.as_str() == st))
        .filter(|v| area.as_deref().is_none_or(|a| serves(&g, &v.areas, a)))
        .collect();
    Ok(ServiceList { services })
}

// ---- who does what where ----

/// How the 3W is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Csv,
    /// CSV with the HXL hashtag row under the headers.
    Hxl,
}

/// The format a 3W query asks for.
pub fn format(q: &WhoWhatWhereQuery) -> Result<Format, ServiceError> {
    match nonempty(&q.format).as_deref() {
        None | Some("json") => Ok(Format::Json),
        Some("csv") => Ok(Format::Csv),
        Some("hxl") => Ok(Format::Hxl),
        Some(_) => Err(ServiceError::field("format", "must be json, csv or hxl")),
    }
}

type Key = (String, String, Option<String>, Option<String>);

/// `GET /v1/directory/3w`: one row per organisation × sector × place, from the services
/// (active or paused, with a period meeting the window) and the records (households reached).
pub fn who_what_where(s: &Services, who: &Principal, q: &WhoWhatWhereQuery) -> Result<WhoWhatWhere, ServiceError> {
    let mut problems = Vec::new();
    let from = date(&mut problems, "from", &q.from);
    let to = date(&mut problems, "to", &q.to);
    let governorate = place_filter(&mut problems, "governorate", &q.governorate);
    let sector = nonempty(&q.sector);
    if sector.as_deref().is_some_and(|t| AidType::parse(t).is_none()) {
        problems.push(FieldProblem::new("sector", "must be an assistance.type value (cash, food, voucher, …)"));
    }
    if !problems.is_empty() {
        return Err(ServiceError::Validation(problems));
    }
    let organization = nonempty(&q.organization);
    let (from, to) = (from.map(|d| d.to_string()), to.map(|d| d.to_string()));
    let started = std::time::Instant::now();
    let mut conn = s.conn()?;
    let lines = sql::who_what_where(&mut conn, from.as_deref(), to.as_deref())?;
    let described: HashMap<String, OrganizationRow> =
        sql::organizations(&mut conn)?.into_iter().map(|o| (o.code.clone(), o)).collect();
    let agency_names: HashMap<String, String> =
        queries::list_agencies(&mut conn)?.into_iter().map(|a| (a.code, a.name)).collect();
    let service_rows = sql::services(&mut conn)?;
    drop(conn);
    let g = s.places.read();
    let governorate = governorate.map(|t| g.resolve(Some(&t), None).governorate_code.unwrap_or(t));

    #[derive(Default)]
    struct Line {
        services: BTreeSet<String>,
        start: Option<String>,
        end: Option<String>,
        reached: i64,
    }
    let mut rows: BTreeMap<Key, Line> = BTreeMap::new();
    for l in lines {
        let line = rows.entry((l.agency, l.sector, l.adm1, l.adm2)).or_default();
        line.reached = l.households;
        line.start = Some(l.first);
        line.end = Some(l.last);
    }
    for sv in service_rows.into_iter().map(service_out) {
        if sv.status == ServiceStatus::Closed {
            continue;
        }
        let meets = from.as_deref().is_none_or(|f| sv.period_end.as_deref().is_none_or(|e| e >= f))
            && to.as_deref().is_none_or(|t| sv.period_start.as_deref().is_none_or(|b| b <= t));
        if !meets {
            continue;
        }
        for area in &sv.areas {
            let (adm1, adm2) = match g.get(area) {
                Some(p) if p.kind == GPlaceKind::Governorate => (Some(area.clone()), None),
                Some(p) => (p.parent.clone(), Some(area.clone())),
                None => (None, Some(area.clone())),
            };
            let line = rows.entry((sv.organization.clone(), sv.sector.clone(), adm1, adm2)).or_default();
            line.services.insert(sv.name.clone());
            let widen = |a: &mut Option<String>, b: &Option<String>, earlier: bool| {
                if let Some(b) = b
                    && a.as_ref().is_none_or(|a| if earlier { b < a } else { b > a })
                {
                    *a = Some(b.clone());
                }
            };
            widen(&mut line.start, &sv.period_start, true);
            widen(&mut line.end, &sv.period_end, false);
        }
    }
    let hide = who.role != Role::Admin && s.coverage.suppress_below > 1;
    let small = |n: i64| hide && n >= 1 && n < s.coverage.suppress_below;
    let rows = rows
        .into_iter()
        .filter(|((org, sec, adm1, _), _)| {
            organization.as_deref().is_none_or(|o| o == org.as_str())
                && sector.as_deref().is_none_or(|t| t == sec.as_str())
                && governorate.as_deref().is_none_or(|gv| adm1.as_deref() == Some(gv))
        })
        .map(|((org, sec, adm1, adm2), line)| {
            let d = described.get(&org);
            let organization_name = match d {
                Some(o) if !o.name_ar.is_empty() => o.name_ar.clone(),
                Some(o) => o.name_en.clone(),
                None => agency_names.get(&org).cloned().unwrap_or_default(),
            };
            let name = |code: &Option<String>| {
                code.as_deref()
                    .and_then(|c| g.get(c))
                    .map(|p| (p.name_ar.clone(), p.name_en.clone()))
                    .unwrap_or_default()
            };
            let (adm1_name, adm1_name_en) = name(&adm1);
            let (adm2_name, adm2_name_en) = name(&adm2);
            WhoWhatWhereRow {
                organization_kind: d.and_then(|o| OrgKind::parse(&o.kind)),
                organization: org,
                organization_name,
                sector: sec,
                adm1_code: adm1,
                adm1_name,
                adm1_name_en,
                adm2_code: adm2,
                adm2_name,
                adm2_name_en,
                services: line.services.into_iter().collect(),
                period_start: line.start,
                period_end: line.end,
                households_reached: (!small(line.reached)).then_some(line.reached),
                suppressed: small(line.reached),
            }
        })
        .collect::<Vec<_>>();
    tracing::debug!(rows = rows.len(), built = ?started.elapsed(), "3W");
    Ok(WhoWhatWhere { rows })
}

/// The HXL hashtags under the 3W's CSV headers, column by column.
pub const HXL_TAGS: [&str; 16] = [
    "#org+name",
    "#org+code",
    "#org+type",
    "#sector",
    "#adm1+code",
    "#adm1+name",
    "#adm1+name+i_en",
    "#adm2+code",
    "#adm2+name",
    "#adm2+name+i_en",
    "#date+start",
    "#date+end",
    "#reached+hh",
    "#activity+name",
    "#meta+suppressed",
    "#org+name+i_en",
];

/// The 3W as CSV, with the HXL hashtag row when `hxl`.
pub fn who_what_where_csv(
    s: &Services,
    who: &Principal,
    q: &WhoWhatWhereQuery,
    hxl: bool,
) -> Result<Vec<u8>, ServiceError> {
    let report = who_what_where(s, who, q)?;
    let english: HashMap<String, String> = {
        let mut conn = s.conn()?;
        let mut m: HashMap<String, String> =
            queries::list_agencies(&mut conn)?.into_iter().map(|a| (a.code, a.name)).collect();
        for o in sql::organizations(&mut conn)? {
            if !o.name_en.is_empty() {
                m.insert(o.code, o.name_en);
            }
        }
        m
    };
    let io = |e: csv::Error| ServiceError::Internal(format!("writing CSV: {e}"));
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "organization_name",
        "organization",
        "organization_kind",
        "sector",
        "adm1_code",
        "adm1_name",
        "adm1_name_en",
        "adm2_code",
        "adm2_name",
        "adm2_name_en",
        "period_start",
        "period_end",
        "households_reached",
        "services",
        "suppressed",
        "organization_name_en",
    ])
    .map_err(io)?;
    if hxl {
        w.write_record(HXL_TAGS).map_err(io)?;
    }
    for r in report.rows {
        let en = english.get(&r.organization).cloned().unwrap_or_default();
        w.write_record([
            r.organization_name,
            r.organization,
            r.organization_kind.map(|k| k.as_str().to_owned()).unwrap_or_default(),
            r.sector,
            r.adm1_code.unwrap_or_default(),
            r.adm1_name,
            r.adm1_name_en,
            r.adm2_code.unwrap_or_default(),
            r.adm2_name,
            r.adm2_name_en,
            r.period_start.unwrap_or_default(),
            r.period_end.unwrap_or_default(),
            r.households_reached.map(|n| n.to_string()).unwrap_or_default(),
            r.services.join("; "),
            r.suppressed.to_string(),
            en,
        ])
        .map_err(io)?;
    }
    w.into_inner().map_err(|e| ServiceError::Internal(format!("writing CSV: {e}")))
}
