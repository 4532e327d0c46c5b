//! The agencies of a caseload and their habits: script, name form, orthography, typo and
//! missing-data rates, phone formats, which members they record, and their programmes.

use crate::latin::Style;
use rand::Rng;
use serde::Serialize;

/// One assistance programme an agency runs in cycles.
#[derive(Debug, Clone, Serialize)]
pub struct Program {
    /// One of the API's assistance types.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// Base programme name; the cycle is appended (`winter-2025`, `ctp-2025-q1`).
    pub name: String,
    /// Cycle length in months; 0 means one-day distributions (no `period_end`).
    pub cycle_months: u32,
    pub amount_min: f64,
    pub amount_max: f64,
    pub currency: &'static str,
    /// Relative share of the agency's records.
    pub weight: f64,
    /// Day of month the cycles start on (1..=28).
    pub start_day: u32,
}

/// An agency and its data-entry habits (all rates are probabilities).
#[derive(Debug, Clone, Serialize)]
pub struct Agency {
    pub code: String,
    pub name: String,
    /// Relative share of all records.
    pub weight: f64,
    /// Regions served (HEB BTH RAM NAB JEN GZA); empty means everywhere.
    pub regions: Vec<&'static str>,
    /// Share of registrations written in Latin script.
    pub latin_share: f64,
    pub latin_style: Style,
    /// Share of Latin names taken from the real-spelling table rather than the romaniser.
    pub latin_table_share: f64,
    pub latin_upper: f64,
    /// Share of names written with all four parts (else grandfather dropped; a few first + family).
    pub four_parts: f64,
    pub two_parts: f64,
    pub hamza_drop: f64,
    pub ta_marbuta_as_ha: f64,
    pub alef_maqsura_as_ya: f64,
    pub abd_joined: f64,
    pub abu_joined: f64,
    pub drop_article: f64,
    /// Titles (الحاج, السيد, Haj, Mr) on older or any members.
    pub title_rate: f64,
    /// Share of names with a typing slip (a tenth of those get two).
    pub typo_rate: f64,
    pub id_missing_adult: f64,
    pub id_missing_child: f64,
    pub id_typo: f64,
    pub dob_missing: f64,
    pub dob_year_only: f64,
    pub dob_year_month: f64,
    /// Day and month swapped, or the year off by one.
    pub dob_error: f64,
    pub sex_rate: f64,
    /// Phone formats used, e.g. `+970`, `00970`, `0`, `0 spaced`, `0 dashed`, `+972`, `970`.
    pub phone_formats: Vec<&'static str>,
    pub phone_rate: f64,
    /// `all`, `head_spouse` or `head`.
    pub members: &'static str,
    /// Share of children left out even by agencies recording everyone.
    pub child_skip: f64,
    /// Share of households where the wife is registered as the head.
    pub wife_as_head: f64,
    /// Share of Latin registrations giving the wife her husband's family name.
    pub wife_husband_family: f64,
    /// Share of records that give the location in Latin script.
    pub latin_location: f64,
    /// Share of records re-registered by another clerk (fresh spelling) rather than copied.
    pub rekey_rate: f64,
    /// Share of names written family name first (lists exported sorted by surname).
    pub family_first: f64,
    /// Share of children's names written as the first name alone (adults: a tenth of it).
    pub one_word: f64,
    /// Share of spouses recorded with the head's national ID (the family's file number).
    pub id_of_head: f64,
    pub programs: Vec<Program>,
}

#[allow(clippy::too_many_arguments)]
fn prog(
    kind: &'static str,
    name: &str,
    cycle_months: u32,
    amount_min: f64,
    amount_max: f64,
    currency: &'static str,
    weight: f64,
    start_day: u32,
) -> Program {
    Program { kind, name: name.to_string(), cycle_months, amount_min, amount_max, currency, weight, start_day }
}

fn base(code: &str, name: &str) -> Agency {
    Agency {
        code: code.to_string(),
        name: name.to_string(),
        weight: 1.0,
        regions: vec![],
        latin_share: 0.0,
        latin_style: Style::English,
        latin_table_share: 0.6,
        latin_upper: 0.0,
        four_parts: 0.8,
        two_parts: 0.02,
        hamza_drop: 0.4,
        ta_marbuta_as_ha: 0.25,
        alef_maqsura_as_ya: 0.2,
        abd_joined: 0.5,
        abu_joined: 0.15,
        drop_article: 0.1,
        title_rate: 0.03,
        typo_rate: 0.04,
        id_missing_adult: 0.03,
        id_missing_child: 0.3,
        id_typo: 0.02,
        dob_missing: 0.03,
        dob_year_only: 0.05,
        dob_year_month: 0.03,
        dob_error: 0.03,
        sex_rate: 0.9,
        phone_formats: vec!["0", "+970"],
        phone_rate: 0.8,
        members: "all",
        child_skip: 0.08,
        wife_as_head: 0.03,
        wife_husband_family: 0.0,
        latin_location: 0.0,
        rekey_rate: 0.1,
        family_first: 0.005,
        one_word: 0.02,
        id_of_head: 0.005,
        programs: vec![],
    }
}

/// The eight default agencies.
pub fn default_agencies() -> Vec<Agency> {
    let mut v = Vec::new();

    let mut a = base("MOSD", "Ministry of Social Development");
    a.weight = 1.6;
    a.four_parts = 0.95;
    a.hamza_drop = 0.25;
    a.ta_marbuta_as_ha = 0.15;
    a.typo_rate = 0.02;
    a.id_missing_adult = 0.005;
    a.id_missing_child = 0.05;
    a.id_typo = 0.01;
    a.dob_year_only = 0.01;
    a.dob_missing = 0.01;
    a.phone_formats = vec!["0", "0"];
    a.programs = vec![
        prog("cash", "ctp", 3, 750.0, 1800.0, "ILS", 3.0, 1),
        prog("in_kind", "food-parcels", 0, 0.0, 0.0, "ILS", 1.0, 1),
        prog("health", "health-insurance", 12, 0.0, 0.0, "ILS", 0.5, 1),
    ];
    v.push(a);

    let mut a = base("UNRWA", "United Nations Relief and Works Agency for Palestine Refugees");
    a.weight = 1.6;
    a.latin_share = 0.3;
    a.latin_style = Style::English;
    a.four_parts = 0.7;
    a.hamza_drop = 0.5;
    a.id_missing_adult = 0.02;
    a.id_missing_child = 0.2;
    a.phone_formats = vec!["+970", "0", "00970"];
    a.programs = vec![
        prog("food", "food-basket", 3, 0.0, 0.0, "USD", 3.0, 1),
        prog("cash", "ssn-cash", 3, 100.0, 450.0, "USD", 2.0, 1),
        prog("health", "health-services", 6, 0.0, 50.0, "USD", 0.7, 1),
        prog("education", "school-support", 12, 50.0, 200.0, "USD", 0.5, 1),
    ];
    v.push(a);

    let mut a = base("WFP", "World Food Programme");
    a.weight = 1.4;
    a.latin_share = 0.65;
    a.latin_style = Style::Ala;
    a.latin_upper = 0.3;
    a.four_parts = 0.45;
    a.two_parts = 0.05;
    a.hamza_drop = 0.7;
    a.ta_marbuta_as_ha = 0.5;
    a.abd_joined = 0.7;
    a.typo_rate = 0.05;
    a.id_missing_adult = 0.05;
    a.id_missing_child = 0.9;
    a.id_typo = 0.03;
    a.dob_year_only = 0.25;
    a.members = "head_spouse";
    a.id_of_head = 0.03;
    a.phone_formats = vec!["+970", "+970 spaced", "00970"];
    a.phone_rate = 0.9;
    a.programs = vec![
        prog("food", "evoucher", 1, 300.0, 900.0, "ILS", 3.0, 5),
        prog("voucher", "fresh-food-voucher", 2, 200.0, 600.0, "ILS", 1.5, 15),
        prog("food", "gfd", 0, 0.0, 0.0, "USD", 1.0, 1),
    ];
    v.push(a);

    let mut a = base("UNICEF", "United Nations Children's Fund");
    a.weight = 1.0;
    a.latin_share = 0.5;
    a.latin_style = Style::English;
    a.four_parts = 0.6;
    a.wife_as_head = 0.35;
    a.id_missing_child = 0.1;
    a.dob_year_only = 0.02;
    a.wife_husband_family = 0.2;
    a.phone_formats = vec!["+970", "0 dashed"];
    a.latin_location = 0.3;
    a.programs = vec![
        prog("cash", "humanitarian-cash", 3, 400.0, 1200.0, "ILS", 2.5, 1),
        prog("education", "back-to-school", 12, 100.0, 300.0, "USD", 1.0, 15),
        prog("psychosocial", "mhpss", 6, 0.0, 0.0, "USD", 0.8, 1),
        prog("health", "nutrition", 3, 0.0, 0.0, "USD", 0.7, 1),
    ];
    v.push(a);

    let mut a = base("ISLAMIC-RELIEF", "Islamic Relief");
    a.weight = 0.9;
    a.latin_share = 0.2;
    a.latin_style = Style::French;
    a.title_rate = 0.25;
    a.hamza_drop = 0.6;
    a.ta_marbuta_as_ha = 0.45;
    a.alef_maqsura_as_ya = 0.4;
    a.typo_rate = 0.06;
    a.members = "head_spouse";
    a.id_missing_adult = 0.04;
    a.phone_formats = vec!["0", "0 spaced", "+972"];
    a.programs = vec![
        prog("in_kind", "ramadan-parcels", 0, 0.0, 0.0, "USD", 1.5, 1),
        prog("food", "food-parcels", 0, 0.0, 0.0, "USD", 1.5, 1),
        prog("cash", "orphan-sponsorship", 2, 150.0, 400.0, "USD", 1.5, 1),
        prog("shelter", "winterisation", 3, 200.0, 800.0, "USD", 0.8, 1),
    ];
    v.push(a);

    let mut a = base("OXFAM", "Oxfam");
    a.weight = 0.8;
    a.latin_share = 0.85;
    a.latin_style = Style::Casual;
    a.latin_table_share = 0.4;
    a.four_parts = 0.3;
    a.two_parts = 0.08;
    a.typo_rate = 0.06;
    a.members = "head_spouse";
    a.id_missing_adult = 0.08;
    a.id_typo = 0.04;
    a.dob_year_only = 0.3;
    a.dob_year_month = 0.1;
    a.dob_error = 0.06;
    a.sex_rate = 0.5;
    a.wife_as_head = 0.15;
    a.wife_husband_family = 0.3;
    a.family_first = 0.04;
    a.one_word = 0.05;
    a.phone_formats = vec!["0", "970", "+970 spaced", "0 dashed"];
    a.latin_location = 0.6;
    a.programs = vec![
        prog("cash", "mpca", 1, 500.0, 1500.0, "ILS", 2.0, 10),
        prog("livelihood", "livelihood-grants", 6, 1000.0, 4000.0, "USD", 1.0, 1),
        prog("voucher", "wash-voucher", 2, 100.0, 300.0, "ILS", 1.0, 1),
    ];
    v.push(a);

    let mut a = base("NRC", "Norwegian Refugee Council");
    a.weight = 0.7;
    a.latin_share = 0.7;
    a.latin_style = Style::Ala;
    a.latin_upper = 0.5;
    a.four_parts = 0.5;
    a.members = "head";
    a.family_first = 0.05;
    a.wife_as_head = 0.12;
    a.id_missing_adult = 0.02;
    a.dob_year_only = 0.1;
    a.phone_formats = vec!["+970", "00970"];
    a.latin_location = 0.5;
    a.programs = vec![
        prog("shelter", "shelter-repair", 3, 1000.0, 5000.0, "USD", 2.0, 1),
        prog("education", "education-support", 6, 100.0, 300.0, "USD", 1.0, 1),
        prog("cash", "cash-for-rent", 3, 300.0, 900.0, "USD", 1.5, 1),
    ];
    v.push(a);

    let mut a = base("ZAKAT-HEB", "Hebron Zakat Committee");
    a.weight = 0.5;
    a.regions = vec!["HEB"];
    a.four_parts = 0.85;
    a.hamza_drop = 0.8;
    a.ta_marbuta_as_ha = 0.6;
    a.alef_maqsura_as_ya = 0.5;
    a.abd_joined = 0.75;
    a.abu_joined = 0.4;
    a.title_rate = 0.3;
    a.typo_rate = 0.08;
    a.id_missing_adult = 0.15;
    a.id_missing_child = 0.8;
    a.id_typo = 0.05;
    a.dob_missing = 0.2;
    a.dob_year_only = 0.3;
    a.members = "head_spouse";
    a.phone_formats = vec!["0", "0 spaced", "0 dashed"];
    a.rekey_rate = 0.2;
    a.programs = vec![
        prog("cash", "monthly-aid", 1, 200.0, 600.0, "JOD", 2.0, 1),
        prog("in_kind", "eid-adahi", 0, 0.0, 0.0, "JOD", 1.0, 1),
        prog("food", "ramadan-food", 0, 0.0, 0.0, "ILS", 1.0, 1),
    ];
    v.push(a);
    v
}

/// `n` agencies: the defaults first, then made-up NGOs with drawn habits.
pub fn agencies<R: Rng + ?Sized>(n: usize, rng: &mut R) -> Vec<Agency> {
    let mut v = default_agencies();
    v.truncate(n.max(1));
    let kinds: [&'static str; 10] =
        ["cash", "food", "voucher", "in_kind", "shelter", "health", "education", "psychosocial", "livelihood", "other"];
    let styles = [Style::Ala, Style::English, Style::French, Style::Casual];
    let regions = ["HEB", "BTH", "RAM", "NAB", "JEN", "GZA"];
    while v.len() < n {
        let i = v.len() + 1;
        let mut a = base(&format!("NGO-{i:02}"), &format!("Local partner NGO {i}"));
        a.weight = rng.random_range(0.2..0.8);
        if rng.random_bool(0.4) {
            a.regions = vec![regions[rng.random_range(0..regions.len())]];
        }
        a.latin_share = if rng.random_bool(0.5) { rng.random_range(0.0..0.9) } else { 0.0 };
        a.latin_style = styles[rng.random_range(0..styles.len())];
        a.four_parts = rng.random_range(0.3..0.95);
        a.hamza_drop = rng.random_range(0.1..0.9);
        a.ta_marbuta_as_ha = rng.random_range(0.1..0.7);
        a.typo_rate = rng.random_range(0.01..0.08);
        a.id_missing_adult = rng.random_range(0.0..0.15);
        a.id_typo = rng.random_range(0.0..0.05);
        a.dob_year_only = rng.random_range(0.0..0.3);
        a.members = ["all", "head_spouse", "head"][rng.random_range(0..3)];
        a.wife_as_head = rng.random_range(0.0..0.3);
        a.phone_formats = vec!["0", "+970", "00970", "0 spaced"][..rng.random_range(1..5)].to_vec();
        let np = rng.random_range(1..4);
        for k in 0..np {
            let kind = kinds[rng.random_range(0..kinds.len())];
            let cycle = [0, 1, 2, 3, 6][rng.random_range(0..5)];
            a.programs.push(prog(
                kind,
                &format!("{}-{}", kind.replace('_', "-"), k + 1),
                cycle,
                100.0,
                1500.0,
                ["ILS", "USD", "JOD"][rng.random_range(0..3)],
                1.0,
                rng.random_range(1..29),
            ));
        }
        v.push(a);
    }
    v
}
