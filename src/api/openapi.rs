//! The OpenAPI 3 document, generated from the handlers and types themselves.

use actix_web::HttpResponse;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, HeaderBuilder, ObjectBuilder, Ref, RefOr, ResponseBuilder, Type};
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

/// Every operation may answer 429 over a rate limit (`crate::http::rate_limit`, in front of
/// every route).
struct RateLimited;

impl Modify for RateLimited {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let seconds = ObjectBuilder::new().schema_type(Type::Integer).minimum(Some(1)).build();
        let response = ResponseBuilder::new()
            .description(
                "Over the rate limit of this key or, without a known key, of this client address: code `rate_limited`",
            )
            .header(
                "Retry-After",
                HeaderBuilder::new().schema(seconds).description(Some("Seconds to wait before trying again")).build(),
            )
            .content("application/json", ContentBuilder::new().schema(Some(Ref::from_schema_name("ErrorBody"))).build())
            .build();
        doc.components
            .get_or_insert_with(Default::default)
            .responses
            .insert("RateLimited".to_owned(), RefOr::T(response));
        for item in doc.paths.paths.values_mut() {
            let ops = [&mut item.get, &mut item.put, &mut item.post, &mut item.delete, &mut item.patch];
            for op in ops.into_iter().flatten() {
                op.responses
                    .responses
                    .entry("429".to_owned())
                    .or_insert_with(|| RefOr::Ref(Ref::new("#/components/responses/RateLimited")));
            }
        }
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
    modifiers(&Bearer, &RateLimited)
)]
pub struct ApiDoc;

/// `GET /openapi.json`.
pub async fn serve() -> HttpResponse {
    HttpResponse::Ok().json(ApiDoc::openapi())
}
