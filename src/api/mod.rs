//! The HTTP API (`/v1/…`, `/healthz`, `/metrics`, `/openapi.json`), one module per resource.
//! Handlers stay thin: they extract the caller ([`Principal`], from the bearer key) and the
//! body or query as the wire types ([`bawaba_wire`]), call one use case of [`crate::service`]
//! off the async workers, and render its answer; the use case checks the role, validates and
//! audits. In front of them, [`role_gate`] holds the caller's role to the route's role list
//! (`service::access::routes`, the README's table) before the body is read. Errors are mapped
//! to statuses once, in [`crate::http`].
//!
//! Routes: each handler's path and method are written once, in its actix route attribute
//! (`#[post("/records")]`), which `#[utoipa::path]` reads too; [`mount`] mounts the handlers and,
//! as it does, collects their OpenAPI operations (utoipa-actix-web), so [`openapi::document`]
//! lists exactly what is served and no list of paths is kept by hand.

pub mod access;
pub mod agencies;
pub mod body;
pub mod desk;
pub mod directory;
pub mod households;
pub mod openapi;
pub mod operations;
pub mod persons;
pub mod places;
pub mod planning;
pub mod records;
pub mod reports;
pub mod review;
pub mod webhooks;

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::web;
use actix_web::{FromRequest, HttpMessage, HttpRequest, HttpResponse, ResponseError};
use std::future::Future;
use std::pin::Pin;
use utoipa::openapi::path::HttpMethod;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::http::blocking;
use crate::service::Services;
use crate::service::auth::Principal;
use crate::service::error::ServiceError;

/// Largest body of one record.
pub const RECORD_LIMIT: usize = 1024 * 1024;
/// Largest body of a batch.
pub const BATCH_LIMIT: usize = 64 * 1024 * 1024;

impl FromRequest for Principal {
    type Error = ServiceError;
    type Future = Pin<Box<dyn Future<Output = Result<Principal, ServiceError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        // Found already by the role gate in front of the route.
        if let Some(who) = req.extensions().get::<Principal>() {
            let who = who.clone();
            return Box::pin(async move { Ok(who) });
        }
        let services = req.app_data::<web::Data<Services>>().cloned();
        let key = crate::http::bearer(req.headers()).map(str::to_owned);
        let address = req.peer_addr().map(|a| a.ip().to_string());
        Box::pin(async move {
            let services = services.ok_or_else(|| ServiceError::Internal("services missing".into()))?;
            let key = key.ok_or(ServiceError::Unauthorized)?;
            // A key checked a moment ago is answered here; only a look-up in the database
            // goes to a blocking thread.
            let mut who = match services.authenticate_cached(&key) {
                Some(found) => found?,
                None => blocking(move || services.authenticate(&key)).await?,
            };
            // The audit log says where each request came from.
            who.address = address;
            Ok(who)
        })
    }
}

/// The role gate in front of every API route: the caller is found (a 401 for no key or an
/// unknown one) and its role held to the route's role list ([`access::roles_of`], the table the
/// README shows) before the handler's body or query is read, so a role the route leaves out is
/// answered 403 and learns nothing of what the route would accept (parsed alone, a bad body
/// could answer 400 first, naming its fields). The use case checks the role again. The caller
/// found is kept in the request for the handler's [`Principal`].
pub async fn role_gate<B: MessageBody>(
    mut req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<EitherBody<B>>, actix_web::Error> {
    let roles = req.match_pattern().and_then(|p| crate::service::access::roles_of(req.method().as_str(), &p));
    let Some(roles) = roles else {
        return next.call(req).await.map(ServiceResponse::map_into_left_body);
    };
    let checked = match req.extract::<Principal>().await {
        Ok(who) => who.require(roles).map(|()| who),
        Err(e) => Err(e),
    };
    match checked {
        Ok(who) => {
            req.extensions_mut().insert(who);
            next.call(req).await.map(ServiceResponse::map_into_left_body)
        }
        Err(e) => Ok(req.into_response(e.error_response()).map_into_right_body()),
    }
}

/// Mounts the handlers of one path, then that path's answer to every other method: 405 with an
/// `Allow` header listing the mounted methods in the order given, not 404. Each handler names its
/// method and path once, in its actix route attribute (`#[post("/records")]`), which both mounts
/// it and is read by `#[utoipa::path]`; the configuration collects its OpenAPI operation
/// (utoipa-actix-web), so the document lists exactly the operations served.
macro_rules! path {
    ($cfg:expr, $($handler:path),+ $(,)?) => {{
        let at = [$(<$handler as utoipa::Path>::path()),+];
        debug_assert!(at.iter().all(|p| *p == at[0]), "one path per call: {at:?}");
        let mut allow = Vec::new();
        $(
            allow.extend(<$handler as utoipa::Path>::methods().iter().map(method_name));
            $cfg.service($handler);
        )+
        $cfg.route(&at[0], not_allowed(allow.join(", ")));
    }};
}

/// Every route of the API, collecting the OpenAPI paths as it mounts them (the document is
/// [`openapi::document`]). Order matters where patterns overlap: `/records/check` comes before
/// `/records/{record_id}`.
pub fn mount(cfg: &mut ServiceConfig) {
    cfg.service(utoipa_actix_web::scope("/v1").configure(|cfg| {
        path!(cfg, agencies::create, agencies::list);
        path!(cfg, agencies::whoami);
        path!(cfg, records::post, records::list);
        path!(cfg, records::check);
        path!(cfg, records::batch);
        path!(cfg, records::get, records::correct, records::withdraw);
        path!(cfg, records::history);
        path!(cfg, households::search);
        path!(cfg, households::get);
        path!(cfg, households::split);
        path!(cfg, persons::erase);
        path!(cfg, webhooks::alerts);
        path!(cfg, webhooks::create, webhooks::list);
        path!(cfg, webhooks::remove);
        path!(cfg, webhooks::deliveries);
        path!(cfg, review::list);
        path!(cfg, desk::review_batch);
        path!(cfg, desk::flag);
        path!(cfg, review::review);
        path!(cfg, desk::undo);
        path!(cfg, desk::draw, desk::spot_checks);
        path!(cfg, desk::answer);
        path!(cfg, desk::review_quality);
        path!(cfg, reports::overlaps);
        path!(cfg, reports::summary);
        path!(cfg, places::list, places::create);
        path!(cfg, places::patch);
        path!(cfg, access::list_keys, access::create_key);
        path!(cfg, access::revoke_key);
        path!(cfg, access::rotate_key);
        path!(cfg, access::list_users, access::create_user);
        path!(cfg, access::patch_user);
        path!(cfg, access::audit_log);
        path!(cfg, planning::put_needs, planning::needs);
        path!(cfg, planning::coverage);
        path!(cfg, directory::organizations);
        path!(cfg, directory::put_organization);
        path!(cfg, directory::create_service, directory::services);
        path!(cfg, directory::patch_service, directory::close_service);
        path!(cfg, directory::who_what_where);
    }));
    path!(cfg, operations::healthz);
    path!(cfg, operations::readyz);
    path!(cfg, operations::metrics);
    // The document itself is not one of its operations.
    cfg.route("/openapi.json", web::get().to(openapi::serve));
    cfg.route("/openapi.json", not_allowed("GET".to_owned()));
}

/// Every route of the API, on a plain actix configuration (as `lib.rs` mounts it).
pub fn routes(cfg: &mut web::ServiceConfig) {
    mount(&mut ServiceConfig::new(cfg));
}

/// A route taking any method, answering 405 with `Allow`.
fn not_allowed(allow: String) -> actix_web::Route {
    web::route().to(move || {
        let allow = allow.clone();
        async move {
            let mut res = actix_web::ResponseError::error_response(&ServiceError::MethodNotAllowed);
            if let Ok(v) = actix_web::http::header::HeaderValue::from_str(&allow) {
                res.headers_mut().insert(actix_web::http::header::ALLOW, v);
            }
            res
        }
    })
}

/// A method as HTTP spells it.
fn method_name(m: &HttpMethod) -> &'static str {
    match m {
        HttpMethod::Get => "GET",
        HttpMethod::Post => "POST",
        HttpMethod::Put => "PUT",
        HttpMethod::Delete => "DELETE",
        HttpMethod::Options => "OPTIONS",
        HttpMethod::Head => "HEAD",
        HttpMethod::Patch => "PATCH",
        HttpMethod::Trace => "TRACE",
    }
}

/// What an unknown path answers.
pub async fn not_found() -> HttpResponse {
    actix_web::ResponseError::error_response(&ServiceError::NotFound("route"))
}

/// Query-string errors in the API's error shape, naming the parameter.
pub fn query_config() -> web::QueryConfig {
    web::QueryConfig::default().error_handler(|err, _| {
        let text = err.to_string();
        let field = text.split('`').nth(1).map(str::to_owned).unwrap_or_else(|| "query".to_owned());
        ServiceError::field(field, text).into()
    })
}

/// Path errors in the API's error shape.
pub fn path_config() -> web::PathConfig {
    web::PathConfig::default().error_handler(|err, _| ServiceError::field("path", err.to_string()).into())
}
