//! Salsa's known bugs, as the suite sees them: which releases have each one, and which finding
//! signatures it shows up as. Two users: the known-bug benchmark (`salsa-fuzz known-bugs`),
//! which measures how fast the suite finds each one against the last release that has it and
//! checks that the fix release does not show it; and the tests, which on an older salsa accept
//! the findings its known bugs explain, and nothing else.
//!
//! A signature class is a coarse filter: a lost diagnostic in 0.26.2 could be #1099 or #1155.
//! The benchmark settles such cases by replaying the minimized finding on the buggy and the
//! fix release.

use crate::matrix::parse_version;

/// One known salsa bug.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KnownBug {
    /// The salsa pull request that fixed it (or the suite's own id for an open one).
    pub id: &'static str,
    /// What goes wrong.
    pub title: &'static str,
    /// The oldest release known to have it: where the suite or a standalone program showed it,
    /// or, where the code the fix changed is older (`git blame` of the fix's parent, read in
    /// the published sources), the release that code came with or 0.22.0, the oldest release
    /// the suite builds. It may be older still.
    pub first_buggy: &'static str,
    /// The last published release that has it: the one the benchmark runs against.
    pub last_buggy: &'static str,
    /// The first release with the fix (`None`: open in the newest release).
    pub fixed_in: Option<&'static str>,
    /// The signatures it shows up as.
    pub class: BugClass,
}

/// How a bug shows in the suite's findings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BugClass {
    /// Diagnostics (accumulated values) missing or stale, and nothing else wrong first.
    LostAccumulated,
    /// A query throws `Cancelled::PropagatedPanic` though nothing panicked and nothing
    /// cancelled it (on the main thread, or in a background batch no write raced).
    PropagatedPanicAfterCancellation,
    /// A fixpoint head asked again in the revision in which an attempt was abandoned (by a
    /// cancellation, or by a panic in its body or its recovery function) builds on that
    /// attempt's memo: no provisional memo where one must be, or an iteration stamp from the
    /// old cancellation epoch (`cycle.rs` `store_iteration`'s assertion), or, before 0.24, two
    /// iteration counts of one head (`cycle.rs` `CycleHeads::extend`'s assertion).
    AbandonedCycleMemo,
    /// Two views of one cycle head at different iterations.
    CycleHeadIterationMerge,
    /// Interned slots corrupted by an unwind during reuse.
    InternedSlotCorrupted,
    /// Star-import exports stale after an edit (the suite's own find, open).
    StaleFixpointExports,
    /// A star-import closure, or the sizes its importers read, wrong: a value assigned
    /// (`specify`) inside a fixpoint iteration published as final. Wrong in a fresh database
    /// too, so the oracle may label it `Harness:`.
    StaleSpecifiedInCycle,
    /// The same symptom when the assigned value is lost after a cancellation (the body
    /// computed instead, which a later revision's verification then trips over). A fresh
    /// database has no cancellation, so it is always labelled `Salsa:`.
    LostSpecifiedInCycle,
    /// salsa's `cannot delete read-locked id` while discarding a tracked struct a query
    /// stopped creating.
    StructDeletedWhileReadLocked,
    /// Queries cancelled "because of pending write" though no write is pending: a write
    /// abandoned by its event callback left the cancellation flag set.
    PendingWriteWithoutWrite,
    /// A restored database trips over a memo persisted as final with cycle heads.
    PersistedCycleHeads,
    /// A qualified name assigned (`specify`) over a computed value that was already read in
    /// the revision: the key has two values in one revision. Wrong in a fresh database too,
    /// so the oracle may label it `Harness:`; in a later revision, salsa's own check of the
    /// assigned memo's owner trips over the overwritten one.
    SpecifyOverwroteCurrent,
    /// A request cancelled through its token finished, past a cancellation check outside
    /// every fixpoint query: local cancellation left disabled.
    LocalCancellationIgnored,
    /// A class's method resolution order wrong (a `cycle_result` query): a participant of an
    /// inheritance cycle re-executed alone in a later revision, without its fallback.
    FallbackParticipantReexecuted,
    /// A class's method resolution order wrong (a `cycle_result` query) on a salsa whose
    /// `FallbackImmediate` had its own code path: a participant's memo recorded its reads
    /// only up to the cycle (stale after the edit that breaks the cycle), and a head whose
    /// participant also heads a cycle of its own answered with that participant's fallback
    /// instead of its own. The second is wrong in a fresh database asked in the same order
    /// too, so the oracle may label it `Harness:`.
    FallbackImmediateCaching,
    /// A step that never finishes (the watchdog's report, the worker killed; or, under
    /// shuttle, every thread blocked): a handle that waits for the others forever, as a write
    /// waiting for clones already dropped does.
    Hang,
    /// An inferred return type wrong, in a fresh database too (so the oracle may label it
    /// `Harness:`): the tracked struct `infer_return` creates in each fixpoint iteration got
    /// another identity in a later iteration, so the field read back was an earlier
    /// iteration's value. Broad: on a release with the bug it takes every wrong inferred type
    /// (a return type feeds the bindings that call it), so there any other mistake in
    /// inference, salsa's or ours, hides behind it.
    TrackedStructIdentityInFixpoint,
    /// An inferred type stale after an edit (a fixpoint query): a participant's memo verified
    /// while its cycle head re-executes, and reused in the head's later iterations, when the
    /// head reads the changed input only from its second iteration on.
    ParticipantVerifiedDuringHeadIteration,
    /// A memo displaced while salsa verifies it: no signature of the suite's is known to be
    /// it. Its salsa-only test shows it (a query that answers what its one dependency does
    /// not, in one revision) with a cycle whose answer depends on the order it is solved in
    /// (`condition = !outer`; with `condition = outer` the same program answers right). The
    /// database's fixpoint rules are monotone, so there a displaced memo should re-execute to
    /// the value it had; no campaign has reported it.
    DisplacedMemo,
    /// Inference never converges: salsa's "too many cycle iterations" in `infer_binding` or
    /// `infer_return`, whose rules are monotone over a finite lattice. A nested head's
    /// provisional value goes back to its initial value every other iteration, so the
    /// iteration oscillates with period 2.
    NestedHeadsOscillate,
    /// A tracked struct its creator stopped creating was not discarded, by the line probes'
    /// account of `line_marks` (`DidDiscard` of that struct's id): on a salsa that discards a
    /// struct in a reused slot under another generation's id.
    StaleStructDiscardedUnderOldGeneration,
}

impl BugClass {
    /// Whether a finding signature is of this class.
    pub fn matches(self, signature: &str) -> bool {
        match self {
            BugClass::LostAccumulated => {
                signature.starts_with("Salsa: ")
                    && (signature.contains("(diagnostics)")
                        || signature.contains("answer of check_file differs"))
            }
            BugClass::PropagatedPanicAfterCancellation => {
                signature.contains("unexpected cancellation")
                    && signature.contains("propagated panic")
            }
            BugClass::AbandonedCycleMemo => {
                signature.contains("should have inserted a provisional memo")
                    || (signature.contains("src/cycle.rs")
                        && signature.contains("assertion `left == right` failed` at"))
            }
            BugClass::CycleHeadIterationMerge => {
                signature.contains("merge cycle heads") && signature.contains("different iteration")
            }
            BugClass::InternedSlotCorrupted => {
                signature.contains("interned value in LRU so must be in key_map")
                    || (signature.starts_with("Salsa: panic")
                        && signature.contains("src/interned.rs"))
            }
            // A value published as final in the first computation is wrong in a fresh
            // database too, which the oracle then cannot tell from a harness bug (`Harness: `);
            // the replay on the fix release decides.
            BugClass::StaleSpecifiedInCycle => {
                (signature.starts_with("Salsa: ") || signature.starts_with("Harness: "))
                    && wrong_closure(signature)
            }
            BugClass::LostSpecifiedInCycle => {
                signature.starts_with("Salsa: ") && wrong_closure(signature)
            }
            BugClass::StructDeletedWhileReadLocked => {
                signature.starts_with("Salsa: panic `cannot delete read-locked id")
            }
            BugClass::PersistedCycleHeads => {
                signature.contains("Memo must be finalized if it has no cycle heads")
            }
            BugClass::PendingWriteWithoutWrite => {
                signature.contains("unexpected cancellation") && signature.contains("pending write")
            }
            BugClass::LocalCancellationIgnored => {
                signature.starts_with("Salsa: panic `local cancellation ignored")
            }
            BugClass::SpecifyOverwroteCurrent => {
                ((signature.starts_with("Salsa: ") || signature.starts_with("Harness: "))
                    && (signature.contains("(qualnames)")
                        || signature.contains("answer of qualified_name differs")))
                    || signature.contains("expected a query assigned by `semantic_index")
            }
            BugClass::FallbackParticipantReexecuted => {
                signature.starts_with("Salsa: ") && wrong_class_order(signature)
            }
            BugClass::FallbackImmediateCaching => {
                (signature.starts_with("Salsa: ") || signature.starts_with("Harness: "))
                    && wrong_class_order(signature)
            }
            BugClass::ParticipantVerifiedDuringHeadIteration => {
                signature.starts_with("Salsa: ")
                    && (signature.contains("(types)")
                        || signature.contains("answer of infer_binding differs")
                        || signature.contains("answer of infer_return differs"))
                    && signature.ends_with(
                        "memo verified while its cycle head executed, reused in the head's next iterations",
                    )
            }
            BugClass::DisplacedMemo => false,
            BugClass::Hang => {
                signature.starts_with("Crash: hang (watchdog)") || signature == "Salsa: hang"
            }
            BugClass::StaleStructDiscardedUnderOldGeneration => {
                signature.starts_with("Salsa: ")
                    && signature.contains("answer of line_marks differs")
                    && signature.ends_with("a tracked struct it no longer created was not discarded")
            }
            BugClass::NestedHeadsOscillate => {
                signature.starts_with("Salsa: panic `infer_")
                    && signature.contains("execute: too many cycle iterations")
            }
            BugClass::TrackedStructIdentityInFixpoint => {
                (signature.starts_with("Salsa: ") || signature.starts_with("Harness: "))
                    && (signature.contains("(types)")
                        || signature.contains("answer of infer_return differs")
                        || signature.contains("answer of infer_binding differs"))
            }
            BugClass::StaleFixpointExports => {
                signature.starts_with("Salsa: ")
                    && (signature.contains("(exports)")
                        || signature.contains("answer of module_exports differs"))
            }
        }
    }
}

/// A wrong method resolution order (`class_mro`), whoever is blamed.
fn wrong_class_order(signature: &str) -> bool {
    signature.contains("(classes)") || signature.contains("answer of class_mro differs")
}

/// A wrong star-import closure, or salsa tripping over one in a later revision.
fn wrong_closure(signature: &str) -> bool {
    signature.contains("(closure)")
        || signature.contains("answer of star_closure differs")
        || signature.contains("expected a query assigned by `star_closure")
}

/// The bugs, oldest fix first.
pub const KNOWN_BUGS: &[KnownBug] = &[
    KnownBug {
        id: "salsa#969",
        title: "a tracked struct in a reused slot (generation 1 or more) that its creator stops creating is discarded under its slot's generation-0 id: DidDiscard names another struct, and the slot's next occupant gets the discarded struct's id back (old and new outputs compared by slot since #879, with 0.23.0's generational ids; fixed by diffing tracked structs by their full ids; tests/salsa_969_stale_struct_discarded_under_old_generation.rs)",
        first_buggy: "0.23.0",
        last_buggy: "0.23.0",
        fixed_in: Some("0.24.0"),
        class: BugClass::StaleStructDiscardedUnderOldGeneration,
    },
    KnownBug {
        id: "salsa#993",
        title: "a fixpoint head that panicked mid-iteration leaves its provisional memo, and the next fetch in that revision builds on it: a stale value, or, when a query of the cycle reads the head at the abandoned iteration count, salsa's `assert_eq` on cycle-head iterations in `CycleHeads::extend` (fixed by cleaning up provisional cycle-head memos on panic; corpus/regressions/0010, tests/salsa_993_panicked_head_memo_reused.rs)",
        first_buggy: "0.22.0",
        last_buggy: "0.23.0",
        fixed_in: Some("0.24.0"),
        class: BugClass::AbandonedCycleMemo,
    },
    KnownBug {
        id: "salsa#999",
        title: "a fixpoint head asked again in the revision in which its cycle recovery function (cycle_fn) panicked trips \"`fetch_cold_cycle` should have inserted a provisional memo with Cycle::initial\" (fixed by running fixpoints per strongly connected component; tests/salsa_999_recovery_panic_then_ask_again.rs)",
        first_buggy: "0.24.0",
        last_buggy: "0.24.0",
        fixed_in: Some("0.25.0"),
        class: BugClass::AbandonedCycleMemo,
    },
    KnownBug {
        id: "salsa#1063",
        title: "cycle_result before FallbackImmediate joined the fixpoint code path: a participant's memo records its reads only up to the cycle, so after the edit that breaks the cycle it keeps its fallback; and a head whose participant heads a cycle of its own answers with the participant's fallback, not its own, so answers depend on which member is asked first (tests/salsa_1063_cycle_result_fallbacks.rs)",
        first_buggy: "0.22.0",
        last_buggy: "0.25.2",
        fixed_in: Some("0.26.0"),
        class: BugClass::FallbackImmediateCaching,
    },
    KnownBug {
        id: "salsa#1039",
        title: "a write can wait forever for the other handles: the simplified WaitGroup of 0.25.0 (#958) wakes the writer through a condvar that nothing orders with the drop of the last clone's reference, so the writer may miss it and sleep for good (fixed by reverting #958)",
        first_buggy: "0.25.0",
        last_buggy: "0.25.1",
        fixed_in: Some("0.25.2"),
        class: BugClass::Hang,
    },
    KnownBug {
        id: "salsa#1068",
        title: "a tracked struct created in a fixpoint iteration gets a new identity in each later iteration (its disambiguators not seeded), so a tracked field read back gives an earlier iteration's value: infer_return's InferredReturn (fixed by seeding them per iteration)",
        first_buggy: "0.22.0",
        last_buggy: "0.25.2",
        fixed_in: Some("0.26.0"),
        class: BugClass::TrackedStructIdentityInFixpoint,
    },
    KnownBug {
        id: "salsa#1099",
        title: "accumulated values lost when a reused tracked function is deep-verified",
        first_buggy: "0.22.0",
        last_buggy: "0.26.2",
        fixed_in: Some("0.27.0"),
        class: BugClass::LostAccumulated,
    },
    KnownBug {
        id: "salsa#1100",
        title: "a same-revision cancellation poisons fixpoint cycle heads (PropagatedPanic)",
        first_buggy: "0.25.2",
        last_buggy: "0.26.2",
        fixed_in: Some("0.27.0"),
        class: BugClass::PropagatedPanicAfterCancellation,
    },
    KnownBug {
        id: "salsa#1155",
        title: "accumulated values lost when a reused tracked function is shallow-verified",
        first_buggy: "0.22.0",
        last_buggy: "0.27.0",
        fixed_in: Some("0.27.1"),
        class: BugClass::LostAccumulated,
    },
    KnownBug {
        id: "salsa#1156",
        title: "a panic unwinding out of a fixpoint query and caught inside another query leaves local cancellation disabled: the request's token is ignored",
        first_buggy: "0.26.0",
        last_buggy: "0.27.0",
        fixed_in: Some("0.27.1"),
        class: BugClass::LocalCancellationIgnored,
    },
    KnownBug {
        id: "salsa#1157",
        title: "an event callback unwinding at DidSetCancellationFlag leaves the flag set: every query \"cancelled because of pending write\" until the next write",
        first_buggy: "0.22.0",
        last_buggy: "0.27.0",
        fixed_in: Some("0.27.1"),
        class: BugClass::PendingWriteWithoutWrite,
    },
    KnownBug {
        id: "salsa#1160",
        title: "interned slot reuse is not unwind-safe (\"interned value in LRU so must be in key_map\")",
        first_buggy: "0.23.0",
        last_buggy: "0.27.0",
        fixed_in: Some("0.27.1"),
        class: BugClass::InternedSlotCorrupted,
    },
    KnownBug {
        id: "salsa#1182",
        title: "specify overwrites a value already computed and read in the same revision (the key answers two values in one revision)",
        first_buggy: "0.22.0",
        last_buggy: "0.27.0",
        fixed_in: Some("0.27.1"),
        class: BugClass::SpecifyOverwroteCurrent,
    },
    KnownBug {
        id: "salsa#1190",
        title: "a value assigned (specify) inside a fixpoint cycle is published as final: its readers keep the first iteration's value",
        first_buggy: "0.22.0",
        last_buggy: "0.27.1",
        fixed_in: Some("0.27.2"),
        class: BugClass::StaleSpecifiedInCycle,
    },
    KnownBug {
        id: "salsa#1238",
        title: "retry after a same-revision cancellation starts from an abandoned memo",
        first_buggy: "0.27.0",
        last_buggy: "0.27.2",
        fixed_in: Some("0.28.0"),
        class: BugClass::AbandonedCycleMemo,
    },
    KnownBug {
        id: "salsa#1263",
        title: "\"Can't merge cycle heads ... with different iterations\" after a panic in a cycle",
        first_buggy: "0.26.0",
        last_buggy: "0.28.1",
        fixed_in: Some("0.28.2"),
        class: BugClass::CycleHeadIterationMerge,
    },
    KnownBug {
        id: "open-0004",
        title: "a value assigned (specify) inside a fixpoint cycle after a same-revision cancellation (trigger_cancellation, trigger_lru_eviction) is lost: readers get the function's body (corpus/regressions/0004)",
        first_buggy: "0.28.0",
        last_buggy: "0.28.5",
        fixed_in: None,
        class: BugClass::LostSpecifiedInCycle,
    },
    KnownBug {
        id: "open-0005",
        title: "a tracked struct created inside a fixpoint iteration, assigned with specify and taken from the provisional value in later iterations, is deleted while read-locked after the next write (tests/salsa_known_open_specified_struct_read_locked.rs)",
        first_buggy: "0.26.0",
        last_buggy: "0.28.5",
        fixed_in: None,
        class: BugClass::StructDeletedWhileReadLocked,
    },
    KnownBug {
        id: "open-0006",
        title: "persistence: a fixpoint participant's final memo is serialized with its cycle heads, and restoring the database panics (\"Memo must be finalized if it has no cycle heads\"); only with the `persistence` feature (tests/persistence.rs)",
        first_buggy: "0.28.5",
        last_buggy: "0.28.5",
        fixed_in: None,
        class: BugClass::PersistedCycleHeads,
    },
    KnownBug {
        id: "open-0007",
        title: "cycle_result: a participant of a cycle asked first in a later revision that changed nothing it reads is re-executed alone and answers without its fallback (corpus/regressions/0006, tests/salsa_known_open_cycle_result_participant_reexecuted.rs)",
        first_buggy: "0.26.0",
        last_buggy: "0.28.5",
        fixed_in: None,
        class: BugClass::FallbackParticipantReexecuted,
    },
    KnownBug {
        id: "open-0008",
        title: "fixpoint: a head that reads a changed input only from its second iteration re-executes, but a participant's memo verified while the head runs is reused in its later iterations: the participant's answer is stale (corpus/regressions/0007, 0008 and 0012, tests/salsa_known_open_participant_verified_during_head_iteration.rs)",
        first_buggy: "0.26.0",
        last_buggy: "0.28.5",
        fixed_in: None,
        class: BugClass::ParticipantVerifiedDuringHeadIteration,
    },
    KnownBug {
        id: "open-0009",
        title: "fixpoint: three monotone queries over a two-element lattice (a function bound twice, `helper = T()`, `T = helper()`) entered at `T` oscillate with period 2 until \"too many cycle iterations\": a nested head's provisional value is back at its initial value every other iteration (corpus/regressions/0009, tests/salsa_known_open_nested_heads_oscillate.rs); the database's entry reproduces from 0.26.0 (not on 0.25.2), the salsa-only reduction from 0.25.0",
        first_buggy: "0.26.0",
        last_buggy: "0.28.5",
        fixed_in: None,
        class: BugClass::NestedHeadsOscillate,
    },
    KnownBug {
        id: "open-0010",
        title: "a cycle head's memo displaced by its initial value while salsa verifies it (a dependency re-executed during the verification calls back into it): its reader comes out verified with the old value, which the head no longer gives (salsa's own TODO in 0.28.5's tests/cycle_displaced_memo.rs, where #1329 made interned values panic; plain values stay silent: tests/salsa_known_open_displaced_memo_stale_value.rs)",
        first_buggy: "0.26.2",
        last_buggy: "0.28.5",
        fixed_in: None,
        class: BugClass::DisplacedMemo,
    },
    KnownBug {
        id: "open-0002",
        title: "overlapping star-import cycles: an export stays stale after an edit (corpus/regressions/0002, 0003)",
        first_buggy: "0.26.0",
        last_buggy: "0.28.5",
        fixed_in: None,
        class: BugClass::StaleFixpointExports,
    },
];

/// The release a salsa description starts with: `0.28.5` of `0.28.5`, `0.28.5 (path …)`,
/// `0.28.5 (shuttle-patched)` and the benchmark's `0.28.5+shuttle`.
pub fn release_of(salsa: &str) -> &str {
    let first = salsa.split_whitespace().next().unwrap_or(salsa);
    first.strip_suffix("+shuttle").unwrap_or(first)
}

/// The release of a salsa description ([`release_of`]) as numbers.
fn version_of(salsa: &str) -> Option<(u32, u32, u32)> {
    parse_version(release_of(salsa))
}

impl KnownBug {
    /// Whether `salsa` (as recorded in an entry, or [`crate::corpus::SALSA_VERSION`]) has it.
    /// Unknown version strings have none.
    pub fn affects(&self, salsa: &str) -> bool {
        let Some(version) = version_of(salsa) else {
            return false;
        };
        let first = parse_version(self.first_buggy).unwrap_or((0, 0, 0));
        let fixed = self
            .fixed_in
            .and_then(parse_version)
            .unwrap_or((u32::MAX, 0, 0));
        version >= first && version < fixed
    }
}

/// The fixed bugs whose last buggy release is `salsa`: what the benchmark's run against that
/// release looks for.
pub fn benchmark_targets(salsa: &str) -> impl Iterator<Item = &'static KnownBug> + use<'_> {
    let version = version_of(salsa);
    KNOWN_BUGS.iter().filter(move |bug| {
        bug.fixed_in.is_some() && version.is_some() && parse_version(bug.last_buggy) == version
    })
}

/// The known bugs of `salsa` that could explain a finding with this signature.
pub fn explaining(signature: &str, salsa: &str) -> Vec<&'static KnownBug> {
    KNOWN_BUGS
        .iter()
        .filter(|bug| bug.affects(salsa) && bug.class.matches(signature))
        .collect()
}

/// Whether a finding on the salsa this crate is built against is explained by a known bug.
/// Tests that expect a clean run on the newest salsa accept these on older ones.
pub fn is_known_here(signature: &str) -> bool {
    !explaining(signature, crate::corpus::SALSA_VERSION).is_empty()
}

/// The known bug `id` (`salsa#1190`, `open-0004`).
pub fn by_id(id: &str) -> Option<&'static KnownBug> {
    KNOWN_BUGS.iter().find(|bug| bug.id == id)
}

/// Whether the salsa this crate is built against has the known bug `id`.
pub fn is_here(id: &str) -> bool {
    by_id(id).is_some_and(|bug| bug.affects(crate::corpus::SALSA_VERSION))
}

/// Whether a finding with this signature is explained by a known bug still open in the newest
/// release that the salsa this crate is built against has.
pub fn is_open_bug_here(signature: &str) -> bool {
    explaining(signature, crate::corpus::SALSA_VERSION)
        .iter()
        .any(|bug| bug.fixed_in.is_none())
}

/// Whether a finding on the salsa this crate is built against is explained by a known bug
/// that a later release fixed (not by one still open in the newest release): a seed may show
/// such a bug on an older salsa, never an open one.
pub fn is_fixed_later_here(signature: &str) -> bool {
    explaining(signature, crate::corpus::SALSA_VERSION)
        .iter()
        .any(|bug| bug.fixed_in.is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn releases_are_placed_on_the_right_side_of_each_fix() {
        let bug = KNOWN_BUGS
            .iter()
            .find(|bug| bug.id == "salsa#1155")
            .unwrap();
        assert!(bug.affects("0.26.2") && bug.affects("0.27.0"));
        assert!(!bug.affects("0.27.1") && !bug.affects("0.28.5"));
        assert!(bug.affects("0.27.0 (path /src/salsa, git 0123456789ab)"));
        assert!(!bug.affects("main"));
        for bug in KNOWN_BUGS {
            assert!(bug.affects(bug.last_buggy), "{}", bug.id);
            assert!(bug.affects(bug.first_buggy), "{}", bug.id);
            if let Some(fixed) = bug.fixed_in {
                assert!(!bug.affects(fixed), "{}", bug.id);
            }
        }
    }

    fn ids_of(signature: &str, salsa: &str) -> Vec<&'static str> {
        explaining(signature, salsa)
            .iter()
            .map(|bug| bug.id)
            .collect()
    }

    #[test]
    fn signatures_are_explained_only_by_bugs_of_that_release() {
        let lost = "Salsa: project answers differ from the model (diagnostics)";
        let ids = |salsa| {
            explaining(lost, salsa)
                .iter()
                .map(|bug| bug.id)
                .collect::<Vec<_>>()
        };
        assert_eq!(ids("0.26.2"), ["salsa#1099", "salsa#1155"]);
        assert_eq!(ids("0.27.0"), ["salsa#1155"]);
        assert!(ids("0.27.1").is_empty());
        let merge = "Salsa: panic `assertion `left == right` failed: Can't merge cycle heads Id with different iterations` at /x/salsa-0.28.1/src/cycle.rs:344 []";
        assert_eq!(explaining(merge, "0.28.1").len(), 1);
        assert!(explaining(merge, "0.28.2").is_empty());
        let closure = "Harness: project answers differ from the model (closure): re-executed";
        assert_eq!(ids_of(closure, "0.27.1"), ["salsa#1190"]);
        assert!(ids_of(closure, "0.27.2").is_empty());
        // open-0004 shows in the incremental database only: a `Harness:` closure on 0.28.5 is
        // nothing known.
        assert!(ids_of(closure, "0.28.5").is_empty());
        let lost = "Salsa: project answers differ from the model (closure): re-executed";
        assert_eq!(ids_of(lost, "0.27.1"), ["salsa#1190"]);
        assert_eq!(ids_of(lost, "0.28.5"), ["open-0004"]);
        let pending = "Salsa: panic `unexpected cancellation on the main thread: cancelled because of pending write` at  []";
        assert_eq!(ids_of(pending, "0.27.0"), ["salsa#1157"]);
        assert!(ids_of(pending, "0.27.1").is_empty());
        let overwritten = "Harness: project answers differ from the model (qualnames): re-executed";
        assert_eq!(ids_of(overwritten, "0.27.0"), ["salsa#1182"]);
        assert!(ids_of(overwritten, "0.27.1").is_empty());
        assert!(
            ids_of(
                "Salsa: project answers differ from the model (facts)",
                "0.27.0"
            )
            .is_empty()
        );
        // 0.23.0's abandoned head is salsa#993; 0.24.0's, of the same class, salsa#999.
        let abandoned = "Salsa: panic `assertion `left == right` failed` at salsa/src/cycle.rs [salsa::cycle::CycleHeads::extend]";
        assert_eq!(ids_of(abandoned, "0.23.0"), ["salsa#993"]);
        assert_eq!(ids_of(abandoned, "0.24.0"), ["salsa#999"]);
        let kept = "Salsa: answer of line_marks differs from the model: re-executed, a tracked struct it no longer created was not discarded";
        assert_eq!(ids_of(kept, "0.23.0"), ["salsa#969"]);
        assert!(ids_of(kept, "0.24.0").is_empty());
        assert!(ids_of(&kept.replacen("Salsa", "Harness", 1), "0.23.0").is_empty());
        let ignored = "Salsa: panic `local cancellation ignored: a request cancelled through its token went on past a cancellation check outside every fixpoint query` at  []";
        assert_eq!(ids_of(ignored, "0.26.2"), ["salsa#1156"]);
        assert!(ids_of(ignored, "0.27.1").is_empty());
    }
}
