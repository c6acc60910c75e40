//! Running a script on a fresh database: mutations on the main thread, background batches of
//! queries on cloned handles on a rayon pool beside them, every answer checked by the oracle.
//!
//! Promises: a fresh database per script and no state carried between scripts (the pools are
//! reused, idle, between scripts; every batch is joined before `execute` returns); a write
//! never happens while this thread holds a clone (salsa would wait forever); `Cancelled` is
//! counted, never reported; the first finding stops the script. The thread interleaving is
//! not replayed exactly: the same input and thread count give the same logical run.

mod batch;
mod lines;
mod mirror;
pub(crate) mod panics;
pub mod schedule;
pub(crate) mod watchdog;

use std::collections::BTreeSet;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use salsa::{Database, Durability};

use batch::{Background, BatchEnd, BatchJob, BatchOrigin, BatchReport, RequestCancel};
pub use mirror::{Mirror, apply_edit};
pub use panics::{Caught, catch, install_panic_hook};
pub use schedule::{Schedule, Strategy};
pub use watchdog::{Watch, set_hang_reporter};

use crate::answers::{AnswerPart, ExtraBuiltins, SourceInput, first_difference_of};
use crate::db::{EventLog, FuzzDatabase, LoggedEvent, answers_with};
use crate::known_bugs;
use crate::model::{Model, ParseCache};
use crate::oracle::decision::{EventKind, decide, keyed_by_file, name_events};
use crate::oracle::{
    Culprit, Decision, Finding, FindingKind, PanicReport, QueryAnswer, ask_database, ask_model,
    culprit_of_panic,
};
use crate::script::{
    BuiltinsSource, DurabilityClass, Edit, EditScript, FileSlot, NameRef, Query, STEP_KINDS, Step,
};
use crate::threads::mpsc::{self, Receiver, Sender};

/// How to run a script.
#[derive(Clone, Debug)]
pub struct ExecOptions {
    /// Run background batches inline on the main thread: deterministic, and fastest.
    pub sequential: bool,
    /// Compare answers with the model (the differential oracle); panics are caught either way.
    pub oracle: bool,
    /// With the oracle, also compare every answer of the whole project after the last step:
    /// the check that finds stale memos no step asked for. About 60% of a run's instructions
    /// (callgrind, `bench-mode sequential+oracle`), and worth them.
    pub final_check: bool,
    /// Abort with a hang report when one step takes longer than this (`None`: no watchdog).
    pub hang_limit: Option<Duration>,
    /// Record salsa's events and return them as [`Outcome::features`]: the campaign's cheap
    /// semantic feedback (which queries executed, were reused, blocked, iterated, discarded).
    pub feedback: bool,
    /// Stop asking what a known-open salsa bug would answer wrongly once its trigger has
    /// happened (`open-0004`: star-import closures after a cancellation without a revision),
    /// so that a script goes on to find something else. Off only to replay that bug's own
    /// corpus entry.
    pub mask_open_bugs: bool,
    /// The exact interleaving, in a shuttle build (the `shuttle` feature): `None` runs the
    /// one the script chooses ([`Schedule::of_script`]). Ignored in other builds.
    pub schedule: Option<Schedule>,
}

impl Default for ExecOptions {
    fn default() -> Self {
        ExecOptions {
            sequential: false,
            oracle: true,
            final_check: true,
            hang_limit: Some(Duration::from_secs(20)),
            feedback: false,
            mask_open_bugs: true,
            schedule: None,
        }
    }
}

/// What a run did, for smoke tests, progress lines and the feedback signal.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Steps executed, by [`Step::kind`].
    pub steps_by_kind: [usize; STEP_KINDS],
    /// Steps skipped because their file did not exist (or had no history to restore).
    pub steps_skipped: usize,
    /// Queries answered on the main thread.
    pub foreground_queries: usize,
    /// Queries a background batch completed.
    pub background_completed: usize,
    /// Background batches that ended in `salsa::Cancelled`.
    pub background_cancelled: usize,
    /// Of those, requests cancelled through their token (`Cancelled::Local`), as asked.
    pub requests_cancelled: usize,
    /// Answers compared with the model.
    pub comparisons: usize,
    /// Injected faults that fired inside queries.
    pub faults_fired: usize,
    /// Writes an injected fault abandoned as salsa set the cancellation flag.
    pub writes_abandoned: usize,
    /// `lines` queries whose probes the account checked against salsa's rules.
    pub line_probe_checks: usize,
}

/// The result of running one script.
#[derive(Clone, Debug, Default)]
pub struct Outcome {
    /// Findings; at most one per script, since the first stops it.
    pub findings: Vec<Finding>,
    /// What ran.
    pub stats: Stats,
    /// With [`ExecOptions::feedback`]: the distinct (event kind, query) pairs salsa reported,
    /// as sorted hashes.
    pub features: Vec<u64>,
}

/// Names of step kinds, for the watchdog's report.
const STEP_NAMES: [&str; STEP_KINDS] = [
    "edit",
    "add file",
    "remove file",
    "set library",
    "set LRU capacity",
    "query",
    "spawn batch",
    "join",
    "cancel",
    "synthetic write",
    "trigger LRU eviction",
    "check all",
    "arm fault",
    "cancel request",
    "set builtins",
];

thread_local! {
    /// The step the current execution on this thread is at, for a panic that escapes it.
    /// Only the main thread (under shuttle, the OS thread of the execution) writes it.
    static STEP: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// Runs `script` on a fresh database. A panic anywhere on the way (in a setter on the main
/// thread, a handle's drop, the pool) is a finding too, never an unwinding out of here.
///
/// In a shuttle build, the script runs as one shuttle execution under
/// [`ExecOptions::schedule`] (or the one the script chooses), and a deadlock or a runaway
/// execution that shuttle stops is a finding at the step it happened in.
pub fn execute(script: &EditScript, options: &ExecOptions) -> Outcome {
    #[cfg(feature = "shuttle")]
    {
        let schedule = options
            .schedule
            .unwrap_or_else(|| Schedule::of_script(script));
        schedule::runner::warm_up();
        let (shared_script, shared_options) = (Arc::new(script.clone()), Arc::new(options.clone()));
        let ran = schedule::runner::run(schedule, move || {
            execute_here(&shared_script, &shared_options)
        });
        ran.unwrap_or_else(|failure| {
            let (culprit, message) = shuttle_failure(&failure);
            Outcome {
                findings: vec![Finding {
                    step: STEP.with(std::cell::Cell::get),
                    culprit,
                    kind: FindingKind::Panic(PanicReport::synthetic(message, "main".to_owned())),
                }],
                ..Outcome::default()
            }
        })
    }
    #[cfg(not(feature = "shuttle"))]
    execute_here(script, options)
}

/// Does, before a timed loop, the once-per-process work that the first [`execute`] would do:
/// in a shuttle build, the warm-up of salsa's statics; nothing otherwise.
pub fn prepare() {
    #[cfg(feature = "shuttle")]
    schedule::runner::warm_up();
}

/// Whose, and what a report says of, an execution that shuttle failed. A deadlock or a
/// runaway execution is a hang, blamed on salsa as the watchdog's are (the executor itself
/// blocks only on its batches' reports); any other failure is a panic that escaped every
/// thread's own catch, or shuttle refusing what the executor did: ours.
#[cfg(feature = "shuttle")]
fn shuttle_failure(failure: &str) -> (Culprit, String) {
    if failure.starts_with("deadlock") {
        (
            Culprit::Salsa,
            format!("hang: every thread blocked (found by shuttle): {failure}"),
        )
    } else if failure.starts_with("exceeded max_steps") {
        (
            Culprit::Salsa,
            format!(
                "hang: the execution went on past {} scheduling steps (shuttle): {failure}",
                schedule::runner::MAX_STEPS
            ),
        )
    } else {
        (
            Culprit::Harness,
            format!("shuttle failed the execution: {failure}"),
        )
    }
}

pub(crate) fn execute_here(script: &EditScript, options: &ExecOptions) -> Outcome {
    STEP.with(|step| step.set(0));
    let (culprit, kind) = match catch(|| execute_unguarded(script, options)) {
        Caught::Done(outcome) => return outcome,
        Caught::Panicked(report) => (
            culprit_of_panic(&report.message, &report.location),
            FindingKind::Panic(report),
        ),
        Caught::Cancelled(cancelled) => (
            Culprit::Salsa,
            FindingKind::Panic(PanicReport::synthetic(
                format!("unexpected cancellation on the main thread, outside a query: {cancelled}"),
                "main".to_owned(),
            )),
        ),
        // An injected fault fires inside queries; one escaping to here is our executor's bug.
        Caught::Injected => (
            Culprit::Harness,
            FindingKind::Panic(PanicReport::synthetic(
                "an injected fault escaped the executor".to_owned(),
                "main".to_owned(),
            )),
        ),
    };
    Outcome {
        findings: vec![Finding {
            step: STEP.with(std::cell::Cell::get),
            culprit,
            kind,
        }],
        ..Outcome::default()
    }
}

fn execute_unguarded(script: &EditScript, options: &ExecOptions) -> Outcome {
    let watchdog = options.hang_limit.map(Watch::start);
    let mut session = Session::new(script, options);
    for (index, (slot, text)) in script.initial.iter().enumerate() {
        session.step = index;
        let _written = session.write_text(*slot, text.render());
    }
    for (index, step) in script.steps.iter().enumerate() {
        if let Some(watchdog) = &watchdog {
            watchdog.beat(index, STEP_NAMES[step.kind()]);
        }
        session.step = index;
        STEP.with(|current| current.set(index));
        session.run_step(step);
        if !session.findings.is_empty() {
            break;
        }
    }
    session.step = script.steps.len();
    if let Some(watchdog) = &watchdog {
        watchdog.beat(script.steps.len(), "final join and check");
    }
    session.join();
    if session.findings.is_empty() && options.oracle && options.final_check {
        session.db.disarm_faults();
        if session.fault_in_revision() {
            // This revision may legitimately answer `PropagatedPanic`; the next must be whole.
            session.new_revision();
            session.db.synthetic_write(Durability::LOW);
        }
        session.check_all();
    }
    let features = session.features();
    session.stats.faults_fired = session.db.faults_fired() as usize;
    Outcome {
        findings: session.findings,
        stats: session.stats,
        features,
    }
}

/// The inputs of one version of the project, as the model and triage need them.
struct Snapshot {
    inputs: Vec<SourceInput>,
    builtins: ExtraBuiltins,
    created: BTreeSet<&'static str>,
    /// Shared with every other version that has the same inputs and builtins (a durability
    /// change, a file restored to an earlier text): the model is a function of those alone.
    model: Arc<OnceLock<Model>>,
}

impl Snapshot {
    fn model(&self, cache: &ParseCache) -> &Model {
        self.model
            .get_or_init(|| Model::new(&self.inputs, &self.builtins, cache))
    }
}

struct Session<'o> {
    options: &'o ExecOptions,
    db: FuzzDatabase,
    mirror: Mirror,
    /// One snapshot per input version; the last is current.
    snapshots: Vec<Arc<Snapshot>>,
    parse_cache: ParseCache,
    background: Background,
    reports: (Sender<BatchReport>, Receiver<BatchReport>),
    pending: usize,
    step: usize,
    findings: Vec<Finding>,
    stats: Stats,
    /// Counts the steps that cancel background work (writes, `trigger_cancellation`, LRU
    /// changes): a batch that ends cancelled while this did not move, and no fault fired in
    /// the revision, was cancelled by nothing, and that is salsa's doing (salsa#1100's
    /// `PropagatedPanic` after a same-revision cancellation).
    cancels: u64,
    /// Faults fired when the current revision started: a fault fired since makes a
    /// `Cancelled::PropagatedPanic` in this revision expected.
    faults_at_revision: u32,
    /// A step cancelled other handles without starting a revision ([`Self::cancelling`]).
    cancelled_without_revision: bool,
    /// Whether [`ExecOptions::mask_open_bugs`] is on and this salsa has `open-0004`.
    masks_open_0004: bool,
    /// Whether the `persist` step is skipped: `open-0006` masked (see [`Session::persist`]).
    #[cfg_attr(
        not(feature = "persistence"),
        expect(dead_code, reason = "read by persist")
    )]
    skips_persist: bool,
    /// The event log's length when the current revision started.
    revision_log_start: usize,
    /// A request cancellation armed for the next batch spawned (its query index, modulo).
    cancel_request: Option<(u8, u8)>,
    /// Whether the line probes must have run, by salsa's rules ([`lines`]).
    lines: lines::LineAccount,
}

impl<'o> Session<'o> {
    fn new(script: &EditScript, options: &'o ExecOptions) -> Self {
        let mut db = FuzzDatabase::with_options(
            // The oracle names the salsa decision behind a wrong answer from the log.
            (options.feedback || options.oracle).then(EventLog::new),
            script
                .steps
                .iter()
                .any(|step| matches!(step, Step::Fault(_))),
        );
        // One parse per text for the database and the model.
        let parse_cache = ParseCache::default();
        db.share_parses(&parse_cache);
        let mut session = Session {
            options,
            db,
            mirror: Mirror::default(),
            snapshots: Vec::new(),
            parse_cache,
            background: Background::new(options.sequential, script.threads),
            reports: mpsc::channel(),
            pending: 0,
            step: 0,
            findings: Vec::new(),
            stats: Stats::default(),
            cancels: 0,
            faults_at_revision: 0,
            cancelled_without_revision: false,
            masks_open_0004: options.mask_open_bugs && known_bugs::is_here("open-0004"),
            skips_persist: options.mask_open_bugs && known_bugs::is_here("open-0006"),
            revision_log_start: 0,
            cancel_request: None,
            lines: lines::LineAccount::default(),
        };
        session.snapshot();
        session
    }

    /// The distinct (event kind, ingredient) pairs of the run, plus how many background
    /// batches were cancelled (bucketed), as sorted hashes.
    fn features(&self) -> Vec<u64> {
        let Some(log) = self.db.event_log() else {
            return Vec::new();
        };
        let mut features: BTreeSet<u64> = log
            .take()
            .into_iter()
            .map(|event| {
                let (kind, key) = match event {
                    LoggedEvent::WillExecute(key) => (1, Some(key)),
                    LoggedEvent::DidValidateMemoizedValue(key) => (2, Some(key)),
                    LoggedEvent::WillBlockOn(key) => (3, Some(key)),
                    LoggedEvent::WillIterateCycle(key) => (4, Some(key)),
                    LoggedEvent::DidSetCancellationFlag => (5, None),
                    LoggedEvent::DidDiscard(key) => (6, Some(key)),
                    LoggedEvent::DidReuseInternedValue(key) => (7, Some(key)),
                    LoggedEvent::Other => (8, None),
                };
                // `IngredientIndex` exposes no number; hash it (FNV-1a, stable in a process).
                let ingredient = key.map_or(u64::MAX, |key| {
                    let mut hasher = crate::util::Fnv::default();
                    std::hash::Hash::hash(&key.ingredient_index(), &mut hasher);
                    std::hash::Hasher::finish(&hasher)
                });
                (kind << 56) ^ (ingredient & ((1 << 56) - 1))
            })
            .collect();
        let cancelled = self.stats.background_cancelled;
        features.insert((9 << 56) | u64::from(usize::BITS - cancelled.leading_zeros()));
        features.insert((10 << 56) | u64::from(self.db.faults_fired().min(3)));
        features.insert((11 << 56) | u64::from(self.db.write_faults_fired().min(1)));
        features.into_iter().collect()
    }

    fn version(&self) -> usize {
        self.snapshots.len() - 1
    }

    /// Whether an injected fault fired in the current revision.
    fn fault_in_revision(&self) -> bool {
        self.db.faults_fired() != self.faults_at_revision
    }

    /// Before a step that cancels background work without a new revision.
    /// Serializes the database and goes on in one restored from it; the restored answers
    /// must be the model's at once. Skipped without the `persistence` feature, and while the
    /// open bug `open-0006` is masked: salsa 0.28.5 cannot restore a database that holds a
    /// converged fixpoint, which almost every script has, so the step would end almost every
    /// script on that one bug.
    fn persist(&mut self) -> bool {
        #[cfg(feature = "persistence")]
        {
            if self.skips_persist {
                return false;
            }
            // Serializing cancels the other handles and waits for them, as a write does.
            self.cancelling();
            // The restored database's memos are not the account's.
            self.lines.blind();
            if let Err(error) = self.db.persist_and_restore() {
                let report = PanicReport::synthetic(
                    format!("persistence round trip failed: {error}"),
                    "main".to_owned(),
                );
                self.report(Culprit::Salsa, FindingKind::Panic(report));
                return true;
            }
            if self.options.oracle {
                self.check_all();
            }
            true
        }
        #[cfg(not(feature = "persistence"))]
        false
    }

    fn cancelling(&mut self) {
        self.cancels += 1;
        self.cancelled_without_revision = true;
    }

    /// Whether star-import closures go unasked from here on: on a salsa with the open bug
    /// `open-0004` (a value assigned inside a fixpoint cycle after a same-revision
    /// cancellation is lost, and a later revision's verification panics on it), once a step
    /// has cancelled without a new revision. The bug has its regression entry and salsa-only
    /// test; asking closures after it would end most such scripts on it again, blind to
    /// anything else they would find. Sticky, because the lost value outlives the revision.
    fn closures_masked(&self) -> bool {
        self.masks_open_0004 && self.cancelled_without_revision
    }

    /// Before a step that starts a new revision (and cancels background work).
    fn new_revision(&mut self) {
        self.cancels += 1;
        self.faults_at_revision = self.db.faults_fired();
        self.revision_log_start = self.log_len();
    }

    fn log_len(&self) -> usize {
        self.db.event_log().map_or(0, EventLog::len)
    }

    /// The salsa decision behind a wrong answer of `query` (of `file`'s key, if given), read
    /// from the events logged since `start`; `None` without a log.
    ///
    /// A memo with no event in the call was verified earlier in the revision (by another
    /// query or a background batch): the revision's events say how.
    fn decision(&self, start: usize, query: &str, file: Option<&str>) -> Option<Decision> {
        let decision = self.decision_in(start, query, file)?;
        if decision == Decision::ReusedAlreadyVerified && start > self.revision_log_start {
            return self.decision_in(self.revision_log_start, query, file);
        }
        Some(decision)
    }

    fn decision_in(&self, start: usize, query: &str, file: Option<&str>) -> Option<Decision> {
        let log = self.db.event_log()?;
        let window = name_events(&self.db, &log.since(start));
        let key = file
            .and_then(|path| self.db.file(path))
            .map(|file| salsa::plumbing::AsId::as_id(&file));
        Some(decide(&window, query, key))
    }

    /// Records the current inputs as a new version.
    fn snapshot(&mut self) {
        let inputs = self.mirror.inputs();
        let builtins = self.mirror.builtins().clone();
        let model = self
            .snapshots
            .iter()
            .rev()
            .find(|earlier| earlier.inputs == inputs && earlier.builtins == builtins)
            .map_or_else(Arc::default, |earlier| Arc::clone(&earlier.model));
        self.snapshots.push(Arc::new(Snapshot {
            inputs,
            builtins,
            created: self.mirror.created(),
            model,
        }));
    }

    fn run_step(&mut self, step: &Step) {
        let ran = match step {
            Step::Edit(slot, edit) => self.edit(*slot, edit),
            Step::AddFile(slot, text) => self.write_text(*slot, text.render()),
            Step::Freeze(slot) => self.freeze(*slot),
            Step::RemoveFile(slot) => self.remove(*slot),
            Step::SetLibrary(slot, library) => self.set_library(*slot, *library),
            Step::SetLruCapacity(capacity) => {
                self.cancelling();
                self.db.set_parse_lru_capacity(usize::from(*capacity));
                self.db.set_line_starts_lru_capacity(usize::from(*capacity));
                let revision = crate::db::compat::current_revision(&self.db);
                self.lines.set_capacity(usize::from(*capacity), revision);
                true
            }
            Step::Query(Query::Closure(_)) if self.closures_masked() => false,
            Step::Query(query) => {
                self.foreground_query(*query);
                true
            }
            Step::SpawnBatch(queries) => {
                // The line probes are the main thread's alone ([`lines`]); star-import closures
                // stay unasked while open-0004 is masked ([`Self::closures_masked`]).
                let masked = self.closures_masked();
                let kept = |query: &Query| match query {
                    Query::Closure(_) => !masked,
                    Query::Lines(_) => false,
                    _ => true,
                };
                if queries.iter().all(kept) {
                    self.spawn_batch(queries);
                    true
                } else {
                    let queries: Vec<Query> = queries.iter().copied().filter(kept).collect();
                    if !queries.is_empty() {
                        self.spawn_batch(&queries);
                    }
                    !queries.is_empty()
                }
            }
            Step::Join => {
                self.join();
                true
            }
            Step::Cancel => {
                self.cancelling();
                self.abortable_write(crate::db::compat::trigger_cancellation);
                true
            }
            Step::Persist => self.persist(),
            Step::SyntheticWrite(class) => {
                self.new_revision();
                let durability = class.durability();
                self.abortable_write(|db| db.synthetic_write(durability));
                true
            }
            Step::SetDurability(slot, class) => self.set_durability(*slot, *class),
            Step::TriggerLruEviction => {
                self.cancelling();
                self.abortable_write(|db| db.trigger_lru_eviction());
                let revision = crate::db::compat::current_revision(&self.db);
                self.lines.evicted(revision);
                true
            }
            Step::Fault(fault) => {
                let armed = self.db.arm_fault(*fault);
                if armed {
                    // The line probes' account fetches `line_marks` again after a `lines`
                    // query, which an armed fault could meet.
                    self.lines.blind();
                }
                armed
            }
            // Without local cancellation (salsa before 0.26) there is nothing to cancel with.
            Step::CancelRequest(n, at) if crate::db::compat::LOCAL_CANCELLATION => {
                self.cancel_request = Some((*n, *at));
                true
            }
            Step::CancelRequest(..) => false,
            Step::SetBuiltins(source, names) => {
                self.set_builtins(*source, names);
                true
            }
            Step::CheckAll => {
                if self.options.oracle {
                    self.check_all();
                }
                true
            }
        };
        if ran {
            self.stats.steps_by_kind[step.kind()] += 1;
        } else {
            self.stats.steps_skipped += 1;
        }
        // Reports of batches that finished meanwhile are checked as they come, so a finding is
        // attributed to an early step.
        self.drain_reports(false);
    }

    /// A write step that is one salsa call: an injected fault as salsa sets the cancellation
    /// flag abandons it before it changes anything (salsa#1157's trigger). The inputs stay as
    /// they were, and the fault interrupted no query, so it excuses no cancellation: a query
    /// cancelled after it, before the next write, is salsa's.
    fn abortable_write(&mut self, write: impl FnOnce(&mut FuzzDatabase)) {
        if self.db.abortable_write(write) {
            self.stats.writes_abandoned += 1;
        }
    }

    fn edit(&mut self, slot: FileSlot, edit: &Edit) -> bool {
        let Some(text) = self.mirror.edit(slot, edit) else {
            return false;
        };
        self.new_revision();
        self.db.write_file(slot.path(), &text);
        self.snapshot();
        true
    }

    fn write_text(&mut self, slot: FileSlot, text: String) -> bool {
        let Some(text) = self.mirror.write(slot, text) else {
            return false;
        };
        self.new_revision();
        self.db.write_file(slot.path(), &text);
        self.snapshot();
        true
    }

    /// A durability change alone, to `NEVER_CHANGE`, for good: steps that would change the
    /// file later are skipped.
    fn freeze(&mut self, slot: FileSlot) -> bool {
        if !self.mirror.freeze(slot) {
            return false;
        }
        self.new_revision();
        self.db.freeze(slot.path());
        self.snapshot();
        true
    }

    fn remove(&mut self, slot: FileSlot) -> bool {
        if !self.mirror.remove(slot) {
            return false;
        }
        self.new_revision();
        self.db.remove_file(slot.path());
        self.snapshot();
        true
    }

    /// A builtins change alone: the settings input at a durability, or the environment after
    /// a new revision; no file changes.
    fn set_builtins(&mut self, source: BuiltinsSource, names: &[NameRef]) {
        let names: Vec<&str> = names.iter().map(|name| name.as_str()).collect();
        self.new_revision();
        match source {
            BuiltinsSource::Settings(class) => {
                self.mirror.set_settings_builtins(&names);
                self.db.set_settings_builtins(&names, class.durability());
            }
            BuiltinsSource::Environment => {
                self.mirror.set_environment_builtins(&names);
                self.db.set_environment_builtins(&names);
            }
        }
        self.snapshot();
    }

    fn set_library(&mut self, slot: FileSlot, library: bool) -> bool {
        if !self.mirror.set_library(slot, library) {
            return false;
        }
        self.new_revision();
        self.db.set_library(slot.path(), library);
        self.snapshot();
        true
    }

    /// A durability change alone: a new revision whose inputs are unchanged (the model's
    /// answers are the previous version's).
    fn set_durability(&mut self, slot: FileSlot, class: DurabilityClass) -> bool {
        if !self.mirror.was_created(slot) || self.mirror.is_frozen(slot) {
            return false;
        }
        self.new_revision();
        self.db.set_durability(slot.path(), class.durability());
        self.snapshot();
        true
    }

    fn foreground_query(&mut self, query: Query) {
        self.stats.foreground_queries += 1;
        let fired = self.db.faults_fired();
        self.db.set_main_alone(self.pending == 0);
        let window = self.log_len();
        let caught = catch(|| ask_database(&self.db, query));
        self.db.set_main_alone(false);
        match caught {
            Caught::Done(answer) => {
                let lines = matches!(answer, QueryAnswer::Lines { .. });
                self.compare(self.version(), query, answer, false, window);
                if let (true, Some(slot)) = (lines, query.file()) {
                    self.check_line_probes(query, slot.path(), window);
                }
            }
            Caught::Cancelled(cancelled) => self.main_thread_cancelled(cancelled, fired),
            Caught::Panicked(report) => self.report_panic(report),
            Caught::Injected => {}
        }
    }

    /// A main-thread query ended in `Cancelled`. Expected only after an injected fault: an
    /// injected cancellation (fired while it ran, so `faults_fired` moved from `fired`), which
    /// is followed by the `trigger_cancellation` a real pending write would have made, or a
    /// `PropagatedPanic` from an injected panic earlier in this revision.
    fn main_thread_cancelled(&mut self, cancelled: salsa::Cancelled, fired: u32) {
        if crate::db::compat::is_local(&cancelled) {
            // No step cancels the main handle's token.
            self.report_unexpected_cancellation(cancelled, false);
        } else if self.db.faults_fired() != fired {
            self.cancelling();
            crate::db::compat::trigger_cancellation(&mut self.db);
        } else if !self.fault_in_revision() {
            self.report_unexpected_cancellation(cancelled, false);
        }
    }

    /// Only writes cancel, and writes happen on the main thread: a cancellation of a query on
    /// the main thread, or of a background batch that no step cancelled since it was spawned,
    /// means salsa propagated a failure from another thread or lost track of one. A panic in
    /// another batch reaches a thread waiting on the same query as
    /// `Cancelled::PropagatedPanic`, and its report may come later: the panic is the finding,
    /// if there was one (a 120 s canary campaign reported the propagated cancellation instead).
    fn report_unexpected_cancellation(&mut self, cancelled: salsa::Cancelled, background: bool) {
        self.join();
        if !self.findings.is_empty() {
            return;
        }
        let (message, thread) = if background {
            (
                format!(
                    "unexpected cancellation of a background batch (nothing cancelled it): {cancelled}"
                ),
                "background",
            )
        } else {
            (
                format!("unexpected cancellation on the main thread: {cancelled}"),
                "main",
            )
        };
        let report = PanicReport::synthetic(message, thread.to_owned());
        self.report(Culprit::Salsa, FindingKind::Panic(report));
    }

    /// After a request was cancelled through its token: in the same revision, its queries
    /// asked again on the main handle and on a new clone must give the model's answers (the
    /// cancellation poisoned nothing). Skipped once a later step started a new revision.
    fn ask_again(&mut self, origin: BatchOrigin, queries: &[Query]) {
        if origin.cancels != self.cancels || origin.version != self.version() {
            return;
        }
        let fired = self.db.faults_fired();
        let clone = self.db.clone();
        let mut asked = Vec::with_capacity(2 * queries.len());
        for &query in queries {
            for (handle, background) in [(&self.db, false), (&clone, true)] {
                let window = self.log_len();
                asked.push((
                    query,
                    background,
                    window,
                    catch(|| ask_database(handle, query)),
                ));
                if self.db.faults_fired() != fired {
                    // An armed fault fired in the re-asking: what follows in this revision is
                    // the fault's doing, not the cancelled request's.
                    return;
                }
            }
        }
        drop(clone);
        for (query, background, window, caught) in asked {
            match caught {
                Caught::Done(answer) => {
                    self.compare(self.version(), query, answer, background, window);
                }
                Caught::Cancelled(cancelled) => self.main_thread_cancelled(cancelled, fired),
                Caught::Panicked(report) => self.report_panic(report),
                Caught::Injected => {}
            }
            if !self.findings.is_empty() {
                return;
            }
        }
    }

    fn spawn_batch(&mut self, queries: &[Query]) {
        let cancel = self.cancel_request.take().map(|(n, at)| RequestCancel {
            query: usize::from(n) % queries.len().max(1),
            at,
        });
        let job = BatchJob {
            db: self.db.clone(),
            queries: queries.to_vec(),
            origin: BatchOrigin {
                version: self.version(),
                step: self.step,
                cancels: self.cancels,
                faults: self.db.faults_fired(),
                log_start: self.revision_log_start,
                requested: cancel.is_some(),
            },
            cancel,
        };
        match self.background {
            Background::Inline => {
                // Inline: nothing else runs, so an injected cancellation may fire here; it is
                // followed as a real pending write would be.
                self.db.set_main_alone(true);
                let report = job.run(false);
                self.db.set_main_alone(false);
                if matches!(report.end, BatchEnd::Cancelled(_))
                    && self.db.faults_fired() != report.origin.faults
                {
                    self.cancelling();
                    crate::db::compat::trigger_cancellation(&mut self.db);
                }
                self.receive(report);
            }
            _ => {
                let sender = self.reports.0.clone();
                self.pending += 1;
                self.background.spawn(move || {
                    let _ = sender.send(job.run(true));
                });
            }
        }
    }

    /// Waits for every background batch.
    fn join(&mut self) {
        self.drain_reports(true);
    }

    fn drain_reports(&mut self, wait: bool) {
        while self.pending > 0 {
            let report = if wait {
                match self.reports.1.recv() {
                    Ok(report) => report,
                    Err(_) => break,
                }
            } else {
                match self.reports.1.try_recv() {
                    Ok(report) => report,
                    Err(_) => break,
                }
            };
            self.pending -= 1;
            self.receive(report);
        }
    }

    fn receive(&mut self, report: BatchReport) {
        self.stats.background_completed += report.answers.len();
        for (query, answer) in report.answers {
            if !self.findings.is_empty() {
                break;
            }
            self.compare(
                report.origin.version,
                query,
                answer,
                true,
                report.origin.log_start,
            );
        }
        match report.end {
            BatchEnd::Completed | BatchEnd::Injected => {}
            BatchEnd::Cancelled(cancelled)
                if report.origin.requested && crate::db::compat::is_local(&cancelled) =>
            {
                self.stats.background_cancelled += 1;
                self.stats.requests_cancelled += 1;
                self.at_step(report.origin.step, |session| {
                    session.ask_again(report.origin, &report.queries);
                });
            }
            BatchEnd::Cancelled(cancelled) => {
                self.stats.background_cancelled += 1;
                // A local cancellation nobody asked for is salsa's, whatever else happened.
                let unasked_local = crate::db::compat::is_local(&cancelled);
                if unasked_local
                    || (report.origin.cancels == self.cancels && !self.fault_in_revision())
                {
                    self.at_step(report.origin.step, |session| {
                        session.report_unexpected_cancellation(cancelled, true);
                    });
                }
            }
            BatchEnd::Panicked(panic) => {
                self.at_step(report.origin.step, |session| session.report_panic(panic));
            }
            BatchEnd::IgnoredCancellation(panic) => {
                self.at_step(report.origin.step, |session| {
                    session.report(Culprit::Salsa, FindingKind::Panic(panic));
                });
            }
        }
    }

    /// Compares an answer with the model's; `window` is where in the event log the events that
    /// produced it start.
    fn compare(
        &mut self,
        version: usize,
        query: Query,
        got: QueryAnswer,
        background: bool,
        window: usize,
    ) {
        if !self.options.oracle {
            return;
        }
        let snapshot = Arc::clone(&self.snapshots[version]);
        let created = query
            .file()
            .is_none_or(|slot| snapshot.created.contains(slot.path()));
        let Some(expected) =
            self.run_model(|cache| ask_model(snapshot.model(cache), query, created))
        else {
            return;
        };
        self.stats.comparisons += 1;
        if got == expected {
            return;
        }
        // Two ids for one interned value is salsa's answer alone (the harness only asks for
        // the ids), in a fresh database as much as in this one.
        let interned_twice = matches!(got, QueryAnswer::InternedTwice(_));
        let culprit = if interned_twice {
            Culprit::Salsa
        } else {
            match catch(|| ask_database(&fresh_database(&snapshot), query)) {
                Caught::Done(fresh) if fresh == expected => Culprit::Salsa,
                _ => Culprit::Harness,
            }
        };
        let answer_of = got.query_behind(&expected, query);
        let file = query
            .file()
            .filter(|_| keyed_by_file(answer_of))
            .map(|slot| slot.path());
        let kind = FindingKind::Mismatch {
            query,
            answer_of,
            background,
            got: format!("{got:?}"),
            expected: format!("{expected:?}"),
            decision: if interned_twice {
                Some(Decision::InternedTwice)
            } else {
                self.decision(window, answer_of, file)
            },
        };
        self.report(culprit, kind);
    }

    /// After a `lines` query on the main thread answered right: whether `line_index`,
    /// `line_starts` and `line_marks` ran exactly when salsa's rules say they must, and
    /// `line_marks` kept its structs' ids and discarded the stale ones ([`lines`]).
    fn check_line_probes(&mut self, query: Query, path: &str, window: usize) {
        if !self.options.oracle || !self.findings.is_empty() || self.lines.is_blind() {
            return;
        }
        if self.db.faults_fired() != 0 || self.db.write_faults_fired() != 0 {
            self.lines.blind();
            return;
        }
        let (Some(log), Some(file), Some(durability)) = (
            self.db.event_log(),
            self.db.file(path),
            self.db.file_durability(path),
        ) else {
            return;
        };
        let key = salsa::plumbing::AsId::as_id(&file);
        let events = name_events(&self.db, &log.since(window));
        let ran = |name: &str| {
            events.iter().any(|event| {
                event.event == EventKind::Execute && event.query == name && event.key == Some(key)
            })
        };
        let ran = lines::Ran {
            index: ran("line_index"),
            starts: ran("line_starts"),
            marks: ran("line_marks"),
        };
        let discarded = events
            .iter()
            .filter(|event| event.query == "LineMark" && event.event == EventKind::Discard)
            .filter_map(|event| event.key)
            .collect();
        let snapshot = self.snapshots.last().expect("a snapshot per session");
        let text = snapshot
            .inputs
            .iter()
            .find(|input| input.path == path)
            .map_or("", |input| input.text.as_str());
        // The same revision, after the call: the memo is current, nothing runs (and no fault
        // is armed, [`Self::run_step`]).
        let ids = crate::db::line_marks(&self.db, file)
            .iter()
            .map(salsa::plumbing::AsId::as_id);
        let marks = lines::Marks {
            created: lines::identities(text).into_iter().zip(ids).collect(),
            discarded,
        };
        let state = lines::FileState {
            lines: text.lines().count(),
            durability,
            writes: self.db.file_writes(path),
        };
        let revision = crate::db::compat::current_revision(&self.db);
        self.stats.line_probe_checks += 1;
        if let Some(violation) = self.lines.check(path, state, revision, ran, marks) {
            let kind = FindingKind::Mismatch {
                query,
                answer_of: violation.query,
                background: false,
                got: violation.got,
                expected: violation.expected,
                decision: Some(violation.decision),
            };
            self.report(Culprit::Salsa, kind);
        }
    }

    fn check_all(&mut self) {
        let snapshot = Arc::clone(self.snapshots.last().expect("a snapshot per session"));
        let fired = self.db.faults_fired();
        self.db.set_main_alone(self.pending == 0);
        let window = self.log_len();
        let closures = !self.closures_masked();
        let caught = catch(|| answers_with(&self.db, closures));
        self.db.set_main_alone(false);
        let got = match caught {
            Caught::Done(got) => got,
            Caught::Cancelled(cancelled) => {
                self.main_thread_cancelled(cancelled, fired);
                return;
            }
            Caught::Panicked(report) => {
                self.report_panic(report);
                return;
            }
            Caught::Injected => return,
        };
        self.stats.comparisons += 1;
        let Some(difference) = self.run_model(|cache| {
            first_difference_of(&got.files, &snapshot.model(cache).file_answers(), closures)
        }) else {
            return;
        };
        let Some((part, difference)) = difference else {
            return;
        };
        // A difference: the model's answers as a whole, for the fresh database to match.
        let Some(expected) = self.run_model(|cache| snapshot.model(cache).answers()) else {
            return;
        };
        let expected = if closures {
            expected
        } else {
            expected.without_closures()
        };
        let fresh = catch(|| answers_with(&fresh_database(&snapshot), closures));
        let culprit = match fresh {
            Caught::Done(fresh) if fresh == expected => Culprit::Salsa,
            _ => Culprit::Harness,
        };
        let decision = self.project_decision(window, part, &difference);
        self.report(
            culprit,
            FindingKind::AnswersDiffer {
                part,
                difference,
                decision,
            },
        );
    }

    /// Runs the model (our code) under `catch`: its panics are harness findings, never salsa's.
    fn run_model<T>(&mut self, work: impl FnOnce(&ParseCache) -> T) -> Option<T> {
        let cache = &self.parse_cache;
        match catch(|| work(cache)) {
            Caught::Done(value) => Some(value),
            Caught::Panicked(report) => {
                self.report(Culprit::Harness, FindingKind::Panic(report));
                None
            }
            Caught::Cancelled(cancelled) => {
                self.report_unexpected_cancellation(cancelled, false);
                None
            }
            Caught::Injected => None,
        }
    }

    fn report_panic(&mut self, report: PanicReport) {
        let culprit = crate::oracle::culprit_of_panic(&report.message, &report.location);
        self.report(culprit, FindingKind::Panic(report));
    }

    /// Runs `report` with findings attributed to `step` (the step that spawned a batch).
    /// The decision behind a whole-project difference: the query that computes `part`, of the
    /// file the difference names first.
    fn project_decision(
        &self,
        window: usize,
        part: AnswerPart,
        difference: &str,
    ) -> Option<Decision> {
        let query = match part {
            AnswerPart::Files => return None,
            AnswerPart::Scopes => "semantic_index",
            AnswerPart::Symbols => "symbol_table",
            AnswerPart::Facts => "scope_facts",
            AnswerPart::Qualnames => "qualified_name",
            AnswerPart::Definitions => "module_definitions",
            AnswerPart::Resolutions => "resolve_names",
            AnswerPart::Exports => "module_exports",
            AnswerPart::Closure => "read_closure_size",
            AnswerPart::Types => "infer_binding",
            AnswerPart::Classes => "class_mro",
            AnswerPart::Diagnostics => "check_file",
        };
        let file = difference
            .split_once(": ")
            .map(|(path, _)| path)
            .filter(|path| keyed_by_file(query) && self.db.file(path).is_some());
        self.decision(window, query, file)
    }

    fn at_step(&mut self, step: usize, report: impl FnOnce(&mut Self)) {
        let current = std::mem::replace(&mut self.step, step);
        report(self);
        self.step = current;
    }

    fn report(&mut self, culprit: Culprit, kind: FindingKind) {
        if self.findings.is_empty() {
            self.findings.push(Finding {
                step: self.step,
                culprit,
                kind,
            });
        }
    }
}

/// A database built from scratch with a snapshot's inputs (removed files created and removed),
/// for triage: if it agrees with the model where the incremental one did not, salsa is to blame.
fn fresh_database(snapshot: &Snapshot) -> FuzzDatabase {
    let mut db = FuzzDatabase::new();
    db.load(&snapshot.inputs);
    db.load_builtins(&snapshot.builtins);
    for path in &snapshot.created {
        if !snapshot.inputs.iter().any(|input| input.path == *path) {
            db.write_file(path, "");
            db.remove_file(path);
        }
    }
    db
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::script::{Fragment, NameRef, Text};

    fn text(fragments: Vec<Fragment>) -> Text {
        Text(fragments)
    }

    #[test]
    fn edits_clamp_to_the_text_and_to_character_boundaries() {
        let insert = Edit::Insert {
            at: 1000,
            text: text(vec![Fragment::Pass]),
        };
        assert_eq!(
            apply_edit("x\n", &insert, &[]).as_deref(),
            Some("x\npass\n")
        );
        // Offset 1 is inside `é` (2 bytes): the edit lands before it.
        let delete = Edit::Delete { at: 1, len: 1 };
        assert_eq!(apply_edit("é!", &delete, &[]).as_deref(), Some("é!"));
        let replace = Edit::Replace {
            at: 0,
            len: 2,
            text: text(vec![Fragment::Def(NameRef(0), NameRef(3))]),
        };
        assert_eq!(
            apply_edit("ab", &replace, &[]).as_deref(),
            Some("def f(x):\n    ")
        );
        assert_eq!(apply_edit("ab", &Edit::Clear, &[]).as_deref(), Some(""));
    }

    #[test]
    fn restore_walks_back_through_history_and_needs_one() {
        let history = vec!["first".to_owned(), "second".to_owned()];
        assert_eq!(
            apply_edit("now", &Edit::Restore(0), &history).as_deref(),
            Some("second")
        );
        assert_eq!(
            apply_edit("now", &Edit::Restore(1), &history).as_deref(),
            Some("first")
        );
        assert_eq!(
            apply_edit("now", &Edit::Restore(2), &history).as_deref(),
            Some("second")
        );
        assert_eq!(apply_edit("now", &Edit::Restore(0), &[]), None);
    }
}
