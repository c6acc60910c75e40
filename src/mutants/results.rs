//! One JSON file per measured mutant under `target/mutants/results/`: the cache that makes a
//! run resumable, shardable and re-reportable.
//!
//! A result is found again by its key, a hash of what decides it: the mutant's diff, the
//! suite's commit (with a hash of uncommitted changes to what the suite is built from), the
//! per-campaign budget and the seed. Files are written atomically, so a run killed at any
//! point leaves whole results or none. A file that does not parse is treated as missing (the
//! mutant is measured again) and never as a verdict.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::MutantsError;
use super::judge::{JudgedFinding, Verdict};
use super::workspace::io;

/// The version of the result file's format; a file of another version is measured again.
pub const RESULT_SCHEMA: u32 = 1;

/// Everything measured for one mutant.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MutantResult {
    /// [`RESULT_SCHEMA`].
    pub schema: u32,
    /// [`cache_key`] of the fields below.
    pub key: String,
    /// cargo-mutants' name of the mutant.
    pub name: String,
    /// The salsa file it changes.
    pub file: String,
    /// Its diff.
    pub diff: String,
    /// The suite's commit ([`super::suite_commit`]).
    pub commit: String,
    /// Seconds per campaign.
    pub budget_s: u64,
    /// The campaigns' seed.
    pub seed: u64,
    /// When it was measured (metadata only).
    pub date: String,
    /// The suite's verdict.
    pub suite: SuiteResult,
    /// Salsa's own tests' verdict.
    pub tests: TestsResult,
}

/// What the suite did against one mutant.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SuiteResult {
    /// Killed, survived, build-failed or timeout.
    pub verdict: Option<Verdict>,
    /// The first finding that killed it.
    pub kill: Option<Kill>,
    /// Seconds to build the suite against the mutant.
    pub build_s: f64,
    /// Seconds of campaigns and replays.
    pub campaigns_s: f64,
    /// Each campaign that ran.
    pub campaigns: Vec<CampaignRecord>,
    /// Anything else worth knowing (the build's error, a campaign that was stopped).
    pub note: Option<String>,
}

/// The finding that killed a mutant.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Kill {
    /// Its signature against the mutant.
    pub signature: String,
    /// `threads` or `sequential`: the campaign that found it.
    pub mode: String,
    /// Seconds from that campaign's start.
    pub first_s: f64,
}

/// One campaign against a mutant.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct CampaignRecord {
    /// `threads` or `sequential`.
    pub mode: String,
    /// Its wall time.
    pub elapsed_s: f64,
    /// Scripts run.
    pub runs: u64,
    /// Why it stopped (the summary's `stopped`), or `killed-after-bound`.
    pub stopped: String,
    /// Its findings in order of discovery, judged up to the first kill.
    pub findings: Vec<JudgedFinding>,
}

/// What salsa's own tests did on one mutant.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TestsResult {
    /// Killed, survived, build-failed or timeout.
    pub verdict: Option<Verdict>,
    /// The failures that killed it (those the unmutated copy does not have).
    pub failures: Vec<String>,
    /// Seconds, build included.
    pub seconds: f64,
}

/// The cache key: a hash of the diff, the suite's commit, the budget and the seed.
pub fn cache_key(diff: &str, commit: &str, budget_s: u64, seed: u64) -> String {
    let text = format!("{RESULT_SCHEMA}\0{diff}\0{commit}\0{budget_s}\0{seed}");
    format!("{:016x}", crate::util::content_hash(text.as_bytes()))
}

/// Where a result with `key` lives.
pub fn path_of(dir: &Path, key: &str) -> PathBuf {
    dir.join(format!("{key}.json"))
}

/// The result with `key`, if one was written and reads back.
pub fn load(dir: &Path, key: &str) -> Option<MutantResult> {
    let text = std::fs::read_to_string(path_of(dir, key)).ok()?;
    serde_json::from_str::<MutantResult>(&text)
        .ok()
        .filter(|result| result.schema == RESULT_SCHEMA && result.key == key)
}

/// Every readable result in `dir`, by file name.
pub fn load_all(dir: &Path) -> Vec<MutantResult> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut paths: Vec<PathBuf> = entries
        .flatten()
        .map(|entry| entry.path())
        .filter(|path| {
            path.extension()
                .is_some_and(|extension| extension == "json")
        })
        .collect();
    paths.sort();
    paths
        .iter()
        .filter_map(|path| std::fs::read_to_string(path).ok())
        .filter_map(|text| serde_json::from_str::<MutantResult>(&text).ok())
        .filter(|result| result.schema == RESULT_SCHEMA)
        .collect()
}

/// Writes `result` atomically.
pub fn store(dir: &Path, result: &MutantResult) -> Result<(), MutantsError> {
    let path = path_of(dir, &result.key);
    let text = serde_json::to_string_pretty(result).map_err(|error| MutantsError::Io {
        path: path.clone(),
        source: std::io::Error::other(error),
    })?;
    crate::util::write_atomically(&path, text.as_bytes()).map_err(io(&path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cache_key_changes_with_each_thing_that_decides_a_result() {
        let key = cache_key("diff", "abc", 30, 1);
        assert_eq!(key, cache_key("diff", "abc", 30, 1));
        assert_eq!(key.len(), 16);
        for other in [
            cache_key("diff2", "abc", 30, 1),
            cache_key("diff", "abd", 30, 1),
            cache_key("diff", "abc", 31, 1),
            cache_key("diff", "abc", 30, 2),
        ] {
            assert_ne!(key, other);
        }
    }

    #[test]
    fn a_result_reads_back_and_a_damaged_one_is_missing() {
        let scratch = tempfile::tempdir().expect("a scratch directory");
        let key = cache_key("d", "c", 30, 1);
        let result = MutantResult {
            schema: RESULT_SCHEMA,
            key: key.clone(),
            name: "src/cycle.rs:1:1: replace f with ()".to_owned(),
            file: "src/cycle.rs".to_owned(),
            diff: "d".to_owned(),
            commit: "c".to_owned(),
            budget_s: 30,
            seed: 1,
            date: "2026-11-30".to_owned(),
            suite: SuiteResult {
                verdict: Some(Verdict::Killed),
                kill: Some(Kill {
                    signature: "Salsa: hang".to_owned(),
                    mode: "threads".to_owned(),
                    first_s: 0.5,
                }),
                ..SuiteResult::default()
            },
            tests: TestsResult {
                verdict: Some(Verdict::Survived),
                ..TestsResult::default()
            },
        };
        store(scratch.path(), &result).expect("stored");
        assert_eq!(load(scratch.path(), &key), Some(result.clone()));
        assert_eq!(load_all(scratch.path()), [result]);
        std::fs::write(path_of(scratch.path(), &key), "{\"schema\": 1, \"key\"").expect("w");
        assert_eq!(load(scratch.path(), &key), None);
        assert!(load_all(scratch.path()).is_empty());
    }
}
