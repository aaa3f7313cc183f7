//! What the SDK notices in KORE's answers that its spec did not foresee.
//!
//! Answers are open (fields the spec does not name are kept in `extra`, enum
//! values it does not list decode as an enum's `Unknown`), so nothing fails when
//! KORE adds to its API; but nothing should pass unseen either. Each unknown
//! field and value is logged once per process at DEBUG (target
//! `kore_clients::drift`), with the schema it appeared in and never its value
//! (an unknown field may hold anything, a credential included). What cannot be
//! absorbed — a field whose JSON *type* changed — is a decode error, and
//! [`pointer_at`] names where it is.

use std::collections::BTreeSet;
use std::sync::{LazyLock, Mutex};

use serde_json::{Map, Value};

/// How many distinct unknown fields, and apart from them values, are
/// remembered (and logged); a server that sends a new name in every answer
/// cannot grow the sets without bound.
const REMEMBERED: usize = 512;

static FIELDS: LazyLock<Mutex<BTreeSet<String>>> = LazyLock::new(Default::default);
static VALUES: LazyLock<Mutex<BTreeSet<String>>> = LazyLock::new(Default::default);

/// Whether `key` is new to `seen` (and then remembers it); says once when the
/// set is full. Only called on the rare path where an answer holds something
/// unknown.
fn first_time(seen: &Mutex<BTreeSet<String>>, key: String) -> bool {
    let mut seen = seen.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    if seen.contains(&key) {
        return false;
    }
    match seen.len() {
        n if n < REMEMBERED => seen.insert(key),
        n if n == REMEMBERED => {
            // One marker past the bound, so this is said once.
            seen.insert(String::new());
            tracing::debug!(
                target: "kore_clients::drift",
                "{REMEMBERED} unknown names logged; further ones are not"
            );
            false
        }
        _ => false,
    }
}

/// Logs, once per field name, the fields of a `schema` object that the spec
/// does not name.
pub(crate) fn note_unknown_fields(schema: &'static str, extra: &Map<String, Value>) {
    for name in extra.keys() {
        if tracing::enabled!(target: "kore_clients::drift", tracing::Level::DEBUG)
            && first_time(&FIELDS, format!("{schema}.{name}"))
        {
            tracing::debug!(
                target: "kore_clients::drift",
                schema,
                field = %name,
                "KORE sent a field the spec does not name; kept in `extra`"
            );
        }
    }
}

/// Logs, once per value, a value of the enum `name` that the spec does not list.
pub(crate) fn note_unknown_value(name: &'static str, value: &str) {
    if tracing::enabled!(target: "kore_clients::drift", tracing::Level::DEBUG)
        && first_time(&VALUES, format!("{name}={value}"))
    {
        tracing::debug!(
            target: "kore_clients::drift",
            r#enum = name,
            value,
            "KORE sent a value the spec does not list; kept as an unknown value"
        );
    }
}

/// The JSON pointer (RFC 6901) of the value at `line`/`column` (serde_json's
/// 1-based position of an error) in `body`; `None` when the position is not
/// inside the body or the text before it is not JSON.
pub(crate) fn pointer_at(body: &[u8], line: usize, column: usize) -> Option<String> {
    let offset = offset_of(body, line, column)?;
    enum Frame {
        Object { key: Option<String> },
        Array { index: usize },
    }
    let mut stack: Vec<Frame> = Vec::new();
    let mut i = 0;
    while i < offset.min(body.len()) {
        match body[i] {
            b'{' => stack.push(Frame::Object { key: None }),
            b'[' => stack.push(Frame::Array { index: 0 }),
            b'}' | b']' => {
                stack.pop();
            }
            b',' => match stack.last_mut() {
                Some(Frame::Array { index }) => *index += 1,
                Some(Frame::Object { key }) => *key = None,
                None => return None,
            },
            b'"' => {
                let end = string_end(body, i)?;
                // A string where an object expects a key is the key.
                if let Some(Frame::Object { key }) = stack.last_mut()
                    && key.is_none()
                {
                    *key = Some(serde_json::from_slice(&body[i..=end]).ok()?);
                }
                i = end;
            }
            _ => {}
        }
        i += 1;
    }
    let mut pointer = String::new();
    for frame in &stack {
        match frame {
            Frame::Object { key: Some(key) } => {
                pointer.push('/');
                pointer.push_str(&key.replace('~', "~0").replace('/', "~1"));
            }
            // Between members: the error is about the object itself.
            Frame::Object { key: None } => {}
            Frame::Array { index } => {
                pointer.push('/');
                pointer.push_str(&index.to_string());
            }
        }
    }
    Some(pointer)
}

/// The byte offset of serde_json's 1-based `line` and `column` (column 0:
/// the line's start).
fn offset_of(body: &[u8], line: usize, column: usize) -> Option<usize> {
    let mut start = 0;
    for _ in 1..line {
        start += body.get(start..)?.iter().position(|&b| b == b'\n')? + 1;
    }
    Some(start + column.saturating_sub(1))
}

/// The index of the quote that closes the string opening at `open`.
fn string_end(body: &[u8], open: usize) -> Option<usize> {
    let mut i = open + 1;
    while i < body.len() {
        match body[i] {
            b'\\' => i += 2,
            b'"' => return Some(i),
            _ => i += 1,
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The pointer serde_json's own error position leads to.
    fn pointer_of_error<T: serde::de::DeserializeOwned + std::fmt::Debug>(body: &str) -> String {
        let error = serde_json::from_str::<T>(body).unwrap_err();
        pointer_at(body.as_bytes(), error.line(), error.column()).unwrap()
    }

    #[test]
    fn a_changed_type_is_named_by_its_pointer() {
        use kore_clients_gen::types::ClientList;
        let body = r#"{"clients": [{"name": "a"}, {"name": "b", "client_type": 7}], "meta": {}}"#;
        assert_eq!(
            pointer_of_error::<ClientList>(body),
            "/clients/1/client_type"
        );
        let body = "{\n  \"meta\": {\n    \"count\": \"many\"\n  }\n}";
        assert_eq!(pointer_of_error::<ClientList>(body), "/meta/count");
    }

    #[test]
    fn keys_with_escapes_and_pointer_characters_are_decoded_and_escaped() {
        let body = br#"{"a\"b": {"x/y~z": [1, 2, {"q": 3}]}}"#;
        let at = body.iter().position(|&b| b == b'3').unwrap();
        assert_eq!(
            pointer_at(body, 1, at + 1).as_deref(),
            Some("/a\"b/x~1y~0z/2/q")
        );
        assert_eq!(pointer_at(b"  ", 1, 1).as_deref(), Some(""));
        assert_eq!(pointer_at(b"{}", 3, 1), None, "a line past the body");
    }

    #[test]
    fn unknown_names_are_remembered_once_and_boundedly() {
        let seen = Mutex::new(BTreeSet::new());
        assert!(first_time(&seen, "once".into()));
        assert!(!first_time(&seen, "once".into()));
        let new = (0..REMEMBERED * 2)
            .filter(|i| first_time(&seen, format!("flood {i}")))
            .count();
        assert_eq!(new, REMEMBERED - 1, "the bound, counting `once`");
        assert_eq!(seen.lock().unwrap().len(), REMEMBERED + 1, "and the marker");
    }

    #[test]
    fn positions_in_tricky_json_are_found() {
        let body = "{\r\n \"a,[{\\\"\": [[1, {\"b\": \"x]\"}], {\"c\": 7}]\r\n}";
        let at = body.find('7').unwrap();
        let line = body[..at].matches('\n').count() + 1;
        let column = at - body[..at].rfind('\n').map_or(0, |n| n + 1) + 1;
        assert_eq!(
            pointer_at(body.as_bytes(), line, column).as_deref(),
            Some("/a,[{\"/1/c")
        );
    }
}
