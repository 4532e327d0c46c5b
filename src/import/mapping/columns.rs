//! Which column feeds which field: the fields a column can feed, their English and Arabic header
//! aliases (folded by [`normalize_header`]), and `--map` rules over them.

use std::collections::HashMap;

use anyhow::bail;

use crate::import::table::{Cell, Row};

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

    pub(super) fn cell<'r>(&self, row: &'r Row, f: Field) -> &'r Cell {
        match self.columns.get(&f) {
            Some(&i) => row.cell(i),
            None => &Cell::Empty,
        }
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
    fn map_rules() {
        let r: MapRule = "Case No.=external_id".parse().expect("rule");
        assert_eq!(r.field, Some(Field::ExternalId));
        let r: MapRule = "Notes=-".parse().expect("rule");
        assert_eq!(r.field, None);
        assert!("Notes=colour".parse::<MapRule>().is_err());
    }
}
