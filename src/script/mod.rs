//! The edit script: the life of an editor session as data, decoded from fuzzer bytes.
//!
//! A script names files by slot (an index into [`PATHS`]) and scopes by position, never by
//! salsa handle, so any step can be deleted and the rest still runs: the executor skips a step
//! whose file is missing. Decoding never fails: short input just gives a short script.

mod codec;
pub mod mutate;
pub mod schedule;
pub mod syntax;
mod text;

use arbitrary::{Arbitrary, Unstructured};

pub use crate::db::{Fault, FaultPoint};
pub use codec::{Codec, Reader, Writer};
pub use text::{
    Fragment, MAX_FRAGMENTS, MAX_LITERAL_CHARS, MODULES, ModuleRef, NAMES, NameRef, Text,
    is_literal_text,
};

/// The paths a script's files live at: top-level modules, a package and its submodule, so that
/// absolute, relative and star imports between them resolve, and one path that is no module.
pub const PATHS: &[&str] = &[
    "a.py",
    "b.py",
    "c.py",
    "pkg/__init__.py",
    "pkg/m.py",
    "notes.txt",
];

/// Caps the number of steps: the original report needed 3 edits; 64 leaves room for
/// interleavings while keeping a run near a millisecond.
pub const MAX_STEPS: usize = 64;

/// Caps the files created before the first step; later steps can add the others.
pub const MAX_INITIAL_FILES: usize = 4;

/// Caps the queries of one background batch: enough to race several files.
pub const MAX_BATCH: usize = 8;

/// The largest event count a fault waits for: enough to land deep inside a fixpoint iteration
/// (every `fetch` is a cancellation check).
pub const MAX_FAULT_NTH: u8 = 64;

/// The last cancellation check of a query a [`Step::CancelRequest`] can cancel it at.
pub const MAX_CANCEL_CHECK: u8 = 63;

/// Caps a file's text, in bytes, after an edit: edits keep texts small so parsing stays cheap.
pub const MAX_TEXT_BYTES: usize = 2048;

/// A slot in [`PATHS`].
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct FileSlot(pub u8);

impl FileSlot {
    /// The file's path.
    pub fn path(self) -> &'static str {
        PATHS[usize::from(self.0) % PATHS.len()]
    }
}

impl Codec for FileSlot {
    fn decode(reader: &mut Reader<'_>) -> Option<Self> {
        Some(FileSlot(reader.choose(PATHS.len())? as u8))
    }
    fn encode(&self, writer: &mut Writer) {
        writer.choose(usize::from(self.0) % PATHS.len());
    }
}

/// An edit an editor sends for one file.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Edit {
    /// Insert text at a byte offset (clamped to the text and to a character boundary).
    Insert {
        /// Where.
        at: u16,
        /// What.
        text: Text,
    },
    /// Delete `len` bytes at `at` (clamped).
    Delete {
        /// Where.
        at: u16,
        /// How much.
        len: u16,
    },
    /// Replace `len` bytes at `at` (clamped) by `text`.
    Replace {
        /// Where.
        at: u16,
        /// How much.
        len: u16,
        /// By what.
        text: Text,
    },
    /// Replace the whole text.
    ReplaceAll(Text),
    /// Delete everything.
    Clear,
    /// Restore an earlier text of the same file (`n`-th back in its history, wrapping): type
    /// `def `, delete everything, type `def ` again.
    Restore(u8),
}

/// A query the script asks; scope queries pick the `scope`-th scope of the file (wrapping).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum Query {
    /// `parsed_module`: the number of syntax errors.
    Parse(FileSlot),
    /// `semantic_index` and the scopes' tracked fields.
    Scopes(FileSlot),
    /// `symbol_table` of one scope.
    SymbolTable(FileSlot, u8),
    /// `resolve_names` of one scope.
    ResolveNames(FileSlot, u8),
    /// `module_exports`.
    Exports(FileSlot),
    /// `check_file` and its accumulated diagnostics.
    Diagnostics(FileSlot),
    /// `resolve_module` of a module of the pool.
    ResolveModule(ModuleRef),
    /// Type inference: `infer_binding` of every name the module binds, `infer_return` of
    /// every function.
    Types(FileSlot),
    /// `star_closure`: the files reachable through star imports and the sizes assigned
    /// (`specify`) inside that fixpoint.
    Closure(FileSlot),
    /// The line probes `line_index` (backdating), `line_starts` (LRU) and `line_marks` (a
    /// tracked struct per line): their line counts, and whether each ran exactly when salsa's
    /// rules say it must, kept its structs' ids and discarded the stale ones. Asked on the
    /// main thread only (a background batch leaves it out).
    Lines(FileSlot),
}

impl Query {
    /// The name of the database query this asks.
    pub fn name(&self) -> &'static str {
        match self {
            Query::Parse(_) => "parsed_module",
            Query::Scopes(_) => "semantic_index",
            Query::SymbolTable(..) => "symbol_table",
            Query::ResolveNames(..) => "resolve_names",
            Query::Exports(_) => "module_exports",
            Query::Diagnostics(_) => "check_file",
            Query::ResolveModule(_) => "resolve_module",
            Query::Types(_) => "types",
            Query::Closure(_) => "star_closure",
            Query::Lines(_) => "lines",
        }
    }

    /// The file the query is about (`None` for `resolve_module`).
    pub fn file(&self) -> Option<FileSlot> {
        match *self {
            Query::Parse(slot)
            | Query::Scopes(slot)
            | Query::SymbolTable(slot, _)
            | Query::ResolveNames(slot, _)
            | Query::Exports(slot)
            | Query::Diagnostics(slot)
            | Query::Types(slot)
            | Query::Closure(slot)
            | Query::Lines(slot) => Some(slot),
            Query::ResolveModule(_) => None,
        }
    }
}

/// A durability class of salsa inputs, as ty uses them: LOW for workspace files, MEDIUM for a
/// second search-path class, HIGH for library files.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DurabilityClass {
    /// `Durability::LOW`.
    Low,
    /// `Durability::MEDIUM`.
    Medium,
    /// `Durability::HIGH`.
    High,
}

impl DurabilityClass {
    /// Every class, in the byte encoding's order.
    pub const ALL: [DurabilityClass; 3] = [
        DurabilityClass::Low,
        DurabilityClass::Medium,
        DurabilityClass::High,
    ];

    /// `low`, `medium`, `high`.
    pub fn name(self) -> &'static str {
        match self {
            DurabilityClass::Low => "low",
            DurabilityClass::Medium => "medium",
            DurabilityClass::High => "high",
        }
    }

    /// The class called `name`.
    pub fn named(name: &str) -> Option<DurabilityClass> {
        DurabilityClass::ALL
            .into_iter()
            .find(|class| class.name() == name)
    }

    /// salsa's durability.
    pub fn durability(self) -> salsa::Durability {
        match self {
            DurabilityClass::Low => salsa::Durability::LOW,
            DurabilityClass::Medium => salsa::Durability::MEDIUM,
            DurabilityClass::High => salsa::Durability::HIGH,
        }
    }

    fn decode(reader: &mut Reader<'_>) -> Option<DurabilityClass> {
        Some(DurabilityClass::ALL[reader.choose(3)?])
    }

    fn encode(self, writer: &mut Writer) {
        writer.choose(self as usize);
    }
}

/// One step of a script.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Step {
    /// Edit a file (skipped if it does not exist).
    Edit(FileSlot, Edit),
    /// Create a file, or replace a removed one, with a text.
    AddFile(FileSlot, Text),
    /// Remove a file from the project.
    RemoveFile(FileSlot),
    /// Mark a file as library (HIGH durability) or workspace (LOW).
    SetLibrary(FileSlot, bool),
    /// Move a file to another durability class and change nothing else: its text and
    /// existence are set again, unchanged, at that durability (ty moves files between search
    /// path classes this way). Shares [`Step::kind`] with [`Step::SetLibrary`].
    SetDurability(FileSlot, DurabilityClass),
    /// Make a file a builtin stub: its text and existence are set again, unchanged, at
    /// `Durability::NEVER_CHANGE`, and every later step that would change the file is skipped.
    /// Shares [`Step::kind`] with [`Step::SetLibrary`].
    Freeze(FileSlot),
    /// Set `parsed_module`'s LRU capacity (0 disables eviction).
    SetLruCapacity(u8),
    /// Ask one query on the main thread and check it against the model.
    Query(Query),
    /// Start a batch of queries on a cloned handle, in the background.
    SpawnBatch(Vec<Query>),
    /// Wait for every background batch and check their answers.
    Join,
    /// `trigger_cancellation`: cancel the background batches.
    Cancel,
    /// `synthetic_write` at a durability: a new revision with no input change.
    SyntheticWrite(DurabilityClass),
    /// `trigger_lru_eviction`.
    TriggerLruEviction,
    /// The editor restarts from a saved state: the database is serialized (salsa's
    /// `persistence`) and the script goes on in a database restored from it. Skipped in a
    /// build without the `persistence` feature. Shares [`Step::kind`] with
    /// [`Step::SyntheticWrite`] (a write boundary that changes no input).
    Persist,
    /// Compare every answer of the database with the model.
    CheckAll,
    /// Arm a fault: an unwind at the n-th matching salsa event (see [`crate::db::Fault`]).
    Fault(Fault),
    /// An editor cancels one request (`$/cancelRequest`), not a write: the next background
    /// batch spawned is cancelled through its own handle's `CancellationToken` while other
    /// batches go on: just before its query number `n` (modulo its length) if `at` is 0, else
    /// in the middle of that query, at its `at`-th cancellation check (see
    /// [`crate::db::request`]).
    CancelRequest(u8, u8),
    /// Set the names one source adds to the builtins (at most [`MAX_EXTRA_BUILTINS`]), and
    /// change nothing else.
    SetBuiltins(BuiltinsSource, Vec<NameRef>),
}

/// Caps the names of a [`Step::SetBuiltins`].
pub const MAX_EXTRA_BUILTINS: usize = 3;

/// Where a [`Step::SetBuiltins`] puts its names: two paths into the database that no other
/// step touches.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum BuiltinsSource {
    /// The settings, a singleton salsa input, written at a durability.
    Settings(DurabilityClass),
    /// The environment: state outside salsa, read by a query that reports an untracked read;
    /// set after a new revision (`synthetic_write(LOW)`).
    Environment,
}

/// The kinds of step, for swarm testing.
pub const STEP_KINDS: usize = 15;

impl Step {
    /// The step's kind, an index below [`STEP_KINDS`].
    pub fn kind(&self) -> usize {
        match self {
            Step::Edit(..) => 0,
            Step::AddFile(..) => 1,
            Step::RemoveFile(_) => 2,
            Step::SetLibrary(..) | Step::SetDurability(..) | Step::Freeze(_) => 3,
            Step::SetLruCapacity(_) => 4,
            Step::Query(_) => 5,
            Step::SpawnBatch(_) => 6,
            Step::Join => 7,
            Step::Cancel => 8,
            Step::SyntheticWrite(_) | Step::Persist => 9,
            Step::TriggerLruEviction => 10,
            Step::CheckAll => 11,
            Step::Fault(_) => 12,
            Step::CancelRequest(..) => 13,
            Step::SetBuiltins(..) => 14,
        }
    }

    /// The text the step types, if it types one (an insert, a replace, an added file).
    pub fn text(&self) -> Option<&Text> {
        match self {
            Step::Edit(
                _,
                Edit::Insert { text, .. } | Edit::Replace { text, .. } | Edit::ReplaceAll(text),
            )
            | Step::AddFile(_, text) => Some(text),
            _ => None,
        }
    }

    /// [`Step::text`], to change it.
    pub fn text_mut(&mut self) -> Option<&mut Text> {
        match self {
            Step::Edit(
                _,
                Edit::Insert { text, .. } | Edit::Replace { text, .. } | Edit::ReplaceAll(text),
            )
            | Step::AddFile(_, text) => Some(text),
            _ => None,
        }
    }

    /// Whether the step writes to the database (cancelling background work).
    pub fn is_write(&self) -> bool {
        !matches!(
            self,
            Step::Query(_)
                | Step::SpawnBatch(_)
                | Step::Join
                | Step::CheckAll
                | Step::CancelRequest(..)
        )
    }
}

impl Codec for Edit {
    fn decode(reader: &mut Reader<'_>) -> Option<Self> {
        Some(match reader.choose(6)? {
            0 => Edit::Insert {
                at: reader.u16()?,
                text: Text::decode(reader)?,
            },
            1 => Edit::Delete {
                at: reader.u16()?,
                len: reader.u16()?,
            },
            2 => Edit::Replace {
                at: reader.u16()?,
                len: reader.u16()?,
                text: Text::decode(reader)?,
            },
            3 => Edit::ReplaceAll(Text::decode(reader)?),
            4 => Edit::Clear,
            _ => Edit::Restore(reader.byte()?),
        })
    }

    fn encode(&self, writer: &mut Writer) {
        match self {
            Edit::Insert { at, text } => {
                writer.choose(0);
                writer.u16(*at);
                text.encode(writer);
            }
            Edit::Delete { at, len } => {
                writer.choose(1);
                writer.u16(*at);
                writer.u16(*len);
            }
            Edit::Replace { at, len, text } => {
                writer.choose(2);
                writer.u16(*at);
                writer.u16(*len);
                text.encode(writer);
            }
            Edit::ReplaceAll(text) => {
                writer.choose(3);
                text.encode(writer);
            }
            Edit::Clear => writer.choose(4),
            Edit::Restore(back) => {
                writer.choose(5);
                writer.byte(*back);
            }
        }
    }
}

impl Codec for Query {
    fn decode(reader: &mut Reader<'_>) -> Option<Self> {
        let variant = reader.choose(10)?;
        if variant == 6 {
            return Some(Query::ResolveModule(ModuleRef::decode(reader)?));
        }
        let slot = FileSlot::decode(reader)?;
        Some(match variant {
            0 => Query::Parse(slot),
            1 => Query::Scopes(slot),
            2 => Query::SymbolTable(slot, reader.byte()?),
            3 => Query::ResolveNames(slot, reader.byte()?),
            4 => Query::Exports(slot),
            5 => Query::Diagnostics(slot),
            7 => Query::Types(slot),
            8 => Query::Closure(slot),
            _ => Query::Lines(slot),
        })
    }

    fn encode(&self, writer: &mut Writer) {
        let (variant, scope) = match self {
            Query::Parse(_) => (0, None),
            Query::Scopes(_) => (1, None),
            Query::SymbolTable(_, scope) => (2, Some(*scope)),
            Query::ResolveNames(_, scope) => (3, Some(*scope)),
            Query::Exports(_) => (4, None),
            Query::Diagnostics(_) => (5, None),
            Query::Types(_) => (7, None),
            Query::Closure(_) => (8, None),
            Query::Lines(_) => (9, None),
            Query::ResolveModule(module) => {
                writer.choose(6);
                module.encode(writer);
                return;
            }
        };
        writer.choose(variant);
        if let Some(slot) = self.file() {
            slot.encode(writer);
        }
        if let Some(scope) = scope {
            writer.byte(scope);
        }
    }
}

impl Step {
    /// Decodes the payload of a step of `kind` (see [`Step::kind`]).
    fn decode_kind(kind: usize, reader: &mut Reader<'_>) -> Option<Step> {
        Some(match kind {
            0 => Step::Edit(FileSlot::decode(reader)?, Edit::decode(reader)?),
            1 => Step::AddFile(FileSlot::decode(reader)?, Text::decode(reader)?),
            2 => Step::RemoveFile(FileSlot::decode(reader)?),
            3 => {
                let slot = FileSlot::decode(reader)?;
                match reader.byte()? % 4 {
                    0 => Step::SetLibrary(slot, false),
                    1 => Step::SetLibrary(slot, true),
                    2 => Step::SetDurability(slot, DurabilityClass::decode(reader)?),
                    _ => Step::Freeze(slot),
                }
            }
            4 => Step::SetLruCapacity(reader.choose(5)? as u8),
            5 => Step::Query(Query::decode(reader)?),
            6 => {
                let len = reader.choose(MAX_BATCH)? + 1;
                let mut queries = Vec::with_capacity(len);
                for _ in 0..len {
                    queries.push(Query::decode(reader)?);
                }
                Step::SpawnBatch(queries)
            }
            7 => Step::Join,
            8 => Step::Cancel,
            9 => match reader.choose(4)? {
                3 => Step::Persist,
                class => Step::SyntheticWrite(DurabilityClass::ALL[class]),
            },
            10 => Step::TriggerLruEviction,
            11 => Step::CheckAll,
            13 => Step::CancelRequest(
                reader.byte()?,
                reader.choose(usize::from(MAX_CANCEL_CHECK) + 1)? as u8,
            ),
            14 => {
                let source = match reader.byte()? % 2 {
                    0 => BuiltinsSource::Environment,
                    _ => BuiltinsSource::Settings(DurabilityClass::decode(reader)?),
                };
                let len = reader.choose(MAX_EXTRA_BUILTINS + 1)?;
                let mut names = Vec::with_capacity(len);
                for _ in 0..len {
                    names.push(NameRef::decode(reader)?);
                }
                Step::SetBuiltins(source, names)
            }
            _ => {
                let point = FaultPoint::ALL[reader.choose(FaultPoint::ALL.len())?];
                let nth = reader.choose(usize::from(MAX_FAULT_NTH))? as u8 + 1;
                let flags = reader.byte()?;
                Step::Fault(Fault {
                    point,
                    nth,
                    cancel: flags & 1 == 1,
                    in_request: flags & 2 == 2,
                })
            }
        })
    }

    /// Writes what [`Step::decode_kind`] reads back.
    fn encode_payload(&self, writer: &mut Writer) {
        match self {
            Step::Edit(slot, edit) => {
                slot.encode(writer);
                edit.encode(writer);
            }
            Step::AddFile(slot, text) => {
                slot.encode(writer);
                text.encode(writer);
            }
            Step::RemoveFile(slot) => slot.encode(writer),
            Step::SetLibrary(slot, library) => {
                slot.encode(writer);
                writer.byte(u8::from(*library));
            }
            Step::SetDurability(slot, class) => {
                slot.encode(writer);
                writer.byte(2);
                class.encode(writer);
            }
            Step::Freeze(slot) => {
                slot.encode(writer);
                writer.byte(3);
            }
            Step::SetLruCapacity(capacity) => writer.choose(usize::from(*capacity).min(4)),
            Step::Query(query) => query.encode(writer),
            Step::SpawnBatch(queries) => {
                let queries = &queries[..queries.len().clamp(1, MAX_BATCH)];
                writer.choose(queries.len() - 1);
                for query in queries {
                    query.encode(writer);
                }
            }
            Step::SyntheticWrite(class) => class.encode(writer),
            Step::Persist => writer.choose(3),
            Step::Fault(fault) => {
                let point = FaultPoint::ALL
                    .iter()
                    .position(|point| *point == fault.point)
                    .unwrap_or(0);
                writer.choose(point);
                writer.choose(usize::from(fault.nth.clamp(1, MAX_FAULT_NTH) - 1));
                writer.byte(u8::from(fault.cancel) | (u8::from(fault.in_request) << 1));
            }
            Step::CancelRequest(n, at) => {
                writer.byte(*n);
                writer.choose(usize::from((*at).min(MAX_CANCEL_CHECK)));
            }
            Step::SetBuiltins(source, names) => {
                match source {
                    BuiltinsSource::Environment => writer.byte(0),
                    BuiltinsSource::Settings(class) => {
                        writer.byte(1);
                        class.encode(writer);
                    }
                }
                let names = &names[..names.len().min(MAX_EXTRA_BUILTINS)];
                writer.choose(names.len());
                for name in names {
                    name.encode(writer);
                }
            }
            Step::Join | Step::Cancel | Step::TriggerLruEviction | Step::CheckAll => {}
        }
    }
}

/// Swarm testing: each script switches some step kinds off and weights the others, which
/// finds more than a uniform choice (wasmtime, TigerBeetle).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Swarm {
    /// A weight per step kind; 0 disables the kind.
    pub weights: [u8; STEP_KINDS],
}

impl Swarm {
    /// Every kind enabled, edits and queries weighted up: the fallback when the input chose
    /// nothing.
    pub fn all() -> Swarm {
        Swarm {
            weights: [6, 2, 1, 1, 1, 4, 3, 2, 1, 1, 1, 1, 1, 1, 1],
        }
    }

    /// Uniform weights: what an encoded script announces, so that any step kind can follow.
    fn uniform() -> Swarm {
        Swarm {
            weights: [1; STEP_KINDS],
        }
    }

    fn pick(&self, reader: &mut Reader<'_>) -> Option<usize> {
        let total: usize = self.weights.iter().map(|&w| usize::from(w)).sum();
        let mut choice = reader.choose(total.max(1))?;
        for (kind, &weight) in self.weights.iter().enumerate() {
            if choice < usize::from(weight) {
                return Some(kind);
            }
            choice -= usize::from(weight);
        }
        Some(0)
    }
}

impl Codec for Swarm {
    fn decode(reader: &mut Reader<'_>) -> Option<Self> {
        let mut weights = [0u8; STEP_KINDS];
        for weight in &mut weights {
            // 0..=3 with 0 meaning "off": about a quarter of kinds are off in each script.
            *weight = reader.choose(4)? as u8;
        }
        // Edits, queries and background batches are the heart of the session: keep them on.
        for kind in [0, 5, 6] {
            weights[kind] = weights[kind].max(1);
        }
        Some(Swarm { weights })
    }

    fn encode(&self, writer: &mut Writer) {
        for &weight in &self.weights {
            writer.choose(usize::from(weight.min(3)));
        }
    }
}

/// A whole script: the initial files, the background thread count, and the steps.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct EditScript {
    /// Threads of the background pool, 1..=4.
    pub threads: u8,
    /// The files created before the first step.
    pub initial: Vec<(FileSlot, Text)>,
    /// The steps, in order.
    pub steps: Vec<Step>,
}

impl EditScript {
    /// Every text the script types: the initial files', then the steps' ([`Step::text`]).
    pub fn texts(&self) -> impl Iterator<Item = &Text> {
        let initial = self.initial.iter().map(|(_, text)| text);
        initial.chain(self.steps.iter().filter_map(Step::text))
    }

    /// Decodes a script from fuzzer bytes; never fails (an empty input is an empty script).
    pub fn from_bytes(data: &[u8]) -> EditScript {
        let mut reader = Reader::new(data);
        let threads = reader.choose(4).map_or(1, |t| t as u8 + 1);
        let swarm = Swarm::decode(&mut reader).unwrap_or_else(Swarm::all);
        let mut initial = Vec::new();
        for _ in 0..reader.choose(MAX_INITIAL_FILES + 1).unwrap_or(0) {
            match (FileSlot::decode(&mut reader), Text::decode(&mut reader)) {
                (Some(slot), Some(text)) => initial.push((slot, text)),
                _ => break,
            }
        }
        let mut steps = Vec::new();
        // Decode until the input is exhausted (or the cap): a derived `Vec<Step>` would give
        // about one step from random bytes.
        while !reader.is_empty() && steps.len() < MAX_STEPS {
            match swarm
                .pick(&mut reader)
                .and_then(|kind| Step::decode_kind(kind, &mut reader))
            {
                Some(step) => steps.push(step),
                None => break,
            }
        }
        EditScript {
            threads,
            initial,
            steps,
        }
    }

    /// Bytes that [`EditScript::from_bytes`] decodes to this script (with uniform swarm
    /// weights), so that corpus entries can seed libFuzzer.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut writer = Writer::default();
        writer.choose(usize::from(self.threads.clamp(1, 4)) - 1);
        Swarm::uniform().encode(&mut writer);
        let initial = &self.initial[..self.initial.len().min(MAX_INITIAL_FILES)];
        writer.choose(initial.len());
        for (slot, text) in initial {
            slot.encode(&mut writer);
            text.encode(&mut writer);
        }
        // An empty batch cannot be written (a decoded batch has at least one query); it does
        // nothing but clone and drop a handle, so it is left out.
        let steps = self
            .steps
            .iter()
            .filter(|step| !matches!(step, Step::SpawnBatch(queries) if queries.is_empty()));
        for step in steps.take(MAX_STEPS) {
            writer.choose(step.kind());
            step.encode_payload(&mut writer);
        }
        writer.into_bytes()
    }
}

/// Written in the script syntax (what `salsa-fuzz fmt` prints), one step a line: readable in
/// a failed assertion, and what `cargo fuzz fmt edit_script ARTIFACT` prints, since
/// libfuzzer-sys writes a typed input's `{:#?}`.
impl std::fmt::Debug for EditScript {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&syntax::script_to_text(self))
    }
}

impl<'a> Arbitrary<'a> for EditScript {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        let data = u.bytes(u.len())?;
        Ok(EditScript::from_bytes(data))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decoding_never_fails_on_short_input() {
        for len in 0..64 {
            let data: Vec<u8> = (0..len).map(|i| (i * 37 + 11) as u8).collect();
            let script = EditScript::from_bytes(&data);
            assert!((1..=4).contains(&script.threads));
        }
    }

    #[test]
    fn generated_scripts_round_trip_through_bytes() {
        let mut inputs = crate::util::SeededInputs::new(11);
        for _ in 0..2000 {
            let script = EditScript::from_bytes(&inputs.next_input());
            let again = EditScript::from_bytes(&script.to_bytes());
            assert_eq!(again, script);
        }
    }

    #[test]
    fn literal_texts_round_trip_through_bytes() {
        let text = "def f(x):\n\treturn é + 'y'  # ok\n".repeat(40);
        let script = EditScript {
            threads: 3,
            initial: vec![(FileSlot(1), Text::literal(&text))],
            steps: vec![Step::Edit(
                FileSlot(1),
                Edit::ReplaceAll(Text::literal("x = 1\n")),
            )],
        };
        assert_eq!(EditScript::from_bytes(&script.to_bytes()), script);
    }

    #[test]
    fn decoding_continues_until_the_input_is_exhausted() {
        let mut inputs = crate::util::SeededInputs::new(3);
        let steps: usize = (0..50)
            .map(|_| EditScript::from_bytes(&inputs.next_input()).steps.len())
            .sum();
        // A derived `Vec<Step>` decoding would give about one step per script.
        assert!(
            steps / 50 >= 10,
            "only {} steps per script on average",
            steps / 50
        );
    }
}
