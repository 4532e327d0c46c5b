//! Words: the two languages of the pages, and the gateway's codes (bands, kinds, aid types,
//! evidence levels) put into sentences a caseworker reads without a manual. Arabic comes first
//! and is the default; every label exists in both.

use crate::service::domain::EvidenceItem;

/// The page language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    /// Arabic, right to left (the default).
    Ar,
    /// English.
    En,
}

impl Lang {
    /// Reads `ar` or `en`.
    pub fn parse(s: &str) -> Option<Lang> {
        match s {
            "ar" => Some(Lang::Ar),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// The `lang` attribute.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Ar => "ar",
            Lang::En => "en",
        }
    }

    /// The `dir` attribute.
    pub fn dir(self) -> &'static str {
        match self {
            Lang::Ar => "rtl",
            Lang::En => "ltr",
        }
    }

    /// The other language.
    pub fn other(self) -> Lang {
        match self {
            Lang::Ar => Lang::En,
            Lang::En => Lang::Ar,
        }
    }

    /// Picks the text of this language.
    pub fn t<'a>(self, ar: &'a str, en: &'a str) -> &'a str {
        match self {
            Lang::Ar => ar,
            Lang::En => en,
        }
    }
}

/// A whole number with thousands separators (Western digits, read alike in both languages).
pub fn int(n: impl Into<i128>) -> String {
    let n: i128 = n.into();
    let digits = n.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if n < 0 {
        out.push('-');
    }
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// An amount with two decimals and thousands separators.
pub fn amount(v: f64) -> String {
    let cents = (v * 100.0).round() as i128;
    format!("{}.{:02}", int(cents / 100), (cents % 100).abs())
}

/// A probability as a whole percentage.
pub fn percent(score: f64) -> String {
    format!("{}%", (score * 100.0).round() as i64)
}

/// A band in words.
pub fn band(l: Lang, b: &str) -> &'static str {
    match b {
        "certain" => l.t("مؤكد", "certain"),
        "probable" => l.t("مرجّح", "probable"),
        "possible" => l.t("محتمل", "possible"),
        _ => l.t("غير معروف", "unknown"),
    }
}

/// A flag kind in words.
pub fn kind(l: Lang, k: &str) -> &'static str {
    match k {
        "overlapping_aid" => l.t("مساعدة متداخلة من جهة أخرى", "Overlapping aid from another agency"),
        "duplicate_record" => l.t("تسجيل مكرر لدى الجهة نفسها", "Recorded twice by the same agency"),
        "possible_same_household" => l.t("قد تكون الأسرة نفسها", "May be the same household"),
        _ => l.t("تنبيه", "Flag"),
    }
}

/// A review status in words.
pub fn status(l: Lang, s: &str) -> &'static str {
    match s {
        "open" => l.t("بانتظار المراجعة", "awaiting review"),
        "confirmed" => l.t("مؤكَّد", "confirmed"),
        "dismissed" => l.t("مرفوض", "dismissed"),
        "superseded" => l.t("تجاوزه تصحيح", "superseded"),
        "withdrawn" => l.t("سُحب السجل", "withdrawn"),
        _ => l.t("غير معروف", "unknown"),
    }
}

/// An aid type in words.
pub fn aid_type(l: Lang, t: &str) -> &'static str {
    match t {
        "cash" => l.t("نقدية", "cash"),
        "food" => l.t("غذائية", "food"),
        "voucher" => l.t("قسائم", "vouchers"),
        "in_kind" => l.t("عينية", "in kind"),
        "shelter" => l.t("مأوى", "shelter"),
        "health" => l.t("صحية", "health"),
        "education" => l.t("تعليم", "education"),
        "psychosocial" => l.t("دعم نفسي اجتماعي", "psychosocial"),
        "livelihood" => l.t("سبل العيش", "livelihood"),
        _ => l.t("أخرى", "other"),
    }
}

/// A vulnerable group in words.
pub fn group(l: Lang, g: &str) -> &'static str {
    match g {
        "disability" => l.t("ذوو الإعاقة", "disability"),
        "chronic_illness" => l.t("أمراض مزمنة", "chronic illness"),
        "child_protection" => l.t("حماية الطفل", "child protection"),
        "women_protection" => l.t("حماية المرأة", "women's protection"),
        "elderly" => l.t("كبار السن", "elderly"),
        "female_headed" => l.t("أسر تعيلها نساء", "female-headed"),
        _ => l.t("كل الأسر", "all households"),
    }
}

/// A coverage status in words.
pub fn coverage_status(l: Lang, s: &str) -> &'static str {
    match s {
        "no_service" => l.t("احتياج بلا خدمة", "need, no service"),
        "under" => l.t("دون الهدف", "under target"),
        "met" => l.t("تحقق الهدف", "target met"),
        "double_served" => l.t("خدمة مزدوجة", "double-served"),
        _ => "—",
    }
}

/// An organisation's kind in words.
pub fn org_kind(l: Lang, k: &str) -> &'static str {
    match k {
        "ministry" => l.t("وزارة", "ministry"),
        "directorate" => l.t("مديرية", "directorate"),
        "un_agency" => l.t("وكالة أممية", "UN agency"),
        "international_ngo" => l.t("منظمة دولية", "international NGO"),
        "local_ngo" => l.t("جمعية محلية", "local NGO"),
        "community_based" => l.t("مؤسسة مجتمعية", "community-based"),
        "municipality" => l.t("بلدية", "municipality"),
        "private" => l.t("قطاع خاص", "private"),
        _ => "—",
    }
}

/// A directory service's status in words.
pub fn service_status(l: Lang, s: &str) -> &'static str {
    match s {
        "active" => l.t("فعّالة", "active"),
        "paused" => l.t("متوقفة مؤقتاً", "paused"),
        "closed" => l.t("مغلقة", "closed"),
        _ => "—",
    }
}

/// A member's role in words.
pub fn member_role(l: Lang, r: &str) -> &'static str {
    match r {
        "head" => l.t("رب الأسرة", "head"),
        "spouse" => l.t("الزوج/الزوجة", "spouse"),
        "child" => l.t("ابن/ابنة", "child"),
        _ => l.t("فرد آخر", "other"),
    }
}

/// Sex in words.
pub fn sex(l: Lang, s: &str) -> &'static str {
    match s {
        "M" => l.t("ذكر", "male"),
        "F" => l.t("أنثى", "female"),
        _ => "",
    }
}

/// A role of a key in words.
pub fn key_role(l: Lang, r: &str) -> &'static str {
    match r {
        "admin" => l.t("مشرف النظام", "administrator"),
        "submitter" => l.t("نظام جهة", "agency system"),
        "caseworker" => l.t("باحث اجتماعي", "caseworker"),
        "auditor" => l.t("مدقق", "auditor"),
        "coordinator" => l.t("منسق التخطيط", "planning coordinator"),
        _ => "",
    }
}

/// One evidence item as a sentence, split so the page can set the values apart.
#[derive(Debug, Clone, PartialEq)]
pub struct Sentence {
    /// What was compared, e.g. "Family name" (with the member, when there are several).
    pub what: String,
    /// The verdict, e.g. "same", "one digit differs".
    pub verdict: &'static str,
    /// The two values as the comparison saw them (either may be empty).
    pub ours: String,
    pub theirs: String,
    /// `=` when they agree, `≠` when not, `/` otherwise.
    pub relation: &'static str,
    /// How much this weighed, in words.
    pub strength: &'static str,
    /// For colouring: +1 for, -1 against, 0 neutral.
    pub sign: i8,
}

pub fn field_label(l: Lang, f: &str) -> &'static str {
    match f {
        "name" => l.t("الاسم", "Name"),
        "name.first" => l.t("الاسم الأول", "First name"),
        "name.father" => l.t("اسم الأب", "Father's name"),
        "name.grandfather" => l.t("اسم الجد", "Grandfather's name"),
        "name.family" => l.t("اسم العائلة", "Family name"),
        "national_id" => l.t("رقم الهوية", "National ID"),
        "date_of_birth" => l.t("تاريخ الميلاد", "Date of birth"),
        "phone" => l.t("رقم الهاتف", "Phone"),
        "sex" => l.t("الجنس", "Sex"),
        "role" => l.t("الصفة في الأسرة", "Place in household"),
        "review" => l.t("المراجعة", "Review"),
        _ => l.t("معلومة أخرى", "Other detail"),
    }
}

pub fn verdict(l: Lang, field: &str, level: &str) -> (&'static str, &'static str) {
    let digits = matches!(field, "national_id" | "phone");
    match level {
        "exact" | "agree" | "same" => (l.t("متطابق", "same"), "="),
        "compatible" => (l.t("متوافق (مثل رب الأسرة وزوجه)", "compatible (like head and spouse)"), "≈"),
        "transliteration" => (l.t("الاسم نفسه مكتوباً بحروف أخرى", "the same name in the other script"), "="),
        "spelling_variant" => (l.t("الاسم نفسه بتهجئة مختلفة", "the same name, spelled differently"), "≈"),
        "similar" => (l.t("متشابه", "similar"), "≈"),
        "one_typo" if digits => (l.t("يختلف في رقم واحد", "one digit differs"), "≈"),
        "one_typo" => (l.t("يختلف في حرف واحد", "one letter differs"), "≈"),
        "different" | "disagree" => (l.t("مختلف", "different"), "≠"),
        "missing" => (l.t("غير مسجل لدى أحد الطرفين", "missing on one side"), "/"),
        "last7" => (l.t("آخر سبعة أرقام متطابقة", "the last seven digits are the same"), "≈"),
        "year_month" => (l.t("السنة والشهر متطابقان", "same year and month"), "≈"),
        "year" => (l.t("السنة نفسها فقط", "same year only"), "≈"),
        "day_month_swapped" => (l.t("اليوم والشهر متبادلان", "day and month swapped"), "≈"),
        "partial" => (l.t("متطابق جزئياً", "partly the same"), "≈"),
        "year_off_by_one" => (l.t("بفارق سنة واحدة", "one year apart"), "≈"),
        "common_with_birth_year" => (
            l.t(
                "اسم كامل شائع مع سنة الميلاد نفسها: يدل على القليل",
                "a full name common with this birth year: says little",
            ),
            "≈",
        ),
        "confirmed_same_household" => {
            (l.t("أكد مراجع أنهما أسرة واحدة", "a reviewer confirmed they are one household"), "=")
        }
        _ => (l.t("قورن", "compared"), "/"),
    }
}

fn strength(l: Lang, weight: f64, level: &str) -> (&'static str, i8) {
    if level == "missing" || weight.abs() < 0.05 {
        return (l.t("لا يؤثر", "does not count"), 0);
    }
    match weight {
        w if w >= 4.0 => (l.t("يرجّح التطابق بقوة", "counts strongly for a match"), 1),
        w if w > 0.0 => (l.t("يرجّح التطابق قليلاً", "counts a little for a match"), 1),
        w if w <= -4.0 => (l.t("يرجّح الاختلاف بقوة", "counts strongly against"), -1),
        _ => (l.t("يرجّح الاختلاف قليلاً", "counts a little against"), -1),
    }
}

/// Splits `members[2].name.family` or `query.phone` into (member index, field).
pub fn split_field(field: &str) -> (Option<usize>, &str) {
    if let Some(rest) = field.strip_prefix("query.") {
        return (None, rest);
    }
    if let Some(rest) = field.strip_prefix("members[")
        && let Some((n, f)) = rest.split_once("].")
    {
        return (n.parse().ok(), f);
    }
    (None, field)
}

/// The evidence of a match as sentences, in order.
pub fn sentences(l: Lang, items: &[EvidenceItem]) -> Vec<Sentence> {
    let several = {
        let mut idx = items.iter().filter_map(|e| split_field(&e.field).0);
        let first = idx.next();
        idx.any(|i| Some(i) != first)
    };
    items
        .iter()
        .map(|e| {
            let (member, field) = split_field(&e.field);
            let label = field_label(l, field);
            let what = match member {
                Some(i) if several => format!("{label} ({} {})", l.t("الفرد", "member"), i + 1),
                _ => label.to_owned(),
            };
            let (verdict, relation) = verdict(l, field, &e.level);
            let (strength, sign) = strength(l, e.weight, &e.level);
            let value = |v: &str| match field {
                _ if v.is_empty() => String::new(),
                "sex" => sex(l, v).to_owned(),
                "role" => member_role(l, v).to_owned(),
                _ => v.to_owned(),
            };
            let theirs = match &e.theirs {
                Some(v) => value(v),
                None => {
                    let whose = e.theirs_agency.as_deref().unwrap_or("—");
                    format!("{} {whose}", l.t("محجوب: لدى", "hidden: held by"))
                }
            };
            Sentence { what, verdict, ours: value(&e.ours), theirs, relation, strength, sign }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(field: &str, ours: &str, theirs: &str, level: &str, weight: f64) -> EvidenceItem {
        EvidenceItem {
            field: field.into(),
            ours: ours.into(),
            theirs: Some(theirs.into()),
            theirs_agency: None,
            theirs_role: None,
            level: level.into(),
            similarity: 1.0,
            weight,
        }
    }

    #[test]
    fn evidence_reads_as_sentences() {
        let items = [
            item("members[0].name.family", "الشاعر", "الشاعر", "exact", 6.2),
            item("members[0].national_id", "401234563", "401234568", "one_typo", 3.0),
            item("members[0].date_of_birth", "1980-05-01", "", "missing", 0.0),
        ];
        let en = sentences(Lang::En, &items);
        assert_eq!(en[0].what, "Family name");
        assert_eq!(en[0].verdict, "same");
        assert_eq!(en[0].relation, "=");
        assert_eq!(en[0].strength, "counts strongly for a match");
        assert_eq!(en[1].verdict, "one digit differs");
        assert_eq!(en[2].verdict, "missing on one side");
        assert_eq!(en[2].sign, 0);
        let ar = sentences(Lang::Ar, &items);
        assert_eq!(ar[0].what, "اسم العائلة");
        assert_eq!(ar[1].verdict, "يختلف في رقم واحد");
        let two =
            [item("members[0].name", "a", "a", "exact", 1.0), item("members[1].name", "b", "c", "different", -2.0)];
        assert_eq!(sentences(Lang::En, &two)[1].what, "Name (member 2)");
        assert_eq!(sentences(Lang::En, &two)[1].sign, -1);
    }

    #[test]
    fn numbers_read_well() {
        assert_eq!(int(1_234_567i64), "1,234,567");
        assert_eq!(int(999i64), "999");
        assert_eq!(int(-1000i64), "-1,000");
        assert_eq!(amount(1234.5), "1,234.50");
        assert_eq!(percent(0.974), "97%");
    }
}
