//! The executor's account of the line probes (see `crate::db::lines`): for each `lines` query
//! asked on the main thread, whether salsa's rules say `line_index`, `line_starts` and
//! `line_marks` must run their functions or reuse their memos, and which `LineMark`s must keep
//! their ids or be discarded, checked against the `WillExecute` and `DidDiscard` events of the
//! call.
//!
//! The account follows salsa's memo state from what the executor did to the database: each
//! file's inputs written (a count the database keeps), their durability, the revisions started,
//! explicit LRU evictions, and every fetch of the probes (only this account's queries fetch
//! them). It predicts nothing for a probe's first fetch, and nothing at all once something
//! happened that it does not follow: a fault armed (a panic or cancellation may leave a probe
//! half computed), or the database restored from its serialized form.

use std::collections::{BTreeMap, VecDeque};

use salsa::Durability;

use crate::db::LINE_STARTS_LRU_CAPACITY;
use crate::oracle::Decision;

/// What the database said about one file when its probes were fetched.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct FileState {
    /// Its line count (the model's).
    pub lines: usize,
    /// The durability its text and existence were last written at.
    pub durability: Durability,
    /// How many times its text or existence was written.
    pub writes: u64,
}

/// Whether each probe ran its function in the call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Ran {
    /// `line_index` ran.
    pub index: bool,
    /// `line_starts` ran.
    pub starts: bool,
    /// `line_marks` ran.
    pub marks: bool,
}

/// A line's identity as `line_marks` creates its struct: its text, and how many equal lines
/// come before it.
pub(super) type Identity = (String, u32);

/// The identities of `text`'s lines, in order.
pub(super) fn identities(text: &str) -> Vec<Identity> {
    let mut seen: BTreeMap<&str, u32> = BTreeMap::new();
    text.lines()
        .map(|line| {
            let count = seen.entry(line).or_default();
            let identity = (line.to_owned(), *count);
            *count += 1;
            identity
        })
        .collect()
}

/// What the call showed of `line_marks`: the structs it returned (identity and id, in order)
/// and the structs salsa discarded in the call.
#[derive(Clone, Debug)]
pub(super) struct Marks<I> {
    /// Each line's identity and its struct's id.
    pub created: Vec<(Identity, I)>,
    /// The ids of the `LineMark`s discarded in the call.
    pub discarded: Vec<I>,
}

/// A probe that did what salsa's rules forbid: which, what it did and what the rule says, and
/// the salsa decision that went wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Violation {
    /// `line_index`, `line_starts` or `line_marks`.
    pub query: &'static str,
    /// What it did.
    pub got: String,
    /// What salsa's rules say it must have done.
    pub expected: String,
    /// The salsa decision that went wrong.
    pub decision: Decision,
}

impl Violation {
    fn work(query: &'static str, ran: bool, decision: Decision) -> Violation {
        let (got, expected) = if ran {
            ("ran its function", "reused its memo")
        } else {
            ("reused its memo", "ran its function")
        };
        Violation {
            query,
            got: got.to_owned(),
            expected: expected.to_owned(),
            decision,
        }
    }
}

/// What the account knows of one file's probes: its state at their last fetch (a `lines`
/// query fetches all three), whether the LRU dropped `line_starts`' value since, and the
/// structs `line_marks` returned.
#[derive(Clone, Debug)]
struct Fetched<I> {
    state: FileState,
    evicted: bool,
    marks: Vec<(Identity, I)>,
}

/// The account, for one database; `R` is salsa's revision and `I` a struct's id (anything
/// comparable in tests).
#[derive(Debug)]
pub(super) struct LineAccount<R = salsa::Revision, I = salsa::Id> {
    blind: bool,
    /// Each file whose probes were fetched.
    files: BTreeMap<String, Fetched<I>>,
    /// salsa's LRU set for `line_starts`: the files in fetch order, least recent first.
    recent: VecDeque<String>,
    /// The revision the LRU set was last brought up to date in.
    revision: Option<R>,
    /// `line_starts`' LRU capacity; `None`: no eviction, no record of fetches.
    capacity: Option<usize>,
}

impl<R, I> Default for LineAccount<R, I> {
    fn default() -> Self {
        LineAccount {
            blind: false,
            files: BTreeMap::new(),
            recent: VecDeque::new(),
            revision: None,
            capacity: Some(LINE_STARTS_LRU_CAPACITY),
        }
    }
}

impl<R: PartialEq + Copy, I: PartialEq + Copy + std::fmt::Debug> LineAccount<R, I> {
    /// Stops predicting for the rest of the script.
    pub(super) fn blind(&mut self) {
        self.blind = true;
    }

    /// Whether it stopped predicting.
    pub(super) fn is_blind(&self) -> bool {
        self.blind
    }

    /// `line_starts`' LRU capacity was set (salsa's `set_lru_capacity`: 0 turns eviction off
    /// and forgets the recent fetches).
    /// `revision` is the current one: salsa evicted with the old capacity when it started.
    pub(super) fn set_capacity(&mut self, capacity: usize, revision: R) {
        self.catch_up(revision);
        self.capacity = (capacity != 0).then_some(capacity);
        if self.capacity.is_none() {
            self.recent.clear();
        }
    }

    /// An explicit `trigger_lru_eviction` completed in `revision` (the current one).
    pub(super) fn evicted(&mut self, revision: R) {
        self.catch_up(revision);
        self.evict();
    }

    /// Brings the LRU set up to `revision`: salsa evicted when each revision since the last
    /// account started, with the capacity of then, which no fetch or capacity change has
    /// moved since (so several revisions evict what one does).
    fn catch_up(&mut self, revision: R) {
        if self.revision.is_some_and(|last| last != revision) {
            self.evict();
        }
        self.revision = Some(revision);
    }

    fn evict(&mut self) {
        let Some(capacity) = self.capacity else {
            return;
        };
        while self.recent.len() > capacity {
            let Some(path) = self.recent.pop_front() else {
                break;
            };
            if let Some(fetched) = self.files.get_mut(&path) {
                fetched.evicted = true;
            }
        }
    }

    /// salsa's `record_use` on a fetch of `line_starts`: the file moves to the back.
    fn record_use(&mut self, path: &str) {
        if self.capacity.is_some() {
            if let Some(position) = self.recent.iter().position(|recent| recent == path) {
                self.recent.remove(position);
            }
            self.recent.push_back(path.to_owned());
        }
    }

    /// Checks one fetch of the probes of `path` in `revision`, which found `state`, ran what
    /// `ran` says and showed `marks`; the first probe that broke a rule, if any. Updates the
    /// account either way.
    pub(super) fn check(
        &mut self,
        path: &str,
        state: FileState,
        revision: R,
        ran: Ran,
        marks: Marks<I>,
    ) -> Option<Violation> {
        if self.blind {
            return None;
        }
        self.catch_up(revision);
        self.record_use(path);
        let violation = self.files.remove(path).and_then(|before| {
            let written = state.writes != before.state.writes;
            index_violation(before.state, state, ran.index)
                .or_else(|| starts_violation(before.evicted, written, ran.starts))
                .or_else(|| marks_violation(&before.marks, written, ran.marks, &marks))
        });
        let fetched = Fetched {
            state,
            evicted: false,
            marks: marks.created,
        };
        self.files.insert(path.to_owned(), fetched);
        violation
    }
}

/// `line_index` reads only `text_lines`, which reads the file: it runs when the file was
/// written and `text_lines` could not be backdated (another count, or less durable inputs).
fn index_violation(before: FileState, now: FileState, ran: bool) -> Option<Violation> {
    // What the rule expects, and the decision that broke it if salsa did otherwise.
    let (must_run, decision) = if now.writes == before.writes {
        (false, Decision::ReExecutedUnchanged)
    } else if now.lines != before.lines {
        (true, Decision::ReusedInputSet)
    } else if now.durability < before.durability {
        (true, Decision::ReusedBackdatedToLessDurable)
    } else {
        (false, Decision::ReExecutedNotBackdated)
    };
    (ran != must_run).then(|| Violation::work("line_index", ran, decision))
}

/// `line_starts` runs when the LRU dropped its value or its file was written.
fn starts_violation(evicted: bool, written: bool, ran: bool) -> Option<Violation> {
    let (must_run, decision) = if evicted {
        (true, Decision::ReusedNotEvicted)
    } else if written {
        (true, Decision::ReusedInputSet)
    } else {
        (false, Decision::ReExecutedUnchanged)
    };
    (ran != must_run).then(|| Violation::work("line_starts", ran, decision))
}

/// `line_marks` runs exactly when its file was written (`before`: the structs it returned
/// last time); when it runs, each line it creates again keeps its struct (and is not
/// discarded), and the struct of each line it no longer creates is discarded.
fn marks_violation<I: PartialEq + Copy + std::fmt::Debug>(
    before: &[(Identity, I)],
    written: bool,
    ran: bool,
    now: &Marks<I>,
) -> Option<Violation> {
    if ran != written {
        let decision = if ran {
            Decision::ReExecutedUnchanged
        } else {
            Decision::ReusedInputSet
        };
        return Some(Violation::work("line_marks", ran, decision));
    }
    if !ran {
        return None;
    }
    let line = |(text, nth): &Identity| format!("the line `{text}` (equal lines before it: {nth})");
    let violation = |got: String, expected: String, decision| Violation {
        query: "line_marks",
        got,
        expected,
        decision,
    };
    for (identity, id) in &now.created {
        let old = before.iter().find(|(known, _)| known == identity);
        if let Some((_, old)) = old.filter(|(_, old)| old != id) {
            return Some(violation(
                format!("{} created as {id:?}", line(identity)),
                format!("{} created as {old:?}, as before", line(identity)),
                Decision::TrackedStructNotReused,
            ));
        }
        if now.discarded.contains(id) {
            return Some(violation(
                format!("{} created as {id:?} and discarded", line(identity)),
                format!("{} created as {id:?} and kept", line(identity)),
                Decision::DiscardedLiveStruct,
            ));
        }
    }
    let stale = before.iter().find(|(identity, id)| {
        !now.created.iter().any(|(known, _)| known == identity) && !now.discarded.contains(id)
    });
    stale.map(|(identity, id)| {
        violation(
            format!("{} no longer created, {id:?} kept", line(identity)),
            format!("{} no longer created, {id:?} discarded", line(identity)),
            Decision::StaleOutputKept,
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOW: Durability = Durability::LOW;
    const HIGH: Durability = Durability::HIGH;

    fn state(lines: usize, durability: Durability, writes: u64) -> FileState {
        FileState {
            lines,
            durability,
            writes,
        }
    }

    fn ran(index: bool, starts: bool) -> Ran {
        Ran {
            index,
            starts,
            marks: false,
        }
    }

    /// After a write: `line_marks` runs too.
    fn written(index: bool, starts: bool) -> Ran {
        Ran {
            marks: true,
            ..ran(index, starts)
        }
    }

    fn violation(query: &'static str, ran: bool, decision: Decision) -> Option<Violation> {
        Some(Violation::work(query, ran, decision))
    }

    fn none() -> Marks<u32> {
        Marks {
            created: Vec::new(),
            discarded: Vec::new(),
        }
    }

    fn marks(text: &str, ids: &[u32], discarded: &[u32]) -> Marks<u32> {
        Marks {
            created: identities(text)
                .into_iter()
                .zip(ids.iter().copied())
                .collect(),
            discarded: discarded.to_vec(),
        }
    }

    #[test]
    fn equal_lines_are_told_apart_by_their_order() {
        assert_eq!(
            identities("a\nb\na\n"),
            vec![
                ("a".to_owned(), 0),
                ("b".to_owned(), 0),
                ("a".to_owned(), 1)
            ]
        );
    }

    #[test]
    fn line_marks_must_keep_the_ids_of_lines_it_creates_again() {
        let before = marks("a\nb\n", &[1, 2], &[]).created;
        let check = |now: Marks<u32>| {
            marks_violation(&before, true, true, &now).map(|violation| violation.decision)
        };
        assert_eq!(check(marks("b\na\n", &[2, 1], &[])), None);
        assert_eq!(
            check(marks("b\na\n", &[2, 3], &[1])),
            Some(Decision::TrackedStructNotReused)
        );
        assert_eq!(
            check(marks("b\na\n", &[2, 1], &[1])),
            Some(Decision::DiscardedLiveStruct)
        );
    }

    #[test]
    fn line_marks_must_discard_the_structs_it_no_longer_creates() {
        let before = marks("a\na\nb\n", &[1, 2, 3], &[]).created;
        // The second `a` is gone: its struct (2) must be discarded in the call.
        assert_eq!(
            marks_violation(&before, true, true, &marks("a\nb\n", &[1, 3], &[2])),
            None
        );
        assert_eq!(
            marks_violation(&before, true, true, &marks("a\nb\n", &[1, 3], &[]))
                .map(|violation| violation.decision),
            Some(Decision::StaleOutputKept)
        );
    }

    #[test]
    fn line_marks_runs_exactly_when_its_file_was_written() {
        let before = marks("b\n", &[3], &[]).created;
        let now = marks("b\n", &[3], &[]);
        let decision = |written, ran| {
            marks_violation(&before, written, ran, &now).map(|violation| violation.decision)
        };
        assert_eq!(decision(false, false), None);
        assert_eq!(decision(true, true), None);
        assert_eq!(decision(true, false), Some(Decision::ReusedInputSet));
        assert_eq!(decision(false, true), Some(Decision::ReExecutedUnchanged));
    }

    #[test]
    fn a_first_fetch_predicts_nothing() {
        let mut account = LineAccount::default();
        assert_eq!(
            account.check("a.py", state(2, LOW, 1), 1, ran(false, false), none()),
            None
        );
    }

    #[test]
    fn line_index_must_be_reused_when_its_dependency_is_backdated() {
        let mut account = LineAccount::default();
        account.check("a.py", state(2, LOW, 1), 1, ran(true, true), none());
        // Written, same count, same durability: backdated, so reused; `line_starts` runs.
        assert_eq!(
            account.check("a.py", state(2, LOW, 2), 2, written(false, true), none()),
            None
        );
        assert_eq!(
            account.check("a.py", state(2, LOW, 3), 3, written(true, true), none()),
            violation("line_index", true, Decision::ReExecutedNotBackdated)
        );
        // More durable: still backdated.
        assert_eq!(
            account.check("a.py", state(2, HIGH, 4), 4, written(false, true), none()),
            None
        );
    }

    #[test]
    fn line_index_must_run_when_the_count_changes_or_the_inputs_become_less_durable() {
        let mut account = LineAccount::default();
        account.check("a.py", state(2, HIGH, 1), 1, ran(true, true), none());
        assert_eq!(
            account.check("a.py", state(2, LOW, 2), 2, written(false, true), none()),
            violation("line_index", false, Decision::ReusedBackdatedToLessDurable)
        );
        assert_eq!(
            account.check("a.py", state(3, LOW, 3), 3, written(false, true), none()),
            violation("line_index", false, Decision::ReusedInputSet)
        );
        assert_eq!(
            account.check("a.py", state(4, LOW, 4), 4, written(true, true), none()),
            None
        );
    }

    #[test]
    fn nothing_runs_when_nothing_was_written() {
        let mut account = LineAccount::default();
        account.check("a.py", state(2, LOW, 1), 1, ran(true, true), none());
        assert_eq!(
            account.check("a.py", state(2, LOW, 1), 2, ran(false, false), none()),
            None
        );
        assert_eq!(
            account.check("a.py", state(2, LOW, 1), 3, ran(true, false), none()),
            violation("line_index", true, Decision::ReExecutedUnchanged)
        );
        assert_eq!(
            account.check("a.py", state(2, LOW, 1), 3, ran(false, true), none()),
            violation("line_starts", true, Decision::ReExecutedUnchanged)
        );
    }

    #[test]
    fn line_starts_past_the_lru_capacity_is_evicted_when_a_revision_starts() {
        let mut account = LineAccount::default();
        for path in ["a.py", "b.py", "c.py"] {
            assert_eq!(
                account.check(path, state(1, LOW, 1), 1, ran(true, true), none()),
                None
            );
        }
        // Still revision 1: nothing evicted yet.
        assert_eq!(
            account.check("a.py", state(1, LOW, 1), 1, ran(false, false), none()),
            None
        );
        // Revision 2 evicted the least recently fetched beyond capacity 2: `b.py`.
        assert_eq!(
            account.check("b.py", state(1, LOW, 1), 2, ran(false, false), none()),
            violation("line_starts", false, Decision::ReusedNotEvicted)
        );
        assert_eq!(
            account.check("c.py", state(1, LOW, 1), 2, ran(false, false), none()),
            None
        );
    }

    #[test]
    fn an_explicit_eviction_evicts_without_a_new_revision() {
        let mut account = LineAccount::default();
        for path in ["a.py", "b.py", "c.py"] {
            account.check(path, state(1, LOW, 1), 1, ran(true, true), none());
        }
        account.evicted(1);
        assert_eq!(
            account.check("a.py", state(1, LOW, 1), 1, ran(false, true), none()),
            None
        );
        assert_eq!(
            account.check("b.py", state(1, LOW, 1), 1, ran(false, true), none()),
            violation("line_starts", true, Decision::ReExecutedUnchanged)
        );
    }

    #[test]
    fn the_capacity_decides_what_is_evicted_and_zero_evicts_nothing() {
        let mut account = LineAccount::default();
        account.set_capacity(3, 1);
        for path in ["a.py", "b.py", "c.py"] {
            account.check(path, state(1, LOW, 1), 1, ran(true, true), none());
        }
        // Capacity 3: a new revision evicts nothing.
        assert_eq!(
            account.check("a.py", state(1, LOW, 1), 2, ran(false, false), none()),
            None
        );
        account.set_capacity(0, 2);
        account.check("d.py", state(1, LOW, 1), 3, ran(true, true), none());
        assert_eq!(
            account.check("b.py", state(1, LOW, 1), 4, ran(false, false), none()),
            None
        );
        // Back to 1: the record of fetches starts empty.
        account.set_capacity(1, 4);
        account.check("c.py", state(1, LOW, 1), 5, ran(false, false), none());
        account.check("a.py", state(1, LOW, 1), 5, ran(false, false), none());
        assert_eq!(
            account.check("c.py", state(1, LOW, 1), 6, ran(false, false), none()),
            violation("line_starts", false, Decision::ReusedNotEvicted)
        );
    }

    #[test]
    fn a_revision_started_before_a_capacity_change_evicted_with_the_old_capacity() {
        let mut account = LineAccount::default();
        account.check("a.py", state(1, LOW, 1), 1, ran(true, true), none());
        account.check("b.py", state(1, LOW, 1), 1, ran(true, true), none());
        account.set_capacity(1, 1);
        // Revision 2 started with capacity 1 and evicted `a.py`; then the capacity went up.
        account.set_capacity(2, 2);
        assert_eq!(
            account.check("a.py", state(1, LOW, 1), 2, ran(false, false), none()),
            violation("line_starts", false, Decision::ReusedNotEvicted)
        );
    }

    #[test]
    fn a_blind_account_predicts_nothing() {
        let mut account = LineAccount::default();
        account.check("a.py", state(2, LOW, 1), 1, ran(true, true), none());
        account.blind();
        assert_eq!(
            account.check("a.py", state(2, LOW, 1), 2, ran(true, true), none()),
            None
        );
    }
}
