//! open-0009, reduced to salsa alone: three fixpoint queries whose rules are monotone over a
//! two-element lattice (`0` and the function `F`), yet salsa's iteration, entered at `T`,
//! oscillates with period 2 until "too many cycle iterations".
//!
//! Found by a 60-second campaign on 0.28.5 (2026-12-02, `salsa-fuzz run --time 60s --jobs 2
//! --seeds corpus/seeds`, at 52.5 s): `pkg/m.py` is `def helper return helper` and
//! `helper=T()T=helper(`, which the parser recovers as a function `helper` returning itself,
//! then `helper = T()` and `T = helper(…)` (corpus/regressions/0009). The least fixpoint is
//! `F` for all three; printing each execution showed `helper`'s binding (a nested head)
//! handed out at its initial value again every other iteration, so `T` and the return type
//! flip between `F` and nothing. The same on 0.25.2, 0.26.0 and 0.28.5, where it was run
//! (0.25.0 and 0.25.1 have 0.25.2's `src/function/`; 0.24.0 has the older cycle API this test
//! is not written in); entered at `helper` or at the return type, it converges.
//!
//! On a release the registry lists as having it, the test asserts the panic, so it fails
//! once the bug is gone.

#![cfg(salsa_cycle_fn_each_iteration)]

mod common;

use common::has_bug;
use salsa::Database;

#[salsa::input]
struct Module {
    #[returns(copy)]
    tag: u8,
}

/// The function's own type, the one atom of the lattice.
const F: u16 = 1;
/// Marks an initial value (`cycle_initial`): bottom once normalized.
const INITIAL: u16 = 0x100;

fn norm(value: u16) -> u16 {
    if value & INITIAL != 0 { 0 } else { value }
}

/// Calling a value: the function returns `ret`.
fn call(db: &dyn Database, module: Module, callee: u16) -> u16 {
    if norm(callee) & F != 0 {
        norm(ret(db, module))
    } else {
        0
    }
}

/// `def helper(): return helper` then `helper = T()`: the function, and what `T()` returns.
#[salsa::tracked(returns(copy), cycle_fn = keep, cycle_initial = initial)]
fn binding_helper(db: &dyn Database, module: Module) -> u16 {
    F | call(db, module, binding_t(db, module))
}

/// `T = helper()`.
#[salsa::tracked(returns(copy), cycle_fn = keep, cycle_initial = initial)]
fn binding_t(db: &dyn Database, module: Module) -> u16 {
    call(db, module, binding_helper(db, module))
}

/// What `helper` returns: `helper` itself.
#[salsa::tracked(returns(copy), cycle_fn = keep, cycle_initial = initial)]
fn ret(db: &dyn Database, module: Module) -> u16 {
    norm(binding_helper(db, module))
}

fn initial(_db: &dyn Database, id: salsa::Id, _module: Module) -> u16 {
    INITIAL | (id.as_bits() as u16 & 0xff)
}

fn keep(_db: &dyn Database, _: &salsa::Cycle, _: &u16, value: u16, _module: Module) -> u16 {
    value
}

/// Salsa features: fixpoint iteration of three queries in one cycle, each with `cycle_fn` and
/// `cycle_initial`, entered at the one whose head is not the first to re-enter.
#[test]
fn entered_at_t_the_monotone_cycle_converges() {
    let db = salsa::DatabaseImpl::default();
    let module = Module::new(&db, 0);
    let got = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| binding_t(&db, module)));
    // The registry places open-0009 where the database's entry shows it (0.26.0 on); this
    // reduction panics on 0.25.x too (measured on 0.25.2; 0.25.0 and 0.25.1 have its
    // `src/function/`), where the entry's script does not.
    if has_bug("open-0009") || salsa_fuzz::corpus::SALSA_VERSION.starts_with("0.25.") {
        let message = got
            .err()
            .and_then(|payload| payload.downcast::<String>().ok())
            .expect("the bug is gone from this salsa: the cycle converged");
        assert!(message.contains("too many cycle iterations"), "{message}");
        return;
    }
    assert_eq!(got.ok(), Some(F));
    assert_eq!(binding_helper(&db, module), F);
    assert_eq!(ret(&db, module), F);
}

/// The same cycle entered at `helper` or at the return type: converges on every release.
#[test]
fn entered_at_the_other_two_it_converges() {
    let entries: [fn(&dyn Database, Module) -> u16; 2] = [binding_helper, ret];
    for entry in entries {
        let db = salsa::DatabaseImpl::default();
        let module = Module::new(&db, 0);
        assert_eq!(entry(&db, module), F);
        assert_eq!(binding_t(&db, module), F);
    }
}
