//! The threads a script runs on, named once so the executor works on either kind: the
//! operating system's (the default), or, with the `shuttle` feature, shuttle's, whose
//! scheduler runs every thread of a script as a coroutine on one OS thread and decides each
//! interleaving from a seed ([`crate::exec::schedule`]).
//!
//! Everything the executor keeps per thread (the step, the caught panic, the registered
//! request, the fault's main thread) goes through here: under shuttle, `std`'s thread-locals
//! and thread ids are one OS thread's, shared by every shuttle thread of the execution. Our
//! `std` mutexes stay: they are never held across a salsa call, so no shuttle thread switch
//! happens while one is held.

#[cfg(feature = "shuttle")]
pub use shuttle::sync::mpsc;
#[cfg(feature = "shuttle")]
pub use shuttle::thread::{ThreadId, current};
#[cfg(not(feature = "shuttle"))]
pub use std::sync::mpsc;
#[cfg(not(feature = "shuttle"))]
pub use std::thread::{ThreadId, current};

/// `std::thread_local!`, or shuttle's under the `shuttle` feature (one value per shuttle
/// thread). Under shuttle a key is usable only inside an execution: see [`in_execution`].
#[macro_export]
macro_rules! task_local {
    ($($declarations:tt)*) => {
        #[cfg(feature = "shuttle")]
        shuttle::thread_local! { $($declarations)* }
        #[cfg(not(feature = "shuttle"))]
        std::thread_local! { $($declarations)* }
    };
}

/// Whether [`task_local!`] keys, thread ids and salsa's shuttle primitives can be used here:
/// always with OS threads; under shuttle, only on a shuttle task (the panic hook also runs
/// outside one, and after a failed execution, whose tasks shuttle leaks rather than unwinds).
pub fn in_execution() -> bool {
    #[cfg(feature = "shuttle")]
    return shuttle::current::try_get_current_task().is_some();
    #[cfg(not(feature = "shuttle"))]
    true
}

/// The stack every script thread gets: the AST walk recurses with nesting depth, and a
/// 2,048-byte text can nest about 1,500 brackets.
pub const STACK_SIZE: usize = 16 << 20;
