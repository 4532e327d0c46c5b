//! Planning (API.md, "Vulnerable groups", "Needs and coverage"): the groups a member and a
//! household fall in, the needs and targets a coordinator enters, and the coverage report.
//!
//! Groups: an agency posts `disability`, `chronic_illness`, `child_protection` and
//! `women_protection` on a member (stored on the person); the gateway derives `elderly` (a
//! member 60 or more at the period's start, from the latest day the birth date as written allows)
//! and `female_headed` (the head is F). Every group of a record's household, posted or derived,
//! is kept in `record_groups`, what coverage counts by. Protection marks are shown on a person
//! only to who [`Principal::sees_protection`]; everyone else sees them only as counts here.
//!
//! Coverage: households are the gateway's resolved households (a merged one is its survivor),
//! each counted once per row however many records or agencies reached it; the records are
//! selected in SQL and counted in one pass each (`store::planning`). Rows are per governorate, or per locality of the `governorate=`
//! asked, or the one `area=` asked, × sector × group. A row's status: `no_service` (need, no
//! one reached), `double_served` (the share reached by two or more agencies at or above
//! [`CoverageSettings::double_served_share`]), else `met` or `under` against the target (or
//! the need when no target). Counts from 1 to [`CoverageSettings::suppress_below`] − 1 are
//! `null` with `"suppressed": true` for every role but admin, and so are the coverage and the gap
//! they would give away.
//!
//! Withdrawn records (aid never delivered) count nowhere here: the coverage selection and the
//! 3W leave them out.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Datelike, NaiveDate};

use bawaba_places::{Gazetteer, PlaceKind as GPlaceKind};
use bawaba_wire::planning::{
    CoverageQuery, CoverageReport, CoverageRow, CoverageTotals, NeedOut, NeedsBody, NeedsList, NeedsQuery,
};

use super::Services;
use super::auth::{Principal, Role};
use super::domain::{AidType, CoverageStatus, Group, MemberRole, NewRecord, Sex};
use super::error::{FieldProblem, ServiceError};
use super::ids::now;
use super::places::PlaceFilter;
use super::validate::{check_text, date, nonempty, place_filter};
use crate::store::models::NeedRow;
use crate::store::planning::{self as sql, CoverageFilter, Level};
use crate::store::{DbConn, queries};

/// Who may write needs.
pub const WRITE_NEEDS: &[Role] = &[Role::Admin, Role::Coordinator];
/// Who may read needs and coverage.
pub const READ: &[Role] = &[Role::Admin, Role::Coordinator, Role::Auditor];
/// Most needs in one `PUT`.
pub const NEEDS_MAX: usize = 10_000;

/// The coverage report's settings (`BAWABA_DOUBLE_SERVED_SHARE`, `BAWABA_SUPPRESS_BELOW`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CoverageSettings {
    /// A row is `double_served` when at least this share of its households was reached by two
    /// or more agencies for the sector (default 0.1).
    pub double_served_share: f64,
    /// Counts from 1 to this minus one are suppressed for every role but admin (default 5; 0
    /// or 1 shows every count).
    pub suppress_below: i64,
}

impl Default for CoverageSettings {
    fn default() -> Self {
        CoverageSettings { double_served_share: 0.1, suppress_below: 5 }
    }
}

impl CoverageSettings {
    /// From the environment, the defaults where unset; a value that does not read is refused.
    pub fn from_env() -> Result<CoverageSettings, String> {
        let mut s = CoverageSettings::default();
        if let Ok(v) = std::env::var("BAWABA_DOUBLE_SERVED_SHARE") {
            s.double_served_share = v
                .trim()
                .parse::<f64>()
                .ok()
                .filter(|x| (0.0..=1.0).contains(x))
                .ok_or("BAWABA_DOUBLE_SERVED_SHARE must be a number from 0 to 1")?;
        }
        if let Ok(v) = std::env::var("BAWABA_SUPPRESS_BELOW") {
            s.suppress_below = v
                .trim()
                .parse::<i64>()
                .ok()
                .filter(|x| (0..=1000).contains(x))
                .ok_or("BAWABA_SUPPRESS_BELOW must be a whole number from 0 to 1000")?;
        }
        Ok(s)
    }
}

// ---- groups ----

/// Groups as stored (comma-joined), unknown words skipped.
pub fn read_groups(text: Option<&str>) -> Vec<Group> {
    text.unwrap_or_default().split(',').filter_map(|g| Group::parse(g.trim())).collect()
}

/// Groups as stored; `None` when there are none.
pub fn write_groups(groups: &[Group]) -> Option<String> {
    (!groups.is_empty()).then(|| groups.iter().map(|g| g.as_str()).collect::<Vec<_>>().join(","))
}

/// Whether a member was 60 or more on `day`: the latest birth day the date as written allows
/// (`1960` is read as 31 December 1960) is at least 60 years before it.
pub fn elderly_on(date_of_birth: &str, day: NaiveDate) -> bool {
    let Some(d) = bawaba_matching::normalize::date_of_birth(date_of_birth) else { return false };
    let latest = (i32::from(d.year), d.month.map_or(12, u32::from), d.day.map_or(31, u32::from));
    latest <= (day.year() - 60, day.month(), day.day())
}

/// Every group a record's household falls in: those posted on its members, `elderly` when a
/// member was 60 or more at the period's start, `female_headed` when a head is F.
pub fn record_groups(r: &NewRecord) -> Vec<Group> {
    let mut out: BTreeSet<Group> = r.members.iter().flat_map(|m| m.groups.iter().copied()).collect();
    if r.members.iter().any(|m| m.date_of_birth.as_deref().is_some_and(|d| elderly_on(d, r.period_start))) {
        out.insert(Group::Elderly);
    }
    if r.members.iter().any(|m| m.role == MemberRole::Head && m.sex == Some(Sex::F)) {
        out.insert(Group::FemaleHeaded);
    }
    out.into_iter().collect()
}

/// Whether any of these groups (wire words) is a protection mark.
pub fn any_protection(groups: &[String]) -> bool {
    groups.iter().any(|g| Group::parse(g).is_some_and(Group::is_protection))
}

/// Leaves the protection marks out.
pub fn hide_protection(groups: &mut Vec<String>) {
    groups.retain(|g| !Group::parse(g).is_some_and(Group::is_protection));
}

/// Whether `who` sees the protection marks an agency posted on a household's person
/// ([`Principal::sees_protection`]), reading the household's places only when they matter.
pub fn sees_protection_of(
    conn: &mut DbConn,
    who: &Principal,
    posted_by_agency_id: &str,
    household_id: &str,
) -> Result<bool, ServiceError> {
    let places = if who.role == Role::Caseworker { sql::household_places(conn, household_id)? } else { Vec::new() };
    Ok(who.sees_protection(Some(posted_by_agency_id), &places))
}

/// A group filter's value: any group, posted or derived.
fn group_param(problems: &mut Vec<FieldProblem>, field: &str, raw: &Option<String>) -> Option<Group> {
    let v = nonempty(raw)?;
    let g = Group::parse(&v);
    if g.is_none() {
        problems.push(FieldProblem::new(
            field,
            "must be one of disability, chronic_illness, child_protection, women_protection, elderly, female_headed",
        ));
    }
    g
}

fn sector_param(problems: &mut Vec<FieldProblem>, field: &str, raw: &Option<String>) -> Option<AidType> {
    let v = nonempty(raw)?;
    let t = AidType::parse(&v);
    if t.is_none() {
        problems.push(FieldProblem::new(field, "must be an assistance.type value (cash, food, voucher, …)"));
    }
    t
}

/// A place's names (Arabic, English), or the code itself when unknown.
fn names(g: &Gazetteer, code: Option<&str>) -> (String, String) {
    match code {
        None => ("غير محدد".to_owned(), "unresolved".to_owned()),
        Some("") => (String::new(), String::new()),
        Some(c) => match g.get(c) {
            Some(p) => (p.name_ar.clone(), p.name_en.clone()),
            None => (c.to_owned(), c.to_owned()),
        },
    }
}

// ---- needs ----

fn need_out(g: &Gazetteer, n: NeedRow) -> NeedOut {
    let (area_name, area_name_en) = names(g, Some(&n.area));
    NeedOut {
        area: n.area,
        area_name,
        area_name_en,
        sector: n.sector,
        group: (!n.grp.is_empty()).then_some(n.grp),
        period_start: n.period_start,
        period_end: n.period_end,
        households_in_need: n.households_in_need,
        households_targeted: n.households_targeted,
        source: n.source,
        updated_at: n.updated_at,
    }
}

/// `PUT /v1/needs`: every need validated (each problem naming its field), then all upserted by
/// area × sector × group × period in one transaction, or none.
pub fn put_needs(s: &Services, who: &Principal, body: &NeedsBody) -> Result<NeedsList, ServiceError> {
    who.require(WRITE_NEEDS)?;
    let mut problems = Vec::new();
    if body.needs.is_empty() {
        problems.push(FieldProblem::new("needs", "must hold at least one need"));
    } else if body.needs.len() > NEEDS_MAX {
        return Err(ServiceError::field("needs", format!("must hold at most {NEEDS_MAX} needs")));
    }
    let at = now();
    let mut rows = Vec::with_capacity(body.needs.len());
    {
        let g = s.places.read();
        for (i, n) in body.needs.iter().enumerate() {
            let f = |name: &str| format!("needs[{i}].{name}");
            let area = match g.resolve_area(&n.area) {
                Some(p) => Some(p.code.clone()),
                None => {
                    problems.push(FieldProblem::new(f("area"), "must be a governorate's or locality's code or name"));
                    None
                }
            };
            let group = group_param(&mut problems, &f("group"), &n.group);
            let start = date(&mut problems, &f("period_start"), &Some(n.period_start.clone()));
            let end = date(&mut problems, &f("period_end"), &Some(n.period_end.clone()));
            if let (Some(a), Some(b)) = (start, end)
                && b < a
            {
                problems.push(FieldProblem::new(f("period_end"), "must not be before period_start"));
            }
            if !(0..=100_000_000).contains(&n.households_in_need) {
                problems
                    .push(FieldProblem::new(f("households_in_need"), "must be a whole number from 0 to 100,000,000"));
            }
            if n.households_targeted.is_some_and(|t| !(0..=100_000_000).contains(&t)) {
                problems
                    .push(FieldProblem::new(f("households_targeted"), "must be a whole number from 0 to 100,000,000"));
            }
            let source = check_text(&mut problems, &f("source"), &n.source);
            if let (Some(area), Some(start), Some(end)) = (area, start, end) {
                rows.push(NeedRow {
                    area,
                    sector: n.sector.as_str().to_owned(),
                    grp: group.map(|g| g.as_str().to_owned()).unwrap_or_default(),
                    period_start: start.to_string(),
                    period_end: end.to_string(),
                    households_in_need: n.households_in_need,
                    households_targeted: n.households_targeted,
                    source,
                    updated_at: at.clone(),
                });
            }
        }
    }
    if !problems.is_empty() {
        return Err(ServiceError::Validation(problems));
    }
    let mut conn = s.conn()?;
    let replaced = sql::upsert_needs(&mut conn, &rows)?;
    let g = s.places.read();
    Ok(NeedsList { needs: rows.into_iter().map(|n| need_out(&g, n)).collect(), replaced: Some(replaced) })
}

/// The columns a needs CSV takes (the first line names them, in any order; `group`,
/// `households_targeted` and `source` may be left out).
pub const NEEDS_CSV_COLUMNS: [&str; 8] =
    ["area", "sector", "group", "period_start", "period_end", "households_in_need", "households_targeted", "source"];

/// Needs from a CSV (the coordinators' upload on the coverage page), written as
/// [`put_needs`] writes them; a problem names the line and column (`line 3: sector`).
pub fn put_needs_csv(s: &Services, who: &Principal, text: &str) -> Result<NeedsList, ServiceError> {
    who.require(WRITE_NEEDS)?;
    let text = text.trim_start_matches('\u{FEFF}');
    let mut reader = csv::ReaderBuilder::new().flexible(true).trim(csv::Trim::All).from_reader(text.as_bytes());
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| ServiceError::field("csv", format!("the first line must name the columns: {e}")))?
        .iter()
        .map(|h| h.trim().to_ascii_lowercase())
        .collect();
    let mut problems = Vec::new();
    for required in ["area", "sector", "period_start", "period_end", "households_in_need"] {
        if !headers.iter().any(|h| h == required) {
            problems.push(FieldProblem::new("line 1", format!("has no `{required}` column")));
        }
    }
    if !problems.is_empty() {
        return Err(ServiceError::Validation(problems));
    }
    let col = |name: &str| headers.iter().position(|h| h == name);
    let mut needs = Vec::new();
    for (i, rec) in reader.records().enumerate() {
        let line = i + 2;
        let rec = rec.map_err(|e| ServiceError::field(format!("line {line}"), e.to_string()))?;
        if rec.iter().all(str::is_empty) {
            continue;
        }
        if needs.len() >= NEEDS_MAX {
            return Err(ServiceError::field("csv", format!("must hold at most {NEEDS_MAX} needs")));
        }
        let get = |name: &str| col(name).and_then(|c| rec.get(c)).map(str::to_owned).filter(|v| !v.is_empty());
        let number = |name: &str, problems: &mut Vec<FieldProblem>| -> Option<i64> {
            let v = get(name)?;
            let n = v.replace([',', ' '], "").parse::<i64>().ok();
            if n.is_none() {
                problems.push(FieldProblem::new(format!("line {line}: {name}"), "must be a whole number"));
            }
            n
        };
        let sector = get("sector").and_then(|t| AidType::parse(&t));
        if sector.is_none() {
            problems.push(FieldProblem::new(format!("line {line}: sector"), "must be an assistance.type value"));
        }
        let in_need = number("households_in_need", &mut problems);
        if in_need.is_none() && get("households_in_need").is_none() {
            problems.push(FieldProblem::new(format!("line {line}: households_in_need"), "is required"));
        }
        let targeted = number("households_targeted", &mut problems);
        if let (Some(sector), Some(in_need)) = (sector, in_need) {
            needs.push((
                line,
                bawaba_wire::planning::NeedBody {
                    area: get("area").unwrap_or_default(),
                    sector,
                    group: get("group"),
                    period_start: get("period_start").unwrap_or_default(),
                    period_end: get("period_end").unwrap_or_default(),
                    households_in_need: in_need,
                    households_targeted: targeted,
                    source: get("source"),
                },
            ));
        }
    }
    if !problems.is_empty() {
        return Err(ServiceError::Validation(problems));
    }
    let lines: Vec<usize> = needs.iter().map(|(l, _)| *l).collect();
    let body = NeedsBody { needs: needs.into_iter().map(|(_, n)| n).collect() };
    put_needs(s, who, &body).map_err(|e| match e {
        ServiceError::Validation(ps) => ServiceError::Validation(
            ps.into_iter()
                .map(|p| {
                    let field = p
                        .field
                        .strip_prefix("needs[")
                        .and_then(|rest| rest.split_once("]."))
                        .and_then(|(i, f)| Some(format!("line {}: {f}", lines.get(i.parse::<usize>().ok()?)?)))
                        .unwrap_or(p.field.clone());
                    FieldProblem { field, ..p }
                })
                .collect(),
        ),
        other => other,
    })
}

/// `GET /v1/needs`.
pub fn needs(s: &Services, who: &Principal, q: &NeedsQuery) -> Result<NeedsList, ServiceError> {
    who.require(READ)?;
    let mut problems = Vec::new();
    let sector = sector_param(&mut problems, "sector", &q.sector);
    let all = nonempty(&q.group).is_some_and(|g| g == "all");
    let group = if all { None } else { group_param(&mut problems, "group", &q.group) };
    let from = date(&mut problems, "from", &q.from);
    let to = date(&mut problems, "to", &q.to);
    let area = place_filter(&mut problems, "area", &q.area);
    let area = match area {
        Some(text) => match s.places.read().resolve_area(&text) {
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
    let mut conn = s.conn()?;
    let grp = if all { Some(String::new()) } else { group.map(|g| g.as_str().to_owned()) };
    let rows = sql::needs(
        &mut conn,
        None,
        sector.map(AidType::as_str),
        grp.as_deref(),
        from.map(|d| d.to_string()).as_deref(),
        to.map(|d| d.to_string()).as_deref(),
    )?;
    let g = s.places.read();
    let needs = rows
        .into_iter()
        .filter(|n| area.as_deref().is_none_or(|a| n.area == a || n.area.starts_with(&format!("{a}-"))))
        .map(|n| need_out(&g, n))
        .collect();
    Ok(NeedsList { needs, replaced: None })
}

// ---- coverage ----

/// How a coverage report is to be written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Csv,
}

/// The coverage request, validated.
struct Request {
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    level: Level,
    /// The one area asked (`Level::One`): its code, or the name as written.
    one: Option<String>,
    places: Vec<PlaceFilter>,
    sector: Option<AidType>,
    group: Option<Group>,
}

/// The format a coverage query asks for (checked first, by the edge).
pub fn coverage_format(q: &CoverageQuery) -> Result<Format, ServiceError> {
    match nonempty(&q.format).as_deref() {
        None | Some("json") => Ok(Format::Json),
        Some("csv") => Ok(Format::Csv),
        Some(_) => Err(ServiceError::field("format", "must be json or csv")),
    }
}

fn request(s: &Services, q: &CoverageQuery) -> Result<Request, ServiceError> {
    let mut problems = Vec::new();
    let from = date(&mut problems, "from", &q.from);
    let to = date(&mut problems, "to", &q.to);
    if let (Some(a), Some(b)) = (from, to)
        && b < a
    {
        problems.push(FieldProblem::new("to", "must not be before from"));
    }
    let governorate = place_filter(&mut problems, "governorate", &q.governorate);
    let area = place_filter(&mut problems, "area", &q.area);
    let sector = sector_param(&mut problems, "sector", &q.sector);
    let group = group_param(&mut problems, "group", &q.group);
    if !problems.is_empty() {
        return Err(ServiceError::Validation(problems));
    }
    let g = s.places.read();
    let mut places = Vec::new();
    let mut one = None;
    let level = if let Some(a) = &area {
        let f = PlaceFilter::area(&g, a);
        one = Some(match &f {
            PlaceFilter::Governorate(c) | PlaceFilter::Locality(c) => c.clone(),
            PlaceFilter::GovernorateWritten(t) | PlaceFilter::AreaWritten(t) => t.clone(),
        });
        places.push(f);
        if let Some(gov) = &governorate {
            places.push(PlaceFilter::governorate(&g, gov));
        }
        Level::One
    } else if let Some(gov) = &governorate {
        places.push(PlaceFilter::governorate(&g, gov));
        Level::Locality
    } else {
        Level::Governorate
    };
    Ok(Request { from, to, level, one, places, sector, group })
}

/// One row being built.
#[derive(Default)]
struct Building {
    reached: i64,
    two: i64,
    records: i64,
    agencies: BTreeSet<String>,
    need: Option<i64>,
    targeted: Option<i64>,
}

/// Which needs a row level takes: governorates' at the top, the localities of the governorate
/// asked, or the one area asked.
fn need_matches(level: &Level, one: Option<&str>, governorate: Option<&str>, g: &Gazetteer, area: &str) -> bool {
    match level {
        Level::Governorate => g.get(area).is_some_and(|p| p.kind == GPlaceKind::Governorate),
        Level::Locality => governorate.is_some_and(|gov| area.starts_with(&format!("{gov}-"))),
        Level::One => one == Some(area),
    }
}

/// `GET /v1/reports/coverage` (JSON).
pub fn coverage(s: &Services, who: &Principal, q: &CoverageQuery) -> Result<CoverageReport, ServiceError> {
    coverage_with(s, who, q, true)
}

/// The coverage report with every sector together when `by_sector` is false (and no sector is
/// asked): one row per area and group, a household reached in two sectors counted once, needs
/// summed over sectors. What the map draws.
pub fn coverage_with(
    s: &Services,
    who: &Principal,
    q: &CoverageQuery,
    by_sector: bool,
) -> Result<CoverageReport, ServiceError> {
    who.require(READ)?;
    let started = std::time::Instant::now();
    let req = request(s, q)?;
    let settings = s.coverage;
    let mut conn = s.conn()?;
    let written = if req.places.iter().any(PlaceFilter::is_written) {
        queries::written_place_names(&mut conn)?
    } else {
        Vec::new()
    };
    let base = CoverageFilter {
        from: req.from.map(|d| d.to_string()),
        to: req.to.map(|d| d.to_string()),
        level: req.level.clone(),
        places: req.places.iter().map(|f| f.condition(&written)).collect(),
        sector: req.sector.map(|t| t.as_str().to_owned()),
        group: req.group.map(|g| g.as_str().to_owned()),
        by_sector: by_sector || req.sector.is_some(),
    };
    let governorate_code = req.places.iter().find_map(|f| match f {
        PlaceFilter::Governorate(c) => Some(c.clone()),
        _ => None,
    });
    // Needs for this level, summed per area × sector × group over the periods that meet the
    // window.
    let need_rows = sql::needs(
        &mut conn,
        None,
        base.sector.as_deref(),
        base.group.as_deref(),
        base.from.as_deref(),
        base.to.as_deref(),
    )?;
    let key_area =
        |area: Option<String>| -> Option<String> { if req.level == Level::One { req.one.clone() } else { area } };
    let mut rows: BTreeMap<(Option<String>, String, Option<String>), Building> = BTreeMap::new();
    let mut need_groups: BTreeSet<String> = BTreeSet::new();
    {
        let g = s.places.read();
        for n in need_rows {
            if !need_matches(&req.level, req.one.as_deref(), governorate_code.as_deref(), &g, &n.area) {
                continue;
            }
            let group = (!n.grp.is_empty()).then(|| n.grp.clone());
            if let Some(gr) = &group
                && req.group.is_none()
            {
                need_groups.insert(gr.clone());
            }
            let sector = if base.by_sector { n.sector.clone() } else { String::new() };
            let b = rows.entry((Some(n.area.clone()), sector, group)).or_default();
            *b.need.get_or_insert(0) += n.households_in_need;
            if let Some(t) = n.households_targeted {
                *b.targeted.get_or_insert(0) += t;
            }
        }
    }
    // Reached: for the group asked (or every household), then per group that has a need.
    let groups: Vec<String> = need_groups.into_iter().collect();
    let counts = sql::coverage_counts(&mut conn, &base, &groups)?;
    let total_reached = counts.first().map_or(0, |c| c.total);
    let passes = std::iter::once(base.group.clone()).chain(groups.into_iter().map(Some));
    for (i, (group, counts)) in passes.zip(counts).enumerate() {
        let only_needed = i > 0;
        for r in counts.reached {
            let key = (key_area(r.area), r.sector, group.clone());
            if only_needed && !rows.contains_key(&key) {
                continue;
            }
            let b = rows.entry(key).or_default();
            b.reached = r.households;
            b.two = r.two_or_more;
            b.records = r.records;
        }
        for p in counts.present {
            let key = (key_area(p.area), p.sector, group.clone());
            if let Some(b) = rows.get_mut(&key) {
                b.agencies.insert(p.agency);
            }
        }
    }
    drop(conn);
    let counted = started.elapsed();

    let hide = who.role != Role::Admin && settings.suppress_below > 1;
    let small = |n: i64| hide && n >= 1 && n < settings.suppress_below;
    let g = s.places.read();
    let mut totals = CoverageTotals::default();
    let mut total_records = 0;
    let mut out = Vec::with_capacity(rows.len());
    for ((area, sector, group), b) in rows {
        let status = if b.need.is_some_and(|n| n > 0) && b.reached == 0 {
            Some(CoverageStatus::NoService)
        } else if b.reached > 0 && (b.two as f64) / (b.reached as f64) >= settings.double_served_share && b.two > 0 {
            Some(CoverageStatus::DoubleServed)
        } else if let Some(goal) = b.targeted.or(b.need) {
            Some(if b.reached >= goal { CoverageStatus::Met } else { CoverageStatus::Under })
        } else {
            None
        };
        match status {
            Some(CoverageStatus::NoService) => totals.no_service += 1,
            Some(CoverageStatus::Under) => totals.under += 1,
            Some(CoverageStatus::Met) => totals.met += 1,
            Some(CoverageStatus::DoubleServed) => totals.double_served += 1,
            None => {}
        }
        if group.is_none() || req.group.is_some() {
            total_records += b.records;
        }
        totals.households_in_need += b.need.unwrap_or(0);
        totals.households_targeted += b.targeted.unwrap_or(0);
        let reached_hidden = small(b.reached);
        let coverage = b.targeted.filter(|t| *t > 0).map(|t| round(b.reached as f64 / t as f64));
        let gap = b.need.map(|n| n - b.reached);
        let (area_name, area_name_en) = match (&req.level, &area) {
            (Level::One, Some(a)) => names(&g, Some(a.as_str())),
            _ => names(&g, area.as_deref()),
        };
        out.push(CoverageRow {
            area_name,
            area_name_en,
            area,
            sector,
            group,
            households_reached: (!reached_hidden).then_some(b.reached),
            records: (!small(b.records) && !reached_hidden).then_some(b.records),
            agencies: b.agencies.into_iter().collect(),
            households_reached_by_two_or_more: (!small(b.two) && !reached_hidden).then_some(b.two),
            households_in_need: b.need,
            households_targeted: b.targeted,
            coverage: if reached_hidden { None } else { coverage },
            gap: if reached_hidden { None } else { gap },
            status,
            suppressed: reached_hidden || small(b.two) || small(b.records),
        });
    }
    totals.suppressed = small(total_reached) || small(total_records);
    totals.households_reached = (!small(total_reached)).then_some(total_reached);
    totals.records = (!small(total_records) && !small(total_reached)).then_some(total_records);
    totals.coverage = (totals.households_targeted > 0 && !small(total_reached))
        .then(|| round(total_reached as f64 / totals.households_targeted as f64));
    totals.gap =
        (totals.households_in_need > 0 && !small(total_reached)).then(|| totals.households_in_need - total_reached);
    tracing::debug!(rows = out.len(), ?counted, built = ?started.elapsed(), "coverage report");
    Ok(CoverageReport {
        rows: out,
        totals,
        double_served_share: settings.double_served_share,
        suppress_below: settings.suppress_below,
    })
}

fn round(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// The coverage report as CSV: one line per row, suppressed counts left empty and marked.
pub fn coverage_csv(s: &Services, who: &Principal, q: &CoverageQuery) -> Result<Vec<u8>, ServiceError> {
    let report = coverage(s, who, q)?;
    let mut w = csv::Writer::from_writer(Vec::new());
    let io = |e: csv::Error| ServiceError::Internal(format!("writing CSV: {e}"));
    w.write_record([
        "area",
        "area_name",
        "area_name_en",
        "sector",
        "group",
        "households_reached",
        "records",
        "agencies",
        "households_reached_by_two_or_more",
        "households_in_need",
        "households_targeted",
        "coverage",
        "gap",
        "status",
        "suppressed",
    ])
    .map_err(io)?;
    let n = |v: Option<i64>| v.map(|v| v.to_string()).unwrap_or_default();
    for r in report.rows {
        w.write_record([
            r.area.unwrap_or_default(),
            r.area_name,
            r.area_name_en,
            r.sector,
            r.group.unwrap_or_default(),
            n(r.households_reached),
            n(r.records),
            r.agencies.join(" "),
            n(r.households_reached_by_two_or_more),
            n(r.households_in_need),
            n(r.households_targeted),
            r.coverage.map(|c| c.to_string()).unwrap_or_default(),
            n(r.gap),
            r.status.map(|s| s.as_str().to_owned()).unwrap_or_default(),
            r.suppressed.to_string(),
        ])
        .map_err(io)?;
    }
    w.into_inner().map_err(|e| ServiceError::Internal(format!("writing CSV: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn elderly_is_read_from_the_latest_day_the_birth_date_allows() {
        let day = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap_or_default();
        assert!(elderly_on("1965-12-31", day));
        assert!(!elderly_on("1966-01-02", day));
        assert!(elderly_on("1965", day), "31 December 1965 is 60 on 1 January 2026");
        assert!(!elderly_on("1966", day));
        assert!(elderly_on("1965-12", day));
        assert!(!elderly_on("not a date", day));
    }

    #[test]
    fn groups_are_stored_and_read_back() {
        let g = vec![Group::Disability, Group::ChildProtection];
        assert_eq!(read_groups(write_groups(&g).as_deref()), g);
        assert_eq!(write_groups(&[]), None);
        let mut shown = vec!["disability".to_owned(), "women_protection".to_owned(), "elderly".to_owned()];
        assert!(any_protection(&shown));
        hide_protection(&mut shown);
        assert_eq!(shown, ["disability", "elderly"]);
    }
}
