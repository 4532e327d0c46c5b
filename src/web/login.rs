//! Sign-in with a key and sign-out. The key is posted once in a form body, checked by the same
//! `Keys::authenticate` as the API, and then forgotten: the browser keeps only the session id.

use actix_web::HttpResponse;
use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::StatusCode;
use actix_web::web::{Data, Form, Query};
use maud::html;
use serde::Deserialize;

use super::layout::{self, Nav};
use super::{Ctx, SESSION_COOKIE, UiError, run, safe_next, see_other};
use crate::service::Services;
use crate::service::error::ServiceError;
use crate::service::sessions;

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
    let previous = ctx.session.as_ref().map(|(id, _)| id.clone());
    let id = match run(ctx.lang, move || sessions::sign_in(&s, &key, previous.as_deref())).await {
        Ok(id) => id,
        Err(UiError::Api(_, ServiceError::Unauthorized)) => return Ok(form_page(&ctx, &next, true)),
        Err(e) => return Err(e),
    };
    let mut res = see_other(&next);
    res.add_cookie(&session_cookie(id)).map_err(|e| UiError::Api(ctx.lang, ServiceError::Internal(e.to_string())))?;
    Ok(res)
}

/// `POST /ui/logout`.
pub async fn logout(ctx: Ctx, s: Data<Services>, f: Form<LogoutForm>) -> Result<HttpResponse, UiError> {
    if let Some((id, session)) = &ctx.session {
        if !session.csrf_ok(&f.csrf) {
            return Err(UiError::Forbidden(ctx.lang));
        }
        s.sessions.remove(id);
    }
    let mut res = see_other("/ui/login");
    let mut gone = session_cookie(String::new());
    gone.make_removal();
    res.add_cookie(&gone).map_err(|e| UiError::Api(ctx.lang, ServiceError::Internal(e.to_string())))?;
    Ok(res)
}

fn session_cookie(id: String) -> Cookie<'static> {
    Cookie::build(SESSION_COOKIE, id).path("/").http_only(true).secure(true).same_site(SameSite::Strict).finish()
}
