//! libFuzzer's custom mutator and crossover for the edit-script targets.
//!
//! libFuzzer mutates bytes, and the codec reads every later choice relative to the earlier
//! ones, so one flipped byte reshuffles the rest of the script. Here an input is decoded to
//! its script, changed with the campaign's own script-level moves
//! ([`crate::script::mutate`]: splice two scripts, replace a text, duplicate or retarget a
//! step), and encoded back; the codec's exact round trip makes the result decode to the
//! mutant. Some calls draw a whole fresh script, as the built-in runner does from its first
//! run, and some keep libFuzzer's byte mutation, which still finds what the moves cannot
//! (a changed offset, a new fault count).
//!
//! Everything is decided by the seed libFuzzer passes, so a run replays with its `-seed`.

use crate::script::EditScript;
use crate::script::mutate::{mutate as mutate_script, splice};
use crate::util::SeededInputs;

/// libFuzzer's own byte mutation (`libfuzzer_sys::fuzzer_mutate`), handed in by the target:
/// the library does not link libFuzzer.
pub type ByteMutator = fn(&mut [u8], usize, usize) -> usize;

/// The libFuzzer flags the edit-script targets are meant to run with, also in their
/// `.options` files: inputs as long as the scripts the built-in runner draws (up to 64 steps
/// and four initial files, a few KiB once spliced), from the first run on (`-len_control=0`;
/// otherwise libFuzzer's length limit grows from a few bytes for minutes), without the
/// entropic power schedule: a script's run sets tens of thousands of coverage features, and
/// entropic's per-feature bookkeeping took 63% of the time (`perf`), 101 runs/s against 386
/// with `-entropic=0` on the same seed.
/// `-timeout=30` leaves the suite's own watchdog (20 s on one step) the first word on a hang,
/// which then has the step's report.
pub const LIBFUZZER_FLAGS: [&str; 4] = [
    "-max_len=4096",
    "-len_control=0",
    "-entropic=0",
    "-timeout=30",
];

/// Of every 16 calls of the mutator: how many keep libFuzzer's byte mutation, and how many
/// draw a fresh script; the rest apply one script-level move. (libFuzzer itself calls the
/// mutator and the crossover about equally often.)
const BYTE_CALLS: usize = 4;
const FRESH_CALLS: usize = 4;

/// The custom mutator: mutates `data[..size]` into `data[..new size]`, at most `max_size`
/// bytes, and returns the new size. `data` holds at least `max(size, max_size)` bytes.
pub fn mutate(
    data: &mut [u8],
    size: usize,
    max_size: usize,
    seed: u32,
    bytes: ByteMutator,
) -> usize {
    let mut rng = SeededInputs::new(u64::from(seed));
    let choice = rng.below(16);
    if choice < BYTE_CALLS {
        return bytes(data, size, max_size);
    }
    let mutant = if size == 0 || choice < BYTE_CALLS + FRESH_CALLS {
        EditScript::from_bytes(&rng.next_input())
    } else {
        let script = EditScript::from_bytes(&data[..size]);
        // A splice takes the tail of a fresh script here; `crossover` splices two inputs.
        let other = EditScript::from_bytes(&rng.next_input());
        let mutant = mutate_script(&mut rng, &script, &other);
        if mutant == script {
            return bytes(data, size, max_size);
        }
        mutant
    };
    let room = max_size.min(data.len());
    write_within(mutant, &mut data[..room]).unwrap_or_else(|| bytes(data, size, max_size))
}

/// The custom crossover: the steps of `a`'s script up to a point, then `b`'s from a point,
/// written into `out`; returns the size written (0 when nothing fits).
pub fn crossover(a: &[u8], b: &[u8], out: &mut [u8], seed: u32) -> usize {
    let mut rng = SeededInputs::new(u64::from(seed));
    let spliced = splice(
        &mut rng,
        &EditScript::from_bytes(a),
        &EditScript::from_bytes(b),
    );
    write_within(spliced, out).unwrap_or(0)
}

/// Writes the bytes of `script` at the start of `out`, dropping its last steps (then its last
/// initial files) until they fit; returns their length, `None` if not even the empty script
/// fits.
fn write_within(mut script: EditScript, out: &mut [u8]) -> Option<usize> {
    loop {
        let encoded = script.to_bytes();
        if encoded.len() <= out.len() {
            out[..encoded.len()].copy_from_slice(&encoded);
            return Some(encoded.len());
        }
        if script.steps.pop().is_none() && script.initial.pop().is_none() {
            return None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Stands in for libFuzzer's byte mutation, recognisably: an encoded script is never all
    /// zeros (its swarm weights are not).
    fn zero_bytes(data: &mut [u8], size: usize, max_size: usize) -> usize {
        let size = size.min(max_size);
        data[..size].fill(0);
        size
    }

    fn mutated(input: &[u8], max_size: usize, seed: u32) -> Vec<u8> {
        let mut data = input.to_vec();
        data.resize(input.len().max(max_size), 0);
        let size = mutate(&mut data, input.len(), max_size, seed, zero_bytes);
        data.truncate(size);
        data
    }

    #[test]
    fn every_output_fits_and_decodes_to_a_script_that_encodes_to_it() {
        let mut inputs = SeededInputs::new(5);
        let (mut byte_calls, mut script_calls) = (0, 0);
        for seed in 0..600u32 {
            let input = EditScript::from_bytes(&inputs.next_input()).to_bytes();
            let max_size = [64, 512, 4096][seed as usize % 3];
            let output = mutated(&input, max_size, seed);
            assert!(
                output.len() <= max_size,
                "seed {seed}: {} bytes",
                output.len()
            );
            if output.iter().all(|&byte| byte == 0) {
                byte_calls += 1;
                continue;
            }
            script_calls += 1;
            let script = EditScript::from_bytes(&output);
            assert_eq!(script.to_bytes(), output, "seed {seed}");
        }
        // About a quarter of calls are libFuzzer's (4 of 16), plus unchanged mutants.
        assert!((100..=250).contains(&byte_calls), "{byte_calls} byte calls");
        assert!(script_calls >= 350, "{script_calls} script-level calls");
    }

    #[test]
    fn an_empty_input_becomes_a_whole_script() {
        let steps: Vec<usize> = (0..50u32)
            .map(|seed| mutated(&[], 4096, seed))
            .filter(|output| !output.is_empty() && output.iter().any(|&byte| byte != 0))
            .map(|output| EditScript::from_bytes(&output).steps.len())
            .collect();
        assert!(steps.len() >= 30, "{} scripts from 50 calls", steps.len());
        let mean = steps.iter().sum::<usize>() / steps.len();
        assert!(mean >= 10, "a mean of {mean} steps");
    }

    #[test]
    fn the_same_seed_gives_the_same_mutant() {
        let input = EditScript::from_bytes(&SeededInputs::new(9).next_input()).to_bytes();
        for seed in 0..40 {
            assert_eq!(mutated(&input, 4096, seed), mutated(&input, 4096, seed));
        }
    }

    #[test]
    fn a_crossover_joins_a_prefix_of_one_script_to_a_suffix_of_the_other() {
        let mut inputs = SeededInputs::new(17);
        let a = EditScript::from_bytes(&inputs.next_input());
        let b = EditScript::from_bytes(&inputs.next_input());
        let (a_bytes, b_bytes) = (a.to_bytes(), b.to_bytes());
        let mut out = vec![0; 4096];
        for seed in 0..40 {
            let size = crossover(&a_bytes, &b_bytes, &mut out, seed);
            let child = EditScript::from_bytes(&out[..size]);
            assert_eq!(child.initial, a.initial);
            let keep = (0..=child.steps.len())
                .rev()
                .find(|&keep| child.steps[..keep] == a.steps[..keep.min(a.steps.len())])
                .unwrap_or(0);
            let tail = &child.steps[keep..];
            assert!(
                (0..=b.steps.len()).any(|from| b.steps[from..].starts_with(tail)),
                "seed {seed}: the steps after {keep} are not a run of the second script's"
            );
        }
        assert_eq!(crossover(&a_bytes, &b_bytes, &mut [0; 4], 1), 0);
    }
}
