//! The words of the contract (aid types, roles, bands, decisions…) and the answer intake gives
//! about a record: its flags and their evidence.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A closed set of words of the contract: each variant's wire form is `$text` (serde reads and
/// writes it; `rename_all` on the enum makes the OpenAPI schema say the same, since the schema
/// derive cannot read a rename made inside a macro). A test checks the two agree.
macro_rules! string_enum {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $variant:ident => $text:literal),+ $(,)? }) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
        $(#[$m])*
        pub enum $name {
            $($(#[$vm])* #[serde(rename = $text)] $variant),+
        }

        impl $name {
            /// Every value, in order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The wire and storage form.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            /// Reads the wire and storage form.
            pub fn parse(s: &str) -> Option<Self> {
                match s { $($text => Some($name::$variant),)+ _ => None }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

string_enum! {
    /// The kind of aid.
    #[serde(rename_all = "snake_case")]
    AidType {
        /// Cash transfer.
        Cash => "cash",
        /// Food parcels or rations.
        Food => "food",
        /// Vouchers.
        Voucher => "voucher",
        /// Goods in kind.
        InKind => "in_kind",
        /// Shelter.
        Shelter => "shelter",
        /// Health.
        Health => "health",
        /// Education.
        Education => "education",
        /// Psychosocial support.
        Psychosocial => "psychosocial",
        /// Livelihood support.
        Livelihood => "livelihood",
        /// Anything else.
        Other => "other",
    }
}

string_enum! {
    /// A vulnerable group (API.md, "Vulnerable groups"). The first four are posted on a member;
    /// `elderly` (60 or more at the period's start) and `female_headed` (the head is F) are
    /// derived by the gateway and refused when posted. `child_protection` and
    /// `women_protection` mark protection cases.
    #[serde(rename_all = "snake_case")]
    Group {
        /// A person with a disability.
        Disability => "disability",
        /// A person with a chronic illness.
        ChronicIllness => "chronic_illness",
        /// A child protection case.
        ChildProtection => "child_protection",
        /// A woman who suffers violence (protection case).
        WomenProtection => "women_protection",
        /// Derived: 60 or more at the period's start.
        Elderly => "elderly",
        /// Derived: the household's head is F.
        FemaleHeaded => "female_headed",
    }
}

impl Group {
    /// Whether an agency may post it on a member (the derived ones it may not).
    pub fn is_posted(self) -> bool {
        !matches!(self, Group::Elderly | Group::FemaleHeaded)
    }

    /// Whether it marks a protection case, shown on a person only to who may see it.
    pub fn is_protection(self) -> bool {
        matches!(self, Group::ChildProtection | Group::WomenProtection)
    }
}

string_enum! {
    /// What kind of organisation (API.md, "The directory").
    #[serde(rename_all = "snake_case")]
    OrgKind {
        /// A ministry.
        Ministry => "ministry",
        /// A ministry's directorate.
        Directorate => "directorate",
        /// A UN agency.
        UnAgency => "un_agency",
        /// An international NGO.
        InternationalNgo => "international_ngo",
        /// A local NGO.
        LocalNgo => "local_ngo",
        /// A community-based organisation.
        CommunityBased => "community_based",
        /// A municipality.
        Municipality => "municipality",
        /// A private company.
        Private => "private",
    }
}

string_enum! {
    /// A directory service's status.
    #[serde(rename_all = "snake_case")]
    ServiceStatus {
        /// Serving.
        Active => "active",
        /// Paused for now.
        Paused => "paused",
        /// Closed (kept in history).
        Closed => "closed",
    }
}

string_enum! {
    /// A coverage row's status (API.md, "Needs and coverage").
    #[serde(rename_all = "snake_case")]
    CoverageStatus {
        /// Need, and no agency reached anyone.
        NoService => "no_service",
        /// Reached fewer than targeted (or than in need, with no target).
        Under => "under",
        /// Reached at least the target.
        Met => "met",
        /// A share of the households reached by two or more agencies for the sector, at or above
        /// the configured threshold.
        DoubleServed => "double_served",
    }
}

string_enum! {
    /// A member's place in the household.
    #[serde(rename_all = "snake_case")]
    MemberRole {
        /// Head of household.
        Head => "head",
        /// Spouse of the head.
        Spouse => "spouse",
        /// Child.
        Child => "child",
        /// Anyone else.
        Other => "other",
    }
}

string_enum! {
    /// Sex as recorded.
    Sex {
        /// Male.
        M => "M",
        /// Female.
        F => "F",
    }
}

string_enum! {
    /// What a flag says.
    #[serde(rename_all = "snake_case")]
    FlagKind {
        /// Another agency's record for the same household with conflicting aid in an overlapping period.
        OverlappingAid => "overlapping_aid",
        /// The same agency's own record of the same household, conflicting and overlapping.
        DuplicateRecord => "duplicate_record",
        /// A household that may be this one; for review.
        PossibleSameHousehold => "possible_same_household",
    }
}

string_enum! {
    /// How sure the match is.
    #[serde(rename_all = "snake_case")]
    Band {
        /// Certain.
        Certain => "certain",
        /// Probable.
        Probable => "probable",
        /// Possible: for review.
        Possible => "possible",
    }
}

string_enum! {
    /// Where a flag's review stands.
    #[serde(rename_all = "snake_case")]
    FlagStatus {
        /// Not reviewed yet.
        Open => "open",
        /// A reviewer confirmed it.
        Confirmed => "confirmed",
        /// A reviewer dismissed it.
        Dismissed => "dismissed",
        /// A correction of its record (or a split of its household) no longer supports it.
        Superseded => "superseded",
        /// Its record (or the record it names) was withdrawn by the agency that posted it.
        Withdrawn => "withdrawn",
    }
}

string_enum! {
    /// The verdict on a record.
    #[serde(rename_all = "snake_case")]
    Decision {
        /// A certain or probable aid overlap.
        Duplicate => "duplicate",
        /// Only possible flags.
        PossibleDuplicate => "possible_duplicate",
        /// No flags.
        Unique => "unique",
    }
}

string_enum! {
    /// Whether a place is a governorate or a locality within one.
    #[serde(rename_all = "snake_case")]
    PlaceKind {
        /// One of the 16 governorates (ISO 3166-2 subdivisions of PS).
        Governorate => "governorate",
        /// A city, town, village, camp or area inside a governorate.
        Locality => "locality",
    }
}

string_enum! {
    /// What kind of locality a place is.
    #[serde(rename_all = "snake_case")]
    LocalityKind {
        /// A city.
        City => "city",
        /// A town.
        Town => "town",
        /// A village.
        Village => "village",
        /// A refugee camp.
        Camp => "camp",
        /// Not known, or none of the above (an area, a neighbourhood).
        Unknown => "unknown",
    }
}

string_enum! {
    /// What a key or a user may do: the role, as `POST /v1/agencies`, `/v1/keys` and
    /// `/v1/users` take it.
    #[serde(rename_all = "snake_case")]
    AccessRole {
        /// Everything, for every agency.
        Admin => "admin",
        /// Posts its agency's records.
        Submitter => "submitter",
        /// Searches, views and reviews households in its scope.
        Caseworker => "caseworker",
        /// Reads reports and the audit log.
        Auditor => "auditor",
        /// The planning side: needs, coverage, the directory; no names.
        Coordinator => "coordinator",
    }
}

string_enum! {
    /// The form of a listing: JSON pages, or every row as CSV.
    #[serde(rename_all = "snake_case")]
    TableFormat {
        /// JSON (the default).
        Json => "json",
        /// CSV, written as it is read.
        Csv => "csv",
    }
}

string_enum! {
    /// The form of the who-does-what-where table.
    #[serde(rename_all = "snake_case")]
    ThreeWFormat {
        /// JSON (the default).
        Json => "json",
        /// CSV.
        Csv => "csv",
        /// CSV with the HXL hashtag row under the headers.
        Hxl => "hxl",
    }
}

string_enum! {
    /// Which review status an overlap report keeps.
    #[serde(rename_all = "snake_case")]
    ReportStatus {
        /// Not reviewed yet.
        Open => "open",
        /// Confirmed by a reviewer.
        Confirmed => "confirmed",
        /// Dismissed by a reviewer.
        Dismissed => "dismissed",
        /// Every status.
        All => "all",
    }
}

/// One line of a flag's explanation.
///
/// The stored side (`theirs`) is personal data of whoever posted that person: a viewer who may
/// not see it (a submitter, for another agency's person) gets it as `null`, and learns only
/// which agency's person it was, in what role, and how alike the field was
/// (the gateway's service redacts it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct EvidenceItem {
    /// What was compared, e.g. `members[0].name.family`.
    pub field: String,
    /// The incoming value (normalised where that is what was compared).
    pub ours: String,
    /// The stored value it was compared with; `null` when the viewer may not see it.
    pub theirs: Option<String>,
    /// The agency whose record holds the stored person (absent in evidence stored before it was kept).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub theirs_agency: Option<String>,
    /// The stored person's role in that record.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub theirs_role: Option<MemberRole>,
    /// The agreement level, e.g. `exact`, `one_typo`, `missing`.
    pub level: String,
    /// How alike, in [0, 1].
    pub similarity: f64,
    /// The Fellegi–Sunter weight log2(m/u) this level added.
    pub weight: f64,
}

/// The period two records share.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Overlap {
    /// The other record's aid type.
    #[serde(rename = "type")]
    pub aid_type: AidType,
    /// First shared day.
    pub from: String,
    /// Last shared day.
    pub to: String,
}

/// One flag in an answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct FlagOut {
    /// Absent in a check, which stores nothing.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub flag_id: Option<String>,
    pub kind: FlagKind,
    pub band: Band,
    /// Match probability in [0, 1].
    pub score: f64,
    pub matched_household_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub matched_record_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub matched_agency: Option<String>,
    /// For an aid overlap: how many of `matched_agency`'s records of that household this
    /// record overlaps. One flag stands for them all and names the most recent as
    /// `matched_record_id`, so flags grow with records, not with pairs of records.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub matched_records: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub overlap: Option<Overlap>,
    /// Why: field by field.
    pub evidence: Vec<EvidenceItem>,
}

/// The answer to a record posted or checked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Answer {
    /// Absent in a check.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub record_id: Option<String>,
    /// The resolved household; in a check, absent when the household is not known.
    pub household_id: Option<String>,
    pub decision: Decision,
    pub flags: Vec<FlagOut>,
    /// The ISO 3166-2 code of the governorate `location` resolves to (written, or implied by the
    /// locality); `null` when it names no known governorate (the text is kept as written).
    #[serde(default)]
    pub governorate_code: Option<String>,
    /// The code of the locality `location.locality` resolves to; `null` when unresolved.
    #[serde(default)]
    pub locality_code: Option<String>,
}

impl Decision {
    /// The verdict API.md defines from a record's flags.
    pub fn from_flags(flags: &[FlagOut]) -> Decision {
        let aid_overlap_sure = flags.iter().any(|f| {
            matches!(f.kind, FlagKind::OverlappingAid | FlagKind::DuplicateRecord)
                && matches!(f.band, Band::Certain | Band::Probable)
        });
        if aid_overlap_sure {
            Decision::Duplicate
        } else if flags.is_empty() {
            Decision::Unique
        } else {
            Decision::PossibleDuplicate
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use utoipa::PartialSchema;

    /// The OpenAPI schema of each enum lists exactly its wire words.
    #[test]
    fn schemas_list_the_wire_words() {
        fn check<T: PartialSchema + Serialize>(all: &[T]) {
            let schema = serde_json::to_value(T::schema()).expect("schema");
            let listed: Vec<String> = schema["enum"]
                .as_array()
                .expect("an enum schema")
                .iter()
                .map(|v| v.as_str().expect("a word").to_owned())
                .collect();
            let wire: Vec<String> = all
                .iter()
                .map(|v| serde_json::to_value(v).expect("wire").as_str().expect("a word").to_owned())
                .collect();
            assert_eq!(listed, wire);
        }
        check(AidType::ALL);
        check(MemberRole::ALL);
        check(Sex::ALL);
        check(FlagKind::ALL);
        check(Band::ALL);
        check(Decision::ALL);
        check(FlagStatus::ALL);
        check(PlaceKind::ALL);
        check(LocalityKind::ALL);
        check(Group::ALL);
        check(OrgKind::ALL);
        check(ServiceStatus::ALL);
        check(CoverageStatus::ALL);
        check(AccessRole::ALL);
        check(TableFormat::ALL);
        check(ThreeWFormat::ALL);
        check(ReportStatus::ALL);
    }
}
