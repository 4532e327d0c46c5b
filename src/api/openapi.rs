//! The OpenAPI 3 document, generated from the handlers and types themselves.

use actix_web::HttpResponse;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::{handlers, workflow};

struct Bearer;

impl Modify for Bearer {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The API document.
#[derive(OpenApi)]
#[openapi(
    info(title = "bawaba", description = "One intake gateway for assistance records, with household deduplication. Errors are `{\"error\": {\"code\", \"message\", \"details\": [{\"field\", \"problem\"}]}}`."),
    paths(
        handlers::create_agency,
        handlers::list_agencies,
        handlers::whoami,
        handlers::post_record,
        handlers::check_record,
        handlers::post_batch,
        handlers::get_record,
        handlers::get_household,
        handlers::healthz,
        handlers::metrics,
        workflow::search_households,
        workflow::list_flags,
        workflow::review_flag,
        workflow::report_overlaps,
        workflow::report_summary,
    ),
    modifiers(&Bearer)
)]
pub struct ApiDoc;

/// `GET /openapi.json`.
pub async fn serve() -> HttpResponse {
    HttpResponse::Ok().json(ApiDoc::openapi())
}
