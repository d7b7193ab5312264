//! The local Lambda Runtime API, now in `crates/lambda-local` so the local platform (a product
//! binary) can use it too; re-exported here so the process tests keep their imports.

pub use lambda_local::*;
