//! Which mutants a run measures: by name, a seeded sample spread across files, one shard.
//!
//! Everything here is a pure function of the listed mutants and the flags: no hash-map order
//! and no clock, so the same flags pick the same mutants on any machine, and shards of one
//! sample never overlap.

use std::collections::BTreeMap;
use std::str::FromStr;

use super::list::Mutant;
use crate::util::SeededInputs;

/// `--shard K/N`: the mutants at positions `K`, `K + N`, `K + 2N`… of the selection
/// (cargo-mutants' convention: `K` counts from 0).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    /// This shard, `0..count`.
    pub index: usize,
    /// How many shards.
    pub count: usize,
}

impl FromStr for Shard {
    type Err = String;

    fn from_str(text: &str) -> Result<Shard, String> {
        let bad = || format!("bad shard `{text}` (K/N with 0 <= K < N, e.g. 0/4)");
        let (index, count) = text.split_once('/').ok_or_else(bad)?;
        let index: usize = index.trim().parse().map_err(|_| bad())?;
        let count: usize = count.trim().parse().map_err(|_| bad())?;
        if count == 0 || index >= count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }
}

/// The mutants whose name contains one of `substrings` (all of them when there are none).
pub fn by_name(mutants: Vec<Mutant>, substrings: &[String]) -> Vec<Mutant> {
    if substrings.is_empty() {
        return mutants;
    }
    mutants
        .into_iter()
        .filter(|mutant| substrings.iter().any(|part| mutant.name.contains(part)))
        .collect()
}

/// `n` mutants spread across files: each file's mutants are shuffled with a generator seeded
/// by `seed` and the file's name, then files (in name order) give one mutant each in turn
/// until `n` are taken. The result is in that order, so a run stopped early has still seen
/// every file. A large file does not crowd out the small ones, which is what a per-file table
/// needs.
pub fn sample(mutants: &[Mutant], n: usize, seed: u64) -> Vec<Mutant> {
    let mut by_file: BTreeMap<&str, Vec<&Mutant>> = BTreeMap::new();
    for mutant in mutants {
        by_file.entry(&mutant.file).or_default().push(mutant);
    }
    let mut queues: Vec<std::vec::IntoIter<&Mutant>> = by_file
        .into_iter()
        .map(|(file, mut list)| {
            let mut random = SeededInputs::new(seed ^ crate::util::content_hash(file.as_bytes()));
            // Fisher-Yates.
            for index in (1..list.len()).rev() {
                list.swap(index, random.below(index + 1));
            }
            list.into_iter()
        })
        .collect();
    let mut picked = Vec::with_capacity(n.min(mutants.len()));
    while picked.len() < n {
        let before = picked.len();
        for queue in &mut queues {
            if picked.len() == n {
                break;
            }
            if let Some(mutant) = queue.next() {
                picked.push(mutant.clone());
            }
        }
        if picked.len() == before {
            break; // every file is exhausted
        }
    }
    picked
}

/// The shard's share of `mutants` (round-robin, so every shard gets a spread of files).
pub fn shard(mutants: Vec<Mutant>, shard: Shard) -> Vec<Mutant> {
    mutants
        .into_iter()
        .enumerate()
        .filter(|(position, _)| position % shard.count == shard.index)
        .map(|(_, mutant)| mutant)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mutants(files: &[(&str, usize)]) -> Vec<Mutant> {
        files
            .iter()
            .flat_map(|(file, count)| {
                (0..*count).map(move |index| Mutant {
                    name: format!("{file}:{index}: replace something"),
                    file: (*file).to_owned(),
                    diff: format!("diff {file} {index}"),
                })
            })
            .collect()
    }

    #[test]
    fn a_sample_is_the_same_for_the_same_seed_and_differs_for_another() {
        let all = mutants(&[("src/a.rs", 40), ("src/b.rs", 40), ("src/c.rs", 40)]);
        let first = sample(&all, 12, 7);
        assert_eq!(first, sample(&all, 12, 7));
        assert_ne!(first, sample(&all, 12, 8));
        assert_eq!(first.len(), 12);
    }

    #[test]
    fn a_sample_spreads_across_files_and_small_files_are_not_crowded_out() {
        let all = mutants(&[("src/big.rs", 200), ("src/small.rs", 2), ("src/mid.rs", 10)]);
        let picked = sample(&all, 9, 1);
        let count = |file: &str| picked.iter().filter(|mutant| mutant.file == file).count();
        assert_eq!(count("src/small.rs"), 2, "every mutant of a small file");
        assert_eq!(count("src/mid.rs"), 3);
        assert_eq!(count("src/big.rs"), 4);
        // The first three picks are one per file, in file name order.
        let files: Vec<&str> = picked[..3]
            .iter()
            .map(|mutant| mutant.file.as_str())
            .collect();
        assert_eq!(files, ["src/big.rs", "src/mid.rs", "src/small.rs"]);
        // No mutant twice, and asking for more than there are gives them all.
        let everything = sample(&all, 1000, 1);
        let mut names: Vec<&str> = everything
            .iter()
            .map(|mutant| mutant.name.as_str())
            .collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), all.len());
    }

    #[test]
    fn shards_partition_the_selection() {
        let all = mutants(&[("src/a.rs", 7), ("src/b.rs", 4)]);
        let shards: Vec<Vec<Mutant>> = (0..3)
            .map(|index| shard(all.clone(), Shard { index, count: 3 }))
            .collect();
        assert_eq!(shards.iter().map(Vec::len).collect::<Vec<_>>(), [4, 4, 3]);
        let mut union: Vec<Mutant> = shards.concat();
        union.sort_by(|a, b| a.name.cmp(&b.name));
        let mut expected = all;
        expected.sort_by(|a, b| a.name.cmp(&b.name));
        assert_eq!(union, expected);
    }

    #[test]
    fn shard_flags_count_from_zero_and_refuse_nonsense() {
        assert_eq!("1/4".parse(), Ok(Shard { index: 1, count: 4 }));
        assert_eq!("0/1".parse(), Ok(Shard { index: 0, count: 1 }));
        for bad in ["4/4", "1/0", "x/2", "3", "-1/2"] {
            assert!(bad.parse::<Shard>().is_err(), "{bad}");
        }
    }

    #[test]
    fn names_select_by_substring() {
        let all = mutants(&[("src/a.rs", 3), ("src/b.rs", 3)]);
        let picked = by_name(all.clone(), &["src/b.rs:1".to_owned(), "a.rs:2".to_owned()]);
        let names: Vec<&str> = picked.iter().map(|mutant| mutant.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "src/a.rs:2: replace something",
                "src/b.rs:1: replace something"
            ]
        );
        assert_eq!(by_name(all.clone(), &[]).len(), all.len());
    }
}
