//! Telling agencies (API.md, "Telling agencies"): an agency's alerts, and webhooks that are told
//! each new one.
//!
//! An alert is an `overlapping_aid` flag raised by a later record of another agency against
//! one of the agency's records (the flag names the agency as `matched_agency`). Alerts are read
//! from the flags themselves, oldest first.
//!
//! Delivery is at least once, in order per webhook, from a durable outbox: the dispatcher (one
//! thread) copies each webhook's new alerts into `webhook_outbox` and moves the webhook's
//! watermark in the same transaction; it then POSTs the oldest undelivered alert of each
//! webhook, signed (`X-Bawaba-Signature: sha256=<hex HMAC-SHA256 of the body with the secret>`),
//! keeps the attempt in `webhook_deliveries`, and only after a 2xx goes on to the next; a failure
//! is tried again after a backoff that doubles (from `WebhookSettings::backoff` up to
//! `backoff_max`). Everything it knows is in the database, so a restart loses nothing; an alert
//! may be delivered twice if the gateway stops between the receiver's 2xx and the record of it.
//! The dispatcher stops when the services it was started with are gone.
//!
//! A webhook's URL is checked when it is registered: `http` or `https`, a host that resolves,
//! and no loopback, private, link-local or otherwise internal address unless
//! `BAWABA_WEBHOOK_ALLOW_PRIVATE=true` (receivers on the agency's own network, tests). Redirects
//! are not followed, so a public URL cannot lead the gateway inside.

use std::net::{IpAddr, ToSocketAddrs};
use std::sync::{Arc, Weak};
use std::time::Duration;

use bawaba_wire::life::{
    AlertPage, Delivery, DeliveryPage, PageQuery, WebhookAnswer, WebhookBody, WebhookList, WebhooksQuery,
};
use bawaba_wire::records::StoredFlag;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::Services;
use super::audit::{audit, record};
use super::auth::{Principal, Role};
use super::error::{FieldProblem, ServiceError, validated};
use super::ids::{new_id, now};
use super::records::stored_flag;
use super::validate::{limit, nonempty};
use super::vault::{Column, Vault};
use crate::store::models::{DeliveryRow, FlagRow, OutboxRow, WebhookRow};
use crate::store::{DbConn, Pool, queries};

/// Who reads alerts: the agency's own system.
pub const ALERTS: &[Role] = &[Role::Submitter];
/// Who registers webhooks and reads their deliveries: the admin, or the agency's own system.
pub const MANAGE: &[Role] = &[Role::Admin, Role::Submitter];

/// How webhooks are delivered.
#[derive(Debug, Clone, Copy)]
pub struct WebhookSettings {
    /// Whether URLs may reach loopback and private addresses (`BAWABA_WEBHOOK_ALLOW_PRIVATE`).
    pub allow_private: bool,
    /// The wait before the first retry; it doubles with each failure.
    pub backoff: Duration,
    /// The longest wait between retries.
    pub backoff_max: Duration,
    /// How often the dispatcher looks for new alerts.
    pub poll: Duration,
}

impl Default for WebhookSettings {
    fn default() -> Self {
        WebhookSettings {
            allow_private: false,
            backoff: Duration::from_secs(5),
            backoff_max: Duration::from_secs(3600),
            poll: Duration::from_secs(1),
        }
    }
}

/// An alert as an agency sees it: the flag, its evidence left out (it quotes the other
/// agency's people).
fn alert_of(vault: &Vault, row: FlagRow) -> Result<StoredFlag, ServiceError> {
    let mut f = stored_flag(vault, FlagRow { evidence: String::new(), ..row })?;
    f.evidence.clear();
    Ok(f)
}

/// The agency's alerts, oldest first, a page at a time.
pub fn alerts(s: &Services, who: &Principal, q: &PageQuery) -> Result<AlertPage, ServiceError> {
    who.require(ALERTS)?;
    let agency = who.agency_id.clone().ok_or(ServiceError::Forbidden)?;
    let mut problems = Vec::new();
    let n = limit(&mut problems, &q.limit, 100, 1000);
    let cursor = nonempty(&q.cursor);
    validated(problems, ())?;
    let mut conn = s.conn()?;
    let mut rows = queries::alerts(&mut conn, &agency, cursor.as_deref(), n as i64 + 1)?;
    let more = rows.len() > n;
    rows.truncate(n);
    record(s, who, "alerts.read", None, Some(format!("alerts={}", rows.len())))?;
    let alerts: Vec<StoredFlag> = rows.into_iter().map(|r| alert_of(&s.vault, r)).collect::<Result<_, _>>()?;
    let next_cursor = if more { alerts.last().map(|a| a.flag_id.clone()) } else { None };
    Ok(AlertPage { alerts, next_cursor })
}

/// Whether an address is inside: loopback, private, link-local, shared, unspecified, multicast.
fn internal(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || o[0] == 0
                || (o[0] == 100 && (64..128).contains(&o[1]))
        }
        IpAddr::V6(v6) => {
            let first = v6.segments()[0];
            v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80
                || v6.to_ipv4_mapped().is_some_and(|v4| internal(IpAddr::V4(v4)))
        }
    }
}

/// Checks a webhook URL (see the module's notes); the problem names `url`.
pub fn check_url(url: &str, allow_private: bool) -> Result<(), ServiceError> {
    let bad = |p: &str| ServiceError::field("url", p.to_owned());
    if url.len() > 2000 {
        return Err(bad("must be at most 2000 characters"));
    }
    let uri: webhook_client::http::Uri = url.parse().map_err(|_| bad("is not a URL"))?;
    let port = match uri.scheme_str() {
        Some("https") => uri.port_u16().unwrap_or(443),
        Some("http") => uri.port_u16().unwrap_or(80),
        _ => return Err(bad("must be an http:// or https:// URL")),
    };
    let host = uri.host().filter(|h| !h.is_empty()).ok_or_else(|| bad("must name a host"))?;
    if uri.authority().is_some_and(|a| a.as_str().contains('@')) {
        return Err(bad("must not carry a user or password"));
    }
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let addrs: Vec<IpAddr> = (host, port)
        .to_socket_addrs()
        .map_err(|_| bad("names a host that does not resolve"))?
        .map(|a| a.ip())
        .collect();
    if addrs.is_empty() {
        return Err(bad("names a host that does not resolve"));
    }
    if !allow_private && addrs.iter().any(|ip| internal(*ip)) {
        return Err(bad("reaches a loopback or private address (allowed only with BAWABA_WEBHOOK_ALLOW_PRIVATE=true)"));
    }
    Ok(())
}

/// The agency a webhook is for: the caller's own, or (admin) the one named.
fn agency_for(
    conn: &mut DbConn,
    who: &Principal,
    named: Option<&str>,
) -> Result<crate::store::models::AgencyRow, ServiceError> {
    match (who.role, &who.agency_id, named) {
        (Role::Admin, _, Some(code)) | (_, None, Some(code)) => {
            queries::agency_by_code(conn, code)?.ok_or_else(|| ServiceError::field("agency", "is not a known agency"))
        }
        (Role::Admin, None, None) => {
            Err(ServiceError::field("agency", "is required: the agency whose alerts it receives"))
        }
        (_, Some(own), named) => {
            let a = queries::agencies_by_ids(conn, std::slice::from_ref(own))?.pop().ok_or(ServiceError::Forbidden)?;
            if named.is_some_and(|c| c != a.code) {
                return Err(ServiceError::field("agency", "must be your own agency"));
            }
            Ok(a)
        }
        _ => Err(ServiceError::Forbidden),
    }
}

/// Registers a webhook: told each alert raised from now on.
pub fn register(s: &Services, who: &Principal, body: WebhookBody) -> Result<WebhookAnswer, ServiceError> {
    who.require(MANAGE)?;
    let mut problems = Vec::new();
    let secret_len = body.secret.chars().count();
    if !(16..=256).contains(&secret_len) || body.secret.chars().any(char::is_control) {
        problems.push(FieldProblem::new("secret", "must be 16 to 256 characters, with no control characters"));
    }
    validated(problems, ())?;
    let url = body.url.trim().to_owned();
    check_url(&url, s.webhooks.allow_private)?;
    let agency = agency_for(&mut *s.conn()?, who, body.agency.as_deref())?;
    let row = WebhookRow {
        id: new_id(),
        agency_id: agency.id.clone(),
        url: url.clone(),
        secret: s.vault.seal(Column::Reason, &body.secret),
        created_at: now(),
        // Alerts raised from now on.
        enqueued_through: new_id(),
        deleted_at: None,
    };
    let who = who.clone();
    let stored = row.clone();
    let code = agency.code.clone();
    s.intake.exclusive(move |c, _, _| {
        queries::insert_webhook(c, &stored)?;
        audit(c, &who, "webhook.create", Some(&stored.id), Some(format!("agency={}", agency.code)))
    })?;
    Ok(WebhookAnswer { webhook_id: row.id, agency: code, url, created_at: row.created_at })
}

/// The webhooks registered: an agency's own, or (to the admin) every agency's or the one named.
pub fn list(s: &Services, who: &Principal, q: &WebhooksQuery) -> Result<WebhookList, ServiceError> {
    who.require(MANAGE)?;
    let mut conn = s.conn()?;
    let named = nonempty(&q.agency);
    let agency = match (who.role, named) {
        (Role::Admin, None) => None,
        (_, named) => Some(agency_for(&mut conn, who, named.as_deref())?),
    };
    let rows = queries::webhooks_of(&mut conn, agency.as_ref().map(|a| a.id.as_str()))?;
    let mut ids: Vec<String> = rows.iter().map(|w| w.agency_id.clone()).collect();
    ids.sort_unstable();
    ids.dedup();
    let codes: std::collections::HashMap<String, String> =
        queries::agencies_by_ids(&mut conn, &ids)?.into_iter().map(|a| (a.id, a.code)).collect();
    let webhooks = rows
        .into_iter()
        .map(|w| WebhookAnswer {
            webhook_id: w.id,
            agency: codes.get(&w.agency_id).cloned().unwrap_or_default(),
            url: w.url,
            created_at: w.created_at,
        })
        .collect();
    Ok(WebhookList { webhooks })
}

/// Deletes a webhook (the admin's, or its own agency's): it is marked, nothing more is delivered
/// to it (its undelivered alerts stay undelivered), and no route shows it again. Audited.
pub fn delete(s: &Services, who: &Principal, id: &str) -> Result<(), ServiceError> {
    who.require(MANAGE)?;
    let hook = queries::webhook(&mut *s.conn()?, id)?.ok_or(ServiceError::NotFound("webhook"))?;
    if who.role != Role::Admin && who.agency_id.as_deref() != Some(hook.agency_id.as_str()) {
        return Err(ServiceError::NotFound("webhook"));
    }
    let who = who.clone();
    let id = id.to_owned();
    let gone = s.intake.exclusive(move |c, _, _| {
        let gone = queries::delete_webhook(c, &id, &now())?;
        if gone {
            audit(c, &who, "webhook.delete", Some(&id), None)?;
        }
        Ok(gone)
    })?;
    if gone { Ok(()) } else { Err(ServiceError::NotFound("webhook")) }
}

/// A webhook's delivery attempts, oldest first; the admin's, or its own agency's.
pub fn deliveries(s: &Services, who: &Principal, id: &str, q: &PageQuery) -> Result<DeliveryPage, ServiceError> {
    who.require(MANAGE)?;
    let mut problems = Vec::new();
    let n = limit(&mut problems, &q.limit, 100, 1000);
    let cursor = nonempty(&q.cursor);
    validated(problems, ())?;
    let mut conn = s.conn()?;
    let hook = queries::webhook(&mut conn, id)?.ok_or(ServiceError::NotFound("webhook"))?;
    if who.role != Role::Admin && who.agency_id.as_deref() != Some(hook.agency_id.as_str()) {
        return Err(ServiceError::NotFound("webhook"));
    }
    let mut rows = queries::deliveries(&mut conn, id, cursor.as_deref(), n as i64 + 1)?;
    let more = rows.len() > n;
    rows.truncate(n);
    let deliveries: Vec<Delivery> = rows
        .into_iter()
        .map(|d| Delivery {
            delivery_id: d.id,
            flag_id: d.flag_id,
            attempt: d.attempt.max(0) as u32,
            at: d.at,
            status_code: d.status_code.and_then(|c| u16::try_from(c).ok()),
            error: d.error,
            delivered: d.delivered != 0,
        })
        .collect();
    let next_cursor = if more { deliveries.last().map(|d| d.delivery_id.clone()) } else { None };
    Ok(DeliveryPage { deliveries, next_cursor })
}

/// `sha256=<hex HMAC-SHA256 of body with secret>`.
pub fn signature(secret: &str, body: &[u8]) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes()).expect("HMAC takes a key of any length");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// The time `after` from now, as stored.
fn later(after: Duration) -> String {
    let at = chrono::Utc::now() + chrono::Duration::from_std(after).unwrap_or(chrono::Duration::hours(1));
    at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// The dispatcher: copies new alerts into the outbox and delivers them (see the module's
/// notes). Runs until `alive` is gone.
pub fn start_dispatcher(pool: Pool, vault: Arc<Vault>, settings: WebhookSettings, alive: Weak<()>) {
    let agent: webhook_client::Agent = webhook_client::Agent::config_builder()
        .timeout_global(Some(Duration::from_secs(10)))
        .http_status_as_error(false)
        .max_redirects(0)
        .build()
        .into();
    let run = move || {
        while alive.upgrade().is_some() {
            std::thread::sleep(settings.poll);
            let Ok(mut conn) = pool.get() else { continue };
            if let Err(e) = round(&mut conn, &vault, &agent, &settings, &alive) {
                tracing::warn!(error = %e, "webhook delivery round stopped; tried again shortly");
            }
        }
    };
    if let Err(e) = std::thread::Builder::new().name("bawaba-webhooks".into()).spawn(run) {
        tracing::error!(error = %e, "cannot start the webhook dispatcher");
    }
}

/// One round: every webhook's new alerts enqueued, then its due ones delivered in order.
fn round(
    conn: &mut DbConn,
    vault: &Vault,
    agent: &webhook_client::Agent,
    settings: &WebhookSettings,
    alive: &Weak<()>,
) -> Result<(), ServiceError> {
    for hook in queries::all_webhooks(conn)? {
        let new = queries::alerts(conn, &hook.agency_id, Some(&hook.enqueued_through), 500)?;
        if let Some(last) = new.last().map(|f| f.id.clone()) {
            let at = now();
            let rows: Vec<OutboxRow> = new
                .into_iter()
                .map(|f| {
                    let flag_id = f.id.clone();
                    let body = serde_json::to_string(&alert_of(vault, f)?)
                        .map_err(|e| ServiceError::Internal(e.to_string()))?;
                    Ok(OutboxRow {
                        id: new_id(),
                        webhook_id: hook.id.clone(),
                        flag_id,
                        body,
                        created_at: at.clone(),
                        attempts: 0,
                        next_attempt_at: at.clone(),
                        delivered_at: None,
                    })
                })
                .collect::<Result<_, ServiceError>>()?;
            queries::enqueue(conn, &hook.id, &rows, &last)?;
        }
        let secret = vault.open(Column::Reason, &hook.secret)?;
        while let Some(head) = queries::outbox_head(conn, &hook.id)? {
            if head.next_attempt_at > now() || alive.upgrade().is_none() {
                break;
            }
            let attempt = head.attempts + 1;
            let sent = agent
                .post(&hook.url)
                .header("Content-Type", "application/json")
                .header("X-Bawaba-Signature", &signature(&secret, head.body.as_bytes()))
                .header("X-Bawaba-Delivery", &head.id)
                .send(head.body.as_bytes());
            let (status, error) = match sent {
                Ok(r) => (Some(i32::from(r.status().as_u16())), None),
                Err(e) => (None, Some(e.to_string().chars().take(300).collect::<String>())),
            };
            let ok = status.is_some_and(|c| (200..300).contains(&c));
            let wait =
                settings.backoff.saturating_mul(1u32 << (attempt - 1).clamp(0, 20) as u32).min(settings.backoff_max);
            let at = now();
            queries::record_attempt(
                conn,
                &DeliveryRow {
                    id: new_id(),
                    webhook_id: hook.id.clone(),
                    outbox_id: head.id.clone(),
                    flag_id: head.flag_id.clone(),
                    attempt,
                    at: at.clone(),
                    status_code: status,
                    error,
                    delivered: i32::from(ok),
                },
                ok.then_some(at.as_str()),
                &if ok { at.clone() } else { later(wait) },
            )?;
            if !ok {
                break;
            }
        }
    }
    Ok(())
}
