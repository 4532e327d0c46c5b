//! Auditors' reports: every overlapping pair of records (JSON pages or CSV), and totals by
//! agency pair, governorate and aid type. The overlapping amount of a pair is the amount of
//! the flagged record, the later of the two: the aid that was given again.
//!
//! Places: rows carry the codes the records' locations resolved to; `governorate=` and `area=`
//! take a code or any spelling and select pairs with a record there (see
//! [`super::places::PlaceFilter`]); the summary groups governorates by code and counts the
//! records whose location resolved to nothing.
//!
//! Scope: a scoped auditor's reports hold only the pairs with a record in its scope, and their
//! totals count only those (the scope is one more condition of the SQL selection).
//!
//! Every filter is applied in SQL (`queries::overlap_flags`), and every total is computed there
//! (`queries::overlap_totals`): a page reads only its rows after the cursor, and the CSV is
//! written as the rows are read, page by page.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;

use bawaba_wire::reports::{OverlapReport, OverlapRow, OverlapTotals, ReportQuery, Summary, SummaryLine, Unresolved};

use super::Services;
use super::audit::{audit, record};
use super::auth::{Principal, Role};
use super::domain::{AidType, Band, FlagStatus};
use super::error::{FieldProblem, ServiceError, validated};
use super::places::PlaceFilters;
use super::validate::{date, limit, nonempty, place_filter};
use crate::store::models::{FlagBrief, RecordBrief};
use crate::store::queries::{OverlapFilter, OverlapGroup, ScopeCodes};
use crate::store::{DbConn, queries};

/// Filters shared by both reports, typed (dates, aid type, band); written as text only for the
/// store's query and the answer.
#[derive(Debug, Clone, Default)]
pub struct ReportFilter {
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    /// A governorate's code or any spelling, as given (read with the gazetteer by the report).
    pub governorate: Option<String>,
    /// A governorate's or a locality's code or any spelling, as given.
    pub area: Option<String>,
    pub aid_type: Option<AidType>,
    /// Agency code, on either side of the pair.
    pub agency: Option<String>,
    pub band: Option<Band>,
    /// The review statuses kept (`status=`; by default all but dismissed). Flags superseded by
    /// a correction or closed by a withdrawal are never in a report.
    pub statuses: Vec<FlagStatus>,
}

/// The review statuses a report keeps when `status=` is not given: all but dismissed.
pub const DEFAULT_STATUSES: &[FlagStatus] = &[FlagStatus::Open, FlagStatus::Confirmed];

/// Reads `status=`: open, confirmed, dismissed or all.
fn statuses(v: &str) -> Option<Vec<FlagStatus>> {
    match v {
        "all" => Some(vec![FlagStatus::Open, FlagStatus::Confirmed, FlagStatus::Dismissed]),
        "open" | "confirmed" | "dismissed" => FlagStatus::parse(v).map(|s| vec![s]),
        _ => None,
    }
}

/// A filter's date as the store compares it (`YYYY-MM-DD` text).
fn text(d: Option<NaiveDate>) -> Option<String> {
    d.map(|d| d.to_string())
}

fn days(from: &str, to: &str) -> i64 {
    let p = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").ok();
    match (p(from), p(to)) {
        (Some(a), Some(b)) => (b - a).num_days() + 1,
        _ => 0,
    }
}

/// What the filter selects, in SQL (its places read as `places`); `None` when it can select
/// nothing (an agency code no agency has).
fn selection(
    conn: &mut DbConn,
    f: &ReportFilter,
    places: &PlaceFilters,
    scope: Option<ScopeCodes>,
) -> Result<Option<OverlapFilter>, ServiceError> {
    let agency_id = match &f.agency {
        Some(code) => match queries::agency_by_code(conn, code)? {
            Some(a) => Some(a.id),
            None => return Ok(None),
        },
        None => None,
    };
    let written = if places.names_written() { queries::written_place_names(conn)? } else { Vec::new() };
    Ok(Some(OverlapFilter {
        from: text(f.from),
        to: text(f.to),
        band: f.band.map(|b| b.as_str().to_owned()),
        aid_type: f.aid_type.map(|t| t.as_str().to_owned()),
        statuses: (if f.statuses.is_empty() { DEFAULT_STATUSES } else { &f.statuses[..] })
            .iter()
            .map(|s| s.as_str().to_owned())
            .collect(),
        agency_id,
        places: places.conditions(&written),
        scope,
    }))
}

/// Walks the overlap rows selected, in flag order, after `cursor`, at most `limit` of them.
fn walk(
    conn: &mut DbConn,
    sel: &OverlapFilter,
    cursor: Option<&str>,
    limit: Option<usize>,
    mut visit: impl FnMut(OverlapRow),
) -> Result<(), ServiceError> {
    let mut codes: HashMap<String, String> =
        queries::list_agencies(conn)?.into_iter().map(|a| (a.id, a.code)).collect();
    let mut after = cursor.map(str::to_owned);
    let mut left = limit;
    loop {
        let n = left.map_or(5_000, |l| l.min(5_000));
        if n == 0 {
            break;
        }
        let page: Vec<FlagBrief> = queries::overlap_flags(conn, sel, after.as_deref(), n as i64)?;
        let Some(last) = page.last() else { break };
        after = Some(last.id.clone());
        let full = page.len() == n;
        if let Some(l) = &mut left {
            *l -= page.len();
        }
        let mut ids: Vec<String> = page.iter().map(|fl| fl.record_id.clone()).collect();
        ids.extend(page.iter().filter_map(|fl| fl.matched_record_id.clone()));
        let records: HashMap<String, RecordBrief> =
            queries::record_briefs(conn, &ids)?.into_iter().map(|r| (r.id.clone(), r)).collect();
        for fl in page {
            let (Some(r), Some(q)) =
                (records.get(&fl.record_id), fl.matched_record_id.as_ref().and_then(|m| records.get(m)))
            else {
                continue;
            };
            let code = |id: &str, codes: &mut HashMap<String, String>| codes.entry(id.to_owned()).or_default().clone();
            let from = fl.overlap_from.clone().unwrap_or_default();
            let to = fl.overlap_to.clone().unwrap_or_default();
            visit(OverlapRow {
                overlapping_days: days(&from, &to),
                flag_id: fl.id.clone(),
                kind: fl.kind.clone(),
                household_id: fl.household_id.clone(),
                band: fl.band.clone(),
                score: fl.score,
                review_status: fl.status.clone(),
                aid_type: r.assistance_type.clone(),
                overlap_from: from,
                overlap_to: to,
                record_id: r.id.clone(),
                agency: code(&r.agency_id, &mut codes),
                program: r.program.clone(),
                amount: r.amount,
                currency: r.currency.clone(),
                period_start: r.period_start.clone(),
                period_end: r.period_end.clone(),
                governorate: r.governorate.clone(),
                matched_record_id: q.id.clone(),
                matched_agency: code(&q.agency_id, &mut codes),
                matched_type: q.assistance_type.clone(),
                matched_program: q.program.clone(),
                matched_amount: q.amount,
                matched_currency: q.currency.clone(),
                matched_period_start: q.period_start.clone(),
                matched_period_end: q.period_end.clone(),
                matched_records: fl.matched_records.map_or(1, |n| n.max(1) as u32),
                governorate_code: r.governorate_code.clone(),
                locality: r.locality.clone(),
                locality_code: r.locality_code.clone(),
            });
        }
        if !full {
            break;
        }
    }
    Ok(())
}

/// The selection's totals grouped by `group`, computed in the database, by group key.
fn totals(
    conn: &mut DbConn,
    sel: Option<&OverlapFilter>,
    group: OverlapGroup,
) -> Result<BTreeMap<String, OverlapTotals>, ServiceError> {
    let Some(sel) = sel else { return Ok(BTreeMap::new()) };
    let (groups, amounts) = queries::overlap_totals(conn, sel, group)?;
    let n = |v: i64| usize::try_from(v).unwrap_or(0);
    let mut out: BTreeMap<String, OverlapTotals> = groups
        .into_iter()
        .map(|g| {
            let t = OverlapTotals {
                rows: n(g.n_rows),
                households: n(g.households),
                overlapping_records: n(g.records),
                overlapping_days: g.days,
                amount: BTreeMap::new(),
            };
            (g.grp, t)
        })
        .collect();
    for a in amounts {
        if let Some(t) = out.get_mut(&a.grp) {
            t.amount.insert(a.currency, (a.amount * 100.0).round() / 100.0);
        }
    }
    Ok(out)
}

/// The totals over the whole selection.
fn grand_totals(conn: &mut DbConn, sel: Option<&OverlapFilter>) -> Result<OverlapTotals, ServiceError> {
    Ok(totals(conn, sel, OverlapGroup::All)?.remove("").unwrap_or_default())
}

/// An agency pair keyed by agency ids (`ID_A|ID_B`) as their codes, the lesser first.
fn pair_codes(codes: &HashMap<String, String>, key: &str) -> (String, String) {
    let (a, b) = key.split_once('|').unwrap_or((key, ""));
    let (a, b) = (codes.get(a).cloned().unwrap_or_default(), codes.get(b).cloned().unwrap_or_default());
    if a <= b { (a, b) } else { (b, a) }
}

/// Agency codes by id.
fn agency_codes(conn: &mut DbConn) -> Result<HashMap<String, String>, ServiceError> {
    Ok(queries::list_agencies(conn)?.into_iter().map(|a| (a.id, a.code)).collect())
}

/// Who may pull reports.
pub const ROLES: &[Role] = &[Role::Auditor];

/// How a report is to be written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// JSON, paged.
    Json,
    /// CSV, every row.
    Csv,
}

/// A validated report request.
#[derive(Debug, Clone)]
pub struct ReportRequest {
    pub filter: ReportFilter,
    pub format: Format,
    /// JSON page size.
    pub limit: usize,
    pub cursor: Option<String>,
}

/// Validates report parameters: dates, their order, aid type, band, format and page size.
pub fn request(q: &ReportQuery) -> Result<ReportRequest, ServiceError> {
    let mut problems = Vec::new();
    let mut filter = ReportFilter {
        from: date(&mut problems, "from", &q.from),
        to: date(&mut problems, "to", &q.to),
        governorate: place_filter(&mut problems, "governorate", &q.governorate),
        area: place_filter(&mut problems, "area", &q.area),
        aid_type: None,
        agency: nonempty(&q.agency),
        band: None,
        statuses: Vec::new(),
    };
    if let (Some(a), Some(b)) = (filter.from, filter.to)
        && b < a
    {
        problems.push(FieldProblem::new("to", "must not be before from"));
    }
    if let Some(t) = nonempty(&q.aid_type) {
        filter.aid_type = AidType::parse(&t);
        if filter.aid_type.is_none() {
            problems.push(FieldProblem::new("type", "is not an aid type"));
        }
    }
    if let Some(b) = nonempty(&q.band) {
        filter.band = Band::parse(&b);
        if filter.band.is_none() {
            problems.push(FieldProblem::new("band", "must be certain, probable or possible"));
        }
    }
    if let Some(st) = nonempty(&q.status) {
        match statuses(&st) {
            Some(v) => filter.statuses = v,
            None => problems.push(FieldProblem::new("status", "must be open, confirmed, dismissed or all")),
        }
    }
    let format = match nonempty(&q.format).as_deref() {
        None | Some("json") => Format::Json,
        Some("csv") => Format::Csv,
        Some(_) => {
            problems.push(FieldProblem::new("format", "must be json or csv"));
            Format::Json
        }
    };
    let limit = limit(&mut problems, &q.limit, 1000, 10_000);
    validated(problems, ReportRequest { filter, format, limit, cursor: nonempty(&q.cursor) })
}

/// The overlap report as JSON: a page of rows after the cursor, with totals over everything
/// the filters select. Audited.
pub fn overlaps(s: &Services, who: &Principal, q: &ReportQuery) -> Result<OverlapReport, ServiceError> {
    who.require(ROLES)?;
    let r = request(q)?;
    let places = place_filters(s, &r.filter);
    record(s, who, "report.overlaps", None, None)?;
    overlaps_on(&mut *s.conn()?, &r.filter, &places, who.scope_codes(), r.cursor.as_deref(), Some(r.limit))
}

/// The report's place filters, read with the gazetteer.
fn place_filters(s: &Services, f: &ReportFilter) -> PlaceFilters {
    PlaceFilters::read(s, f.governorate.as_deref(), f.area.as_deref())
}

/// How many overlapping pairs the filters select, by agency pair (codes in order) and by the
/// month their overlap starts (`YYYY-MM`): what the report page charts.
#[derive(Debug, Default)]
pub struct Counts {
    pub by_pair: BTreeMap<(String, String), u64>,
    pub by_month: BTreeMap<String, u64>,
}

/// The overlap report's page with the counts of the whole selection (computed in the
/// database). Audited.
pub fn overlaps_with_counts(
    s: &Services,
    who: &Principal,
    q: &ReportQuery,
) -> Result<(OverlapReport, Counts), ServiceError> {
    who.require(ROLES)?;
    let r = request(q)?;
    let places = place_filters(s, &r.filter);
    record(s, who, "report.overlaps", None, None)?;
    let mut conn = s.conn()?;
    let report = overlaps_on(&mut conn, &r.filter, &places, who.scope_codes(), r.cursor.as_deref(), Some(r.limit))?;
    let sel = selection(&mut conn, &r.filter, &places, who.scope_codes())?;
    let codes = agency_codes(&mut conn)?;
    let mut counts = Counts::default();
    for (key, t) in totals(&mut conn, sel.as_ref(), OverlapGroup::AgencyPair)? {
        *counts.by_pair.entry(pair_codes(&codes, &key)).or_default() += t.rows as u64;
    }
    for (month, t) in totals(&mut conn, sel.as_ref(), OverlapGroup::Month)? {
        if month.len() == 7 {
            counts.by_month.insert(month, t.rows as u64);
        }
    }
    Ok((report, counts))
}

/// What a forgiving reading of a report filter left out (see [`forgiving`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LeftOut {
    /// `from` is not a date.
    From,
    /// `to` is not a date.
    To,
    /// `to` is before `from`.
    ToBeforeFrom,
}

/// A report query read forgivingly, as the pages read what a person typed: a value that does
/// not read (a date that is no date, an unknown type or band, a value over 200 characters) is
/// left out rather than refused, and the dates left out are named; blank values are no filter.
/// The API reads the same query strictly ([`overlaps`] refuses it with the field named).
pub fn forgiving(q: &ReportQuery) -> (ReportQuery, Vec<LeftOut>) {
    let value =
        |v: &Option<String>| v.as_deref().map(str::trim).filter(|s| !s.is_empty() && s.len() <= 200).map(str::to_owned);
    let mut left_out = Vec::new();
    let mut day = |v: &Option<String>, what: LeftOut| {
        let v = value(v)?;
        if super::validate::check_date(&v).is_ok() {
            Some(v)
        } else {
            left_out.push(what);
            None
        }
    };
    let from = day(&q.from, LeftOut::From);
    let mut to = day(&q.to, LeftOut::To);
    if let (Some(a), Some(b)) = (&from, &to)
        && b < a
    {
        left_out.push(LeftOut::ToBeforeFrom);
        to = None;
    }
    let f = ReportQuery {
        from,
        to,
        governorate: value(&q.governorate),
        area: value(&q.area),
        aid_type: value(&q.aid_type).filter(|t| AidType::parse(t).is_some()),
        agency: value(&q.agency),
        band: value(&q.band).filter(|b| Band::parse(b).is_some()),
        status: value(&q.status).filter(|st| statuses(st).is_some()),
        ..Default::default()
    };
    (f, left_out)
}

/// Checks that `who` may pull the overlap report as CSV with these parameters, before any
/// of it is written (so a refusal is a status, not a cut stream).
pub fn csv_allowed(who: &Principal, q: &ReportQuery) -> Result<(), ServiceError> {
    who.require(ROLES)?;
    request(q).map(drop)
}

/// The whole overlap report as CSV (the page parameters are ignored), written as it is read:
/// `sink` takes chunks of about 64 KiB and answers `false` when the reader has gone, which
/// stops the walk. Audited before the first byte.
pub fn overlaps_csv(
    s: &Services,
    who: &Principal,
    q: &ReportQuery,
    mut sink: impl FnMut(Vec<u8>) -> bool,
) -> Result<(), ServiceError> {
    who.require(ROLES)?;
    let r = request(q)?;
    let places = place_filters(s, &r.filter);
    record(s, who, "report.overlaps", None, Some("csv".into()))?;
    let mut out = CsvOut::new();
    let mut open = true;
    let mut conn = s.conn()?;
    let Some(sel) = selection(&mut conn, &r.filter, &places, who.scope_codes())? else {
        sink(out.take());
        return Ok(());
    };
    walk(&mut conn, &sel, None, None, |row| {
        if !open {
            return;
        }
        out.row(&row);
        if out.len() >= 64 * 1024 {
            open = sink(out.take());
        }
    })?;
    if open {
        sink(out.take());
    }
    Ok(())
}

/// The overlap report for an operator at the command line, straight from the database.
pub fn overlaps_offline(
    db: &super::Database,
    from: Option<String>,
    to: Option<String>,
) -> Result<OverlapReport, ServiceError> {
    let mut problems = Vec::new();
    let filter = ReportFilter {
        from: date(&mut problems, "--from", &from),
        to: date(&mut problems, "--to", &to),
        ..Default::default()
    };
    let filter = validated(problems, filter)?;
    let operator = Principal::operator();
    let mut conn = db.connect()?;
    audit(&mut conn, &operator, "report.overlaps", None, Some("command line".into()))?;
    overlaps_on(&mut conn, &filter, &PlaceFilters::default(), None, None, None)
}

/// A page of `limit` rows after `cursor` (every row without a limit), with the totals over the
/// whole selection.
fn overlaps_on(
    conn: &mut DbConn,
    f: &ReportFilter,
    places: &PlaceFilters,
    scope: Option<ScopeCodes>,
    cursor: Option<&str>,
    limit: Option<usize>,
) -> Result<OverlapReport, ServiceError> {
    let sel = selection(conn, f, places, scope)?;
    let mut rows = Vec::new();
    if let Some(sel) = &sel {
        // One row more than the page tells whether there is a next page.
        walk(conn, sel, cursor, limit.map(|l| l + 1), |row| rows.push(row))?;
    }
    let more = limit.is_some_and(|l| rows.len() > l);
    if let Some(l) = limit {
        rows.truncate(l);
    }
    let next_cursor = if more { rows.last().map(|r| r.flag_id.clone()) } else { None };
    Ok(OverlapReport { rows, totals: grand_totals(conn, sel.as_ref())?, next_cursor })
}

/// The report's rows as CSV, one per pair, with a header; spreadsheet formulas defused.
pub fn csv_of(rows: &[OverlapRow]) -> Result<String, ServiceError> {
    let mut out = CsvOut::new();
    for r in rows {
        out.row(r);
    }
    String::from_utf8(out.take()).map_err(|e| ServiceError::Internal(format!("writing CSV: {e}")))
}

/// The overlap report's CSV, written a row at a time into a buffer taken in chunks.
struct CsvOut {
    w: csv::Writer<Vec<u8>>,
}

impl CsvOut {
    const HEADER: [&str; 30] = [
        "flag_id",
        "kind",
        "household_id",
        "band",
        "score",
        "review_status",
        "type",
        "overlap_from",
        "overlap_to",
        "overlapping_days",
        "record_id",
        "agency",
        "program",
        "amount",
        "currency",
        "period_start",
        "period_end",
        "governorate",
        "matched_record_id",
        "matched_agency",
        "matched_type",
        "matched_program",
        "matched_amount",
        "matched_currency",
        "matched_period_start",
        "matched_period_end",
        "matched_records",
        "governorate_code",
        "locality",
        "locality_code",
    ];

    fn new() -> CsvOut {
        let mut w = Self::writer();
        // Writing into memory cannot fail.
        let _ = w.write_record(Self::HEADER);
        CsvOut { w }
    }

    fn writer() -> csv::Writer<Vec<u8>> {
        csv::Writer::from_writer(Vec::with_capacity(80 * 1024))
    }

    fn row(&mut self, r: &OverlapRow) {
        let opt = |v: &Option<String>| v.clone().unwrap_or_default();
        let num = |v: Option<f64>| v.map(|x| x.to_string()).unwrap_or_default();
        let fields = [
            r.flag_id.clone(),
            r.kind.clone(),
            r.household_id.clone(),
            r.band.clone(),
            r.score.to_string(),
            r.review_status.clone(),
            r.aid_type.clone(),
            r.overlap_from.clone(),
            r.overlap_to.clone(),
            r.overlapping_days.to_string(),
            r.record_id.clone(),
            r.agency.clone(),
            opt(&r.program),
            num(r.amount),
            opt(&r.currency),
            r.period_start.clone(),
            r.period_end.clone(),
            opt(&r.governorate),
            r.matched_record_id.clone(),
            r.matched_agency.clone(),
            r.matched_type.clone(),
            opt(&r.matched_program),
            num(r.matched_amount),
            opt(&r.matched_currency),
            r.matched_period_start.clone(),
            r.matched_period_end.clone(),
            r.matched_records.to_string(),
            opt(&r.governorate_code),
            opt(&r.locality),
            opt(&r.locality_code),
        ];
        let _ = self.w.write_record(fields.iter().map(|f| defuse(f).into_owned()));
    }

    /// About how much is written and not taken (the writer's own buffer aside).
    fn len(&self) -> usize {
        self.w.get_ref().len()
    }

    /// What was written since the last take.
    fn take(&mut self) -> Vec<u8> {
        std::mem::replace(&mut self.w, Self::writer()).into_inner().unwrap_or_default()
    }
}

/// A field a spreadsheet would run as a formula (`=`, `+`, `@`, a `-` that is no number, and
/// their full-width forms), with a leading apostrophe so it shows as text.
pub(crate) fn defuse(f: &str) -> std::borrow::Cow<'_, str> {
    let formula = f.starts_with(['=', '+', '@', '\u{FF1D}', '\u{FF0B}', '\u{FF20}', '\t', '\r'])
        || (f.starts_with(['-', '\u{FF0D}']) && f.parse::<f64>().is_err());
    if formula { format!("'{f}").into() } else { f.into() }
}

/// The summary's governorate key for pairs whose record names a place that resolves to no
/// governorate.
pub const UNRESOLVED: &str = "(unresolved)";
/// The summary's governorate key for pairs whose record names no place.
pub const NO_PLACE: &str = "(none)";

/// The summary as CSV: one line per group and currency (`section` is `agency_pair`,
/// `governorate`, `type` or `total`; a group with no amount has one line with none), with a
/// header; spreadsheet formulas defused. Audited as the summary is.
pub fn summary_csv(s: &Services, who: &Principal, q: &ReportQuery) -> Result<String, ServiceError> {
    let sum = summary(s, who, q)?;
    let mut w = csv::Writer::from_writer(Vec::new());
    let header = ["section", "key", "name_en", "name_ar", "households", "overlapping_records", "currency", "amount"];
    let csv_err = |e: csv::Error| ServiceError::Internal(format!("writing CSV: {e}"));
    w.write_record(header).map_err(csv_err)?;
    let total = SummaryLine {
        key: String::new(),
        name_en: None,
        name_ar: None,
        households: sum.totals.households,
        overlapping_records: sum.totals.overlapping_records,
        amount: sum.totals.amount.clone(),
    };
    let sections = [
        ("agency_pair", &sum.by_agency_pair[..]),
        ("governorate", &sum.by_governorate[..]),
        ("type", &sum.by_type[..]),
        ("total", std::slice::from_ref(&total)),
    ];
    for (section, lines) in sections {
        for l in lines {
            let mut amounts: Vec<(String, String)> = l.amount.iter().map(|(c, a)| (c.clone(), a.to_string())).collect();
            if amounts.is_empty() {
                amounts.push((String::new(), String::new()));
            }
            for (currency, amount) in amounts {
                let fields = [
                    section.to_owned(),
                    l.key.clone(),
                    l.name_en.clone().unwrap_or_default(),
                    l.name_ar.clone().unwrap_or_default(),
                    l.households.to_string(),
                    l.overlapping_records.to_string(),
                    currency,
                    amount,
                ];
                w.write_record(fields.iter().map(|f| defuse(f).into_owned())).map_err(csv_err)?;
            }
        }
    }
    let bytes = w.into_inner().map_err(|e| ServiceError::Internal(format!("writing CSV: {e}")))?;
    String::from_utf8(bytes).map_err(|e| ServiceError::Internal(format!("writing CSV: {e}")))
}

/// Totals by agency pair, governorate (by code) and type, and the records in the period whose
/// location resolved to nothing.
pub fn summary(s: &Services, who: &Principal, q: &ReportQuery) -> Result<Summary, ServiceError> {
    who.require(ROLES)?;
    let f = &request(q)?.filter;
    let places = place_filters(s, f);
    let mut conn = s.conn()?;
    record(s, who, "report.summary", None, None)?;
    let sel = selection(&mut conn, f, &places, who.scope_codes())?;
    let codes = agency_codes(&mut conn)?;
    let mut pairs: BTreeMap<String, OverlapTotals> = BTreeMap::new();
    for (key, t) in totals(&mut conn, sel.as_ref(), OverlapGroup::AgencyPair)? {
        let (a, b) = pair_codes(&codes, &key);
        pairs.insert(format!("{a}|{b}"), t);
    }
    let govs = totals(&mut conn, sel.as_ref(), OverlapGroup::Governorate)?;
    let types = totals(&mut conn, sel.as_ref(), OverlapGroup::AidType)?;
    let all = grand_totals(&mut conn, sel.as_ref())?;
    let lines = |m: BTreeMap<String, OverlapTotals>| {
        m.into_iter()
            .map(|(key, t)| SummaryLine {
                key,
                name_en: None,
                name_ar: None,
                households: t.households,
                overlapping_records: t.overlapping_records,
                amount: t.amount,
            })
            .collect()
    };
    let mut by_governorate: Vec<SummaryLine> = lines(govs);
    {
        let g = s.places.read();
        for line in &mut by_governorate {
            if let Some(p) = g.get(&line.key) {
                line.name_en = Some(p.name_en.clone());
                line.name_ar = Some(p.name_ar.clone());
            }
        }
    }
    let unresolved = match &sel {
        None => Unresolved::default(),
        Some(sel) => {
            let (records, governorate, locality) = queries::unresolved_counts(
                &mut conn,
                &queries::RecordFilter {
                    from: text(f.from),
                    to: text(f.to),
                    aid_type: f.aid_type.map(|t| t.as_str().to_owned()),
                    agency_id: sel.agency_id.clone(),
                    places: sel.places.clone(),
                    scope: sel.scope.clone(),
                },
            )?;
            let n = |v: i64| usize::try_from(v).unwrap_or(0);
            Unresolved { records: n(records), governorate: n(governorate), locality: n(locality) }
        }
    };
    Ok(Summary {
        from: text(f.from),
        to: text(f.to),
        by_agency_pair: lines(pairs),
        by_governorate,
        by_type: lines(types),
        totals: all,
        unresolved,
    })
}
