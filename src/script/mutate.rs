//! Script-level mutations, for the campaign and libFuzzer's custom mutator alike: splice the
//! steps of two scripts, replace a text, duplicate a step, retarget a step to another file. They keep scripts within the caps, so
//! every mutant can be written as an entry and encoded as bytes.

use super::{Codec, Edit, EditScript, FileSlot, MAX_STEPS, PATHS, Reader, Step, Text};
use crate::util::SeededInputs;

/// A mutant of `script`, possibly spliced with `other`.
pub fn mutate(rng: &mut SeededInputs, script: &EditScript, other: &EditScript) -> EditScript {
    if rng.below(4) == 0 {
        return splice(rng, script, other);
    }
    let mut mutant = script.clone();
    match rng.below(3) {
        0 => replace_text(rng, &mut mutant),
        1 if !mutant.steps.is_empty() => {
            let index = rng.below(mutant.steps.len());
            let step = mutant.steps[index].clone();
            mutant.steps.insert(rng.below(mutant.steps.len() + 1), step);
        }
        _ => retarget(rng, &mut mutant),
    }
    mutant.steps.truncate(MAX_STEPS);
    mutant
}

/// `script`'s initial files and steps up to a point, then `other`'s steps from a point.
pub fn splice(rng: &mut SeededInputs, script: &EditScript, other: &EditScript) -> EditScript {
    let mut spliced = script.clone();
    let keep = rng.below(spliced.steps.len() + 1);
    let from = rng.below(other.steps.len() + 1);
    spliced.steps.truncate(keep);
    spliced.steps.extend(other.steps[from..].iter().cloned());
    spliced.steps.truncate(MAX_STEPS);
    spliced
}

fn fresh_text(rng: &mut SeededInputs) -> Text {
    let bytes: Vec<u8> = (0..64).map(|_| rng.next_u64() as u8).collect();
    Text::decode(&mut Reader::new(&bytes)).unwrap_or_default()
}

fn replace_text(rng: &mut SeededInputs, script: &mut EditScript) {
    let text = fresh_text(rng);
    let sites = script.initial.len() + script.steps.len();
    let site = rng.below(sites.max(1));
    if let Some((_, old)) = script.initial.get_mut(site) {
        *old = text;
        return;
    }
    let step = script
        .steps
        .get_mut(site.saturating_sub(script.initial.len()));
    match step.and_then(Step::text_mut) {
        Some(old) => *old = text,
        None => script.steps.push(Step::Edit(
            FileSlot(rng.below(PATHS.len()) as u8),
            Edit::ReplaceAll(text),
        )),
    }
}

fn retarget(rng: &mut SeededInputs, script: &mut EditScript) {
    if script.steps.is_empty() {
        return;
    }
    let slot = FileSlot(rng.below(PATHS.len()) as u8);
    let index = rng.below(script.steps.len());
    match &mut script.steps[index] {
        Step::Edit(old, _)
        | Step::AddFile(old, _)
        | Step::RemoveFile(old)
        | Step::SetLibrary(old, _)
        | Step::SetDurability(old, _)
        | Step::Freeze(old) => *old = slot,
        Step::Query(query) => retarget_query(query, slot),
        Step::SpawnBatch(queries) => {
            let position = rng.below(queries.len());
            if let Some(query) = queries.get_mut(position) {
                retarget_query(query, slot);
            }
        }
        _ => {}
    }
}

fn retarget_query(query: &mut super::Query, slot: FileSlot) {
    use super::Query;
    match query {
        Query::Parse(old)
        | Query::Scopes(old)
        | Query::SymbolTable(old, _)
        | Query::ResolveNames(old, _)
        | Query::Exports(old)
        | Query::Diagnostics(old)
        | Query::Types(old)
        | Query::Closure(old)
        | Query::Lines(old) => *old = slot,
        Query::ResolveModule(_) => {}
    }
}
