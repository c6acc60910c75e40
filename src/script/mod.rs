//! The edit script: the life of an editor session as data, decoded from fuzzer bytes.
//!
//! A script names files by slot (an index into [`PATHS`]) and scopes by position, never by
//! salsa handle, so any step can be deleted and the rest still runs: the executor skips a step
//! whose file is missing. Decoding never fails: short input just gives a short script.

mod text;

use arbitrary::{Arbitrary, Result, Unstructured};

pub use text::{Fragment, MAX_FRAGMENTS, MODULES, ModuleRef, NAMES, NameRef, Text};

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

/// Caps the queries of one background batch: enough to race several files.
pub const MAX_BATCH: usize = 8;

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

impl<'a> Arbitrary<'a> for FileSlot {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        Ok(FileSlot(u.choose_index(PATHS.len())? as u8))
    }
}

/// An edit an editor sends for one file.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Arbitrary)]
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
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Arbitrary)]
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
            | Query::Diagnostics(slot) => Some(slot),
            Query::ResolveModule(_) => None,
        }
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
    /// `synthetic_write` at LOW or HIGH durability: a new revision with no input change.
    SyntheticWrite(bool),
    /// `trigger_lru_eviction`.
    TriggerLruEviction,
    /// Compare every answer of the database with the model.
    CheckAll,
}

/// The kinds of step, for swarm testing.
pub const STEP_KINDS: usize = 12;

impl Step {
    /// The step's kind, an index below [`STEP_KINDS`].
    pub fn kind(&self) -> usize {
        match self {
            Step::Edit(..) => 0,
            Step::AddFile(..) => 1,
            Step::RemoveFile(_) => 2,
            Step::SetLibrary(..) => 3,
            Step::SetLruCapacity(_) => 4,
            Step::Query(_) => 5,
            Step::SpawnBatch(_) => 6,
            Step::Join => 7,
            Step::Cancel => 8,
            Step::SyntheticWrite(_) => 9,
            Step::TriggerLruEviction => 10,
            Step::CheckAll => 11,
        }
    }

    /// Whether the step writes to the database (cancelling background work).
    pub fn is_write(&self) -> bool {
        !matches!(
            self,
            Step::Query(_) | Step::SpawnBatch(_) | Step::Join | Step::CheckAll
        )
    }

    fn arbitrary_of_kind(kind: usize, u: &mut Unstructured<'_>) -> Result<Step> {
        Ok(match kind {
            0 => Step::Edit(FileSlot::arbitrary(u)?, Edit::arbitrary(u)?),
            1 => Step::AddFile(FileSlot::arbitrary(u)?, Text::arbitrary(u)?),
            2 => Step::RemoveFile(FileSlot::arbitrary(u)?),
            3 => Step::SetLibrary(FileSlot::arbitrary(u)?, bool::arbitrary(u)?),
            4 => Step::SetLruCapacity(u.int_in_range(0..=4)?),
            5 => Step::Query(Query::arbitrary(u)?),
            6 => {
                let len = u.int_in_range(1..=MAX_BATCH)?;
                let mut queries = Vec::with_capacity(len);
                for _ in 0..len {
                    queries.push(Query::arbitrary(u)?);
                }
                Step::SpawnBatch(queries)
            }
            7 => Step::Join,
            8 => Step::Cancel,
            9 => Step::SyntheticWrite(bool::arbitrary(u)?),
            10 => Step::TriggerLruEviction,
            _ => Step::CheckAll,
        })
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
            weights: [6, 2, 1, 1, 1, 4, 3, 2, 1, 1, 1, 1],
        }
    }

    fn pick(&self, u: &mut Unstructured<'_>) -> Result<usize> {
        let total: u32 = self.weights.iter().map(|&w| u32::from(w)).sum();
        let mut choice = u.int_in_range(0..=total.saturating_sub(1))?;
        for (kind, &weight) in self.weights.iter().enumerate() {
            if choice < u32::from(weight) {
                return Ok(kind);
            }
            choice -= u32::from(weight);
        }
        Ok(0)
    }
}

impl<'a> Arbitrary<'a> for Swarm {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        let mut weights = [0u8; STEP_KINDS];
        for weight in &mut weights {
            // 0..=3 with 0 meaning "off": about a quarter of kinds are off in each script.
            *weight = u.int_in_range(0..=3)?;
        }
        // Edits, queries and background batches are the heart of the session: keep them on.
        for kind in [0, 5, 6] {
            weights[kind] = weights[kind].max(1);
        }
        Ok(Swarm { weights })
    }
}

/// A whole script: the initial files, the background thread count, and the steps.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct EditScript {
    /// Threads of the background pool, 1..=4.
    pub threads: u8,
    /// The files created before the first step.
    pub initial: Vec<(FileSlot, Text)>,
    /// The steps, in order.
    pub steps: Vec<Step>,
}

impl EditScript {
    /// Decodes a script from fuzzer bytes; never fails (an empty input is an empty script).
    pub fn from_bytes(data: &[u8]) -> EditScript {
        let mut u = Unstructured::new(data);
        Self::decode(&mut u)
    }

    fn decode(u: &mut Unstructured<'_>) -> EditScript {
        let threads = u.int_in_range(1..=4).unwrap_or(1);
        let swarm = Swarm::arbitrary(u).unwrap_or_else(|_| Swarm::all());
        let mut initial = Vec::new();
        let initial_count = u.int_in_range(1..=4).unwrap_or(1);
        for _ in 0..initial_count {
            match (FileSlot::arbitrary(u), Text::arbitrary(u)) {
                (Ok(slot), Ok(text)) => initial.push((slot, text)),
                _ => break,
            }
        }
        let mut steps = Vec::new();
        // Decode until the input is exhausted (or the cap): `Vec<Step>`'s derived encoding
        // would give about one step from random bytes.
        while !u.is_empty() && steps.len() < MAX_STEPS {
            let step = swarm
                .pick(u)
                .and_then(|kind| Step::arbitrary_of_kind(kind, u));
            match step {
                Ok(step) => steps.push(step),
                Err(_) => break,
            }
        }
        EditScript {
            threads,
            initial,
            steps,
        }
    }
}

impl<'a> Arbitrary<'a> for EditScript {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        Ok(Self::decode(u))
    }
}
