//! Embedded name and place tables, parsed once. Sources and licenses: `data/README.md`.

use rand::Rng;
use std::collections::HashMap;
use std::sync::OnceLock;

const FIRST_MALE: &str = include_str!("../data/first_male.tsv");
const FIRST_FEMALE: &str = include_str!("../data/first_female.tsv");
const FAMILIES: &str = include_str!("../data/families.tsv");
const LOCALITIES: &str = include_str!("../data/localities.tsv");
const FAKER: &str = include_str!("../data/faker_names.tsv");
const LATIN: &str = include_str!("../data/latin_variants.tsv");

/// A table of items drawn with given relative weights.
#[derive(Debug, Clone)]
pub struct Weighted<T> {
    items: Vec<T>,
    cum: Vec<f64>,
}

impl<T> Weighted<T> {
    /// Builds the table; items with a weight ≤ 0 are never drawn.
    pub fn new(pairs: Vec<(T, f64)>) -> Self {
        let mut items = Vec::with_capacity(pairs.len());
        let mut cum = Vec::with_capacity(pairs.len());
        let mut total = 0.0;
        for (item, w) in pairs {
            if w > 0.0 {
                total += w;
                items.push(item);
                cum.push(total);
            }
        }
        Weighted { items, cum }
    }

    /// Draws one item. Panics never: an empty table is a programming error caught in tests,
    /// and `pick` then returns `None`.
    pub fn pick<R: Rng + ?Sized>(&self, rng: &mut R) -> Option<&T> {
        let total = *self.cum.last()?;
        let x = rng.random::<f64>() * total;
        let i = self.cum.partition_point(|&c| c <= x).min(self.items.len() - 1);
        self.items.get(i)
    }

    /// Number of drawable items.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// True when nothing can be drawn.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}

/// A governorate and locality of the West Bank or Gaza.
#[derive(Debug, Clone)]
pub struct Locality {
    pub governorate: &'static str,
    pub locality: &'static str,
    pub region: &'static str,
    pub governorate_latin: &'static str,
}

/// All the parsed tables.
#[derive(Debug)]
pub struct Tables {
    pub male: Weighted<&'static str>,
    pub female: Weighted<&'static str>,
    pub locs: Vec<Locality>,
    pub localities: Weighted<usize>,
    pub gaza_localities: Vec<usize>,
    pub families_by_region: HashMap<&'static str, Weighted<&'static str>>,
    pub families_all: Weighted<&'static str>,
    /// Arabic name (as in our lists) → Latin spellings seen for it (rigour / Wikidata).
    pub latin: HashMap<&'static str, Vec<&'static str>>,
}

fn rows(text: &'static str) -> impl Iterator<Item = Vec<&'static str>> {
    text.lines().filter(|l| !l.starts_with('#') && !l.trim().is_empty()).map(|l| l.split('\t').map(str::trim).collect())
}

fn weighted_names(curated: &'static str, faker_field: &str, tail_weight: f64) -> Weighted<&'static str> {
    let mut seen = std::collections::HashSet::new();
    let mut pairs = Vec::new();
    for r in rows(curated) {
        if let (Some(n), Some(w)) = (r.first(), r.get(1).and_then(|w| w.parse::<f64>().ok()))
            && seen.insert(*n)
        {
            pairs.push((*n, w));
        }
    }
    for r in rows(FAKER) {
        if let (Some(f), Some(n)) = (r.first(), r.get(1))
            && *f == faker_field
            && seen.insert(*n)
        {
            pairs.push((*n, tail_weight));
        }
    }
    Weighted::new(pairs)
}

/// The tables, parsed on first use.
pub fn tables() -> &'static Tables {
    static T: OnceLock<Tables> = OnceLock::new();
    T.get_or_init(build)
}

fn build() -> Tables {
    let male = weighted_names(FIRST_MALE, "first_names_male", 2.0);
    let female = weighted_names(FIRST_FEMALE, "first_names_female", 5.0);

    let mut locs = Vec::new();
    let mut loc_w = Vec::new();
    for r in rows(LOCALITIES) {
        if r.len() >= 5 {
            let w = r[2].parse::<f64>().unwrap_or(1.0);
            loc_w.push((locs.len(), w));
            locs.push(Locality { governorate: r[0], locality: r[1], region: r[3], governorate_latin: r[4] });
        }
    }
    let gaza_localities = locs.iter().enumerate().filter(|(_, l)| l.region == "GZA").map(|(i, _)| i).collect();

    let mut fams: Vec<(&'static str, f64, Vec<&'static str>)> = Vec::new();
    for r in rows(FAMILIES) {
        if r.len() >= 3 {
            let w = r[1].parse::<f64>().unwrap_or(1.0);
            fams.push((r[0], w, r[2].split_whitespace().collect()));
        }
    }
    for r in rows(FAKER) {
        if r.first() == Some(&"last_names")
            && let Some(n) = r.get(1)
            && !fams.iter().any(|f| f.0 == *n)
        {
            fams.push((n, 6.0, vec!["ALL"]));
        }
    }
    let mut families_by_region = HashMap::new();
    for region in ["HEB", "BTH", "RAM", "NAB", "JEN", "GZA"] {
        let pairs = fams
            .iter()
            .filter_map(|(n, w, rs)| {
                if rs.contains(&region) {
                    Some((*n, *w * 4.0))
                } else if rs.contains(&"ALL") {
                    Some((*n, *w * 0.5))
                } else {
                    None
                }
            })
            .collect();
        families_by_region.insert(region, Weighted::new(pairs));
    }
    let families_all = Weighted::new(fams.iter().map(|(n, w, _)| (*n, *w)).collect());

    let mut latin = HashMap::new();
    for r in rows(LATIN) {
        if let (Some(a), Some(l)) = (r.first(), r.get(1)) {
            latin.insert(*a, l.split('|').collect());
        }
    }
    Tables {
        male,
        female,
        locs,
        localities: Weighted::new(loc_w),
        gaza_localities,
        families_by_region,
        families_all,
        latin,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_parse() {
        let t = tables();
        assert!(t.male.len() > 500, "{}", t.male.len());
        assert!(t.female.len() > 150);
        assert!(t.locs.len() > 50);
        assert!(t.families_by_region.values().all(|w| w.len() > 20));
        assert!(t.latin.contains_key("محمد"));
    }
}
