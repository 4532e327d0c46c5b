//! How agencies write Arabic names: orthographic habits (hamza, ة/ه, ى/ي, compounds, the
//! article) and real typing slips (letter confusions, doubled letters, dropped long vowels),
//! with the rates taken from NAMES.md where it has them.

use crate::Agency;
use rand::Rng;

/// Per-name orthographic choices of one clerk writing one name.
#[derive(Debug, Clone, Copy)]
pub struct Habit {
    pub drop_hamza: bool,
    pub ta_as_ha: bool,
    pub ya_for_maqsura: bool,
    pub join_abd: bool,
    pub join_abu: bool,
    pub drop_article: bool,
}

impl Habit {
    /// Draws one clerk's habits from an agency's rates.
    pub fn draw<R: Rng + ?Sized>(ag: &Agency, rng: &mut R) -> Habit {
        Habit {
            drop_hamza: rng.random_bool(ag.hamza_drop),
            ta_as_ha: rng.random_bool(ag.ta_marbuta_as_ha),
            ya_for_maqsura: rng.random_bool(ag.alef_maqsura_as_ya),
            join_abd: rng.random_bool(ag.abd_joined),
            join_abu: rng.random_bool(ag.abu_joined),
            drop_article: rng.random_bool(ag.drop_article),
        }
    }
}

fn fold_hamza(c: char) -> char {
    match c {
        'أ' | 'إ' | 'آ' => 'ا',
        _ => c,
    }
}

/// Writes one name part (it may hold a space, as in عبد الله) with the given habits.
pub fn write_part<R: Rng + ?Sized>(part: &str, is_family: bool, h: &Habit, rng: &mut R, out: &mut String) {
    let mut s: String = part.to_string();
    if is_family && h.drop_article && s.starts_with("ال") && s.chars().count() >= 5 && !s.starts_with("الله") {
        s = s.chars().skip(2).collect();
    }
    if h.drop_hamza {
        // A clerk who skips hamza still types it now and then.
        if rng.random_bool(0.9) {
            s = s.chars().map(fold_hamza).collect();
        }
    } else if rng.random_bool(0.03) {
        s = s.chars().map(fold_hamza).collect();
    }
    if s.ends_with('ة') && (h.ta_as_ha || rng.random_bool(0.05)) {
        s.pop();
        s.push('ه');
    }
    if h.ya_for_maqsura && s.ends_with('ى') {
        s.pop();
        s.push('ي');
    }
    // Compounds: canonical forms hold a space.
    if let Some(rest) = s.strip_prefix("عبد ") {
        if h.join_abd {
            s = format!("عبد{rest}");
        }
    } else if let Some(rest) = s.strip_prefix("أبو ").or_else(|| s.strip_prefix("ابو ")) {
        if h.join_abu {
            let abu = if s.starts_with('أ') { "أبو" } else { "ابو" };
            s = format!("{abu}{rest}");
        }
    } else if (s.ends_with(" الدين") || s.ends_with(" الهدى") || s.ends_with(" الزهراء"))
        && h.join_abd
        && rng.random_bool(0.5)
    {
        s = s.replacen(' ', "", 1);
    }
    // Names the canonical list writes joined are sometimes split (عبدالله → عبد الله).
    if !h.join_abd && s.starts_with("عبدال") {
        s = s.replacen("عبد", "عبد ", 1);
    }
    out.push_str(&s);
}

/// Letter confusions observed in Palestinian lists (NAMES.md), both directions, with weights.
const CONFUSIONS: &[(char, char, u32)] = &[
    ('س', 'ص', 8),
    ('ت', 'ط', 6),
    ('ح', 'ه', 6),
    ('د', 'ض', 5),
    ('ز', 'ظ', 3),
    ('ئ', 'ي', 3),
    ('ع', 'ا', 3),
    ('ذ', 'ز', 3),
    ('ث', 'س', 2),
    ('ق', 'ك', 2),
    ('ض', 'ظ', 2),
];

/// Applies one realistic typing slip to an Arabic name (in place). Returns whether it changed.
pub fn typo<R: Rng + ?Sized>(name: &mut String, rng: &mut R) -> bool {
    let chars: Vec<char> = name.chars().collect();
    if chars.len() < 4 {
        return false;
    }
    let kind = rng.random_range(0..100);
    let mut c = chars.clone();
    match kind {
        // letter confusion
        0..40 => {
            let cands: Vec<(usize, char, u32)> = c
                .iter()
                .enumerate()
                .flat_map(|(i, &ch)| {
                    CONFUSIONS.iter().filter_map(move |&(a, b, w)| {
                        if ch == a {
                            Some((i, b, w))
                        } else if ch == b {
                            Some((i, a, w))
                        } else {
                            None
                        }
                    })
                })
                .collect();
            let total: u32 = cands.iter().map(|x| x.2).sum();
            if total == 0 {
                return false;
            }
            let mut x = rng.random_range(0..total);
            for (i, to, w) in cands {
                if x < w {
                    c[i] = to;
                    break;
                }
                x -= w;
            }
        }
        // doubled last letter of a word (محمدد)
        40..52 => {
            let ends: Vec<usize> = (0..c.len()).filter(|&i| i + 1 == c.len() || c[i + 1] == ' ').collect();
            let i = ends[rng.random_range(0..ends.len())];
            c.insert(i + 1, c[i]);
        }
        // extra leading alef (اابراهيم) or a word gaining a prothetic alef
        52..57 => {
            let starts: Vec<usize> = (0..c.len()).filter(|&i| i == 0 || c[i - 1] == ' ').collect();
            let i = starts[rng.random_range(0..starts.len())];
            c.insert(i, 'ا');
        }
        // a long vowel dropped (داوود → داود, إسحاق → إسحق)
        57..70 => {
            let v: Vec<usize> = (1..c.len() - 1)
                .filter(|&i| matches!(c[i], 'ا' | 'و' | 'ي') && c[i - 1] != ' ' && c[i + 1] != ' ')
                .collect();
            if v.is_empty() {
                return false;
            }
            c.remove(v[rng.random_range(0..v.len())]);
        }
        // a long vowel inserted (جمانه → جومانه)
        70..80 => {
            let i = rng.random_range(1..c.len());
            if c[i - 1] == ' ' || c[i] == ' ' {
                return false;
            }
            c.insert(i, ['ا', 'و', 'ي'][rng.random_range(0..3)]);
        }
        // final vowel letter swapped (ا/ى/ه/ة)
        80..86 => {
            let ends: Vec<usize> = (0..c.len())
                .filter(|&i| (i + 1 == c.len() || c[i + 1] == ' ') && matches!(c[i], 'ا' | 'ى' | 'ه' | 'ة'))
                .collect();
            if ends.is_empty() {
                return false;
            }
            let i = ends[rng.random_range(0..ends.len())];
            let opts: Vec<char> = ['ا', 'ى', 'ه', 'ة'].into_iter().filter(|&x| x != c[i]).collect();
            c[i] = opts[rng.random_range(0..opts.len())];
        }
        // two words run together, or a word split
        86..93 => {
            let spaces: Vec<usize> = (0..c.len()).filter(|&i| c[i] == ' ').collect();
            if spaces.is_empty() || rng.random_bool(0.3) {
                let i = rng.random_range(2..c.len() - 1);
                if c[i - 1] == ' ' || c[i] == ' ' {
                    return false;
                }
                c.insert(i, ' ');
            } else {
                c.remove(spaces[rng.random_range(0..spaces.len())]);
            }
        }
        // neighbouring letters swapped
        _ => {
            let i = rng.random_range(0..c.len() - 1);
            if c[i] == ' ' || c[i + 1] == ' ' || c[i] == c[i + 1] {
                return false;
            }
            c.swap(i, i + 1);
        }
    }
    if c == chars {
        return false;
    }
    *name = c.into_iter().collect();
    true
}

/// Rare noise seen in exports: a shadda on محمد, tatweel, hamza typed as a separate mark.
pub fn rare_noise<R: Rng + ?Sized>(name: &mut String, rng: &mut R) {
    match rng.random_range(0..3) {
        0 if name.contains("محمد") => *name = name.replacen("محمد", "مُحمّد", 1),
        1 => {
            if let Some(pos) = name.char_indices().nth(2).map(|(i, _)| i) {
                name.insert(pos, 'ـ');
            }
        }
        _ => {
            if name.contains('أ') {
                *name = name.replacen('أ', "ا\u{0654}", 1);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn typos_change_names() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
        let mut changed = 0;
        for _ in 0..1000 {
            let mut n = "محمد أحمد محمود الشاعر".to_string();
            if typo(&mut n, &mut rng) {
                changed += 1;
                assert_ne!(n, "محمد أحمد محمود الشاعر");
            }
        }
        assert!(changed > 700, "{changed}");
    }
}
