//! Structure-aware delta debugging of a finding's script.
//!
//! Passes, repeated until none makes progress: drop steps (ddmin); drop initial files; turn
//! background batches into foreground queries and drop queries from batches; lower the thread
//! count; turn every edit into the whole text it produces (so redundant edits can go); shrink
//! texts by lines, then Python tokens, then characters. A change is kept only when the SAME
//! signature reproduces, never another bug. Racy findings are checked up to K times each.

use crate::exec::{self, ExecOptions, Mirror};
use crate::script::schedule::Schedule;
use crate::script::{Edit, EditScript, Query, Step, Text};

/// How to minimize.
#[derive(Clone, Debug)]
pub struct MinimizeOptions {
    /// Attempts per check when the finding only reproduces with threads (K).
    pub attempts: u32,
    /// Attempts when measuring the final reproduction rate.
    pub rate_attempts: u32,
    /// An upper bound on checks, so minimization always ends.
    pub max_checks: usize,
    /// In a shuttle build, the interleaving every threaded check runs under (each check is
    /// then one exact run, so one attempt); ignored by other builds.
    pub schedule: Option<Schedule>,
}

impl Default for MinimizeOptions {
    fn default() -> Self {
        MinimizeOptions {
            attempts: 8,
            rate_attempts: 20,
            max_checks: 20_000,
            schedule: None,
        }
    }
}

/// A minimized finding.
#[derive(Clone, Debug)]
pub struct Minimized {
    /// The smallest script found that reproduces the signature.
    pub script: EditScript,
    /// Whether it reproduces with background batches inline (deterministically).
    pub sequential: bool,
    /// (reproduced, attempts) of the final script.
    pub rate: (u32, u32),
    /// How many scripts were run.
    pub checks: usize,
    /// The schedule it reproduces under (a shuttle build's threaded finding), with as few
    /// preemptions as still show it.
    pub schedule: Option<Schedule>,
}

/// The signature of the first finding of `script`, if any. Installs the capturing panic hook
/// (once): a signature names the panic's location, which only the hook sees.
pub fn signature_of(script: &EditScript, sequential: bool) -> Option<String> {
    signature_under(script, sequential, None)
}

/// [`signature_of`] under `schedule` (a shuttle build's; other builds ignore it).
pub fn signature_under(
    script: &EditScript,
    sequential: bool,
    schedule: Option<Schedule>,
) -> Option<String> {
    signature_with(
        script,
        &ExecOptions {
            sequential,
            schedule,
            ..ExecOptions::default()
        },
    )
}

/// The signature of the first finding of `script` run with `options`.
pub fn signature_with(script: &EditScript, options: &ExecOptions) -> Option<String> {
    exec::install_panic_hook();
    exec::execute(script, options)
        .findings
        .first()
        .map(|finding| finding.signature())
}

/// How many of `attempts` runs of `script` show `signature`.
pub fn reproduction_rate(
    script: &EditScript,
    signature: &str,
    sequential: bool,
    attempts: u32,
) -> u32 {
    rate_under(script, signature, sequential, None, attempts)
}

fn rate_under(
    script: &EditScript,
    signature: &str,
    sequential: bool,
    schedule: Option<Schedule>,
    attempts: u32,
) -> u32 {
    (0..attempts)
        .filter(|_| signature_under(script, sequential, schedule).as_deref() == Some(signature))
        .count() as u32
}

/// The signature of a script's first finding, by some executor.
pub type SignatureFn = dyn Fn(&EditScript) -> Option<String>;

struct Search<'a> {
    signature: &'a str,
    sequential: bool,
    schedule: Option<Schedule>,
    attempts: u32,
    checks: usize,
    max_checks: usize,
    /// Another executor's signature function, deterministic ([`minimize_with`]); `None` for
    /// this crate's executor.
    oracle: Option<&'a SignatureFn>,
}

impl Search<'_> {
    /// Whether `candidate` still shows the signature (within the attempt budget).
    fn reproduces(&mut self, candidate: &EditScript) -> bool {
        if self.checks >= self.max_checks {
            return false;
        }
        if let Some(oracle) = self.oracle {
            self.checks += 1;
            return oracle(candidate).as_deref() == Some(self.signature);
        }
        for _ in 0..self.attempts {
            self.checks += 1;
            if signature_under(candidate, self.sequential, self.schedule).as_deref()
                == Some(self.signature)
            {
                return true;
            }
        }
        false
    }
}

/// Minimizes `script`, which must show `signature`; `None` if it does not reproduce.
pub fn minimize(
    script: &EditScript,
    signature: &str,
    options: &MinimizeOptions,
) -> Option<Minimized> {
    // Prefer the deterministic mode: if the finding shows with batches inline, minimize there.
    let sequential = reproduction_rate(script, signature, true, 2) > 0;
    // Under shuttle a threaded check with a fixed schedule is one exact run.
    let schedule = options
        .schedule
        .filter(|_| cfg!(feature = "shuttle") && !sequential);
    // A racy finding gets as many attempts per check as its measured rate needs to show about
    // three times, at least K and at most 8K (a rare race is worth the wait).
    let attempts = if sequential || schedule.is_some() {
        1
    } else {
        let probe = 4 * options.attempts;
        match reproduction_rate(script, signature, false, probe) {
            0 => return None,
            hits => (3 * probe / hits).clamp(options.attempts, 8 * options.attempts),
        }
    };
    let mut search = Search {
        signature,
        sequential,
        schedule,
        attempts,
        checks: 0,
        max_checks: options.max_checks,
        oracle: None,
    };
    if !search.reproduces(script) {
        return None;
    }
    let best = shrink(&mut search, script);
    // Then the schedule: as few preemptions as still show it.
    while let Some(shallower) = search.schedule.and_then(Schedule::shallower) {
        let deeper = search.schedule.replace(shallower);
        if !search.reproduces(&best) {
            search.schedule = deeper;
            break;
        }
    }
    let rate_attempts = if sequential { 3 } else { options.rate_attempts };
    let hits = rate_under(&best, signature, sequential, search.schedule, rate_attempts);
    Some(Minimized {
        script: best,
        sequential,
        rate: (hits, rate_attempts),
        checks: search.checks,
        schedule: search.schedule,
    })
}

/// Minimizes `script`, which must show `signature` under `oracle`: the signature of a script's
/// first finding by another, deterministic executor (the 2024-API database's). The same
/// passes as [`minimize`], one run per candidate; `None` if it does not reproduce.
pub fn minimize_with(
    script: &EditScript,
    signature: &str,
    max_checks: usize,
    oracle: &SignatureFn,
) -> Option<Minimized> {
    let mut search = Search {
        signature,
        sequential: true,
        schedule: None,
        attempts: 1,
        checks: 0,
        max_checks,
        oracle: Some(oracle),
    };
    if !search.reproduces(script) {
        return None;
    }
    let best = shrink(&mut search, script);
    let hits = (0..3)
        .filter(|_| oracle(&best).as_deref() == Some(signature))
        .count() as u32;
    Some(Minimized {
        script: best,
        sequential: true,
        rate: (hits, 3),
        checks: search.checks,
        schedule: None,
    })
}

/// The passes, repeated until a round makes the script no smaller.
fn shrink(search: &mut Search<'_>, script: &EditScript) -> EditScript {
    let mut best = script.clone();
    loop {
        let start = best.clone();
        let before = size(&best);
        best = drop_steps(search, best);
        best = drop_initial_files(search, best);
        best = batches_to_foreground(search, best);
        best = shrink_batches(search, best);
        best = lower_threads(search, best);
        best = whole_texts(search, best);
        best = shrink_texts(search, best);
        // `whole_texts` can make a script bigger (an insert becomes the whole text) so that
        // edits become droppable; a round that ends bigger than it started is undone.
        if size(&best) >= before || search.checks >= search.max_checks {
            if size(&best) > before {
                best = start;
            }
            break;
        }
    }
    best
}

/// The size minimization reduces: steps, files, queries, threads and text bytes.
pub fn size(script: &EditScript) -> usize {
    let steps: usize = script
        .steps
        .iter()
        .map(|step| match step {
            Step::SpawnBatch(queries) => 2 + queries.len(),
            _ => 1,
        })
        .sum();
    steps * 1000
        + script.initial.len() * 1000
        + usize::from(script.threads) * 100
        + python_bytes(script)
}

/// The bytes of Python a script holds (initial texts and the texts its edits insert).
pub fn python_bytes(script: &EditScript) -> usize {
    script.texts().map(|text| text.render().len()).sum()
}

/// Classic ddmin: removes chunks of `items`, halving the chunk size down to single items,
/// keeping a removal whenever `reproduces` accepts what is left.
fn ddmin<T: Clone>(mut items: Vec<T>, mut reproduces: impl FnMut(&[T]) -> bool) -> Vec<T> {
    let mut chunks = 2;
    while !items.is_empty() {
        let chunk = items.len().div_ceil(chunks);
        let mut removed = false;
        let mut start = 0;
        while start < items.len() {
            let end = (start + chunk).min(items.len());
            let candidate: Vec<T> = items[..start]
                .iter()
                .chain(&items[end..])
                .cloned()
                .collect();
            if reproduces(&candidate) {
                items = candidate;
                removed = true;
            } else {
                start = end;
            }
        }
        if removed {
            chunks = chunks.saturating_sub(1).max(2);
        } else if chunk == 1 {
            break;
        } else {
            chunks = (chunks * 2).min(items.len().max(1));
        }
    }
    items
}

fn drop_steps(search: &mut Search<'_>, mut best: EditScript) -> EditScript {
    best.steps = ddmin(best.steps.clone(), |steps| {
        let candidate = EditScript {
            steps: steps.to_vec(),
            ..best.clone()
        };
        search.reproduces(&candidate)
    });
    best
}

fn drop_initial_files(search: &mut Search<'_>, mut best: EditScript) -> EditScript {
    let mut index = 0;
    while index < best.initial.len() {
        let mut candidate = best.clone();
        candidate.initial.remove(index);
        if search.reproduces(&candidate) {
            best = candidate;
        } else {
            index += 1;
        }
    }
    best
}

fn batches_to_foreground(search: &mut Search<'_>, mut best: EditScript) -> EditScript {
    let mut index = 0;
    while index < best.steps.len() {
        if let Step::SpawnBatch(queries) = &best.steps[index] {
            let queries: Vec<Step> = queries.iter().map(|&query| Step::Query(query)).collect();
            let mut candidate = best.clone();
            candidate.steps.splice(index..=index, queries);
            if search.reproduces(&candidate) {
                best = candidate;
                continue;
            }
        }
        index += 1;
    }
    best
}

fn shrink_batches(search: &mut Search<'_>, mut best: EditScript) -> EditScript {
    for index in 0..best.steps.len() {
        let mut position = 0;
        while let Step::SpawnBatch(queries) = &best.steps[index] {
            if position >= queries.len() || queries.len() == 1 {
                break;
            }
            let mut shorter: Vec<Query> = queries.clone();
            shorter.remove(position);
            let mut candidate = best.clone();
            candidate.steps[index] = Step::SpawnBatch(shorter);
            if search.reproduces(&candidate) {
                best = candidate;
            } else {
                position += 1;
            }
        }
    }
    best
}

fn lower_threads(search: &mut Search<'_>, mut best: EditScript) -> EditScript {
    while best.threads > 1 {
        let mut candidate = best.clone();
        candidate.threads -= 1;
        if !search.reproduces(&candidate) {
            break;
        }
        best = candidate;
    }
    best
}

/// Replaces every edit by the whole text it produces, and every text by a literal; skipped
/// edits (no live file, nothing to restore) are dropped. Kept only if it still reproduces.
fn whole_texts(search: &mut Search<'_>, best: EditScript) -> EditScript {
    let mut mirror = Mirror::default();
    let mut candidate = EditScript {
        threads: best.threads,
        initial: Vec::new(),
        steps: Vec::new(),
    };
    for (slot, text) in &best.initial {
        if let Some(written) = mirror.write(*slot, text.render()) {
            candidate.initial.push((*slot, Text::literal(&written)));
        }
    }
    for step in &best.steps {
        match step {
            Step::Edit(slot, edit) => {
                if let Some(text) = mirror.edit(*slot, edit) {
                    candidate
                        .steps
                        .push(Step::Edit(*slot, Edit::ReplaceAll(Text::literal(&text))));
                }
            }
            Step::AddFile(slot, text) => {
                if let Some(written) = mirror.write(*slot, text.render()) {
                    candidate
                        .steps
                        .push(Step::AddFile(*slot, Text::literal(&written)));
                }
            }
            Step::Freeze(slot) => {
                mirror.freeze(*slot);
                candidate.steps.push(step.clone());
            }
            Step::RemoveFile(slot) => {
                mirror.remove(*slot);
                candidate.steps.push(step.clone());
            }
            Step::SetLibrary(slot, library) => {
                mirror.set_library(*slot, *library);
                candidate.steps.push(step.clone());
            }
            other => candidate.steps.push(other.clone()),
        }
    }
    if candidate != best && search.reproduces(&candidate) {
        candidate
    } else {
        best
    }
}

/// Where a script holds a text: an initial file, or a step.
#[derive(Copy, Clone)]
enum TextSite {
    Initial(usize),
    Step(usize),
}

fn text_sites(script: &EditScript) -> Vec<TextSite> {
    let initial = (0..script.initial.len()).map(TextSite::Initial);
    let steps = (0..script.steps.len())
        .filter(|&index| script.steps[index].text().is_some())
        .map(TextSite::Step);
    initial.chain(steps).collect()
}

fn text_at(script: &mut EditScript, site: TextSite) -> Option<&mut Text> {
    match site {
        TextSite::Initial(index) => script.initial.get_mut(index).map(|(_, text)| text),
        TextSite::Step(index) => script.steps.get_mut(index)?.text_mut(),
    }
}

/// Shrinks every text by lines, then tokens, then characters.
fn shrink_texts(search: &mut Search<'_>, mut best: EditScript) -> EditScript {
    for site in text_sites(&best) {
        for split in [split_lines, split_tokens, split_chars] {
            best = shrink_text(search, best, site, split);
        }
    }
    best
}

/// ddmin over the pieces of one text.
fn shrink_text(
    search: &mut Search<'_>,
    mut best: EditScript,
    site: TextSite,
    split: fn(&str) -> Vec<&str>,
) -> EditScript {
    let Some(text) = text_at(&mut best, site).map(|text| text.render()) else {
        return best;
    };
    let pieces: Vec<&str> = split(&text);
    let count = pieces.len();
    let kept = ddmin(pieces, |pieces| {
        let mut candidate = best.clone();
        if let Some(text) = text_at(&mut candidate, site) {
            *text = Text::literal(&pieces.concat());
        }
        search.reproduces(&candidate)
    });
    if kept.len() < count
        && let Some(text) = text_at(&mut best, site)
    {
        // Only a shorter text was ever accepted (by `reproduces` above).
        *text = Text::literal(&kept.concat());
    }
    best
}

fn split_lines(text: &str) -> Vec<&str> {
    text.split_inclusive('\n').collect()
}

/// Python-ish tokens: identifier or number runs, whitespace runs, and single other characters.
fn split_tokens(text: &str) -> Vec<&str> {
    let class = |c: char| {
        if c.is_alphanumeric() || c == '_' {
            0
        } else if c == ' ' || c == '\t' {
            1
        } else {
            2
        }
    };
    let mut pieces = Vec::new();
    let mut start = 0;
    let mut previous: Option<(usize, char)> = None;
    for (index, c) in text.char_indices() {
        if let Some((_, before)) = previous
            && (class(c) != class(before) || class(c) == 2)
        {
            pieces.push(&text[start..index]);
            start = index;
        }
        previous = Some((index, c));
    }
    if start < text.len() {
        pieces.push(&text[start..]);
    }
    pieces
}

fn split_chars(text: &str) -> Vec<&str> {
    text.char_indices()
        .map(|(index, c)| &text[index..index + c.len_utf8()])
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_split_identifiers_spaces_and_punctuation() {
        assert_eq!(
            split_tokens("def f(xy):\n  é"),
            vec!["def", " ", "f", "(", "xy", ")", ":", "\n", "  ", "é"]
        );
        assert_eq!(split_tokens(""), Vec::<&str>::new());
    }
}
