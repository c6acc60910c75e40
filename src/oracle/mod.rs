//! Deciding whether an outcome is a bug, whose, and which one (its signature).
//!
//! Two oracles: (a) a panic that is not `salsa::Cancelled` is a finding; (b) differential: an
//! answer of the database must equal the model's on the same texts, whether asked on the main
//! thread or by a background batch that completed. Every finding names its culprit: salsa, the
//! planted canary, or our own harness (a harness bug is never reported as a salsa bug).

pub mod decision;
mod query;

use std::fmt;

pub use decision::Decision;
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
        /// The database query whose answer differs: the query's own, or the one behind the
        /// part of its answer that differs ([`query::QueryAnswer::query_behind`]).
        answer_of: &'static str,
        /// Whether a background batch gave the answer.
        background: bool,
        /// The database's answer.
        got: String,
        /// The model's answer.
        expected: String,
        /// What salsa did with the memo behind the answer (when events were logged).
        decision: Option<Decision>,
    },
    /// The whole-project comparison of a `CheckAll` step (or the script's end) differs.
    AnswersDiffer {
        /// Which kind of answer differs first: `files`, `scopes`, `symbols`, `resolutions`,
        /// `exports` or `diagnostics` (part of the signature: a lost diagnostic and a stale
        /// export are different bugs).
        part: crate::answers::AnswerPart,
        /// The first difference, described.
        difference: String,
        /// What salsa did with the memo behind the differing answer (when events were logged).
        decision: Option<Decision>,
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
    /// The signature findings are deduplicated, grouped and minimized by: see [`Signature`].
    pub fn signature(&self) -> String {
        self.signature_parts().to_string()
    }

    /// The signature, structured.
    pub fn signature_parts(&self) -> Signature {
        let what = match &self.kind {
            FindingKind::Panic(report) => {
                // salsa's frames describe salsa's own path to a panic inside salsa; for a panic
                // in our code they are only the calling context, which varies between runs.
                let frames = if self.culprit == Culprit::Salsa {
                    report.salsa_frames.iter().take(3).cloned().collect()
                } else {
                    Vec::new()
                };
                What::Panic {
                    message: normalize(&report.message),
                    location: normalize_location(&report.location),
                    frames,
                }
            }
            FindingKind::Mismatch {
                answer_of,
                decision,
                ..
            } => What::WrongAnswer {
                query: answer_of,
                decision: *decision,
            },
            FindingKind::AnswersDiffer { part, decision, .. } => What::ProjectAnswers {
                part: part.name(),
                decision: *decision,
            },
            FindingKind::Hang(_) => What::Hang,
        };
        Signature {
            culprit: self.culprit,
            what,
        }
    }
}

/// What a finding is, reduced to what stays the same between two runs of one bug: on another
/// machine (another `CARGO_HOME`, another checkout path), on another salsa release where the
/// bug's code did not change, and on the foreground or a background handle.
///
/// Its text form (`Display`) is the key findings are deduplicated and grouped by and what a
/// corpus entry records: `Salsa: panic `MESSAGE` at salsa/src/FILE.rs [FRAME < FRAME]`,
/// `Salsa: answer of QUERY differs from the model: DECISION`, `Salsa: project answers differ
/// from the model (PART): DECISION` (the salsa decision that returned the wrong
/// memo, see [`Decision`]), `Salsa: hang`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Signature {
    /// Who is to blame.
    pub culprit: Culprit,
    /// What happened.
    pub what: What,
}

/// The kind of a [`Signature`], with its normalized details.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum What {
    /// A panic: its first message line with numbers and ids replaced by `N`, its file relative
    /// to its crate's root (no line: lines move between releases), and for salsa's panics the
    /// innermost salsa functions on the stack.
    Panic {
        /// The normalized message.
        message: String,
        /// `salsa/src/cycle.rs`, `src/db/canary.rs`.
        location: String,
        /// Function names, innermost first.
        frames: Vec<String>,
    },
    /// A query's answer differs from the model's (on any handle).
    WrongAnswer {
        /// The query's name.
        query: &'static str,
        /// The salsa decision that returned the wrong memo.
        decision: Option<Decision>,
    },
    /// A whole-project comparison differs; the most basic differing part.
    ProjectAnswers {
        /// `files`, `scopes`, `symbols`, `resolutions`, `exports` or `diagnostics`.
        part: &'static str,
        /// The salsa decision that returned the wrong memo.
        decision: Option<Decision>,
    },
    /// A background batch did not report within the watchdog's bound.
    Hang,
}

/// The queries a wrong answer can name, and the query behind each part of a whole-project
/// comparison.
const QUERIES: [&str; 17] = [
    "parsed_module",
    "semantic_index",
    "symbol_table",
    "scope_facts",
    "qualified_name",
    "module_definitions",
    "infer_return",
    "infer_binding",
    "resolve_names",
    "module_exports",
    "star_closure",
    "types",
    "check_file",
    "resolve_module",
    "line_index",
    "line_starts",
    "line_marks",
];
const PARTS: [(&str, Option<&str>); 11] = [
    ("files", None),
    ("scopes", Some("semantic_index")),
    ("symbols", Some("symbol_table")),
    ("facts", Some("scope_facts")),
    ("qualnames", Some("qualified_name")),
    ("definitions", Some("module_definitions")),
    ("resolutions", Some("resolve_names")),
    ("exports", Some("module_exports")),
    ("closure", Some("star_closure")),
    ("types", Some("types")),
    ("diagnostics", Some("check_file")),
];

impl Signature {
    /// Reads a signature's text form back (`None` for anything else, such as a campaign's
    /// `Crash: …` of a dead worker).
    pub fn parse(text: &str) -> Option<Signature> {
        let (culprit, rest) = text.split_once(": ")?;
        let culprit = match culprit {
            "Salsa" => Culprit::Salsa,
            "Canary" => Culprit::Canary,
            "Harness" => Culprit::Harness,
            "Other" => Culprit::Other,
            _ => return None,
        };
        let what = if let Some(panic) = rest.strip_prefix("panic `") {
            let (message, place) = panic.rsplit_once("` at ")?;
            let (location, frames) = place.strip_suffix(']')?.rsplit_once(" [")?;
            What::Panic {
                message: message.to_owned(),
                location: location.to_owned(),
                frames: if frames.is_empty() {
                    Vec::new()
                } else {
                    frames.split(" < ").map(str::to_owned).collect()
                },
            }
        } else if rest == "hang" {
            What::Hang
        } else {
            let (head, decision) = match rest.split_once(": ") {
                Some((head, decision)) => (head, Some(Decision::parse(decision)?)),
                None => (rest, None),
            };
            if let Some(query) = head
                .strip_prefix("answer of ")
                .and_then(|rest| rest.strip_suffix(" differs from the model"))
            {
                What::WrongAnswer {
                    query: QUERIES.into_iter().find(|known| *known == query)?,
                    decision,
                }
            } else {
                let part = head
                    .strip_prefix("project answers differ from the model (")?
                    .strip_suffix(')')?;
                What::ProjectAnswers {
                    part: PARTS.into_iter().find(|(known, _)| *known == part)?.0,
                    decision,
                }
            }
        };
        Some(Signature { culprit, what })
    }

    /// What one bug's findings share, so that a campaign reports them once: a panic's message
    /// and file (the same assertion reached from other callers is the same mistake); a wrong
    /// answer's query (asked alone or found by a whole-project comparison) and salsa's decision.
    pub fn bug_key(&self) -> String {
        let what = match &self.what {
            // A cancellation nothing caused is one mistake whichever thread it reached (the
            // main thread or a background batch, as a wrong answer's handle does not matter).
            What::Panic { message, .. } if message.starts_with("unexpected cancellation") => {
                let kind = message
                    .rsplit_once(": ")
                    .map_or(message.as_str(), |(_, kind)| kind);
                format!("unexpected cancellation: {kind}")
            }
            What::Panic {
                message, location, ..
            } => format!("panic `{message}` at {location}"),
            What::WrongAnswer { query, decision } => wrong_answer_key(query, *decision),
            What::ProjectAnswers { part, decision } => {
                match PARTS.iter().find(|(known, _)| known == part) {
                    Some((_, Some(query))) => wrong_answer_key(query, *decision),
                    _ => format!("project answers ({part})"),
                }
            }
            What::Hang => "hang".to_owned(),
        };
        format!("{:?}: {what}", self.culprit)
    }
}

fn wrong_answer_key(query: &str, decision: Option<Decision>) -> String {
    format!(
        "wrong answer of {query}: {}",
        decision.map_or("decision unknown", Decision::describe)
    )
}

/// The bug a signature's text belongs to ([`Signature::bug_key`]); a text that is not a
/// signature (a dead worker's `Crash: …`) is its own key.
pub fn bug_key(signature: &str) -> String {
    Signature::parse(signature).map_or_else(|| signature.to_owned(), |parsed| parsed.bug_key())
}

impl fmt::Display for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}: ", self.culprit)?;
        match &self.what {
            What::Panic {
                message,
                location,
                frames,
            } => write!(
                f,
                "panic `{message}` at {location} [{}]",
                frames.join(" < ")
            ),
            What::WrongAnswer { query, decision } => {
                write!(f, "answer of {query} differs from the model")?;
                match decision {
                    Some(decision) => write!(f, ": {}", decision.describe()),
                    None => Ok(()),
                }
            }
            What::ProjectAnswers { part, decision } => {
                write!(f, "project answers differ from the model ({part})")?;
                match decision {
                    Some(decision) => write!(f, ": {}", decision.describe()),
                    None => Ok(()),
                }
            }
            What::Hang => write!(f, "hang"),
        }
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
    } else if location.contains("/salsa-0.")
        || location.contains("salsa/src/")
        || (!crate::db::compat::SALSA_ROOT.is_empty()
            && location.starts_with(crate::db::compat::SALSA_ROOT))
    {
        Culprit::Salsa
    } else if location.starts_with("src/") || location.contains("salsa-fuzz") {
        Culprit::Harness
    } else {
        Culprit::Other
    }
}

/// Strips what varies between two runs of the same bug: salsa ids (`Id(1c02)`, `Id(3g1)` with
/// a generation), numbers, addresses. Only the first line is kept.
pub fn normalize(message: &str) -> String {
    let first_line = message.lines().next().unwrap_or_default();
    let first_line = without_edge_lists(first_line);
    let mut out = String::with_capacity(first_line.len());
    let mut chars = first_line.chars().peekable();
    let mut previous_alphanumeric = false;
    while let Some(c) = chars.next() {
        if c == '(' && out.ends_with("Id") {
            // A salsa id in its `Debug` form, hex with an optional generation (`Id(c1e)`,
            // `Id(c08g1)`): one placeholder, whatever its first digit.
            out.push_str("(N)");
            for inner in chars.by_ref() {
                if inner == ')' {
                    break;
                }
            }
            previous_alphanumeric = false;
        } else if c.is_ascii_digit() && !previous_alphanumeric {
            // A number, an id with its generation, or a hex address: one placeholder.
            while chars.peek().is_some_and(char::is_ascii_alphanumeric) {
                chars.next();
            }
            out.push('N');
            previous_alphanumeric = true;
        } else {
            out.push(c);
            previous_alphanumeric = c.is_ascii_alphanumeric() || c == '_';
        }
    }
    out
}

/// `message` with each query origin's edge list (`Derived([Input(..), ..])`, which lists the
/// reads of one particular execution) cut to `Derived(..)`: salsa's "expected a query assigned
/// by .., not `Derived([..])`" names whatever the overwriting execution happened to read.
fn without_edge_lists(message: &str) -> std::borrow::Cow<'_, str> {
    const OPEN: &str = "Derived([";
    if !message.contains(OPEN) {
        return std::borrow::Cow::Borrowed(message);
    }
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    while let Some(at) = rest.find(OPEN) {
        out.push_str(&rest[..at]);
        out.push_str("Derived(..)");
        let after = &rest[at + OPEN.len()..];
        let mut depth = 1usize;
        let mut end = after.len();
        for (index, c) in after.char_indices() {
            match c {
                '[' | '(' => depth += 1,
                ']' | ')' => {
                    depth -= 1;
                    if depth == 0 {
                        end = index + c.len_utf8();
                        break;
                    }
                }
                _ => {}
            }
        }
        // `end` is past the `]`; the `)` of `Derived(` follows it.
        rest = after[end..].strip_prefix(')').unwrap_or(&after[end..]);
    }
    out.push_str(rest);
    std::borrow::Cow::Owned(out)
}

/// A panic location without its line and column, relative to its crate's root: salsa's and
/// its macro crates' files become `salsa/src/…` (`salsa-macro-rules/src/…`) whether they came
/// from a registry under any `CARGO_HOME`, a release of any version, or a checkout (whose root
/// the build script records); this crate's own files stay `src/…`.
pub fn normalize_location(location: &str) -> String {
    let mut path = strip_column(location);
    if let Some((rest, line)) = path.rsplit_once(':')
        && line.chars().all(|c| c.is_ascii_digit())
    {
        path = rest;
    }
    let path = path.replace('\\', "/");
    let checkout = crate::db::compat::SALSA_ROOT;
    if !checkout.is_empty()
        && let Some(rest) = path.strip_prefix(checkout)
    {
        return format!("salsa/{}", rest.trim_start_matches('/'));
    }
    for krate in ["salsa-macro-rules", "salsa-macros", "salsa"] {
        let marker = format!("/{krate}-");
        if let Some(at) = path.rfind(&marker) {
            let rest = &path[at + marker.len()..];
            if rest.starts_with(|c: char| c.is_ascii_digit())
                && let Some(slash) = rest.find('/')
            {
                return format!("{krate}/{}", &rest[slash + 1..]);
            }
        }
    }
    // A build through `salsa-fuzz salsa` sees this crate's files under the generated package.
    if let Some(at) = path.find("/target/salsa-matrix/") {
        let rest = &path[at + "/target/salsa-matrix/".len()..];
        if let Some(slash) = rest.find('/') {
            return rest[slash + 1..].to_owned();
        }
    }
    path
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
        assert_eq!(
            normalize("two concurrent writers to Id(3g1)"),
            normalize("two concurrent writers to Id(1c02)")
        );
        assert_eq!(normalize("f1 and x2y"), "f1 and x2y");
        // Ids whose hex starts with a letter, and the edge list of one execution.
        let overwritten = |ids: &str| {
            normalize(&format!(
                "expected a query assigned by `semantic_index(Id(1400))`, not `Derived([{ids}])`"
            ))
        };
        assert_eq!(
            overwritten("Input(ScopeId.parent(Id(c1e))), Input(SourceFile.path(Id(0)))"),
            "expected a query assigned by `semantic_index(Id(N))`, not `Derived(..)`"
        );
        assert_eq!(
            overwritten("Input(ScopeId.name(Id(c08g1)))"),
            overwritten("")
        );
    }

    #[test]
    fn a_panic_signature_is_the_same_under_any_cargo_home_and_release() {
        let panic_at = |location: &str| Finding {
            step: 3,
            culprit: Culprit::Salsa,
            kind: FindingKind::Panic(PanicReport {
                message: "two concurrent writers to Id(1c02), should not be possible".to_owned(),
                location: location.to_owned(),
                thread: "main".to_owned(),
                query_stack: String::new(),
                salsa_frames: vec![
                    "salsa::tracked_struct::IngredientImpl<C>::new_struct".to_owned(),
                ],
            }),
        };
        let here = panic_at(
            "/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/salsa-0.28.4/src/tracked_struct.rs:420:17",
        );
        let elsewhere = panic_at(
            "/home/ci/.cargo/registry/src/mirror-0123/salsa-0.28.5/src/tracked_struct.rs:433:9",
        );
        assert_eq!(here.signature(), elsewhere.signature());
        assert_eq!(
            here.signature(),
            "Salsa: panic `two concurrent writers to Id(N), should not be possible` at salsa/src/tracked_struct.rs [salsa::tracked_struct::IngredientImpl<C>::new_struct]"
        );
        assert_eq!(
            normalize_location("/x/salsa-macro-rules-0.28.5/src/setup_tracked_fn.rs:10:1"),
            "salsa-macro-rules/src/setup_tracked_fn.rs"
        );
        assert_eq!(
            normalize_location("src/db/canary.rs:58:13"),
            "src/db/canary.rs"
        );
        assert_eq!(
            normalize_location("/w/target/salsa-matrix/0.27.0/src/db/canary.rs:58:13"),
            "src/db/canary.rs"
        );
    }

    #[test]
    fn signatures_read_back_and_one_bug_has_one_key() {
        let texts = [
            "Salsa: panic ``fetch_cold_cycle` should have inserted a provisional memo` at salsa/src/function/execute.rs [salsa::a < salsa::b]",
            "Canary: panic `canary: x` at src/db/canary.rs []",
            "Salsa: answer of check_file differs from the model: memo reused after a dependency was backdated",
            "Salsa: project answers differ from the model (exports)",
            "Salsa: project answers differ from the model (diagnostics): memo reused, verified without re-executing anything",
            "Harness: hang",
        ];
        for text in texts {
            let parsed = Signature::parse(text).unwrap_or_else(|| panic!("parses: {text}"));
            assert_eq!(parsed.to_string(), text);
        }
        assert_eq!(Signature::parse("Crash: worker died: SIGABRT"), None);
        // One assertion reached from two callers; one lost diagnostic seen two ways.
        assert_eq!(
            bug_key("Salsa: panic `p` at salsa/src/interned.rs [salsa::a < salsa::b]"),
            bug_key("Salsa: panic `p` at salsa/src/interned.rs [salsa::c]")
        );
        assert_eq!(
            bug_key(
                "Salsa: answer of check_file differs from the model: memo reused after a dependency was backdated"
            ),
            bug_key(
                "Salsa: project answers differ from the model (diagnostics): memo reused after a dependency was backdated"
            )
        );
        assert_eq!(
            bug_key(
                "Salsa: panic `unexpected cancellation on the main thread: cancelled because of propagated panic` at  []"
            ),
            bug_key(
                "Salsa: panic `unexpected cancellation of a background batch (nothing cancelled it): cancelled because of propagated panic` at  []"
            )
        );
        assert_ne!(
            bug_key(
                "Salsa: project answers differ from the model (diagnostics): memo reused after a dependency was backdated"
            ),
            bug_key(
                "Salsa: project answers differ from the model (diagnostics): memo reused, verified without re-executing anything"
            )
        );
    }

    #[test]
    fn foreground_and_background_wrong_answers_are_one_signature() {
        use crate::script::{FileSlot, Query};
        let wrong = |background| Finding {
            step: 1,
            culprit: Culprit::Salsa,
            kind: FindingKind::Mismatch {
                query: Query::Diagnostics(FileSlot(0)),
                answer_of: "check_file",
                background,
                got: String::new(),
                expected: String::new(),
                decision: Some(Decision::ReusedVerified),
            },
        };
        assert_eq!(wrong(true).signature(), wrong(false).signature());
        assert_eq!(
            wrong(true).signature(),
            "Salsa: answer of check_file differs from the model: memo reused, verified without re-executing anything"
        );
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
