//! Deciding whether an outcome is a bug, whose, and which one (its signature).
//!
//! Two oracles: (a) a panic that is not `salsa::Cancelled` is a finding; (b) differential: an
//! answer of the database must equal the model's on the same texts, whether asked on the main
//! thread or by a background batch that completed. Every finding names its culprit: salsa, the
//! planted canary, or our own harness (a harness bug is never reported as a salsa bug).

mod query;

use std::fmt;

pub use query::{QueryAnswer, ask_database, ask_model};

use crate::script::Query;

/// Who is to blame for a finding.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Culprit {
    /// salsa: a panic inside salsa, or an incremental answer that a fresh database (and the
    /// model) contradicts.
    Salsa,
    /// The bug planted by the `canary` feature.
    Canary,
    /// Our own code: a panic in the harness or the database's rules, or a disagreement that a
    /// fresh database reproduces (so the rules, not salsa, differ from the model).
    Harness,
    /// A dependency other than salsa (the parser).
    Other,
}

/// A panic, as captured on the thread that panicked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PanicReport {
    /// The panic message.
    pub message: String,
    /// `file:line:column` of the panic, if known.
    pub location: String,
    /// The thread's name (`main`, `salsa-fuzz-bg-1`, …).
    pub thread: String,
    /// salsa's query stack at the panic, if a database was attached.
    pub query_stack: String,
    /// The first frames of the native backtrace that belong to salsa.
    pub salsa_frames: Vec<String>,
}

impl PanicReport {
    /// A report of something that did not panic but is reported like a panic (an unexpected
    /// cancellation), or of a panic the hook did not see: a message and a thread, nothing else.
    pub fn synthetic(message: String, thread: String) -> PanicReport {
        PanicReport {
            message,
            location: String::new(),
            thread,
            query_stack: String::new(),
            salsa_frames: Vec::new(),
        }
    }
}

/// What went wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FindingKind {
    /// A panic other than `salsa::Cancelled`.
    Panic(PanicReport),
    /// An answer differs from the model's.
    Mismatch {
        /// The query.
        query: Query,
        /// Whether a background batch gave the answer.
        background: bool,
        /// The database's answer.
        got: String,
        /// The model's answer.
        expected: String,
    },
    /// The whole-project comparison of a `CheckAll` step (or the script's end) differs.
    AnswersDiffer {
        /// Which kind of answer differs first: `files`, `scopes`, `symbols`, `resolutions`,
        /// `exports` or `diagnostics` (part of the signature: a lost diagnostic and a stale
        /// export are different bugs).
        part: crate::answers::AnswerPart,
        /// The first difference, described.
        difference: String,
    },
    /// A background batch did not report within the watchdog's bound.
    Hang(String),
}

/// One finding of one script execution.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    /// The step at which it was observed (`steps.len()` for the final check).
    pub step: usize,
    /// Who is to blame.
    pub culprit: Culprit,
    /// What happened.
    pub kind: FindingKind,
}

impl Finding {
    /// The signature findings are deduplicated and minimized by: culprit, kind, normalized
    /// message (ids and numbers stripped), location and top salsa frames; for mismatches, the
    /// query kind. Two runs of the same bug give the same signature.
    pub fn signature(&self) -> String {
        let what = match &self.kind {
            FindingKind::Panic(report) => {
                // salsa's frames describe salsa's own path to a panic inside salsa; for a panic
                // in our code they are only the calling context, which varies between runs.
                let frames = if self.culprit == Culprit::Salsa {
                    report
                        .salsa_frames
                        .iter()
                        .take(3)
                        .cloned()
                        .collect::<Vec<_>>()
                        .join(" < ")
                } else {
                    String::new()
                };
                format!(
                    "panic `{}` at {} [{frames}]",
                    normalize(&report.message),
                    strip_column(&report.location),
                )
            }
            FindingKind::Mismatch {
                query, background, ..
            } => {
                let side = if *background {
                    "background"
                } else {
                    "foreground"
                };
                format!("{side} answer of {} differs from the model", query.name())
            }
            FindingKind::AnswersDiffer { part, .. } => {
                format!("project answers differ from the model ({})", part.name())
            }
            FindingKind::Hang(_) => "hang".to_owned(),
        };
        format!("{:?}: {what}", self.culprit)
    }
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{} (step {})", self.signature(), self.step)?;
        match &self.kind {
            FindingKind::Panic(report) => {
                writeln!(
                    f,
                    "  message: {}",
                    report.message.replace('\n', "\n           ")
                )?;
                writeln!(f, "  at {} on thread {}", report.location, report.thread)?;
                if !report.query_stack.is_empty() {
                    writeln!(
                        f,
                        "  {}",
                        report.query_stack.trim_end().replace('\n', "\n  ")
                    )?;
                }
                Ok(())
            }
            FindingKind::Mismatch {
                query,
                got,
                expected,
                ..
            } => {
                writeln!(f, "  query: {query:?}")?;
                writeln!(f, "  database: {got}")?;
                writeln!(f, "  model:    {expected}")
            }
            FindingKind::AnswersDiffer { difference, .. } => writeln!(f, "  {difference}"),
            FindingKind::Hang(what) => writeln!(f, "  {what}"),
        }
    }
}

/// Who a panic at `location` with `message` blames.
pub fn culprit_of_panic(message: &str, location: &str) -> Culprit {
    let location = location.replace('\\', "/");
    if message.starts_with("canary:") {
        Culprit::Canary
    } else if location.contains("/salsa-0.") || location.contains("salsa/src/") {
        Culprit::Salsa
    } else if location.starts_with("src/") || location.contains("salsa-fuzz") {
        Culprit::Harness
    } else {
        Culprit::Other
    }
}

/// Strips what varies between two runs of the same bug: salsa ids, numbers, addresses.
pub fn normalize(message: &str) -> String {
    let first_line = message.lines().next().unwrap_or_default();
    let mut out = String::with_capacity(first_line.len());
    let mut chars = first_line.chars().peekable();
    while let Some(c) = chars.next() {
        if c.is_ascii_digit() {
            // A number, or a hex address like 0x7f..: one placeholder.
            while chars
                .peek()
                .is_some_and(|c| c.is_ascii_hexdigit() || *c == 'x')
            {
                chars.next();
            }
            out.push('N');
        } else {
            out.push(c);
        }
    }
    out
}

fn strip_column(location: &str) -> &str {
    match location.rsplit_once(':') {
        Some((rest, column)) if column.chars().all(|c| c.is_ascii_digit()) => rest,
        _ => location,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalization_strips_ids_and_numbers() {
        assert_eq!(
            normalize("two concurrent writers to Id(1c02), should not be possible\nmore"),
            "two concurrent writers to Id(N), should not be possible"
        );
        assert_eq!(normalize("at 0x7ffe12 revision 42"), "at N revision N");
    }

    #[test]
    fn panics_are_blamed_by_location_and_message() {
        let salsa = "/root/.cargo/registry/src/x/salsa-0.28.5/src/function/fetch.rs:10:5";
        assert_eq!(culprit_of_panic("boom", salsa), Culprit::Salsa);
        assert_eq!(
            culprit_of_panic("canary: scope", "src/db/index.rs:1:1"),
            Culprit::Canary
        );
        assert_eq!(
            culprit_of_panic("index out of bounds", "src/model.rs:3:3"),
            Culprit::Harness
        );
        assert_eq!(
            culprit_of_panic("oops", "/x/ruff_python_parser-0.0.10/src/a.rs:1:1"),
            Culprit::Other
        );
    }
}
