//! Normalisation of names, national IDs, phone numbers and dates of birth.
//!
//! Policy: the original string is never changed (callers keep it for display); these functions
//! derive comparison forms from it. Folding that is safe for every pair of names (alef forms,
//! ى/ي, ة/ه, ؤ/و, ئ/ي, Persian letters, presentation forms, diacritics, tatweel, invisible
//! characters, digits, case and accents) is done here; confusions that are only *likely*
//! (س/ص, ت/ط, a prothetic alef, a dropped long vowel…) are left to the cost table in
//! [`crate::similarity`], never folded, so that two different names are never made equal.
//!
//! Name tokens are kept in a compact one-byte alphabet: ASCII `a`–`z` and `0`–`9` for Latin
//! script, and `0x80 + (c - U+0621)` for the folded Arabic letters U+0621–U+064A.

mod ids;
mod names;

pub use ids::{PartialDate, ascii_digits, date_of_birth, national_id, phone};
pub(crate) use ids::{national_id_u64, phone_u64};
pub use names::name;
pub(crate) use names::*;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arabic_folding() {
        assert_eq!(name("أحمد"), name("احمد"));
        assert_eq!(name("إبراهيم"), name("ابراهيم"));
        assert_eq!(name("آمنة"), "امنه");
        assert_eq!(name("فاطمة"), name("فاطمه"));
        assert_eq!(name("مصطفى"), name("مصطفي"));
        assert_eq!(name("مُحَمَّد"), "محمد");
        assert_eq!(name("محـــمد"), "محمد");
        assert_eq!(name("مؤمن"), "مومن");
        assert_eq!(name("هائل"), "هايل");
        assert_eq!(name("\u{200F}محمد\u{200B}"), "محمد");
        // Persian letters and presentation forms.
        assert_eq!(name("کریم"), "كريم");
        assert_eq!(name("\u{FEE3}\u{FEA4}\u{FEE4}\u{FEAA}"), "محمد");
        // Alef followed by a separately typed hamza mark.
        assert_eq!(name("ا\u{0654}حمد"), "احمد");
    }

    #[test]
    fn doubled_letters_and_extra_alef() {
        assert_eq!(name("محمدد"), "محمد");
        assert_eq!(name("اابراهيم"), name("إبراهيم"));
    }

    #[test]
    fn compounds() {
        assert_eq!(name("عبد الله"), name("عبدالله"));
        assert_eq!(name("عبد الرحمن"), "عبدالرحمن");
        assert_eq!(name("نور الدين"), "نورالدين");
        assert_eq!(name("محمد جاد الله"), "محمد جادالله");
        assert_eq!(name("ابو شمالة"), name("أبوشماله"));
        assert_eq!(name("فاطمة الزهراء"), "فاطمهالزهراء");
        assert_eq!(name("محمد بن سلمان بن عبد العزيز"), "محمد سلمان عبدالعزيز");
        assert_eq!(name("Abdel Rahman"), name("Abdul-Rahman"));
        assert_eq!(name("Abdurrahman"), name("Abd al-Rahman"));
        assert_eq!(name("Abdullah"), name("Abd Allah"));
        assert_eq!(name("Nour Eddin"), name("Nour al-Din"));
        assert_eq!(name("Noureddine"), "nouraldin");
        assert_eq!(name("Abu Shamala"), "abushamala");
    }

    #[test]
    fn titles() {
        assert_eq!(name("الحاج محمد"), "محمد");
        assert_eq!(name("الحاجة فاطمة علي"), "فاطمه علي");
        assert_eq!(name("د. محمد الشاعر"), "محمد الشاعر");
        assert_eq!(name("السيد الشيخ احمد"), "احمد");
        assert_eq!(name("الحاج"), "الحاج");
        assert_eq!(name("Dr. Mohammed"), "mohammed");
        assert_eq!(name("Al-Haj Mohammed Ali"), "mohammed ali");
        assert_eq!(name("Hajj Ahmad"), "ahmad");
    }

    #[test]
    fn kunya() {
        assert_eq!(name("ابو محمد احمد علي الشاعر"), "احمد علي الشاعر");
        assert_eq!(name("ابو بكر احمد الشاعر"), "ابوبكر احمد الشاعر");
        assert_eq!(name("محمد ابو شمالة"), "محمد ابوشماله");
    }

    #[test]
    fn latin() {
        assert_eq!(name("MOHAMMED  al-shaer"), "mohammed alshaer");
        assert_eq!(name("Mohammed El-Shaer"), name("Mohammed Al Shaer"));
        assert_eq!(name("Ash-Shaer"), "alshaer");
        assert_eq!(name("Sha'er"), "shaer");
        assert_eq!(name("Zoë Hélène"), "zoe helene");
        assert_eq!(name("Muḥammad"), "muhammad");
    }

    #[test]
    fn ids_phones_dates() {
        assert_eq!(national_id("401-234-563").as_deref(), Some("401234563"));
        assert_eq!(national_id("0000"), None);
        assert_eq!(national_id("12345678901234567"), None);
        assert_eq!(phone("+972599123456").as_deref(), Some("970599123456"));
        assert_eq!(phone("970-599-123456").as_deref(), Some("970599123456"));
        assert_eq!(phone("٠٥٩٩١٢٣٤٥٦").as_deref(), Some("970599123456"));
        assert_eq!(phone("0522123456").as_deref(), Some("972522123456"));
        assert_eq!(phone("08 2841234").as_deref(), Some("97082841234"));
        assert_eq!(phone("abc"), None);
        assert_eq!(date_of_birth("1980"), Some(PartialDate { year: 1980, month: None, day: None }));
        assert_eq!(date_of_birth("1980-13"), None);
        assert_eq!(date_of_birth("1980-1-01"), None);
        assert_eq!(date_of_birth("1900-02-29"), None);
        assert_eq!(date_of_birth("١٩٨٠-٠٥-٠١").map(|d| d.day), Some(Some(1)));
        let d = date_of_birth("1980-05-01");
        assert_eq!(d.and_then(|d| PartialDate::unpack(d.pack())), d);
    }
}
