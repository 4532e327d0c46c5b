//! The embedded data files (`places/data/`) and their parsing.

use crate::place::{LocalityKind, Place, PlaceKind};

/// `data/governorates.csv`: code, name_en, name_ar, region, aliases (`|`-separated).
pub(crate) const GOVERNORATES_CSV: &str = include_str!("../data/governorates.csv");
/// `data/localities.csv`: code, parent, kind, name_en, name_ar, aliases, lat, lon, geonameid,
/// geonames_name, ar_variants, source.
pub(crate) const LOCALITIES_CSV: &str = include_str!("../data/localities.csv");
/// `data/geo/pse_adm2_simplified.geojson`: geoBoundaries ADM2 governorate boundaries.
pub(crate) const ADM2_GEOJSON: &str = include_str!("../data/geo/pse_adm2_simplified.geojson");

/// Parses CSV text (RFC 4180: quoted fields may hold commas, quotes doubled, newlines). The
/// first row is the header; rows are returned as maps from header to field.
pub(crate) fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if quoted {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    field.push('"');
                    chars.next();
                }
                '"' => quoted = false,
                _ => field.push(c),
            }
            continue;
        }
        match c {
            '"' => quoted = true,
            ',' => row.push(std::mem::take(&mut field)),
            '\r' => {}
            '\n' => {
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            _ => field.push(c),
        }
    }
    if !field.is_empty() || !row.is_empty() {
        row.push(field);
        rows.push(row);
    }
    rows
}

/// Splits a `|`-separated list, dropping empty items.
fn list(s: &str) -> impl Iterator<Item = String> + '_ {
    s.split('|').map(str::trim).filter(|a| !a.is_empty()).map(str::to_owned)
}

/// Rows of a CSV text as (header → field) lookups.
fn records(text: &str) -> Result<Vec<Vec<(String, String)>>, String> {
    let mut rows = parse_csv(text).into_iter();
    let header = rows.next().ok_or("empty file")?;
    let mut out = Vec::new();
    for (i, row) in rows.enumerate() {
        if row.len() == 1 && row[0].trim().is_empty() {
            continue;
        }
        if row.len() != header.len() {
            return Err(format!("row {}: {} fields, header has {}", i + 2, row.len(), header.len()));
        }
        out.push(header.iter().cloned().zip(row).collect());
    }
    Ok(out)
}

fn field<'a>(row: &'a [(String, String)], name: &str) -> &'a str {
    row.iter().find(|(h, _)| h == name).map(|(_, v)| v.trim()).unwrap_or("")
}

/// Parses the embedded files into places: governorates first, then localities.
pub(crate) fn builtin_places() -> Result<Vec<Place>, String> {
    let mut places = Vec::new();
    for row in records(GOVERNORATES_CSV)? {
        places.push(Place {
            code: field(&row, "code").to_owned(),
            kind: PlaceKind::Governorate,
            locality_kind: None,
            name_ar: field(&row, "name_ar").to_owned(),
            name_en: field(&row, "name_en").to_owned(),
            parent: None,
            aliases: list(field(&row, "aliases")).collect(),
            lat: None,
            lon: None,
            geonameid: None,
        });
    }
    for row in records(LOCALITIES_CSV)? {
        let code = field(&row, "code");
        let kind = LocalityKind::parse(field(&row, "kind")).ok_or_else(|| format!("{code}: unknown kind"))?;
        let num = |name: &str| -> Result<Option<f64>, String> {
            let v = field(&row, name);
            if v.is_empty() { Ok(None) } else { v.parse().map(Some).map_err(|_| format!("{code}: bad {name}")) }
        };
        let geonameid = match field(&row, "geonameid") {
            "" => None,
            v => Some(v.parse().map_err(|_| format!("{code}: bad geonameid"))?),
        };
        let name_en = field(&row, "name_en").to_owned();
        let name_ar = field(&row, "name_ar").to_owned();
        let mut aliases: Vec<String> = Vec::new();
        let extra = list(field(&row, "aliases"))
            .chain(list(field(&row, "geonames_name")))
            .chain(list(field(&row, "ar_variants")));
        for a in extra {
            if a != name_en && a != name_ar && !aliases.contains(&a) {
                aliases.push(a);
            }
        }
        places.push(Place {
            code: code.to_owned(),
            kind: PlaceKind::Locality,
            locality_kind: Some(kind),
            name_ar,
            name_en,
            parent: Some(field(&row, "parent").to_owned()),
            aliases,
            lat: num("lat")?,
            lon: num("lon")?,
            geonameid,
        });
    }
    Ok(places)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes() {
        let rows = parse_csv("a,b\n\"x, y\",\"say \"\"hi\"\"\"\nlast,row");
        assert_eq!(rows, vec![vec!["a", "b"], vec!["x, y", "say \"hi\""], vec!["last", "row"]]);
    }

    #[test]
    fn embedded_files_parse() {
        let places = builtin_places().expect("embedded data parses");
        assert_eq!(places.iter().filter(|p| p.kind == PlaceKind::Governorate).count(), 16);
        assert!(places.len() > 350);
    }
}
