//! Fuzzes the `lz4` parser alone (probe and extract).
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| hallmark_unpack::fuzzing::extract("lz4", data));
