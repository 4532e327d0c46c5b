//! Places: the gazetteer the gateway resolves every record's location with, the places and
//! spellings the admin adds to it, and the place filters of reports and search.
//!
//! Policy:
//! - **One gazetteer, shared.** [`Places`] holds the built-in gazetteer (`bawaba-places`) plus
//!   what the admin added (the `places` and `place_aliases` tables, read back at start), behind
//!   one lock: intake, check, filters and `GET /v1/places` read it; only the admin's changes
//!   write it, on the intake writer.
//! - **Never refused for a place.** A name that resolves to nothing is stored as written with
//!   a null code and counted unresolved in reports.
//! - **Resolved once, resolved again when it can help.** Stored records whose names have not
//!   resolved are resolved again at start (existing records after an upgrade, or a larger
//!   built-in gazetteer) and after each place or spelling the admin adds. A record that
//!   resolved is never changed back. Intake validates a record under the gazetteer's read lock
//!   and hands it to the writer before letting go, and the admin's change takes the write lock
//!   before the writer re-resolves: so no record resolved with the old gazetteer is stored after
//!   the re-resolution that should have caught it.
//! - **Filters take a code or any spelling.** `governorate=` reads its value as intake reads a
//!   record's governorate; `area=` names a governorate or a locality; a value that names no
//!   known place matches the records that were written so.
//! - **Changes are audited**; the log holds counts, never a record's content.

use std::collections::HashMap;

use bawaba_places::{Gazetteer, LocalityKind as GLocalityKind, Place, PlaceError, PlaceKind as GPlaceKind};
use bawaba_wire::domain::{LocalityKind, PlaceKind};
use bawaba_wire::places::{NewPlaceBody, PlaceAliasesBody, PlaceAnswer, PlaceList, PlaceOut, PlacesQuery};
use diesel::Connection;
use parking_lot::{RwLock, RwLockReadGuard};

use super::Services;
use super::audit::audit;
use super::auth::{Principal, Role};
use super::error::{FieldProblem, ServiceError, validated};
use super::ids::now;
use super::validate::{MAX_PLACE_NAME, check_place_name, has_arabic_letter, nonempty};
use crate::store::models::{PlaceAliasRow, PlaceRow};
use crate::store::queries::{self, PlaceCondition};
use crate::store::{DbConn, StoreError};

/// Who may read the gazetteer: any key.
pub const READ: &[Role] = &[Role::Admin, Role::Submitter, Role::Caseworker, Role::Auditor, Role::Coordinator];
/// Who may add places and spellings.
pub const ADMIN: &[Role] = &[Role::Admin];

/// Most spellings one request may add.
pub const MAX_ALIASES: usize = 50;

/// Records read per page when resolving stored records again.
const RESOLVE_PAGE: i64 = 2_000;

/// The gazetteer the gateway resolves with: built-in places and what the admin added.
pub struct Places {
    gazetteer: RwLock<Gazetteer>,
}

impl Places {
    /// The built-in gazetteer with the places and spellings stored by the admin. A stored place
    /// whose code a later built-in gazetteer took keeps its spellings as aliases of the
    /// built-in place; one that cannot be added any more is logged (by code) and skipped.
    pub fn load(conn: &mut DbConn) -> Result<Places, StoreError> {
        let mut g = Gazetteer::builtin();
        for row in queries::stored_places(conn)? {
            let code = row.code.clone();
            let spellings = [row.name_en.clone(), row.name_ar.clone()];
            match place_of_row(row).map(|p| g.add(p)) {
                Some(Ok(())) => {}
                Some(Err(PlaceError::DuplicateCode(_))) => {
                    for s in spellings.iter().filter(|s| !s.trim().is_empty()) {
                        let _ = g.add_alias(&code, s);
                    }
                }
                Some(Err(e)) => tracing::warn!(code = %code, error = %e, "a stored place cannot be added; skipped"),
                None => tracing::warn!(code = %code, "a stored place has an unknown kind; skipped"),
            }
        }
        for row in queries::stored_place_aliases(conn)? {
            if let Err(e) = g.add_alias(&row.code, &row.alias) {
                tracing::warn!(code = %row.code, error = %e, "a stored spelling cannot be added; skipped");
            }
        }
        Ok(Places { gazetteer: RwLock::new(g) })
    }

    /// Reads the stored places and spellings again (a follower, when the writer added some:
    /// see `service::cluster`).
    pub fn refresh(&self, conn: &mut DbConn) -> Result<(), StoreError> {
        let fresh = Places::load(conn)?.gazetteer.into_inner();
        *self.gazetteer.write() = fresh;
        Ok(())
    }

    /// The gazetteer, to read. Never hold it across a wait on the intake writer (an audit
    /// event, a submission's answer): an admin's change waits for readers on that thread.
    pub fn read(&self) -> RwLockReadGuard<'_, Gazetteer> {
        self.gazetteer.read()
    }
}

fn place_of_row(row: PlaceRow) -> Option<Place> {
    let kind = GPlaceKind::parse(&row.kind)?;
    let locality_kind = match (kind, row.locality_kind.as_deref()) {
        (GPlaceKind::Governorate, _) => None,
        (GPlaceKind::Locality, k) => Some(k.and_then(GLocalityKind::parse).unwrap_or(GLocalityKind::Unknown)),
    };
    Some(Place {
        code: row.code,
        kind,
        locality_kind,
        name_ar: row.name_ar,
        name_en: row.name_en,
        parent: row.parent,
        aliases: Vec::new(),
        lat: row.lat,
        lon: row.lon,
        geonameid: None,
    })
}

/// A place as the API shows it.
pub fn place_out(p: &Place) -> PlaceOut {
    PlaceOut {
        code: p.code.clone(),
        kind: match p.kind {
            GPlaceKind::Governorate => PlaceKind::Governorate,
            GPlaceKind::Locality => PlaceKind::Locality,
        },
        name_ar: p.name_ar.clone(),
        name_en: p.name_en.clone(),
        parent: p.parent.clone(),
        locality_kind: p.locality_kind.and_then(|k| LocalityKind::parse(k.as_str())),
        aliases: p.aliases.clone(),
        lat: p.lat,
        lon: p.lon,
    }
}

/// Resolves again the stored records whose location has not resolved in full, in pages, each
/// page's changes in one transaction; a record gains codes, never loses them. Idempotent.
/// Returns how many records changed and how many still have a name that resolves to nothing.
pub fn resolve_stored(conn: &mut DbConn, g: &Gazetteer) -> Result<(usize, usize), diesel::result::Error> {
    type Names = (Option<String>, Option<String>);
    let mut seen: HashMap<Names, (Option<String>, Option<String>)> = HashMap::new();
    let mut after: Option<String> = None;
    let (mut changed, mut left) = (0, 0);
    loop {
        let page = queries::unresolved_places(conn, after.as_deref(), RESOLVE_PAGE)?;
        let Some(last) = page.last() else { break };
        after = Some(last.id.clone());
        let mut updates: HashMap<(Option<String>, Option<String>), Vec<String>> = HashMap::new();
        for r in page {
            let (gc, lc) = seen
                .entry((r.governorate.clone(), r.locality.clone()))
                .or_insert_with(|| {
                    let found = g.resolve(r.governorate.as_deref(), r.locality.as_deref());
                    (found.governorate_code, found.locality_code)
                })
                .clone();
            let gains = (r.governorate_code.is_none() && gc.is_some()) || (r.locality_code.is_none() && lc.is_some());
            let (new_gc, new_lc) = if gains { (&gc, &lc) } else { (&r.governorate_code, &r.locality_code) };
            let still = (new_gc.is_none() && (r.governorate.is_some() || r.locality.is_some()))
                || (new_lc.is_none() && r.locality.is_some());
            left += usize::from(still);
            if gains {
                updates.entry((gc, lc)).or_default().push(r.id);
            }
        }
        if !updates.is_empty() {
            changed += conn.transaction(|c| {
                crate::store::lock_for_write(c)?;
                let mut n = 0;
                for ((gc, lc), ids) in &updates {
                    n += queries::set_record_places(c, ids, gc.as_deref(), lc.as_deref())?;
                }
                Ok::<_, diesel::result::Error>(n)
            })?;
        }
    }
    Ok((changed, left))
}

/// A place filter's value as the gazetteer reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlaceFilter {
    /// Records whose governorate resolved to this code.
    Governorate(String),
    /// Records whose locality resolved to this code.
    Locality(String),
    /// A governorate filter naming no known place: records whose governorate was written so.
    GovernorateWritten(String),
    /// An area filter naming no known place: records whose governorate or locality was
    /// written so.
    AreaWritten(String),
}

impl PlaceFilter {
    /// A `governorate=` value, read as intake reads a record's governorate: a code or any
    /// spelling of a governorate, or of a locality (its governorate).
    pub fn governorate(g: &Gazetteer, text: &str) -> PlaceFilter {
        match g.resolve(Some(text), None).governorate_code {
            Some(code) => PlaceFilter::Governorate(code),
            None => PlaceFilter::GovernorateWritten(text.trim().to_owned()),
        }
    }

    /// An `area=` value: a code or any spelling of a governorate or of a locality.
    pub fn area(g: &Gazetteer, text: &str) -> PlaceFilter {
        match g.resolve_area(text) {
            Some(p) if p.kind == GPlaceKind::Governorate => PlaceFilter::Governorate(p.code.clone()),
            Some(p) => PlaceFilter::Locality(p.code.clone()),
            None => PlaceFilter::AreaWritten(text.trim().to_owned()),
        }
    }

    /// Whether a record's location passes: its names as written and the codes they resolved
    /// to. Written names are compared after the name normalisation (case, scripts' forms).
    pub fn matches(
        &self,
        governorate: Option<&str>,
        locality: Option<&str>,
        governorate_code: Option<&str>,
        locality_code: Option<&str>,
    ) -> bool {
        match self {
            PlaceFilter::Governorate(c) => governorate_code == Some(c.as_str()),
            PlaceFilter::Locality(c) => locality_code == Some(c.as_str()),
            PlaceFilter::GovernorateWritten(t) => governorate.is_some_and(|w| same_name(w, t)),
            PlaceFilter::AreaWritten(t) => {
                governorate.is_some_and(|w| same_name(w, t)) || locality.is_some_and(|w| same_name(w, t))
            }
        }
    }

    /// Whether a filter compares names as written (it names no known place).
    pub fn is_written(&self) -> bool {
        matches!(self, PlaceFilter::GovernorateWritten(_) | PlaceFilter::AreaWritten(_))
    }

    /// The same condition for SQL: a written name is compared as [`PlaceFilter::matches`]
    /// compares it, by listing the names `written` in the store that it matches.
    pub fn condition(&self, written: &[String]) -> PlaceCondition {
        let like = |t: &str| written.iter().filter(|w| same_name(w, t)).cloned().collect();
        match self {
            PlaceFilter::Governorate(c) => PlaceCondition::GovernorateCode(c.clone()),
            PlaceFilter::Locality(c) => PlaceCondition::LocalityCode(c.clone()),
            PlaceFilter::GovernorateWritten(t) => PlaceCondition::GovernorateWritten(like(t)),
            PlaceFilter::AreaWritten(t) => PlaceCondition::AreaWritten(like(t)),
        }
    }
}

/// Whether a place name as written is the one a filter wants: as written, or after the name
/// normalisation.
fn same_name(written: &str, wanted: &str) -> bool {
    written.trim() == wanted || bawaba_matching::normalize::name(written) == bawaba_matching::normalize::name(wanted)
}

/// The `governorate=` and `area=` filters of a request, read with the gazetteer.
#[derive(Debug, Clone, Default)]
pub struct PlaceFilters {
    pub governorate: Option<PlaceFilter>,
    pub area: Option<PlaceFilter>,
}

impl PlaceFilters {
    /// Reads the values (already checked by [`super::validate::place_filter`]).
    pub fn read(s: &Services, governorate: Option<&str>, area: Option<&str>) -> PlaceFilters {
        if governorate.is_none() && area.is_none() {
            return PlaceFilters::default();
        }
        let g = s.places.read();
        PlaceFilters {
            governorate: governorate.map(|t| PlaceFilter::governorate(&g, t)),
            area: area.map(|t| PlaceFilter::area(&g, t)),
        }
    }

    /// Whether no filter is set.
    pub fn is_empty(&self) -> bool {
        self.governorate.is_none() && self.area.is_none()
    }

    /// Whether a record's location passes every filter.
    pub fn matches(
        &self,
        governorate: Option<&str>,
        locality: Option<&str>,
        governorate_code: Option<&str>,
        locality_code: Option<&str>,
    ) -> bool {
        [&self.governorate, &self.area]
            .into_iter()
            .flatten()
            .all(|f| f.matches(governorate, locality, governorate_code, locality_code))
    }

    /// Whether a filter compares names as written: its SQL conditions need the names written
    /// in the store ([`queries::written_place_names`]).
    pub fn names_written(&self) -> bool {
        [&self.governorate, &self.area].into_iter().flatten().any(PlaceFilter::is_written)
    }

    /// The filters as SQL conditions (see [`PlaceFilter::condition`]).
    pub fn conditions(&self, written: &[String]) -> Vec<PlaceCondition> {
        [&self.governorate, &self.area].into_iter().flatten().map(|f| f.condition(written)).collect()
    }
}

// ---- the use cases ----

/// `GET /v1/places`: the places of a kind, those matching `q` best first, or the localities of
/// a governorate (any key).
pub fn list(s: &Services, who: &Principal, q: &PlacesQuery) -> Result<PlaceList, ServiceError> {
    who.require(READ)?;
    let mut problems = Vec::new();
    let kind = match nonempty(&q.kind) {
        None => None,
        Some(k) => match GPlaceKind::parse(&k) {
            Some(k) => Some(k),
            None => {
                problems.push(FieldProblem::new("kind", "must be governorate or locality"));
                None
            }
        },
    };
    let text = nonempty(&q.q);
    if text.as_ref().is_some_and(|t| t.chars().count() > MAX_PLACE_NAME || t.chars().any(char::is_control)) {
        problems.push(FieldProblem::new("q", format!("must be at most {MAX_PLACE_NAME} characters")));
    }
    let parent_text = nonempty(&q.parent);
    let g = s.places.read();
    let parent = match &parent_text {
        None => None,
        Some(t) => match governorate_named(&g, t) {
            Ok(code) => Some(code),
            Err(p) => {
                problems.push(FieldProblem::new("parent", p));
                None
            }
        },
    };
    validated(problems, ())?;
    let found = match &text {
        Some(t) => g.search(t, kind),
        None => g.places(kind),
    };
    let places = found
        .into_iter()
        .filter(|p| parent.as_ref().is_none_or(|c| p.parent.as_ref() == Some(c)))
        .map(place_out)
        .collect();
    Ok(PlaceList { places, attribution: bawaba_places::GEONAMES_ATTRIBUTION.to_owned() })
}

/// The governorate a value names exactly: its code (any case) or one of its spellings as
/// written or by the loose key, never a guess (a write must not land on the wrong place).
fn governorate_named(g: &Gazetteer, text: &str) -> Result<String, String> {
    if let Some(p) = g.get(text) {
        return match p.kind {
            GPlaceKind::Governorate => Ok(p.code.clone()),
            GPlaceKind::Locality => Err(format!("{} is a locality, not a governorate", p.code)),
        };
    }
    match g.spelled(text, GPlaceKind::Governorate).as_slice() {
        [one] => Ok(one.code.clone()),
        [] => Err("names no governorate: give its code (PS-HBN) or its name".into()),
        _ => Err("names several governorates: give its code".into()),
    }
}

/// A new place's fields, checked.
struct NewPlace {
    name_en: String,
    name_ar: String,
    parent: String,
    locality_kind: GLocalityKind,
    aliases: Vec<String>,
    lat: Option<f64>,
    lon: Option<f64>,
}

/// Checks a list of spellings: each a place name, at most [`MAX_ALIASES`]; repeats dropped.
fn check_aliases(problems: &mut Vec<FieldProblem>, aliases: &[String]) -> Vec<String> {
    if aliases.len() > MAX_ALIASES {
        problems.push(FieldProblem::new("aliases", format!("must hold at most {MAX_ALIASES} spellings")));
        return Vec::new();
    }
    let mut out: Vec<String> = Vec::new();
    for (i, a) in aliases.iter().enumerate() {
        match check_place_name(a) {
            Ok(()) => {
                let a = a.trim().to_owned();
                if !out.contains(&a) {
                    out.push(a);
                }
            }
            Err(p) => problems.push(FieldProblem::new(format!("aliases[{i}]"), p)),
        }
    }
    out
}

/// Checks a new place's body against the gazetteer (the parent must be one of its
/// governorates); duplicates are checked later, under the write lock.
fn check_new(g: &Gazetteer, body: &NewPlaceBody) -> Result<NewPlace, ServiceError> {
    let mut problems = Vec::new();
    if body.kind != PlaceKind::Locality {
        problems.push(FieldProblem::new(
            "kind",
            "must be locality: the 16 governorates are fixed (ISO 3166-2); add a spelling with PATCH instead",
        ));
    }
    let name = |field: &str, v: &Option<String>, problems: &mut Vec<FieldProblem>| -> String {
        let Some(v) = v.as_deref().map(str::trim).filter(|v| !v.is_empty()) else {
            return String::new();
        };
        if let Err(p) = check_place_name(v) {
            problems.push(FieldProblem::new(field, p));
        }
        v.to_owned()
    };
    let name_en = name("name_en", &body.name_en, &mut problems);
    let name_ar = name("name_ar", &body.name_ar, &mut problems);
    if name_en.is_empty() && name_ar.is_empty() {
        problems.push(FieldProblem::new("name_en", "give name_en or name_ar (or both)"));
    }
    if !name_en.is_empty() && has_arabic_letter(&name_en) {
        problems.push(FieldProblem::new("name_en", "is in Arabic script: give it as name_ar"));
    }
    if !name_ar.is_empty() && !has_arabic_letter(&name_ar) {
        problems.push(FieldProblem::new("name_ar", "must be written in Arabic script"));
    }
    let parent = match nonempty(&body.parent) {
        None => {
            problems.push(FieldProblem::new("parent", "is required: the governorate's code or name"));
            String::new()
        }
        Some(t) if t.chars().count() > MAX_PLACE_NAME => {
            problems.push(FieldProblem::new("parent", format!("must be at most {MAX_PLACE_NAME} characters")));
            String::new()
        }
        Some(t) => governorate_named(g, &t).unwrap_or_else(|p| {
            problems.push(FieldProblem::new("parent", p));
            String::new()
        }),
    };
    let aliases = check_aliases(&mut problems, &body.aliases);
    // Within the State of Palestine, generously: 29–34° N, 34–36° E.
    let coordinate = |field: &str, v: Option<f64>, range: std::ops::RangeInclusive<f64>, problems: &mut Vec<_>| {
        if v.is_some_and(|x| !x.is_finite() || !range.contains(&x)) {
            problems.push(FieldProblem::new(
                field,
                format!("must be a WGS 84 degree between {} and {}", range.start(), range.end()),
            ));
        }
    };
    coordinate("lat", body.lat, 29.0..=34.0, &mut problems);
    coordinate("lon", body.lon, 34.0..=36.0, &mut problems);
    if body.lat.is_some() != body.lon.is_some() {
        problems.push(FieldProblem::new(if body.lat.is_some() { "lon" } else { "lat" }, "give lat and lon together"));
    }
    let locality_kind = body
        .locality_kind
        .map_or(GLocalityKind::Unknown, |k| GLocalityKind::parse(k.as_str()).unwrap_or(GLocalityKind::Unknown));
    validated(problems, NewPlace { name_en, name_ar, parent, locality_kind, aliases, lat: body.lat, lon: body.lon })
}

/// The place of the same kind another spelling already names in the same governorate (and,
/// for localities, a camp for a camp, anything else for anything else), other than `except`.
fn taken<'g>(
    g: &'g Gazetteer,
    spelling: &str,
    kind: GPlaceKind,
    governorate: Option<&str>,
    camp: bool,
    except: Option<&str>,
) -> Option<&'g Place> {
    g.spelled(spelling, kind).into_iter().find(|p| {
        Some(p.code.as_str()) != except
            && match kind {
                GPlaceKind::Governorate => true,
                GPlaceKind::Locality => p.parent.as_deref() == governorate && p.is_camp() == camp,
            }
    })
}

fn conflict(field: &str, spelling: &str, p: &Place) -> ServiceError {
    ServiceError::Conflict(format!(
        "{field}: `{spelling}` already names {} ({}); add other spellings to it with PATCH /v1/places/{}",
        p.code,
        if p.name_en.is_empty() { &p.name_ar } else { &p.name_en },
        p.code
    ))
}

/// `POST /v1/places` (admin): adds a locality, with its spellings, stored and audited; then
/// resolves again the stored records that had not resolved.
pub fn create(s: &Services, who: &Principal, body: &NewPlaceBody) -> Result<PlaceAnswer, ServiceError> {
    who.require(ADMIN)?;
    let new = check_new(&s.places.read(), body)?;
    let places = s.places.clone();
    let actor = who.clone();
    let place = s.intake.exclusive(move |conn, _, _| {
        let mut g = places.gazetteer.write();
        let camp = new.locality_kind == GLocalityKind::Camp;
        let named = [("name_en", &new.name_en), ("name_ar", &new.name_ar)];
        for (field, spelling) in named.into_iter().filter(|(_, v)| !v.is_empty()) {
            if let Some(p) = taken(&g, spelling, GPlaceKind::Locality, Some(&new.parent), camp, None) {
                return Err(conflict(field, spelling, p));
            }
        }
        for (i, a) in new.aliases.iter().enumerate() {
            if let Some(p) = taken(&g, a, GPlaceKind::Locality, Some(&new.parent), camp, None) {
                return Err(conflict(&format!("aliases[{i}]"), a, p));
            }
        }
        let code = g.new_locality_code(&new.parent, if new.name_en.is_empty() { &new.name_ar } else { &new.name_en });
        let mut place = Place::locality(&code, &new.parent, &new.name_en, &new.name_ar);
        place.locality_kind = Some(new.locality_kind);
        place.lat = new.lat;
        place.lon = new.lon;
        let mut next = g.clone();
        next.add(place.clone()).map_err(|e| ServiceError::Internal(format!("adding place {code}: {e}")))?;
        for a in &new.aliases {
            next.add_alias(&code, a).map_err(|e| ServiceError::Internal(format!("adding a spelling: {e}")))?;
        }
        let created_at = now();
        let row = PlaceRow {
            code: code.clone(),
            kind: GPlaceKind::Locality.as_str().to_owned(),
            locality_kind: Some(new.locality_kind.as_str().to_owned()),
            name_ar: new.name_ar.clone(),
            name_en: new.name_en.clone(),
            parent: Some(new.parent.clone()),
            lat: new.lat,
            lon: new.lon,
            created_at: created_at.clone(),
        };
        let aliases: Vec<PlaceAliasRow> = new
            .aliases
            .iter()
            .map(|a| PlaceAliasRow { code: code.clone(), alias: a.clone(), created_at: created_at.clone() })
            .collect();
        let detail = format!("parent={} aliases={}", new.parent, new.aliases.len());
        conn.transaction(|c| {
            crate::store::lock_for_write(c)?;
            queries::insert_place(c, &row)?;
            queries::insert_place_aliases(c, &aliases)?;
            audit(c, &actor, "place.create", Some(&code), Some(detail))
        })?;
        let out = next.get(&code).map(place_out);
        *g = next;
        out.ok_or_else(|| ServiceError::Internal(format!("place {code} missing after adding it")))
    })?;
    let records_resolved = resolve_after_change(s)?;
    Ok(PlaceAnswer { place, records_resolved })
}

/// `PATCH /v1/places/{code}` (admin): adds other spellings of a place (built-in or added),
/// stored and audited; then resolves again the stored records that had not resolved. A
/// spelling the place already has is ignored; one that names another place of the same kind in
/// the same governorate is a conflict.
pub fn add_aliases(
    s: &Services,
    who: &Principal,
    code: &str,
    body: &PlaceAliasesBody,
) -> Result<PlaceAnswer, ServiceError> {
    who.require(ADMIN)?;
    if code.len() > 64 || s.places.read().get(code).is_none() {
        return Err(ServiceError::NotFound("place"));
    }
    let mut problems = Vec::new();
    if body.aliases.is_empty() {
        problems.push(FieldProblem::new("aliases", "give at least one spelling"));
    }
    let aliases = check_aliases(&mut problems, &body.aliases);
    validated(problems, ())?;
    let places = s.places.clone();
    let actor = who.clone();
    let code = code.to_owned();
    let (place, added) = s.intake.exclusive(move |conn, _, _| {
        let mut g = places.gazetteer.write();
        let p = g.get(&code).cloned().ok_or(ServiceError::NotFound("place"))?;
        let governorate = if p.kind == GPlaceKind::Governorate { None } else { p.parent.as_deref() };
        let mut fresh = Vec::new();
        for (i, a) in aliases.iter().enumerate() {
            if p.spellings().any(|s| s == a) {
                continue;
            }
            if let Some(other) = taken(&g, a, p.kind, governorate, p.is_camp(), Some(&p.code)) {
                return Err(conflict(&format!("aliases[{i}]"), a, other));
            }
            fresh.push(a.clone());
        }
        if fresh.is_empty() {
            return Ok((place_out(&p), 0));
        }
        let mut next = g.clone();
        for a in &fresh {
            next.add_alias(&p.code, a).map_err(|e| ServiceError::Internal(format!("adding a spelling: {e}")))?;
        }
        let created_at = now();
        let rows: Vec<PlaceAliasRow> = fresh
            .iter()
            .map(|a| PlaceAliasRow { code: p.code.clone(), alias: a.clone(), created_at: created_at.clone() })
            .collect();
        let detail = format!("aliases={}", fresh.len());
        conn.transaction(|c| {
            crate::store::lock_for_write(c)?;
            queries::insert_place_aliases(c, &rows)?;
            audit(c, &actor, "place.alias", Some(&p.code), Some(detail))
        })?;
        let out = next.get(&p.code).map(place_out);
        *g = next;
        out.map(|o| (o, fresh.len())).ok_or(ServiceError::NotFound("place"))
    })?;
    let records_resolved = if added > 0 { resolve_after_change(s)? } else { 0 };
    Ok(PlaceAnswer { place, records_resolved })
}

/// After a change to the gazetteer: resolves again, on the writer (after every record handed to
/// it before the change), the stored records that had not resolved.
fn resolve_after_change(s: &Services) -> Result<usize, ServiceError> {
    let places = s.places.clone();
    s.intake.exclusive(move |conn, _, _| {
        let g = places.read();
        let (changed, left) = resolve_stored(conn, &g)?;
        tracing::info!(resolved = changed, unresolved = left, "stored records resolved again after a place change");
        Ok(changed)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_read_a_code_or_any_spelling() {
        let g = Gazetteer::builtin();
        for t in ["PS-KYS", "ps-kys", "Khan Younis", "Khan Yunis", "خانيونس", "خان يونس"] {
            assert_eq!(PlaceFilter::governorate(&g, t), PlaceFilter::Governorate("PS-KYS".into()), "{t}");
            assert_eq!(PlaceFilter::area(&g, t), PlaceFilter::Governorate("PS-KYS".into()), "{t}");
        }
        // A locality in a governorate filter means its governorate, as in a record.
        assert_eq!(PlaceFilter::governorate(&g, "Yatta"), PlaceFilter::Governorate("PS-HBN".into()));
        assert_eq!(PlaceFilter::area(&g, "يطا"), PlaceFilter::Locality("PS-HBN-YATTA".into()));
        assert_eq!(PlaceFilter::area(&g, " Atlantis "), PlaceFilter::AreaWritten("Atlantis".into()));
        let f = PlaceFilter::governorate(&g, "ATLANTIS");
        assert!(f.matches(Some("atlantis"), None, None, None));
        assert!(!f.matches(Some("Atlantida"), None, None, None));
        assert!(PlaceFilter::area(&g, "Atlantis").matches(None, Some("Atlantis"), None, None));
        assert!(PlaceFilter::Governorate("PS-HBN".into()).matches(None, Some("x"), Some("PS-HBN"), None));
        assert!(!PlaceFilter::Locality("PS-HBN-YATTA".into()).matches(Some("Hebron"), None, Some("PS-HBN"), None));
    }

    #[test]
    fn a_parent_is_named_exactly() {
        let g = Gazetteer::builtin();
        assert_eq!(governorate_named(&g, "ps-hbn"), Ok("PS-HBN".into()));
        assert_eq!(governorate_named(&g, "الخليل"), Ok("PS-HBN".into()));
        assert!(governorate_named(&g, "PS-HBN-YATTA").is_err_and(|e| e.contains("locality")));
        assert!(governorate_named(&g, "Hebrn").is_err());
    }

    #[test]
    fn a_taken_spelling_is_found_in_its_governorate_only() {
        let g = Gazetteer::builtin();
        let yatta = taken(&g, "yatta", GPlaceKind::Locality, Some("PS-HBN"), false, None);
        assert_eq!(yatta.map(|p| p.code.as_str()), Some("PS-HBN-YATTA"));
        assert!(taken(&g, "Yatta", GPlaceKind::Locality, Some("PS-NBS"), false, None).is_none());
        assert!(taken(&g, "Yatta", GPlaceKind::Locality, Some("PS-HBN"), true, None).is_none());
        assert!(taken(&g, "Yatta", GPlaceKind::Locality, Some("PS-HBN"), false, Some("PS-HBN-YATTA")).is_none());
    }
}
