//! Salsa features: tracked structs identified by their untracked fields, two of which share
//! them in one revision (salsa disambiguates by creation order); tracked fields each read by
//! its own query, one a tracked `impl` method; a query keyed by a supertype enum. The
//! database's `Definition` is one per module-level binding, like ty's.

mod common;

use common::{assert_agrees_with_model, executed_keys, logged_db};

use salsa::plumbing::AsId;
use salsa_fuzz::db::{FuzzDatabase, module_definitions};

fn definition_ids(db: &FuzzDatabase, path: &str) -> Vec<salsa::Id> {
    let file = db.file(path).expect("the file exists");
    module_definitions(db, file)
        .iter()
        .map(|definition| definition.as_id())
        .collect()
}

/// The definitions whose kind the tracked method `Definition::kind_of` read again (salsa
/// names a method's ingredient after its impl's type as written; before 0.23.0, salsa#927,
/// after the method alone, `kind_of_`).
fn kind_readers(executed: &[(String, salsa::Id)]) -> Vec<salsa::Id> {
    executed
        .iter()
        .filter(|(name, _)| {
            name.trim_end_matches('_') == "kind_of"
                || (name.starts_with("Definition") && name.contains("kind_of"))
        })
        .map(|(_, id)| *id)
        .collect()
}

/// `x = 1` and `x = 2` are two definitions with the same identity fields (file, name). Salsa
/// keeps each one's identity across revisions by creation order, and an edit that changes
/// only one tracked field re-runs only that field's reader.
#[test]
fn definitions_sharing_identity_fields_keep_their_own_identity_and_readers() {
    let mut db = logged_db(&[("a.py", "x = 1\nx = 2\ndef f():\n    return x\n")]);
    assert_agrees_with_model(&db);
    let before = definition_ids(&db, "a.py");
    assert_eq!(before.len(), 3);
    assert!(
        before[0] != before[1],
        "two definitions of `x`, two structs"
    );

    // Only the kind of the second `x` changes: the kind reader runs again for it, the
    // position reader for nobody.
    db.write_file(
        "a.py",
        "x = 1\nclass x:\n    pass\ndef f():\n    return x\n",
    );
    let executed = assert_agrees_with_model(&db);
    assert_eq!(definition_ids(&db, "a.py"), before, "identities kept");
    assert_eq!(kind_readers(&executed), [before[1]], "{executed:?}");
    assert!(executed_keys(&executed, "definition_ordinal").is_empty());

    // A binding inserted first: every position moves, no kind changes.
    db.write_file(
        "a.py",
        "y = 0\nx = 1\nclass x:\n    pass\ndef f():\n    return x\n",
    );
    let executed = assert_agrees_with_model(&db);
    let after = definition_ids(&db, "a.py");
    assert_eq!(after.len(), 4);
    assert_eq!(
        &after[1..],
        &before[..],
        "the old definitions kept their identities"
    );
    assert!(kind_readers(&executed).iter().all(|id| *id == after[0]));
    assert_eq!(executed_keys(&executed, "definition_ordinal").len(), 4);

    // The first `x` removed: the second `x` now comes first among the two.
    db.write_file(
        "a.py",
        "y = 0\nclass x:\n    pass\ndef f():\n    return x\n",
    );
    assert_agrees_with_model(&db);
    db.write_file("a.py", "");
    assert_agrees_with_model(&db);
    db.write_file("a.py", "x = 1\nx = 2\ndef f():\n    return x\n");
    assert_agrees_with_model(&db);
}

/// The creator's durability changes while the definitions' field values stay the same: the
/// file moves to MEDIUM and then is frozen (`NEVER_CHANGE`). `module_definitions` runs again
/// (its file's text was set again), recreates every definition with the same identity and the
/// same field values, and no reader of a field runs again.
#[test]
fn definitions_keep_identity_and_readers_when_only_their_creators_durability_changes() {
    let mut db = logged_db(&[("a.py", "x = 1\nx = 2\nclass C:\n    pass\n")]);
    assert_agrees_with_model(&db);
    let before = definition_ids(&db, "a.py");
    for change in ["medium", "frozen"] {
        match change {
            "medium" => assert!(db.set_durability("a.py", salsa::Durability::MEDIUM)),
            _ => assert!(db.freeze("a.py")),
        }
        let executed = assert_agrees_with_model(&db);
        assert_eq!(
            definition_ids(&db, "a.py"),
            before,
            "{change}: identities kept"
        );
        assert!(
            !executed_keys(&executed, "module_definitions").is_empty(),
            "{change}: the creator ran again: {executed:?}"
        );
        assert!(kind_readers(&executed).is_empty(), "{change}: {executed:?}");
        assert!(
            executed_keys(&executed, "definition_ordinal").is_empty(),
            "{change}: {executed:?}"
        );
    }
}
