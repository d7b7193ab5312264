//! Engines other than the native construct tree (`crate::platform`). Only one so far: `cdk`,
//! the same platform built through the real aws-cdk-lib (behind the `cdk` cargo feature).

pub mod cdk;
