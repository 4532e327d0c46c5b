//! The diesel schema, written in SQL types both backends share (Text, BigInt, Integer, Double),
//! so one code path serves SQLite and PostgreSQL.

diesel::table! {
    agencies (id) {
        id -> Text,
        code -> Text,
        name -> Text,
        created_at -> Text,
    }
}

diesel::table! {
    api_keys (id) {
        id -> Text,
        agency_id -> Text,
        role -> Text,
        key_hash -> Text,
        created_at -> Text,
        label -> Nullable<Text>,
        scope -> Nullable<Text>,
        expires_at -> Nullable<Text>,
        revoked_at -> Nullable<Text>,
        last_used_at -> Nullable<Text>,
    }
}

diesel::table! {
    users (id) {
        id -> Text,
        agency_id -> Text,
        username -> Text,
        display_name -> Text,
        role -> Text,
        scope -> Nullable<Text>,
        password_hash -> Text,
        disabled -> Integer,
        created_at -> Text,
        password_changed_at -> Nullable<Text>,
    }
}

diesel::table! {
    user_sessions (id_hash) {
        id_hash -> Text,
        user_id -> Text,
        csrf -> Text,
        created_at -> Text,
        used_at -> Text,
    }
}

diesel::table! {
    households (id) {
        id -> Text,
        seq -> BigInt,
        merged_into -> Nullable<Text>,
        created_at -> Text,
    }
}

diesel::table! {
    records (id) {
        id -> Text,
        agency_id -> Text,
        external_id -> Text,
        household_id -> Text,
        body_hash -> Text,
        answer -> Text,
        assistance_type -> Text,
        program -> Nullable<Text>,
        amount -> Nullable<Double>,
        currency -> Nullable<Text>,
        period_start -> Text,
        period_end -> Text,
        governorate -> Nullable<Text>,
        locality -> Nullable<Text>,
        created_at -> Text,
        governorate_code -> Nullable<Text>,
        locality_code -> Nullable<Text>,
        version -> Integer,
        withdrawn_at -> Nullable<Text>,
        withdrawn_reason -> Nullable<Text>,
    }
}

diesel::table! {
    record_versions (id) {
        id -> Text,
        record_id -> Text,
        version -> Integer,
        action -> Text,
        at -> Text,
        key_id -> Nullable<Text>,
        reason -> Nullable<Text>,
        household_id -> Text,
        assistance_type -> Text,
        program -> Nullable<Text>,
        amount -> Nullable<Double>,
        currency -> Nullable<Text>,
        period_start -> Text,
        period_end -> Text,
        governorate -> Nullable<Text>,
        locality -> Nullable<Text>,
        members -> Integer,
        decision -> Text,
    }
}

diesel::table! {
    persons (id) {
        id -> BigInt,
        record_id -> Text,
        household_id -> Text,
        position -> Integer,
        role -> Text,
        name -> Text,
        national_id -> Nullable<Text>,
        date_of_birth -> Nullable<Text>,
        sex -> Nullable<Text>,
        phone -> Nullable<Text>,
        national_id_hash -> Nullable<Text>,
        phone_hash -> Nullable<Text>,
        groups -> Nullable<Text>,
    }
}

diesel::table! {
    flags (id) {
        id -> Text,
        record_id -> Text,
        household_id -> Text,
        kind -> Text,
        band -> Text,
        score -> Double,
        matched_household_id -> Text,
        matched_record_id -> Nullable<Text>,
        matched_agency_id -> Nullable<Text>,
        overlap_type -> Nullable<Text>,
        overlap_from -> Nullable<Text>,
        overlap_to -> Nullable<Text>,
        evidence -> Text,
        status -> Text,
        created_at -> Text,
        matched_records -> Nullable<Integer>,
        evidence_id -> Nullable<Text>,
    }
}

diesel::table! {
    match_evidence (id) {
        id -> Text,
        body -> Text,
    }
}

diesel::table! {
    reviews (id) {
        id -> Text,
        flag_id -> Text,
        agency_id -> Nullable<Text>,
        key_id -> Nullable<Text>,
        role -> Text,
        decision -> Text,
        note -> Text,
        created_at -> Text,
    }
}

diesel::table! {
    dismissed_pairs (household_a, household_b) {
        household_a -> Text,
        household_b -> Text,
        created_at -> Text,
    }
}

diesel::table! {
    audit_events (id) {
        id -> Text,
        at -> Text,
        agency_id -> Nullable<Text>,
        key_id -> Nullable<Text>,
        role -> Text,
        action -> Text,
        target -> Nullable<Text>,
        detail -> Nullable<Text>,
        user_id -> Nullable<Text>,
        address -> Nullable<Text>,
    }
}

diesel::table! {
    places (code) {
        code -> Text,
        kind -> Text,
        locality_kind -> Nullable<Text>,
        name_ar -> Text,
        name_en -> Text,
        parent -> Nullable<Text>,
        lat -> Nullable<Double>,
        lon -> Nullable<Double>,
        created_at -> Text,
    }
}

diesel::table! {
    place_aliases (code, alias) {
        code -> Text,
        alias -> Text,
        created_at -> Text,
    }
}

diesel::table! {
    data_key (id) {
        id -> Integer,
        check_value -> Text,
        sealed_at -> Nullable<Text>,
    }
}

diesel::table! {
    webhooks (id) {
        id -> Text,
        agency_id -> Text,
        url -> Text,
        secret -> Text,
        created_at -> Text,
        enqueued_through -> Text,
        deleted_at -> Nullable<Text>,
    }
}

diesel::table! {
    record_groups (record_id, grp) {
        record_id -> Text,
        grp -> Text,
    }
}

diesel::table! {
    organizations (code) {
        code -> Text,
        name_ar -> Text,
        name_en -> Text,
        kind -> Text,
        phone -> Nullable<Text>,
        email -> Nullable<Text>,
        website -> Nullable<Text>,
        description -> Nullable<Text>,
        updated_at -> Text,
    }
}

diesel::table! {
    services (id) {
        id -> Text,
        organization -> Text,
        name -> Text,
        sector -> Text,
        groups -> Text,
        areas -> Text,
        eligibility -> Nullable<Text>,
        status -> Text,
        period_start -> Nullable<Text>,
        period_end -> Nullable<Text>,
        capacity_households -> Nullable<BigInt>,
        phone -> Nullable<Text>,
        email -> Nullable<Text>,
        website -> Nullable<Text>,
        created_at -> Text,
        updated_at -> Text,
    }
}

diesel::table! {
    webhook_outbox (id) {
        id -> Text,
        webhook_id -> Text,
        flag_id -> Text,
        body -> Text,
        created_at -> Text,
        attempts -> Integer,
        next_attempt_at -> Text,
        delivered_at -> Nullable<Text>,
    }
}

diesel::table! {
    webhook_deliveries (id) {
        id -> Text,
        webhook_id -> Text,
        outbox_id -> Text,
        flag_id -> Text,
        attempt -> Integer,
        at -> Text,
        status_code -> Nullable<Integer>,
        error -> Nullable<Text>,
        delivered -> Integer,
    }
}

diesel::table! {
    needs (area, sector, grp, period_start, period_end) {
        area -> Text,
        sector -> Text,
        grp -> Text,
        period_start -> Text,
        period_end -> Text,
        households_in_need -> BigInt,
        households_targeted -> Nullable<BigInt>,
        source -> Nullable<Text>,
        updated_at -> Text,
    }
}

diesel::joinable!(api_keys -> agencies (agency_id));
diesel::joinable!(users -> agencies (agency_id));
diesel::joinable!(user_sessions -> users (user_id));
diesel::joinable!(records -> agencies (agency_id));
diesel::joinable!(records -> households (household_id));
diesel::joinable!(persons -> records (record_id));
diesel::joinable!(flags -> records (record_id));
diesel::joinable!(reviews -> flags (flag_id));
diesel::joinable!(record_versions -> records (record_id));

diesel::allow_tables_to_appear_in_same_query!(
    agencies,
    api_keys,
    users,
    user_sessions,
    households,
    records,
    persons,
    flags,
    match_evidence,
    reviews,
    dismissed_pairs,
    audit_events,
    places,
    place_aliases,
    data_key,
    record_versions,
    webhooks,
    webhook_outbox,
    webhook_deliveries,
    record_groups,
    organizations,
    services,
    needs,
);
