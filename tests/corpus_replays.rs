//! Every committed corpus entry replays in `cargo test`: seeds run without a finding, a fixed
//! bug's entry must not reproduce, a `known-open` one must still reproduce (so we notice when
//! salsa fixes it), and the canary's reproduces exactly when the `canary` feature is on.

use std::path::Path;

use salsa_fuzz::corpus::{self, Entry};
use salsa_fuzz::exec::install_panic_hook;
use salsa_fuzz::script::STEP_KINDS;

/// The entries under `dir`; reading one also checks that its script survives the byte
/// encoding libFuzzer is seeded with (`Entry::parse` refuses one that does not).
fn entries(dir: &str) -> Vec<(String, Entry)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
    corpus::entries_under(&dir)
        .expect("the corpus directory is readable")
        .into_iter()
        .map(|path| {
            let entry =
                Entry::read(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display()));
            (path.display().to_string(), entry)
        })
        .collect()
}

#[test]
fn every_entry_replays_as_its_status_requires() {
    install_panic_hook();
    let all: Vec<_> = entries("corpus/seeds")
        .into_iter()
        .chain(entries("corpus/regressions"))
        .collect();
    assert!(all.len() >= 5, "the corpus has entries");
    for (path, entry) in &all {
        let replay = salsa_fuzz::triage::replay(&entry, 10);
        if let Err(why) = salsa_fuzz::triage::judge(&entry, &replay) {
            panic!("{path}: {why}");
        }
    }
}

#[test]
fn the_seeds_cover_every_step_kind() {
    let mut seen = [false; STEP_KINDS];
    for (_, entry) in entries("corpus/seeds") {
        for step in &entry.script.steps {
            seen[step.kind()] = true;
        }
    }
    assert!(seen.iter().all(|&seen| seen), "step kinds seen: {seen:?}");
}
