//! From a table as an agency keeps it to the records the gateway takes.
//!
//! Headers are recognised case-insensitively, trimmed, with English and Arabic aliases (spaces,
//! `-` and `_` count alike; Arabic alef and yeh forms and tatweel are folded); `--map` adds or
//! overrides. One row is one household member; rows sharing an `external_id` form one record,
//! in the order their first row appears; assistance and location come from the record's first
//! row. Values are trimmed, empty cells are absent fields, dates are converted to `YYYY-MM-DD`,
//! amounts lose their thousands separators. A record any of whose rows cannot be converted is
//! not sent at all: sending it without the faulty member would store a different household,
//! and fixing the file and running again would then conflict.

use std::collections::HashMap;

use anyhow::bail;
use bawaba_wire::domain::{AidType, MemberRole, Sex};
use bawaba_wire::records::{AssistanceBody, LocationBody, MemberBody, RecordBody};

use super::table::{Cell, Row, format_number};
use crate::service::validate::ascii_digits;

/// A field of the record body a column can feed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
    ExternalId,
    Type,
    Program,
    Amount,
    Currency,
    PeriodStart,
    PeriodEnd,
    Governorate,
    Locality,
    Role,
    Name,
    NationalId,
    DateOfBirth,
    Sex,
    Phone,
}

impl Field {
    /// Every field, in the order of the record body.
    pub const ALL: [Field; 15] = [
        Field::ExternalId,
        Field::Type,
        Field::Program,
        Field::Amount,
        Field::Currency,
        Field::PeriodStart,
        Field::PeriodEnd,
        Field::Governorate,
        Field::Locality,
        Field::Role,
        Field::Name,
        Field::NationalId,
        Field::DateOfBirth,
        Field::Sex,
        Field::Phone,
    ];

    /// The field's name in the API (the last part of its path).
    pub fn name(self) -> &'static str {
        match self {
            Field::ExternalId => "external_id",
            Field::Type => "type",
            Field::Program => "program",
            Field::Amount => "amount",
            Field::Currency => "currency",
            Field::PeriodStart => "period_start",
            Field::PeriodEnd => "period_end",
            Field::Governorate => "governorate",
            Field::Locality => "locality",
            Field::Role => "role",
            Field::Name => "name",
            Field::NationalId => "national_id",
            Field::DateOfBirth => "date_of_birth",
            Field::Sex => "sex",
            Field::Phone => "phone",
        }
    }

    /// Headers recognised for the field, besides its name.
    fn aliases(self) -> &'static [&'static str] {
        match self {
            Field::ExternalId => &["record_id", "reference", "ref", "reference_number", "الرقم المرجعي"],
            Field::Type => &["assistance_type", "aid_type", "نوع المساعدة"],
            Field::Program => &["programme", "البرنامج"],
            Field::Amount => &["المبلغ"],
            Field::Currency => &["العملة"],
            Field::PeriodStart => &["from", "start_date", "start", "من"],
            Field::PeriodEnd => &["to", "end_date", "end", "إلى"],
            Field::Governorate => &["المحافظة"],
            Field::Locality => &["المنطقة", "البلدة"],
            Field::Role => &["relation", "relationship", "صلة القرابة"],
            Field::Name => &["full_name", "الاسم", "الاسم الرباعي"],
            Field::NationalId => &["id_number", "رقم الهوية"],
            Field::DateOfBirth => &["dob", "birth_date", "تاريخ الميلاد"],
            Field::Sex => &["gender", "الجنس"],
            Field::Phone => &["mobile", "phone_number", "mobile_number", "رقم الجوال", "الجوال", "الهاتف"],
        }
    }

    /// The field a name or alias stands for.
    pub fn parse(s: &str) -> Option<Field> {
        let key = normalize_header(s);
        Field::ALL
            .into_iter()
            .find(|f| normalize_header(f.name()) == key || f.aliases().iter().any(|a| normalize_header(a) == key))
    }

    /// True for fields of the member (one per row); the others are taken from a record's
    /// first row.
    pub fn is_member(self) -> bool {
        matches!(self, Field::Role | Field::Name | Field::NationalId | Field::DateOfBirth | Field::Sex | Field::Phone)
    }
}

/// Folds a header for comparison: trimmed, lower case, runs of spaces, `-`, `_` and `.` as one
/// `_`; Arabic tatweel and diacritics dropped, alef forms as bare alef, alef maqsura as yeh.
pub fn normalize_header(h: &str) -> String {
    let mut out = String::with_capacity(h.len());
    let mut gap = false;
    for c in h.trim().trim_start_matches('\u{feff}').chars() {
        let c = match c {
            'أ' | 'إ' | 'آ' => 'ا',
            'ى' => 'ي',
            '\u{0640}' | '\u{064B}'..='\u{065F}' | '\u{0670}' => continue,
            c => c,
        };
        if c.is_whitespace() || matches!(c, '-' | '_' | '.') {
            gap = true;
            continue;
        }
        if gap && !out.is_empty() {
            out.push('_');
        }
        gap = false;
        out.extend(c.to_lowercase());
    }
    out
}

/// One `--map HEADER=FIELD`: the column's header and its field (`None` to ignore the column).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MapRule {
    pub header: String,
    pub field: Option<Field>,
}

impl std::str::FromStr for MapRule {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let Some((header, field)) = s.rsplit_once('=') else {
            return Err(format!("expected HEADER=FIELD, e.g. \"Beneficiary Name=name\", got {s:?}"));
        };
        let header = header.trim();
        if header.is_empty() {
            return Err("the HEADER of HEADER=FIELD is empty".into());
        }
        let field = field.trim();
        let field = if matches!(field, "-" | "" | "ignore") {
            None
        } else {
            Some(Field::parse(field).ok_or_else(|| {
                format!(
                    "unknown field {field:?}; fields are {} (or - to ignore the column)",
                    Field::ALL.map(Field::name).join(", ")
                )
            })?)
        };
        Ok(MapRule { header: header.to_owned(), field })
    }
}

/// Which column feeds which field.
#[derive(Debug, Clone)]
pub struct Mapping {
    /// The column of each field, by `Field::ALL` position.
    columns: HashMap<Field, usize>,
    /// The headers as written, to name columns in messages.
    headers: Vec<String>,
    /// Headers of columns no field takes.
    pub unknown: Vec<String>,
}

impl Mapping {
    /// Maps headers to fields; `--map` rules win over aliases. Fails on a rule naming a column
    /// the file does not have, on two columns claiming one field, and on a missing column for
    /// a field every record needs.
    pub fn new(headers: &[String], rules: &[MapRule]) -> anyhow::Result<Mapping> {
        let mut by_column: Vec<Option<Field>> = vec![None; headers.len()];
        let mut ruled = vec![false; headers.len()];
        for rule in rules {
            let key = normalize_header(&rule.header);
            let hits: Vec<usize> = headers
                .iter()
                .enumerate()
                .filter(|(_, h)| h.trim() == rule.header || normalize_header(h) == key)
                .map(|(i, _)| i)
                .collect();
            if hits.is_empty() {
                bail!("--map {:?}: the file has no such column (columns: {})", rule.header, headers.join(", "));
            }
            for i in hits {
                by_column[i] = rule.field;
                ruled[i] = true;
            }
        }
        let claimed: Vec<Field> = by_column.iter().flatten().copied().collect();
        for (i, h) in headers.iter().enumerate() {
            if ruled[i] {
                continue;
            }
            // A field given by --map is not also taken from an alias.
            by_column[i] = Field::parse(h).filter(|f| !claimed.contains(f));
        }
        let mut columns = HashMap::new();
        let mut unknown = Vec::new();
        for (i, f) in by_column.iter().enumerate() {
            match f {
                Some(f) => {
                    if let Some(&j) = columns.get(f) {
                        bail!(
                            "columns {:?} and {:?} both give {}; choose one with --map, e.g. --map {:?}",
                            headers[j],
                            headers[i],
                            f.name(),
                            format!("{}=-", headers[i])
                        );
                    }
                    columns.insert(*f, i);
                }
                None if !ruled[i] && !headers[i].trim().is_empty() => unknown.push(headers[i].clone()),
                None => {}
            }
        }
        let needed = [Field::ExternalId, Field::Name, Field::Type, Field::PeriodStart];
        let missing: Vec<&str> = needed.iter().filter(|f| !columns.contains_key(f)).map(|f| f.name()).collect();
        if !missing.is_empty() {
            bail!(
                "no column for {} (columns: {}); name the column with --map HEADER=FIELD",
                missing.join(", "),
                headers.join(", ")
            );
        }
        Ok(Mapping { columns, headers: headers.to_vec(), unknown })
    }

    /// How a field is named to the user: its column's header, else the API's name.
    pub fn label(&self, f: Field) -> String {
        self.columns.get(&f).and_then(|&i| self.headers.get(i)).cloned().unwrap_or_else(|| f.name().to_owned())
    }

    fn cell<'r>(&self, row: &'r Row, f: Field) -> &'r Cell {
        match self.columns.get(&f) {
            Some(&i) => row.cell(i),
            None => &Cell::Empty,
        }
    }
}

/// A problem with one row, for the error file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowProblem {
    pub row: usize,
    pub external_id: String,
    pub field: String,
    pub problem: String,
}

/// A record ready to post, with the file rows of its members in order.
#[derive(Debug, Clone)]
pub struct Pending {
    pub body: RecordBody,
    pub rows: Vec<usize>,
}

/// What the file turned into.
#[derive(Debug, Default)]
pub struct Converted {
    /// Records to post, in first-seen order.
    pub records: Vec<Pending>,
    /// Records not sent because a row could not be converted.
    pub failed_records: usize,
    /// Rows that belong to no record (no external_id).
    pub orphan_rows: usize,
    pub problems: Vec<RowProblem>,
}

/// Groups rows into records and converts their values.
pub fn convert(rows: &[Row], map: &Mapping) -> Converted {
    let mut out = Converted::default();
    let mut groups: Vec<(String, Vec<&Row>)> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    for row in rows {
        let id = text(map.cell(row, Field::ExternalId));
        match id {
            Ok(Some(id)) => {
                let at = *index.entry(id.clone()).or_insert_with(|| {
                    groups.push((id, Vec::new()));
                    groups.len() - 1
                });
                groups[at].1.push(row);
            }
            Ok(None) | Err(_) => {
                out.orphan_rows += 1;
                out.problems.push(RowProblem {
                    row: row.line,
                    external_id: String::new(),
                    field: map.label(Field::ExternalId),
                    problem: "is empty: every row needs its record's external_id".into(),
                });
            }
        }
    }
    for (external_id, rows) in groups {
        let mut problems = Vec::new();
        let body = record(&external_id, &rows, map, &mut problems);
        match body {
            Some(body) if problems.is_empty() => {
                out.records.push(Pending { body, rows: rows.iter().map(|r| r.line).collect() })
            }
            _ => {
                out.failed_records += 1;
                out.problems.extend(problems);
            }
        }
    }
    out
}

/// Builds one record from its rows, noting every problem found.
fn record(external_id: &str, rows: &[&Row], map: &Mapping, problems: &mut Vec<RowProblem>) -> Option<RecordBody> {
    let first = rows.first()?;
    let mut note = |row: &Row, f: Field, problem: String| {
        problems.push(RowProblem { row: row.line, external_id: external_id.to_owned(), field: map.label(f), problem });
    };
    let mut get = |row: &Row, f: Field| -> Option<String> {
        match convert_value(f, map.cell(row, f)) {
            Ok(v) => v,
            Err(p) => {
                note(row, f, p);
                None
            }
        }
    };
    let aid_type = get(first, Field::Type);
    let program = get(first, Field::Program);
    let amount = get(first, Field::Amount);
    let currency = get(first, Field::Currency);
    let period_start = get(first, Field::PeriodStart);
    let period_end = get(first, Field::PeriodEnd);
    let governorate = get(first, Field::Governorate);
    let locality = get(first, Field::Locality);
    let mut members = Vec::with_capacity(rows.len());
    let mut role_given = Vec::with_capacity(rows.len());
    for row in rows {
        let role = get(row, Field::Role);
        let name = get(row, Field::Name);
        let national_id = get(row, Field::NationalId);
        let date_of_birth = get(row, Field::DateOfBirth);
        let sex = get(row, Field::Sex);
        let phone = get(row, Field::Phone);
        role_given.push(role.is_some());
        members.push(MemberBody {
            role: MemberRole::parse(role.as_deref().map_or("other", member_role)).unwrap_or(MemberRole::Other),
            name: name.unwrap_or_default(),
            national_id,
            date_of_birth,
            sex: sex.as_deref().and_then(sex_code).and_then(Sex::parse),
            phone,
        });
    }
    // Checks that need the whole row.
    for (row, m) in rows.iter().zip(&members) {
        if m.name.is_empty() && map.cell(row, Field::Name).is_empty() {
            note(row, Field::Name, "is empty: every member needs a name".into());
        }
    }
    if aid_type.is_none() && map.cell(first, Field::Type).is_empty() {
        note(first, Field::Type, "is empty: the record's first row needs the type of assistance".into());
    }
    if period_start.is_none() && map.cell(first, Field::PeriodStart).is_empty() {
        note(first, Field::PeriodStart, "is empty: the record's first row needs the start of the period".into());
    }
    // With no role given, the first member is the head, unless another row says it is.
    if role_given.first() == Some(&false) && !members.iter().any(|m| m.role == MemberRole::Head) {
        members[0].role = MemberRole::Head;
    }
    let location = (governorate.is_some() || locality.is_some()).then_some(LocationBody { governorate, locality });
    Some(RecordBody {
        external_id: external_id.to_owned(),
        assistance: AssistanceBody {
            aid_type: aid_type.as_deref().and_then(AidType::parse)?,
            program,
            amount: amount.and_then(|a| a.parse().ok()),
            currency,
            period_start: period_start?,
            period_end,
        },
        location,
        members,
    })
}

/// Converts one cell to the text sent for its field: `Ok(None)` for an empty cell, `Err` with
/// the problem for a value that cannot be converted.
pub fn convert_value(f: Field, cell: &Cell) -> Result<Option<String>, String> {
    let Some(raw) = text(cell)? else {
        return Ok(None);
    };
    let value = match f {
        Field::Type => aid_type(&raw).map(str::to_owned).ok_or_else(|| {
            format!(
                "{raw:?} is not a type of assistance: write one of cash, food, voucher, in_kind, shelter, health, education, psychosocial, livelihood, other"
            )
        })?,
        Field::Amount => {
            let n = match cell {
                Cell::Number(n) => Some(*n),
                _ => parse_amount(&raw),
            };
            match n {
                Some(n) => format_number(n),
                None => return Err(format!("{raw:?} is not an amount")),
            }
        }
        Field::Currency => currency(&raw),
        Field::PeriodStart | Field::PeriodEnd => match cell {
            Cell::Number(n) => serial_date(*n),
            _ => parse_date(&raw),
        }
        .ok_or_else(|| format!("{raw:?} is not a date: write YYYY-MM-DD or DD/MM/YYYY"))?,
        Field::DateOfBirth => match cell {
            Cell::Number(n) if n.fract() == 0.0 && (1000.0..10000.0).contains(n) => {
                Some(format_number(*n))
            }
            Cell::Number(n) => serial_date(*n),
            _ => parse_birth_date(&raw),
        }
        .ok_or_else(|| {
            format!("{raw:?} is not a date: write YYYY-MM-DD, DD/MM/YYYY, YYYY-MM or YYYY")
        })?,
        Field::Sex => {
            if sex_code(&raw).is_none() {
                return Err(format!("{raw:?} is not a sex: write M or F (ذكر, أنثى)"));
            }
            raw
        }
        _ => raw,
    };
    Ok(Some(value))
}

/// A cell's text, trimmed; `None` when empty.
fn text(cell: &Cell) -> Result<Option<String>, String> {
    Ok(match cell {
        Cell::Empty => None,
        Cell::Text(t) => Some(t.trim().to_owned()).filter(|t| !t.is_empty()),
        Cell::Number(n) => Some(format_number(*n)),
        Cell::Date(y, m, d) => Some(format!("{y:04}-{m:02}-{d:02}")),
        Cell::Error(e) => return Err(format!("the cell holds the error {e}")),
    })
}

/// An amount such as `1,500`, `1 500.50` or `١٬٥٠٠`.
pub fn parse_amount(s: &str) -> Option<f64> {
    let cleaned: String =
        ascii_digits(s).chars().filter(|c| !matches!(c, ',' | ' ' | '\u{00A0}' | '\u{202F}' | '\'')).collect();
    if cleaned.is_empty() || !cleaned.chars().all(|c| c.is_ascii_digit() || matches!(c, '.' | '-')) {
        return None;
    }
    cleaned.parse::<f64>().ok().filter(|n| n.is_finite())
}

fn ymd(y: i32, m: u32, d: u32) -> Option<String> {
    chrono::NaiveDate::from_ymd_opt(y, m, d).map(|_| format!("{y:04}-{m:02}-{d:02}"))
}

/// Splits `a?b?c` on one of `-`, `/`, `.` into numbers.
fn parts(s: &str) -> Option<Vec<u32>> {
    let sep = s.chars().find(|c| matches!(c, '-' | '/' | '.'))?;
    s.split(sep)
        .map(
            |p| {
                if p.is_empty() || p.len() > 4 || !p.bytes().all(|b| b.is_ascii_digit()) {
                    None
                } else {
                    p.parse().ok()
                }
            },
        )
        .collect()
}

/// A date written `YYYY-MM-DD` (or with `/`), or `DD/MM/YYYY` (or with `-` or `.`); a time
/// after the date (as Excel writes it into CSV) is dropped.
pub fn parse_date(s: &str) -> Option<String> {
    let s = ascii_digits(s);
    let day = s.split_whitespace().next().unwrap_or("");
    let day = day.split('T').next().unwrap_or(day);
    let p = parts(day)?;
    let [a, b, c] = p[..] else { return None };
    let first_len = day.find(['-', '/', '.'])?;
    if first_len == 4 {
        ymd(i32::try_from(a).ok()?, b, c)
    } else if day.len() - day.rfind(['-', '/', '.'])? - 1 == 4 {
        ymd(i32::try_from(c).ok()?, b, a)
    } else {
        None
    }
}

/// A date of birth: a full date as [`parse_date`], or `YYYY-MM`, `MM/YYYY`, `YYYY`.
pub fn parse_birth_date(s: &str) -> Option<String> {
    if let Some(d) = parse_date(s) {
        return Some(d);
    }
    let s = ascii_digits(s.trim());
    if s.len() == 4 && s.bytes().all(|b| b.is_ascii_digit()) {
        return Some(s);
    }
    let p = parts(&s)?;
    let [a, b] = p[..] else { return None };
    let (y, m) = if s.find(['-', '/', '.'])? == 4 { (a, b) } else { (b, a) };
    ((1000..10000).contains(&y) && (1..=12).contains(&m)).then(|| format!("{y:04}-{m:02}"))
}

/// A spreadsheet serial date (days since 1899-12-30, as the 1900 date system counts).
fn serial_date(n: f64) -> Option<String> {
    if !(1.0..2_958_466.0).contains(&n) {
        return None;
    }
    let epoch = chrono::NaiveDate::from_ymd_opt(1899, 12, 30)?;
    let d = epoch.checked_add_days(chrono::Days::new(n.floor() as u64))?;
    Some(d.format("%Y-%m-%d").to_string())
}

/// A member's role: head, spouse, child; anything else is `other`.
pub fn member_role(s: &str) -> &'static str {
    let k = normalize_header(s);
    let head = ["head", "head_of_household", "hoh", "رب الاسرة", "ربة الاسرة", "رب اسرة", "رب العائلة"];
    let spouse = ["spouse", "wife", "husband", "زوجة", "زوج", "الزوجة", "الزوج"];
    let child = ["child", "son", "daughter", "ابن", "ابنة", "بنت", "الابن", "الابنة"];
    let is = |list: &[&str]| list.iter().any(|a| normalize_header(a) == k);
    if is(&head) {
        "head"
    } else if is(&spouse) {
        "spouse"
    } else if is(&child) {
        "child"
    } else {
        "other"
    }
}

/// `M` or `F` from ذكر/أنثى, male/female, M/F.
pub fn sex_code(s: &str) -> Option<&'static str> {
    match normalize_header(s).as_str() {
        "m" | "male" | "ذكر" => Some("M"),
        "f" | "female" | "انثي" => Some("F"),
        _ => None,
    }
}

/// The API's type of assistance, from its name or a common Arabic one.
pub fn aid_type(s: &str) -> Option<&'static str> {
    const TYPES: [&str; 10] =
        ["cash", "food", "voucher", "in_kind", "shelter", "health", "education", "psychosocial", "livelihood", "other"];
    let k = normalize_header(s);
    if let Some(t) = TYPES.iter().find(|t| **t == k) {
        return Some(t);
    }
    let arabic: [(&str, &[&str]); 10] = [
        ("cash", &["نقد", "نقدي", "نقدية", "مساعدة نقدية", "cash_transfer"]),
        ("food", &["غذاء", "غذائي", "غذائية", "طرد غذائي", "طرود غذائية"]),
        ("voucher", &["قسيمة", "قسائم", "كوبون", "vouchers"]),
        ("in_kind", &["inkind", "عيني", "عينية", "مساعدة عينية"]),
        ("shelter", &["مأوى", "إيواء"]),
        ("health", &["صحة", "صحي", "صحية"]),
        ("education", &["تعليم", "تعليمي"]),
        ("psychosocial", &["دعم نفسي", "نفسي اجتماعي"]),
        ("livelihood", &["livelihoods", "سبل العيش"]),
        ("other", &["أخرى", "اخرى"]),
    ];
    arabic.iter().find(|(_, names)| names.iter().any(|n| normalize_header(n) == k)).map(|(t, _)| *t)
}

/// A currency code in capitals; the Arabic names of the usual three become their codes.
pub fn currency(s: &str) -> String {
    match normalize_header(s).as_str() {
        "شيكل" | "شيقل" | "شاقل" | "₪" => "ILS".into(),
        "دولار" | "$" => "USD".into(),
        "دينار" | "دينار اردني" => "JOD".into(),
        _ => s.trim().to_uppercase(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_and_aliases() {
        assert_eq!(Field::parse(" External ID "), Some(Field::ExternalId));
        assert_eq!(Field::parse("الرقم المرجعي"), Some(Field::ExternalId));
        assert_eq!(Field::parse("الى"), Some(Field::PeriodEnd));
        assert_eq!(Field::parse("إلى"), Some(Field::PeriodEnd));
        assert_eq!(Field::parse("Date-of-Birth"), Some(Field::DateOfBirth));
        assert_eq!(Field::parse("الاسم الرباعي"), Some(Field::Name));
        assert_eq!(Field::parse("notes"), None);
    }

    #[test]
    fn dates() {
        assert_eq!(parse_date("2026-01-31").as_deref(), Some("2026-01-31"));
        assert_eq!(parse_date("31/01/2026").as_deref(), Some("2026-01-31"));
        assert_eq!(parse_date("1/2/2026").as_deref(), Some("2026-02-01"));
        assert_eq!(parse_date("٠١/٠٢/٢٠٢٦").as_deref(), Some("2026-02-01"));
        assert_eq!(parse_date("2026-01-31 00:00:00").as_deref(), Some("2026-01-31"));
        assert_eq!(parse_date("31/02/2026"), None);
        assert_eq!(parse_date("01/02/26"), None);
        assert_eq!(parse_birth_date("1984").as_deref(), Some("1984"));
        assert_eq!(parse_birth_date("05/1984").as_deref(), Some("1984-05"));
        assert_eq!(serial_date(45658.0).as_deref(), Some("2025-01-01"));
    }

    #[test]
    fn amounts_roles_sexes() {
        assert_eq!(parse_amount("1,500.50"), Some(1500.5));
        assert_eq!(parse_amount("١٬٥٠٠"), Some(1500.0));
        assert_eq!(parse_amount("12abc"), None);
        assert_eq!(member_role("رب الأسرة"), "head");
        assert_eq!(member_role("زوجة"), "spouse");
        assert_eq!(member_role("ابنة"), "child");
        assert_eq!(member_role("أخ"), "other");
        assert_eq!(sex_code("أنثى"), Some("F"));
        assert_eq!(sex_code("Male"), Some("M"));
        assert_eq!(aid_type("Cash"), Some("cash"));
        assert_eq!(aid_type("in-kind"), Some("in_kind"));
        assert_eq!(aid_type("طرود غذائية"), Some("food"));
    }

    #[test]
    fn map_rules() {
        let r: MapRule = "Case No.=external_id".parse().expect("rule");
        assert_eq!(r.field, Some(Field::ExternalId));
        let r: MapRule = "Notes=-".parse().expect("rule");
        assert_eq!(r.field, None);
        assert!("Notes=colour".parse::<MapRule>().is_err());
    }
}
