//! Fuzzes the `squashfs` parser alone (probe and extract).
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| hallmark_unpack::fuzzing::extract("squashfs", data));
