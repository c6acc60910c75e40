//! Which salsa decision produced a wrong answer, read from salsa's events.
//!
//! A wrong answer is a memo salsa should not have returned. What salsa did with that memo in
//! the window that produced the answer (the foreground call, the whole-project check, or the
//! revision for a background batch) says which of its decisions went wrong: it iterated a
//! fixpoint, re-executed (from inputs that were themselves wrong, or after an interned slot
//! was reused), or reused the memo after verifying it (with or without a dependency being
//! re-executed and backdated), or returned a memo already verified in this revision.
//!
//! The window is filtered by the query (its ingredient's name) and, where the finding names
//! a file, by that file's key. Salsa emits the same event (`DidValidateMemoizedValue`) for a
//! shallow verification by durability and for a deep one, so the two are told apart only by
//! whether another query's memo was verified or re-executed before it in the window; a deep
//! verification over input fields alone reads as "verified without re-executing anything".

use crate::db::LoggedEvent;

/// The kinds of salsa event a decision is read from.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum EventKind {
    /// `WillExecute`.
    Execute,
    /// `DidValidateMemoizedValue`.
    Validate,
    /// `WillIterateCycle`.
    IterateCycle,
    /// `DidReuseInternedValue`.
    ReuseInterned,
    /// `DidDiscard`.
    Discard,
    /// Anything else.
    Other,
}

impl EventKind {
    /// The kind of a logged event.
    pub fn of(event: &LoggedEvent) -> EventKind {
        match event {
            LoggedEvent::WillExecute(_) => EventKind::Execute,
            LoggedEvent::DidValidateMemoizedValue(_) => EventKind::Validate,
            LoggedEvent::WillIterateCycle(_) => EventKind::IterateCycle,
            LoggedEvent::DidReuseInternedValue(_) => EventKind::ReuseInterned,
            LoggedEvent::DidDiscard(_) => EventKind::Discard,
            _ => EventKind::Other,
        }
    }
}

/// What salsa did with the memo behind a wrong answer.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Decision {
    /// The memo was verified while a fixpoint head (another query, which read it) was
    /// executing, and the head then iterated again: a participant whose verification
    /// depended on the head's provisional value, reused in the head's later iterations.
    VerifiedDuringHeadIteration,
    /// The query ran as part of a fixpoint iteration in the window.
    FixpointIteration,
    /// The query re-executed after an interned slot was reused in the window.
    ReExecutedAfterInternedReuse,
    /// The query re-executed.
    ReExecuted,
    /// The memo was reused after a dependency re-executed (and was backdated).
    ReusedAfterBackdating,
    /// The memo was reused after verification, with nothing re-executed before it.
    ReusedVerified,
    /// No event for the memo in the window: it had been verified earlier in the revision.
    ReusedAlreadyVerified,
    /// A line probe ran though nothing it read was set and the LRU kept its value.
    ReExecutedUnchanged,
    /// `line_index` ran though its one dependency ran again to an equal value, no less durable
    /// than before: salsa should have backdated that and reused `line_index`.
    ReExecutedNotBackdated,
    /// `line_index` was reused though its one dependency became less durable, which salsa must
    /// not backdate (its `durable_to_less_durable` rule).
    ReusedBackdatedToLessDurable,
    /// `line_starts` was reused though the LRU was past its capacity when a revision started
    /// and this file was the least recently fetched: its value should have been dropped.
    ReusedNotEvicted,
    /// A line probe was reused though an input it read was set since it last ran.
    ReusedInputSet,
    /// `line_marks` ran again and created a line's struct anew, under another id, though it
    /// created one with the same identity in its previous execution.
    TrackedStructNotReused,
    /// `line_marks` ran again without creating a struct it created before, and salsa did not
    /// discard that stale output in the execution.
    StaleOutputKept,
    /// `line_marks` ran again and salsa discarded a struct it created again in that execution.
    DiscardedLiveStruct,
    /// Interning one value by two forms of its key (owned and borrowed) gave two ids: the
    /// lookup missed the value already interned.
    InternedTwice,
}

impl Decision {
    /// Every decision.
    pub const ALL: [Decision; 16] = [
        Decision::VerifiedDuringHeadIteration,
        Decision::FixpointIteration,
        Decision::ReExecutedAfterInternedReuse,
        Decision::ReExecuted,
        Decision::ReusedAfterBackdating,
        Decision::ReusedVerified,
        Decision::ReusedAlreadyVerified,
        Decision::ReExecutedUnchanged,
        Decision::ReExecutedNotBackdated,
        Decision::ReusedBackdatedToLessDurable,
        Decision::ReusedNotEvicted,
        Decision::ReusedInputSet,
        Decision::TrackedStructNotReused,
        Decision::StaleOutputKept,
        Decision::DiscardedLiveStruct,
        Decision::InternedTwice,
    ];

    /// The decision [`Decision::describe`] wrote.
    pub fn parse(text: &str) -> Option<Decision> {
        Decision::ALL
            .into_iter()
            .find(|decision| decision.describe() == text)
    }

    /// The decision in words, as signatures show it.
    pub fn describe(self) -> &'static str {
        match self {
            Decision::VerifiedDuringHeadIteration => {
                "memo verified while its cycle head executed, reused in the head's next iterations"
            }
            Decision::FixpointIteration => "re-executed in a fixpoint iteration",
            Decision::ReExecutedAfterInternedReuse => "re-executed after an interned slot reuse",
            Decision::ReExecuted => "re-executed",
            Decision::ReusedAfterBackdating => "memo reused after a dependency was backdated",
            Decision::ReusedVerified => "memo reused, verified without re-executing anything",
            Decision::ReusedAlreadyVerified => "memo reused, verified earlier in the revision",
            Decision::ReExecutedUnchanged => "re-executed though nothing it read changed",
            Decision::ReExecutedNotBackdated => {
                "re-executed though its dependency should have been backdated"
            }
            Decision::ReusedBackdatedToLessDurable => {
                "memo reused though its dependency became less durable (no backdating)"
            }
            Decision::ReusedNotEvicted => "memo reused though the LRU should have evicted it",
            Decision::ReusedInputSet => "memo reused though an input it read was set",
            Decision::TrackedStructNotReused => {
                "re-executed, a tracked struct created again with the same identity got a new id"
            }
            Decision::StaleOutputKept => {
                "re-executed, a tracked struct it no longer created was not discarded"
            }
            Decision::DiscardedLiveStruct => {
                "re-executed, a tracked struct it created again was discarded"
            }
            Decision::InternedTwice => {
                "interned twice: a lookup by another form of the key missed the interned value"
            }
        }
    }
}

/// One logged event with its query's name and key (`salsa::Id`) resolved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NamedEvent<K = salsa::Id> {
    /// The event's kind.
    pub event: EventKind,
    /// Its ingredient's debug name (`module_exports`), empty for events without a key.
    pub query: String,
    /// Its key, if it has one.
    pub key: Option<K>,
}

/// `events` with their queries' names and keys, as [`decide`] reads them.
pub fn name_events(db: &dyn salsa::Database, events: &[LoggedEvent]) -> Vec<NamedEvent> {
    events
        .iter()
        .map(|event| {
            let key = event.key();
            NamedEvent {
                event: EventKind::of(event),
                query: key.map_or_else(String::new, |key| {
                    db.ingredient_debug_name(key.ingredient_index())
                        .into_owned()
                }),
                key: key.map(|key| key.key_index()),
            }
        })
        .collect()
}

/// The tracked functions whose memos salsa keys by a file (the `SourceFile` input's id), so
/// that a finding naming a file names one memo of each. The others are keyed by a scope, a
/// tracked struct, or salsa's interned tuple of several arguments (`infer_binding(file,
/// name)`, `class_mro(file, name)`): filtering their events by the file's id would keep none,
/// and every wrong answer would read as "verified earlier in the revision"; they are decided
/// over all the query's memos.
pub const KEYED_BY_FILE: [&str; 12] = [
    "parsed_module",
    "semantic_index",
    "module_definitions",
    "module_table",
    "module_exports",
    "star_closure",
    "check_syntax",
    "check_file",
    "text_lines",
    "line_index",
    "line_starts",
    "line_marks",
];

/// Whether `query` is one of [`KEYED_BY_FILE`].
pub fn keyed_by_file(query: &str) -> bool {
    KEYED_BY_FILE.contains(&query)
}

/// The decision behind a wrong answer of `query` (and of `key`, when known) in `window`.
pub fn decide<K: PartialEq + Copy>(
    window: &[NamedEvent<K>],
    query: &str,
    key: Option<K>,
) -> Decision {
    let ours = |named: &NamedEvent<K>| {
        named.query == query && key.is_none_or(|key| named.key == Some(key))
    };
    if verified_during_head_iteration(window, &ours) {
        return Decision::VerifiedDuringHeadIteration;
    }
    let iterated = window
        .iter()
        .any(|named| named.event == EventKind::IterateCycle && named.query == query);
    let executed = window
        .iter()
        .any(|named| named.event == EventKind::Execute && ours(named));
    if executed && iterated {
        return Decision::FixpointIteration;
    }
    if executed {
        let reused = window
            .iter()
            .any(|named| named.event == EventKind::ReuseInterned);
        return if reused {
            Decision::ReExecutedAfterInternedReuse
        } else {
            Decision::ReExecuted
        };
    }
    let Some(validated) = window
        .iter()
        .position(|named| named.event == EventKind::Validate && ours(named))
    else {
        return Decision::ReusedAlreadyVerified;
    };
    let dependency_ran = window[..validated]
        .iter()
        .any(|named| named.event == EventKind::Execute && !ours(named));
    if dependency_ran {
        Decision::ReusedAfterBackdating
    } else {
        Decision::ReusedVerified
    }
}

/// Whether one of our memos was verified (not re-executed) after some query began to execute
/// and before that query iterated its fixpoint again: salsa verified the participant while
/// its head ran, and the head's next iteration may have reused it.
fn verified_during_head_iteration<K: PartialEq + Copy>(
    window: &[NamedEvent<K>],
    ours: &impl Fn(&NamedEvent<K>) -> bool,
) -> bool {
    // The heads: memos that iterated in the window, each with the span from its first
    // execution to its last iteration (a window holds a revision's events, thousands, and few
    // heads, so this stays linear in the window).
    struct Head<'w, K> {
        query: &'w str,
        key: Option<K>,
        first_execute: Option<usize>,
        last_iterate: usize,
    }
    let mut heads: Vec<Head<'_, K>> = Vec::new();
    for (at, named) in window.iter().enumerate() {
        if named.event != EventKind::IterateCycle || named.key.is_none() {
            continue;
        }
        match heads
            .iter_mut()
            .find(|head| head.query == named.query && head.key == named.key)
        {
            Some(head) => head.last_iterate = at,
            None => heads.push(Head {
                query: &named.query,
                key: named.key,
                first_execute: None,
                last_iterate: at,
            }),
        }
    }
    if heads.is_empty() {
        return false;
    }
    for (at, named) in window.iter().enumerate() {
        if named.event != EventKind::Execute {
            continue;
        }
        if let Some(head) = heads.iter_mut().find(|head| {
            head.first_execute.is_none() && head.query == named.query && head.key == named.key
        }) {
            head.first_execute = Some(at);
        }
    }
    window.iter().enumerate().any(|(at, named)| {
        named.event == EventKind::Validate
            && ours(named)
            && heads.iter().any(|head| {
                // The head is another memo: another query, or another key of this one.
                (head.query != named.query || head.key != named.key)
                    && head.first_execute.is_some_and(|first| first < at)
                    && at < head.last_iterate
            })
    })
}

#[cfg(test)]
mod tests {
    use super::EventKind::*;
    use super::*;

    fn named(event: EventKind, query: &str, key: u32) -> NamedEvent<u32> {
        NamedEvent {
            event,
            query: query.to_owned(),
            key: Some(key),
        }
    }

    /// [`KEYED_BY_FILE`] is what salsa does: after every answer of a project and its line
    /// probes, each query that ran was keyed by a file exactly when the list says so, and each
    /// query of the list ran.
    #[test]
    fn the_queries_keyed_by_a_file_are_the_ones_salsa_runs_on_a_file() {
        use crate::db::{EventLog, FuzzDatabase, answers, line_index, line_marks, line_starts};
        use salsa::plumbing::AsId;

        let mut db = FuzzDatabase::with_event_log(EventLog::new());
        let texts = [
            (
                "a.py",
                "from b import *\nclass A(B): pass\ndef f():\n    return g() + 1\n",
            ),
            (
                "b.py",
                "from a import *\nclass B(A): pass\ndef g():\n    return f()\n",
            ),
        ];
        for (path, text) in texts {
            db.write_file(path, text);
        }
        let files: Vec<_> = texts
            .iter()
            .map(|(path, _)| db.file(path).expect("written"))
            .collect();
        db.take_executed();
        let _ = answers(&db);
        for &file in &files {
            line_index(&db, file);
            line_starts(&db, file);
            line_marks(&db, file);
        }
        let file_ids: Vec<salsa::Id> = files.iter().map(AsId::as_id).collect();
        let mut ran = std::collections::BTreeSet::new();
        for (query, key) in db.take_executed() {
            assert_eq!(
                keyed_by_file(&query),
                file_ids.contains(&key),
                "{query}({key:?}): keyed by a file?"
            );
            ran.insert(query);
        }
        for query in KEYED_BY_FILE {
            assert!(ran.contains(query), "{query} ran: {ran:?}");
        }
        assert!(
            ran.contains("infer_binding") && ran.contains("class_mro"),
            "{ran:?}"
        );
    }

    #[test]
    fn each_decision_is_read_from_its_events() {
        let key = Some(1);
        let exports = |event| named(event, "module_exports", 1);
        let other = |event| named(event, "module_table", 7);
        let decide = |events: &[NamedEvent<u32>]| decide(events, "module_exports", key);
        assert_eq!(decide(&[]), Decision::ReusedAlreadyVerified);
        assert_eq!(decide(&[exports(Validate)]), Decision::ReusedVerified);
        assert_eq!(
            decide(&[other(Execute), exports(Validate)]),
            Decision::ReusedAfterBackdating
        );
        assert_eq!(decide(&[exports(Execute)]), Decision::ReExecuted);
        assert_eq!(
            decide(&[exports(IterateCycle), exports(Execute)]),
            Decision::FixpointIteration
        );
        assert_eq!(
            decide(&[other(ReuseInterned), exports(Execute)]),
            Decision::ReExecutedAfterInternedReuse
        );
        // Verified after a head began and before it iterated again: a participant reused.
        let head = |event| named(event, "module_exports", 2);
        assert_eq!(
            decide(&[head(Execute), exports(Validate), head(IterateCycle)]),
            Decision::VerifiedDuringHeadIteration
        );
        // Verified before the head began, or by a head that never iterated: not that.
        assert_eq!(
            decide(&[exports(Validate), head(Execute), head(IterateCycle)]),
            Decision::ReusedVerified
        );
        assert_eq!(
            decide(&[head(Execute), exports(Validate)]),
            Decision::ReusedAfterBackdating
        );
        // Another file's memo is not ours.
        assert_eq!(
            decide(&[named(Execute, "module_exports", 5)]),
            Decision::ReusedAlreadyVerified
        );
    }
}
