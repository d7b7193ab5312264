//! `infra-gen`: synthesises the event platform's CloudFormation, Terraform and Kustomize from
//! the layered specs in `environments/`.
//!
//! The pipeline is pure from end to end except at its two edges:
//! `spec::load_dir` (reads the specs) -> [`spec::resolve`] -> [`platform::build_app`] (the
//! construct tree) -> [`render`] (one pure function per format, producing a [`output::FileSet`])
//! -> `output::write` / `output::check` (the only code that touches `generated/`).
//! See ARCHITECTURE.md for the code map and invariants.

pub mod assets;
pub mod construct;
pub mod cost;
pub mod diff;
/// Engines besides the native one (`engine::cdk`, feature `cdk`) and the oracle comparing them.
pub mod engine;
pub mod output;
pub mod package;
pub mod platform;
pub mod render;
pub mod spec;
