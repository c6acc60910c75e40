//! `cargo fuzz run edit_script_sequential`: a thin shim over `salsa_fuzz::fuzz::fuzz_one`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    salsa_fuzz::fuzz::fuzz_one(salsa_fuzz::fuzz::Target::EditScriptSequential, data);
});
