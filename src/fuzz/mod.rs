//! The one entry point fuzz targets, tests and the benchmark share: bytes in, outcome out.
//! The cargo-fuzz targets under `fuzz/` are thin shims over [`fuzz_script`] and [`fuzz_one`],
//! with the script-level mutator of [`mutator`].

pub mod mutator;

pub use crate::util::SeededInputs;

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
            run_script(target, &EditScript::from_bytes(data))
        }
        Target::ScopesDifferential => scopes_differential(data),
    }
}

/// Runs one decoded script through an edit-script target (`ScopesDifferential` reads the
/// script's bytes as its text).
pub fn run_script(target: Target, script: &EditScript) -> Outcome {
    match target {
        Target::EditScript | Target::EditScriptSequential => {
            let options = ExecOptions {
                sequential: target == Target::EditScriptSequential,
                ..ExecOptions::default()
            };
            exec::execute(script, &options)
        }
        Target::ScopesDifferential => scopes_differential(&script.to_bytes()),
    }
}

/// Runs one input and panics with the finding's report if there is one: what a libFuzzer
/// target does, so the input is saved as a crash artifact.
pub fn fuzz_one(target: Target, data: &[u8]) {
    report(run(target, data));
}

/// [`fuzz_one`] for a target whose input is the script (`fuzz_target!(|script: EditScript|
/// ..)`, through `EditScript`'s `Arbitrary` impl, the codec).
pub fn fuzz_script(target: Target, script: &EditScript) {
    report(run_script(target, script));
}

fn report(outcome: Outcome) {
    if let Some(finding) = outcome.findings.first() {
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
