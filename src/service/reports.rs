//! Auditors' reports: every overlapping pair of records (JSON pages or CSV), and totals by
//! agency pair, governorate and aid type. The overlapping amount of a pair is the amount of
//! the flagged record, the later of the two: the aid that was given again.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::Serialize;
use utoipa::ToSchema;

use super::Services;
use super::auth::Principal;
use super::households::audit;
use crate::error::ApiError;
use crate::store::models::{FlagBrief, RecordBrief};
use crate::store::{DbConn, queries};

/// Filters shared by both reports.
#[derive(Debug, Clone, Default)]
pub struct ReportFilter {
    pub from: Option<String>,
    pub to: Option<String>,
    pub governorate: Option<String>,
    pub aid_type: Option<String>,
    /// Agency code, on either side of the pair.
    pub agency: Option<String>,
    pub band: Option<String>,
}

/// One overlapping pair.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OverlapRow {
    pub flag_id: String,
    pub kind: String,
    pub household_id: String,
    pub band: String,
    pub score: f64,
    pub review_status: String,
    #[serde(rename = "type")]
    pub aid_type: String,
    pub overlap_from: String,
    pub overlap_to: String,
    pub overlapping_days: i64,
    pub record_id: String,
    pub agency: String,
    pub program: Option<String>,
    pub amount: Option<f64>,
    pub currency: Option<String>,
    pub period_start: String,
    pub period_end: String,
    pub governorate: Option<String>,
    pub matched_record_id: String,
    pub matched_agency: String,
    pub matched_type: String,
    pub matched_program: Option<String>,
    pub matched_amount: Option<f64>,
    pub matched_currency: Option<String>,
    pub matched_period_start: String,
    pub matched_period_end: String,
}

/// Totals over every row the filters select.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct OverlapTotals {
    pub rows: usize,
    pub households: usize,
    pub overlapping_records: usize,
    pub overlapping_days: i64,
    /// Overlapping amount per currency.
    pub amount: BTreeMap<String, f64>,
}

/// A page of the overlap report.
#[derive(Debug, Serialize, ToSchema)]
pub struct OverlapReport {
    pub rows: Vec<OverlapRow>,
    pub totals: OverlapTotals,
    /// Pass as `cursor` for the next page; absent on the last.
    pub next_cursor: Option<String>,
}

fn days(from: &str, to: &str) -> i64 {
    let p = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").ok();
    match (p(from), p(to)) {
        (Some(a), Some(b)) => (b - a).num_days() + 1,
        _ => 0,
    }
}

/// Walks every overlap row the filter selects, in flag order, after `cursor`.
fn walk(
    conn: &mut DbConn,
    f: &ReportFilter,
    cursor: Option<&str>,
    mut visit: impl FnMut(OverlapRow),
) -> Result<(), ApiError> {
    let agency_id = match &f.agency {
        Some(code) => match queries::agency_by_code(conn, code)? {
            Some(a) => Some(a.id),
            None => return Ok(()),
        },
        None => None,
    };
    let mut codes: HashMap<String, String> =
        queries::list_agencies(conn)?.into_iter().map(|a| (a.id, a.code)).collect();
    let mut after = cursor.map(str::to_owned);
    loop {
        let page: Vec<FlagBrief> = queries::overlap_flags(
            conn,
            f.from.as_deref(),
            f.to.as_deref(),
            f.band.as_deref(),
            after.as_deref(),
            5_000,
        )?;
        let Some(last) = page.last() else { break };
        after = Some(last.id.clone());
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
            if f.aid_type.as_ref().is_some_and(|t| *t != r.assistance_type && *t != q.assistance_type) {
                continue;
            }
            if let Some(g) = &f.governorate
                && r.governorate.as_ref() != Some(g)
                && q.governorate.as_ref() != Some(g)
            {
                continue;
            }
            if let Some(a) = &agency_id
                && r.agency_id != *a
                && q.agency_id != *a
            {
                continue;
            }
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
            });
        }
    }
    Ok(())
}

#[derive(Default)]
struct Tally {
    households: HashSet<String>,
    records: HashSet<String>,
    amount: BTreeMap<String, f64>,
    rows: usize,
    days: i64,
}

impl Tally {
    fn add(&mut self, row: &OverlapRow) {
        self.rows += 1;
        self.days += row.overlapping_days;
        self.households.insert(row.household_id.clone());
        if self.records.insert(row.record_id.clone())
            && let (Some(a), Some(c)) = (row.amount, &row.currency)
        {
            *self.amount.entry(c.clone()).or_default() += a;
        }
    }

    fn totals(&self) -> OverlapTotals {
        OverlapTotals {
            rows: self.rows,
            households: self.households.len(),
            overlapping_records: self.records.len(),
            overlapping_days: self.days,
            amount: self.amount.iter().map(|(k, v)| (k.clone(), (v * 100.0).round() / 100.0)).collect(),
        }
    }
}

/// The overlap report: a page of rows after `cursor` (all rows when `limit` is `None`), with
/// totals over everything the filters select.
pub fn overlaps(
    s: &Services,
    who: &Principal,
    f: &ReportFilter,
    cursor: Option<&str>,
    limit: Option<usize>,
) -> Result<OverlapReport, ApiError> {
    overlaps_on(&mut *s.conn()?, who, f, cursor, limit)
}

/// [`overlaps`] on a given connection (for the command line).
pub fn overlaps_on(
    conn: &mut DbConn,
    who: &Principal,
    f: &ReportFilter,
    cursor: Option<&str>,
    limit: Option<usize>,
) -> Result<OverlapReport, ApiError> {
    audit(conn, who, "report.overlaps", None, None)?;
    // One walk: every row counts towards the totals; the page is the `limit` rows after `cursor`.
    let mut all = Tally::default();
    let mut rows = Vec::new();
    let mut more = false;
    let mut past_cursor = cursor.is_none();
    walk(conn, f, None, |row| {
        all.add(&row);
        if !past_cursor {
            past_cursor = cursor.is_some_and(|c| row.flag_id.as_str() >= c);
            if past_cursor && cursor == Some(row.flag_id.as_str()) {
                return;
            }
        }
        if past_cursor {
            if limit.is_none_or(|l| rows.len() < l) {
                rows.push(row);
            } else {
                more = true;
            }
        }
    })?;
    let next_cursor = if more { rows.last().map(|r| r.flag_id.clone()) } else { None };
    Ok(OverlapReport { rows, totals: all.totals(), next_cursor })
}

/// The report as CSV, one row per pair, with a header.
pub fn overlaps_csv(rows: &[OverlapRow]) -> String {
    let header = "flag_id,kind,household_id,band,score,review_status,type,overlap_from,overlap_to,overlapping_days,record_id,agency,program,amount,currency,period_start,period_end,governorate,matched_record_id,matched_agency,matched_type,matched_program,matched_amount,matched_currency,matched_period_start,matched_period_end";
    let mut out = String::with_capacity(rows.len() * 300 + header.len() + 1);
    out.push_str(header);
    out.push('\n');
    let opt = |v: &Option<String>| v.clone().unwrap_or_default();
    let num = |v: Option<f64>| v.map(|x| x.to_string()).unwrap_or_default();
    for r in rows {
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
        ];
        for (i, f) in fields.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            csv_field(&mut out, f);
        }
        out.push('\n');
    }
    out
}

/// Quotes a CSV field when it must be, and defuses spreadsheet formulas.
fn csv_field(out: &mut String, f: &str) {
    let formula = f.starts_with(['=', '+', '@']) || (f.starts_with('-') && f.parse::<f64>().is_err());
    if f.contains([',', '"', '\n', '\r']) || formula {
        out.push('"');
        if formula {
            out.push('\'');
        }
        out.push_str(&f.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(f);
    }
}

/// One group of the summary.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SummaryLine {
    /// The group: `AGENCY_A|AGENCY_B`, a governorate, or an aid type.
    pub key: String,
    pub households: usize,
    pub overlapping_records: usize,
    pub amount: BTreeMap<String, f64>,
}

/// `GET /v1/reports/summary`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Summary {
    pub from: Option<String>,
    pub to: Option<String>,
    pub by_agency_pair: Vec<SummaryLine>,
    pub by_governorate: Vec<SummaryLine>,
    pub by_type: Vec<SummaryLine>,
    pub totals: OverlapTotals,
}

/// Totals by agency pair, governorate and type.
pub fn summary(s: &Services, who: &Principal, f: &ReportFilter) -> Result<Summary, ApiError> {
    let mut conn = s.conn()?;
    audit(&mut conn, who, "report.summary", None, None)?;
    let mut pairs: BTreeMap<String, Tally> = BTreeMap::new();
    let mut govs: BTreeMap<String, Tally> = BTreeMap::new();
    let mut types: BTreeMap<String, Tally> = BTreeMap::new();
    let mut all = Tally::default();
    walk(&mut conn, f, None, |row| {
        let (a, b) = if row.agency <= row.matched_agency {
            (&row.agency, &row.matched_agency)
        } else {
            (&row.matched_agency, &row.agency)
        };
        pairs.entry(format!("{a}|{b}")).or_default().add(&row);
        govs.entry(row.governorate.clone().unwrap_or_else(|| "(none)".into())).or_default().add(&row);
        types.entry(row.aid_type.clone()).or_default().add(&row);
        all.add(&row);
    })?;
    let lines = |m: BTreeMap<String, Tally>| {
        m.into_iter()
            .map(|(key, t)| {
                let tt = t.totals();
                SummaryLine {
                    key,
                    households: tt.households,
                    overlapping_records: tt.overlapping_records,
                    amount: tt.amount,
                }
            })
            .collect()
    };
    Ok(Summary {
        from: f.from.clone(),
        to: f.to.clone(),
        by_agency_pair: lines(pairs),
        by_governorate: lines(govs),
        by_type: lines(types),
        totals: all.totals(),
    })
}
