//! open-0006, reduced to salsa alone (salsa 0.28.5 with its `persistence` feature, which this
//! crate's `persistence` feature turns on): a query outside a two-node fixpoint cycle enters it
//! at `b`, so `b` is the cycle head, and `a` is then read directly; `a`'s final memo keeps `b`
//! in its cycle heads and is serialized with it; restoring the database panics in debug builds
//! with `Memo must be finalized if it has no cycle heads` (`function/memo.rs`'s debug
//! assertion). Salsa's own persistence tests have no fixpoint query. When this test fails,
//! salsa fixed it.
// Written in salsa 0.25's cycle API (`cycle_fn` takes `&Cycle`, `cycle_initial` the
// query's id): the bug came later.
#![cfg(all(feature = "persistence", salsa_cycle_fn_each_iteration))]

use salsa::{Database, Setter};

#[salsa::input(persist)]
struct Node {
    #[returns(ref)]
    edges: Vec<Node>,
}

#[salsa::tracked(returns(ref), cycle_initial = initial, persist)]
fn reach(db: &dyn Database, node: Node) -> Vec<u64> {
    let mut out = vec![salsa::plumbing::AsId::as_id(&node).as_bits()];
    for edge in node.edges(db) {
        out.extend(reach(db, *edge).iter().copied());
    }
    out.sort_unstable();
    out.dedup();
    out
}

fn initial(_db: &dyn Database, _id: salsa::Id, _node: Node) -> Vec<u64> {
    Vec::new()
}

/// Outside the cycle: enters it at `node`'s first edge.
#[salsa::tracked(returns(copy))]
fn outer(db: &dyn Database, node: Node) -> usize {
    node.edges(db)
        .iter()
        .map(|edge| reach(db, *edge).len())
        .sum()
}

#[test]
#[should_panic(expected = "Memo must be finalized if it has no cycle heads")]
fn a_database_holding_a_converged_cycle_entered_from_outside_cannot_be_restored() {
    let mut db = salsa::DatabaseImpl::new();
    let a = Node::new(&db, Vec::new());
    let b = Node::new(&db, vec![a]);
    a.set_edges(&mut db).to(vec![b]);
    assert_eq!(outer(&db, a), 2);
    assert_eq!(reach(&db, a).len(), 2);
    let serialized =
        serde_json::to_string(&<dyn salsa::Database>::as_serialize(&mut db)).expect("serializes");
    let mut restored = salsa::DatabaseImpl::new();
    <dyn salsa::Database>::deserialize(
        &mut restored,
        &mut serde_json::Deserializer::from_str(&serialized),
    )
    .expect("deserializes");
    assert_eq!(reach(&restored, a).len(), 2);
}
