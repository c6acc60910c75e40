//! Corpus entries: a versioned, readable envelope around a script, stored under `corpus/`.
//!
//! ```text
//! # salsa-fuzz corpus entry
//! format: 1
//! salsa: 0.28.5
//! parser: 0.0.10
//! status: canary
//! signature: Canary: panic `canary: …` at src/db/canary.rs:58 []
//! mode: sequential
//! rate: 10/10
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
//! The header says what the entry was found against and how often it reproduced; the body is
//! the script, one step a line, texts as quoted strings with Rust escapes. The final `end` line
//! makes a truncated file an error rather than a shorter script. Entries of a newer format
//! fail with a message naming the version. Writes go to a temporary file renamed into place.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::script::{
    Edit, EditScript, Fault, FaultPoint, FileSlot, MAX_FAULT_NTH, MODULES, ModuleRef, PATHS, Query,
    Step, Text,
};

/// The format this build writes, and the newest it reads.
pub const FORMAT_VERSION: u32 = 1;

/// The salsa version the suite is built against (from `Cargo.toml`).
pub const SALSA_VERSION: &str = crate::db::compat::SALSA;

/// The parser version the suite is built against (from `Cargo.toml`).
pub const PARSER_VERSION: &str = "0.0.10";

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
    /// The format it was written in.
    pub format: u32,
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
    /// The script.
    pub script: EditScript,
}

/// Why a file is not a valid entry.
#[derive(Debug, PartialEq, Eq)]
pub enum EntryError {
    /// The file could not be read or written.
    Io(String),
    /// Line `line` is wrong.
    Syntax {
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// Written by a newer format.
    NewerFormat(u32),
    /// The `end` line is missing: the file was truncated.
    Truncated,
}

impl std::fmt::Display for EntryError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EntryError::Io(message) => write!(f, "{message}"),
            EntryError::Syntax { line: 0, message } => write!(f, "{message}"),
            EntryError::Syntax { line, message } => write!(f, "line {line}: {message}"),
            EntryError::NewerFormat(version) => write!(
                f,
                "written by corpus format {version}; this build reads formats up to {FORMAT_VERSION}"
            ),
            EntryError::Truncated => write!(f, "truncated: the final `end` line is missing"),
        }
    }
}

impl std::error::Error for EntryError {}

/// The first line of every entry, which also tells entries from raw libFuzzer artifacts.
pub const MAGIC: &str = "# salsa-fuzz corpus entry";

impl Entry {
    /// An entry for `script` with the current versions and today's date.
    pub fn new(script: EditScript, status: Status, signature: String) -> Entry {
        Entry {
            format: FORMAT_VERSION,
            salsa: SALSA_VERSION.to_owned(),
            parser: PARSER_VERSION.to_owned(),
            status,
            signature,
            sequential: false,
            rate: (0, 0),
            found: today(),
            script,
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
        let _ = writeln!(out, "format: {}", self.format);
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
                    entry.format = format;
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
                _ => return Err(syntax(number, format!("unknown header `{key}`"))),
            }
        }
        if !format_seen {
            return Err(syntax(1, "the header has no `format:` line".to_owned()));
        }
        entry.script = parse_script(&mut lines)?;
        check_encodable(&entry.script)?;
        Ok(entry)
    }

    /// Reads and parses the entry at `path`.
    pub fn read(path: &Path) -> Result<Entry, EntryError> {
        let text = std::fs::read_to_string(path)
            .map_err(|error| EntryError::Io(format!("cannot read {}: {error}", path.display())))?;
        Entry::parse(&text)
    }

    /// Writes the entry to `path` atomically (a temporary file renamed into place), so a crash
    /// never leaves half an entry and an existing entry is replaced only by a whole one.
    /// The text is parsed back first: an entry that would not read back (a literal the byte
    /// encoding cannot hold) is refused, not written.
    pub fn write(&self, path: &Path) -> Result<(), EntryError> {
        let text = self.to_text();
        Entry::parse(&text)?;
        write_atomically(path, text.as_bytes())
    }
}

/// What replaying an entry showed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Replay {
    /// The signature of the last finding seen, if any.
    pub observed: Option<String>,
    /// Runs that showed the entry's own signature.
    pub hits: u32,
    /// Runs made.
    pub attempts: u32,
}

impl Entry {
    /// Replays the entry in its mode: once if sequential, else up to `attempts` times,
    /// stopping at the first run that shows its signature.
    pub fn replay(&self, attempts: u32) -> Replay {
        let attempts = if self.sequential { 1 } else { attempts.max(1) };
        let mut replay = Replay {
            observed: None,
            hits: 0,
            attempts: 0,
        };
        for _ in 0..attempts {
            replay.attempts += 1;
            let observed = crate::minimize::signature_of(&self.script, self.sequential);
            if observed.is_some() {
                replay.observed = observed;
            }
            if !self.signature.is_empty()
                && replay.observed.as_deref() == Some(self.signature.as_str())
            {
                replay.hits += 1;
                break;
            }
        }
        replay
    }

    /// What replaying must show for this entry's status, in words.
    pub fn expectation(&self) -> &'static str {
        match self.status {
            Status::Seed => "no finding",
            Status::Fixed => "does not reproduce",
            Status::KnownOpen => "reproduces",
            Status::Canary if cfg!(feature = "canary") => "reproduces (canary on)",
            Status::Canary => "does not reproduce (canary off)",
            Status::New => "anything (untriaged)",
        }
    }

    /// Whether `replay` is what this entry's status requires; `Err` says why not.
    pub fn judge(&self, replay: &Replay) -> Result<(), String> {
        let reproduced = replay.hits > 0;
        let ok = match self.status {
            // With the canary planted, a seed may well find it: that is the canary's business.
            Status::Seed => replay.observed.as_deref().is_none_or(|signature| {
                cfg!(feature = "canary") && signature.starts_with("Canary:")
            }),
            Status::Fixed => !reproduced,
            Status::KnownOpen => reproduced,
            Status::Canary => reproduced == cfg!(feature = "canary"),
            Status::New => true,
        };
        if ok {
            return Ok(());
        }
        Err(format!(
            "expected: {}; observed: {} in {} runs",
            self.expectation(),
            replay.observed.as_deref().unwrap_or("no finding"),
            replay.attempts
        ))
    }
}

/// Every `.sfz` entry under `dir`, sorted by path.
pub fn entries_under(dir: &Path) -> Result<Vec<PathBuf>, EntryError> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let entries = std::fs::read_dir(&dir)
            .map_err(|error| EntryError::Io(format!("cannot read {}: {error}", dir.display())))?;
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

/// FNV-1a of `bytes`: stable across builds and platforms, for naming files by content.
pub fn content_hash(bytes: &[u8]) -> u64 {
    let mut hasher = Fnv::default();
    std::hash::Hasher::write(&mut hasher, bytes);
    std::hash::Hasher::finish(&hasher)
}

/// The FNV-1a hasher behind [`content_hash`], for hashing through `Hash` (the campaign's
/// feedback features): deterministic, unlike `std`'s randomly keyed hasher.
pub struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Self {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
}

impl std::hash::Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.0 = (self.0 ^ u64::from(byte)).wrapping_mul(0x100_0000_01b3);
        }
    }
}

/// Writes `bytes` to `path` through a temporary file in the same directory and a rename.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), EntryError> {
    let io = |what: &str, error: std::io::Error| {
        EntryError::Io(format!("cannot {what} {}: {error}", path.display()))
    };
    if let Some(parent) = path
        .parent()
        .filter(|parent| !parent.as_os_str().is_empty())
    {
        std::fs::create_dir_all(parent).map_err(|error| io("create the directory of", error))?;
    }
    let file_name = path
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();
    let temporary: PathBuf =
        path.with_file_name(format!(".{file_name}.tmp-{}", std::process::id()));
    if let Err(error) = std::fs::write(&temporary, bytes) {
        let _ = std::fs::remove_file(&temporary);
        return Err(io("write", error));
    }
    std::fs::rename(&temporary, path).map_err(|error| {
        let _ = std::fs::remove_file(&temporary);
        io("rename into", error)
    })
}

fn syntax(line: usize, message: String) -> EntryError {
    EntryError::Syntax { line, message }
}

fn parse_rate(value: &str) -> Option<(u32, u32)> {
    let (hits, attempts) = value.split_once('/')?;
    Some((hits.trim().parse().ok()?, attempts.trim().parse().ok()?))
}

/// Today's date in UTC, `YYYY-MM-DD` (metadata only; never used in a decision).
pub fn today() -> String {
    let seconds = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs());
    civil_date((seconds / 86_400) as i64)
}

/// `YYYY-MM-DD` of a day counted from 1970-01-01 (Howard Hinnant's `civil_from_days`).
fn civil_date(days: i64) -> String {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

/// The script as readable lines (the entry body without `end`).
pub fn script_to_text(script: &EditScript) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "threads {}", script.threads);
    for (slot, text) in &script.initial {
        let _ = writeln!(out, "file {} {:?}", slot.path(), text.render());
    }
    for step in &script.steps {
        write_step(&mut out, step);
    }
    out
}

fn write_step(out: &mut String, step: &Step) {
    let _ = match step {
        Step::Edit(slot, edit) => {
            let path = slot.path();
            match edit {
                Edit::Insert { at, text } => {
                    writeln!(out, "edit {path} insert {at} {:?}", text.render())
                }
                Edit::Delete { at, len } => writeln!(out, "edit {path} delete {at} {len}"),
                Edit::Replace { at, len, text } => {
                    writeln!(out, "edit {path} replace {at} {len} {:?}", text.render())
                }
                Edit::ReplaceAll(text) => {
                    writeln!(out, "edit {path} replace-all {:?}", text.render())
                }
                Edit::Clear => writeln!(out, "edit {path} clear"),
                Edit::Restore(back) => writeln!(out, "edit {path} restore {back}"),
            }
        }
        Step::AddFile(slot, text) => writeln!(out, "add {} {:?}", slot.path(), text.render()),
        Step::RemoveFile(slot) => writeln!(out, "remove {}", slot.path()),
        Step::SetLibrary(slot, library) => {
            writeln!(
                out,
                "library {} {}",
                slot.path(),
                if *library { "on" } else { "off" }
            )
        }
        Step::SetLruCapacity(capacity) => writeln!(out, "lru-capacity {capacity}"),
        Step::Query(query) => writeln!(out, "query {}", query_to_text(query)),
        Step::SpawnBatch(queries) => {
            let _ = writeln!(out, "spawn");
            for query in queries {
                let _ = writeln!(out, "  query {}", query_to_text(query));
            }
            Ok(())
        }
        Step::Join => writeln!(out, "join"),
        Step::Cancel => writeln!(out, "cancel"),
        Step::SyntheticWrite(high) => writeln!(
            out,
            "synthetic-write {}",
            if *high { "high" } else { "low" }
        ),
        Step::TriggerLruEviction => writeln!(out, "lru-evict"),
        Step::CheckAll => writeln!(out, "check-all"),
        Step::Fault(fault) => writeln!(
            out,
            "fault {} at {} {}",
            if fault.cancel { "cancel" } else { "panic" },
            fault.point.name(),
            fault.nth
        ),
    };
}

/// `resolve_names a.py scope 2`, `resolve_module pkg.m`, …
pub fn query_to_text(query: &Query) -> String {
    match query {
        Query::ResolveModule(module) => format!("resolve_module {}", module.as_str()),
        Query::SymbolTable(slot, scope) | Query::ResolveNames(slot, scope) => {
            format!("{} {} scope {scope}", query.name(), slot.path())
        }
        _ => match query.file() {
            Some(slot) => format!("{} {}", query.name(), slot.path()),
            None => query.name().to_owned(),
        },
    }
}

/// Rejects a script the byte encoding cannot hold, so that `corpus export` never seeds
/// libFuzzer with a different script than the entry says.
fn check_encodable(script: &EditScript) -> Result<(), EntryError> {
    use crate::script::{
        MAX_BATCH, MAX_INITIAL_FILES, MAX_LITERAL_CHARS, MAX_STEPS, is_literal_text,
    };
    let problem = if !(1..=4).contains(&script.threads) {
        Some(format!("threads must be 1 to 4, not {}", script.threads))
    } else if script.initial.len() > MAX_INITIAL_FILES {
        Some(format!("at most {MAX_INITIAL_FILES} `file` lines"))
    } else if script.steps.len() > MAX_STEPS {
        Some(format!("at most {MAX_STEPS} steps"))
    } else if script.steps.iter().any(|step| matches!(step, Step::SpawnBatch(queries) if queries.is_empty() || queries.len() > MAX_BATCH)) {
        Some(format!("a `spawn` holds 1 to {MAX_BATCH} queries"))
    } else if script.steps.iter().any(|step| matches!(step, Step::SetLruCapacity(capacity) if *capacity > 4)) {
        Some("`lru-capacity` is 0 to 4".to_owned())
    } else {
        None
    };
    if let Some(problem) = problem {
        return Err(syntax(0, problem));
    }
    for text in script.texts().map(Text::render) {
        if !is_literal_text(&text) || text.chars().count() > MAX_LITERAL_CHARS {
            return Err(syntax(
                0,
                format!(
                    "text {text:?} has characters outside printable ASCII, newline, tab and `é`, or more than {MAX_LITERAL_CHARS}"
                ),
            ));
        }
    }
    if EditScript::from_bytes(&script.to_bytes()) != *script {
        return Err(syntax(
            0,
            "the script does not survive the byte encoding".to_owned(),
        ));
    }
    Ok(())
}

type Lines<'a, I> = std::iter::Peekable<&'a mut I>;

fn parse_script<'t>(
    lines: &mut impl Iterator<Item = (usize, &'t str)>,
) -> Result<EditScript, EntryError> {
    let mut script = EditScript {
        threads: 1,
        initial: Vec::new(),
        steps: Vec::new(),
    };
    let mut lines: Lines<'_, _> = lines.peekable();
    while let Some((number, line)) = lines.next() {
        let line = line.trim_end();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if line == "end" {
            return Ok(script);
        }
        let (word, rest) = line.split_once(' ').unwrap_or((line, ""));
        let step = match word {
            "threads" => {
                let threads: u8 = rest
                    .parse()
                    .map_err(|_| syntax(number, format!("bad thread count `{rest}`")))?;
                script.threads = threads;
                continue;
            }
            "file" => {
                let (slot, rest) = parse_slot(number, rest)?;
                script
                    .initial
                    .push((slot, Text::literal(&parse_quoted(number, rest)?)));
                continue;
            }
            "spawn" => {
                let mut queries = Vec::new();
                while let Some((number, line)) = lines.next_if(|(_, line)| line.starts_with("  ")) {
                    let query = line.trim().strip_prefix("query ").ok_or_else(|| {
                        syntax(number, "expected `query …` inside `spawn`".to_owned())
                    })?;
                    queries.push(parse_query(number, query)?);
                }
                Step::SpawnBatch(queries)
            }
            _ => parse_step(number, word, rest)?,
        };
        script.steps.push(step);
    }
    Err(EntryError::Truncated)
}

fn parse_step(number: usize, word: &str, rest: &str) -> Result<Step, EntryError> {
    Ok(match word {
        "edit" => {
            let (slot, rest) = parse_slot(number, rest)?;
            Step::Edit(slot, parse_edit(number, rest)?)
        }
        "add" => {
            let (slot, rest) = parse_slot(number, rest)?;
            Step::AddFile(slot, Text::literal(&parse_quoted(number, rest)?))
        }
        "remove" => Step::RemoveFile(parse_slot(number, rest)?.0),
        "library" => {
            let (slot, rest) = parse_slot(number, rest)?;
            Step::SetLibrary(slot, parse_choice(number, rest, "on", "off")?)
        }
        "lru-capacity" => Step::SetLruCapacity(parse_number(number, rest)?),
        "query" => Step::Query(parse_query(number, rest)?),
        "join" => Step::Join,
        "cancel" => Step::Cancel,
        "synthetic-write" => Step::SyntheticWrite(parse_choice(number, rest, "high", "low")?),
        "lru-evict" => Step::TriggerLruEviction,
        "check-all" => Step::CheckAll,
        "fault" => {
            let mut words = rest.split(' ');
            let cancel = parse_choice(number, words.next().unwrap_or(""), "cancel", "panic")?;
            if words.next() != Some("at") {
                return Err(syntax(
                    number,
                    "expected `fault panic|cancel at POINT N`".to_owned(),
                ));
            }
            let name = words.next().unwrap_or("");
            let point = FaultPoint::named(name)
                .ok_or_else(|| syntax(number, format!("unknown fault point `{name}`")))?;
            let nth: u8 = parse_number(number, words.next().unwrap_or(""))?;
            if !(1..=MAX_FAULT_NTH).contains(&nth) {
                return Err(syntax(
                    number,
                    format!("fault count {nth} is outside 1..={MAX_FAULT_NTH}"),
                ));
            }
            Step::Fault(Fault { point, nth, cancel })
        }
        _ => return Err(syntax(number, format!("unknown step `{word}`"))),
    })
}

fn parse_edit(number: usize, rest: &str) -> Result<Edit, EntryError> {
    let (kind, rest) = rest.split_once(' ').unwrap_or((rest, ""));
    let mut words = rest.splitn(3, ' ');
    Ok(match kind {
        "insert" => {
            let at = parse_number(number, words.next().unwrap_or(""))?;
            let text = rest.split_once(' ').map_or("", |(_, text)| text);
            Edit::Insert {
                at,
                text: Text::literal(&parse_quoted(number, text)?),
            }
        }
        "delete" => Edit::Delete {
            at: parse_number(number, words.next().unwrap_or(""))?,
            len: parse_number(number, words.next().unwrap_or(""))?,
        },
        "replace" => Edit::Replace {
            at: parse_number(number, words.next().unwrap_or(""))?,
            len: parse_number(number, words.next().unwrap_or(""))?,
            text: Text::literal(&parse_quoted(number, words.next().unwrap_or(""))?),
        },
        "replace-all" => Edit::ReplaceAll(Text::literal(&parse_quoted(number, rest)?)),
        "clear" => Edit::Clear,
        "restore" => Edit::Restore(parse_number(number, rest)?),
        _ => return Err(syntax(number, format!("unknown edit `{kind}`"))),
    })
}

fn parse_query(number: usize, text: &str) -> Result<Query, EntryError> {
    let words: Vec<&str> = text.split_whitespace().collect();
    let slot = |index: usize| -> Result<FileSlot, EntryError> {
        let path = words.get(index).copied().unwrap_or("");
        Ok(parse_slot(number, path)?.0)
    };
    let scope = || -> Result<u8, EntryError> {
        match words.get(2..4) {
            Some(["scope", value]) => parse_number(number, value),
            _ => Err(syntax(number, "expected `scope N`".to_owned())),
        }
    };
    Ok(match words.first().copied().unwrap_or("") {
        "parsed_module" => Query::Parse(slot(1)?),
        "semantic_index" => Query::Scopes(slot(1)?),
        "symbol_table" => Query::SymbolTable(slot(1)?, scope()?),
        "resolve_names" => Query::ResolveNames(slot(1)?, scope()?),
        "module_exports" => Query::Exports(slot(1)?),
        "check_file" => Query::Diagnostics(slot(1)?),
        "resolve_module" => {
            let module = words.get(1).copied().unwrap_or("");
            let index = MODULES
                .iter()
                .position(|known| *known == module)
                .ok_or_else(|| {
                    syntax(
                        number,
                        format!("unknown module `{module}` (one of {MODULES:?})"),
                    )
                })?;
            Query::ResolveModule(ModuleRef(index as u8))
        }
        other => return Err(syntax(number, format!("unknown query `{other}`"))),
    })
}

fn parse_slot(number: usize, text: &str) -> Result<(FileSlot, &str), EntryError> {
    let (path, rest) = text.split_once(' ').unwrap_or((text, ""));
    let index = PATHS
        .iter()
        .position(|known| *known == path)
        .ok_or_else(|| syntax(number, format!("unknown path `{path}` (one of {PATHS:?})")))?;
    Ok((FileSlot(index as u8), rest))
}

fn parse_number<T: std::str::FromStr>(number: usize, text: &str) -> Result<T, EntryError> {
    text.trim()
        .parse()
        .map_err(|_| syntax(number, format!("expected a number, found `{text}`")))
}

fn parse_choice(number: usize, text: &str, yes: &str, no: &str) -> Result<bool, EntryError> {
    match text.trim() {
        word if word == yes => Ok(true),
        word if word == no => Ok(false),
        other => Err(syntax(
            number,
            format!("expected `{yes}` or `{no}`, found `{other}`"),
        )),
    }
}

/// Parses a string written with `{:?}`: quotes, and the escapes Rust's `Debug` produces.
fn parse_quoted(number: usize, text: &str) -> Result<String, EntryError> {
    let bad = |message: &str| syntax(number, format!("{message} in {text}"));
    let inner = text
        .trim()
        .strip_prefix('"')
        .and_then(|rest| rest.strip_suffix('"'))
        .ok_or_else(|| bad("expected a quoted string"))?;
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('r') => out.push('\r'),
            Some('0') => out.push('\0'),
            Some('\\') => out.push('\\'),
            Some('"') => out.push('"'),
            Some('\'') => out.push('\''),
            Some('u') => {
                let rest: String = chars.by_ref().take_while(|&c| c != '}').collect();
                let code = rest
                    .strip_prefix('{')
                    .and_then(|hex| u32::from_str_radix(hex, 16).ok())
                    .and_then(char::from_u32)
                    .ok_or_else(|| bad("bad \\u escape"))?;
                out.push(code);
            }
            _ => return Err(bad("bad escape")),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fuzz::SeededInputs;

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
            let script = literalized(&EditScript::from_bytes(&inputs.next_input()));
            let entry = Entry::new(script.clone(), Status::New, "Salsa: something".to_owned());
            let parsed = Entry::parse(&entry.to_text()).expect("an entry parses");
            assert_eq!(parsed, entry);
            assert_eq!(EditScript::from_bytes(&parsed.script.to_bytes()), script);
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
        assert_eq!(Entry::parse(truncated), Err(EntryError::Truncated));
        assert!(matches!(
            Entry::parse(&text.replace("join", "jump")),
            Err(EntryError::Syntax { .. })
        ));
        assert_eq!(
            Entry::parse(&text.replace("format: 1", "format: 7")),
            Err(EntryError::NewerFormat(7))
        );
        assert!(Entry::parse("garbage").is_err());
        // Scripts the byte encoding cannot hold are refused, so exports never change a script.
        for bad in ["lru-capacity 9", "add a.py \"tab\\u{7}\"", "threads 0"] {
            let text = text.replace("join", bad);
            assert!(
                matches!(Entry::parse(&text), Err(EntryError::Syntax { .. })),
                "{bad}"
            );
        }
    }

    #[test]
    fn dates_are_civil() {
        assert_eq!(civil_date(0), "1970-01-01");
        assert_eq!(civil_date(11_016), "2000-02-29");
        assert_eq!(civil_date(20_782), "2026-11-25");
        assert_eq!(today().len(), 10);
    }
}
