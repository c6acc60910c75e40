//! Editor requests cancelled through their handle's `CancellationToken` in the middle of a
//! query, and the rule salsa must keep when they are.
//!
//! `$/cancelRequest` can arrive at any moment of a request, not only between two of its
//! queries. A request running on this thread is registered with [`enter`]; if it is to be
//! cancelled at its `n`-th cancellation check, the event callback cancels its token at that
//! `WillCheckCancellation` event, just before salsa looks at the token.
//!
//! Salsa disables local cancellation while it executes a fixpoint-capable query (one with
//! `cycle_initial`), so that a cycle is never abandoned half-iterated, and must enable it
//! again however that execution ends. So once the token is cancelled, every cancellation
//! check made outside the body of a fixpoint query must unwind with `Cancelled::Local`, right
//! there. The bodies mark themselves with [`FixpointBody`]; a check outside all of them after
//! the cancel is recorded, and a request that then ends any other way (with answers, in an
//! injected panic, in another cancellation) is salsa ignoring the request
//! (salsa#1156: 0.27.0 left local cancellation disabled after a panic unwound out of a
//! fixpoint query and was caught inside another query, as [`DeferredPanic`] does).
//!
//! All state is per thread: a handle runs on one thread at a time, and salsa's disabling is
//! per handle.

use std::cell::{Cell, RefCell};

use super::faults::InjectedPanic;

struct Request {
    token: super::compat::CancellationToken,
    /// Cancellation checks left before the token is cancelled (`None`: not by a check).
    cancel_in: Option<u32>,
    /// A check outside every fixpoint body saw the token cancelled.
    must_have_unwound: bool,
    /// The token was cancelled (by a check) inside a fixpoint body.
    cancelled_in_fixpoint: bool,
}

crate::task_local! {
    static REQUEST: RefCell<Option<Request>> = const { RefCell::new(None) };
    static FIXPOINT_DEPTH: Cell<u32> = const { Cell::new(0) };
}

/// `flag` of the request registered on this thread (`false` without one).
fn registered(flag: impl Fn(&Request) -> bool) -> bool {
    REQUEST.with(|request| request.borrow().as_ref().is_some_and(flag))
}

/// The request registered on this thread until it drops (see [`enter`]).
#[must_use]
pub struct RequestGuard(());

impl RequestGuard {
    /// Whether a cancellation check outside every fixpoint body saw the token cancelled, so
    /// salsa had to unwind with `Cancelled::Local` there.
    pub fn must_have_unwound(&self) -> bool {
        registered(|request| request.must_have_unwound)
    }
}

impl RequestGuard {
    /// Whether the token was cancelled at a check inside the body of a fixpoint query, where
    /// salsa defers it until the fixpoint is done.
    pub fn cancelled_in_fixpoint(&self) -> bool {
        registered(|request| request.cancelled_in_fixpoint)
    }
}

impl Drop for RequestGuard {
    fn drop(&mut self) {
        REQUEST.with(|request| request.borrow_mut().take());
    }
}

/// Registers the request that `db` (a handle used on this thread only) runs from now on: its
/// token is cancelled at its `cancel_at_check`-th cancellation check, counted from 1 (`None`:
/// the caller cancels it itself, or nobody does). Every background batch is registered, so
/// that faults scoped to requests ([`super::Fault::in_request`]) count its events.
pub fn enter(db: &super::FuzzDatabase, cancel_at_check: Option<u32>) -> RequestGuard {
    let token = super::compat::cancellation_token(db);
    REQUEST.with(|request| {
        *request.borrow_mut() = Some(Request {
            token,
            cancel_in: cancel_at_check.map(|n| n.max(1)),
            must_have_unwound: false,
            cancelled_in_fixpoint: false,
        });
    });
    RequestGuard(())
}

/// Whether this thread runs a registered request ([`enter`]).
pub fn in_request() -> bool {
    REQUEST.with(|request| request.borrow().is_some())
}

/// Called by the event callback for every `WillCheckCancellation`, on the checking thread.
pub(super) fn on_cancellation_check() {
    REQUEST.with(|request| {
        let mut request = request.borrow_mut();
        let Some(request) = request.as_mut() else {
            return;
        };
        if let Some(left) = request.cancel_in.as_mut() {
            *left -= 1;
            if *left == 0 {
                request.cancel_in = None;
                request.token.cancel();
                request.cancelled_in_fixpoint = FIXPOINT_DEPTH.with(Cell::get) > 0;
            }
        }
        if request.token.is_cancelled() && FIXPOINT_DEPTH.with(Cell::get) == 0 {
            request.must_have_unwound = true;
        }
    });
}

/// Marks the body of a fixpoint-capable query on this thread while it lives: salsa may
/// ignore a cancelled token there.
#[must_use]
pub struct FixpointBody(());

impl FixpointBody {
    /// Call first thing in the body of every query with `cycle_initial`.
    pub fn enter() -> FixpointBody {
        FIXPOINT_DEPTH.with(|depth| depth.set(depth.get() + 1));
        FixpointBody(())
    }
}

impl Drop for FixpointBody {
    fn drop(&mut self) {
        FIXPOINT_DEPTH.with(|depth| depth.set(depth.get() - 1));
    }
}

/// A firewall inside a query, as ty's file check has around each file: an injected panic out
/// of one piece of work is caught, the query goes on with the next pieces, and the panic is
/// raised again when the query is done with them ([`DeferredPanic::resume`]). ty turns the
/// panic into a diagnostic; the model cannot know that one, so the query still ends in the
/// panic, but only after salsa had to carry on inside the same query: the panicking call
/// must leave nothing behind (salsa#1156: 0.27.0 left local cancellation disabled after a
/// panic out of a fixpoint query). A query that panicked is not called again in the same
/// revision: salsa propagates the first panic of a fixpoint query to every later call in its
/// revision (`Cancelled::PropagatedPanic`), by design. Cancellations and real panics are not
/// caught.
#[derive(Default)]
#[must_use = "the caught panic is raised again by `resume`"]
pub struct DeferredPanic(Option<Box<dyn std::any::Any + Send>>);

impl DeferredPanic {
    /// Runs `work`; if an injected panic unwinds out of it, keeps the first one for
    /// [`DeferredPanic::resume`] and returns `None`.
    pub fn run<T>(&mut self, work: impl FnOnce() -> T) -> Option<T> {
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(work)) {
            Ok(value) => Some(value),
            Err(payload) if payload.is::<InjectedPanic>() => {
                self.0.get_or_insert(payload);
                None
            }
            Err(payload) => std::panic::resume_unwind(payload),
        }
    }

    /// Raises the panic caught by [`DeferredPanic::run`] again, if there was one.
    pub fn resume(self) {
        if let Some(payload) = self.0 {
            std::panic::resume_unwind(payload);
        }
    }
}
