//! The shared harness lives in the `test-support` crate.
#![allow(unused_imports)]
pub use test_support::*;
