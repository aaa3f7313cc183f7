//! The doctor's report as it is printed: kore-conformance's judgment of the
//! calls ([`live::Report`]) and the client `--include-create` made, as text
//! for humans or as one JSON object for CI.

use std::io::{self, Write};

use kore_conformance::live;
use serde::Serialize;

use crate::table::Table;

/// The client `--include-create` created, without its secret.
#[derive(Debug, Clone, Serialize)]
pub struct Created {
    /// Its id, if KORE sent one.
    pub client_id: Option<String>,
    /// Where its one-time secret (or KORE's raw answer) was written.
    pub secret_file: String,
    /// Whether the file holds KORE's raw answer because no secret could be read.
    pub raw_answer_saved: bool,
}

/// What `kore doctor` prints.
#[derive(Debug, Serialize)]
pub struct DoctorReport {
    #[serde(flatten)]
    pub live: live::Report,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created: Option<Created>,
}

/// What each correction status means, one line each.
const LEGEND: [&str; 6] = [
    "  needed          an answer (or an accepted request) is valid only with the correction",
    "  not-observed    what was seen is valid without it (values not seen may still need it)",
    "  contradicted    the server refused a request that only the correction allows",
    "  not-checked     no call it affects was made (createClient: --include-create)",
    "  not-applicable  it changes no response or query parameter (a name, a header): live",
    "                  answers cannot tell",
];

/// Evidence lines shown under a correction; JSON lists them all.
const EVIDENCE_SHOWN: usize = 3;

impl DoctorReport {
    /// The report as one pretty-printed JSON object.
    pub fn write_json(&self, out: &mut impl Write) -> io::Result<()> {
        serde_json::to_writer_pretty(&mut *out, self)?;
        writeln!(out)
    }

    /// The report for humans.
    pub fn write_text(&self, out: &mut impl Write) -> io::Result<()> {
        let report = &self.live;
        writeln!(
            out,
            "kore doctor: {} against the merged spec (KORE Client API {})",
            report.base_url, report.api_version
        )?;

        writeln!(out, "\nCalls")?;
        let mut calls = Table::untitled(4);
        for call in &report.calls {
            let outcome = match (&call.status, &call.error, &call.skipped, &call.note) {
                (Some(status), ..) => format!("HTTP {status}"),
                (_, Some(error), ..) => format!("failed: {error}"),
                (_, _, Some(why), _) => format!("not run: {why}"),
                (.., Some(note)) => note.clone(),
                _ => String::new(),
            };
            calls.push([
                call.operation.clone(),
                call.method.clone(),
                call.path.clone(),
                outcome,
            ]);
        }
        write_indented(out, calls.lines(false))?;

        if report.deviations.is_empty() {
            writeln!(
                out,
                "\nDeviations: none. Every answer matches the merged spec."
            )?;
        } else {
            writeln!(
                out,
                "\nDeviations ({}): what the live API sends that the merged spec and the generated types do not expect",
                report.deviations.len()
            )?;
            let mut deviations = Table::untitled(4);
            for d in &report.deviations {
                deviations.push([
                    format!("{} {}", d.operation, d.status),
                    if d.pointer.is_empty() {
                        "(body)".to_owned()
                    } else {
                        d.pointer.clone()
                    },
                    d.kind.clone(),
                    d.message.clone(),
                ]);
            }
            write_indented(out, deviations.lines(false))?;
        }

        if !report.observations.is_empty() {
            writeln!(out, "\nObservations (what the spec leaves open)")?;
            let mut observations = Table::untitled(3);
            for o in &report.observations {
                let seen: Vec<String> = o
                    .seen
                    .iter()
                    .map(|(form, n)| format!("{form} ×{n}"))
                    .collect();
                observations.push([
                    format!("{} {}", o.operation, o.status),
                    o.at.clone(),
                    seen.join(", "),
                ]);
            }
            write_indented(out, observations.lines(false))?;
        }

        writeln!(
            out,
            "\nCorrections (openapi/corrections.json, as recorded in the merged spec)"
        )?;
        let mut corrections = Table::untitled(3);
        for c in &report.corrections {
            corrections.push([
                c.id.clone(),
                c.status.as_str().to_owned(),
                if c.affects.is_empty() {
                    "-".to_owned()
                } else {
                    c.affects.join(", ")
                },
            ]);
        }
        // Each correction's row, then its evidence (not part of the columns).
        for (row, correction) in corrections
            .lines(false)
            .into_iter()
            .zip(&report.corrections)
        {
            write_indented(out, [row])?;
            for evidence in correction.evidence.iter().take(EVIDENCE_SHOWN) {
                let place = if evidence.operation.is_empty() {
                    String::new()
                } else {
                    format!(
                        "{} {} {}: ",
                        evidence.operation, evidence.status, evidence.at
                    )
                };
                writeln!(out, "      {place}{}", evidence.message)?;
            }
            if correction.evidence.len() > EVIDENCE_SHOWN {
                writeln!(
                    out,
                    "      … and {} more (--output json lists all)",
                    correction.evidence.len() - EVIDENCE_SHOWN
                )?;
            }
        }
        writeln!(out)?;
        for line in LEGEND {
            writeln!(out, "{line}")?;
        }

        if let Some(created) = &self.created {
            writeln!(
                out,
                "\nCreated {} (locked). {} written to {} (mode 0600).",
                created
                    .client_id
                    .as_deref()
                    .unwrap_or("a client without an id"),
                if created.raw_answer_saved {
                    "KORE's raw answer (no secret could be read from it) was"
                } else {
                    "Its one-time secret was"
                },
                created.secret_file
            )?;
        }
        Ok(())
    }
}

/// A report section's table lines, set in under its heading.
fn write_indented(out: &mut impl Write, lines: impl IntoIterator<Item = String>) -> io::Result<()> {
    lines
        .into_iter()
        .try_for_each(|line| writeln!(out, "  {line}"))
}

#[cfg(test)]
mod tests {
    use kore_conformance::Status;

    use super::*;

    /// Every status a correction may have.
    const STATUSES: [Status; 6] = [
        Status::Needed,
        Status::NotObserved,
        Status::Contradicted,
        Status::NotChecked,
        Status::NotApplicable,
        Status::Unknown,
    ];

    #[test]
    fn every_status_has_a_name_the_legend_explains() {
        let report = DoctorReport {
            live: live::Report::judge("http://127.0.0.1:1", &[]),
            created: None,
        };
        let mut text = Vec::new();
        report.write_text(&mut text).unwrap();
        let text = String::from_utf8(text).unwrap();
        for status in STATUSES.iter().filter(|s| **s != Status::Unknown) {
            assert!(text.contains(&format!("  {} ", status.as_str())), "{text}");
        }
    }
}
