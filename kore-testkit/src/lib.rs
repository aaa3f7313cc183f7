//! One test kit for the workspace: what the tests of several crates need to
//! start, wait on and fault the things they test, each wait with a bound so a
//! bug fails a test instead of hanging it.
//!
//! - [`process`]: a spawned binary, its stdout lines, a signal, its exit.
//! - [`tcp`]: raw-TCP servers on 127.0.0.1 that answer, cut off, stall or reset.
//! - [`deadline`]: a future or a listing awaited within a bound.
//! - [`config`]: a private directory with a written config file.
//! - [`runtime`]: a runtime serving in the background of a synchronous test.
//! - [`text`]: assertions on text that show the whole text when they fail.

pub mod config;
pub mod deadline;
pub mod process;
pub mod runtime;
pub mod tcp;
pub mod text;
