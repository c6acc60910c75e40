//! The salsa database under test: Python files as inputs, a parse query, a semantic index that
//! creates one tracked `ScopeId` per scope, a tracked `Definition` per module-level binding
//! (with a tracked method and a supertype-keyed query), per-scope firewall queries, interned
//! names, cross-file resolution with fixpoint cycles, type inference with fixpoint cycles of
//! two queries, class orders with `cycle_result` cycles, diagnostics through an accumulator
//! with a panic firewall, `specify` (also inside cycles and over a value read first), a
//! singleton input, an untracked read, LRU, durability up to `NEVER_CHANGE`, line probes whose
//! executions are checked against salsa's backdating and LRU rules, and (feature
//! `persistence`) persisted inputs and memos.
//! Shaped after ty's `ruff_db`, `ty_python_core`, `ty_python_semantic` and `ty_project`.
//!
//! What it promises: every query is deterministic and reads only tracked inputs, so any answer
//! that differs from [`crate::model`] on the same texts is salsa's doing. What it does not
//! promise: Python semantics beyond what the model computes too.
//!
//! Mutations go through [`FuzzDatabase`]'s `&mut self` methods on one handle; clones of that
//! handle (`db.clone()`) run queries on other threads and are cancelled by the next write.
//!
//! # The principle: every salsa decision can be the only reason for a wrong answer
//!
//! A wrong salsa decision is only found if some answer depends on that decision alone: if the
//! same edit also changes a neighbouring input, salsa re-executes anyway and the mistake is
//! masked. So for each decision there is a query whose answer depends on exactly that one
//! thing, and a step that changes that thing alone (the model knows the answer either way):
//!
//! | salsa decision | the query whose answer hangs on it | the step that changes that alone |
//! | --- | --- | --- |
//! | shallow verification by durability | everything about a library file (HIGH) or a file moved to MEDIUM; `module_level_binding`'s read of the settings (HIGH) | `durability FILE CLASS`, `synthetic-write CLASS`, an edit of one file of a class, `builtins settings CLASS [..]` |
//! | no edge to a never-changing input or memo (`NEVER_CHANGE`) | everything about a frozen file, and the queries of other files that read it (star imports of it) | `freeze FILE`, then an edit of a file it imports |
//! | deep verification of an input-field edge | `parsed_module` (text), `resolve_module` (the project's file list), `is_library` | an edit, `add`/`remove`, `library FILE on/off` |
//! | of a tracked-field edge | `resolve_names` reads a scope's `kind` and `parent` fields, not its range | `edit` turning `def` into `class` at the same position |
//! | of an interned-value edge | `resolve_module` (keyed by `ModuleName`), `module_level_binding` (by `SymbolName`) | an edit that adds or drops an import or a name |
//! | of an edge to another memo | `module_table` and `symbol_table` between the (`no_eq`) index and everything cross-file | an edit inside one function body |
//! | of an edge to an assigned memo (`specify`) | `scope_facts` of a class scope | `def` to `class` and back at one position |
//! | an assignment over a value already current in the revision (the first value wins) | `qualified_name` of a class named `_…`, which the index reads before it assigns it | `class C` to `class _C` and back at one position |
//! | of an untracked read | `environment_builtins` | `builtins environment [..]` |
//! | backdating | `symbol_table`/`module_table` (equal tables after an edit elsewhere in the file), `environment_builtins` (unchanged); whether it *ran*: `line_index`, which reads only `text_lines`, must be reused after an edit that keeps the line count and run after one that changes it or makes the file less durable (checked against salsa's events by the executor's account, `exec::lines`) | an edit in a sibling scope, any write; `query lines FILE` after an edit within a line, `durability FILE CLASS` |
//! | LRU re-execution | `parsed_module` (capacity set at run time); whether it ran: `line_starts` (capacity 2) must run again exactly when a revision started (or `lru-evict`) with it the least recently fetched past the capacity | `lru-capacity N`, `lru-evict`; `query lines FILE` for three files, a write, the first again |
//! | an interned lookup finding the value already interned, whatever form of the key it is given | `query resolve_module`'s keys: `ModuleName` by `&str` and `String`; `InternedPath` by `PathBuf`, `&Path` and `Cow<Path>`; `NameParts` by `Vec<String>`, `&[&str]` and `Cow<[String]>` (two ids for one value is the answer `InternedTwice`) | `query resolve_module M` |
//! | interned-slot reuse | `SymbolName` (`revisions = 1`), `ModuleName` (default GC) | a name read, unread for a revision, read again |
//! | cycle iteration and convergence | `module_exports` over star-import cycles; `infer_return` and `infer_binding`, two queries in one cycle across files, entered at any member, some needing over ten iterations (`cycle_fn`, `cycle_initial` from the query's id), with members that join some iterations in (a conditional's branch runs once its test's type allows it, or once a literal set reaches a threshold or widens to `int`: `0 if f() - 99 else g()` joins as the fixpoint saturates); fixpoints that saturate after a few iterations without widening (`min(f() + 1, 3)`), with members that join at the bound (`0 if f() - 3 else g()`) | an edit of one module of a cycle; `types FILE` or `check_file` on parallel clones |
//! | a cycle recovery function (`cycle_fn`) panicking at the end of an iteration, the converging one included (where salsa announces no further iteration), while other threads iterate overlapping cycles, or wait for a cycle that salsa moved to the panicking thread (salsa#1263's class) | `infer_return` and `infer_binding`, each its own fault point; ty#4077's attribute/range cycles as functions over three files (the seed `attribute-range-cycles-moved-between-threads`) | `fault panic [in-request] at return-recovery N`, `… at binding-recovery N` |
//! | a cycle with an immediate fallback (`cycle_result`): every participant takes its fallback, whichever member was asked first | `class_mro` over inheritance cycles across files (`class A(B)` and `class B(A)` importing each other), read by `check_file`'s cyclic-class diagnostic; reused orders deep-verified through the `class_bases` firewall and the bases' `infer_binding` | an edit that adds or drops one base; `types FILE` or `check_file` on parallel clones |
//! | tracked structs created, deleted, recreated | `ScopeId`s of `semantic_index` | `edit … clear`, `edit … restore N` |
//! | tracked structs sharing identity fields in one revision (disambiguated by creation order); a tracked field changed alone | `Definition`s of `module_definitions` (two bindings of one name), their `kind` and `ordinal` read by `Definition::kind_of` and `definition_ordinal`, their name by `node_name` (a supertype key) | an edit that adds, removes or re-kinds one binding of a repeated name |
//! | tracked structs created in every fixpoint iteration, with the same identity each time, a `#[tracked]` field read back in the same iteration (salsa#1068, #1191) | `infer_return` creates an `InferredReturn` (keyed by the scope) holding the type it inferred and answers with its `ty` field | an edit of one module of a cycle of functions |
//! | tracked structs created, and values assigned (`specify`), inside a fixpoint iteration | `star_closure` creates a `StarSummary` per module in its first iteration, takes it from its own provisional value in later ones, and assigns its `closure_size` in each; `read_closure_size`, read by the importers inside the cycle, must iterate with it (salsa#1190) | an edit that adds or drops a star import of a cycle; `star_closure FILE` on parallel clones |
//! | accumulated values | `check_file`'s diagnostics through `check_scope` and `check_syntax` | an edit that adds or fixes one diagnostic |
//! | cancellation | every query on a cloned handle | any write, `cancel`, `cancel-request N`, `fault cancel at …` |
//! | local cancellation disabled only while a fixpoint executes, however it ends | every query of a request after a panic out of a fixpoint caught by `check_file`'s firewall | `fault panic at check-cancellation N`, `cancel-request Q at K` |
//!
//! Not yet covered: a cycle that mixes `cycle_result` with fixpoint queries (salsa's answer
//! then depends on which member was asked first, so the model cannot give it); persistence
//! covers the inputs, `ModuleName`, `resolve_module` and `module_exports` only.

mod answers;
#[cfg(feature = "canary")]
mod canary;
mod check;
#[expect(
    missing_docs,
    reason = "salsa's macros generate undocumented constructors and accessors"
)]
mod closure;
pub mod compat;
#[expect(
    missing_docs,
    reason = "salsa's macros generate undocumented constructors and accessors"
)]
mod definitions;
mod events;
mod faults;
#[expect(
    missing_docs,
    reason = "salsa's macros generate undocumented constructors and accessors"
)]
mod index;
mod infer;
#[expect(
    missing_docs,
    reason = "salsa's macros generate undocumented constructors and accessors"
)]
mod inputs;
#[expect(
    missing_docs,
    reason = "salsa's macros generate undocumented constructors and accessors"
)]
mod lines;
mod parse;
pub mod request;
#[expect(
    missing_docs,
    reason = "salsa's macros generate undocumented constructors and accessors"
)]
mod resolve;

use std::collections::BTreeMap;
use std::sync::Arc;

use salsa::{Durability, Setter};

pub use answers::{answers, answers_with, file_closure, file_types};
pub use check::{Diagnostics, check_file, check_scope, check_syntax, file_diagnostics};
pub use closure::{StarClosure, StarSummary, closure_size, read_closure_size, star_closure};
pub use definitions::{
    Definition, Node, definition_ordinal, file_definitions, module_definitions, node_name,
};
pub use events::{EventLog, LoggedEvent};
pub use faults::{Fault, FaultPoint, Faults, InjectedPanic};
pub use index::{
    ScopeId, SemanticIndex, qualified_name, scope_facts, semantic_index, symbol_table,
};
pub use infer::{
    callee_type, class_mro, infer_binding, infer_return, scope_calls, scope_inference,
};
pub use inputs::{Project, Settings, SourceFile};
pub use lines::{
    LINE_STARTS_LRU_CAPACITY, LineMark, line_index, line_marks, line_starts, text_lines,
};
pub use parse::{DEFAULT_PARSE_LRU_CAPACITY, ParsedModule, parse_source, parsed_module};
pub use resolve::{
    ModuleName, SymbolName, environment_builtins, module_exports, module_level_binding,
    module_table, resolve_import, resolve_module, resolve_names,
};

use crate::answers::{ExtraBuiltins, SourceInput};

/// The planted stale cache of the `canary-stale` feature: path -> (text length, table).
#[cfg(feature = "canary-stale")]
pub type StaleCache =
    std::sync::Mutex<BTreeMap<String, (usize, Arc<crate::semantic::SymbolTable>)>>;

/// What every query can ask of the database besides its inputs.
#[salsa::db]
pub trait Db: salsa::Database {
    /// The project input listing the live files.
    fn project(&self) -> Project;

    /// The names the environment adds to the builtins: state outside salsa, which only
    /// [`environment_builtins`] reads (reporting an untracked read).
    fn environment(&self) -> Arc<Vec<String>>;

    /// The parse of `text`: [`parse_source`], or an earlier parse of the same text when the
    /// database shares its parses ([`FuzzDatabase::share_parses`]). Pure either way, so salsa
    /// sees the same reads and makes the same decisions.
    fn parse(&self, text: &str) -> ParsedModule;

    /// Called by a fixpoint query's `cycle_fn`: unwinds if a fault is armed at `point` (one of
    /// the recovery points, [`FaultPoint::ReturnRecovery`] or [`FaultPoint::BindingRecovery`]),
    /// then records that salsa reached iteration `iteration` (statistics only: no query reads
    /// it).
    fn on_cycle_recovery(&self, point: FaultPoint, iteration: u32);

    /// The planted stale cache (feature `canary-stale` only): path -> (text length, table).
    #[cfg(feature = "canary-stale")]
    fn stale_cache(&self) -> &StaleCache;

    /// The planted bug's state (feature `canary` only).
    #[cfg(feature = "canary")]
    fn canary(&self) -> &canary::CanaryState;
}

/// The concrete database. Cloning gives another handle on the same storage, for background
/// work; a write on one handle cancels the queries running on the others and waits until they
/// are dropped.
#[salsa::db]
#[derive(Clone)]
pub struct FuzzDatabase {
    storage: salsa::Storage<Self>,
    /// Always `Some` after construction (inputs need a database to be created in).
    project: Option<Project>,
    /// Every file ever created, by path, live or removed: a path keeps its handle for life.
    /// Read and written only through `&self`/`&mut self` methods, never by queries.
    files: Arc<BTreeMap<String, SourceFile>>,
    /// Files moved to a durability class of their own by [`FuzzDatabase::set_durability`].
    classes: Arc<BTreeMap<String, Durability>>,
    /// How many times each file's text or existence was set (creation included): what the
    /// line probes' account needs to know whether salsa must run them again.
    file_writes: Arc<BTreeMap<String, u64>>,
    /// The environment's extra builtins, shared by every handle: changed only through
    /// [`FuzzDatabase::set_environment_builtins`], which starts a new revision first.
    environment: Arc<std::sync::Mutex<Arc<Vec<String>>>>,
    /// The highest fixpoint iteration any `cycle_fn` saw, and how many fixpoints went past
    /// three iterations: statistics, never read by a query.
    cycle_iterations: Arc<std::sync::atomic::AtomicU32>,
    long_cycles: Arc<std::sync::atomic::AtomicU64>,
    events: Option<EventLog>,
    faults: Option<Arc<Faults>>,
    /// Parses by text, shared with the model of the same script (see [`Db::parse`]).
    parses: Option<crate::semantic::Parses>,
    /// Whether the event callback watches requests ([`request`]): a restored database's does.
    #[cfg(feature = "persistence")]
    watch_requests: bool,
    /// `parsed_module`'s LRU capacity as last set (a restored database gets it again).
    parse_lru_capacity: usize,
    #[cfg(feature = "canary")]
    canary: Arc<canary::CanaryState>,
    #[cfg(feature = "canary-stale")]
    stale: Arc<StaleCache>,
}

#[salsa::db]
impl salsa::Database for FuzzDatabase {}

#[salsa::db]
impl Db for FuzzDatabase {
    fn project(&self) -> Project {
        match self.project {
            Some(project) => project,
            None => unreachable!("FuzzDatabase::build always creates the project input"),
        }
    }

    fn on_cycle_recovery(&self, point: FaultPoint, iteration: u32) {
        if let Some(faults) = &self.faults {
            faults.on_point(point);
        }
        self.cycle_iterations
            .fetch_max(iteration, std::sync::atomic::Ordering::Relaxed);
        // Once per fixpoint that reaches a fourth iteration.
        if iteration == 4 {
            self.long_cycles
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
    }

    fn parse(&self, text: &str) -> ParsedModule {
        match &self.parses {
            Some(parses) => parses.get(text),
            None => parse_source(text),
        }
    }

    fn environment(&self) -> Arc<Vec<String>> {
        Arc::clone(
            &self
                .environment
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        )
    }

    #[cfg(feature = "canary")]
    fn canary(&self) -> &canary::CanaryState {
        &self.canary
    }

    #[cfg(feature = "canary-stale")]
    fn stale_cache(&self) -> &StaleCache {
        &self.stale
    }
}

impl Default for FuzzDatabase {
    fn default() -> Self {
        Self::new()
    }
}

impl FuzzDatabase {
    /// An empty project, without an event log.
    pub fn new() -> Self {
        Self::build(None, false, false)
    }

    /// An empty project whose salsa events are recorded in `log` (see [`EventLog`]).
    pub fn with_event_log(log: EventLog) -> Self {
        Self::build(Some(log), false, true)
    }

    /// An empty project, with an optional event log, and with fault injection
    /// ([`Self::arm_fault`]) if `faults`; the calling thread is the one an injected
    /// cancellation may fire on. Requests registered with [`request::enter`] are watched
    /// (cancelled at a chosen check, and held to salsa's rule for a cancelled token).
    pub fn with_options(events: Option<EventLog>, faults: bool) -> Self {
        Self::build(events, faults, true)
    }

    fn build(events: Option<EventLog>, faults: bool, requests: bool) -> Self {
        let faults = faults.then(|| Arc::new(Faults::new(crate::threads::current().id())));
        let mut db = FuzzDatabase::without_inputs(events, faults, requests);
        let project = Project::builder(Vec::new()).new(&db);
        db.project = Some(project);
        // A singleton: queries find it with `Settings::get`.
        let _settings = Settings::builder(Vec::new())
            .builtins_durability(Durability::HIGH)
            .new(&db);
        db
    }

    /// A database with no input yet (not even the project), with the event callback that
    /// `events`, `faults` and `requests` ask for.
    fn without_inputs(
        events: Option<EventLog>,
        faults: Option<Arc<Faults>>,
        requests: bool,
    ) -> Self {
        let callback = (events.is_some() || faults.is_some() || requests).then(|| {
            let log = events.clone();
            let faults = faults.clone();
            Box::new(move |event: salsa::Event| {
                if let Some(log) = &log {
                    log.record(&event);
                }
                if let Some(faults) = &faults {
                    faults.on_event(&event.kind);
                }
                // After the faults: an injected unwind at this check comes before salsa's
                // own look at the token, so salsa owed nothing at it.
                if requests && matches!(event.kind, salsa::EventKind::WillCheckCancellation) {
                    request::on_cancellation_check();
                }
            }) as Box<dyn Fn(salsa::Event) + Send + Sync>
        });
        FuzzDatabase {
            storage: salsa::Storage::new(callback),
            project: None,
            files: Arc::default(),
            classes: Arc::default(),
            file_writes: Arc::default(),
            environment: Arc::default(),
            cycle_iterations: Arc::default(),
            long_cycles: Arc::default(),
            events,
            faults,
            parses: None,
            #[cfg(feature = "persistence")]
            watch_requests: requests,
            parse_lru_capacity: DEFAULT_PARSE_LRU_CAPACITY,
            #[cfg(feature = "canary")]
            canary: Arc::default(),
            #[cfg(feature = "canary-stale")]
            stale: Arc::default(),
        }
    }

    /// Serializes the database (salsa's `persistence`: the inputs, `ModuleName`,
    /// `resolve_module` and `module_exports` are persisted) and replaces it with a database
    /// restored from that, as an editor restarting from a saved state would; returns the
    /// serialized size in bytes. Like a write, it cancels the other handles and waits until
    /// they are dropped. What salsa does not persist is computed again on demand; what lives
    /// beside salsa (the file handles, the durability classes, the environment,
    /// `parsed_module`'s LRU capacity) carries over; `line_starts`' capacity and the count of
    /// file writes start afresh (the executor's line-probe account stops at a restore).
    #[cfg(feature = "persistence")]
    pub fn persist_and_restore(&mut self) -> Result<usize, String> {
        let serialized = serde_json::to_string(&<dyn salsa::Database>::as_serialize(self))
            .map_err(|error| format!("serializing the database: {error}"))?;
        let mut restored = FuzzDatabase::without_inputs(
            self.events.clone(),
            self.faults.clone(),
            self.watch_requests,
        );
        <dyn salsa::Database>::deserialize(
            &mut restored,
            &mut serde_json::Deserializer::from_str(&serialized),
        )
        .map_err(|error| format!("restoring the database: {error}"))?;
        restored.project = self.project;
        restored.files = Arc::clone(&self.files);
        restored.classes = Arc::clone(&self.classes);
        restored.environment = Arc::clone(&self.environment);
        restored.cycle_iterations = Arc::clone(&self.cycle_iterations);
        restored.long_cycles = Arc::clone(&self.long_cycles);
        restored.parses = self.parses.clone();
        #[cfg(feature = "canary")]
        {
            restored.canary = Arc::clone(&self.canary);
        }
        #[cfg(feature = "canary-stale")]
        {
            restored.stale = Arc::clone(&self.stale);
        }
        if self.parse_lru_capacity != DEFAULT_PARSE_LRU_CAPACITY {
            restored.set_parse_lru_capacity(self.parse_lru_capacity);
        }
        *self = restored;
        Ok(serialized.len())
    }

    /// Marks a background batch as in flight until the returned guard drops. Only the
    /// `canary` feature looks at it; otherwise this is free.
    pub fn background_in_flight(&self) -> impl Drop + Send + use<> {
        #[cfg(feature = "canary")]
        {
            canary::CanaryState::enter(&self.canary)
        }
        #[cfg(not(feature = "canary"))]
        {
            NotTracked
        }
    }

    /// Arms `fault` on this database and its clones; returns `false` (and does nothing) on a
    /// database built without fault injection.
    pub fn arm_fault(&self, fault: Fault) -> bool {
        // A salsa without local cancellation gives no way to unwind as it does (a cancel at
        // the write's flag abandons the write with a panic, which works on any salsa).
        if fault.cancel
            && fault.point != faults::FaultPoint::SetCancellationFlag
            && !compat::LOCAL_CANCELLATION
        {
            return false;
        }
        match &self.faults {
            Some(faults) => {
                faults.arm(fault);
                true
            }
            None => false,
        }
    }

    /// Tells fault injection whether the main thread is the only one running queries (see
    /// [`Faults::set_main_alone`]).
    pub fn set_main_alone(&self, alone: bool) {
        if let Some(faults) = &self.faults {
            faults.set_main_alone(alone);
        }
    }

    /// Disarms a fault not yet fired.
    pub fn disarm_faults(&self) {
        if let Some(faults) = &self.faults {
            faults.disarm();
        }
    }

    /// How many injected faults have fired inside queries (0 without fault injection).
    pub fn faults_fired(&self) -> u32 {
        self.faults.as_ref().map_or(0, |faults| faults.fired())
    }

    /// How many injected faults have abandoned an abortable write.
    pub fn write_faults_fired(&self) -> u32 {
        self.faults
            .as_ref()
            .map_or(0, |faults| faults.write_fired())
    }

    /// Runs `write`, one salsa write and nothing else (a synthetic write, a cancellation, an
    /// LRU eviction), with a fault at [`FaultPoint::SetCancellationFlag`] allowed to fire in
    /// it: the event callback unwinding as salsa sets the cancellation flag, before salsa
    /// changes anything. Returns `true` if the injected panic abandoned the write (it is
    /// caught here); any other unwind goes on.
    pub fn abortable_write(&mut self, write: impl FnOnce(&mut Self)) -> bool {
        let Some(faults) = self.faults.clone() else {
            write(self);
            return false;
        };
        faults.set_writing(true);
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| write(self)));
        faults.set_writing(false);
        match result {
            Ok(()) => false,
            Err(payload) if payload.is::<InjectedPanic>() => true,
            Err(payload) => std::panic::resume_unwind(payload),
        }
    }

    /// The event log, if this database records one.
    pub fn event_log(&self) -> Option<&EventLog> {
        self.events.as_ref()
    }

    /// Drains the event log and returns the queries that executed, as (query name, key):
    /// e.g. `("resolve_names", scope.as_id())`. Empty without an event log.
    pub fn take_executed(&self) -> Vec<(String, salsa::Id)> {
        let Some(log) = &self.events else {
            return Vec::new();
        };
        log.take()
            .into_iter()
            .filter_map(|event| match event {
                LoggedEvent::WillExecute(key) => Some((
                    salsa::Database::ingredient_debug_name(self, key.ingredient_index())
                        .into_owned(),
                    key.key_index(),
                )),
                _ => None,
            })
            .collect()
    }

    /// The handle of the file at `path`, live or removed, if it was ever created.
    pub fn file(&self, path: &str) -> Option<SourceFile> {
        self.files.get(path).copied()
    }

    /// The live files, sorted by path.
    pub fn live_files(&self) -> Vec<SourceFile> {
        self.project().files(self).clone()
    }

    /// The live files' current inputs, as the model takes them.
    pub fn inputs(&self) -> Vec<SourceInput> {
        self.live_files()
            .into_iter()
            .map(|file| SourceInput {
                path: file.path(self).clone(),
                text: file.text(self).clone(),
                is_library: file.is_library(self),
            })
            .collect()
    }

    /// The highest fixpoint iteration a `cycle_fn` saw so far, and how many fixpoints went
    /// past three iterations.
    pub fn cycle_statistics(&self) -> (u32, u64) {
        use std::sync::atomic::Ordering::Relaxed;
        (
            self.cycle_iterations.load(Relaxed),
            self.long_cycles.load(Relaxed),
        )
    }

    /// The names the settings and the environment add to the builtins, as the model takes them.
    pub fn extra_builtins(&self) -> ExtraBuiltins {
        ExtraBuiltins {
            settings: Settings::get(self).builtins(self).to_vec(),
            environment: self.environment().as_ref().clone(),
        }
    }

    /// Sets both sources of extra builtins to `builtins` (the settings at HIGH), for a
    /// database built from scratch.
    pub fn load_builtins(&mut self, builtins: &ExtraBuiltins) {
        if !builtins.settings.is_empty() {
            Settings::get(self)
                .set_builtins(self)
                .with_durability(Durability::HIGH)
                .to(builtins.settings.clone());
        }
        if !builtins.environment.is_empty() {
            *self
                .environment
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner) =
                Arc::new(builtins.environment.clone());
        }
    }

    /// Sets the settings' extra builtins (sorted and deduplicated) at `durability`.
    pub fn set_settings_builtins(&mut self, names: &[&str], durability: Durability) {
        let names = ExtraBuiltins::sorted(names);
        Settings::get(self)
            .set_builtins(self)
            .with_durability(durability)
            .to(names);
    }

    /// Sets the environment's extra builtins (sorted and deduplicated), the way a program does
    /// when it notices that state outside salsa changed: a new revision first (which cancels
    /// and waits for every other handle, so no query of the old revision sees the new value),
    /// then the value, which queries that report an untracked read pick up in that revision.
    pub fn set_environment_builtins(&mut self, names: &[&str]) {
        salsa::Database::synthetic_write(self, Durability::LOW);
        *self
            .environment
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) =
            Arc::new(ExtraBuiltins::sorted(names));
    }

    /// Creates the file at `path`, or replaces its text (adding it back if it was removed).
    /// The text keeps the file's durability: HIGH for library files, LOW otherwise.
    pub fn write_file(&mut self, path: &str, text: &str) -> SourceFile {
        let Some(file) = self.file(path) else {
            let file = SourceFile::builder(path.to_owned(), text.to_owned(), true, false)
                .path_durability(compat::PATH_DURABILITY)
                .is_library_durability(Durability::HIGH)
                .new(self);
            Arc::make_mut(&mut self.files).insert(path.to_owned(), file);
            self.note_file_write(path);
            self.set_live(file, true);
            return file;
        };
        let durability = self.durability_of(file);
        self.note_file_write(path);
        file.set_text(self)
            .with_durability(durability)
            .to(text.to_owned());
        if !file.exists(self) {
            file.set_exists(self).with_durability(durability).to(true);
            self.set_live(file, true);
        }
        file
    }

    /// Writes every input (as [`Self::write_file`]) and marks library files as such.
    pub fn load(&mut self, inputs: &[SourceInput]) {
        for input in inputs {
            self.write_file(&input.path, &input.text);
            if input.is_library {
                self.set_library(&input.path, true);
            }
        }
    }

    /// Removes the file at `path` from the project; returns whether it was live. Its handle
    /// stays valid: queries on it see an empty module.
    pub fn remove_file(&mut self, path: &str) -> bool {
        let Some(file) = self.file(path).filter(|file| file.exists(self)) else {
            return false;
        };
        let durability = self.durability_of(file);
        self.note_file_write(path);
        file.set_exists(self).with_durability(durability).to(false);
        self.set_live(file, false);
        true
    }

    /// Marks the file at `path` as library code (HIGH durability) or workspace code (LOW);
    /// returns whether the file exists.
    pub fn set_library(&mut self, path: &str, is_library: bool) -> bool {
        let Some(file) = self.file(path) else {
            return false;
        };
        // Marking a file as library (or not) puts it back in that class.
        Arc::make_mut(&mut self.classes).remove(path);
        let durability = file_durability(is_library);
        file.set_is_library(self)
            .with_durability(Durability::HIGH)
            .to(is_library);
        let text = file.text(self).clone();
        self.note_file_write(path);
        file.set_text(self).with_durability(durability).to(text);
        let exists = file.exists(self);
        file.set_exists(self).with_durability(durability).to(exists);
        true
    }

    /// Makes the file at `path` a builtin stub, as ty's vendored typeshed files are: its text
    /// and existence are set again, unchanged, at `Durability::NEVER_CHANGE` (HIGH before salsa
    /// 0.27.1, see [`compat::FROZEN_DURABILITY`]), and must never be written again (salsa
    /// panics if they are). Salsa records no dependency edge to a never-changing input or memo,
    /// so a query that wrongly counted as never changing would never be verified again.
    /// Returns whether the file was ever created.
    pub fn freeze(&mut self, path: &str) -> bool {
        self.set_durability(path, compat::FROZEN_DURABILITY)
    }

    /// Makes [`Db::parse`] hand out the parses in `parses` (and add to them), on this handle
    /// and on the clones made after: the fuzzing loop shares one with the script's model, so
    /// each text is parsed and indexed once. Call it before the first query.
    pub fn share_parses(&mut self, parses: &crate::semantic::Parses) {
        self.parses = Some(parses.clone());
    }

    /// Changes how many files' `line_starts` the LRU keeps; 0 disables eviction (and empties
    /// salsa's record of recent fetches). Takes effect at the next revision.
    pub fn set_line_starts_lru_capacity(&mut self, capacity: usize) {
        lines::set_line_starts_lru_capacity(self, capacity);
    }

    /// Changes how many parsed modules the LRU keeps; 0 disables eviction. Takes effect at the
    /// next revision (salsa evicts when a new revision starts).
    pub fn set_parse_lru_capacity(&mut self, capacity: usize) {
        self.parse_lru_capacity = capacity;
        parse::set_parsed_module_lru_capacity(self, capacity);
    }

    fn set_live(&mut self, file: SourceFile, live: bool) {
        let project = self.project();
        let mut files = project.files(self).clone();
        let path = file.path(self).clone();
        let position = files.binary_search_by(|other| other.path(self).as_str().cmp(&path));
        match (position, live) {
            (Err(position), true) => files.insert(position, file),
            (Ok(position), false) => {
                files.remove(position);
            }
            _ => return,
        }
        project.set_files(self).to(files);
    }
}

fn file_durability(is_library: bool) -> Durability {
    if is_library {
        Durability::HIGH
    } else {
        Durability::LOW
    }
}

impl FuzzDatabase {
    fn note_file_write(&mut self, path: &str) {
        *Arc::make_mut(&mut self.file_writes)
            .entry(path.to_owned())
            .or_default() += 1;
    }

    /// How many times the text or existence of the file at `path` was set, its creation
    /// included (0 if it never was): a count that moved means salsa sees the inputs changed.
    pub fn file_writes(&self, path: &str) -> u64 {
        self.file_writes.get(path).copied().unwrap_or(0)
    }

    /// The durability the text and existence of the file at `path` were last written at.
    pub fn file_durability(&self, path: &str) -> Option<Durability> {
        Some(self.durability_of(self.file(path)?))
    }

    /// The durability the file's text and existence are written at: the class a
    /// [`Self::set_durability`] step moved it to, else HIGH for library code, LOW otherwise.
    fn durability_of(&self, file: SourceFile) -> Durability {
        self.classes
            .get(file.path(self))
            .copied()
            .unwrap_or_else(|| file_durability(file.is_library(self)))
    }

    /// Moves the file at `path` to durability `durability` and changes nothing else: its text
    /// and existence are set again, unchanged, at that durability. Returns whether the file was
    /// ever created.
    pub fn set_durability(&mut self, path: &str, durability: Durability) -> bool {
        let Some(file) = self.file(path) else {
            return false;
        };
        Arc::make_mut(&mut self.classes).insert(path.to_owned(), durability);
        self.note_file_write(path);
        let text = file.text(self).clone();
        file.set_text(self).with_durability(durability).to(text);
        let exists = file.exists(self);
        file.set_exists(self).with_durability(durability).to(exists);
        true
    }
}

/// The guard of [`FuzzDatabase::background_in_flight`] without the `canary` feature.
#[cfg(not(feature = "canary"))]
struct NotTracked;

#[cfg(not(feature = "canary"))]
impl Drop for NotTracked {
    fn drop(&mut self) {}
}
