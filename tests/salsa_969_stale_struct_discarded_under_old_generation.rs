//! A fixed salsa bug the suite's line probes found on 0.23.0, reduced here to salsa alone.
//!
//! 0.23.0 gave tracked structs generational ids (salsa#864): a deleted struct's slot is reused
//! with the next generation, so an id held from before never names the new occupant. The same
//! release compared a query's old and new outputs by slot alone (salsa#879) and rebuilt each
//! stale output's id from its slot, at generation 0. So a struct that lives in a reused slot
//! (generation 1 or more) and stops being created is discarded under the wrong id: the
//! `DidDiscard` event names generation 0, the slot goes back to the free list as generation 0,
//! and its next occupant gets generation 1 again, the very id of a struct deleted before it
//! (an id held from then names the new struct). Fixed in 0.24.0 by salsa#969 ("Remove tracked
//! structs from query outputs"), which diffs the structs by their full ids.
//!
//! The suite meets it in `line_marks` (`src/db/lines.rs`), one tracked struct per line: its
//! account expects the discarded line's struct, by id, in `DidDiscard` (decision
//! `StaleOutputKept`).
//!
//! On a release the registry lists as buggy the test asserts the wrong ids, so it fails if the
//! bug is not there.

// Generational ids came with 0.23.0; before, a reused slot's id is the old one by design.
#![cfg(salsa_generational_ids)]

mod common;

use common::has_bug;
use salsa::Setter;
use std::sync::{Arc, Mutex};

#[salsa::input]
struct Text {
    #[returns(ref)]
    lines: Vec<String>,
}

#[salsa::tracked]
struct Mark<'db> {
    #[returns(ref)]
    line: String,
}

/// One struct per line, its id as the answer.
#[salsa::tracked(returns(ref))]
fn marks(db: &dyn salsa::Database, text: Text) -> Vec<salsa::Id> {
    use salsa::plumbing::AsId;
    text.lines(db)
        .iter()
        .map(|line| Mark::new(db, line.clone()).as_id())
        .collect()
}

/// A database that keeps the keys of `DidDiscard` events.
#[salsa::db]
#[derive(Clone)]
struct Database {
    storage: salsa::Storage<Self>,
}

#[salsa::db]
impl salsa::Database for Database {}

fn database() -> (Database, Arc<Mutex<Vec<salsa::Id>>>) {
    let discarded = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&discarded);
    let callback = move |event: salsa::Event| {
        if let salsa::EventKind::DidDiscard { key } = event.kind {
            log.lock().unwrap().push(key.key_index());
        }
    };
    let db = Database {
        storage: salsa::Storage::new(Some(Box::new(callback))),
    };
    (db, discarded)
}

/// Salsa features: a tracked struct deleted when its creator stops creating it (stale output
/// discarding), its slot reused by the next struct, and generational ids.
#[test]
fn a_struct_in_a_reused_slot_is_discarded_under_its_own_id() {
    let (mut db, discarded) = database();
    let text = Text::new(&db, vec!["a".to_owned()]);
    let first = marks(&db, text)[0];
    text.set_lines(&mut db).to(vec![]);
    assert!(marks(&db, text).is_empty());
    assert_eq!(discarded.lock().unwrap().as_slice(), &[first]);

    // `b` takes the slot `a` left, with the next generation.
    text.set_lines(&mut db).to(vec!["b".to_owned()]);
    let second = marks(&db, text)[0];
    assert_ne!(second, first, "a reused slot has a new generation");

    text.set_lines(&mut db).to(vec![]);
    assert!(marks(&db, text).is_empty());
    let discarded_second = discarded.lock().unwrap()[1];

    text.set_lines(&mut db).to(vec!["c".to_owned()]);
    let third = marks(&db, text)[0];
    if has_bug("salsa#969") {
        // Discarded as generation 0, so `c` gets `b`'s id back.
        assert_eq!(discarded_second, first, "the bug is gone from this salsa");
        assert_eq!(third, second, "the bug is gone from this salsa");
    } else {
        assert_eq!(discarded_second, second);
        assert_ne!(third, second, "a deleted struct's id names no other struct");
    }
}
