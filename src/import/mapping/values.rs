//! One cell to the text its field is sent as: dates (several writings, and spreadsheet serials)
//! to `YYYY-MM-DD`, amounts without thousands separators, roles, sexes, aid types and
//! currencies from their English or Arabic words.

use super::columns::{Field, normalize_header};
use crate::import::table::{Cell, format_number};
use crate::service::validate::ascii_digits;

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
pub(super) fn text(cell: &Cell) -> Result<Option<String>, String> {
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
}
