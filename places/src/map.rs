//! Map geometry: the governorate boundaries (geoBoundaries ADM2, vendored in `data/geo/`)
//! projected to SVG path data, so pages can draw an inline map with no tiles and no network.
//!
//! The projection is equirectangular with the longitude scaled by the cosine of the middle
//! latitude of the data (at 31–32.5° N the distortion is under 1 %), fitted into the box with
//! the aspect kept and centred. Every coordinate lies inside `[0, width] × [0, height]`.
//! Wherever the map is shown, show [`BOUNDARIES_ATTRIBUTION`] with it.

use crate::data::ADM2_GEOJSON;
use serde_json::Value;
use std::fmt::Write;
use std::sync::OnceLock;

/// Attribution line the boundary data's licence (CC BY 4.0) asks for.
pub const BOUNDARIES_ATTRIBUTION: &str =
    "Boundaries: geoBoundaries (CC BY 4.0), www.geoboundaries.org; source: Open Data Watch.";

/// Attribution line the GeoNames licence (CC BY) asks for, for locality names and coordinates.
pub const GEONAMES_ATTRIBUTION: &str = "Place names and coordinates: GeoNames (www.geonames.org), CC BY.";

/// One governorate's outline: rings of (longitude, latitude).
struct Shape {
    code: String,
    rings: Vec<Vec<(f64, f64)>>,
}

/// The ISO 3166-2 code of a geoBoundaries `shapeISO` (`PS_JEN` → `PS-JEN`, `PS-GZA*` → `PS-GZA`).
pub(crate) fn normalize_iso(shape_iso: &str) -> String {
    shape_iso.trim().replace('_', "-").replace('*', "").to_ascii_uppercase()
}

fn ring(v: &Value) -> Option<Vec<(f64, f64)>> {
    v.as_array()?.iter().map(|pt| Some((pt.get(0)?.as_f64()?, pt.get(1)?.as_f64()?))).collect()
}

fn parse(geojson: &str) -> Result<Vec<Shape>, String> {
    let v: Value = serde_json::from_str(geojson).map_err(|e| e.to_string())?;
    let features = v.get("features").and_then(Value::as_array).ok_or("no features")?;
    let mut shapes = Vec::new();
    for f in features {
        let iso = f.pointer("/properties/shapeISO").and_then(Value::as_str).ok_or("feature without shapeISO")?;
        let geometry = f.get("geometry").ok_or("feature without geometry")?;
        let coords = geometry.get("coordinates").and_then(Value::as_array).ok_or("geometry without coordinates")?;
        let polygons: Vec<&Value> = match geometry.get("type").and_then(Value::as_str) {
            Some("Polygon") => vec![geometry.get("coordinates").ok_or("no coordinates")?],
            Some("MultiPolygon") => coords.iter().collect(),
            other => return Err(format!("{iso}: unsupported geometry {other:?}")),
        };
        let mut rings = Vec::new();
        for poly in polygons {
            for r in poly.as_array().ok_or("polygon is not an array")? {
                rings.push(ring(r).ok_or_else(|| format!("{iso}: bad ring"))?);
            }
        }
        shapes.push(Shape { code: normalize_iso(iso), rings });
    }
    shapes.sort_by(|a, b| a.code.cmp(&b.code));
    Ok(shapes)
}

fn shapes() -> &'static [Shape] {
    static SHAPES: OnceLock<Vec<Shape>> = OnceLock::new();
    SHAPES.get_or_init(|| parse(ADM2_GEOJSON).expect("the embedded boundary file parses (tested)"))
}

/// A projection of longitude/latitude into a `width × height` box.
#[derive(Debug, Clone, Copy)]
struct Projection {
    lon0: f64,
    lat1: f64,
    k: f64,
    scale: f64,
    ox: f64,
    oy: f64,
}

impl Projection {
    fn fit(width: f64, height: f64) -> Projection {
        let (mut lon0, mut lon1, mut lat0, mut lat1) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
        for (lon, lat) in shapes().iter().flat_map(|s| s.rings.iter().flatten()) {
            lon0 = lon0.min(*lon);
            lon1 = lon1.max(*lon);
            lat0 = lat0.min(*lat);
            lat1 = lat1.max(*lat);
        }
        let k = ((lat0 + lat1) / 2.0).to_radians().cos();
        let dx = ((lon1 - lon0) * k).max(f64::EPSILON);
        let dy = (lat1 - lat0).max(f64::EPSILON);
        let (width, height) = (width.max(0.0), height.max(0.0));
        let scale = (width / dx).min(height / dy);
        Projection { lon0, lat1, k, scale, ox: (width - dx * scale) / 2.0, oy: (height - dy * scale) / 2.0 }
    }

    fn project(&self, lon: f64, lat: f64) -> (f64, f64) {
        (self.ox + (lon - self.lon0) * self.k * self.scale, self.oy + (self.lat1 - lat) * self.scale)
    }
}

/// Rounds to one decimal, never outside `[0, max]`.
fn round(v: f64, max: f64) -> f64 {
    ((v * 10.0).round() / 10.0).clamp(0.0, max.max(0.0))
}

/// SVG path data (`d`) of each of the 16 governorates, by ISO 3166-2 code, fitted into a
/// `width × height` box (one decimal; absolute `M`/`L`/`Z` commands).
///
/// ```
/// let paths = bawaba_places::governorate_paths(400.0, 600.0);
/// assert_eq!(paths.len(), 16);
/// assert!(paths.iter().any(|(code, d)| code == "PS-JEN" && d.starts_with('M')));
/// ```
pub fn governorate_paths(width: f64, height: f64) -> Vec<(String, String)> {
    let pr = Projection::fit(width, height);
    shapes()
        .iter()
        .map(|s| {
            let mut d = String::new();
            for r in &s.rings {
                let mut last: Option<(f64, f64)> = None;
                for (n, &(lon, lat)) in r.iter().enumerate() {
                    let (x, y) = pr.project(lon, lat);
                    let p = (round(x, width), round(y, height));
                    if last == Some(p) {
                        continue;
                    }
                    let _ = write!(d, "{}{},{}", if n == 0 { 'M' } else { 'L' }, p.0, p.1);
                    last = Some(p);
                }
                d.push('Z');
            }
            (s.code.clone(), d)
        })
        .collect()
}

/// A label point of each governorate in the same box as [`governorate_paths`]: the area
/// centroid of its largest ring.
pub fn governorate_centroids(width: f64, height: f64) -> Vec<(String, (f64, f64))> {
    let pr = Projection::fit(width, height);
    shapes()
        .iter()
        .map(|s| {
            let mut best = (0.0f64, (0.0, 0.0));
            for r in &s.rings {
                let pts: Vec<(f64, f64)> = r.iter().map(|&(lon, lat)| pr.project(lon, lat)).collect();
                let (mut a, mut cx, mut cy) = (0.0, 0.0, 0.0);
                for w in pts.windows(2) {
                    let ((x0, y0), (x1, y1)) = (w[0], w[1]);
                    let cross = x0 * y1 - x1 * y0;
                    a += cross;
                    cx += (x0 + x1) * cross;
                    cy += (y0 + y1) * cross;
                }
                let c = if a.abs() > f64::EPSILON {
                    (cx / (3.0 * a), cy / (3.0 * a))
                } else {
                    let n = pts.len().max(1) as f64;
                    (pts.iter().map(|p| p.0).sum::<f64>() / n, pts.iter().map(|p| p.1).sum::<f64>() / n)
                };
                if a.abs() >= best.0 {
                    best = (a.abs(), c);
                }
            }
            let (x, y) = best.1;
            (s.code.clone(), (round(x, width), round(y, height)))
        })
        .collect()
}

/// Projects a point (latitude, longitude) into the same box as [`governorate_paths`], for
/// drawing localities; a point outside the data's extent may fall outside the box.
pub fn project(lat: f64, lon: f64, width: f64, height: f64) -> (f64, f64) {
    Projection::fit(width, height).project(lon, lat)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_quirks() {
        assert_eq!(normalize_iso("PS_JEN"), "PS-JEN");
        assert_eq!(normalize_iso("PS-GZA*"), "PS-GZA");
        assert_eq!(normalize_iso("PS-RBH*"), "PS-RBH");
    }

    #[test]
    fn sixteen_shapes() {
        let s = shapes();
        assert_eq!(s.len(), 16);
        assert!(s.iter().all(|s| !s.rings.is_empty() && s.rings.iter().all(|r| r.len() >= 4)));
    }
}
