//! The watchdog: reports a step that does not finish within a bound as a hang, instead of a
//! silent libFuzzer timeout. A salsa deadlock cannot be unwound from, so after printing the
//! report (which execution, which step, of what kind) it aborts the process; the stable runner
//! restarts the worker and keeps the input, libFuzzer saves a crash artifact.
//!
//! One watchdog thread serves every execution of the process (tests run several at once); an
//! execution registers a [`Watch`] and beats it at each step, which costs one uncontended lock.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock, PoisonError};
use std::time::{Duration, Instant};

use crate::threads::ThreadId;

struct Beat {
    at: Instant,
    limit: Duration,
    step: usize,
    what: &'static str,
}

fn watched() -> &'static Mutex<BTreeMap<u64, Beat>> {
    static WATCHED: OnceLock<Mutex<BTreeMap<u64, Beat>>> = OnceLock::new();
    WATCHED.get_or_init(|| {
        let spawned = std::thread::Builder::new()
            .name("salsa-fuzz-watchdog".to_owned())
            .spawn(watch_forever);
        if let Err(error) = spawned {
            let _ = writeln!(
                std::io::stderr(),
                "salsa-fuzz: no watchdog thread ({error}); hangs will not be reported"
            );
        }
        Mutex::new(BTreeMap::new())
    })
}

/// What each background thread is doing: (thread, step that spawned its batch, query).
fn activities() -> &'static Mutex<Vec<(ThreadId, String, usize, &'static str)>> {
    static ACTIVITIES: Mutex<Vec<(ThreadId, String, usize, &'static str)>> = Mutex::new(Vec::new());
    &ACTIVITIES
}

/// Records that this thread runs `query` for a batch spawned at `step`, for hang reports.
pub fn note_activity(step: usize, query: &'static str) {
    // The task's id and name: under shuttle every task shares one OS thread.
    let thread = crate::threads::current();
    let id = thread.id();
    let mut activities = activities().lock().unwrap_or_else(PoisonError::into_inner);
    match activities.iter_mut().find(|entry| entry.0 == id) {
        Some(entry) => (entry.2, entry.3) = (step, query),
        None => {
            let name = thread.name().unwrap_or("<unnamed>").to_owned();
            activities.push((id, name, step, query));
        }
    }
}

/// Records that this thread's batch is over.
pub fn clear_activity() {
    let id = crate::threads::current().id();
    let mut activities = activities().lock().unwrap_or_else(PoisonError::into_inner);
    activities.retain(|entry| entry.0 != id);
}

fn lock() -> std::sync::MutexGuard<'static, BTreeMap<u64, Beat>> {
    watched().lock().unwrap_or_else(PoisonError::into_inner)
}

/// Where a hang report goes besides stderr: a campaign worker sends it to its campaign.
static HANG_REPORTER: OnceLock<fn(&str)> = OnceLock::new();

/// Sends hang reports to `reporter` too (once per process; later calls are ignored). The
/// reporter must not panic; the process aborts right after it returns.
pub fn set_hang_reporter(reporter: fn(&str)) {
    let _ = HANG_REPORTER.set(reporter);
}

/// What starts the watchdog's report on stderr, before it aborts the process.
pub const HANG_MARK: &str = "salsa-fuzz: HANG:";

fn watch_forever() {
    loop {
        std::thread::sleep(Duration::from_millis(250));
        let now = Instant::now();
        let hung = lock()
            .iter()
            .find(|(_, beat)| now.duration_since(beat.at) > beat.limit)
            .map(|(id, beat)| (*id, beat.step, beat.what, beat.limit));
        if let Some((id, step, what, limit)) = hung {
            let mut report = format!(
                "execution {id}, step {step} ({what}) did not finish within {limit:?}; a salsa \
                 deadlock is likely (a write waiting for a handle that never drops, or a cycle \
                 across threads)."
            );
            let activities = activities().lock().unwrap_or_else(PoisonError::into_inner);
            for (_, thread, step, query) in activities.iter() {
                report.push_str(&format!(
                    "\n  thread {thread}: `{query}` of the batch spawned at step {step}"
                ));
            }
            // Nothing here may stop the abort: stderr may be a closed pipe (the campaign is
            // gone), and `eprintln!` would panic and end this thread instead.
            let _ = writeln!(std::io::stderr(), "{HANG_MARK} {report}\nAborting.");
            if let Some(reporter) = HANG_REPORTER.get() {
                reporter(&report);
            }
            std::process::abort();
        }
    }
}

/// One execution's registration with the watchdog; unregisters on drop.
pub struct Watch {
    id: u64,
    limit: Duration,
}

impl Watch {
    /// Starts watching an execution; a step that takes longer than `limit` aborts the process.
    pub fn start(limit: Duration) -> Watch {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let watch = Watch {
            id: NEXT.fetch_add(1, Ordering::Relaxed),
            limit,
        };
        watch.beat(0, "start");
        watch
    }

    /// Records that step `step`, of kind `what`, has started.
    pub fn beat(&self, step: usize, what: &'static str) {
        let beat = Beat {
            at: Instant::now(),
            limit: self.limit,
            step,
            what,
        };
        lock().insert(self.id, beat);
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        lock().remove(&self.id);
    }
}
