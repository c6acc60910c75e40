//! Background batches: a cloned handle running its queries on a pool thread (or inline), the
//! way an editor's background requests run, and the report the session judges.

use std::sync::{Mutex, OnceLock, PoisonError};

use crate::db::FuzzDatabase;
use crate::oracle::{PanicReport, QueryAnswer, ask_database};
use crate::script::Query;

use super::panics::{Caught, catch};
use super::watchdog;

pub(super) enum BatchEnd {
    Completed,
    Cancelled(salsa::Cancelled),
    Panicked(PanicReport),
    Injected,
}

/// When a batch was spawned: what its report is judged against.
#[derive(Clone, Copy)]
pub(super) struct BatchOrigin {
    /// The input version its answers must match.
    pub(super) version: usize,
    /// The step that spawned it.
    pub(super) step: usize,
    /// [`Session::cancels`] at the spawn.
    pub(super) cancels: u64,
    /// Faults fired at the spawn.
    pub(super) faults: u32,
    /// The event log's length when the spawn's revision started.
    pub(super) log_start: usize,
    /// Whether the batch stands for a request that is cancelled through its token
    /// ([`crate::script::Step::CancelRequest`]): it may end in `Cancelled::Local`.
    pub(super) requested: bool,
}

pub(super) struct BatchReport {
    pub(super) origin: BatchOrigin,
    /// The batch's queries, answered or not.
    pub(super) queries: Vec<Query>,
    pub(super) answers: Vec<(Query, QueryAnswer)>,
    pub(super) end: BatchEnd,
}

/// One background batch: a cloned handle and its queries.
pub(super) struct BatchJob {
    pub(super) db: FuzzDatabase,
    pub(super) queries: Vec<Query>,
    pub(super) origin: BatchOrigin,
    /// Cancel the request through the handle's `CancellationToken` just before this query.
    pub(super) cancel_before: Option<usize>,
}

impl BatchJob {
    /// Runs the queries on the batch's clone; the clone (and every clone made from it) is
    /// dropped before the report is returned, so a waiting write can proceed. A batch that
    /// starts with `check_file` or `types` and runs on a pool is a workspace request: like
    /// ty's `check`, it asks its queries in parallel, one clone per task, so several threads
    /// enter the same import and inference cycles at once, each at its own file (salsa's
    /// cross-thread cycle handling, salsa#1263's ground). Inline, a batch is always sequential.
    pub(super) fn run(self, on_pool: bool) -> BatchReport {
        let BatchJob {
            db,
            queries,
            origin,
            cancel_before,
        } = self;
        let in_flight = db.background_in_flight();
        let parallel = on_pool
            && queries.len() > 1
            && matches!(
                queries[0],
                Query::Diagnostics(_) | Query::Types(_) | Query::Closure(_)
            );
        let (answers, end) = if parallel {
            ask_in_parallel(&db, &queries, origin.step, cancel_before)
        } else {
            ask_in_order(&db, &queries, origin.step, cancel_before)
        };
        drop(db);
        drop(in_flight);
        BatchReport {
            origin,
            queries,
            answers,
            end,
        }
    }
}

/// Asks the queries one after the other until one is cancelled or panics.
fn ask_in_order(
    db: &FuzzDatabase,
    queries: &[Query],
    step: usize,
    cancel_before: Option<usize>,
) -> (Vec<(Query, QueryAnswer)>, BatchEnd) {
    let mut answers = Vec::with_capacity(queries.len());
    let outcome = catch(|| {
        for (index, &query) in queries.iter().enumerate() {
            if cancel_before == Some(index) {
                // `$/cancelRequest` arrives: salsa throws `Cancelled::Local` at the next check.
                salsa::Database::cancellation_token(db).cancel();
            }
            watchdog::note_activity(step, query.name());
            answers.push((query, ask_database(db, query)));
        }
    });
    watchdog::clear_activity();
    let end = match outcome {
        Caught::Done(()) => BatchEnd::Completed,
        Caught::Cancelled(cancelled) => BatchEnd::Cancelled(cancelled),
        Caught::Panicked(report) => BatchEnd::Panicked(report),
        Caught::Injected => BatchEnd::Injected,
    };
    (answers, end)
}

/// Asks every query as its own task on the current pool, each on its own clone (the task
/// `cancel_before` names has its clone's token cancelled first). The batch ends as its worst
/// task: a panic, else a cancellation, else an injected fault.
fn ask_in_parallel(
    db: &FuzzDatabase,
    queries: &[Query],
    step: usize,
    cancel_before: Option<usize>,
) -> (Vec<(Query, QueryAnswer)>, BatchEnd) {
    let outcomes: Vec<Mutex<Option<Caught<QueryAnswer>>>> =
        queries.iter().map(|_| Mutex::new(None)).collect();
    // Handles are not `Sync`: each task gets its clone by value.
    let clones: Vec<FuzzDatabase> = queries.iter().map(|_| db.clone()).collect();
    rayon::scope(|scope| {
        for (index, ((query, slot), db)) in queries.iter().zip(&outcomes).zip(clones).enumerate() {
            if cancel_before == Some(index) {
                // One task of the request, on its own clone, is cancelled by its token.
                salsa::Database::cancellation_token(&db).cancel();
            }
            scope.spawn(move |_| {
                watchdog::note_activity(step, query.name());
                let caught = catch(|| ask_database(&db, *query));
                watchdog::clear_activity();
                drop(db);
                *slot.lock().unwrap_or_else(PoisonError::into_inner) = Some(caught);
            });
        }
    });
    let mut answers = Vec::with_capacity(queries.len());
    let mut end = BatchEnd::Completed;
    for (query, slot) in queries.iter().zip(outcomes) {
        match slot.into_inner().unwrap_or_else(PoisonError::into_inner) {
            Some(Caught::Done(answer)) => answers.push((*query, answer)),
            Some(Caught::Panicked(report)) if !matches!(end, BatchEnd::Panicked(_)) => {
                end = BatchEnd::Panicked(report);
            }
            Some(Caught::Cancelled(cancelled))
                if matches!(end, BatchEnd::Completed | BatchEnd::Injected) =>
            {
                end = BatchEnd::Cancelled(cancelled);
            }
            Some(Caught::Injected) if matches!(end, BatchEnd::Completed) => {
                end = BatchEnd::Injected;
            }
            _ => {}
        }
    }
    (answers, end)
}

/// The background pools, one per thread count, built on first use and reused by every script.
pub(super) fn background_pool(threads: u8) -> Option<&'static rayon::ThreadPool> {
    static POOLS: OnceLock<Vec<Option<rayon::ThreadPool>>> = OnceLock::new();
    let pools = POOLS.get_or_init(|| {
        (1..=4)
            .map(|threads| {
                rayon::ThreadPoolBuilder::new()
                    .num_threads(threads)
                    .thread_name(|index| format!("salsa-fuzz-bg-{index}"))
                    // The AST walk recurses with nesting depth; a 2,048-byte text can nest
                    // about 1,500 brackets.
                    .stack_size(16 << 20)
                    .build()
                    .ok()
            })
            .collect()
    });
    pools
        .get(usize::from(threads.clamp(1, 4)) - 1)
        .and_then(Option::as_ref)
}
