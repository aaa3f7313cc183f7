//! A minimal aligned-columns table: left-aligned cells, two spaces between
//! columns, no trailing whitespace and no terminal-width detection, so the
//! same data always renders to the same bytes. Columns are as wide as their
//! widest cell *on screen* (CJK and emoji take two columns), and text from
//! the server cannot steer the terminal (control and bidi characters are
//! shown escaped).

use std::io::{self, Write};

use unicode_width::UnicodeWidthStr as _;

/// Rows of text, under a header unless the table is [`Table::untitled`].
#[derive(Debug, Clone)]
pub struct Table {
    header: Vec<String>,
    titled: bool,
    rows: Vec<Vec<String>>,
}

impl Table {
    /// An empty table with these column titles.
    pub fn new<const N: usize>(header: [&str; N]) -> Self {
        Self {
            header: header.iter().map(|h| (*h).to_owned()).collect(),
            titled: true,
            rows: Vec::new(),
        }
    }

    /// An empty table of `columns` columns without a header line (a report
    /// section whose heading says what the columns hold).
    pub fn untitled(columns: usize) -> Self {
        Self {
            header: vec![String::new(); columns],
            titled: false,
            rows: Vec::new(),
        }
    }

    /// Adds a row; cells are made safe to print (see [`printable`]).
    pub fn push(&mut self, row: impl IntoIterator<Item = String>) {
        let mut row: Vec<String> = row.into_iter().map(|cell| printable(&cell)).collect();
        row.resize(self.header.len(), String::new());
        self.rows.push(row);
    }

    /// Writes the header (bold when `color`) and the rows.
    pub fn write_to(&self, out: &mut impl Write, color: bool) -> io::Result<()> {
        self.lines(color)
            .iter()
            .try_for_each(|line| writeln!(out, "{line}"))
    }

    /// The header (bold when `color`; none when untitled) and then each row,
    /// one line each.
    pub fn lines(&self, color: bool) -> Vec<String> {
        let widths: Vec<usize> = (0..self.header.len())
            .map(|column| {
                std::iter::once(&self.header)
                    .chain(&self.rows)
                    .map(|row| row[column].width())
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let header = self.titled.then_some(&self.header);
        let rows = header.into_iter().chain(&self.rows).map(|row| {
            let mut line = String::new();
            for (column, cell) in row.iter().enumerate() {
                if column > 0 {
                    line.push_str("  ");
                }
                line.push_str(cell);
                line.extend(std::iter::repeat_n(' ', widths[column] - cell.width()));
            }
            line.trim_end().to_owned()
        });
        rows.enumerate()
            .map(|(index, line)| match index {
                0 if self.titled => crate::style::paint(&line, "1", color),
                _ => line,
            })
            .collect()
    }
}

/// Text from the server made safe for a terminal: control characters
/// (including ESC, which would let a client name recolor or rewrite the
/// screen, and newlines, which would break the columns) and bidirectional
/// overrides (which would let a name reorder the columns after it, or
/// disguise itself) are escaped.
pub fn printable(text: &str) -> String {
    if !text.chars().any(unsafe_for_terminal) {
        return text.to_owned();
    }
    text.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_default().to_string()
            } else if unsafe_for_terminal(c) {
                c.escape_unicode().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

fn unsafe_for_terminal(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            // Arabic letter mark, LRM/RLM, LRE/RLE/PDF/LRO/RLO, LRI/RLI/FSI/PDI.
            '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(table: &Table) -> String {
        let mut out = Vec::new();
        table.write_to(&mut out, false).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn wide_characters_take_two_columns() {
        let mut table = Table::new(["NAME", "TYPE"]);
        table.push(["車両管理".to_owned(), "admin".to_owned()]);
        table.push(["fleet 🚚".to_owned(), "standard".to_owned()]);
        table.push(["plain".to_owned(), "admin".to_owned()]);
        assert_eq!(
            render(&table),
            "NAME      TYPE\n\
             車両管理  admin\n\
             fleet 🚚  standard\n\
             plain     admin\n"
        );
    }

    #[test]
    fn bidi_overrides_are_escaped() {
        assert_eq!(printable("abc\u{202E}fed"), "abc\\u{202e}fed");
        assert_eq!(printable("x\u{2066}y\u{2069}"), "x\\u{2066}y\\u{2069}");
        assert_eq!(printable("Ünïcode 車"), "Ünïcode 車");
    }

    #[test]
    fn the_header_is_bold_only_in_colour() {
        let table = Table::new(["ID"]);
        let mut out = Vec::new();
        table.write_to(&mut out, true).unwrap();
        assert_eq!(out, b"\x1b[1mID\x1b[0m\n");
    }

    #[test]
    fn columns_align_on_the_widest_cell() {
        let mut table = Table::new(["ID", "NAME", "LOCKED"]);
        table.push(["a".to_owned(), "Fleet sync".to_owned(), "no".to_owned()]);
        table.push(["abcdef".to_owned(), "Ünïcode".to_owned(), String::new()]);
        assert_eq!(
            render(&table),
            "ID      NAME        LOCKED\n\
             a       Fleet sync  no\n\
             abcdef  Ünïcode\n"
        );
    }

    #[test]
    fn an_untitled_table_is_its_aligned_rows() {
        let mut table = Table::untitled(2);
        table.push([
            "listClient 200".to_owned(),
            "/meta/next_page_url".to_owned(),
        ]);
        table.push(["getClient 200".to_owned(), "/client".to_owned()]);
        assert_eq!(
            table.lines(true),
            [
                "listClient 200  /meta/next_page_url",
                "getClient 200   /client"
            ]
        );
    }

    #[test]
    fn an_empty_table_is_its_header() {
        assert_eq!(render(&Table::new(["ID", "NAME"])), "ID  NAME\n");
    }

    #[test]
    fn control_characters_cannot_reach_the_terminal() {
        assert_eq!(printable("plain"), "plain");
        assert_eq!(printable("evil\u{1b}[2Jname\nx"), "evil\\u{1b}[2Jname\\nx");
    }
}
