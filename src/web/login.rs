//! Sign-in with a key and sign-out. The key is posted once in a form body, checked by the same
//! `Keys::authenticate` as the API, and then forgotten: the browser keeps only the session id.

use actix_web::HttpResponse;
use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::StatusCode;
use actix_web::web::{Data, Form, Query};
use maud::html;
use serde::Deserialize;

use super::layout::{self, Nav};
use super::{Ctx, UiError, run, safe_next, see_other, session};
use crate::error::ApiError;
use crate::service::Services;

#[derive(Deserialize)]
pub struct LoginQuery {
    next: Option<String>,
}

#[derive(Deserialize)]
pub struct LoginForm {
    key: String,
    #[serde(default)]
    next: String,
}

#[derive(Deserialize)]
pub struct LogoutForm {
    #[serde(default)]
    csrf: String,
}

fn form_page(ctx: &Ctx, next: &str, failed: bool) -> HttpResponse {
    let l = ctx.lang;
    let body = html! {
        section.card.login {
            h1 { (l.t("الدخول إلى البوابة", "Sign in to the gateway")) }
            @if failed {
                p.error role="alert" { (l.t("المفتاح غير معروف. تأكد منه وحاول مرة أخرى.", "This key is not known. Check it and try again.")) }
            }
            form method="post" action="/ui/login" autocomplete="off" {
                input type="hidden" name="next" value=(next);
                label for="key" { (l.t("مفتاح الدخول", "Access key")) }
                input #key type="password" name="key" required autofocus dir="ltr" spellcheck="false" autocomplete="off";
                p.hint { (l.t(
                    "المفتاح الذي سلّمه لك مشرف النظام. لا يُحفظ في المتصفح؛ تنتهي الجلسة بعد 30 دقيقة بلا استخدام.",
                    "The key your administrator gave you. It is not stored in the browser; the session ends after 30 minutes unused."
                )) }
                p { button type="submit" { (l.t("دخول", "Sign in")) } }
            }
        }
    };
    let mut res = layout::page(ctx, Nav::None, ctx.lang.t("الدخول", "Sign in"), body);
    if failed {
        *res.status_mut() = StatusCode::UNAUTHORIZED;
    }
    res
}

/// `GET /ui/login`.
pub async fn form(ctx: Ctx, q: Query<LoginQuery>) -> HttpResponse {
    let next = q.next.as_deref().and_then(safe_next).unwrap_or("/ui/search");
    form_page(&ctx, next, false)
}

/// `POST /ui/login`: starts a session and sends the browser on.
pub async fn submit(ctx: Ctx, s: Data<Services>, f: Form<LoginForm>) -> Result<HttpResponse, UiError> {
    let LoginForm { key, next } = f.into_inner();
    let next = safe_next(&next).unwrap_or("/ui/search").to_owned();
    let key = key.trim().to_owned();
    if key.is_empty() || key.len() > 512 {
        return Ok(form_page(&ctx, &next, true));
    }
    let services = s.clone();
    let principal = match run(ctx.lang, move || services.keys.authenticate(&services.pool, &key)).await {
        Ok(p) => p,
        Err(UiError::Api(_, ApiError::Unauthorized)) => return Ok(form_page(&ctx, &next, true)),
        Err(e) => return Err(e),
    };
    // A new id at every sign-in (no fixation), and the old one ended.
    if let Some((old, _)) = &ctx.session {
        session::remove(old);
    }
    let id = session::create(session::server_of(&s), principal);
    let mut res = see_other(&next);
    res.add_cookie(&session_cookie(id)).map_err(|e| UiError::Api(ctx.lang, ApiError::Internal(e.to_string())))?;
    Ok(res)
}

/// `POST /ui/logout`.
pub async fn logout(ctx: Ctx, f: Form<LogoutForm>) -> Result<HttpResponse, UiError> {
    if let Some((id, s)) = &ctx.session {
        if !s.csrf_ok(&f.csrf) {
            return Err(UiError::Forbidden(ctx.lang));
        }
        session::remove(id);
    }
    let mut res = see_other("/ui/login");
    let mut gone = session_cookie(String::new());
    gone.make_removal();
    res.add_cookie(&gone).map_err(|e| UiError::Api(ctx.lang, ApiError::Internal(e.to_string())))?;
    Ok(res)
}

fn session_cookie(id: String) -> Cookie<'static> {
    Cookie::build(session::COOKIE, id).path("/").http_only(true).secure(true).same_site(SameSite::Strict).finish()
}
