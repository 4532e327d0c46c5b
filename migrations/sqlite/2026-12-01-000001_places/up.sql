-- Places: what the admin adds to the gazetteer the binary ships with (bawaba-places), kept so
-- it survives a restart (read into the gazetteer at start), and the codes each record's
-- location resolves to.

-- A place the admin added (POST /v1/places). Its code is never reused or changed.
CREATE TABLE places (
    code TEXT PRIMARY KEY NOT NULL,
    kind TEXT NOT NULL,
    locality_kind TEXT,
    name_ar TEXT NOT NULL,
    name_en TEXT NOT NULL,
    parent TEXT,
    lat DOUBLE PRECISION,
    lon DOUBLE PRECISION,
    created_at TEXT NOT NULL
);

-- Another spelling of a place, built-in or added (PATCH /v1/places/{code}, or the aliases of a
-- POST). No foreign key: most aliases are of built-in places, which have no row.
CREATE TABLE place_aliases (
    code TEXT NOT NULL,
    alias TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (code, alias)
);

-- The codes a record's location resolves to; NULL when the names resolve to nothing (the text
-- is kept as written). Existing rows are resolved by the gateway at start, in Rust.
ALTER TABLE records ADD COLUMN governorate_code TEXT;
ALTER TABLE records ADD COLUMN locality_code TEXT;
CREATE INDEX records_governorate_code ON records (governorate_code, period_start);
CREATE INDEX records_locality_code ON records (locality_code, period_start);
