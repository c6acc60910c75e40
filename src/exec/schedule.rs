//! Runs scripts under shuttle (a shuttle build): the scheduler that follows a
//! [`Schedule`] and the runner of one execution. The schedule itself, a value of the input,
//! is [`crate::script::schedule`]'s.

pub use crate::script::schedule::{MAX_DEPTH, Schedule, Strategy};

/// Runs scripts under shuttle: the scheduler and the runner.
#[cfg(feature = "shuttle")]
pub(crate) mod runner {
    use std::sync::{Arc, Mutex, Once, PoisonError};

    use shuttle::scheduler::{Schedule as ShuttleSchedule, Scheduler, Task, TaskId};
    use shuttle::{Config, FailurePersistence, MaxSteps, Runner};

    use crate::script::schedule::splitmix64;

    use super::{Schedule, Strategy};

    /// Scheduling steps after which an execution counts as hung (a livelock, or a thread
    /// spinning on a yield): far above a script's use (see the README's shuttle section).
    pub(crate) const MAX_STEPS: usize = 50_000_000;

    /// One execution's scheduler, following [`Schedule`].
    struct Chooser {
        schedule: Schedule,
        started: bool,
        rng: u64,
        /// Priority by task index; higher runs first.
        priorities: Vec<i64>,
        /// The next priority a dropped thread gets: below every other.
        lowest: i64,
        /// PCT's change points, sorted, as decision counts.
        change_points: Vec<u64>,
        decisions: u64,
    }

    impl Chooser {
        fn new(schedule: Schedule) -> Chooser {
            let mut rng = schedule.seed;
            let change_points = match schedule.strategy {
                Strategy::Pct { depth, horizon } => {
                    let mut points: Vec<u64> = (1..depth)
                        .map(|_| 1 + splitmix64(&mut rng) % u64::from(horizon))
                        .collect();
                    points.sort_unstable();
                    points
                }
                Strategy::Random => Vec::new(),
            };
            Chooser {
                schedule,
                started: false,
                rng,
                priorities: Vec::new(),
                lowest: 0,
                change_points,
                decisions: 0,
            }
        }

        fn priority(&mut self, task: TaskId) -> i64 {
            let index = usize::from(task);
            while self.priorities.len() <= index {
                // Positive and distinct with overwhelming probability; ties go to the
                // lower task index, deterministically.
                let priority = (splitmix64(&mut self.rng) >> 2) as i64 + 1;
                self.priorities.push(priority);
            }
            self.priorities[index]
        }
    }

    impl Scheduler for Chooser {
        fn new_execution(&mut self) -> Option<ShuttleSchedule> {
            if self.started {
                return None;
            }
            self.started = true;
            Some(ShuttleSchedule::new(self.schedule.seed))
        }

        fn next_task(
            &mut self,
            runnable: &[&Task],
            current: Option<TaskId>,
            is_yielding: bool,
        ) -> Option<TaskId> {
            // A thread unwinding (a `Cancelled`, a panic) runs on until its unwinding ends or
            // it blocks: `std::thread::panicking()` is the OS thread's, shared by every
            // shuttle thread, and salsa's guards read it (`ClaimGuard`, the provisional-memo
            // poisoning), so another thread run mid-unwind would take itself for unwinding,
            // which no OS-thread run can do. Such decisions draw nothing.
            if std::thread::panicking()
                && let Some(current) = current.filter(|current| {
                    !is_yielding && runnable.iter().any(|task| task.id() == *current)
                })
            {
                return Some(current);
            }
            match self.schedule.strategy {
                // A decision with one runnable thread draws nothing: a lone thread's extra
                // steps (a static salsa initialises once per process) shift no later choice.
                Strategy::Random if runnable.len() == 1 => Some(runnable[0].id()),
                Strategy::Random => {
                    let pick = splitmix64(&mut self.rng) % runnable.len() as u64;
                    Some(runnable[pick as usize].id())
                }
                Strategy::Pct { .. } => {
                    if runnable.len() > 1 {
                        self.decisions += 1;
                        // Two points drawn equal are one drop.
                        let mut drop_here = false;
                        while self.change_points.first() == Some(&self.decisions) {
                            self.change_points.remove(0);
                            drop_here = true;
                        }
                        if let Some(current) = current.filter(|_| drop_here || is_yielding) {
                            let _ = self.priority(current);
                            self.lowest -= 1;
                            self.priorities[usize::from(current)] = self.lowest;
                        }
                    }
                    let mut best: Option<(i64, TaskId)> = None;
                    for task in runnable {
                        let id = task.id();
                        let priority = self.priority(id);
                        if best.is_none_or(|(top, _)| priority > top) {
                            best = Some((priority, id));
                        }
                    }
                    best.map(|(_, id)| id)
                }
            }
        }

        fn next_u64(&mut self) -> u64 {
            splitmix64(&mut self.rng)
        }
    }

    fn config() -> Config {
        let mut config = Config::new();
        config.stack_size = crate::threads::STACK_SIZE;
        config.failure_persistence = FailurePersistence::None;
        config.max_steps = MaxSteps::FailAfter(MAX_STEPS);
        config.silence_warnings = true;
        config
    }

    /// Runs `work` as one shuttle execution under `schedule`. `Err` carries what shuttle
    /// failed the execution with: a deadlock (every thread blocked), the step bound, or a
    /// panic that escaped every thread's own catch.
    pub(crate) fn run<T: Send + 'static>(
        schedule: Schedule,
        work: impl Fn() -> T + Send + Sync + 'static,
    ) -> Result<T, String> {
        // One execution at a time in a process: salsa keeps some of its (shuttle) locks and
        // atomics in statics, and a shuttle primitive must not be touched by two executions
        // at once (`cargo test` runs tests on parallel threads).
        static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());
        let _alone = ONE_AT_A_TIME.lock().unwrap_or_else(PoisonError::into_inner);
        quiet_shuttles_panic_hook();
        let slot: Arc<Mutex<Option<T>>> = Arc::new(Mutex::new(None));
        let filled = Arc::clone(&slot);
        let ran = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            Runner::new(Chooser::new(schedule), config()).run(move || {
                let value = work();
                *filled.lock().unwrap_or_else(PoisonError::into_inner) = Some(value);
            });
        }));
        let value = slot.lock().unwrap_or_else(PoisonError::into_inner).take();
        match (ran, value) {
            (Ok(()), Some(value)) => Ok(value),
            (Ok(()), None) => Err("the execution ended before the script did".to_owned()),
            (Err(payload), _) => Err(crate::exec::panics::payload_message(payload.as_ref())),
        }
    }

    /// Shuttle installs a panic hook at its first execution that prints "Task failed,
    /// serializing schedule" at every panic, caught or not; the executor catches injected
    /// faults and salsa's panics itself and reports them with their schedule, so ours goes
    /// back in place of shuttle's.
    fn quiet_shuttles_panic_hook() {
        static ONCE: Once = Once::new();
        ONCE.call_once(|| {
            crate::exec::install_panic_hook();
            Runner::new(
                Chooser::new(Schedule {
                    strategy: Strategy::Random,
                    seed: 0,
                }),
                config(),
            )
            .run(|| {});
            crate::exec::panics::reinstall_hook();
        });
    }

    /// Runs seeded scripts, once per process, before the first real execution. salsa keeps
    /// per-process state in statics (each ingredient's index cache, the empty cycle-head
    /// set) whose first use takes extra synchronisation steps; were those steps taken in
    /// whichever execution first reaches an ingredient, a script would interleave
    /// differently as the first run of a process (`repro`) than deep in a campaign. The
    /// warm-up reaches them first, so that every real execution finds them initialised.
    pub(crate) fn warm_up() {
        static ONCE: Once = Once::new();
        ONCE.call_once(|| {
            let mut inputs = crate::util::SeededInputs::new(0);
            let options = crate::exec::ExecOptions {
                sequential: true,
                hang_limit: None,
                ..crate::exec::ExecOptions::default()
            };
            for _ in 0..WARM_UP_SCRIPTS {
                let script = crate::script::EditScript::from_bytes(&inputs.next_input());
                let options = options.clone();
                let _ = run(Schedule::of_bytes(&[]), move || {
                    crate::exec::execute_here(&script, &options).findings.len()
                });
            }
        });
    }

    /// How many seeded scripts [`warm_up`] runs: 0.65 s of a process's start
    /// (`bench-mode sequential+oracle --scripts 1`, shuttle build against 0.00 s).
    const WARM_UP_SCRIPTS: usize = 200;
}
