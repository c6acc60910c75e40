//! The canary: a bug planted on purpose (cargo feature `canary`) to prove the whole pipeline,
//! from generation to minimized corpus entry, can find a bug of the original report's shape.
//!
//! It panics in `semantic_index` when, over the last three revisions in which the file's index
//! was computed, a scope existed, was gone, and came back, while a background batch was in
//! flight: ruff#13071's "type `def `, delete it, type it again" with a diagnostics request
//! running on a cloned handle. Without the feature none of this is compiled.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use salsa::Revision;

/// The revisions at which a file's index was computed, with the scopes it had then.
type ScopeHistory = Vec<(Revision, Vec<String>)>;

/// Shared by all clones of one database; never shared between databases.
#[derive(Debug, Default)]
pub struct CanaryState {
    in_flight: AtomicUsize,
    /// Per file path: the last three (revision, scope names) at which its index was computed.
    history: Mutex<BTreeMap<String, ScopeHistory>>,
}

/// Marks a background batch as in flight while alive.
pub struct InFlight(Arc<CanaryState>);

impl CanaryState {
    pub(super) fn enter(state: &Arc<CanaryState>) -> InFlight {
        state.in_flight.fetch_add(1, Ordering::SeqCst);
        InFlight(Arc::clone(state))
    }

    /// Records the scopes the index of `path` has at `revision`; panics when the planted
    /// condition holds.
    pub(super) fn observe(&self, path: &str, revision: Revision, scopes: Vec<String>) {
        let mut history = self.history.lock().unwrap_or_else(PoisonError::into_inner);
        let entries = history.entry(path.to_owned()).or_default();
        match entries.last_mut() {
            Some(last) if last.0 == revision => last.1 = scopes,
            _ => entries.push((revision, scopes)),
        }
        if entries.len() > 3 {
            entries.remove(0);
        }
        let [(_, first), (_, second), (_, third)] = entries.as_slice() else {
            return;
        };
        let recreated = third
            .iter()
            .find(|scope| first.contains(scope) && !second.contains(scope));
        if let Some(scope) = recreated
            && self.in_flight.load(Ordering::SeqCst) > 0
        {
            let scope = scope.clone();
            drop(history);
            panic!(
                "canary: a scope was created, deleted and recreated with a background query in \
                 flight\nscope `{scope}` of {path}"
            );
        }
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}
