//! The jsii standard compliance suite for the Rust jsii host (issue 16, item 3).
//!
//! * [`fixture`] compiles the project's own TypeScript fixture library (`fixture/`, two
//!   assemblies: a scoped dependency and the main library) with the pinned npm `jsii` compiler
//!   and packs each into the npm tarball the kernel `load`s.
//! * [`report`] holds the suite's 123 case names and writes the report in the suite's format,
//!   `{"<case>": {"status": "success" | "failure" | "n/a", "reason": "..."}}`.
//!
//! The cases themselves are in `tests/compliance.rs`; the committed `compliance-report.json`
//! is what they must reproduce.

pub mod fixture;
pub mod report;
