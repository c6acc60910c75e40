//! The Markdown report of a mutation run: a header saying how it was measured, a row per
//! salsa file, totals, then the mutants the suite misses although salsa's tests kill them,
//! the ones neither kills (each with its changed lines), and what the suite found.
//!
//! Rendering is a pure function of the selected mutants and their results (no clock: the date
//! is passed in), so a report can be made again from the cache at any time.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::judge::{TestRun, Verdict};
use super::list::{Mutant, short_diff};
use super::results::MutantResult;

/// How the results were measured, for the header.
#[derive(Clone, Debug, Default)]
pub struct Header {
    /// `YYYY-MM-DD`.
    pub date: String,
    /// The machine's cores.
    pub cores: usize,
    /// Seconds per campaign.
    pub budget_s: u64,
    /// The campaigns' seed.
    pub seed: u64,
    /// The bound on salsa's tests per mutant, in seconds.
    pub tests_bound_s: u64,
    /// The command line.
    pub command: String,
    /// The salsa release mutated.
    pub salsa: String,
    /// `cargo-mutants X.Y.Z`.
    pub cargo_mutants: String,
    /// The suite's commits the results come from.
    pub commits: Vec<String>,
}

/// Salsa's tests on the unmutated copy.
#[derive(Clone, Debug, Default)]
pub struct BaselineTests {
    /// What they did.
    pub run: TestRun,
    /// `rustc --version` they ran with.
    pub rustc: String,
}

/// Counts of one row of the table.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Row {
    /// Mutants selected.
    pub mutants: usize,
    /// Of those, measured.
    pub measured: usize,
    /// Killed by salsa's tests (with or without the suite).
    pub by_tests: usize,
    /// Killed by the suite (with or without salsa's tests).
    pub by_suite: usize,
    /// Killed by both.
    pub by_both: usize,
    /// Killed by neither, with no build failure or timeout.
    pub by_neither: usize,
    /// Does not compile (either build).
    pub build_failed: usize,
    /// A timeout in either verdict (and not a build failure).
    pub timeout: usize,
}

impl Row {
    fn add(&mut self, result: Option<&MutantResult>) {
        self.mutants += 1;
        let Some(result) = result else {
            return;
        };
        self.measured += 1;
        let suite = result.suite.verdict;
        let tests = result.tests.verdict;
        if [suite, tests].contains(&Some(Verdict::BuildFailed)) {
            self.build_failed += 1;
            return;
        }
        let by_suite = suite == Some(Verdict::Killed);
        let by_tests = tests == Some(Verdict::Killed);
        let timeout = [suite, tests].contains(&Some(Verdict::Timeout));
        self.by_suite += usize::from(by_suite);
        self.by_tests += usize::from(by_tests);
        self.by_both += usize::from(by_suite && by_tests);
        self.by_neither += usize::from(!by_suite && !by_tests && !timeout);
        self.timeout += usize::from(timeout);
    }

    /// Measured mutants that compile.
    pub fn viable(&self) -> usize {
        self.measured - self.build_failed
    }
}

/// The per-file rows and the total.
pub fn rows(selected: &[(Mutant, Option<MutantResult>)]) -> (BTreeMap<String, Row>, Row) {
    let mut by_file: BTreeMap<String, Row> = BTreeMap::new();
    let mut total = Row::default();
    for (mutant, result) in selected {
        by_file
            .entry(mutant.file.clone())
            .or_default()
            .add(result.as_ref());
        total.add(result.as_ref());
    }
    (by_file, total)
}

fn percent(part: usize, whole: usize) -> String {
    if whole == 0 {
        "-".to_owned()
    } else {
        format!("{:.0}%", 100.0 * part as f64 / whole as f64)
    }
}

/// The report.
pub fn render(
    header: &Header,
    baseline: Option<&BaselineTests>,
    selected: &[(Mutant, Option<MutantResult>)],
) -> String {
    let mut out = String::new();
    let (by_file, total) = rows(selected);
    let _ = writeln!(out, "## salsa {} mutation score\n", header.salsa);
    let _ = writeln!(
        out,
        "Measured {} on {} cores: per mutant, two campaigns of {} s (threads, then `--sequential`), seed {}; salsa's own tests (`cargo test`, debug) bounded at {} s. Command: `{}`. Suite commit {}; {}.\n",
        header.date,
        header.cores,
        header.budget_s,
        header.seed,
        header.tests_bound_s,
        header.command,
        if header.commits.is_empty() {
            "-".to_owned()
        } else {
            header.commits.join(", ")
        },
        header.cargo_mutants,
    );
    match baseline {
        Some(baseline) if baseline.run.excluded().is_empty() => {
            let _ = writeln!(
                out,
                "Baseline: on the unmutated copy ({}), salsa's tests pass ({} targets, {} tests); none is excluded.\n",
                baseline.rustc, baseline.run.targets, baseline.run.passed
            );
        }
        Some(baseline) => {
            let excluded = baseline.run.excluded();
            let _ = writeln!(
                out,
                "Baseline: on the unmutated copy ({}), these fail and are excluded from every verdict: {}.\n",
                baseline.rustc,
                excluded.join("; ")
            );
        }
        None => {
            let _ = writeln!(
                out,
                "Baseline: salsa's tests have not run on the unmutated copy yet.\n"
            );
        }
    }
    let _ = writeln!(
        out,
        "| salsa file | mutants | measured | killed by salsa's tests | killed by the suite | by both | by neither | build-failed | timeout |"
    );
    let _ = writeln!(
        out,
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
    );
    let line = |out: &mut String, name: &str, row: &Row| {
        let _ = writeln!(
            out,
            "| {name} | {} | {} | {} | {} | {} | {} | {} | {} |",
            row.mutants,
            row.measured,
            row.by_tests,
            row.by_suite,
            row.by_both,
            row.by_neither,
            row.build_failed,
            row.timeout
        );
    };
    for (file, row) in &by_file {
        line(&mut out, &format!("`{file}`"), row);
    }
    line(&mut out, "**total**", &total);
    let viable = total.viable();
    let _ = writeln!(
        out,
        "\nOf {viable} measured mutants that compile, salsa's tests kill {} ({}), the suite kills {} ({}), both {}, neither {}; {} timed out. Columns other than build-failed count mutants that compile; a mutant killed by one and timed out in the other counts in both columns.",
        total.by_tests,
        percent(total.by_tests, viable),
        total.by_suite,
        percent(total.by_suite, viable),
        total.by_both,
        total.by_neither,
        total.timeout,
    );
    if total.measured < total.mutants {
        let _ = writeln!(
            out,
            "\n{} of the {} selected mutants have no result yet.",
            total.mutants - total.measured,
            total.mutants
        );
    }

    let measured = selected
        .iter()
        .filter_map(|(mutant, result)| Some((mutant, result.as_ref()?)));
    let compiles = |result: &MutantResult| {
        result.suite.verdict != Some(Verdict::BuildFailed)
            && result.tests.verdict != Some(Verdict::BuildFailed)
    };
    let missed: Vec<_> = measured
        .clone()
        .filter(|(_, result)| {
            compiles(result)
                && result.tests.verdict == Some(Verdict::Killed)
                && result.suite.verdict != Some(Verdict::Killed)
        })
        .collect();
    let _ = writeln!(
        out,
        "\n### Missed by the suite, killed by salsa's tests ({})\n",
        missed.len()
    );
    for (mutant, result) in &missed {
        let first = result.tests.failures.first().map_or("", String::as_str);
        let more = result.tests.failures.len().saturating_sub(1);
        let more = if more > 0 {
            format!(" and {more} more")
        } else {
            String::new()
        };
        let _ = writeln!(out, "- `{}`: `{first}`{more}", mutant.name);
        diff_block(&mut out, &mutant.diff);
    }
    let neither: Vec<_> = measured
        .clone()
        .filter(|(_, result)| {
            compiles(result)
                && result.tests.verdict == Some(Verdict::Survived)
                && result.suite.verdict == Some(Verdict::Survived)
        })
        .collect();
    let _ = writeln!(out, "\n### Killed by neither ({})\n", neither.len());
    for (mutant, _) in &neither {
        let _ = writeln!(out, "- `{}`", mutant.name);
        diff_block(&mut out, &mutant.diff);
    }
    let killed: Vec<_> = measured
        .filter(|(_, result)| result.suite.kill.is_some())
        .collect();
    let _ = writeln!(out, "\n### What the suite found ({})\n", killed.len());
    for (mutant, result) in killed {
        if let Some(kill) = &result.suite.kill {
            let _ = writeln!(
                out,
                "- `{}`: {:.1} s ({}) `` {} ``",
                mutant.name,
                kill.first_s,
                kill.mode,
                shorten(&kill.signature, 140)
            );
        }
    }
    out
}

fn diff_block(out: &mut String, diff: &str) {
    let _ = writeln!(out, "  ```diff");
    for line in short_diff(diff).lines() {
        let _ = writeln!(out, "  {}", shorten(line, 160));
    }
    let _ = writeln!(out, "  ```");
}

/// At most `limit` characters, with `…` when cut.
fn shorten(text: &str, limit: usize) -> String {
    if text.chars().count() <= limit {
        return text.to_owned();
    }
    let mut cut: String = text.chars().take(limit).collect();
    cut.push('…');
    cut
}

/// The command line as a shell would read it back (arguments with spaces or quotes quoted).
pub fn command_line(args: &[String]) -> String {
    args.iter()
        .map(|arg| {
            if !arg.is_empty()
                && arg
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_./=:,+@%".contains(c))
            {
                arg.clone()
            } else {
                format!("'{}'", arg.replace('\'', r"'\''"))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mutants::results::{Kill, RESULT_SCHEMA, SuiteResult, TestsResult};

    fn mutant(file: &str, name: &str) -> Mutant {
        Mutant {
            name: format!("{file}:1:1: {name}"),
            file: file.to_owned(),
            diff: format!("--- {file}\n+++ x\n@@ -1,1 +1,1 @@\n-old {name}\n+new {name}\n"),
        }
    }

    fn result(mutant: &Mutant, suite: Verdict, tests: Verdict) -> MutantResult {
        MutantResult {
            schema: RESULT_SCHEMA,
            key: "k".to_owned(),
            name: mutant.name.clone(),
            file: mutant.file.clone(),
            diff: mutant.diff.clone(),
            commit: "c".to_owned(),
            budget_s: 30,
            seed: 1,
            date: "2026-11-30".to_owned(),
            suite: SuiteResult {
                verdict: Some(suite),
                kill: (suite == Verdict::Killed).then(|| Kill {
                    signature: "Salsa: answer of module_exports differs from the model".to_owned(),
                    mode: "threads".to_owned(),
                    first_s: 0.5,
                }),
                ..SuiteResult::default()
            },
            tests: TestsResult {
                verdict: Some(tests),
                failures: if tests == Verdict::Killed {
                    vec!["tests/specify.rs: specify_a".to_owned()]
                } else {
                    Vec::new()
                },
                seconds: 60.0,
            },
        }
    }

    fn selection() -> Vec<(Mutant, Option<MutantResult>)> {
        let cases = [
            (
                "src/cycle.rs",
                "both",
                Some((Verdict::Killed, Verdict::Killed)),
            ),
            (
                "src/cycle.rs",
                "suite only",
                Some((Verdict::Killed, Verdict::Survived)),
            ),
            (
                "src/cycle.rs",
                "tests only",
                Some((Verdict::Survived, Verdict::Killed)),
            ),
            (
                "src/input.rs",
                "neither",
                Some((Verdict::Survived, Verdict::Survived)),
            ),
            (
                "src/input.rs",
                "unviable",
                Some((Verdict::BuildFailed, Verdict::BuildFailed)),
            ),
            (
                "src/input.rs",
                "hangs",
                Some((Verdict::Survived, Verdict::Timeout)),
            ),
            ("src/input.rs", "pending", None),
        ];
        cases
            .into_iter()
            .map(|(file, name, verdicts)| {
                let mutant = mutant(file, name);
                let result = verdicts.map(|(suite, tests)| result(&mutant, suite, tests));
                (mutant, result)
            })
            .collect()
    }

    #[test]
    fn rows_count_each_verdict_pair_where_it_belongs() {
        let (by_file, total) = rows(&selection());
        assert_eq!(
            by_file["src/cycle.rs"],
            Row {
                mutants: 3,
                measured: 3,
                by_tests: 2,
                by_suite: 2,
                by_both: 1,
                by_neither: 0,
                build_failed: 0,
                timeout: 0
            }
        );
        assert_eq!(
            total,
            Row {
                mutants: 7,
                measured: 6,
                by_tests: 2,
                by_suite: 2,
                by_both: 1,
                by_neither: 1,
                build_failed: 1,
                timeout: 1
            }
        );
        assert_eq!(total.viable(), 5);
    }

    #[test]
    fn the_report_lists_what_the_suite_misses_and_what_nobody_kills_with_their_diffs() {
        let header = Header {
            date: "2026-11-30".to_owned(),
            cores: 2,
            budget_s: 30,
            seed: 1,
            tests_bound_s: 600,
            command: "salsa-fuzz mutants --sample 7".to_owned(),
            salsa: "0.28.5".to_owned(),
            cargo_mutants: "cargo-mutants 27.1.0".to_owned(),
            commits: vec!["abc1234".to_owned()],
        };
        let text = render(&header, Some(&BaselineTests::default()), &selection());
        assert!(text.contains("Measured 2026-11-30 on 2 cores"), "{text}");
        assert!(text.contains("`salsa-fuzz mutants --sample 7`"), "{text}");
        assert!(
            text.contains("| `src/cycle.rs` | 3 | 3 | 2 | 2 | 1 | 0 | 0 | 0 |"),
            "{text}"
        );
        assert!(
            text.contains("| **total** | 7 | 6 | 2 | 2 | 1 | 1 | 1 | 1 |"),
            "{text}"
        );
        assert!(
            text.contains("1 of the 7 selected mutants have no result yet"),
            "{text}"
        );
        let missed = text
            .split("### Missed by the suite")
            .nth(1)
            .and_then(|rest| rest.split("### Killed by neither").next())
            .expect("the missed section");
        assert!(
            missed.contains("tests only`: `tests/specify.rs: specify_a`"),
            "{missed}"
        );
        assert!(
            missed.contains("- old tests only\n  + new tests only"),
            "{missed}"
        );
        assert!(!missed.contains("suite only"), "{missed}");
        let neither = text
            .split("### Killed by neither (1)")
            .nth(1)
            .expect("the neither section");
        assert!(neither.contains("input.rs:1:1: neither`"), "{neither}");
        assert!(!neither.contains("unviable"), "{neither}");
        assert!(text.contains("### What the suite found (2)"), "{text}");
        assert!(text.contains("0.5 s (threads)"), "{text}");
    }

    #[test]
    fn command_lines_quote_what_a_shell_would_split() {
        let args = [
            "salsa-fuzz",
            "mutants",
            "--mutant",
            "replace f -> bool with true",
            "--time",
            "10s",
        ]
        .map(str::to_owned);
        assert_eq!(
            command_line(&args),
            "salsa-fuzz mutants --mutant 'replace f -> bool with true' --time 10s"
        );
    }
}
