//! Corpus entries: a versioned, readable envelope around a script, stored under `corpus/`.
//!
//! ```text
//! # salsa-fuzz corpus entry
//! format: 2
//! salsa: 0.28.5
//! parser: 0.0.10
//! status: canary
//! signature: Canary: panic `canary: …` at src/db/canary.rs []
//! mode: sequential
//! rate: 10/10
//! replays: deterministic
//! found: 2026-11-25
//! ---
//! threads 2
//! file a.py "def f(x):\n    "
//! query semantic_index a.py
//! edit a.py clear
//! spawn
//!   query check_file a.py
//! join
//! end
//! ```
//!
//! The header says what the entry was found against and how often it reproduced (and, for a
//! threaded finding of a shuttle build, the `schedule:` it replays exactly under; `replays:`
//! says which of the three kinds it is); the body is
//! the script in [`crate::script::syntax`]'s line format. The final `end` line makes a
//! truncated file an error rather than a shorter script. Entries of a newer format fail with a
//! message naming the version. Writes go to a temporary file renamed into place.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::script::syntax::script_to_text;
use crate::util::{today, write_atomically};

use crate::script::EditScript;
use crate::script::schedule::Schedule;
use crate::script::syntax::{SyntaxError, check_encodable, parse_script};

/// The format this build writes, and the newest it reads.
/// Format 2 added the `schedule:` and `replays:` lines; format 1 entries read as before.
pub const FORMAT_VERSION: u32 = 2;

/// The salsa version the suite is built against (from `Cargo.toml`).
pub const SALSA_VERSION: &str = crate::db::compat::SALSA;

/// The parser version the suite is built against (from `Cargo.toml`).
pub const PARSER_VERSION: &str = env!("SALSA_FUZZ_PARSER");

/// What an entry is, and so what replaying it must show.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Status {
    /// A hand-written seed: must run without a finding.
    Seed,
    /// A minimized finding whose bug is fixed: must no longer reproduce.
    Fixed,
    /// A minimized finding of a bug still open in the pinned salsa: must still reproduce, so
    /// we notice when salsa fixes it.
    KnownOpen,
    /// The planted canary: reproduces exactly when the `canary` feature is on.
    Canary,
    /// A fresh finding nobody has triaged yet (what `minimize` writes).
    New,
}

impl Status {
    /// The status as written in an entry.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Seed => "seed",
            Status::Fixed => "fixed",
            Status::KnownOpen => "known-open",
            Status::Canary => "canary",
            Status::New => "new",
        }
    }

    fn parse(text: &str) -> Option<Status> {
        Some(match text {
            "seed" => Status::Seed,
            "fixed" => Status::Fixed,
            "known-open" => Status::KnownOpen,
            "canary" => Status::Canary,
            "new" => Status::New,
            _ => return None,
        })
    }
}

/// A corpus entry: the envelope and the script.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// The salsa version it was found against.
    pub salsa: String,
    /// The parser version it was found against.
    pub parser: String,
    /// What it is.
    pub status: Status,
    /// The finding's signature (empty for seeds).
    pub signature: String,
    /// Whether it replays with background batches inline (`true`) or on threads.
    pub sequential: bool,
    /// How often it reproduced when written, as (reproduced, attempts).
    pub rate: (u32, u32),
    /// When it was written (`YYYY-MM-DD`).
    pub found: String,
    /// The exact interleaving a shuttle build replays a threaded finding under (other
    /// builds run it on OS threads); `None`: the one the script chooses
    /// ([`Schedule::of_script`]).
    pub schedule: Option<Schedule>,
    /// The script.
    pub script: EditScript,
}

/// How exactly an entry replays, as its `replays:` line says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Replays {
    /// Background batches inline: one outcome, always.
    Deterministic,
    /// Threads, under a recorded shuttle schedule: exactly, in a shuttle build.
    Schedule,
    /// Threads, on the operating system's interleavings: at the recorded rate.
    Flaky,
}

impl Replays {
    const ALL: [Replays; 3] = [Replays::Deterministic, Replays::Schedule, Replays::Flaky];

    fn as_str(self) -> &'static str {
        match self {
            Replays::Deterministic => "deterministic",
            Replays::Schedule => "schedule",
            Replays::Flaky => "flaky",
        }
    }
}

/// Why a file is not a valid entry, or could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum EntryError {
    /// The file (or a directory of entries) at `path` could not be read.
    #[error("cannot read {}: {source}", path.display())]
    Read {
        /// What was read.
        path: PathBuf,
        /// Why not.
        source: std::io::Error,
    },
    /// The entry could not be written; the error names the path (see
    /// [`crate::util::write_atomically`]).
    #[error(transparent)]
    Write(std::io::Error),
    /// A line of the header or the script is wrong, or the script as a whole (line 0).
    #[error(transparent)]
    Syntax(#[from] SyntaxError),
    /// Written by a newer format.
    #[error("written by corpus format {0}; this build reads formats up to {FORMAT_VERSION}")]
    NewerFormat(u32),
    /// The `end` line is missing: the file was truncated.
    #[error("truncated: the final `end` line is missing")]
    Truncated,
}

/// The first line of every entry, which also tells entries from raw libFuzzer artifacts.
pub const MAGIC: &str = "# salsa-fuzz corpus entry";

impl Entry {
    /// An entry for `script` with the current versions and today's date.
    pub fn new(script: EditScript, status: Status, signature: String) -> Entry {
        Entry {
            salsa: SALSA_VERSION.to_owned(),
            parser: PARSER_VERSION.to_owned(),
            status,
            signature,
            sequential: false,
            rate: (0, 0),
            found: today(),
            schedule: None,
            script,
        }
    }

    /// How exactly it replays: derived from its mode and schedule.
    pub fn replays(&self) -> Replays {
        if self.sequential {
            Replays::Deterministic
        } else if self.schedule.is_some() {
            Replays::Schedule
        } else {
            Replays::Flaky
        }
    }

    /// Whether `bytes` look like an entry rather than a libFuzzer artifact.
    pub fn is_entry(bytes: &[u8]) -> bool {
        bytes.starts_with(MAGIC.as_bytes())
    }

    /// The entry as text.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "{MAGIC}");
        // Written in this build's format, whatever it was read in: its lines are this format's.
        let _ = writeln!(out, "format: {FORMAT_VERSION}");
        let _ = writeln!(out, "salsa: {}", self.salsa);
        let _ = writeln!(out, "parser: {}", self.parser);
        let _ = writeln!(out, "status: {}", self.status.as_str());
        let _ = writeln!(out, "signature: {}", self.signature.replace('\n', " "));
        let mode = if self.sequential {
            "sequential"
        } else {
            "threads"
        };
        let _ = writeln!(out, "mode: {mode}");
        let _ = writeln!(out, "rate: {}/{}", self.rate.0, self.rate.1);
        if let Some(schedule) = &self.schedule {
            let _ = writeln!(out, "schedule: {schedule}");
        }
        let _ = writeln!(out, "replays: {}", self.replays().as_str());
        let _ = writeln!(out, "found: {}", self.found);
        let _ = writeln!(out, "---");
        out.push_str(&script_to_text(&self.script));
        out.push_str("end\n");
        out
    }

    /// Parses an entry.
    pub fn parse(text: &str) -> Result<Entry, EntryError> {
        let mut entry = Entry::new(
            EditScript {
                threads: 1,
                initial: Vec::new(),
                steps: Vec::new(),
            },
            Status::New,
            String::new(),
        );
        let mut lines = text
            .lines()
            .enumerate()
            .map(|(index, line)| (index + 1, line));
        match lines.next() {
            Some((_, line)) if line == MAGIC => {}
            _ => return Err(syntax(1, format!("expected `{MAGIC}`"))),
        }
        let mut format_seen = false;
        for (number, line) in lines.by_ref() {
            if line == "---" {
                break;
            }
            let Some((key, value)) = line.split_once(": ").or_else(|| line.split_once(':')) else {
                return Err(syntax(number, "expected `key: value` or `---`".to_owned()));
            };
            let value = value.trim();
            match key {
                "format" => {
                    let format: u32 = value
                        .parse()
                        .map_err(|_| syntax(number, format!("bad format `{value}`")))?;
                    if format > FORMAT_VERSION {
                        return Err(EntryError::NewerFormat(format));
                    }
                    format_seen = true;
                }
                "salsa" => entry.salsa = value.to_owned(),
                "parser" => entry.parser = value.to_owned(),
                "status" => {
                    entry.status = Status::parse(value)
                        .ok_or_else(|| syntax(number, format!("unknown status `{value}`")))?;
                }
                "signature" => entry.signature = value.to_owned(),
                "mode" => {
                    entry.sequential = match value {
                        "sequential" => true,
                        "threads" => false,
                        _ => return Err(syntax(number, format!("unknown mode `{value}`"))),
                    }
                }
                "rate" => {
                    entry.rate = parse_rate(value)
                        .ok_or_else(|| syntax(number, format!("bad rate `{value}`")))?
                }
                "found" => entry.found = value.to_owned(),
                "schedule" => {
                    entry.schedule = Some(
                        value
                            .parse()
                            .map_err(|error| syntax(number, format!("bad schedule: {error}")))?,
                    );
                }
                // Derived from `mode` and `schedule`, and written for readers.
                "replays" => {
                    if !Replays::ALL.iter().any(|kind| kind.as_str() == value) {
                        return Err(syntax(number, format!("unknown replay kind `{value}`")));
                    }
                }
                _ => return Err(syntax(number, format!("unknown header `{key}`"))),
            }
        }
        if !format_seen {
            return Err(syntax(1, "the header has no `format:` line".to_owned()));
        }
        // The body runs to the `end` line; what follows it is ignored, as it always was.
        let mut ended = false;
        let body = lines.take_while(|(_, line)| {
            ended = line.trim_end() == "end";
            !ended
        });
        let script = parse_script(body.collect::<Vec<_>>());
        // A missing `end` explains a broken last line too, so it is reported first.
        if !ended {
            return Err(EntryError::Truncated);
        }
        entry.script = script?;
        check_encodable(&entry.script)?;
        Ok(entry)
    }

    /// Reads and parses the entry at `path`.
    pub fn read(path: &Path) -> Result<Entry, EntryError> {
        let text = std::fs::read_to_string(path).map_err(|source| EntryError::Read {
            path: path.to_owned(),
            source,
        })?;
        Entry::parse(&text)
    }

    /// Writes the entry to `path` atomically (a temporary file renamed into place), so a crash
    /// never leaves half an entry and an existing entry is replaced only by a whole one.
    /// The text is parsed back first: an entry that would not read back (a literal the byte
    /// encoding cannot hold) is refused, not written.
    pub fn write(&self, path: &Path) -> Result<(), EntryError> {
        let text = self.to_text();
        Entry::parse(&text)?;
        write_atomically(path, text.as_bytes()).map_err(EntryError::Write)
    }
}

/// The scripts under `dir` a campaign starts from: its seeds and fixed findings (an entry
/// expected to reproduce a bug would only find it again); unreadable entries are skipped.
pub fn starting_scripts(dir: &Path) -> Result<Vec<EditScript>, EntryError> {
    Ok(entries_under(dir)?
        .iter()
        .filter_map(|path| Entry::read(path).ok())
        .filter(|entry| matches!(entry.status, Status::Seed | Status::Fixed))
        .map(|entry| entry.script)
        .collect())
}

/// Every `.sfz` entry under `dir`, sorted by path (or `dir` alone, when it is an entry itself).
///
/// Symbolic links to directories are followed once each: a directory reached again (a link
/// loop, or two links to one place) is not read twice.
pub fn entries_under(dir: &Path) -> Result<Vec<PathBuf>, EntryError> {
    // One entry named by itself is a corpus of one.
    if dir.is_file() && dir.extension().is_some_and(|ext| ext == "sfz") {
        return Ok(vec![dir.to_path_buf()]);
    }
    let mut found = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        if let Ok(canonical) = std::fs::canonicalize(&dir)
            && !seen.insert(canonical)
        {
            continue;
        }
        let entries = std::fs::read_dir(&dir).map_err(|source| EntryError::Read {
            path: dir.clone(),
            source,
        })?;
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|ext| ext == "sfz") {
                found.push(path);
            }
        }
    }
    found.sort();
    Ok(found)
}

fn syntax(line: usize, message: String) -> EntryError {
    EntryError::Syntax(SyntaxError { line, message })
}

fn parse_rate(value: &str) -> Option<(u32, u32)> {
    let (hits, attempts) = value.split_once('/')?;
    Some((hits.trim().parse().ok()?, attempts.trim().parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::script::{Edit, FileSlot, Step, Text};
    use crate::util::SeededInputs;

    #[test]
    fn a_threaded_entry_records_its_schedule_and_how_it_replays() {
        let script = EditScript {
            threads: 2,
            initial: Vec::new(),
            steps: vec![Step::Join],
        };
        let mut entry = Entry::new(script, Status::New, "Salsa: x".to_owned());
        assert_eq!(entry.replays(), Replays::Flaky);
        assert!(entry.to_text().contains("\nreplays: flaky\n"));
        entry.schedule = Some("pct depth=2 horizon=512 seed=0x2a".parse().unwrap());
        let text = entry.to_text();
        assert!(
            text.contains(
                "\nschedule: pct depth=2 horizon=512 seed=0x000000000000002a\nreplays: schedule\n"
            ),
            "{text}"
        );
        let back = Entry::parse(&text).unwrap();
        assert_eq!(back.schedule, entry.schedule);
        assert_eq!(back.replays(), Replays::Schedule);
        entry.sequential = true;
        assert_eq!(entry.replays(), Replays::Deterministic);
        let bad = text.replace("depth=2", "depth=0");
        let Err(EntryError::Syntax(error)) = Entry::parse(&bad) else {
            panic!("a bad schedule parsed");
        };
        assert!(error.to_string().contains("bad schedule"), "{error}");
        let bad = text.replace("replays: schedule", "replays: sometimes");
        assert!(Entry::parse(&bad).is_err());
    }

    /// Texts are stored rendered, as literals: the script an entry holds.
    fn literalized(script: &EditScript) -> EditScript {
        let text = |text: &Text| Text::literal(&text.render());
        EditScript {
            threads: script.threads,
            initial: script
                .initial
                .iter()
                .map(|(slot, t)| (*slot, text(t)))
                .collect(),
            steps: script
                .steps
                .iter()
                .map(|step| match step {
                    Step::Edit(slot, Edit::Insert { at, text: t }) => Step::Edit(
                        *slot,
                        Edit::Insert {
                            at: *at,
                            text: text(t),
                        },
                    ),
                    Step::Edit(slot, Edit::Replace { at, len, text: t }) => Step::Edit(
                        *slot,
                        Edit::Replace {
                            at: *at,
                            len: *len,
                            text: text(t),
                        },
                    ),
                    Step::Edit(slot, Edit::ReplaceAll(t)) => {
                        Step::Edit(*slot, Edit::ReplaceAll(text(t)))
                    }
                    Step::AddFile(slot, t) => Step::AddFile(*slot, text(t)),
                    other => other.clone(),
                })
                .collect(),
        }
    }

    #[test]
    fn generated_scripts_round_trip_through_entries_and_bytes() {
        let mut inputs = SeededInputs::new(5);
        for _ in 0..500 {
            let decoded = EditScript::from_bytes(&inputs.next_input());
            let script = literalized(&decoded);
            let entry = Entry::new(script.clone(), Status::New, "Salsa: something".to_owned());
            let parsed = Entry::parse(&entry.to_text()).expect("an entry parses");
            assert_eq!(parsed, entry);
            assert_eq!(EditScript::from_bytes(&parsed.script.to_bytes()), script);
            // The fuzzer's script and the entry written from it choose one schedule, though
            // the entry's texts are literals and encode to other bytes.
            assert_eq!(
                crate::script::schedule::Schedule::of_script(&parsed.script),
                crate::script::schedule::Schedule::of_script(&decoded)
            );
        }
    }

    #[test]
    fn corrupt_truncated_and_newer_entries_are_errors() {
        let entry = Entry::new(
            EditScript {
                threads: 2,
                initial: vec![(FileSlot(0), Text::literal("x = 1\n"))],
                steps: vec![Step::Join],
            },
            Status::Seed,
            String::new(),
        );
        let text = entry.to_text();
        let truncated = &text[..text.len() - "end\n".len()];
        assert!(matches!(
            Entry::parse(truncated),
            Err(EntryError::Truncated)
        ));
        assert!(matches!(
            Entry::parse(&text.replace("join", "jump")),
            Err(EntryError::Syntax(SyntaxError { line: 14, .. }))
        ));
        assert!(matches!(
            Entry::parse(&text.replace("format: 2", "format: 7")),
            Err(EntryError::NewerFormat(7))
        ));
        assert!(Entry::parse("garbage").is_err());
        // Scripts the byte encoding cannot hold are refused, so exports never change a script.
        for bad in ["lru-capacity 9", "add a.py \"tab\\u{7}\"", "threads 0"] {
            let text = text.replace("join", bad);
            assert!(
                matches!(Entry::parse(&text), Err(EntryError::Syntax(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn a_symlink_loop_is_read_once() {
        let scratch = tempfile::tempdir().expect("a scratch directory");
        let root = scratch.path();
        std::fs::create_dir(root.join("a")).expect("a directory");
        std::fs::write(root.join("a/x.sfz"), "").expect("a file");
        std::os::unix::fs::symlink(root, root.join("a/loop")).expect("a link");
        let found = entries_under(root).expect("readable");
        assert_eq!(found, [root.join("a/x.sfz")]);
    }

    #[test]
    fn committed_entries_re_render_byte_identically() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut paths = Vec::new();
        // The committed ones: `corpus/working` and `corpus/findings` are a checkout's own.
        for dir in ["corpus/seeds", "corpus/regressions", "tests/fixtures"] {
            paths.extend(entries_under(&root.join(dir)).expect("a readable dir"));
        }
        assert!(
            paths.len() >= 9,
            "the committed entries are found: {paths:?}"
        );
        for path in paths {
            let text = std::fs::read_to_string(&path).expect("a readable entry");
            let entry = Entry::parse(&text)
                .unwrap_or_else(|problem| panic!("{}: {problem}", path.display()));
            // A script holds no comments: the body's `#` lines (a finding's story) are the
            // only lines not written back.
            let (header, body) = text.split_once("\n---\n").expect("a header");
            let body: String = body
                .lines()
                .filter(|line| !line.starts_with('#'))
                .map(|line| format!("{line}\n"))
                .collect();
            let expected = format!("{header}\n---\n{body}");
            assert_eq!(entry.to_text(), expected, "{}", path.display());
        }
    }
}
