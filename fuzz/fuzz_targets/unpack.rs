//! Fuzzes the recursive driver: signature scan, every format, nesting, limits.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| hallmark_unpack::fuzzing::unpack(data));
