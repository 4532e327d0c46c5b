//! Sign-in and sign-out, and a user's password change. A named user signs in with username and
//! password (`sessions::sign_in_user`: the session is kept in the database); an agency's key
//! still signs in too (`sessions::sign_in`), posted once in a form body, checked by the same
//! `Keys::authenticate` as the API, and then forgotten: the browser keeps only the session id.
//!
//! The sign-in form has no session to carry a CSRF token, so it carries one of its own, the
//! same value in a hidden field and in the `bawaba_login_csrf` cookie (HttpOnly,
//! SameSite=Strict, Secure, Path=/ui/login): a page elsewhere can neither read the cookie nor
//! make the browser send it, so it cannot sign a browser in with a key of its choosing. Like
//! every POST of the pages, the sign-in must also come from this gateway's own origin
//! (`Origin`, or `Referer` without it). Failed sign-ins are throttled by the service
//! (`sessions::sign_in`); the form then says how long to wait.

use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::web::{Data, Form, Query};
use actix_web::{HttpRequest, HttpResponse};
use maud::html;
use serde::Deserialize;

use super::layout::{self, Nav};
use super::words::Lang;
use super::{Ctx, SESSION_COOKIE, UiError, run, safe_next, see_other};
use crate::service::Services;
use crate::service::error::ServiceError;
use crate::service::sessions;

/// The sign-in form's CSRF cookie.
pub const LOGIN_CSRF_COOKIE: &str = "bawaba_login_csrf";

#[derive(Deserialize)]
pub struct LoginQuery {
    next: Option<String>,
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    key: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
    #[serde(default)]
    csrf: String,
}

#[derive(Deserialize)]
pub struct LogoutForm {
    #[serde(default)]
    csrf: String,
}

/// Why the form is shown again.
#[derive(Debug, Clone, Copy)]
enum Refusal {
    /// The key is not known: 401.
    UnknownKey,
    /// The username or password is wrong, or the user is disabled: 401.
    WrongPassword,
    /// The form's token is missing or not this browser's: 403.
    Expired,
    /// Too many failed sign-ins: 429, come back in so many seconds.
    Throttled(u64),
}

/// This browser's sign-in token: the one its cookie holds, or a new one.
fn token_of(req: &HttpRequest) -> String {
    req.cookie(LOGIN_CSRF_COOKIE)
        .map(|c| c.value().to_owned())
        .filter(|v| v.len() == 64 && v.bytes().all(|b| b.is_ascii_hexdigit()))
        .unwrap_or_else(sessions::new_token)
}

fn form_page(ctx: &Ctx, next: &str, token: &str, refused: Option<Refusal>) -> HttpResponse {
    let l = ctx.lang;
    let body = html! {
        section.card.login {
            h1 { (l.t("الدخول إلى البوابة", "Sign in to the gateway")) }
            @match refused {
                Some(Refusal::UnknownKey) => p.error role="alert" { (l.t("المفتاح غير معروف. تأكد منه وحاول مرة أخرى.", "This key is not known. Check it and try again.")) },
                Some(Refusal::WrongPassword) => p.error role="alert" { (l.t("اسم المستخدم أو كلمة المرور غير صحيحة.", "The username or password is not right.")) },
                Some(Refusal::Expired) => p.error role="alert" { (l.t(
                    "انتهت صلاحية نموذج الدخول أو أُرسل من مكان آخر. أدخل المفتاح مرة أخرى.",
                    "This sign-in form expired or was sent from elsewhere. Enter the key again."
                )) },
                Some(Refusal::Throttled(seconds)) => p.error role="alert" { (throttled_text(l, seconds)) },
                None => {},
            }
            form method="post" action="/ui/login" {
                input type="hidden" name="csrf" value=(token);
                input type="hidden" name="next" value=(next);
                label for="username" { (l.t("اسم المستخدم", "Username")) }
                input #username type="text" name="username" autofocus dir="ltr" spellcheck="false" autocomplete="username" autocapitalize="none";
                label for="password" { (l.t("كلمة المرور", "Password")) }
                input #password type="password" name="password" dir="ltr" autocomplete="current-password";
                div.key {
                    p.or { (l.t("أو بمفتاح الجهة:", "Or with the agency's key:")) }
                    label for="key" { (l.t("مفتاح الدخول", "Access key")) }
                    input #key type="password" name="key" dir="ltr" spellcheck="false" autocomplete="off";
                }
                p.hint { (l.t(
                    "لا يُحفظ شيء منها في المتصفح؛ تنتهي الجلسة بعد 30 دقيقة بلا استخدام.",
                    "Neither is stored in the browser; the session ends after 30 minutes unused."
                )) }
                p { button type="submit" { (l.t("دخول", "Sign in")) } }
            }
        }
    };
    let mut res = layout::page(ctx, Nav::None, ctx.lang.t("الدخول", "Sign in"), body);
    *res.status_mut() = match refused {
        None => StatusCode::OK,
        Some(Refusal::UnknownKey | Refusal::WrongPassword) => StatusCode::UNAUTHORIZED,
        Some(Refusal::Expired) => StatusCode::FORBIDDEN,
        Some(Refusal::Throttled(_)) => StatusCode::TOO_MANY_REQUESTS,
    };
    if let Some(Refusal::Throttled(seconds)) = refused
        && let Ok(v) = header::HeaderValue::from_str(&seconds.to_string())
    {
        res.headers_mut().insert(header::RETRY_AFTER, v);
    }
    let cookie = Cookie::build(LOGIN_CSRF_COOKIE, token.to_owned())
        .path("/ui/login")
        .http_only(true)
        .secure(true)
        .same_site(SameSite::Strict)
        .finish();
    let _ = res.add_cookie(&cookie);
    res
}

/// "Too many failed sign-ins, try again in …", in whole minutes.
fn throttled_text(l: Lang, seconds: u64) -> String {
    let minutes = seconds.div_ceil(60);
    match (l, minutes) {
        (Lang::Ar, 0 | 1) => "محاولات دخول فاشلة كثيرة. حاول مرة أخرى بعد دقيقة.".to_owned(),
        (Lang::Ar, 2) => "محاولات دخول فاشلة كثيرة. حاول مرة أخرى بعد دقيقتين.".to_owned(),
        (Lang::Ar, 3..=10) => format!("محاولات دخول فاشلة كثيرة. حاول مرة أخرى بعد {minutes} دقائق."),
        (Lang::Ar, _) => format!("محاولات دخول فاشلة كثيرة. حاول مرة أخرى بعد {minutes} دقيقة."),
        (Lang::En, 0 | 1) => "Too many failed sign-ins. Try again in a minute.".to_owned(),
        (Lang::En, _) => format!("Too many failed sign-ins. Try again in {minutes} minutes."),
    }
}

/// `GET /ui/login`.
pub async fn form(ctx: Ctx, req: HttpRequest, q: Query<LoginQuery>) -> HttpResponse {
    // No page asked: the form carries none, and the user lands on their role's page.
    let next = q.next.as_deref().and_then(safe_next).unwrap_or("");
    form_page(&ctx, next, &token_of(&req), None)
}

/// `POST /ui/login`: starts a session and sends the browser on.
pub async fn submit(
    ctx: Ctx,
    req: HttpRequest,
    s: Data<Services>,
    f: Form<LoginForm>,
) -> Result<HttpResponse, UiError> {
    let LoginForm { key, username, password, next, csrf } = f.into_inner();
    let asked = safe_next(&next).map(str::to_owned);
    let next = asked.clone().unwrap_or_default();
    let cookie = req.cookie(LOGIN_CSRF_COOKIE).map(|c| c.value().to_owned()).unwrap_or_default();
    if !sessions::same_token(&cookie, &csrf) {
        return Ok(form_page(&ctx, &next, &token_of(&req), Some(Refusal::Expired)));
    }
    let previous = ctx.session.as_ref().map(|(id, _)| id.clone());
    let from = req.peer_addr().map(|a| a.ip());
    let by_name = !username.trim().is_empty();
    let s2 = s.clone();
    let signed = if by_name {
        run(ctx.lang, move || sessions::sign_in_user(&s, &username, &password, previous.as_deref(), from)).await
    } else {
        run(ctx.lang, move || sessions::sign_in(&s, &key, previous.as_deref(), from)).await
    };
    let id = match signed {
        Ok(id) => id,
        Err(UiError::Api(_, ServiceError::Unauthorized)) => {
            let why = if by_name { Refusal::WrongPassword } else { Refusal::UnknownKey };
            return Ok(form_page(&ctx, &next, &cookie, Some(why)));
        }
        Err(UiError::Api(_, ServiceError::RateLimited(seconds))) => {
            return Ok(form_page(&ctx, &next, &cookie, Some(Refusal::Throttled(seconds))));
        }
        Err(e) => return Err(e),
    };
    let to = match asked {
        Some(to) => to,
        None => {
            let looked = id.clone();
            let session = run(ctx.lang, move || sessions::session(&s2, &looked)).await?;
            session.map_or("/ui/search", |s| super::landing(s.principal.role)).to_owned()
        }
    };
    let mut res = see_other(&to);
    let internal = |e: actix_web::error::HttpError| UiError::Api(ctx.lang, ServiceError::Internal(e.to_string()));
    res.add_cookie(&session_cookie(id)).map_err(internal)?;
    let mut used = Cookie::build(LOGIN_CSRF_COOKIE, "").path("/ui/login").finish();
    used.make_removal();
    res.add_cookie(&used).map_err(internal)?;
    Ok(res)
}

/// `POST /ui/logout`.
pub async fn logout(ctx: Ctx, s: Data<Services>, f: Form<LogoutForm>) -> Result<HttpResponse, UiError> {
    if let Some((id, session)) = &ctx.session {
        if !session.csrf_ok(&f.csrf) {
            return Err(UiError::Forbidden(ctx.lang));
        }
        let id = id.clone();
        run(ctx.lang, move || sessions::end(&s, &id)).await?;
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

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    current: String,
    #[serde(default)]
    new: String,
    #[serde(default)]
    again: String,
}

fn password_page(ctx: &Ctx, csrf: &str, said: Option<Result<(), String>>) -> HttpResponse {
    let l = ctx.lang;
    let body = html! {
        section.card.login {
            h1 { (l.t("تغيير كلمة المرور", "Change your password")) }
            @match &said {
                Some(Ok(())) => p.ok role="status" { (l.t("تم تغيير كلمة المرور.", "Your password is changed.")) },
                Some(Err(e)) => p.error role="alert" { (e) },
                None => {},
            }
            form method="post" action="/ui/password" {
                input type="hidden" name="csrf" value=(csrf);
                label for="current" { (l.t("كلمة المرور الحالية", "Current password")) }
                input #current type="password" name="current" required dir="ltr" autocomplete="current-password";
                label for="new" { (l.t("كلمة المرور الجديدة (12 حرفاً على الأقل)", "New password (at least 12 characters)")) }
                input #new type="password" name="new" required dir="ltr" autocomplete="new-password" minlength="12";
                label for="again" { (l.t("أعد كتابة كلمة المرور الجديدة", "The new password again")) }
                input #again type="password" name="again" required dir="ltr" autocomplete="new-password";
                p { button type="submit" { (l.t("تغيير", "Change")) } }
            }
        }
    };
    let mut res = layout::page(ctx, Nav::None, l.t("كلمة المرور", "Password"), body);
    if matches!(said, Some(Err(_))) {
        *res.status_mut() = StatusCode::BAD_REQUEST;
    }
    res
}

/// `GET /ui/password`: a named user's password change.
pub async fn password_form(ctx: Ctx) -> Result<HttpResponse, UiError> {
    let session = ctx.user()?;
    if session.principal.user_id.is_none() {
        return Err(UiError::Forbidden(ctx.lang));
    }
    Ok(password_page(&ctx, &session.csrf, None))
}

/// `POST /ui/password`.
pub async fn password_submit(ctx: Ctx, s: Data<Services>, f: Form<PasswordForm>) -> Result<HttpResponse, UiError> {
    let session = ctx.check_csrf(&f.csrf)?;
    let l = ctx.lang;
    if session.principal.user_id.is_none() {
        return Err(UiError::Forbidden(l));
    }
    let PasswordForm { current, new, again, .. } = f.into_inner();
    if new != again {
        let e = l.t("كلمتا المرور الجديدتان مختلفتان.", "The two new passwords differ.").to_owned();
        return Ok(password_page(&ctx, &session.csrf, Some(Err(e))));
    }
    let who = session.principal.clone();
    let done = crate::http::blocking(move || crate::service::access::change_password(&s, &who, &current, &new)).await;
    let said = match done {
        Ok(()) => Ok(()),
        Err(ServiceError::Validation(p)) if p.iter().any(|p| p.field == "current") => {
            Err(l.t("كلمة المرور الحالية غير صحيحة.", "The current password is not right.").to_owned())
        }
        Err(ServiceError::Validation(_)) => Err(l
            .t(
                "كلمة المرور الجديدة يجب أن تكون من 12 إلى 200 حرف وأن تختلف عن الحالية.",
                "The new password must be 12 to 200 characters and differ from the current one.",
            )
            .to_owned()),
        Err(e) => return Err(UiError::api(l)(e)),
    };
    Ok(password_page(&ctx, &session.csrf, Some(said)))
}
