-- Planning (issue 11): vulnerable groups on members and records, the directory of
-- organisations and their services, and the coordinators' needs and targets.

-- The groups an agency posted for a member (comma-joined: disability, chronic_illness,
-- child_protection, women_protection); NULL when none.
ALTER TABLE persons ADD COLUMN groups TEXT;

-- Every group a record's household falls in, posted or derived (elderly, female_headed): what
-- the coverage report counts by.
CREATE TABLE record_groups (
    record_id TEXT NOT NULL,
    grp TEXT NOT NULL,
    PRIMARY KEY (record_id, grp)
);
CREATE INDEX record_groups_grp ON record_groups (grp, record_id);
-- Covering: the coverage report and the 3W read records from the index alone.
CREATE INDEX records_coverage ON records (assistance_type, governorate_code, locality_code, period_start, period_end, agency_id, household_id, id);

-- An organisation's public description (HSDS organization); its code is its agency's code.
CREATE TABLE organizations (
    code TEXT PRIMARY KEY NOT NULL,
    name_ar TEXT NOT NULL,
    name_en TEXT NOT NULL,
    kind TEXT NOT NULL,
    phone TEXT,
    email TEXT,
    website TEXT,
    description TEXT,
    updated_at TEXT NOT NULL
);

-- A service an organisation offers (HSDS service with its service areas and eligibility).
-- Closing one marks it closed; it is never deleted.
CREATE TABLE services (
    id TEXT PRIMARY KEY NOT NULL,
    organization TEXT NOT NULL,
    name TEXT NOT NULL,
    sector TEXT NOT NULL,
    groups TEXT NOT NULL,
    areas TEXT NOT NULL,
    eligibility TEXT,
    status TEXT NOT NULL,
    period_start TEXT,
    period_end TEXT,
    capacity_households INTEGER,
    phone TEXT,
    email TEXT,
    website TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX services_organization ON services (organization);

-- Needs and targets per area x sector x group x period (group '' = every household).
CREATE TABLE needs (
    area TEXT NOT NULL,
    sector TEXT NOT NULL,
    grp TEXT NOT NULL,
    period_start TEXT NOT NULL,
    period_end TEXT NOT NULL,
    households_in_need INTEGER NOT NULL,
    households_targeted INTEGER,
    source TEXT,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (area, sector, grp, period_start, period_end)
);
