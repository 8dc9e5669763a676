//! Enables the vector SHA-512-crypt rounds (`cfg(hallmark_simd)`) when the compiler has what
//! they need: AVX-512 intrinsics and safe `#[target_feature]` functions, both stable since
//! Rust 1.89. Older compilers (down to the workspace's minimum, 1.85) build the scalar rounds
//! only.

use std::process::Command;

fn main() {
    println!("cargo::rustc-check-cfg=cfg(hallmark_simd)");
    println!("cargo::rerun-if-env-changed=RUSTC");
    let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let version = Command::new(rustc)
        .arg("--version")
        .output()
        .ok()
        .and_then(|out| String::from_utf8(out.stdout).ok())
        .unwrap_or_default();
    // "rustc 1.95.0 (59807616e 2026-04-14)": the minor version.
    let minor = version
        .split_whitespace()
        .nth(1)
        .and_then(|v| v.split('.').nth(1))
        .and_then(|m| m.parse::<u32>().ok());
    if version.starts_with("rustc 1.") && minor.is_some_and(|m| m >= 89) {
        println!("cargo::rustc-cfg=hallmark_simd");
    }
}
