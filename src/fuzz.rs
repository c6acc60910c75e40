//! The one entry point fuzz targets, tests and the benchmark share: bytes in, outcome out.
//! The cargo-fuzz targets under `fuzz/` are thin shims over [`fuzz_one`].

use crate::answers::SourceInput;
use crate::db::{FuzzDatabase, answers};
use crate::exec::{self, ExecOptions, Outcome};
use crate::model;
use crate::oracle::{Culprit, Finding, FindingKind};
use crate::script::EditScript;

/// What a fuzz target exercises.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Target {
    /// Everything: edit scripts with background batches on a thread pool.
    EditScript,
    /// Edit scripts with background batches run inline: deterministic and fastest.
    EditScriptSequential,
    /// One file's text, database versus model, no incrementality.
    ScopesDifferential,
}

impl Target {
    /// The target called `name` (its cargo-fuzz name), if any.
    pub fn named(name: &str) -> Option<Target> {
        Target::ALL
            .iter()
            .find(|(_, known)| *known == name)
            .map(|(target, _)| *target)
    }

    /// Every target, with its cargo-fuzz name.
    pub const ALL: [(Target, &'static str); 3] = [
        (Target::EditScript, "edit_script"),
        (Target::EditScriptSequential, "edit_script_sequential"),
        (Target::ScopesDifferential, "scopes_differential"),
    ];
}

/// Runs one input through `target`.
pub fn run(target: Target, data: &[u8]) -> Outcome {
    match target {
        Target::EditScript | Target::EditScriptSequential => {
            let script = EditScript::from_bytes(data);
            let options = ExecOptions {
                sequential: target == Target::EditScriptSequential,
                ..ExecOptions::default()
            };
            exec::execute(&script, &options)
        }
        Target::ScopesDifferential => scopes_differential(data),
    }
}

/// Runs one input and panics with the finding's report if there is one: what a libFuzzer
/// target does, so the input is saved as a crash artifact.
pub fn fuzz_one(target: Target, data: &[u8]) {
    if let Some(finding) = run(target, data).findings.first() {
        panic!("salsa-fuzz finding\n{finding}");
    }
}

fn scopes_differential(data: &[u8]) -> Outcome {
    let input = SourceInput {
        path: "a.py".to_owned(),
        text: String::from_utf8_lossy(data).into_owned(),
        is_library: false,
    };
    let mut db = FuzzDatabase::new();
    db.load(std::slice::from_ref(&input));
    let expected = model::compute(std::slice::from_ref(&input));
    let mut outcome = Outcome::default();
    if let Some((part, difference)) = answers(&db).first_difference(&expected) {
        outcome.findings.push(Finding {
            step: 0,
            culprit: Culprit::Harness,
            kind: FindingKind::AnswersDiffer {
                part,
                difference,
                decision: None,
            },
        });
    }
    outcome
}

/// A deterministic stream of fuzz inputs (splitmix64): the same seed gives the same inputs,
/// for seeded smoke tests, the benchmark and the built-in runner.
#[derive(Clone, Debug)]
pub struct SeededInputs {
    state: u64,
}

impl SeededInputs {
    /// Starts the stream at `seed`.
    pub fn new(seed: u64) -> Self {
        SeededInputs { state: seed }
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// The next input: 64 to 1,023 random bytes, the size range libFuzzer explores with
    /// `-max_len=1024`.
    pub fn next_input(&mut self) -> Vec<u8> {
        let len = 64 + (self.next_u64() % 960) as usize;
        (0..len).map(|_| self.next_u64() as u8).collect()
    }
}

impl SeededInputs {
    /// A number below `bound` (0 when `bound` is 0).
    pub fn below(&mut self, bound: usize) -> usize {
        if bound == 0 {
            0
        } else {
            (self.next_u64() % bound as u64) as usize
        }
    }
}

/// What [`export_corpus`] did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Exported {
    /// Inputs written.
    pub inputs: usize,
    /// Entries read.
    pub entries: usize,
    /// Files that are not valid entries, each with why: skipped, as `corpus check` does.
    pub skipped: Vec<String>,
}

/// Writes each entry under `dir` as input bytes for fuzz target `target` into `out`: the
/// script's bytes for the edit-script targets, each distinct initial file text for
/// `scopes_differential`. Every entry is read before anything is written; `known-open` and
/// untriaged entries are left out (a seed must not crash), corrupt ones are skipped and
/// listed. Files are named after the entry's path under `dir`.
pub fn export_corpus(
    dir: &std::path::Path,
    out: &std::path::Path,
    target: Target,
) -> Result<Exported, String> {
    use crate::corpus::{self, Entry, Status};
    let paths = corpus::entries_under(dir).map_err(|error| error.to_string())?;
    if paths.is_empty() {
        return Err(format!(
            "{}: no corpus entries (`.sfz` files) here",
            dir.display()
        ));
    }
    let mut exported = Exported {
        entries: paths.len(),
        ..Exported::default()
    };
    let mut inputs: Vec<(String, Vec<u8>)> = Vec::new();
    for path in &paths {
        let entry = match Entry::read(path) {
            Ok(entry) => entry,
            Err(error) => {
                exported
                    .skipped
                    .push(format!("{}: {error}", path.display()));
                continue;
            }
        };
        if matches!(entry.status, Status::KnownOpen | Status::New) {
            continue;
        }
        let relative = path.strip_prefix(dir).unwrap_or(path).with_extension("");
        let stem = relative.to_string_lossy().replace(['/', '\\'], "-");
        if target == Target::ScopesDifferential {
            let mut texts: Vec<String> = entry
                .script
                .initial
                .iter()
                .map(|(_, text)| text.render())
                .collect();
            texts.sort();
            texts.dedup();
            for (index, text) in texts.into_iter().enumerate() {
                inputs.push((format!("{stem}-{index}"), text.into_bytes()));
            }
        } else {
            inputs.push((stem, entry.script.to_bytes()));
        }
    }
    for (name, bytes) in &inputs {
        crate::util::write_atomically(&out.join(name), bytes).map_err(|error| error.to_string())?;
    }
    exported.inputs = inputs.len();
    Ok(exported)
}
