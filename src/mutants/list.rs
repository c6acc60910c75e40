//! The mutants themselves, from cargo-mutants: installing it when it is missing, listing a
//! crate's mutants with their diffs (`cargo mutants --list --json --diff`), and applying one
//! mutant's diff to the text of its file.
//!
//! cargo-mutants only generates and lists here; this module applies the diff itself, so that
//! what is hashed for the cache (the diff) is exactly what is built. Applying checks every
//! context and removed line against the file, so a diff listed from another salsa is refused
//! rather than applied in the wrong place.

use std::path::Path;
use std::process::{Command, Stdio};

use serde::{Deserialize, Serialize};

use super::MutantsError;

/// One mutant, as cargo-mutants lists it (the fields this benchmark uses).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mutant {
    /// cargo-mutants' name: `src/FILE.rs:LINE:COL: replace … with …`.
    pub name: String,
    /// The file it changes, relative to the crate's root.
    pub file: String,
    /// Its unified diff against the unmutated file.
    pub diff: String,
}

/// `cargo mutants --version`, installing cargo-mutants first (`cargo install cargo-mutants
/// --locked`, saying so through `log`) when the command is not there.
pub fn ensure_cargo_mutants(log: &mut dyn FnMut(&str)) -> Result<String, MutantsError> {
    if let Some(version) = cargo_mutants_version() {
        return Ok(version);
    }
    log("cargo mutants is not installed: running `cargo install cargo-mutants --locked`");
    let status = Command::new("cargo")
        .args(["install", "cargo-mutants", "--locked"])
        .stdout(Stdio::null())
        .status()
        .map_err(|error| MutantsError::CargoMutants(format!("cannot run cargo: {error}")))?;
    if !status.success() {
        return Err(MutantsError::CargoMutants(format!(
            "`cargo install cargo-mutants --locked` failed ({status})"
        )));
    }
    cargo_mutants_version().ok_or_else(|| {
        MutantsError::CargoMutants(
            "installed, but `cargo mutants --version` still fails (is cargo's bin directory on PATH?)"
                .to_owned(),
        )
    })
}

fn cargo_mutants_version() -> Option<String> {
    super::child::stdout_if_success(Command::new("cargo").args(["mutants", "--version"]))
        .map(|version| version.trim().to_owned())
}

/// The mutants of the crate in `dir`, in cargo-mutants' order (source order), restricted to
/// the files matching `globs` (cargo-mutants' `--file`: a glob with a slash matches the whole
/// path, so `src/function/**` is a folder). `--no-config`: the crate's own
/// `.cargo/mutants.toml`, if it had one, would change what is listed.
pub fn list(dir: &Path, globs: &[String]) -> Result<Vec<Mutant>, MutantsError> {
    let mut command = Command::new("cargo");
    command
        .args([
            "mutants",
            "--list",
            "--json",
            "--diff",
            "--no-config",
            "--dir",
        ])
        .arg(dir)
        .current_dir(dir);
    for glob in globs {
        command.arg("--file").arg(glob);
    }
    let output = command
        .output()
        .map_err(|error| MutantsError::CargoMutants(format!("cannot run cargo: {error}")))?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        return Err(MutantsError::CargoMutants(format!(
            "`cargo mutants --list` failed ({}): {}",
            output.status,
            stderr.trim()
        )));
    }
    serde_json::from_slice(&output.stdout).map_err(|error| {
        MutantsError::CargoMutants(format!(
            "cannot read `cargo mutants --list --json`: {error}"
        ))
    })
}

/// `original` with the unified `diff` applied; an error says which line did not match.
pub fn apply_diff(original: &str, diff: &str) -> Result<String, String> {
    let old: Vec<&str> = original.split_inclusive('\n').collect();
    let mut out = String::with_capacity(original.len() + 64);
    let mut next = 0; // the first line of `old` not yet copied
    let mut lines = diff.lines().peekable();
    let mut hunks = 0;
    while let Some(line) = lines.next() {
        let Some(header) = line.strip_prefix("@@ ") else {
            continue; // `---`/`+++` headers, or text before the first hunk
        };
        hunks += 1;
        let (start, count) = hunk_start(header)?;
        // A hunk that removes nothing inserts after line `start`; otherwise it begins there.
        let begin = if count == 0 { start } else { start.max(1) - 1 };
        if begin < next || begin > old.len() {
            return Err(format!(
                "hunk {hunks} starts at line {start}, out of order or range"
            ));
        }
        for line in &old[next..begin] {
            out.push_str(line);
        }
        next = begin;
        while let Some(body) = lines.next_if(|line| !line.starts_with("@@ ")) {
            let (tag, text) = body.split_at(body.len().min(1));
            match tag {
                " " | "-" => {
                    let Some(have) = old.get(next) else {
                        return Err(format!("the diff goes past the end of the file ({body:?})"));
                    };
                    if have.trim_end_matches(['\n', '\r']) != text {
                        return Err(format!(
                            "line {} is {:?}, the diff expects {text:?}",
                            next + 1,
                            have.trim_end_matches(['\n', '\r'])
                        ));
                    }
                    if tag == " " {
                        out.push_str(have);
                    }
                    next += 1;
                }
                "+" => {
                    out.push_str(text);
                    out.push('\n');
                }
                // `\ No newline at end of file`, or an empty line some tools write for an
                // empty context line.
                "\\" => {}
                "" => {
                    let have = old
                        .get(next)
                        .map(|have| have.trim_end_matches(['\n', '\r']));
                    if have != Some("") {
                        return Err(format!(
                            "line {} is not the empty line the diff expects",
                            next + 1
                        ));
                    }
                    out.push_str(old[next]);
                    next += 1;
                }
                _ => return Err(format!("not a diff line: {body:?}")),
            }
        }
    }
    if hunks == 0 {
        return Err("the diff has no hunk".to_owned());
    }
    for line in &old[next..] {
        out.push_str(line);
    }
    Ok(out)
}

/// The old file's start line and line count of `-START,COUNT +… @@`.
fn hunk_start(header: &str) -> Result<(usize, usize), String> {
    let bad = || format!("bad hunk header `@@ {header}`");
    let old = header
        .split_whitespace()
        .next()
        .and_then(|range| range.strip_prefix('-'))
        .ok_or_else(bad)?;
    let (start, count) = old.split_once(',').unwrap_or((old, "1"));
    Ok((
        start.parse().map_err(|_| bad())?,
        count.parse().map_err(|_| bad())?,
    ))
}

/// The changed lines of a diff, `-old` then `+new`, each trimmed, blank ones left out: what a
/// reader of the report needs to recognise the mutant. A long removal (a whole function body
/// replaced) keeps its first [`SHORT_LINES`] lines and says how many more there were.
pub fn short_diff(diff: &str) -> String {
    let mut removed = Vec::new();
    let mut added = Vec::new();
    for line in diff.lines() {
        if line.starts_with("---") || line.starts_with("+++") {
            continue;
        }
        let (list, text) = match line.split_at(line.len().min(1)) {
            ("-", text) => (&mut removed, text.trim()),
            ("+", text) => (&mut added, text.trim()),
            _ => continue,
        };
        if !text.is_empty() {
            list.push(text);
        }
    }
    let mut lines: Vec<String> = Vec::new();
    for (tag, list) in [('-', &removed), ('+', &added)] {
        lines.extend(
            list.iter()
                .take(SHORT_LINES)
                .map(|text| format!("{tag} {text}")),
        );
        if list.len() > SHORT_LINES {
            lines.push(format!("{tag} … ({} more lines)", list.len() - SHORT_LINES));
        }
    }
    lines.join("\n")
}

/// Lines of each side [`short_diff`] keeps.
pub const SHORT_LINES: usize = 3;

#[cfg(test)]
mod tests {
    use super::*;

    /// A diff as `cargo mutants --list --json --diff` writes it (its `+++` line names the
    /// mutation, not a file).
    const DIFF: &str = "--- src/durability.rs\n+++ replace Durability::is_low -> bool with true\n@@ -2,5 +2,5 @@\n fn a() {}\n \n fn is_low() -> bool {\n-    self.0 == 0\n+    true /* ~ changed by cargo-mutants ~ */\n }\n";

    fn original() -> String {
        "// head\nfn a() {}\n\nfn is_low() -> bool {\n    self.0 == 0\n}\n// tail\n".to_owned()
    }

    #[test]
    fn a_mutant_diff_replaces_its_line_and_keeps_the_rest() {
        let mutated = apply_diff(&original(), DIFF).expect("applies");
        assert_eq!(
            mutated,
            "// head\nfn a() {}\n\nfn is_low() -> bool {\n    true /* ~ changed by cargo-mutants ~ */\n}\n// tail\n"
        );
    }

    #[test]
    fn a_diff_against_other_text_is_refused_with_the_line_that_differs() {
        let other = original().replace("self.0 == 0", "self.0 != 0");
        let error = apply_diff(&other, DIFF).expect_err("the removed line differs");
        assert!(error.contains("line 5"), "{error}");
        assert!(
            apply_diff(&original(), "--- a\n+++ b\n").is_err(),
            "no hunk"
        );
        let shifted = format!("// one more line\n{}", original());
        assert!(
            apply_diff(&shifted, DIFF).is_err(),
            "context at the wrong lines"
        );
    }

    #[test]
    fn the_short_diff_is_the_changed_lines_trimmed_and_a_long_body_cut() {
        assert_eq!(
            short_diff(DIFF),
            "- self.0 == 0\n+ true /* ~ changed by cargo-mutants ~ */"
        );
        let body = "--- a\n+++ b\n@@ -1,6 +1,1 @@\n-    one\n-\n-    two\n-    three\n-    four\n-    five\n+    ()\n";
        assert_eq!(
            short_diff(body),
            "- one\n- two\n- three\n- … (2 more lines)\n+ ()"
        );
    }

    #[test]
    fn cargo_mutants_json_reads_into_mutants() {
        let json = r#"[{"diff":"d","file":"src/cycle.rs","function":{"function_name":"f"},"genre":"FnValue","name":"src/cycle.rs:1:1: replace f with ()","package":"salsa","replacement":"()","span":{}}]"#;
        let mutants: Vec<Mutant> = serde_json::from_str(json).expect("parses");
        assert_eq!(mutants[0].file, "src/cycle.rs");
        assert_eq!(mutants[0].name, "src/cycle.rs:1:1: replace f with ()");
    }
}
