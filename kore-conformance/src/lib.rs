//! Checks KORE Client API traffic against the merged, corrected OpenAPI spec
//! that `kore-clients-gen` was generated from.
//!
//! - [`Spec`]: the spec (by default [`Spec::merged`], embedded at build time:
//!   no file is read at run time), its operations, and a JSON Schema
//!   validator for any of its schemas ([`to_json_schema`] translates
//!   OpenAPI 3.0's `nullable`).
//! - [`check_body`]: one body against its schema — what the validator
//!   rejects and what the generated types would silently drop (fields the
//!   schema does not declare), each at its JSON pointer, as [`Finding`]s.
//! - [`assess`]: for every correction the merged spec records, whether the
//!   observed [`Exchange`]s still need it.
//! - [`live`]: raw answers of a live API judged against the spec as one
//!   serializable [`live::Report`] (deviations, observations, corrections).
//!
//! `kore doctor` is built on [`live`], and kore-mock's tests validate the
//! mock's bodies with the same translation.
//!
//! ```
//! use kore_conformance::{Spec, check_body};
//! use serde_json::json;
//!
//! let spec = Spec::merged();
//! let list = spec.operation("listClient").unwrap();
//! let kore_conformance::Response::Json(schema) = list.response(200).unwrap() else {
//!     unreachable!("the list documents a JSON body");
//! };
//! let body = json!({"meta": {"count": 1}, "clients": [{"client_type": "superuser", "nickname": "x"}]});
//! let findings = check_body(&spec, schema, &body).unwrap();
//! let found: Vec<(&str, &str)> = findings.iter().map(|f| (f.pointer.as_str(), f.kind())).collect();
//! assert_eq!(found, [("/clients/0/client_type", "enum"), ("/clients/0/nickname", "unknown-field")]);
//! ```

#![warn(missing_docs)]

pub mod check;
pub mod corrections;
pub mod live;
pub mod spec;

pub use check::{Finding, Problem, check_body};
pub use corrections::{Assessment, Evidence, Exchange, Status, assess};
pub use spec::{Operation, Response, Spec, SpecError, to_json_schema};
