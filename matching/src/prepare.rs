//! Preparing one member: normalised and parsed name, cross-script keys, parsed ID, date and phone.
//!
//! Name parts follow Arabic naming: first name, father's name, grandfather's name, family name.
//! Two parts are first + family; three are first + father + family (the grandfather is the part
//! most often dropped); four are first + father + grandfather + family; five and six add further
//! ancestors before the family name. Longer names keep their first five parts and the last.

use crate::normalize::{self, PartialDate};
use crate::phonetic::{self, NameTable};
use crate::{PersonInput, Role, Sex};

/// Most name parts kept.
pub(crate) const MAX_PARTS: usize = 6;

/// A part of an Arabic name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[non_exhaustive]
pub enum NamePart {
    /// The person's own name.
    First,
    /// The father's first name.
    Father,
    /// The paternal grandfather's first name.
    Grandfather,
    /// The family (clan) name.
    Family,
}

/// One prepared name token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PTok {
    /// Compact normalised bytes.
    pub code: Box<[u8]>,
    /// Consonant skeleton without the article.
    pub skel: u64,
    /// Consonant skeleton with the article.
    pub skel_full: u64,
    /// Name-table groups.
    pub groups: &'static [u32],
}

impl PTok {
    pub(crate) fn new(code: Vec<u8>) -> PTok {
        let (skel, skel_full) = phonetic::skeletons(&code);
        let groups = NameTable::get().groups(&code);
        PTok { code: code.into_boxed_slice(), skel, skel_full, groups }
    }
}

/// A member ready for matching: owned, cheap to clone, shareable across threads.
///
/// Keeps the original name for display; everything else is derived.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreparedPerson {
    pub(crate) original: String,
    pub(crate) role: Role,
    pub(crate) sex: Option<Sex>,
    /// Packed [`PartialDate`], 0 when absent.
    pub(crate) dob: u32,
    /// National ID as a number, 0 when absent.
    pub(crate) nid: u64,
    /// Canonical phone as a number, 0 when absent.
    pub(crate) phone: u64,
    pub(crate) parts: Vec<PTok>,
}

/// Prepares one member: normalises and parses the name, computes its cross-script keys, and
/// parses the national ID, date of birth and phone (values that do not parse count as absent).
///
/// ```
/// use bawaba_matching::{prepare, NamePart, PersonInput, Role};
/// let p = prepare(&PersonInput::new(Role::Head, "الحاج محمد أحمد عبد الله الشاعر").id("٤٠١٢٣٤٥٦٣"));
/// assert_eq!(p.original_name(), "الحاج محمد أحمد عبد الله الشاعر");
/// assert_eq!(p.part(NamePart::First).as_deref(), Some("محمد"));
/// assert_eq!(p.part(NamePart::Grandfather).as_deref(), Some("عبدالله"));
/// assert_eq!(p.part(NamePart::Family).as_deref(), Some("الشاعر"));
/// assert_eq!(p.national_id().as_deref(), Some("401234563"));
/// ```
pub fn prepare(input: &PersonInput<'_>) -> PreparedPerson {
    let mut toks = normalize::name_tokens(input.name);
    let n = toks.len();
    if family_first(&toks) {
        toks.rotate_left(1);
    }
    let mut parts: Vec<PTok> = Vec::with_capacity(n.min(MAX_PARTS));
    for (i, t) in toks.into_iter().enumerate() {
        if i < MAX_PARTS - 1 || i + 1 == n {
            parts.push(PTok::new(t.code));
        }
    }
    PreparedPerson {
        original: input.name.to_string(),
        role: input.role,
        sex: input.sex,
        dob: input.date_of_birth.and_then(normalize::date_of_birth).map_or(0, PartialDate::pack),
        nid: input.national_id.and_then(normalize::national_id_u64).unwrap_or(0),
        phone: input.phone.and_then(normalize::phone_u64).unwrap_or(0),
        parts,
    }
}

/// Whether a name of three parts or more is written family name first (lists sorted by
/// surname: `الشاعر محمد احمد`, `AL-SHAER Mohammed Ahmad`): its first part carries the article
/// and no other part does, and the first part is not a given name that begins like an article
/// (الاء, الهام, الياس; Alaa, Alia).
fn family_first(toks: &[normalize::Tok]) -> bool {
    use std::sync::OnceLock;
    static AR: OnceLock<(Vec<u8>, Vec<Vec<u8>>)> = OnceLock::new();
    let (art, given) = AR.get_or_init(|| {
        let given = ["الاء", "الهام", "الياس", "الفت", "الطاف", "الماس", "اليسار", "اليان", "الين"];
        (normalize::arc("ال"), given.iter().map(|g| normalize::arc(g)).collect())
    });
    const LAT_GIVEN: &[&[u8]] = &[b"aliaa", b"alyaa", b"alaaaldin", b"alaaldin", b"alaaeddin", b"alhamd"];
    let has_article = |c: &[u8]| {
        if c.first().is_some_and(|&b| normalize::is_ar(b)) {
            c.len() >= art.len() + 3 && c.starts_with(art) && !given.iter().any(|g| g.as_slice() == c)
        } else {
            c.len() >= 6 && c.starts_with(b"al") && !LAT_GIVEN.contains(&c)
        }
    };
    toks.len() >= 3 && has_article(&toks[0].code) && !toks[1..].iter().any(|t| has_article(&t.code))
}

/// Index of a name part among `n` parts.
pub(crate) fn part_index(part: NamePart, n: usize) -> Option<usize> {
    match part {
        NamePart::First => (n >= 1).then_some(0),
        NamePart::Family => (n >= 2).then(|| n - 1),
        NamePart::Father => (n >= 3).then_some(1),
        NamePart::Grandfather => (n >= 4).then_some(2),
    }
}

impl PreparedPerson {
    /// The name exactly as received.
    pub fn original_name(&self) -> &str {
        &self.original
    }
    /// The normalised name (see [`normalize::name`]).
    pub fn normalized_name(&self) -> String {
        let mut s = String::new();
        for (i, p) in self.parts.iter().enumerate() {
            if i > 0 {
                s.push(' ');
            }
            normalize::decode_into(&p.code, &mut s);
        }
        s
    }
    /// One part of the name, normalised, if the name has it.
    pub fn part(&self, part: NamePart) -> Option<String> {
        part_index(part, self.parts.len()).map(|i| normalize::decode(&self.parts[i].code))
    }
    /// Number of name parts kept (0–6).
    pub fn parts_count(&self) -> usize {
        self.parts.len()
    }
    /// Role.
    pub fn role(&self) -> Role {
        self.role
    }
    /// Sex.
    pub fn sex(&self) -> Option<Sex> {
        self.sex
    }
    /// Normalised national ID.
    pub fn national_id(&self) -> Option<String> {
        (self.nid != 0).then(|| format!("{:09}", self.nid))
    }
    /// Parsed date of birth.
    pub fn date_of_birth(&self) -> Option<PartialDate> {
        PartialDate::unpack(self.dob)
    }
    /// Canonical phone number.
    pub fn phone(&self) -> Option<String> {
        (self.phone != 0).then(|| self.phone.to_string())
    }
    /// Cross-script consonant skeletons of the name parts (`mhmd hmd xr`).
    pub fn skeleton(&self) -> String {
        let mut s = String::new();
        for (i, p) in self.parts.iter().enumerate() {
            if i > 0 {
                s.push(' ');
            }
            s.push_str(&phonetic::skeleton_string(p.skel));
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parsing() {
        let p = prepare(&PersonInput::new(Role::Head, "محمد احمد الشاعر"));
        assert_eq!(p.part(NamePart::Father).as_deref(), Some("احمد"));
        assert_eq!(p.part(NamePart::Grandfather), None);
        assert_eq!(p.part(NamePart::Family).as_deref(), Some("الشاعر"));
        let p = prepare(&PersonInput::new(Role::Head, "a b c d e f g h"));
        assert_eq!(p.parts_count(), 6);
        assert_eq!(p.part(NamePart::Family).as_deref(), Some("h"));
        let p = prepare(&PersonInput::new(Role::Child, "Mohammed Ahmad Al-Shaer").phone("0599123456"));
        assert_eq!(p.skeleton(), "mhmd hmd xr");
        assert_eq!(p.phone().as_deref(), Some("970599123456"));
    }
}
