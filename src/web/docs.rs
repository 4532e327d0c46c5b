//! `/docs`: the API reference, rendered in the browser from `/openapi.json` by a small script
//! served from here. Nothing is loaded from anywhere else, so it works with no network.

use actix_web::HttpResponse;
use maud::html;

use super::Ctx;
use super::layout::{self, Nav};

const SCRIPT: &str = include_str!("assets/docs.js");

/// `GET /docs`.
pub async fn page(ctx: Ctx) -> HttpResponse {
    let l = ctx.lang;
    let body = html! {
        h1 { (l.t("توثيق واجهة البرمجة", "API documentation")) }
        p.muted {
            (l.t("مولَّد من", "Generated from")) " " a href="/openapi.json" { (layout::ltr("/openapi.json")) }
            (l.t("، ونص التوثيق بالإنجليزية.", "."))
        }
        div #docs .docs dir="ltr" lang="en" {
            p #docs-loading { (l.t("جارٍ التحميل…", "Loading…")) }
            noscript { p { (l.t("هذه الصفحة تحتاج JavaScript؛ الوثيقة نفسها في /openapi.json.",
                "This page needs JavaScript; the document itself is at /openapi.json.")) } }
        }
    };
    layout::page_with(&ctx, Nav::Docs, l.t("توثيق الواجهة", "API docs"), body, Some("/docs/docs.js"))
}

/// `GET /docs/docs.js`.
pub async fn script() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/javascript; charset=utf-8")
        .insert_header(("Cache-Control", "public, max-age=3600"))
        .body(SCRIPT)
}
