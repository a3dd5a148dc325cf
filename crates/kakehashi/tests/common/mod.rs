//! The shared harness lives in the `test-support` crate.
#![allow(unused_imports)]
pub use test_support::*;

use std::process::{Command, Output};

/// Runs the `kakehashi` binary with `args` (no database URL from the environment).
#[allow(dead_code)]
pub fn kakehashi(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kakehashi"))
        .args(args)
        .env("RUST_LOG", "warn")
        .env_remove("KAKEHASHI_DATABASE_URL")
        .output()
        .unwrap()
}

/// A command's standard output and error together.
#[allow(dead_code)]
pub fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}
