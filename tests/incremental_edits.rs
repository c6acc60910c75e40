//! Incrementality, observed through salsa's `WillExecute` events: firewall queries and
//! backdating keep an edit's re-execution local.

mod common;

use common::{assert_agrees_with_model, executed_keys, logged_db, scope_ids};

const A: &str =
    "from b import *\n\ndef use():\n    return helper(1) + CONSTANT\n\nclass K:\n    x = helper\n";
const B: &str = "CONSTANT = 3\n\ndef helper(x):\n    return x + 1\n";

/// Salsa features: deep verification across files and backdating of `module_exports` /
/// `module_level_binding`. Adding a local to a function of `b.py` changes that function's
/// symbol table, but not what `b` exports, so no scope of `a.py` resolves its names again.
#[test]
fn an_edit_inside_a_function_body_does_not_reresolve_scopes_of_other_files() {
    let mut db = logged_db(&[("a.py", A), ("b.py", B)]);
    assert_agrees_with_model(&db);

    db.write_file(
        "b.py",
        "CONSTANT = 3\n\ndef helper(x):\n    y = x\n    return y + 1\n",
    );
    let executed = assert_agrees_with_model(&db);

    let resolved = executed_keys(&executed, "resolve_names");
    let helper_scope = scope_ids(&db, "b.py")[1];
    assert!(
        resolved.contains(&helper_scope),
        "the edited scope resolves again: {executed:?}"
    );
    for scope in scope_ids(&db, "a.py") {
        assert!(
            !resolved.contains(&scope),
            "a.py scope {scope:?} re-resolved: {executed:?}"
        );
    }
}

/// Salsa feature: backdating. A comment and a changed literal re-run the parse, the (`no_eq`)
/// semantic index and the per-scope `symbol_table`, which salsa then backdates because the
/// table is equal, so `resolve_names` and `check_scope` of that scope do not run again.
#[test]
fn an_edit_that_keeps_a_scopes_symbols_does_not_reexecute_its_dependents() {
    let mut db = logged_db(&[("a.py", A), ("b.py", B)]);
    assert_agrees_with_model(&db);

    db.write_file(
        "b.py",
        "CONSTANT = 3  # three\n\ndef helper(x):\n    return x + 42\n",
    );
    let executed = assert_agrees_with_model(&db);

    let b_scopes = scope_ids(&db, "b.py");
    let tables = executed_keys(&executed, "symbol_table");
    assert!(
        tables.contains(&b_scopes[1]),
        "the table is rebuilt: {executed:?}"
    );
    for query in ["resolve_names", "check_scope"] {
        let keys = executed_keys(&executed, query);
        for scope in &b_scopes {
            assert!(
                !keys.contains(scope),
                "{query}({scope:?}) re-executed: {executed:?}"
            );
        }
    }
}

/// Salsa feature: tracked structs deleted and recreated across revisions (ruff#13071's
/// shape: type `def `, delete everything, type `def ` again), with answers checked after each.
#[test]
fn a_scope_created_deleted_and_recreated_keeps_answers_right() {
    let mut db = logged_db(&[("a.py", "def f(x):\n    return x\n")]);
    for text in [
        "def ",
        "",
        "def ",
        "def f(y):\n    return y\n",
        "",
        "def f(y):\n    return y\n",
    ] {
        db.write_file("a.py", text);
        assert_agrees_with_model(&db);
    }
}
