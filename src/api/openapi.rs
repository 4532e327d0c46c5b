//! The OpenAPI 3 document, generated from the routes, handlers and types themselves: each
//! handler's `#[utoipa::path]` and actix route attribute give its operation, method and path,
//! and mounting it (`super::mount`) lists it.

use actix_web::web::Data;
use actix_web::{App, HttpResponse};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, HeaderBuilder, ObjectBuilder, Ref, RefOr, ResponseBuilder, Type};
use utoipa::{Modify, OpenApi};

use utoipa_actix_web::AppExt;

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

/// What the document holds besides its paths: the title, the error body, and (once the paths
/// are in, see [`document`]) the bearer scheme and the shared 429 answer.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "bawaba",
        description = "One intake gateway for assistance records, with household deduplication. Errors are `{\"error\": {\"code\", \"message\", \"details\": [{\"field\", \"problem\"}]}}`."
    ),
    components(schemas(ErrorBody))
)]
pub struct ApiDoc;

/// The API document: its paths and their schemas collected from the routes as
/// [`super::mount`] mounts them (utoipa-actix-web), so no list of paths is kept by hand.
pub fn document() -> utoipa::openapi::OpenApi {
    let (_, mut doc) =
        App::new().into_utoipa_app().openapi(ApiDoc::openapi()).configure(super::mount).split_for_parts();
    Bearer.modify(&mut doc);
    RateLimited.modify(&mut doc);
    doc
}

/// `GET /openapi.json`: the document [`document`] made at start.
pub async fn serve(doc: Data<utoipa::openapi::OpenApi>) -> HttpResponse {
    HttpResponse::Ok().json(doc.get_ref())
}
