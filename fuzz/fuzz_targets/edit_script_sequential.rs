//! `cargo fuzz run edit_script_sequential`: a thin shim over `salsa_fuzz::fuzz`. The input is the edit script
//! (its `Arbitrary` impl is the codec), so `cargo fuzz fmt edit_script_sequential ARTIFACT` prints it; the
//! mutator and crossover are the campaign's script-level moves.
#![no_main]

use libfuzzer_sys::{fuzz_crossover, fuzz_mutator, fuzz_target, fuzzer_mutate};
use salsa_fuzz::fuzz::{Target, fuzz_script, mutator};
use salsa_fuzz::script::EditScript;

fuzz_target!(|script: EditScript| fuzz_script(Target::EditScriptSequential, &script));

fuzz_mutator!(|data: &mut [u8], size: usize, max_size: usize, seed: u32| {
    mutator::mutate(data, size, max_size, seed, fuzzer_mutate)
});

fuzz_crossover!(|a: &[u8], b: &[u8], out: &mut [u8], seed: u32| {
    mutator::crossover(a, b, out, seed)
});
