//! Vendoring: extracting the OpenAPI fragments from a KORE docs page.
//!
//! KORE's docs pages (GitBook, also served as markdown) embed one complete
//! OpenAPI document per operation as a fenced JSON code block. Each becomes
//! `openapi/fragments/<operationId>.json`, its content unchanged except for
//! indentation: keys keep their order, so a diff against the previous vendor
//! run shows exactly what KORE changed.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::{Result, err};

/// What vendoring did to one fragment file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The file did not exist before.
    Added,
    /// The file existed with other content.
    Changed,
    /// The file already had exactly this content.
    Unchanged,
}

/// One fragment found on a docs page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Extracted {
    /// The operation's `operationId`, which names the file.
    pub operation_id: String,
    /// The 1-based line of the page where the code block starts.
    pub line: usize,
    /// The fragment, re-indented, keys in their original order.
    pub text: String,
}

/// Finds every fenced ```` ```json ```` block of `markdown` that is an OpenAPI
/// document; `page` names the page in messages. JSON blocks that are not
/// OpenAPI documents (request examples and the like) are skipped.
pub fn extract(page: &str, markdown: &str) -> Result<Vec<Extracted>> {
    let mut found: Vec<Extracted> = Vec::new();
    for block in fenced_blocks(markdown) {
        if !block.info.eq_ignore_ascii_case("json") {
            continue;
        }
        let doc: Value = serde_json::from_str(&block.body).map_err(|e| {
            err(format!(
                "{page}:{}: malformed JSON in the code block starting at line {}: {e}",
                block.line + e.line(),
                block.line
            ))
        })?;
        if doc.get("openapi").is_none() {
            continue;
        }
        let ids = operation_ids(&doc);
        let operation_id = match ids.as_slice() {
            [one] => one.clone(),
            [] => {
                return Err(err(format!(
                    "{page}:{}: OpenAPI block has no operation with an operationId to name it by",
                    block.line
                )));
            }
            many => {
                return Err(err(format!(
                    "{page}:{}: OpenAPI block holds {} operations ({}); fragments hold one each",
                    block.line,
                    many.len(),
                    many.join(", ")
                )));
            }
        };
        if let Some(previous) = found.iter().find(|f| f.operation_id == operation_id) {
            return Err(err(format!(
                "{page}:{}: operationId `{operation_id}` appears again (first at line {})",
                block.line, previous.line
            )));
        }
        found.push(Extracted {
            operation_id,
            line: block.line,
            text: reindent(&block.body).map_err(|e| err(format!("{page}:{}: {e}", block.line)))?,
        });
    }
    if found.is_empty() {
        return Err(err(format!(
            "{page}: no OpenAPI JSON code blocks found; is this a KORE API docs page?"
        )));
    }
    Ok(found)
}

/// Writes extracted fragments into `dir`, reporting what happened to each file.
pub fn write(dir: &Path, fragments: &[Extracted]) -> Result<Vec<(PathBuf, Outcome)>> {
    std::fs::create_dir_all(dir).map_err(|e| err(format!("{}: {e}", dir.display())))?;
    fragments
        .iter()
        .map(|fragment| {
            let path = dir.join(format!("{}.json", fragment.operation_id));
            let outcome = match std::fs::read_to_string(&path) {
                Ok(existing) if existing == fragment.text => Outcome::Unchanged,
                Ok(_) => Outcome::Changed,
                Err(_) => Outcome::Added,
            };
            if outcome != Outcome::Unchanged {
                std::fs::write(&path, &fragment.text)
                    .map_err(|e| err(format!("{}: {e}", path.display())))?;
            }
            Ok((path, outcome))
        })
        .collect()
}

struct Block {
    info: String,
    /// 1-based line of the opening fence.
    line: usize,
    body: String,
}

fn fenced_blocks(markdown: &str) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut open: Option<(String, &str, usize, Vec<&str>)> = None;
    for (i, line) in markdown.lines().enumerate() {
        let trimmed = line.trim_start();
        match &mut open {
            None => {
                for fence in ["```", "~~~"] {
                    if let Some(info) = trimmed.strip_prefix(fence) {
                        let info = info.trim_start_matches(&fence[..1]).trim();
                        open = Some((info.to_owned(), fence, i + 1, Vec::new()));
                        break;
                    }
                }
            }
            Some((info, fence, start, body)) => {
                if trimmed.starts_with(*fence)
                    && trimmed.trim_start_matches(&fence[..1]).trim().is_empty()
                {
                    blocks.push(Block {
                        info: std::mem::take(info),
                        line: *start,
                        body: body.join("\n"),
                    });
                    open = None;
                } else {
                    body.push(line);
                }
            }
        }
    }
    blocks
}

fn operation_ids(doc: &Value) -> Vec<String> {
    let mut ids = Vec::new();
    if let Some(paths) = doc.get("paths").and_then(Value::as_object) {
        for item in paths.values().filter_map(Value::as_object) {
            for operation in item.values() {
                if let Some(id) = operation.get("operationId").and_then(Value::as_str) {
                    ids.push(id.to_owned());
                }
            }
        }
    }
    ids
}

/// Pretty-prints JSON with two-space indentation, streaming tokens straight
/// from parser to printer so that key order survives (a `Value` round trip
/// would sort keys unless serde_json's `preserve_order` feature is on).
fn reindent(json: &str) -> std::result::Result<String, serde_json::Error> {
    let mut out = Vec::new();
    let mut deserializer = serde_json::Deserializer::from_str(json);
    let mut serializer = serde_json::Serializer::with_formatter(
        &mut out,
        serde_json::ser::PrettyFormatter::with_indent(b"  "),
    );
    serde_transcode::transcode(&mut deserializer, &mut serializer)?;
    deserializer.end()?;
    let mut text = String::from_utf8(out).expect("serde_json writes UTF-8");
    text.push('\n');
    Ok(text)
}
