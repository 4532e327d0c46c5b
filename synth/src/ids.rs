//! Palestinian national ID numbers: 9 digits, the last a Luhn-style check digit
//! (weights 1,2,1,2,… from the left, digits of products summed, total ≡ 0 mod 10).

use rand::Rng;

/// The check digit for the first eight digits.
pub fn check_digit(first8: &[u8]) -> u8 {
    let sum: u32 = first8
        .iter()
        .enumerate()
        .map(|(i, &d)| {
            let p = u32::from(d) * if i % 2 == 0 { 1 } else { 2 };
            if p > 9 { p - 9 } else { p }
        })
        .sum();
    ((10 - sum % 10) % 10) as u8
}

/// Whether `id` is 9 ASCII digits with a correct check digit.
pub fn is_valid(id: &str) -> bool {
    let b = id.as_bytes();
    if b.len() != 9 || !b.iter().all(u8::is_ascii_digit) {
        return false;
    }
    let digits: Vec<u8> = b.iter().map(|c| c - b'0').collect();
    check_digit(&digits[..8]) == digits[8]
}

/// A fresh valid ID as a number (leading 4, 8 or 9 as on real Palestinian IDs).
pub fn new_id<R: Rng + ?Sized>(rng: &mut R) -> u32 {
    let lead: u8 = match rng.random_range(0..100) {
        0..60 => 4,
        60..85 => 8,
        _ => 9,
    };
    let mut d = [0u8; 9];
    d[0] = lead;
    for x in d.iter_mut().take(8).skip(1) {
        *x = rng.random_range(0..10);
    }
    d[8] = check_digit(&d[..8]);
    d.iter().fold(0u32, |acc, &x| acc * 10 + u32::from(x))
}

/// Formats an ID number as its 9 digits.
pub fn fmt(id: u32) -> String {
    format!("{id:09}")
}

/// The ID as a clerk might mistype it: one digit replaced (70 %) or two neighbours swapped.
pub fn mistype<R: Rng + ?Sized>(id: &str, rng: &mut R) -> String {
    let mut b: Vec<u8> = id.bytes().collect();
    if b.len() < 2 {
        return id.to_string();
    }
    for _ in 0..8 {
        let mut c = b.clone();
        if rng.random_bool(0.7) {
            let i = rng.random_range(0..c.len());
            c[i] = b'0' + rng.random_range(0..10u8);
        } else {
            let i = rng.random_range(0..c.len() - 1);
            c.swap(i, i + 1);
        }
        if c != b {
            b = c;
            break;
        }
    }
    String::from_utf8(b).unwrap_or_else(|_| id.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn valid_ids() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
        for _ in 0..1000 {
            let id = fmt(new_id(&mut rng));
            assert!(is_valid(&id), "{id}");
            let bad = mistype(&id, &mut rng);
            assert_ne!(bad, id);
            assert_eq!(bad.len(), 9);
        }
        // A known Israeli/Palestinian-style example: 000000018 is valid.
        assert!(is_valid("000000018"));
        assert!(!is_valid("000000019"));
    }
}
