//! The OpenAPI 3 document, generated from the handlers and types themselves.

use actix_web::HttpResponse;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::{agencies, households, operations, places, records, reports, review};
use crate::http::ErrorBody;

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
        agencies::create,
        agencies::list,
        agencies::whoami,
        records::post,
        records::check,
        records::batch,
        records::get,
        households::get,
        households::search,
        operations::healthz,
        operations::metrics,
        review::list,
        review::review,
        reports::overlaps,
        reports::summary,
        places::list,
        places::create,
        places::patch,
    ),
    components(schemas(ErrorBody)),
    modifiers(&Bearer)
)]
pub struct ApiDoc;

/// `GET /openapi.json`.
pub async fn serve() -> HttpResponse {
    HttpResponse::Ok().json(ApiDoc::openapi())
}
