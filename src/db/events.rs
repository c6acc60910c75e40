//! An optional log of salsa's events, for tests that assert what was (not) re-executed and for
//! a fuzzer's cheap semantic feedback (executions, cancellations, cycle iterations).

use std::sync::{Arc, Mutex, PoisonError};

use salsa::{DatabaseKeyIndex, EventKind};

/// One salsa event, reduced to what tests and feedback need.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum LoggedEvent {
    /// A query's function is about to run.
    WillExecute(DatabaseKeyIndex),
    /// A memo was verified and reused without running the function.
    DidValidateMemoizedValue(DatabaseKeyIndex),
    /// This thread waits for another thread computing the same query.
    WillBlockOn(DatabaseKeyIndex),
    /// A fixpoint iteration starts at this cycle head.
    WillIterateCycle(DatabaseKeyIndex),
    /// A handle asked the others to cancel.
    DidSetCancellationFlag,
    /// A tracked struct or memo was freed.
    DidDiscard(DatabaseKeyIndex),
    /// An interned value took over a freed slot.
    DidReuseInternedValue(DatabaseKeyIndex),
    /// Anything else (cancellation checks are not logged: they are too frequent to matter).
    Other,
}

impl LoggedEvent {
    /// The query (ingredient and key) the event is about, if any.
    pub fn key(&self) -> Option<DatabaseKeyIndex> {
        match *self {
            LoggedEvent::WillExecute(key)
            | LoggedEvent::DidValidateMemoizedValue(key)
            | LoggedEvent::WillBlockOn(key)
            | LoggedEvent::WillIterateCycle(key)
            | LoggedEvent::DidDiscard(key)
            | LoggedEvent::DidReuseInternedValue(key) => Some(key),
            LoggedEvent::DidSetCancellationFlag | LoggedEvent::Other => None,
        }
    }
}

/// A shared, thread-safe event log; clone it to keep a reader while the database owns a writer.
#[derive(Clone, Debug, Default)]
pub struct EventLog {
    events: Arc<Mutex<Vec<LoggedEvent>>>,
}

impl EventLog {
    /// An empty log.
    pub fn new() -> Self {
        Self::default()
    }

    pub(super) fn record(&self, event: &salsa::Event) {
        let logged = match event.kind {
            EventKind::WillCheckCancellation => return,
            EventKind::WillExecute { database_key } => LoggedEvent::WillExecute(database_key),
            EventKind::DidValidateMemoizedValue { database_key } => {
                LoggedEvent::DidValidateMemoizedValue(database_key)
            }
            EventKind::WillBlockOn { database_key, .. } => LoggedEvent::WillBlockOn(database_key),
            EventKind::WillIterateCycle { database_key, .. } => {
                LoggedEvent::WillIterateCycle(database_key)
            }
            EventKind::DidSetCancellationFlag => LoggedEvent::DidSetCancellationFlag,
            EventKind::DidDiscard { key } => LoggedEvent::DidDiscard(key),
            #[cfg(salsa_interned_gc)]
            EventKind::DidReuseInternedValue { key, .. } => LoggedEvent::DidReuseInternedValue(key),
            _ => LoggedEvent::Other,
        };
        self.lock().push(logged);
    }

    /// How many events are logged.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether nothing is logged.
    pub fn is_empty(&self) -> bool {
        self.lock().is_empty()
    }

    /// The events logged since the log had `start` of them (a copy; nothing is removed).
    pub fn since(&self, start: usize) -> Vec<LoggedEvent> {
        self.lock()
            .get(start..)
            .map(<[_]>::to_vec)
            .unwrap_or_default()
    }

    /// Removes and returns every event logged so far.
    pub fn take(&self) -> Vec<LoggedEvent> {
        std::mem::take(&mut *self.lock())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<LoggedEvent>> {
        // A panicking query thread must not make the log unusable for the report that follows.
        self.events.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
