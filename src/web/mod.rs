//! Pages for caseworkers and auditors, served by the gateway itself: sign-in (a named user's
//! username and password, or an agency's key), password change, household search and view, the
//! review queue and desk, the auditor's page of match quality and spot checks, the overlap
//! report, the audit log, the planning pages (the coverage map,
//! coverage and needs, who does what where, the directory), and the API documentation at `/docs`.
//!
//! Policy:
//! - Server-rendered HTML (maud escapes every value spliced in), Arabic first and right to left,
//!   English with `?lang=en` (remembered in a cookie). No script on the pages but `/docs` and
//!   the needs upload's file reader (`/ui/static/needs.js`) and the review desk's keyboard
//!   shortcuts (`/ui/static/desk.js`); no
//!   asset from anywhere but the gateway, enforced by a Content-Security-Policy.
//! - Every page calls the same use cases as the API (`service::…`), with the principal of the
//!   session, and checks the same roles: no session redirects to the sign-in page, a wrong role
//!   gets a 403 page.
//! - The key is posted once, at sign-in, and never appears in a URL or a page; the browser
//!   keeps only a session id in the `bawaba_session` cookie (HttpOnly, SameSite=Strict, Secure,
//!   Path=/), mapped on the server by `service::sessions`. POST forms carry the session's CSRF
//!   token (the sign-in form, before any session, a token of its own: `login.rs`), and every
//!   POST must say it comes from this gateway's origin: its `Origin`, or its `Referer` when it
//!   has no `Origin`, must name this host; a POST with neither, or from elsewhere, is refused
//!   before anything reads it.
//! - The pages import the service and the shared HTTP edge (`crate::http`), never the API.
//! - Names searched for are posted, not put in the URL, so they stay out of access logs and
//!   browser history. Pages with personal data are never cached.

mod audit;
mod chart;
mod desk;
mod docs;
mod flags;
mod household;
mod layout;
mod login;
mod planning;
mod quality;
mod record;
mod reports;
mod review;
mod search;
pub mod words;

use std::future::Future;
use std::pin::Pin;

use actix_web::body::MessageBody;
use actix_web::cookie::{Cookie, SameSite};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{FromRequest, HttpRequest, HttpResponse, ResponseError, web};

use crate::service::Services;
use crate::service::auth::Role;
use crate::service::error::ServiceError;
use crate::service::sessions::{self, Session};
use words::Lang;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "bawaba_session";

/// The language cookie.
pub const LANG_COOKIE: &str = "bawaba_lang";

/// The pages' routes: `/`, `/ui/…` and `/docs`.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(home))
        .service(
            web::scope("/ui")
                .wrap_fn(|req, srv| {
                    use actix_web::dev::Service;
                    let lang = query_lang(&req);
                    let fut = srv.call(req);
                    async move { fut.await.map(|res| harden(res, lang)) }
                })
                .route("", web::get().to(home))
                .route("/", web::get().to(home))
                .route("/login", web::get().to(login::form))
                .route("/login", web::post().to(login::submit))
                .route("/logout", web::post().to(login::logout))
                .route("/search", web::get().to(search::page))
                .route("/search", web::post().to(search::submit))
                .route("/households/{id}", web::get().to(household::page))
                .route("/households/{id}/split", web::post().to(household::split))
                .route("/records/{id}", web::get().to(record::page))
                .route("/review", web::get().to(review::page))
                .route("/review/bulk", web::post().to(desk::bulk))
                .route("/review/{id}", web::post().to(review::submit))
                .route("/reviews/{id}/undo", web::post().to(desk::undo))
                .route("/flags/{id}", web::get().to(desk::flag_page))
                .route("/desk", web::get().to(desk::page))
                .route("/desk/{id}", web::post().to(desk::decide))
                .route("/static/desk.js", web::get().to(desk::script))
                .route("/quality", web::get().to(quality::page))
                .route("/quality/draw", web::post().to(quality::draw))
                .route("/quality/spot-checks/{id}", web::post().to(quality::answer))
                .route("/reports", web::get().to(reports::page))
                .route("/reports/overlaps.csv", web::get().to(reports::csv))
                .route("/audit", web::get().to(audit::page))
                .route("/audit.csv", web::get().to(audit::csv))
                .route("/password", web::get().to(login::password_form))
                .route("/password", web::post().to(login::password_submit))
                .route("/map", web::get().to(planning::map))
                .route("/coverage", web::get().to(planning::coverage))
                .route("/coverage.csv", web::get().to(planning::coverage_csv))
                .route("/needs", web::post().to(planning::needs))
                .route("/3w", web::get().to(planning::three_w))
                .route("/3w.csv", web::get().to(planning::three_w_csv))
                .route("/directory", web::get().to(planning::directory_page))
                .route("/directory/services", web::post().to(planning::add_service))
                .route("/directory/services/{id}", web::post().to(planning::edit_service))
                .route("/directory/organizations/{code}", web::post().to(planning::edit_organization))
                .route("/static/app.css", web::get().to(layout::css))
                .route("/static/needs.js", web::get().to(planning::needs_js))
                .default_service(web::to(not_found)),
        )
        .service(
            web::scope("/docs")
                .wrap_fn(|req, srv| {
                    use actix_web::dev::Service;
                    let lang = query_lang(&req);
                    let fut = srv.call(req);
                    async move { fut.await.map(|res| harden(res, lang)) }
                })
                .route("", web::get().to(docs::page))
                .route("/", web::get().to(docs::page))
                .route("/docs.js", web::get().to(docs::script)),
        );
}

/// `/` and `/ui/`: the signed-in user's [`landing`] page (the search for anyone else, which asks
/// them to sign in).
async fn home(ctx: Ctx) -> HttpResponse {
    see_other(ctx.session.as_ref().map_or("/ui/search", |(_, s)| landing(s.principal.role)))
}

/// Where a user lands when no page was asked for: the search for the roles that may search,
/// the map for those who plan (a coordinator, the admin), so no one lands on a 403.
pub fn landing(role: Role) -> &'static str {
    if crate::service::search::ROLES.contains(&role) {
        "/ui/search"
    } else if crate::service::planning::READ.contains(&role) {
        "/ui/map"
    } else {
        "/ui/search"
    }
}

async fn not_found(ctx: Ctx) -> Result<HttpResponse, UiError> {
    Err(UiError::NotFound(ctx.lang))
}

/// A 303 redirect.
pub fn see_other(to: &str) -> HttpResponse {
    HttpResponse::SeeOther().insert_header((header::LOCATION, to)).finish()
}

fn query_lang(req: &ServiceRequest) -> Option<Lang> {
    web::Query::<LangQuery>::from_query(req.query_string()).ok().and_then(|q| q.lang.as_deref().and_then(Lang::parse))
}

#[derive(serde::Deserialize)]
struct LangQuery {
    lang: Option<String>,
}

/// Security headers on every page, and the language cookie when `?lang=` chose one.
fn harden<B: MessageBody>(mut res: ServiceResponse<B>, lang: Option<Lang>) -> ServiceResponse<B> {
    let h = res.headers_mut();
    let fixed = [
        (
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; \
             form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
        ),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::REFERRER_POLICY, "same-origin"),
    ];
    for (name, value) in fixed {
        h.insert(name, HeaderValue::from_static(value));
    }
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if let Some(l) = lang {
        let c = Cookie::build(LANG_COOKIE, l.code())
            .path("/")
            .http_only(true)
            .secure(true)
            .same_site(SameSite::Lax)
            .max_age(actix_web::cookie::time::Duration::days(365))
            .finish();
        let _ = res.response_mut().add_cookie(&c);
    }
    res
}

/// What every page knows about its request: the language, the session if any, and the path.
pub struct Ctx {
    pub lang: Lang,
    pub session: Option<(String, Session)>,
    /// Path and query of this request, for the language switch and the way back after sign-in.
    pub here: String,
}

impl Ctx {
    fn lang_of(req: &HttpRequest) -> Lang {
        web::Query::<LangQuery>::from_query(req.query_string())
            .ok()
            .and_then(|q| q.lang.as_deref().and_then(Lang::parse))
            .or_else(|| req.cookie(LANG_COOKIE).and_then(|c| Lang::parse(c.value())))
            .unwrap_or(Lang::Ar)
    }

    /// Reads the request's language, path and session (a user's session is read from the
    /// database, off the async workers), the principal's address set to this request's.
    async fn of(req: &HttpRequest) -> Ctx {
        let lang = Ctx::lang_of(req);
        let here = match req.uri().path_and_query() {
            Some(pq) => pq.as_str().to_owned(),
            None => req.path().to_owned(),
        };
        let services = req.app_data::<web::Data<Services>>().cloned();
        let cookie = req.cookie(SESSION_COOKIE).map(|c| c.value().to_owned());
        let address = req.peer_addr().map(|a| a.ip().to_string());
        let session = match (services, cookie) {
            (Some(services), Some(id)) => {
                let looked = id.clone();
                match crate::http::blocking(move || sessions::session(&services, &looked)).await {
                    Ok(Some(mut found)) => {
                        found.principal.address = address;
                        Some((id, found))
                    }
                    _ => None,
                }
            }
            _ => None,
        };
        Ctx { lang, session, here }
    }

    /// The signed-in user, or the way to the sign-in page.
    pub fn user(&self) -> Result<&Session, UiError> {
        match &self.session {
            Some((_, s)) => Ok(s),
            None => Err(UiError::Login(self.here.clone())),
        }
    }

    /// The signed-in user, if their role is one of `roles`.
    pub fn require(&self, roles: &[Role]) -> Result<&Session, UiError> {
        let s = self.user()?;
        if roles.contains(&s.principal.role) { Ok(s) } else { Err(UiError::Forbidden(self.lang)) }
    }

    /// Checks a form's CSRF token against the session.
    pub fn check_csrf(&self, token: &str) -> Result<&Session, UiError> {
        let s = self.user()?;
        if s.csrf_ok(token) { Ok(s) } else { Err(UiError::Forbidden(self.lang)) }
    }
}

impl FromRequest for Ctx {
    type Error = UiError;
    type Future = Pin<Box<dyn Future<Output = Result<Ctx, UiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        // A form posted from another origin is refused before anything reads it.
        if req.method() == actix_web::http::Method::POST && !same_origin(req) {
            let lang = Ctx::lang_of(req);
            return Box::pin(async move { Err(UiError::Forbidden(lang)) });
        }
        let req = req.clone();
        Box::pin(async move { Ok(Ctx::of(&req).await) })
    }
}

/// Whether a request says it comes from this gateway: its `Origin`, or without one its
/// `Referer`, names this host (as the request's `Host`, or a proxy's `X-Forwarded-Host` or
/// `Forwarded` says it; a page elsewhere can set none of these in a browser). Browsers send
/// `Origin` with every form POST, and the pages' `Referrer-Policy: same-origin` keeps `Referer`
/// for the gateway's own pages; a POST with neither is refused.
fn same_origin(req: &HttpRequest) -> bool {
    let named = |name| req.headers().get(name).and_then(|v| v.to_str().ok());
    let Some(from) = named(header::ORIGIN).or_else(|| named(header::REFERER)) else {
        return false;
    };
    let Some((_, rest)) = from.split_once("://") else {
        return false;
    };
    let from_host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let info = req.connection_info();
    !from_host.is_empty() && from_host.eq_ignore_ascii_case(info.host())
}

/// Why a page could not be shown, as a page.
#[derive(Debug)]
pub enum UiError {
    /// No session: to the sign-in page, coming back to this path afterwards.
    Login(String),
    /// The role may not see this page.
    Forbidden(Lang),
    /// Nothing here.
    NotFound(Lang),
    /// A use case refused or failed.
    Api(Lang, ServiceError),
}

impl std::fmt::Display for UiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            UiError::Login(_) => f.write_str("sign-in required"),
            UiError::Forbidden(_) => f.write_str("forbidden"),
            UiError::NotFound(_) => f.write_str("not found"),
            UiError::Api(_, e) => write!(f, "{e}"),
        }
    }
}

impl UiError {
    /// Wraps a use case's error for a page in `lang`.
    pub fn api(lang: Lang) -> impl Fn(ServiceError) -> UiError {
        move |e| match e {
            ServiceError::Forbidden => UiError::Forbidden(lang),
            ServiceError::NotFound(_) => UiError::NotFound(lang),
            other => UiError::Api(lang, other),
        }
    }
}

impl ResponseError for UiError {
    fn status_code(&self) -> StatusCode {
        match self {
            UiError::Login(_) => StatusCode::SEE_OTHER,
            UiError::Forbidden(_) => StatusCode::FORBIDDEN,
            UiError::NotFound(_) => StatusCode::NOT_FOUND,
            UiError::Api(_, e) => crate::http::status(e),
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            UiError::Login(next) => {
                let next = safe_next(next).unwrap_or("/ui/search");
                let q: String = url_encode(next);
                see_other(&format!("/ui/login?next={q}"))
            }
            UiError::Forbidden(l) => layout::message(
                *l,
                StatusCode::FORBIDDEN,
                l.t("غير مسموح", "Not allowed"),
                l.t(
                    "صلاحية مفتاحك لا تسمح بهذه الصفحة. اطلب من مشرف النظام مفتاحاً بالصلاحية المناسبة.",
                    "Your key's role may not open this page. Ask the administrator for a key with the right role.",
                ),
            ),
            UiError::NotFound(l) => layout::message(
                *l,
                StatusCode::NOT_FOUND,
                l.t("غير موجود", "Not found"),
                l.t("لا يوجد شيء بهذا العنوان.", "There is nothing at this address."),
            ),
            UiError::Api(l, e) => {
                if let ServiceError::Internal(cause) = e {
                    tracing::error!(%cause, "internal error on a page");
                }
                let text = match e {
                    ServiceError::RateLimited(_) => l.t(
                        "طلبات كثيرة من هنا. انتظر قليلاً ثم حاول مرة أخرى.",
                        "Too many requests from here. Wait a little and try again.",
                    ),
                    ServiceError::Unavailable | ServiceError::Store(_) => {
                        l.t("الخدمة غير متاحة الآن، حاول مرة أخرى.", "The service is unavailable, try again.")
                    }
                    ServiceError::Conflict(_) => l.t(
                        "تعارض مع ما هو محفوظ (ربما راجعه شخص آخر).",
                        "This conflicts with what is stored (someone may have reviewed it already).",
                    ),
                    ServiceError::Validation(_) => l.t("الطلب غير صالح.", "The request is not valid."),
                    _ => l.t("حدث خطأ داخلي.", "Something went wrong inside the gateway."),
                };
                let mut res =
                    layout::message(*l, self.status_code(), l.t("تعذر إتمام الطلب", "Could not do this"), text);
                if let Some(seconds) = crate::http::retry_after(e)
                    && let Ok(v) = HeaderValue::from_str(&seconds.to_string())
                {
                    res.headers_mut().insert(header::RETRY_AFTER, v);
                }
                res
            }
        }
    }
}

/// A path to return to after sign-in: only a page of ours.
fn safe_next(next: &str) -> Option<&str> {
    (next.starts_with("/ui/") && !next.starts_with("/ui/login") && !next.contains("//") && !next.contains('\\'))
        .then_some(next)
}

/// Percent-encodes a query value.
pub fn url_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~' | b'/') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Runs a use case off the async workers, its errors as pages in `lang`.
pub async fn run<T, F>(lang: Lang, f: F) -> Result<T, UiError>
where
    F: FnOnce() -> Result<T, ServiceError> + Send + 'static,
    T: Send + 'static,
{
    crate::http::blocking(f).await.map_err(UiError::api(lang))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_is_only_our_pages() {
        assert_eq!(safe_next("/ui/review?status=open"), Some("/ui/review?status=open"));
        assert_eq!(safe_next("//evil.example/ui/"), None);
        assert_eq!(safe_next("https://evil.example"), None);
        assert_eq!(safe_next("/ui//evil"), None);
        assert_eq!(safe_next("/ui/login"), None);
        assert_eq!(url_encode("/ui/x?a=1&b"), "/ui/x%3Fa%3D1%26b");
    }

    #[test]
    fn a_post_must_name_this_host() {
        use actix_web::test::TestRequest;
        let post = |headers: &[(&str, &str)]| {
            let mut r = TestRequest::post().uri("/ui/login").insert_header((header::HOST, "gate.example:8080"));
            for (k, v) in headers {
                r = r.insert_header((*k, *v));
            }
            same_origin(&r.to_http_request())
        };
        assert!(post(&[("Origin", "https://gate.example:8080")]));
        assert!(post(&[("Referer", "https://gate.example:8080/ui/login?next=/ui/review")]));
        assert!(!post(&[]), "neither Origin nor Referer");
        assert!(!post(&[("Origin", "null")]));
        assert!(!post(&[("Origin", "https://evil.example")]));
        assert!(!post(&[("Origin", "https://gate.example:8080.evil.example")]));
        assert!(!post(&[("Referer", "https://evil.example/gate.example:8080")]));
        assert!(
            !post(&[("Origin", "https://evil.example"), ("Referer", "https://gate.example:8080/ui/")]),
            "Origin wins"
        );
    }
}
