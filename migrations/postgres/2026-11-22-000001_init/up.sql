-- The gateway's schema. Identifiers are time-ordered UUIDs in TEXT; dates are ISO text
-- (YYYY-MM-DD, which sorts and compares correctly); timestamps are RFC 3339 text in UTC.
CREATE TABLE agencies (
    id TEXT PRIMARY KEY NOT NULL,
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    created_at TEXT NOT NULL
);

CREATE TABLE api_keys (
    id TEXT PRIMARY KEY NOT NULL,
    agency_id TEXT NOT NULL REFERENCES agencies (id),
    role TEXT NOT NULL,
    key_hash TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL
);

-- seq is the dense integer the in-memory index knows the household by.
CREATE TABLE households (
    id TEXT PRIMARY KEY NOT NULL,
    seq BIGINT NOT NULL UNIQUE,
    merged_into TEXT REFERENCES households (id),
    created_at TEXT NOT NULL
);

CREATE TABLE records (
    id TEXT PRIMARY KEY NOT NULL,
    agency_id TEXT NOT NULL REFERENCES agencies (id),
    external_id TEXT NOT NULL,
    household_id TEXT NOT NULL REFERENCES households (id),
    body_hash TEXT NOT NULL,
    answer TEXT NOT NULL,
    assistance_type TEXT NOT NULL,
    program TEXT,
    amount DOUBLE PRECISION,
    currency TEXT,
    period_start TEXT NOT NULL,
    period_end TEXT NOT NULL,
    governorate TEXT,
    locality TEXT,
    created_at TEXT NOT NULL,
    UNIQUE (agency_id, external_id)
);
CREATE INDEX records_household ON records (household_id, period_start);
CREATE INDEX records_period ON records (period_start, period_end);

-- One row per member as one record gave it; id is the dense integer the index knows.
CREATE TABLE persons (
    id BIGINT PRIMARY KEY NOT NULL,
    record_id TEXT NOT NULL REFERENCES records (id),
    household_id TEXT NOT NULL REFERENCES households (id),
    position INTEGER NOT NULL,
    role TEXT NOT NULL,
    name TEXT NOT NULL,
    national_id TEXT,
    date_of_birth TEXT,
    sex TEXT,
    phone TEXT
);
CREATE INDEX persons_record ON persons (record_id);
CREATE INDEX persons_household ON persons (household_id);
CREATE INDEX persons_national_id ON persons (national_id);

CREATE TABLE flags (
    id TEXT PRIMARY KEY NOT NULL,
    record_id TEXT NOT NULL REFERENCES records (id),
    household_id TEXT NOT NULL REFERENCES households (id),
    kind TEXT NOT NULL,
    band TEXT NOT NULL,
    score DOUBLE PRECISION NOT NULL,
    matched_household_id TEXT NOT NULL REFERENCES households (id),
    matched_record_id TEXT REFERENCES records (id),
    matched_agency_id TEXT REFERENCES agencies (id),
    overlap_type TEXT,
    overlap_from TEXT,
    overlap_to TEXT,
    evidence TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX flags_record ON flags (record_id);
CREATE INDEX flags_status ON flags (status, id);
CREATE INDEX flags_household ON flags (household_id);
CREATE INDEX flags_matched_household ON flags (matched_household_id);

CREATE TABLE reviews (
    id TEXT PRIMARY KEY NOT NULL,
    flag_id TEXT NOT NULL REFERENCES flags (id),
    agency_id TEXT REFERENCES agencies (id),
    key_id TEXT,
    role TEXT NOT NULL,
    decision TEXT NOT NULL,
    note TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX reviews_flag ON reviews (flag_id);

-- Two households a reviewer said are different people: never linked again.
CREATE TABLE dismissed_pairs (
    household_a TEXT NOT NULL REFERENCES households (id),
    household_b TEXT NOT NULL REFERENCES households (id),
    created_at TEXT NOT NULL,
    PRIMARY KEY (household_a, household_b)
);

CREATE TABLE audit_events (
    id TEXT PRIMARY KEY NOT NULL,
    at TEXT NOT NULL,
    agency_id TEXT,
    key_id TEXT,
    role TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT,
    detail TEXT
);
CREATE INDEX audit_events_at ON audit_events (at);
