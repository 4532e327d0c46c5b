//! Bar charts as server-rendered SVG: no script, no library. Coordinates are laid out for the
//! page's direction (labels at the start side, bars growing toward the end side; months run
//! from the start side), so an Arabic page reads right to left.

use maud::{Markup, html};

use super::words::{self, Lang};

/// One bar.
pub struct Bar {
    pub label: String,
    pub value: u64,
}

const W: f64 = 600.0;

/// Horizontal bars, one row each (agency pairs).
pub fn horizontal(l: Lang, title: &str, bars: &[Bar]) -> Markup {
    let row = 32.0;
    let label_w = 190.0;
    let value_w = 60.0;
    let h = (bars.len().max(1) as f64) * row + 8.0;
    let max = bars.iter().map(|b| b.value).max().unwrap_or(0).max(1) as f64;
    let span = W - label_w - value_w - 10.0;
    let rtl = l == Lang::Ar;
    html! {
        svg viewBox={ "0 0 " (W) " " (h) } role="img" aria-label=(title) direction="ltr" {
            title { (title) }
            @for (i, b) in bars.iter().enumerate() {
                @let y = 4.0 + i as f64 * row;
                @let len = (b.value as f64 / max * span).max(1.0);
                @let (label_x, anchor, bar_x, value_x, value_anchor) = if rtl {
                    (W - 4.0, "end", W - label_w - len, W - label_w - len - 6.0, "end")
                } else {
                    (4.0, "start", label_w, label_w + len + 6.0, "start")
                };
                text x=(label_x) y=(y + row * 0.62) text-anchor=(anchor) { (clip(&b.label, 22)) }
                rect.bar x=(bar_x) y=(y + 4.0) width=(len) height=(row - 8.0) rx="2" {}
                text x=(value_x) y=(y + row * 0.62) text-anchor=(value_anchor) { (words::int(b.value as i64)) }
            }
        }
    }
}

/// Vertical bars in order (months).
pub fn vertical(l: Lang, title: &str, bars: &[Bar]) -> Markup {
    let h = 240.0;
    let top = 20.0;
    let bottom = 40.0;
    let side = 40.0;
    let n = bars.len().max(1);
    let slot = (W - 2.0 * side) / n as f64;
    let bar_w = (slot * 0.7).max(2.0);
    let max = bars.iter().map(|b| b.value).max().unwrap_or(0).max(1) as f64;
    let span = h - top - bottom;
    let every = n.div_ceil(8);
    let rtl = l == Lang::Ar;
    html! {
        svg viewBox={ "0 0 " (W) " " (h) } role="img" aria-label=(title) direction="ltr" {
            title { (title) }
            line.axis x1=(side) y1=(h - bottom) x2=(W - side) y2=(h - bottom) {}
            @if n > 12 {
                text x=(if rtl { W - 4.0 } else { 4.0 }) y=(top - 4.0) text-anchor=(if rtl { "end" } else { "start" }) {
                    (words::int(max as i64))
                }
            }
            @for (i, b) in bars.iter().enumerate() {
                @let pos = if rtl { n - 1 - i } else { i };
                @let cx = side + slot * (pos as f64 + 0.5);
                @let len = (b.value as f64 / max * span).max(1.0);
                rect.bar x=(cx - bar_w / 2.0) y=(h - bottom - len) width=(bar_w) height=(len) rx="1" {
                    title { (b.label) ": " (words::int(b.value as i64)) }
                }
                @if n <= 12 {
                    text x=(cx) y=(h - bottom - len - 4.0) text-anchor="middle" { (words::int(b.value as i64)) }
                }
                @if i % every == 0 {
                    text x=(cx) y=(h - bottom + 20.0) text-anchor="middle" { (b.label) }
                }
            }
        }
    }
}

fn clip(s: &str, n: usize) -> String {
    if s.chars().count() <= n { s.to_owned() } else { s.chars().take(n - 1).chain(['…']).collect() }
}
