//! bawaba (بوابة, "gateway"): one intake gateway through which agencies submit assistance
//! records, and a deduplication engine that tells, before a record is stored, whether the
//! household already receives overlapping aid from someone else.
//!
//! Layers import one way: the edges, [`api`] (JSON over HTTP), [`web`] (the pages) and the CLI
//! (`main.rs`, [`config`], [`import`], [`dedup`]), each call [`service`] (the use cases, the one door to
//! the gateway's behaviour), which alone uses [`store`] (SQL) and the `bawaba-matching` engine.
//! `api` and `web` share only [`http`] (the status table, blocking, bounded bodies) and never
//! import each other; the wire types (`bawaba-wire`) are shared by all. See `ARCHITECTURE.md`.
//! This file mounts both edges; `main.rs` only parses configuration and calls in here, so
//! tests build the same app.

pub mod api;
pub mod config;
pub mod dedup;
pub mod http;
pub mod import;
pub mod metrics;
pub mod service;
pub mod store;
pub mod tls;
pub mod web;

use std::net::TcpListener;

use actix_web::{App, HttpServer, dev::Server};

use service::Services;

/// Starts the gateway on a bound listener; the returned server runs until stopped.
pub fn server(listener: TcpListener, services: Services, workers: Option<usize>) -> std::io::Result<Server> {
    server_with(listener, services, workers, None)
}

/// As [`server`], speaking HTTPS with `tls` when given (see [`tls`]).
pub fn server_with(
    listener: TcpListener,
    services: Services,
    workers: Option<usize>,
    tls: Option<rustls::ServerConfig>,
) -> std::io::Result<Server> {
    let data = actix_web::web::Data::new(services);
    let openapi = actix_web::web::Data::new(api::openapi::document());
    let http = HttpServer::new(move || {
        App::new()
            .app_data(data.clone())
            .app_data(openapi.clone())
            .app_data(api::query_config())
            .app_data(api::path_config())
            .wrap(actix_web::middleware::from_fn(api::role_gate))
            .wrap(actix_web::middleware::from_fn(http::rate_limit))
            .wrap(actix_web::middleware::from_fn(http::writer_hint))
            .wrap_fn(|req, srv| {
                use actix_web::dev::Service;
                let started = std::time::Instant::now();
                let method = req.method().as_str().to_owned();
                let metrics = req.app_data::<actix_web::web::Data<Services>>().map(|s| s.metrics.clone());
                let fut = srv.call(req);
                async move {
                    let res = fut.await?;
                    if let Some(m) = metrics {
                        let route = res.request().match_pattern().unwrap_or_else(|| "unmatched".into());
                        let status = res.status().as_u16().to_string();
                        m.requests.with_label_values(&[route.as_str(), method.as_str(), status.as_str()]).inc();
                        m.latency.with_label_values(&[route.as_str()]).observe(started.elapsed().as_secs_f64());
                    }
                    Ok(res)
                }
            })
            .wrap(
                // The path only: query strings (a searched name, a phone) are personal data.
                actix_web::middleware::Logger::new("%{method}xi %U %s %Dms")
                    .custom_request_replace("method", |req| req.method().to_string())
                    .exclude("/healthz")
                    .exclude("/readyz"),
            )
            .configure(api::routes)
            .configure(web::routes)
            .default_service(actix_web::web::to(api::not_found))
    });
    let mut http = match tls {
        Some(config) => http.listen_rustls_0_23(listener, config)?,
        None => http.listen(listener)?,
    };
    if let Some(w) = workers {
        http = http.workers(w);
    }
    Ok(http.shutdown_timeout(5).run())
}
