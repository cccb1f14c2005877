#![no_main]
//! See compose_doctor::fuzzing::nginx.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| compose_doctor::fuzzing::nginx(data));
