//! Reading a CSV or spreadsheet file into a header and rows of cells, with the row numbers a
//! person sees when they open the file (the header is usually row 1).
//!
//! CSV: UTF-8 (with or without a BOM), or Windows-1256 when the bytes are not UTF-8 (older
//! Arabic Excel saves); the delimiter (`,`, `;` or tab) is guessed from the header line.
//! Spreadsheets (XLSX, XLSM, XLS, ODS): one sheet, the first unless named; the header is the
//! first non-empty row. Cells keep their kind, so that a date cell stays a date and a number
//! typed into an id column is not written back with a decimal point.

use std::path::Path;

use anyhow::{Context, bail};
use calamine::{Data, Reader};

/// One cell, as the file holds it.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// Nothing, or only spaces.
    Empty,
    /// Text (every CSV cell is text).
    Text(String),
    /// A spreadsheet number.
    Number(f64),
    /// A spreadsheet date cell, as year, month, day.
    Date(i32, u32, u32),
    /// A spreadsheet error such as `#N/A`.
    Error(String),
}

impl Cell {
    /// True for an empty cell or one holding only whitespace.
    pub fn is_empty(&self) -> bool {
        match self {
            Cell::Empty => true,
            Cell::Text(t) => t.trim().is_empty(),
            _ => false,
        }
    }
}

/// One data row.
#[derive(Debug, Clone)]
pub struct Row {
    /// The row number as a spreadsheet shows it (1-based, counting the header).
    pub line: usize,
    /// Cells by column; may be shorter or longer than the header.
    pub cells: Vec<Cell>,
}

impl Row {
    /// The cell in column `i`, or an empty one.
    pub fn cell(&self, i: usize) -> &Cell {
        self.cells.get(i).unwrap_or(&Cell::Empty)
    }

    /// True when every cell is empty.
    pub fn is_blank(&self) -> bool {
        self.cells.iter().all(Cell::is_empty)
    }
}

/// A file's header and data rows.
#[derive(Debug, Clone, Default)]
pub struct Table {
    /// Column headers as written (trimmed).
    pub headers: Vec<String>,
    /// Data rows, blank rows left out.
    pub rows: Vec<Row>,
    /// Notes for the user about how the file was read (encoding guessed, sheet chosen).
    pub notes: Vec<String>,
}

/// How a file is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Spreadsheet,
}

/// Tells the format from the extension, or from the first bytes when the extension says nothing.
pub fn format_of(path: &Path) -> anyhow::Result<Format> {
    let ext = path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase);
    match ext.as_deref() {
        Some("csv" | "tsv" | "txt") => Ok(Format::Csv),
        Some("xlsx" | "xlsm" | "xlsb" | "xls" | "ods") => Ok(Format::Spreadsheet),
        _ => {
            use std::io::Read;
            let mut head = [0u8; 4];
            let n = std::fs::File::open(path)
                .and_then(|mut f| f.read(&mut head))
                .with_context(|| format!("reading {}", path.display()))?;
            // ZIP (xlsx, ods) or OLE (xls) containers.
            if head[..n].starts_with(b"PK") || head[..n].starts_with(&[0xD0, 0xCF, 0x11, 0xE0]) {
                Ok(Format::Spreadsheet)
            } else {
                Ok(Format::Csv)
            }
        }
    }
}

/// Tells a header row from a title row above it.
pub type IsHeader<'a> = &'a dyn Fn(&[String]) -> bool;

/// Reads a file; `sheet` names the worksheet of a spreadsheet. The header is the first of the
/// first 30 non-blank rows that `is_header` accepts, else the first non-blank row; rows above
/// it (titles) are dropped.
pub fn read(path: &Path, sheet: Option<&str>, is_header: IsHeader<'_>) -> anyhow::Result<Table> {
    match format_of(path)? {
        Format::Csv => {
            if sheet.is_some() {
                bail!("--sheet is for spreadsheet files; {} is CSV", path.display());
            }
            let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
            read_csv(&bytes, is_header)
        }
        Format::Spreadsheet => read_spreadsheet(path, sheet, is_header),
    }
}

/// Reads CSV bytes.
pub fn read_csv(bytes: &[u8], is_header: IsHeader<'_>) -> anyhow::Result<Table> {
    let mut notes = Vec::new();
    let text: std::borrow::Cow<'_, str> = match std::str::from_utf8(bytes) {
        Ok(s) => s.into(),
        Err(_) => {
            let (decoded, _, _) = encoding_rs::WINDOWS_1256.decode(bytes);
            notes.push(
                "the file is not UTF-8: read it as Windows-1256 (Arabic); save it as \"CSV UTF-8\" to be sure"
                    .to_owned(),
            );
            decoded
        }
    };
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let delimiter = guess_delimiter(text);
    let mut reader =
        csv::ReaderBuilder::new().has_headers(false).flexible(true).delimiter(delimiter).from_reader(text.as_bytes());
    let mut rows = Vec::new();
    for result in reader.records() {
        let record = result.context("reading the CSV")?;
        let line = record.position().map_or(0, |p| usize::try_from(p.line()).unwrap_or(usize::MAX));
        let row = Row {
            line,
            cells: record
                .iter()
                .map(|c| if c.trim().is_empty() { Cell::Empty } else { Cell::Text(c.to_owned()) })
                .collect(),
        };
        if !row.is_blank() {
            rows.push(row);
        }
    }
    finish(rows, notes, is_header).context("the file is empty: no header row")
}

/// Takes the header out of the rows.
fn finish(mut rows: Vec<Row>, notes: Vec<String>, is_header: IsHeader<'_>) -> Option<Table> {
    let texts = |r: &Row| r.cells.iter().map(header_text).collect::<Vec<_>>();
    let at = rows.iter().take(30).position(|r| is_header(&texts(r))).unwrap_or(0);
    let header = rows.get(at)?;
    let headers = texts(header);
    rows.drain(..=at);
    Some(Table { headers, rows, notes })
}

/// Picks the most frequent of `,`, `;` and tab outside quotes in the first lines.
fn guess_delimiter(text: &str) -> u8 {
    let (mut comma, mut semi, mut tab, mut quoted) = (0usize, 0usize, 0usize, false);
    let head_end = text.match_indices('\n').nth(9).map_or(text.len(), |(i, _)| i);
    for c in text[..head_end].chars() {
        match c {
            '"' => quoted = !quoted,
            ',' if !quoted => comma += 1,
            ';' if !quoted => semi += 1,
            '\t' if !quoted => tab += 1,
            _ => {}
        }
    }
    if tab > comma && tab >= semi {
        b'\t'
    } else if semi > comma {
        b';'
    } else {
        b','
    }
}

fn read_spreadsheet(path: &Path, sheet: Option<&str>, is_header: IsHeader<'_>) -> anyhow::Result<Table> {
    let book =
        calamine::open_workbook_auto(path).with_context(|| format!("opening {} as a spreadsheet", path.display()))?;
    read_book(book, &path.display().to_string(), sheet, is_header)
}

/// Reads a spreadsheet (XLSX, XLS, XLSB or ODS, told by its bytes) held in memory.
pub fn read_spreadsheet_bytes(bytes: &[u8], sheet: Option<&str>, is_header: IsHeader<'_>) -> anyhow::Result<Table> {
    let book = calamine::open_workbook_auto_from_rs(std::io::Cursor::new(bytes))
        .context("opening the bytes as a spreadsheet")?;
    read_book(book, "the spreadsheet", sheet, is_header)
}

fn read_book<RS: std::io::Read + std::io::Seek>(
    mut book: calamine::Sheets<RS>,
    file: &str,
    sheet: Option<&str>,
    is_header: IsHeader<'_>,
) -> anyhow::Result<Table> {
    let names = book.sheet_names();
    let name = match sheet {
        Some(wanted) => names
            .iter()
            .find(|n| n.as_str() == wanted)
            .or_else(|| names.iter().find(|n| n.trim().eq_ignore_ascii_case(wanted.trim())))
            .cloned()
            .with_context(|| format!("no sheet named {wanted:?} in {file} (sheets: {})", names.join(", ")))?,
        None => names.first().cloned().with_context(|| format!("{file} has no sheets"))?,
    };
    let range = book.worksheet_range(&name).with_context(|| format!("reading sheet {name:?} of {file}"))?;
    let mut notes = Vec::new();
    if sheet.is_none() && names.len() > 1 {
        notes.push(format!("read sheet {name:?}, the first of {} (use --sheet to choose another)", names.len()));
    }
    let (first_row, first_col) = range.start().unwrap_or((0, 0));
    let lead = first_col as usize;
    let mut rows = Vec::new();
    for (i, cells) in range.rows().enumerate() {
        let line = first_row as usize + i + 1;
        let mut cells: Vec<Cell> = cells.iter().map(cell_of).collect();
        if lead > 0 {
            // Keep column positions as the sheet has them, so that headers line up.
            cells.splice(0..0, std::iter::repeat_n(Cell::Empty, lead));
        }
        let row = Row { line, cells };
        if !row.is_blank() {
            rows.push(row);
        }
    }
    finish(rows, notes, is_header).with_context(|| format!("sheet {name:?} of {file} is empty: no header row"))
}

fn header_text(c: &Cell) -> String {
    match c {
        Cell::Empty => String::new(),
        Cell::Text(t) => t.trim().to_owned(),
        Cell::Number(n) => format_number(*n),
        Cell::Date(y, m, d) => format!("{y:04}-{m:02}-{d:02}"),
        Cell::Error(e) => e.clone(),
    }
}

fn cell_of(d: &Data) -> Cell {
    match d {
        Data::Empty => Cell::Empty,
        Data::String(s) if s.trim().is_empty() => Cell::Empty,
        Data::String(s) => Cell::Text(s.clone()),
        Data::Int(i) => Cell::Number(*i as f64),
        Data::Float(f) => Cell::Number(*f),
        Data::Bool(b) => Cell::Text(b.to_string()),
        Data::DateTime(dt) if dt.is_datetime() => {
            let (y, m, d, ..) = dt.to_ymd_hms_milli();
            Cell::Date(i32::from(y), u32::from(m), u32::from(d))
        }
        Data::DateTime(dt) => Cell::Number(dt.as_f64()),
        Data::DateTimeIso(s) => match iso_date(s) {
            Some((y, m, d)) => Cell::Date(y, m, d),
            None => Cell::Text(s.clone()),
        },
        Data::DurationIso(s) => Cell::Text(s.clone()),
        Data::Error(e) => Cell::Error(e.to_string()),
    }
}

fn iso_date(s: &str) -> Option<(i32, u32, u32)> {
    let day = s.get(..10)?;
    let d = chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d").ok()?;
    Some((chrono::Datelike::year(&d), chrono::Datelike::month(&d), chrono::Datelike::day(&d)))
}

/// Writes a spreadsheet number as a person typed it: whole numbers without a decimal point
/// (an id or phone typed into a number cell), others as Rust prints them.
pub fn format_number(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e17 { format!("{n:.0}") } else { n.to_string() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_with_bom_semicolons_and_row_numbers() {
        let t = read_csv("\u{feff}a;b\n1;2\n\n;\n3;\"x\ny\"\n".as_bytes(), &|_| true).expect("read");
        assert_eq!(t.headers, ["a", "b"]);
        assert_eq!(t.rows.len(), 2);
        assert_eq!(t.rows[0].line, 2);
        assert_eq!(t.rows[1].line, 5);
        assert_eq!(t.rows[1].cells[1], Cell::Text("x\ny".into()));
    }

    #[test]
    fn title_rows_above_the_header_are_dropped() {
        let t =
            read_csv("Distribution, Feb 2026\n\nname,type\nx,cash\n".as_bytes(), &|h| h.iter().any(|c| c == "name"))
                .expect("read");
        assert_eq!(t.headers, ["name", "type"]);
        assert_eq!(t.rows.len(), 1);
        assert_eq!(t.rows[0].line, 4);
    }

    #[test]
    fn windows_1256_is_decoded() {
        let (bytes, _, _) = encoding_rs::WINDOWS_1256.encode("الاسم\nمحمد\n");
        let t = read_csv(&bytes, &|_| true).expect("read");
        assert_eq!(t.headers, ["الاسم"]);
        assert_eq!(t.rows[0].cells[0], Cell::Text("محمد".into()));
        assert_eq!(t.notes.len(), 1);
    }

    #[test]
    fn numbers_print_as_typed() {
        assert_eq!(format_number(401234563.0), "401234563");
        assert_eq!(format_number(750.5), "750.5");
    }
}
