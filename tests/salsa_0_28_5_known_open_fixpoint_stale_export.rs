//! A stale answer in salsa 0.28.5 that the campaign found (`salsa-fuzz run`, 10 minutes, one
//! worker, seed 99) and minimized to `corpus/regressions/0002-…` (known-open), reduced here
//! to salsa alone: three modules whose star imports form nested cycles (a -> b -> {m, a},
//! m -> b), exports computed by fixpoint iteration as a union. After `a` gains a name, asking
//! `a`, `b`, `m` in that order gives `m` its old, empty exports, while `a` and `b` are right;
//! the least fixpoint, and a fresh database, give `["x"]` for all three.
//!
//! Known open: the test asserts the wrong answer, so it fails the day salsa fixes the bug;
//! then flip it to assert `["x"]` three times and mark the corpus entry `fixed`. On a release
//! without it (`open-0002`'s range in the registry; 0.25.2 answers right, so the bug came with
//! 0.26) it asserts the right answers.

// Written in salsa 0.25's cycle API (`cycle_fn` takes `&Cycle`, `cycle_initial` the
// query's id): the bug came later.
#![cfg(salsa_cycle_fn_each_iteration)]

mod common;

use common::has_bug;
use salsa::Setter;

#[salsa::input]
struct Registry {
    #[returns(ref)]
    modules: Vec<(String, Module)>,
}

#[salsa::input]
struct Module {
    #[returns(ref)]
    own: Vec<String>,
    #[returns(ref)]
    star_imports: Vec<String>,
    registry: Option<Registry>,
}

#[salsa::tracked(returns(ref), cycle_initial = initial)]
fn exports(db: &dyn salsa::Database, module: Module) -> Vec<String> {
    let mut names: std::collections::BTreeSet<String> = module.own(db).iter().cloned().collect();
    let registry = module.registry(db).unwrap();
    for target in module.star_imports(db) {
        if let Some(target) = registry
            .modules(db)
            .iter()
            .find(|(n, _)| n == target)
            .map(|(_, m)| *m)
        {
            names.extend(exports(db, target).iter().cloned());
        }
    }
    names.into_iter().collect()
}

fn initial(_db: &dyn salsa::Database, _id: salsa::Id, _module: Module) -> Vec<String> {
    Vec::new()
}

/// Salsa features: fixpoint iteration over nested cycles, re-verified after an input edit.
#[test]
fn known_open_stale_export_after_edit_in_nested_cycles() {
    let mut db = salsa::DatabaseImpl::new();
    let m = Module::new(&db, vec![], vec!["b".into()], None);
    let a = Module::new(&db, vec![], vec!["b".into()], None);
    let b = Module::new(&db, vec![], vec!["m".into(), "a".into()], None);
    let registry = Registry::new(&db, vec![("a".into(), a), ("b".into(), b), ("m".into(), m)]);
    for module in [m, a, b] {
        module.set_registry(&mut db).to(Some(registry));
    }
    for module in [a, b, m] {
        exports(&db, module);
    }
    a.set_own(&mut db).to(vec!["x".to_owned()]);
    let got: Vec<Vec<String>> = [a, b, m]
        .iter()
        .map(|&module| exports(&db, module).clone())
        .collect();
    let x = vec!["x".to_owned()];
    if !has_bug("open-0002") {
        // 0.25.2 answers right: the bug came after it.
        assert_eq!(got, vec![x; 3]);
        return;
    }
    // What salsa should answer: `vec![x.clone(); 3]`. What 0.28.5 answers:
    assert_eq!(
        got,
        vec![x.clone(), x, Vec::new()],
        "salsa fixed it: flip this test"
    );
}

/// The second shape (`corpus/regressions/0003-…`, found by a 10-minute campaign with fault
/// injection and parallel batches, seed 7): two cycles overlapping at `pkg` (pkg -> {b, c},
/// b -> pkg, c -> pkg). `b` is rewritten to define `y` and import nothing; asking `b`, `c`,
/// `pkg` in that order leaves `c` without `y`, which it gets through `pkg`.
#[test]
fn known_open_stale_export_after_edit_in_overlapping_cycles() {
    let mut db = salsa::DatabaseImpl::new();
    let pkg = Module::new(&db, vec![], vec!["b".into(), "c".into()], None);
    let b = Module::new(&db, vec![], vec!["pkg".into()], None);
    let c = Module::new(&db, vec![], vec!["pkg".into()], None);
    let registry = Registry::new(
        &db,
        vec![("b".into(), b), ("c".into(), c), ("pkg".into(), pkg)],
    );
    for module in [pkg, b, c] {
        module.set_registry(&mut db).to(Some(registry));
    }
    for module in [b, c, pkg] {
        exports(&db, module);
    }
    b.set_own(&mut db).to(vec!["y".to_owned()]);
    b.set_star_imports(&mut db).to(vec![]);
    let got: Vec<Vec<String>> = [b, c, pkg]
        .iter()
        .map(|&module| exports(&db, module).clone())
        .collect();
    let y = vec!["y".to_owned()];
    if !has_bug("open-0002") {
        assert_eq!(got, vec![y; 3]);
        return;
    }
    // What salsa should answer: `vec![y.clone(); 3]`. What 0.28.5 answers:
    assert_eq!(
        got,
        vec![y.clone(), Vec::new(), y],
        "salsa fixed it: flip this test"
    );
}
