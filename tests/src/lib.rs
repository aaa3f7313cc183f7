//! Workspace integration and snapshot tests live in `tests/tests/`.
