//! A minimal aligned-columns table: left-aligned cells, two spaces between
//! columns, no trailing whitespace, no colors and no terminal-width
//! detection, so the same data always renders to the same bytes.

use std::io::{self, Write};

/// Rows of text under a header.
#[derive(Debug, Clone)]
pub struct Table {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Table {
    /// An empty table with these column titles.
    pub fn new<const N: usize>(header: [&str; N]) -> Self {
        Self {
            header: header.iter().map(|h| (*h).to_owned()).collect(),
            rows: Vec::new(),
        }
    }

    /// Adds a row; cells are made safe to print (see [`printable`]).
    pub fn push(&mut self, row: impl IntoIterator<Item = String>) {
        let mut row: Vec<String> = row.into_iter().map(|cell| printable(&cell)).collect();
        row.resize(self.header.len(), String::new());
        self.rows.push(row);
    }

    /// Writes the header and the rows.
    pub fn write_to(&self, out: &mut impl Write) -> io::Result<()> {
        let widths: Vec<usize> = (0..self.header.len())
            .map(|column| {
                std::iter::once(&self.header)
                    .chain(&self.rows)
                    .map(|row| row[column].chars().count())
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        for row in std::iter::once(&self.header).chain(&self.rows) {
            let mut line = String::new();
            for (column, cell) in row.iter().enumerate() {
                if column > 0 {
                    line.push_str("  ");
                }
                line.push_str(cell);
                let pad = widths[column] - cell.chars().count();
                line.extend(std::iter::repeat_n(' ', pad));
            }
            writeln!(out, "{}", line.trim_end())?;
        }
        Ok(())
    }
}

/// Text from the server made safe for a terminal: control characters
/// (including ESC, which would let a client name recolor or rewrite the
/// screen, and newlines, which would break the columns) are escaped.
pub fn printable(text: &str) -> String {
    if !text.chars().any(char::is_control) {
        return text.to_owned();
    }
    text.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(table: &Table) -> String {
        let mut out = Vec::new();
        table.write_to(&mut out).unwrap();
        String::from_utf8(out).unwrap()
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
    fn an_empty_table_is_its_header() {
        assert_eq!(render(&Table::new(["ID", "NAME"])), "ID  NAME\n");
    }

    #[test]
    fn control_characters_cannot_reach_the_terminal() {
        assert_eq!(printable("plain"), "plain");
        assert_eq!(printable("evil\u{1b}[2Jname\nx"), "evil\\u{1b}[2Jname\\nx");
    }
}
