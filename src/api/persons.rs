//! `/v1/persons`: erasing a person who asked to be removed (admin).

use actix_web::web::{self, Data, Json, Path};
use actix_web::{HttpRequest, post};
use bawaba_wire::life::{EraseAnswer, EraseBody};

use super::body::parse_json;
use crate::http::{blocking, read_body};
use crate::service::Services;
use crate::service::auth::Principal;
use crate::service::error::ServiceError;
use crate::service::life;

/// Removes a person's name, national ID, phone and birth date everywhere they are stored;
/// aid amounts and counts stay for reports.
#[utoipa::path(request_body = EraseBody, tag = "persons",
    params(("person_id" = String, Path, description = "a member's `person_id`, as a record or household shows it")),
    responses((status = 200, body = EraseAnswer), (status = 400), (status = 401), (status = 403), (status = 404)),
    security(("bearer" = [])))]
#[post("/persons/{person_id}/erase")]
pub async fn erase(
    who: Principal,
    s: Data<Services>,
    id: Path<String>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<Json<EraseAnswer>, ServiceError> {
    let body: EraseBody = parse_json(&read_body(&req, payload, 64 * 1024).await?)?;
    Ok(Json(blocking(move || life::erase(&s, &who, &id, body)).await?))
}
