//! Panic capture: a hook that records message, location, thread, salsa's query stack and the
//! salsa frames of the backtrace on the panicking thread, and `catch` which turns an unwind
//! into either a counted cancellation or a [`PanicReport`].
//!
//! `salsa::Cancelled` unwinds with `resume_unwind`, which skips the hook: it is control flow,
//! as in ty's `ruff_db/src/panic.rs`. The hook is process-wide and installed once; under
//! libFuzzer we leave libfuzzer-sys's aborting hook in place instead, so that any real panic,
//! on any thread, becomes a crash artifact.

use std::any::Any;
use std::cell::RefCell;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Once;

use crate::oracle::PanicReport;

crate::task_local! {
    static LAST_PANIC: RefCell<Option<PanicReport>> = const { RefCell::new(None) };
    /// How many [`catch`] calls this thread is inside: a panic outside all of them will not be
    /// reported by anyone, so the hook prints it.
    static CATCH_DEPTH: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// Installs the capturing hook (once per process); panics are then reported through
/// [`catch`] instead of being printed.
pub fn install_panic_hook() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| std::panic::set_hook(Box::new(capture)));
}

/// Puts the capturing hook back over one installed since (shuttle's, see
/// [`super::schedule`]).
#[cfg(feature = "shuttle")]
pub(crate) fn reinstall_hook() {
    drop(std::panic::take_hook());
    std::panic::set_hook(Box::new(capture));
}

/// The hook: records the panic for [`catch`], or prints it when nobody will catch it.
fn capture(info: &std::panic::PanicHookInfo<'_>) {
    let inside = crate::threads::in_execution();
    let message = payload_message(info.payload());
    let location = info
        .location()
        .map(|location| {
            format!(
                "{}:{}:{}",
                location.file(),
                location.line(),
                location.column()
            )
        })
        .unwrap_or_default();
    // Under shuttle, salsa's query stack is not captured: reading it loads shuttle atomics,
    // where shuttle may switch to another task, whose panic inside this hook would abort.
    let query_stack = cfg!(not(feature = "shuttle"))
        .then(salsa::Backtrace::capture)
        .flatten()
        .map(|stack| stack.to_string())
        .unwrap_or_default();
    let backtrace = std::backtrace::Backtrace::force_capture().to_string();
    let report = PanicReport {
        message,
        location,
        thread: thread_name(),
        query_stack,
        salsa_frames: salsa_frames(&backtrace),
    };
    if !inside || CATCH_DEPTH.with(std::cell::Cell::get) == 0 {
        // Nobody will catch this one: say what it was, as the default hook would, so
        // that a process dying of it (exit 101) leaves its message, location and
        // salsa's query stack on stderr.
        use std::io::Write as _;
        let _ = writeln!(
            std::io::stderr(),
            "salsa-fuzz: uncaught panic on thread {}: {}\n  at {}\n{}",
            report.thread,
            report.message,
            report.location,
            report.query_stack.trim_end()
        );
    }
    if inside {
        LAST_PANIC.with(|last| *last.borrow_mut() = Some(report));
    }
}

/// How a guarded piece of work ended.
pub enum Caught<T> {
    /// It returned.
    Done(T),
    /// It was cancelled by salsa (expected whenever a write races background queries).
    Cancelled(salsa::Cancelled),
    /// It panicked.
    Panicked(PanicReport),
    /// An injected fault ([`crate::db::Fault`]) unwound it, as the script asked.
    Injected,
}

/// Runs `work`, catching cancellation and panics.
pub fn catch<T>(work: impl FnOnce() -> T) -> Caught<T> {
    LAST_PANIC.with(|last| last.borrow_mut().take());
    CATCH_DEPTH.with(|depth| depth.set(depth.get() + 1));
    let result = catch_unwind(AssertUnwindSafe(work));
    CATCH_DEPTH.with(|depth| depth.set(depth.get() - 1));
    match result {
        Ok(value) => Caught::Done(value),
        Err(payload) if payload.is::<crate::db::InjectedPanic>() => Caught::Injected,
        Err(payload) => match payload.downcast::<salsa::Cancelled>() {
            Ok(cancelled) => Caught::Cancelled(*cancelled),
            Err(payload) => Caught::Panicked(
                LAST_PANIC
                    .with(|last| last.borrow_mut().take())
                    .unwrap_or_else(|| {
                        PanicReport::synthetic(payload_message(payload.as_ref()), thread_name())
                    }),
            ),
        },
    }
}

pub(crate) fn payload_message(payload: &(dyn Any + Send)) -> String {
    if let Some(message) = payload.downcast_ref::<&str>() {
        (*message).to_owned()
    } else if let Some(message) = payload.downcast_ref::<String>() {
        message.clone()
    } else {
        "<non-string panic payload>".to_owned()
    }
}

fn thread_name() -> String {
    // Outside a shuttle execution (the hook also runs there) only the OS thread exists.
    #[cfg(feature = "shuttle")]
    if !crate::threads::in_execution() {
        return std::thread::current()
            .name()
            .unwrap_or("<unnamed>")
            .to_owned();
    }
    crate::threads::current()
        .name()
        .unwrap_or("<unnamed>")
        .to_owned()
}

/// The function names of the first frames that are salsa's own, innermost first.
fn salsa_frames(backtrace: &str) -> Vec<String> {
    backtrace
        .lines()
        .map(str::trim)
        .filter_map(|line| line.split_once(": ").map(|(_, name)| name))
        .filter(|name| name.starts_with("salsa::") || name.starts_with("<salsa::"))
        .map(|name| {
            // Drop the trailing hash (`::h0123…`): it changes between builds.
            match name.rsplit_once("::h") {
                Some((rest, hash)) if hash.chars().all(|c| c.is_ascii_hexdigit()) => {
                    rest.to_owned()
                }
                _ => name.to_owned(),
            }
        })
        .take(5)
        .collect()
}
