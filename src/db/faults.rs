//! Fault injection: an unwind at a chosen point inside salsa's own work, raised from the
//! database's event callback. Salsa promises that a panicking query leaves the database usable
//! (other threads see `Cancelled::PropagatedPanic`, and the next revision recomputes), and its
//! fixed bugs show where that promise broke: a panic inside a fixpoint cycle while another
//! thread iterates it (salsa#1263), an unwind while an interned slot is being reused
//! (salsa#1160), a cancellation in the middle of a cycle head's first iteration (salsa#1238).
//!
//! Only points equivalent to something real are offered:
//! - [`FaultPoint::CheckCancellation`]: where salsa checks for cancellation, before it runs or
//!   verifies a query; a panic there is the calling query panicking at a call, and a
//!   cancellation there is exactly what salsa itself throws when a write is pending.
//! - [`FaultPoint::Execute`] and [`FaultPoint::IterateCycle`]: a query body, or a fixpoint
//!   iteration, panicking as it starts.
//! - [`FaultPoint::ReturnRecovery`] and [`FaultPoint::BindingRecovery`]: a fixpoint query's
//!   cycle recovery function (`cycle_fn`, user code that salsa calls at the end of every
//!   iteration of a head, the converging one included) panicking, counted per query: a nested
//!   head of one query that fails as it converges while other threads iterate outer heads of
//!   another is what salsa#1263's regression test plants. `WillIterateCycle` cannot stand in
//!   for it: a head that converges at once never emits it.
//! - [`FaultPoint::InternValue`] and [`FaultPoint::ReuseInternedValue`]: user code that salsa
//!   calls while interning (`Hash`, `Lookup`, the event callback) unwinding.
//! - [`FaultPoint::SetCancellationFlag`]: the event callback unwinding as a write on the main
//!   thread tells the other handles to stop (salsa#1157: 0.27.0 left the flag set, so every
//!   later query was "cancelled because of pending write" until the next write). It fires
//!   only inside [`crate::db::FuzzDatabase::abortable_write`], a write that is one salsa call
//!   with nothing of ours around it, so an unwind there abandons the whole write and leaves
//!   the inputs as they were. It is never a cancellation, and it is counted apart from the
//!   faults inside queries: it interrupts no query, so it excuses no cancellation.
//!
//! An injected panic unwinds with `resume_unwind(InjectedPanic)`: no panic hook runs, so
//! libFuzzer's aborting hook does not turn it into a crash, and the executor tells it from a
//! real panic by its payload. An injected cancellation fires only on the main thread while no
//! background batch is in flight ([`Faults::set_main_alone`]), and the executor follows it
//! with `trigger_cancellation`: salsa then sees what a real pending write leaves behind (in
//! 0.27+, a bumped cancellation count) before any other handle runs. With a batch in flight it
//! would not be faithful: the batch would go on computing on the abandoned state with no
//! cancellation flag to stop it, which a real write never allows.

use crate::threads::ThreadId;
use std::sync::Mutex;
use std::sync::PoisonError;
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU32, Ordering};

use salsa::EventKind;

/// Where the fault fires: the salsa event that triggers it.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum FaultPoint {
    /// `WillCheckCancellation`: every `fetch` and every verification of a memo.
    CheckCancellation,
    /// `WillExecute`: a query function about to run.
    Execute,
    /// `WillIterateCycle`: a fixpoint head about to run another iteration.
    IterateCycle,
    /// `DidInternValue`: a new interned value.
    InternValue,
    /// `DidReuseInternedValue`: an interned value taking over a collected slot.
    ReuseInternedValue,
    /// `DidSetCancellationFlag`: a write about to wait for the other handles (only inside an
    /// abortable write).
    SetCancellationFlag,
    /// `infer_return`'s cycle recovery function, at the end of a head's iteration.
    ReturnRecovery,
    /// `infer_binding`'s cycle recovery function, at the end of a head's iteration.
    BindingRecovery,
}

impl FaultPoint {
    /// Every point, in codec order.
    pub const ALL: [FaultPoint; 8] = [
        FaultPoint::CheckCancellation,
        FaultPoint::Execute,
        FaultPoint::IterateCycle,
        FaultPoint::InternValue,
        FaultPoint::ReuseInternedValue,
        FaultPoint::SetCancellationFlag,
        FaultPoint::ReturnRecovery,
        FaultPoint::BindingRecovery,
    ];

    /// The name used in corpus entries.
    pub fn name(self) -> &'static str {
        match self {
            FaultPoint::CheckCancellation => "check-cancellation",
            FaultPoint::Execute => "execute",
            FaultPoint::IterateCycle => "iterate-cycle",
            FaultPoint::InternValue => "intern",
            FaultPoint::ReuseInternedValue => "reuse-interned",
            FaultPoint::SetCancellationFlag => "set-cancellation-flag",
            FaultPoint::ReturnRecovery => "return-recovery",
            FaultPoint::BindingRecovery => "binding-recovery",
        }
    }

    /// The point named `name` ([`FaultPoint::name`]).
    pub fn named(name: &str) -> Option<FaultPoint> {
        FaultPoint::ALL
            .into_iter()
            .find(|point| point.name() == name)
    }

    /// A small number per point, for [`Faults`]' lock-free test of the armed point.
    fn code(self) -> u8 {
        self as u8
    }

    /// The point a salsa event is, if any.
    fn of(kind: &EventKind) -> Option<FaultPoint> {
        Some(match kind {
            EventKind::WillCheckCancellation => FaultPoint::CheckCancellation,
            EventKind::WillExecute { .. } => FaultPoint::Execute,
            EventKind::WillIterateCycle { .. } => FaultPoint::IterateCycle,
            EventKind::DidInternValue { .. } => FaultPoint::InternValue,
            #[cfg(salsa_interned_gc)]
            EventKind::DidReuseInternedValue { .. } => FaultPoint::ReuseInternedValue,
            EventKind::DidSetCancellationFlag => FaultPoint::SetCancellationFlag,
            _ => return None,
        })
    }
}

/// [`Faults`]' armed point when no fault is armed: no [`FaultPoint::code`].
const NOT_ARMED: u8 = u8::MAX;

/// One armed fault: at the `nth` matching event, unwind.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub struct Fault {
    /// Which events count.
    pub point: FaultPoint,
    /// The count at which it fires, from 1.
    pub nth: u8,
    /// Unwind with `salsa::Cancelled::PendingWrite` (main thread only) instead of a panic;
    /// ignored at [`FaultPoint::SetCancellationFlag`].
    pub cancel: bool,
    /// Count only the events of background requests (threads running a batch, see
    /// [`super::request`]): the fault is a request's own code failing, counted from where the
    /// requests start, as a `cancel-request N at K` is.
    pub in_request: bool,
}

/// The payload of an injected panic.
#[derive(Debug)]
pub struct InjectedPanic;

/// The armed fault of a database and its clones, and how many have fired.
#[derive(Debug)]
pub struct Faults {
    /// The armed fault's point ([`FaultPoint::code`]), or [`NOT_ARMED`]: read on every event,
    /// so that an event of another kind costs one load and no lock.
    armed_point: AtomicU8,
    armed: Mutex<Option<(Fault, u8)>>,
    fired: AtomicU32,
    /// Faults fired at [`FaultPoint::SetCancellationFlag`], counted apart from `fired`.
    write_fired: AtomicU32,
    /// Whether the main thread is inside an abortable write.
    writing: AtomicBool,
    main: ThreadId,
    main_alone: AtomicBool,
}

impl Faults {
    /// No fault armed; `main` is the thread an injected cancellation may fire on.
    pub fn new(main: ThreadId) -> Faults {
        Faults {
            armed_point: AtomicU8::new(NOT_ARMED),
            armed: Mutex::new(None),
            fired: AtomicU32::new(0),
            write_fired: AtomicU32::new(0),
            writing: AtomicBool::new(false),
            main,
            main_alone: AtomicBool::new(false),
        }
    }

    /// Whether the main thread is the only one running queries: an injected cancellation
    /// fires only then.
    pub fn set_main_alone(&self, alone: bool) {
        self.main_alone.store(alone, Ordering::SeqCst);
    }

    /// Arms `fault`, replacing one not yet fired.
    pub fn arm(&self, fault: Fault) {
        *self.lock() = Some((fault, fault.nth.max(1)));
        self.armed_point.store(fault.point.code(), Ordering::SeqCst);
    }

    /// Disarms a fault not yet fired.
    pub fn disarm(&self) {
        *self.lock() = None;
        self.armed_point.store(NOT_ARMED, Ordering::SeqCst);
    }

    /// How many faults have fired so far inside queries (every point but
    /// [`FaultPoint::SetCancellationFlag`]).
    pub fn fired(&self) -> u32 {
        self.fired.load(Ordering::SeqCst)
    }

    /// How many faults have fired so far in abortable writes.
    pub fn write_fired(&self) -> u32 {
        self.write_fired.load(Ordering::SeqCst)
    }

    /// Whether the main thread is inside an abortable write: only then does a fault at
    /// [`FaultPoint::SetCancellationFlag`] count events.
    pub fn set_writing(&self, writing: bool) {
        self.writing.store(writing, Ordering::SeqCst);
    }

    /// Called for every salsa event: counts matching events and unwinds at the armed one.
    pub(super) fn on_event(&self, kind: &EventKind) {
        let armed = self.armed_point.load(Ordering::Relaxed);
        if armed == NOT_ARMED {
            return;
        }
        if let Some(point) = FaultPoint::of(kind)
            && point.code() == armed
        {
            self.reached(point);
        }
    }

    /// Called where the database's own code is at `point` (a cycle recovery function):
    /// counts it and unwinds if it is the armed one.
    pub(super) fn on_point(&self, point: FaultPoint) {
        if self.armed_point.load(Ordering::Relaxed) == point.code() {
            self.reached(point);
        }
    }

    fn reached(&self, point: FaultPoint) {
        let cancel = {
            let mut armed = self.lock();
            let Some((fault, remaining)) = armed.as_mut() else {
                return;
            };
            if fault.point != point {
                return;
            }
            if fault.in_request && !super::request::in_request() {
                return;
            }
            let at_write = fault.point == FaultPoint::SetCancellationFlag;
            if at_write && !self.writing.load(Ordering::SeqCst) {
                return;
            }
            let cancel = fault.cancel && !at_write;
            if cancel
                && (crate::threads::current().id() != self.main
                    || !self.main_alone.load(Ordering::SeqCst))
            {
                return;
            }
            *remaining -= 1;
            if *remaining > 0 {
                return;
            }
            *armed = None;
            self.armed_point.store(NOT_ARMED, Ordering::SeqCst);
            if at_write {
                self.write_fired.fetch_add(1, Ordering::SeqCst);
            } else {
                self.fired.fetch_add(1, Ordering::SeqCst);
            }
            cancel
        };
        if cancel {
            super::compat::unwind_pending_write();
        }
        std::panic::resume_unwind(Box::new(InjectedPanic));
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<(Fault, u8)>> {
        self.armed.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
