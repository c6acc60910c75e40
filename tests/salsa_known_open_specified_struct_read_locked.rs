//! A salsa bug the suite met while `star_closure` took its shape (an earlier form of
//! `src/db/closure.rs`, whose identity test panicked), reduced here to salsa alone. Two modules
//! import each other; a fixpoint query collects the modules reachable from one, creates a
//! tracked struct for it and assigns a value on it with `specify`. Once the cycle has led back
//! to the module, it takes the struct from its own provisional value instead of creating it
//! again (salsa reserves the identities of earlier iterations, so a struct created anew in each
//! iteration would never converge). The code is deterministic and keeps no handle outside
//! salsa, yet after an input of the cycle is set again (to the same value) the next query
//! panics in salsa: `cannot delete read-locked id ..; value leaked across threads or user
//! functions not deterministic`. Without the `specify`, it does not.
//!
//! The suite's database now reads its own provisional value whenever a module has star imports
//! (as salsa's own `tests/cycle_specify.rs` does), not only once the cycle has led back, and
//! that form does not panic.
//!
//! Known open on the releases the registry lists (`open-0005`): the test asserts the panic
//! there, so it fails the day salsa fixes the bug.

// Written in salsa 0.25's cycle API (`cycle_fn` takes `&Cycle`, `cycle_initial` the
// query's id): the bug came later.
#![cfg(salsa_cycle_fn_each_iteration)]

mod common;

use common::has_bug;
use salsa::Setter;

#[salsa::input(debug)]
struct Module {
    #[returns(ref)]
    imports: Vec<Module>,
}

#[salsa::tracked(debug)]
struct Summary<'db> {
    #[returns(copy)]
    module: Module,
}

#[derive(Clone, Debug, PartialEq, Eq, salsa_fuzz::db::compat::SalsaValue)]
struct Closure<'db> {
    members: Vec<Module>,
    summary: Option<Summary<'db>>,
}

#[salsa::tracked(returns(ref), cycle_initial = initial)]
fn closure<'db>(db: &'db dyn salsa::Database, module: Module) -> Closure<'db> {
    let mut members = Vec::new();
    for &target in module.imports(db) {
        members.extend(closure(db, target).members.iter().copied());
    }
    let in_cycle = members.contains(&module);
    // The struct of the previous iteration, once the cycle has led back here.
    let previous = if in_cycle {
        closure(db, module).summary
    } else {
        None
    };
    if !in_cycle {
        members.push(module);
    }
    let summary = previous.unwrap_or_else(|| Summary::new(db, module));
    size::specify(
        db,
        summary,
        u32::try_from(members.len()).unwrap_or(u32::MAX),
    );
    Closure {
        members,
        summary: Some(summary),
    }
}

#[salsa::tracked(returns(copy), specify)]
fn size<'db>(_db: &'db dyn salsa::Database, _summary: Summary<'db>) -> u32 {
    u32::MAX
}

fn initial<'db>(_db: &'db dyn salsa::Database, _id: salsa::Id, _module: Module) -> Closure<'db> {
    Closure {
        members: Vec::new(),
        summary: None,
    }
}

/// Salsa features: a tracked struct created inside a fixpoint iteration, assigned with
/// `specify`, reused from the provisional value in later iterations, across a new revision.
#[test]
fn known_open_a_struct_assigned_in_a_cycle_is_deleted_while_read_locked() {
    let mut db = salsa::DatabaseImpl::new();
    let a = Module::new(&db, vec![]);
    let b = Module::new(&db, vec![a]);
    a.set_imports(&mut db).to(vec![b]);
    assert_eq!(closure(&db, a).members.len(), 2);
    b.set_imports(&mut db).to(vec![a]);
    let second = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        closure(&db, a).members.len()
    }));
    if has_bug("open-0005") {
        // What salsa should answer: `Ok(2)`. What it does:
        let payload = second.expect_err("salsa fixed it: update the registry");
        let message = common::panic_message(payload.as_ref());
        assert!(
            message.contains("cannot delete read-locked id"),
            "another panic: {message}"
        );
    } else {
        assert_eq!(second.ok(), Some(2));
    }
}
