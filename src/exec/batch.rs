//! Background batches: a cloned handle running its queries on a pool thread (or inline), the
//! way an editor's background requests run, and the report the session judges.

use std::sync::{Mutex, PoisonError};

use crate::db::FuzzDatabase;
use crate::db::request::{self, RequestGuard};
use crate::oracle::{PanicReport, QueryAnswer, ask_database};
use crate::script::Query;

use super::panics::{Caught, catch};
use super::watchdog;

pub(super) enum BatchEnd {
    Completed,
    /// Finished although salsa had to throw `Cancelled::Local` in it (its answers still
    /// count): salsa ignored the request's cancellation.
    IgnoredCancellation(PanicReport),
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
    /// Cancel the request through the handle's `CancellationToken` in this query.
    pub(super) cancel: Option<RequestCancel>,
}

/// Where a [`crate::script::Step::CancelRequest`] cancels a batch.
#[derive(Clone, Copy)]
pub(super) struct RequestCancel {
    /// The query (an index into the batch) it cancels.
    pub(super) query: usize,
    /// At that query's `at`-th cancellation check; 0: just before it.
    pub(super) at: u8,
}

impl RequestCancel {
    /// Registers the request on this thread as its query `self.query` starts, cancelling the
    /// token now or arming the cancellation at the chosen check.
    fn start(self, db: &FuzzDatabase) -> RequestGuard {
        let guard = request::enter(db, (self.at > 0).then_some(u32::from(self.at)));
        if self.at == 0 {
            // `$/cancelRequest` arrives: salsa throws `Cancelled::Local` at the next check.
            crate::db::compat::cancellation_token(db).cancel();
        }
        guard
    }
}

/// Whether a request that salsa had to stop with `Cancelled::Local`
/// ([`RequestGuard::must_have_unwound`]) ended another way: salsa went on past that check.
/// A real panic is reported as itself.
fn ended_past_a_local_cancellation<T>(outcome: &Caught<T>) -> bool {
    match outcome {
        Caught::Done(_) | Caught::Injected => true,
        Caught::Cancelled(cancelled) => !crate::db::compat::is_local(cancelled),
        Caught::Panicked(_) => false,
    }
}

/// A request that ended past a cancellation check at which salsa had to throw
/// `Cancelled::Local`.
fn ignored_cancellation() -> PanicReport {
    PanicReport::synthetic(
        "local cancellation ignored: a request cancelled through its token went on past a \
         cancellation check outside every fixpoint query"
            .to_owned(),
        crate::threads::current()
            .name()
            .unwrap_or("background")
            .to_owned(),
    )
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
            cancel,
        } = self;
        let in_flight = db.background_in_flight();
        let parallel = on_pool
            && queries.len() > 1
            && matches!(
                queries[0],
                Query::Diagnostics(_) | Query::Types(_) | Query::Closure(_)
            );
        let (answers, end) = if parallel {
            ask_in_parallel(&db, &queries, origin.step, cancel)
        } else {
            ask_in_order(&db, &queries, origin.step, cancel)
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
    cancel: Option<RequestCancel>,
) -> (Vec<(Query, QueryAnswer)>, BatchEnd) {
    let mut answers = Vec::with_capacity(queries.len());
    // Every batch is a request (faults scoped to requests count its events); the one a
    // `cancel-request` names is registered again, with its cancellation, at its query.
    let mut request = Some(request::enter(db, None));
    let outcome = catch(|| {
        for (index, &query) in queries.iter().enumerate() {
            if let Some(cancel) = cancel.filter(|cancel| cancel.query == index) {
                drop(request.take());
                request = Some(cancel.start(db));
            }
            watchdog::note_activity(step, query.name());
            answers.push((query, ask_database(db, query)));
        }
    });
    watchdog::clear_activity();
    let ignored = request
        .as_ref()
        .is_some_and(RequestGuard::must_have_unwound);
    drop(request);
    let end = match outcome {
        outcome if ignored && ended_past_a_local_cancellation(&outcome) => {
            BatchEnd::IgnoredCancellation(ignored_cancellation())
        }
        Caught::Done(()) => BatchEnd::Completed,
        Caught::Cancelled(cancelled) => BatchEnd::Cancelled(cancelled),
        Caught::Panicked(report) => BatchEnd::Panicked(report),
        Caught::Injected => BatchEnd::Injected,
    };
    (answers, end)
}

/// How one task of a parallel batch ended, and whether it went on past a local cancellation
/// salsa owed it.
type TaskEnd = (Caught<QueryAnswer>, bool);

/// Asks every query as its own task on the current pool, each on its own clone (the task
/// `cancel` names has its clone's token cancelled). The batch ends as its worst task: a
/// panic, else a cancellation, else an injected fault.
fn ask_in_parallel(
    db: &FuzzDatabase,
    queries: &[Query],
    step: usize,
    cancel: Option<RequestCancel>,
) -> (Vec<(Query, QueryAnswer)>, BatchEnd) {
    let outcomes: Vec<Mutex<Option<TaskEnd>>> = queries.iter().map(|_| Mutex::new(None)).collect();
    // Handles are not `Sync`: each task gets its clone by value.
    let clones: Vec<FuzzDatabase> = queries.iter().map(|_| db.clone()).collect();
    let task = |index: usize, query: &Query, slot: &Mutex<Option<TaskEnd>>, db: FuzzDatabase| {
        // One task of the request, on its own clone, is cancelled by its token.
        let cancel = cancel.filter(|cancel| cancel.query == index);
        watchdog::note_activity(step, query.name());
        let request = match cancel {
            Some(cancel) => cancel.start(&db),
            None => request::enter(&db, None),
        };
        let caught = catch(|| ask_database(&db, *query));
        let ignored = ended_past_a_local_cancellation(&caught) && request.must_have_unwound();
        drop(request);
        watchdog::clear_activity();
        drop(db);
        *slot.lock().unwrap_or_else(PoisonError::into_inner) = Some((caught, ignored));
    };
    let tasks = queries.iter().zip(&outcomes).zip(clones).enumerate();
    // On the pool's threads; under shuttle, a shuttle thread per task.
    #[cfg(not(feature = "shuttle"))]
    rayon::scope(|scope| {
        for (index, ((query, slot), db)) in tasks {
            scope.spawn(move |_| task(index, query, slot, db));
        }
    });
    #[cfg(feature = "shuttle")]
    shuttle::thread::scope(|scope| {
        for (index, ((query, slot), db)) in tasks {
            scope.spawn(move || task(index, query, slot, db));
        }
    });
    let mut answers = Vec::with_capacity(queries.len());
    let mut end = BatchEnd::Completed;
    let mut ignored = false;
    for (query, slot) in queries.iter().zip(outcomes) {
        let slot = slot.into_inner().unwrap_or_else(PoisonError::into_inner);
        ignored |= slot.as_ref().is_some_and(|(_, ignored)| *ignored);
        match slot.map(|(caught, _)| caught) {
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
    if ignored && !matches!(end, BatchEnd::Panicked(_)) {
        end = BatchEnd::IgnoredCancellation(ignored_cancellation());
    }
    (answers, end)
}

/// Where a session's background batches run.
pub(super) enum Background {
    /// Inline on the main thread, as they are spawned (`--sequential`).
    Inline,
    /// On the process's pool for the script's thread count.
    #[cfg(not(feature = "shuttle"))]
    Pool(&'static rayon::ThreadPool),
    /// On the script's own pool of shuttle threads.
    #[cfg(feature = "shuttle")]
    Shuttle(shuttle_pool::ShuttlePool),
}

impl Background {
    /// The background of a script with `threads` pool threads.
    pub(super) fn new(sequential: bool, threads: u8) -> Background {
        if sequential {
            return Background::Inline;
        }
        #[cfg(not(feature = "shuttle"))]
        return background_pool(threads).map_or(Background::Inline, Background::Pool);
        #[cfg(feature = "shuttle")]
        return Background::Shuttle(shuttle_pool::ShuttlePool::new(threads));
    }

    /// Runs `work` on a background thread (inline: here, now).
    pub(super) fn spawn(&self, work: impl FnOnce() + Send + 'static) {
        match self {
            Background::Inline => work(),
            #[cfg(not(feature = "shuttle"))]
            Background::Pool(pool) => pool.spawn(work),
            #[cfg(feature = "shuttle")]
            Background::Shuttle(pool) => pool.spawn(Box::new(work)),
        }
    }
}

/// A fixed pool of shuttle threads: the rayon pool's role in a shuttle execution, created
/// and joined within it (shuttle threads cannot outlive their execution).
#[cfg(feature = "shuttle")]
mod shuttle_pool {
    use std::sync::{Arc, PoisonError};

    use crate::threads::mpsc::{Receiver, Sender, channel};

    type Job = Box<dyn FnOnce() + Send>;

    pub(in crate::exec) struct ShuttlePool {
        jobs: Option<Sender<Job>>,
        workers: Vec<shuttle::thread::JoinHandle<()>>,
    }

    impl ShuttlePool {
        pub(in crate::exec) fn new(threads: u8) -> ShuttlePool {
            let (jobs, queue) = channel::<Job>();
            let queue: Arc<shuttle::sync::Mutex<Receiver<Job>>> =
                Arc::new(shuttle::sync::Mutex::new(queue));
            let workers = (0..super::pool_threads(threads))
                .map(|index| {
                    let queue = Arc::clone(&queue);
                    shuttle::thread::Builder::new()
                        .name(format!("salsa-fuzz-bg-{index}"))
                        .stack_size(crate::threads::STACK_SIZE)
                        .spawn(move || {
                            loop {
                                let job =
                                    queue.lock().unwrap_or_else(PoisonError::into_inner).recv();
                                match job {
                                    Ok(job) => job(),
                                    Err(_) => break,
                                }
                            }
                        })
                        .expect("spawning a shuttle pool thread")
                })
                .collect();
            ShuttlePool {
                jobs: Some(jobs),
                workers,
            }
        }

        pub(in crate::exec) fn spawn(&self, job: Job) {
            if let Some(jobs) = &self.jobs {
                // The workers outlive the sender: a send cannot fail.
                let _ = jobs.send(job);
            }
        }
    }

    impl Drop for ShuttlePool {
        fn drop(&mut self) {
            drop(self.jobs.take());
            for worker in self.workers.drain(..) {
                let _ = worker.join();
            }
        }
    }
}

/// The most threads a script's background pool has.
const MAX_POOL_THREADS: u8 = 4;

/// The threads of a script's background pool: its thread count, within 1 to
/// [`MAX_POOL_THREADS`].
fn pool_threads(threads: u8) -> u8 {
    threads.clamp(1, MAX_POOL_THREADS)
}

/// The background pools, one per thread count, built on first use and reused by every script.
#[cfg(not(feature = "shuttle"))]
pub(super) fn background_pool(threads: u8) -> Option<&'static rayon::ThreadPool> {
    use std::sync::OnceLock;
    static POOLS: OnceLock<Vec<Option<rayon::ThreadPool>>> = OnceLock::new();
    let pools = POOLS.get_or_init(|| {
        (1..=MAX_POOL_THREADS)
            .map(|threads| {
                rayon::ThreadPoolBuilder::new()
                    .num_threads(usize::from(threads))
                    .thread_name(|index| format!("salsa-fuzz-bg-{index}"))
                    .stack_size(crate::threads::STACK_SIZE)
                    .build()
                    .ok()
            })
            .collect()
    });
    pools
        .get(usize::from(pool_threads(threads)) - 1)
        .and_then(Option::as_ref)
}
