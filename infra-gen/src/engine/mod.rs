//! Engines other than the native construct tree (`crate::platform`), and the oracle that
//! compares them: `cdk` (feature `cdk`) builds the same platform through the real aws-cdk-lib;
//! `oracle` (pure, always built) reduces two engines' templates to their differences.

#[cfg(feature = "cdk")]
pub mod cdk;
pub mod oracle;
