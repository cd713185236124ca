#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| capgen_fuzz::capability_target(data));

libfuzzer_sys::fuzz_mutator!(|data: &mut [u8], size: usize, max_size: usize, seed: u32| {
    capgen_fuzz::mutate::mutate(data, size, max_size, seed, capgen_fuzz::mutate::Shape::Sniffed)
});
