//! A flag as the pages show it, on the household page and in the review queue: what it says,
//! its evidence in sentences and, for a reviewer, the form to confirm or dismiss it.

use bawaba_wire::records::StoredFlag;
use maud::{Markup, html};

use super::layout::{self, ltr, short};
use super::words::{self, Lang};

/// The confirm/dismiss form of one flag.
pub fn form(l: Lang, csrf: &str, flag_id: &str, back: &str) -> Markup {
    let note_id = format!("note-{flag_id}");
    html! {
        form.review method="post" action={ "/ui/review/" (flag_id) } {
            input type="hidden" name="csrf" value=(csrf);
            input type="hidden" name="back" value=(back);
            label for=(note_id) { (l.t("ملاحظة (لماذا؟)", "Note (why?)")) }
            textarea id=(note_id) name="note" maxlength="2000" {}
            div.actions {
                button type="submit" name="decision" value="confirm" { (l.t("تأكيد التنبيه", "Confirm the flag")) }
                button.secondary type="submit" name="decision" value="dismiss" { (l.t("رفض التنبيه", "Dismiss the flag")) }
            }
        }
    }
}

/// A flag with what it says, its evidence and, when `review` gives the session's CSRF token and
/// the page to come back to, the form to confirm or dismiss it.
pub fn flag_card(l: Lang, f: &StoredFlag, review: Option<(&str, &str)>, open_evidence: bool) -> Markup {
    let overlap = f.overlap.as_ref();
    let get = |k: &str| overlap.and_then(|o| o.get(k)).and_then(|v| v.as_str()).unwrap_or("");
    html! {
        article.card.flag id={ "flag-" (f.flag_id) } {
            header.row {
                strong { (words::kind(l, &f.kind)) }
                (layout::score(l, f.score, &f.band))
                span.muted { (words::status(l, &f.status)) }
            }
            div.meta {
                @if overlap.is_some() {
                    span { (l.t("المساعدة المتداخلة", "Overlapping aid")) ": " (words::aid_type(l, get("type")))
                        " " (l.t("من", "from")) " " (ltr(get("from"))) " " (l.t("إلى", "to")) " " (ltr(get("to"))) }
                }
                span { (l.t("الأسرة", "Household")) ": " a href={ "/ui/households/" (f.household_id) } { (ltr(short(&f.household_id))) } }
                @if f.matched_household_id != f.household_id {
                    span { (l.t("الأسرة المطابقة", "Matched household")) ": " a href={ "/ui/households/" (f.matched_household_id) } { (ltr(short(&f.matched_household_id))) } }
                }
                span { (l.t("رُفع في", "Raised")) " " (ltr(f.created_at.get(..10).unwrap_or(&f.created_at))) }
                @if review.is_some() {
                    span { a.side href={ "/ui/flags/" (f.flag_id) } { (l.t("قارن جنباً إلى جنب", "Compare side by side")) } }
                }
            }
            (layout::evidence(l, &f.evidence, open_evidence))
            @if let Some((csrf, back)) = review && f.status == "open" {
                (form(l, csrf, &f.flag_id, back))
            }
        }
    }
}
