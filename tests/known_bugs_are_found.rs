//! Against an older salsa (`salsa-fuzz salsa 0.25.2 test`, which CI runs), the seeded loop must
//! find that release's quick-to-find known bugs: lost accumulated values (salsa#1099,
//! salsa#1155) and the interned slot left behind by an unwind (salsa#1160). This guards the
//! suite's power to find real bugs, not only planted ones. Against a salsa without such bugs
//! (the pinned 0.28.5) there is nothing to find and the test says so.
#![cfg(not(feature = "canary"))]

use salsa_fuzz::corpus::SALSA_VERSION;
use salsa_fuzz::exec::{self, ExecOptions, install_panic_hook};
use salsa_fuzz::fuzz::SeededInputs;
use salsa_fuzz::known_bugs::{BugClass, KNOWN_BUGS};
use salsa_fuzz::script::EditScript;

/// Enough for both classes on 0.25.2 to 0.27.0 (the campaign needs a few thousand scripts);
/// the loop stops as soon as every class is seen.
const MAX_SCRIPTS: u64 = 30_000;

#[test]
fn the_quick_known_bugs_of_this_salsa_are_found() {
    let wanted: Vec<BugClass> = [BugClass::LostAccumulated, BugClass::InternedSlotCorrupted]
        .into_iter()
        .filter(|class| {
            KNOWN_BUGS.iter().any(|bug| {
                bug.class == *class && bug.fixed_in.is_some() && bug.affects(SALSA_VERSION)
            })
        })
        .collect();
    if wanted.is_empty() {
        println!("salsa {SALSA_VERSION} has no known bug of these classes: nothing to find");
        return;
    }
    install_panic_hook();
    let mut inputs = SeededInputs::new(0x1099_1160);
    let options = ExecOptions::default();
    let mut seen: Vec<(BugClass, u64, String)> = Vec::new();
    for run in 0..MAX_SCRIPTS {
        let script = EditScript::from_bytes(&inputs.next_input());
        for finding in exec::execute(&script, &options).findings {
            let signature = finding.signature();
            for class in &wanted {
                if class.matches(&signature) && !seen.iter().any(|(known, ..)| known == class) {
                    seen.push((*class, run, signature.clone()));
                }
            }
        }
        if seen.len() == wanted.len() {
            break;
        }
    }
    for (class, run, signature) in &seen {
        println!("{class:?}: script {run}: {signature}");
    }
    let missing: Vec<&BugClass> = wanted
        .iter()
        .filter(|class| !seen.iter().any(|(known, ..)| known == *class))
        .collect();
    assert!(
        missing.is_empty(),
        "salsa {SALSA_VERSION}: not found in {MAX_SCRIPTS} scripts: {missing:?}"
    );
}
