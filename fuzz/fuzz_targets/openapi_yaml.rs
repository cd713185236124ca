#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| capgen_fuzz::openapi_target(data, "openapi.yaml"));
