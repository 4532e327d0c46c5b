//! Civil dates as day numbers (days since 1970-01-01), without a date crate.

/// Day number of a proleptic Gregorian date (Howard Hinnant's algorithm).
pub fn days_from_civil(y: i32, m: u32, d: u32) -> i32 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let m = m as i32;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d as i32 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date of a day number.
pub fn civil_from_days(z: i32) -> (i32, u32, u32) {
    let z = z + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// `YYYY-MM-DD`.
pub fn fmt(days: i32) -> String {
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02}")
}

/// Whether y-m-d is a real date.
pub fn is_valid(y: i32, m: u32, d: u32) -> bool {
    (1..=12).contains(&m) && d >= 1 && d <= days_in_month(y, m)
}

/// Days in a month.
pub fn days_in_month(y: i32, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        _ => 28,
    }
}

/// The first day `months` months after the month holding `days`, on day `day_of_month`
/// (clamped to the month's length).
pub fn add_months(days: i32, months: i32, day_of_month: u32) -> i32 {
    let (y, m, _) = civil_from_days(days);
    let idx = y * 12 + (m as i32 - 1) + months;
    let (ny, nm) = (idx.div_euclid(12), (idx.rem_euclid(12) + 1) as u32);
    days_from_civil(ny, nm, day_of_month.min(days_in_month(ny, nm)))
}

/// Parses `YYYY-MM-DD`, `YYYY-MM` or `YYYY`, checking validity.
pub fn parse_partial(s: &str) -> Option<(i32, Option<u32>, Option<u32>)> {
    let parts: Vec<&str> = s.split('-').collect();
    let num = |p: &str, n: usize| {
        (p.len() == n && p.bytes().all(|b| b.is_ascii_digit())).then(|| p.parse::<u32>().ok()).flatten()
    };
    let y = num(parts.first()?, 4)? as i32;
    match parts.len() {
        1 => Some((y, None, None)),
        2 => {
            let m = num(parts[1], 2)?;
            (1..=12).contains(&m).then_some((y, Some(m), None))
        }
        3 => {
            let (m, d) = (num(parts[1], 2)?, num(parts[2], 2)?);
            is_valid(y, m, d).then_some((y, Some(m), Some(d)))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        for z in -30_000..30_000 {
            let (y, m, d) = civil_from_days(z);
            assert_eq!(days_from_civil(y, m, d), z);
        }
        assert_eq!(fmt(days_from_civil(2024, 2, 29)), "2024-02-29");
        assert_eq!(add_months(days_from_civil(2024, 1, 31), 1, 31), days_from_civil(2024, 2, 29));
        assert!(parse_partial("2023-02-29").is_none());
        assert!(parse_partial("2024-02").is_some());
    }
}
