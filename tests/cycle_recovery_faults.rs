//! Salsa feature: a fixpoint head's cycle recovery function (`cycle_fn`) panicking, the
//! converging iteration included, on the thread that iterates and beside a second thread in the
//! same cycle (salsa#1263's regression test plants a panicking recovery).

mod common;

use common::{assert_clean, execute_both_modes};
use salsa_fuzz::script::EditScript;
use salsa_fuzz::script::syntax::parse_script;

fn script(text: &str) -> EditScript {
    parse_script(
        text.lines()
            .enumerate()
            .map(|(number, line)| (number + 1, line)),
    )
    .expect("the script parses")
}

/// Two functions in two files that call each other and return what the other returns: the
/// head's first iteration gives bottom, the second the same, so salsa calls the recovery
/// function twice and announces one more iteration only once.
const TWO_FILE_CYCLE: &str = "threads 2
file a.py \"from b import g\\ndef f():\\n    return g()\\n\"
file b.py \"from a import f\\ndef g():\\n    return f()\\n\"
query semantic_index a.py
query semantic_index b.py
";

/// The cycle checked on two threads with `fault` armed, then (with `edit`) again after an edit
/// that changes its result.
fn with_fault(fault: &str, edit: bool) -> EditScript {
    let first = format!(
        "{TWO_FILE_CYCLE}fault panic in-request at {fault}
spawn
  query types a.py
  query types b.py
join
check-all
"
    );
    if !edit {
        return script(&first);
    }
    script(&format!(
        "{first}edit a.py replace-all \"from b import g\\ndef f():\\n    return 1\\n    return g()\\n\"
spawn
  query types b.py
  query types a.py
join
check-all
"
    ))
}

/// The recovery function runs at the end of every iteration of a head, the converging one
/// included, where salsa emits no `WillIterateCycle`: the second recovery call is reachable
/// only through the recovery fault points. A panic there leaves a database whose next
/// revision's answers are the model's, in both modes. (Before salsa 0.25 the recovery
/// function ran only after an iteration that changed the value: no second call there.)
#[test]
fn a_recovery_function_panicking_as_its_head_converges_leaves_salsa_usable() {
    let converging_call = cfg!(salsa_cycle_fn_each_iteration);
    for (fault, sure) in [
        ("return-recovery 1", true),
        ("return-recovery 2", converging_call),
    ] {
        for edit in [false, true] {
            for (sequential, outcome) in execute_both_modes(&with_fault(fault, edit)) {
                assert_clean(sequential, &outcome);
                // Before 0.25 only a revision whose cycle changes twice calls it twice, so
                // whether it fires is the edit's business; the run must be clean either way.
                if sure {
                    assert_eq!(
                        outcome.stats.faults_fired, 1,
                        "{fault}, edit {edit}, sequential {sequential}: the panic fired"
                    );
                }
            }
        }
    }
    for (sequential, outcome) in execute_both_modes(&with_fault("iterate-cycle 2", false)) {
        assert_clean(sequential, &outcome);
        assert_eq!(
            outcome.stats.faults_fired, 0,
            "sequential {sequential}: a head that converges in its second iteration announces one iteration only"
        );
    }
}

/// Each fixpoint query's recovery is its own point: two module-level names that read each
/// other (`x = y`, `y = x`) make a cycle of `infer_binding` alone, whose recovery fault fires
/// while `infer_return`'s does not.
#[test]
fn each_fixpoint_query_has_its_own_recovery_point() {
    let binding_cycle = "threads 1
file a.py \"x = 0\\nx = y\\ny = x\\n\"
";
    for (fault, fired) in [("binding-recovery 1", 1), ("return-recovery 1", 0)] {
        let script = script(&format!(
            "{binding_cycle}fault panic at {fault}\nquery types a.py\ncheck-all\n"
        ));
        for (sequential, outcome) in execute_both_modes(&script) {
            assert_clean(sequential, &outcome);
            assert_eq!(
                outcome.stats.faults_fired, fired,
                "{fault}, sequential {sequential}"
            );
        }
    }
}
