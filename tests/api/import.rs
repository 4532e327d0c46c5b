//! `bawaba import`: files as agencies keep them, posted to a running gateway.

use std::path::{Path, PathBuf};
use std::time::Instant;

use bawaba::config::{Cli, Command};
use bawaba::import::{ImportArgs, Summary};
use clap::Parser;
use diesel::RunQueryDsl;

use crate::both_backends;
use crate::support::{Backend, TestApp};

/// Parses a command line as the binary would; `--no-progress` keeps test output clean.
fn args(app: &TestApp, key: &str, file: &Path, extra: &[&str]) -> ImportArgs {
    let file = file.to_string_lossy().into_owned();
    let mut argv =
        vec!["bawaba", "import", &file, "--agency", "WFP", "--url", &app.base, "--key", key, "--no-progress"];
    argv.extend_from_slice(extra);
    match Cli::try_parse_from(argv).expect("command line").command {
        Command::Import(a) => a,
        other => panic!("parsed as {other:?}"),
    }
}

fn import(app: &TestApp, key: &str, file: &Path, extra: &[&str]) -> Summary {
    bawaba::import::import(&args(app, key, file, extra)).expect("import")
}

/// The error file's lines, header left out: (row, external_id, field, problem).
fn error_lines(path: &Path) -> Vec<(usize, String, String, String)> {
    let text = std::fs::read_to_string(path).expect("error file");
    let text = text.strip_prefix('\u{feff}').expect("the error file starts with a BOM");
    let mut r = csv::Reader::from_reader(text.as_bytes());
    assert_eq!(r.headers().expect("header"), vec!["row", "external_id", "field", "problem"]);
    r.records()
        .map(|l| {
            let l = l.expect("error line");
            (l[0].parse().expect("row number"), l[1].to_owned(), l[2].to_owned(), l[3].to_owned())
        })
        .collect()
}

#[derive(diesel::QueryableByName, Debug, PartialEq)]
struct Stored {
    #[diesel(sql_type = diesel::sql_types::Text)]
    assistance_type: String,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Double>)]
    amount: Option<f64>,
    #[diesel(sql_type = diesel::sql_types::Text)]
    period_start: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    period_end: String,
}

#[derive(diesel::QueryableByName, Debug, PartialEq)]
struct Person {
    #[diesel(sql_type = diesel::sql_types::Text)]
    role: String,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    national_id: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    date_of_birth: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    sex: Option<String>,
}

fn stored(app: &TestApp, external_id: &str) -> (Stored, Vec<Person>) {
    let mut c = app.db.connect();
    let record = diesel::sql_query(format!(
        "SELECT assistance_type, amount, period_start, period_end FROM records WHERE external_id = '{external_id}'"
    ))
    .get_result::<Stored>(&mut c)
    .expect("stored record");
    let persons = diesel::sql_query(format!(
        "SELECT p.role, p.national_id, p.date_of_birth, p.sex FROM persons p JOIN records r ON r.id = p.record_id \
         WHERE r.external_id = '{external_id}' ORDER BY p.position"
    ))
    .load::<Person>(&mut c)
    .expect("stored persons");
    // National IDs are stored sealed: opened with the gateway's data key to compare.
    let vault = crate::at_rest::vault_of(&app.db);
    let persons = persons
        .into_iter()
        .map(|p| Person {
            national_id: vault
                .open_opt(bawaba::service::vault::Column::NationalId, p.national_id.as_deref())
                .expect("a sealed ID opens"),
            ..p
        })
        .collect();
    (record, persons)
}

fn temp_file(dir: &tempfile::TempDir, name: &str, text: &str) -> PathBuf {
    let path = dir.path().join(name);
    std::fs::write(&path, text).expect("write the test file");
    path
}

/// Arabic headers, an unknown column, members of one record on rows apart, a bad date, a name
/// the gateway refuses, a row without external_id; then the same file again.
fn csv_with_arabic_headers_then_rerun(backend: Backend) {
    let app = TestApp::start(backend);
    let key = app.agency("WFP", "submitter");
    let dir = tempfile::tempdir().expect("temp dir");
    let file = temp_file(
        &dir,
        "feb.csv",
        "\u{feff}الرقم المرجعي,نوع المساعدة,البرنامج,المبلغ,العملة,من,إلى,المحافظة,المنطقة,صلة القرابة,الاسم الرباعي,رقم الهوية,تاريخ الميلاد,الجنس,رقم الجوال,ملاحظات
WFP-001,نقد,winter-2026,\"1,500\",ILS,01/01/2026,31/03/2026,الخليل,يطا,رب الأسرة,محمد احمد محمود الشاعر,401234563,01/05/1980,ذكر,0599123456,زيارة
WFP-002,food,winter-2026,200,USD,2026-01-15,2026-02-15,نابلس,بلاطة,رب الأسرة,خالد يوسف عبد الله النجار,402345678,1975,ذكر,,
WFP-001,,,,,,,,,زوجة,فاطمة علي حسن الشاعر,,1984,أنثى,,
WFP-003,cash,winter-2026,300,ILS,01/01/2026,,غزة,رفح,رب الأسرة,سامي محمود علي حسن,403456789,31/02/1980,ذكر,,
WFP-003,,,,,,,,,زوجة,منى سامي محمود حسن,,1985,أنثى,,
WFP-004,cash,winter-2026,300,ILS,01/01/2026,,غزة,خانيونس,رب الأسرة,ياسر عمر خليل داود,404567891,1970,ذكر,,
WFP-004,,,,,,,,,ابن,عمر ياسر 2 داود,404567892,2005,ذكر,,
,cash,winter-2026,300,ILS,01/01/2026,,غزة,رفح,رب الأسرة,نادر حسن علي سالم,405678912,1972,ذكر,,
WFP-002,,,,,,,,,ابن,أحمد خالد يوسف النجار,,2010-03-04,ذكر,,
",
    );

    let first = import(&app, &key, &file, &[]);
    assert_eq!((first.rows, first.records), (9, 4), "{first}");
    assert_eq!((first.created, first.replayed, first.failed, first.orphan_rows), (2, 0, 2, 1), "{first}");
    assert_eq!(first.unknown_columns, ["ملاحظات"]);
    assert!(!first.is_clean());
    assert_eq!(first.errors_path, dir.path().join("feb.errors.csv"));
    let errors = error_lines(&first.errors_path);
    assert_eq!(errors.len(), 3, "{errors:?}");
    assert_eq!((errors[0].0, errors[0].1.as_str(), errors[0].2.as_str()), (5, "WFP-003", "تاريخ الميلاد"), "{errors:?}");
    assert!(errors[0].3.contains("31/02/1980"), "{errors:?}");
    // The gateway's members[1].name is the record's second row, row 8 of the file.
    assert_eq!((errors[1].0, errors[1].1.as_str(), errors[1].2.as_str()), (8, "WFP-004", "الاسم الرباعي"), "{errors:?}");
    assert!(errors[1].3.contains("digits"), "{errors:?}");
    assert_eq!((errors[2].0, errors[2].1.as_str(), errors[2].2.as_str()), (9, "", "الرقم المرجعي"), "{errors:?}");
    assert_eq!(app.db.count("records"), 2);

    let (record, persons) = stored(&app, "WFP-001");
    assert_eq!(
        record,
        Stored {
            assistance_type: "cash".into(),
            amount: Some(1500.0),
            period_start: "2026-01-01".into(),
            period_end: "2026-03-31".into()
        }
    );
    assert_eq!(
        persons,
        [
            Person {
                role: "head".into(),
                national_id: Some("401234563".into()),
                date_of_birth: Some("1980-05-01".into()),
                sex: Some("M".into())
            },
            Person {
                role: "spouse".into(),
                national_id: None,
                date_of_birth: Some("1984".into()),
                sex: Some("F".into())
            },
        ]
    );
    let (_, persons) = stored(&app, "WFP-002");
    assert_eq!(persons.iter().map(|p| p.role.as_str()).collect::<Vec<_>>(), ["head", "child"]);

    // The same file again: nothing new, nothing stored twice, the same errors.
    let counts = app.db.counts();
    let again = import(&app, &key, &file, &[]);
    assert_eq!((again.created, again.replayed, again.failed, again.orphan_rows), (0, 2, 2, 1), "{again}");
    assert_eq!(app.db.counts(), counts);
    assert_eq!(error_lines(&again.errors_path), errors);
}

/// Unusual headers taken with --map (one over an alias), a title row above the header, a
/// semicolon-separated file, and a column silenced with `HEADER=-`.
fn map_unusual_headers(backend: Backend) {
    let app = TestApp::start(backend);
    let key = app.agency("WFP", "submitter");
    let dir = tempfile::tempdir().expect("temp dir");
    let file = temp_file(
        &dir,
        "distribution.csv",
        "WFP Hebron distribution list;;;;\n\
         Case No.;Beneficiary;Kind;Distribution date;name;Remarks\n\
         H-1;Mohammed Ahmad Al-Shaer;cash;2026-02-01;ignored;x\n\
         H-2;Fatima Ali Hassan;voucher;2026-02-02;ignored;\n",
    );
    let bad = bawaba::import::import(&args(&app, &key, &file, &[]));
    let message = format!("{:#}", bad.expect_err("no column for external_id"));
    assert!(message.contains("no column for external_id"), "{message}");

    let maps = [
        "--map",
        "case no=external_id",
        "--map",
        "Beneficiary=name",
        "--map",
        "Kind=type",
        "--map",
        "Distribution date=period_start",
        "--map",
        "Remarks=-",
        "--errors",
    ];
    let errors = dir.path().join("out").with_extension("csv");
    let mut extra = maps.to_vec();
    let errors_arg = errors.to_string_lossy().into_owned();
    extra.push(&errors_arg);
    let summary = import(&app, &key, &file, &extra);
    assert_eq!((summary.rows, summary.created, summary.failed), (2, 2, 0), "{summary}");
    assert!(summary.is_clean());
    // `name` is still a column of the file, but --map gave the field to another one.
    assert_eq!(summary.unknown_columns, ["name"]);
    assert_eq!(error_lines(&errors), []);
    let (record, persons) = stored(&app, "H-2");
    assert_eq!((record.assistance_type.as_str(), record.period_end.as_str()), ("voucher", "2026-02-02"));
    assert_eq!(persons[0].role, "head");

    let unknown_field =
        Cli::try_parse_from(["bawaba", "import", "f.csv", "--agency", "WFP", "--key", "k", "--map", "X=colour"]);
    assert!(unknown_field.is_err());
}

/// A spreadsheet: the second sheet by name, date cells, numbers typed into id and amount cells.
fn xlsx_file(backend: Backend) {
    use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
    let app = TestApp::start(backend);
    let key = app.agency("WFP", "submitter");
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("february.xlsx");
    let mut book = Workbook::new();
    let notes = book.add_worksheet().set_name("Notes").expect("sheet name");
    notes.write_string(0, 0, "Sent by the Hebron office").expect("cell");
    let sheet = book.add_worksheet().set_name("Feb 2026").expect("sheet name");
    let date = Format::new().set_num_format("dd/mm/yyyy");
    let headers = [
        "External ID",
        "Type",
        "Amount",
        "Currency",
        "From",
        "To",
        "Relation",
        "Full Name",
        "ID Number",
        "DOB",
        "Gender",
    ];
    for (c, h) in headers.iter().enumerate() {
        sheet.write_string(0, c as u16, *h).expect("header");
    }
    type Ymd = (u16, u8, u8);
    #[expect(clippy::type_complexity, reason = "a table of test rows")]
    let rows: [(&str, &str, f64, &str, Ymd, &str, &str, f64, Option<Ymd>, &str); 3] = [
        (
            "X-1",
            "cash",
            1500.0,
            "ILS",
            (2026, 2, 1),
            "head",
            "Omar Khalil Daoud",
            401112223.0,
            Some((1979, 4, 12)),
            "male",
        ),
        ("X-2", "food", 80.5, "USD", (2026, 2, 3), "head", "Salma Yousef Najjar", 402223334.0, None, "female"),
        ("X-1", "", 0.0, "", (2026, 2, 1), "wife", "Huda Ahmad Daoud", 403334445.0, Some((1983, 9, 30)), "female"),
    ];
    for (i, (id, ty, amount, cur, from, role, name, nid, dob, sex)) in rows.iter().enumerate() {
        let r = i as u32 + 1;
        sheet.write_string(r, 0, *id).expect("cell");
        if !ty.is_empty() {
            sheet.write_string(r, 1, *ty).expect("cell");
            sheet.write_number(r, 2, *amount).expect("cell");
            sheet.write_string(r, 3, *cur).expect("cell");
            let from = ExcelDateTime::from_ymd(from.0, from.1, from.2).expect("date");
            sheet.write_datetime_with_format(r, 4, &from, &date).expect("cell");
            let to = ExcelDateTime::from_ymd(2026, 2, 28).expect("date");
            sheet.write_datetime_with_format(r, 5, &to, &date).expect("cell");
        }
        sheet.write_string(r, 6, *role).expect("cell");
        sheet.write_string(r, 7, *name).expect("cell");
        sheet.write_number(r, 8, *nid).expect("cell");
        if let Some((y, m, d)) = dob {
            let dob = ExcelDateTime::from_ymd(*y, *m, *d).expect("date");
            sheet.write_datetime_with_format(r, 9, &dob, &date).expect("cell");
        }
        sheet.write_string(r, 10, *sex).expect("cell");
    }
    book.save(&path).expect("save the workbook");

    let summary = import(&app, &key, &path, &["--sheet", "Feb 2026"]);
    assert_eq!((summary.rows, summary.records, summary.created, summary.failed), (3, 2, 2, 0), "{summary}");
    let (record, persons) = stored(&app, "X-1");
    assert_eq!(
        record,
        Stored {
            assistance_type: "cash".into(),
            amount: Some(1500.0),
            period_start: "2026-02-01".into(),
            period_end: "2026-02-28".into()
        }
    );
    assert_eq!(
        persons,
        [
            Person {
                role: "head".into(),
                national_id: Some("401112223".into()),
                date_of_birth: Some("1979-04-12".into()),
                sex: Some("M".into())
            },
            Person {
                role: "spouse".into(),
                national_id: Some("403334445".into()),
                date_of_birth: Some("1983-09-30".into()),
                sex: Some("F".into())
            },
        ]
    );
    let (record, _) = stored(&app, "X-2");
    assert_eq!(record.amount, Some(80.5));

    // The first sheet has no header: said so, nothing sent.
    let first_sheet = bawaba::import::import(&args(&app, &key, &path, &[]));
    assert!(first_sheet.is_err());
    let missing = bawaba::import::import(&args(&app, &key, &path, &["--sheet", "March"]));
    assert!(format!("{:#}", missing.expect_err("no such sheet")).contains("Feb 2026"));
    assert_eq!(app.db.count("records"), 2);
}

/// The key must be the submitter key of the agency named.
fn refuses_the_wrong_key(backend: Backend) {
    let app = TestApp::start(backend);
    let wfp = app.agency("WFP", "submitter");
    let unrwa = app.agency("UNRWA", "submitter");
    let caseworker = app.agency("WFP", "caseworker");
    let dir = tempfile::tempdir().expect("temp dir");
    let file = temp_file(&dir, "a.csv", "external_id,type,from,name\nA-1,cash,2026-01-01,Ali Hassan\n");
    for (key, expected) in [(&unrwa, "UNRWA"), (&caseworker, "caseworker"), (&"nonsense".to_owned(), "401")] {
        let err = bawaba::import::import(&args(&app, key, &file, &[])).expect_err("refused");
        assert!(format!("{err:#}").contains(expected), "{err:#}");
    }
    assert_eq!(app.db.count("records"), 0);
    let ok = import(&app, &wfp, &file, &[]);
    assert_eq!(ok.created, 1);
}

both_backends!(csv_with_arabic_headers_then_rerun, map_unusual_headers, xlsx_file, refuses_the_wrong_key);

/// A deterministic scramble (splitmix64), to pick names.
fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// Single-word Arabic names from the matching crate's name table, sorted.
fn arabic_names() -> Vec<String> {
    let table = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/matching/data/names_ar_latin.txt"))
        .expect("the name table");
    let mut names: Vec<String> = table
        .lines()
        .flat_map(|l| l.split(','))
        .map(str::trim)
        .filter(|f| f.chars().count() >= 3 && f.chars().all(|c| ('\u{0621}'..='\u{064A}').contains(&c)))
        .map(str::to_owned)
        .collect();
    names.sort();
    names.dedup();
    assert!(names.len() > 5_000, "{} names", names.len());
    names
}

/// Writes a CSV of `records` households of four members each, all valid and distinct: names
/// drawn from thousands, national ids and phones scattered so that no two are one typo apart
/// by construction.
fn big_csv(path: &Path, records: usize) {
    use std::fmt::Write as _;
    let names = arabic_names();
    let name = |r: usize, salt: u64| names[(mix((r as u64) << 8 | salt) % names.len() as u64) as usize].as_str();
    let places = [
        ("الخليل", "يطا"),
        ("الخليل", "دورا"),
        ("نابلس", "بلاطة"),
        ("غزة", "رفح"),
        ("غزة", "جباليا"),
        ("جنين", "قباطية"),
    ];
    let mut out = String::with_capacity(records * 4 * 160);
    out.push_str("external_id,type,program,amount,currency,from,to,governorate,locality,relation,name,national_id,dob,sex,phone\n");
    for r in 0..records {
        let (father, grandfather, family) = (name(r, 1), name(r, 2), name(r, 3));
        let head = format!("{} {father} {grandfather} {family}", name(r, 0));
        let wife = format!("{} {} {} {}", name(r, 4), name(r, 5), name(r, 6), name(r, 7));
        let son = format!("{} {} {father} {family}", name(r, 8), name(r, 0));
        let girl = format!("{} {} {father} {family}", name(r, 9), name(r, 0));
        let (gov, loc) = places[r % places.len()];
        let id = format!("WFP-BIG-{r:06}");
        let day = 1 + r % 28;
        let amount = 500 + (r % 20) * 50;
        let year = 1960 + r % 30;
        let nid = |i: usize| format!("{}", 100_000_000 + ((r * 4 + i) as u64 * 982_451_653) % 900_000_000);
        let members = [
            ("رب الأسرة", head, nid(0), format!("{:02}/{:02}/{year}", day, 1 + r % 12), "ذكر"),
            ("زوجة", wife, nid(1), format!("{}", year + 4), "أنثى"),
            ("ابن", son, nid(2), format!("{}-{:02}-{:02}", 2005 + r % 10, 1 + r % 12, day), "ذكر"),
            ("ابنة", girl, String::new(), format!("{}", 2008 + r % 10), "أنثى"),
        ];
        for (i, (role, name, nid, dob, sex)) in members.iter().enumerate() {
            if i == 0 {
                let phone = (r as u64 * 7_654_321 + 1_234_567) % 10_000_000;
                let _ = writeln!(
                    out,
                    "{id},cash,winter-2026,\"{amount},000\",ILS,{day:02}/01/2026,31/03/2026,{gov},{loc},{role},{name},{nid},{dob},{sex},059{phone:07}"
                );
            } else {
                let _ = writeln!(out, "{id},,,,,,,,,{role},{name},{nid},{dob},{sex},");
            }
        }
    }
    std::fs::write(path, out).expect("write the big CSV");
}

/// Imports `records` generated households of four, then the same file again.
fn big_import(records: usize) {
    let rows = records * 4;
    let app = TestApp::start(Backend::Sqlite);
    let key = app.agency("WFP", "submitter");
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("big.csv");
    big_csv(&path, records);
    let started = Instant::now();
    let summary = import(&app, &key, &path, &[]);
    let took = started.elapsed();
    eprintln!("{summary}\n{rows} rows in {:.1} s ({:.0} rows/s)", took.as_secs_f64(), rows as f64 / took.as_secs_f64());
    assert_eq!(
        (summary.rows, summary.records, summary.created, summary.failed),
        (rows, records, records, 0),
        "{summary}"
    );
    assert_eq!(app.db.count("records"), records as i64);
    assert_eq!(app.db.count("persons"), rows as i64);
    assert_eq!(error_lines(&summary.errors_path), []);
    let counts = app.db.counts();
    let started = Instant::now();
    let again = import(&app, &key, &path, &["--batch-size", "2000"]);
    eprintln!("re-run: {:.1} s", started.elapsed().as_secs_f64());
    assert_eq!((again.created, again.replayed, again.failed), (0, records, 0), "{again}");
    assert_eq!(again.flagged, summary.flagged);
    assert_eq!(app.db.counts(), counts);
}

/// 50,000 rows (12,500 households of four), imported in full, then replayed in full.
#[test]
fn fifty_thousand_rows() {
    big_import(12_500);
}

/// The binary knows the command.
#[test]
fn binary_import_help() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_bawaba"))
        .args(["import", "--help"])
        .output()
        .expect("run bawaba");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let help = String::from_utf8_lossy(&out.stdout);
    for flag in ["--agency", "--map", "--errors", "--batch-size", "--sheet", "BAWABA_KEY"] {
        assert!(help.contains(flag), "{flag} missing from:\n{help}");
    }
}
