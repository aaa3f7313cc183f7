//! Rendering: tables for humans, JSON and NDJSON for programs.
//!
//! The JSON shapes are part of the CLI's interface (documented in the
//! README): clients are serialized by the SDK with KORE's own field names,
//! one object per client; the CLI only adds small envelopes around them.

use std::io::{self, Write};

use kore_clients::chrono::{DateTime, Utc};
use kore_clients::{Client, CreatedClient, PageMeta};
use serde::Serialize;

use crate::cli::TimeFormat;
use crate::table::Table;

/// Column titles of every client table.
const COLUMNS: [&str; 6] = ["ID", "NAME", "TYPE", "LOCKED", "OWNER", "CREATED"];

/// How `CREATED` is shown: RFC 3339 in UTC, whatever form KORE sent.
const DATE_FORMAT: &str = "%Y-%m-%dT%H:%M:%SZ";

/// Shown for a field KORE left out.
const MISSING: &str = "-";

/// `CREATED` in [`DATE_FORMAT`] or relative to now; an unparsable date is
/// shown as sent rather than hidden.
fn date_cell(parsed: Option<DateTime<Utc>>, raw: Option<&str>, time: TimeFormat) -> Option<String> {
    parsed
        .map(|d| match time {
            TimeFormat::Rfc3339 => d.format(DATE_FORMAT).to_string(),
            TimeFormat::Relative => relative(d, Utc::now()),
        })
        .or_else(|| raw.map(str::to_owned))
}

/// `3 days ago`, `in 2 hours`, `just now`.
fn relative(at: DateTime<Utc>, now: DateTime<Utc>) -> String {
    const UNITS: [(i64, &str); 5] = [
        (365 * 86_400, "year"),
        (30 * 86_400, "month"),
        (86_400, "day"),
        (3_600, "hour"),
        (60, "minute"),
    ];
    let seconds = (now - at).num_seconds();
    let Some((n, unit)) = UNITS
        .iter()
        .find(|(size, _)| seconds.abs() >= *size)
        .map(|(size, unit)| (seconds.abs() / size, *unit))
    else {
        return "just now".to_owned();
    };
    let plural = if n == 1 { "" } else { "s" };
    if seconds >= 0 {
        format!("{n} {unit}{plural} ago")
    } else {
        format!("in {n} {unit}{plural}")
    }
}

/// The row of `$client`, a listed or fetched [`Client`] or a just-created
/// [`CreatedClient`]: two types with the same accessors (a macro, not a
/// trait, because the SDK defines both and no trait of its own covers them).
macro_rules! client_row {
    ($client:expr, $time:expr) => {{
        let client = $client;
        row(
            // `Option<&str>` for a listed client, `&str` for a created one.
            client.client_id().into(),
            client.name(),
            client.client_type().map(|t| t.as_str().to_owned()),
            client.locked(),
            client.client_owner(),
            date_cell(client.date_created(), client.date_created_raw(), $time),
        )
    }};
}

fn row(
    id: Option<&str>,
    name: Option<&str>,
    client_type: Option<String>,
    locked: Option<bool>,
    owner: Option<&str>,
    created: Option<String>,
) -> [String; 6] {
    let text = |value: Option<&str>| value.unwrap_or(MISSING).to_owned();
    [
        text(id),
        text(name),
        client_type.unwrap_or_else(|| MISSING.to_owned()),
        // KORE's `locked: null` means "never locked", which is unlocked.
        match locked {
            Some(true) => "yes".to_owned(),
            Some(false) | None => "no".to_owned(),
        },
        text(owner),
        created.unwrap_or_else(|| MISSING.to_owned()),
    ]
}

/// A table of clients.
pub fn clients_table<'a>(
    clients: impl IntoIterator<Item = &'a Client>,
    time: TimeFormat,
    out: &mut impl Write,
) -> io::Result<()> {
    let mut table = Table::new(COLUMNS);
    for client in clients {
        table.push(client_row!(client, time));
    }
    table.write_to(out, crate::style::stdout())
}

/// A one-row table of a created client.
pub fn created_table(client: &CreatedClient, out: &mut impl Write) -> io::Result<()> {
    let mut table = Table::new(COLUMNS);
    table.push(client_row!(client, TimeFormat::Rfc3339));
    table.write_to(out, crate::style::stdout())
}

/// `--output name`: the id on a line of its own (made safe for a terminal).
pub fn name(client_id: Option<&str>, out: &mut impl Write) -> io::Result<()> {
    writeln!(
        out,
        "{}",
        crate::table::printable(client_id.unwrap_or(MISSING))
    )
}

/// The line under a one-page table: which clients these are and how to
/// get more. `requested` is the page asked for, used where KORE's `meta`
/// leaves a number out.
pub fn page_summary(meta: &PageMeta, shown: usize, requested: (u32, u32)) -> String {
    summary_of(
        Paging {
            page_number: meta.page_number(),
            page_size: meta.page_size(),
            count: meta.count(),
            has_next: meta.next_page_url().is_some(),
        },
        shown,
        requested,
    )
}

/// What a page summary is made of: the numbers KORE's `meta` gave.
struct Paging {
    page_number: Option<u64>,
    page_size: Option<u64>,
    count: Option<u64>,
    has_next: bool,
}

fn summary_of(meta: Paging, shown: usize, requested: (u32, u32)) -> String {
    let page = meta.page_number.unwrap_or(u64::from(requested.0));
    let size = meta.page_size.unwrap_or(u64::from(requested.1));
    let count = meta.count.unwrap_or(shown as u64);
    let first = page.saturating_sub(1).saturating_mul(size) + 1;
    let which = match count {
        0 => "no clients".to_owned(),
        1 => format!("client {first}"),
        n => format!("clients {first}-{}", first + n - 1),
    };
    let next = if meta.has_next {
        format!("more: --page {}, or --all for every client", page + 1)
    } else if count == 0 && page > 1 {
        "past the last page".to_owned()
    } else {
        "the last page".to_owned()
    };
    format!("Page {page}: {which} (page size {size}); {next}.")
}

/// `N clients.` under an `--all` table.
pub fn total_line(count: usize) -> String {
    match count {
        1 => "1 client.".to_owned(),
        n => format!("{n} clients."),
    }
}

/// `--output json` of one page.
#[derive(Serialize)]
pub struct PageJson<'a> {
    /// KORE's paging information, as integers.
    pub meta: &'a PageMeta,
    /// The page's clients.
    pub clients: &'a [Client],
}

/// `--output json` of `clients create`: the client without its secret, and
/// either where the secret went or (without `--secret-file`) the secret.
#[derive(Serialize)]
pub struct CreatedJson<'a> {
    /// KORE's fields of the new client, `client_secret` excluded.
    pub client: &'a CreatedClient,
    /// The file holding the secret, with `--secret-file`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret_file: Option<String>,
    /// The one-time secret, only without `--secret-file`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<&'a str>,
}

/// Pretty-printed JSON and a newline.
pub fn json(value: &impl Serialize, out: &mut impl Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, value)?;
    writeln!(out)
}

/// One compact JSON value on its own line.
pub fn ndjson(value: &impl Serialize, out: &mut impl Write) -> io::Result<()> {
    serde_json::to_writer(&mut *out, value)?;
    writeln!(out)
}

/// Writes a pretty-printed JSON array one element at a time, byte for byte
/// what `serde_json::to_writer_pretty` writes for the whole array, so
/// `--all --output json` needs no more memory than one client.
pub struct JsonArray<W> {
    out: W,
    written: usize,
}

impl<W: Write> JsonArray<W> {
    /// Starts an array on `out` (nothing is written until the first element
    /// or [`finish`](Self::finish)).
    pub fn new(out: W) -> Self {
        Self { out, written: 0 }
    }

    /// Appends one element.
    pub fn push(&mut self, value: &impl Serialize) -> io::Result<()> {
        self.out
            .write_all(if self.written == 0 { b"[\n" } else { b",\n" })?;
        let element = serde_json::to_string_pretty(value)?;
        for (index, line) in element.lines().enumerate() {
            if index > 0 {
                self.out.write_all(b"\n")?;
            }
            write!(self.out, "  {line}")?;
        }
        self.written += 1;
        Ok(())
    }

    /// Closes the array and adds a newline.
    pub fn finish(mut self) -> io::Result<W> {
        self.out
            .write_all(if self.written == 0 { b"[]\n" } else { b"\n]\n" })?;
        Ok(self.out)
    }

    /// The writer, e.g. to flush it between pages.
    pub fn writer(&mut self) -> &mut W {
        &mut self.out
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_streamed_array_is_what_serde_json_writes_for_the_whole_array() {
        let values = [
            json!({"client_id": "apiclient_1", "locked": null, "nested": {"a": [1, 2]}}),
            json!({"client_id": "apiclient_2", "name": "line\nbreak"}),
            json!({}),
        ];
        for n in 0..=values.len() {
            let mut array = JsonArray::new(Vec::new());
            for value in &values[..n] {
                array.push(value).unwrap();
            }
            let streamed = String::from_utf8(array.finish().unwrap()).unwrap();
            let whole = serde_json::to_string_pretty(&values[..n]).unwrap() + "\n";
            assert_eq!(streamed, whole);
        }
    }

    fn meta(count: u64, page: u64, size: u64, next: bool) -> Paging {
        Paging {
            page_number: Some(page),
            page_size: Some(size),
            count: Some(count),
            has_next: next,
        }
    }

    #[test]
    fn the_page_summary_says_where_the_page_is_and_how_to_go_on() {
        assert_eq!(
            summary_of(meta(5, 2, 5, true), 5, (2, 5)),
            "Page 2: clients 6-10 (page size 5); more: --page 3, or --all for every client."
        );
        assert_eq!(
            summary_of(meta(1, 3, 5, false), 1, (3, 5)),
            "Page 3: client 11 (page size 5); the last page."
        );
        assert_eq!(
            summary_of(meta(0, 9, 5, false), 0, (9, 5)),
            "Page 9: no clients (page size 5); past the last page."
        );
        let unknown = PageMeta::default();
        assert_eq!(
            page_summary(&unknown, 2, (1, 100)),
            "Page 1: clients 1-2 (page size 100); the last page."
        );
        assert_eq!(total_line(1), "1 client.");
        assert_eq!(total_line(250), "250 clients.");
    }

    #[test]
    fn relative_dates_read_like_speech() {
        let now = DateTime::parse_from_rfc3339("2024-04-05T12:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let at = |text: &str| {
            DateTime::parse_from_rfc3339(text)
                .unwrap()
                .with_timezone(&Utc)
        };
        assert_eq!(relative(at("2024-04-05T11:59:30Z"), now), "just now");
        assert_eq!(relative(at("2024-04-05T11:00:00Z"), now), "1 hour ago");
        assert_eq!(relative(at("2024-04-02T12:00:00Z"), now), "3 days ago");
        assert_eq!(relative(at("2023-01-01T00:00:00Z"), now), "1 year ago");
        assert_eq!(relative(at("2024-04-05T14:30:00Z"), now), "in 2 hours");
    }

    #[test]
    fn missing_fields_show_as_a_dash_and_null_lock_as_unlocked() {
        assert_eq!(
            row(None, Some("n"), None, None, None, None),
            ["-", "n", "-", "no", "-", "-"].map(str::to_owned)
        );
    }
}
