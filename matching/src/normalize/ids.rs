//! Identifiers and dates: national IDs, phone numbers, dates of birth, and the one digit folding
//! of the project. Each parses what agencies write into one canonical form (or `None`).

/// A date that may lack its day, or its month and day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct PartialDate {
    /// Year, 1800–2200.
    pub year: u16,
    /// Month 1–12, if known.
    pub month: Option<u8>,
    /// Day of month, if known (only with a month).
    pub day: Option<u8>,
}

impl PartialDate {
    /// Packs the date into a non-zero `u32` (`year << 9 | month << 5 | day`, 0 for unknown parts).
    pub(crate) fn pack(self) -> u32 {
        (u32::from(self.year) << 9) | (u32::from(self.month.unwrap_or(0)) << 5) | u32::from(self.day.unwrap_or(0))
    }

    /// Inverse of [`PartialDate::pack`]; `None` for 0.
    pub(crate) fn unpack(v: u32) -> Option<PartialDate> {
        if v == 0 {
            return None;
        }
        let m = ((v >> 5) & 0xF) as u8;
        let d = (v & 0x1F) as u8;
        Some(PartialDate { year: (v >> 9) as u16, month: (m != 0).then_some(m), day: (d != 0).then_some(d) })
    }
}

impl std::fmt::Display for PartialDate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}", self.year)?;
        if let Some(m) = self.month {
            write!(f, "-{m:02}")?;
            if let Some(d) = self.day {
                write!(f, "-{d:02}")?;
            }
        }
        Ok(())
    }
}

/// Arabic-Indic (٠–٩) and Persian (۰–۹) digits as ASCII, and the Arabic decimal and thousands
/// separators and comma as `.` and `,`; everything else as it is. The one digit folding of the
/// project: the gateway's validation, search box and import read numbers through it.
///
/// ```
/// use bawaba_matching::normalize::ascii_digits;
/// assert_eq!(ascii_digits("٤٠١ ۲۳٤٫٥"), "401 234.5");
/// ```
pub fn ascii_digits(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '\u{066B}' => '.',
            '\u{066C}' | '\u{060C}' => ',',
            c => digit(c).map_or(c, |d| char::from(b'0' + d)),
        })
        .collect()
}

/// The ASCII value of a decimal digit in ASCII, Arabic-Indic (٠–٩) or Persian (۰–۹) form.
fn digit(c: char) -> Option<u8> {
    match c {
        '0'..='9' => Some(c as u8 - b'0'),
        '\u{0660}'..='\u{0669}' => Some((c as u32 - 0x0660) as u8),
        '\u{06F0}'..='\u{06F9}' => Some((c as u32 - 0x06F0) as u8),
        _ => None,
    }
}

/// Normalises a national ID: digits only (Arabic-Indic and Persian digits too), leading zeros
/// dropped and the number left-padded to 9 digits (the Palestinian ID length), so `"040123456"`,
/// `"40123456"` and `"٠٤٠١٢٣٤٥٦"` are one ID. `None` when there is no digit, the number is 0, it
/// is longer than 15 digits, or non-digit characters other than spaces, dashes and dots occur.
///
/// ```
/// use bawaba_matching::normalize::national_id;
/// assert_eq!(national_id("٤٠١٢٣٤٥٦٣").as_deref(), Some("401234563"));
/// assert_eq!(national_id("40123456").as_deref(), Some("040123456"));
/// assert_eq!(national_id("n/a"), None);
/// ```
pub fn national_id(s: &str) -> Option<String> {
    let mut out = String::with_capacity(12);
    for c in s.chars() {
        if let Some(d) = digit(c) {
            if out.is_empty() && d == 0 {
                continue;
            }
            out.push((b'0' + d) as char);
        } else if !(c.is_whitespace() || matches!(c, '-' | '.' | '_' | '/' | '\u{200E}' | '\u{200F}')) {
            return None;
        }
    }
    if out.is_empty() || out.len() > 15 {
        return None;
    }
    while out.len() < 9 {
        out.insert(0, '0');
    }
    Some(out)
}

/// Numeric form of a normalised national ID (non-zero), for the index.
pub(crate) fn national_id_u64(s: &str) -> Option<u64> {
    national_id(s).and_then(|d| d.parse::<u64>().ok()).filter(|&v| v != 0)
}

/// Normalises a phone number to one canonical form: the country code and the national number
/// without its trunk zero, digits only. Palestinian and Israeli prefixes `+970`, `+972`, `00970`,
/// `00972` and a local leading `0` are understood; Palestinian mobile numbers (`59…`, `56…`) get
/// `970` whichever prefix was used, other `5…` mobiles `972`, landlines `970`. Spaces, dashes,
/// dots, brackets and Arabic-Indic digits are accepted. `None` when the number is not plausible.
///
/// ```
/// use bawaba_matching::normalize::phone;
/// assert_eq!(phone("+970 599-123-456").as_deref(), Some("970599123456"));
/// assert_eq!(phone("0599123456").as_deref(), Some("970599123456"));
/// assert_eq!(phone("00972 59 912 3456").as_deref(), Some("970599123456"));
/// assert_eq!(phone("12"), None);
/// ```
pub fn phone(s: &str) -> Option<String> {
    let trimmed = s.trim();
    let plus = trimmed.starts_with('+');
    let mut digits = String::with_capacity(16);
    for c in trimmed.chars() {
        if let Some(d) = digit(c) {
            digits.push((b'0' + d) as char);
        } else if !(c.is_whitespace() || matches!(c, '-' | '.' | '(' | ')' | '+' | '/' | '\u{200E}' | '\u{200F}')) {
            return None;
        }
    }
    let (country, rest): (Option<&str>, &str) = if plus {
        (None, digits.as_str())
    } else if let Some(r) = digits.strip_prefix("00") {
        (None, r)
    } else if let Some(r) = digits.strip_prefix('0') {
        (Some(""), r)
    } else if digits.starts_with("970") || digits.starts_with("972") {
        (None, digits.as_str())
    } else if digits.len() == 9 && (digits.starts_with('5')) {
        (Some(""), digits.as_str())
    } else {
        return None;
    };
    let (cc, local) = match country {
        Some(_) => ("", rest),
        None => {
            if let Some(l) = rest.strip_prefix("970") {
                ("970", l)
            } else if let Some(l) = rest.strip_prefix("972") {
                ("972", l)
            } else {
                // Another country: keep the international number as it is.
                return (8..=15).contains(&rest.len()).then(|| rest.to_string());
            }
        }
    };
    let local = local.strip_prefix('0').unwrap_or(local);
    let ok_len = if local.starts_with('5') { local.len() == 9 } else { local.len() == 8 };
    if !ok_len || local.starts_with('0') {
        return None;
    }
    let country = if local.starts_with("59") || local.starts_with("56") {
        "970"
    } else if local.starts_with('5') {
        "972"
    } else if cc.is_empty() {
        "970"
    } else {
        cc
    };
    Some(format!("{country}{local}"))
}

/// Numeric form of a normalised phone number (non-zero), for the index.
pub(crate) fn phone_u64(s: &str) -> Option<u64> {
    phone(s).and_then(|d| d.parse::<u64>().ok()).filter(|&v| v != 0)
}

/// Parses a date of birth given strictly as `YYYY`, `YYYY-MM` or `YYYY-MM-DD` (ASCII or
/// Arabic-Indic digits, surrounding spaces ignored). Only real calendar dates are accepted, with
/// years from 1800 to 2200.
///
/// ```
/// use bawaba_matching::normalize::{date_of_birth, PartialDate};
/// assert_eq!(date_of_birth("1980-05"), Some(PartialDate { year: 1980, month: Some(5), day: None }));
/// assert_eq!(date_of_birth("2001-02-29"), None);
/// assert_eq!(date_of_birth("2000-02-29").map(|d| d.day), Some(Some(29)));
/// ```
pub fn date_of_birth(s: &str) -> Option<PartialDate> {
    let s = s.trim();
    let mut fields: [u32; 3] = [0; 3];
    let mut lens: [usize; 3] = [0; 3];
    let mut i = 0usize;
    for c in s.chars() {
        if c == '-' {
            i += 1;
            if i > 2 {
                return None;
            }
        } else {
            let d = digit(c)?;
            fields[i] = fields[i] * 10 + u32::from(d);
            lens[i] += 1;
            if lens[i] > 4 {
                return None;
            }
        }
    }
    if lens[0] != 4 || (i >= 1 && lens[1] != 2) || (i >= 2 && lens[2] != 2) {
        return None;
    }
    let year = fields[0];
    if !(1800..=2200).contains(&year) {
        return None;
    }
    let month = if i >= 1 {
        let m = fields[1];
        if !(1..=12).contains(&m) {
            return None;
        }
        Some(m as u8)
    } else {
        None
    };
    let day = if i >= 2 {
        let d = fields[2];
        let m = fields[1];
        let leap = (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400);
        let max = match m {
            2 if leap => 29,
            2 => 28,
            4 | 6 | 9 | 11 => 30,
            _ => 31,
        };
        if !(1..=max).contains(&d) {
            return None;
        }
        Some(d as u8)
    } else {
        None
    };
    Some(PartialDate { year: year as u16, month, day })
}
