//! The executor's own record of the files' texts: what each step does to the inputs, kept
//! outside salsa so the model is computed from what the script wrote, never from what salsa
//! reads back. The minimizer replays it to turn edits into whole texts.

use std::collections::{BTreeMap, BTreeSet};

use crate::answers::{ExtraBuiltins, SourceInput};
use crate::script::{Edit, FileSlot, MAX_TEXT_BYTES};

/// How many earlier texts of a file [`Edit::Restore`] can go back to.
const HISTORY: usize = 8;

#[derive(Clone, Debug, Default)]
struct MirrorFile {
    text: String,
    /// Earlier texts, most recent last.
    history: Vec<String>,
    live: bool,
    library: bool,
    /// A builtin stub ([`crate::script::Step::Freeze`]): nothing changes it again.
    frozen: bool,
}

/// Every file a script created, with its text, history, liveness and library flag.
#[derive(Clone, Debug, Default)]
pub struct Mirror {
    files: BTreeMap<&'static str, MirrorFile>,
    builtins: ExtraBuiltins,
}

impl Mirror {
    /// Applies an edit to a live file; returns the new text, or `None` when the step is
    /// skipped (no such live file, a frozen one, or nothing to restore).
    pub fn edit(&mut self, slot: FileSlot, edit: &Edit) -> Option<String> {
        let file = self.files.get(slot.path()).filter(|file| file.live)?;
        let text = apply_edit(&file.text, edit, &file.history)?;
        self.write(slot, text)
    }

    /// Sets a file's text (creating or re-adding it); returns the text as written, capped at
    /// [`MAX_TEXT_BYTES`], or `None` if the file is frozen (the step is skipped).
    pub fn write(&mut self, slot: FileSlot, mut text: String) -> Option<String> {
        truncate_at_char_boundary(&mut text, MAX_TEXT_BYTES);
        let file = self.files.entry(slot.path()).or_default();
        if file.frozen {
            return None;
        }
        let previous = std::mem::replace(&mut file.text, text.clone());
        if file.live {
            file.history.push(previous);
            if file.history.len() > HISTORY {
                file.history.remove(0);
            }
        }
        file.live = true;
        Some(text)
    }

    /// Removes a live file; returns whether it was live (and not frozen).
    pub fn remove(&mut self, slot: FileSlot) -> bool {
        match self
            .files
            .get_mut(slot.path())
            .filter(|file| file.live && !file.frozen)
        {
            Some(file) => {
                file.live = false;
                true
            }
            None => false,
        }
    }

    /// Marks a created file as library code or not; returns whether it was ever created
    /// (and is not frozen).
    pub fn set_library(&mut self, slot: FileSlot, library: bool) -> bool {
        match self.files.get_mut(slot.path()).filter(|file| !file.frozen) {
            Some(file) => {
                file.library = library;
                true
            }
            None => false,
        }
    }

    /// Makes a created file a builtin stub that nothing changes again; returns whether it was
    /// created and not frozen yet.
    pub fn freeze(&mut self, slot: FileSlot) -> bool {
        match self.files.get_mut(slot.path()).filter(|file| !file.frozen) {
            Some(file) => {
                file.frozen = true;
                true
            }
            None => false,
        }
    }

    /// Whether the file is a builtin stub ([`Mirror::freeze`]).
    pub fn is_frozen(&self, slot: FileSlot) -> bool {
        self.files.get(slot.path()).is_some_and(|file| file.frozen)
    }

    /// The text of the file at `path` if it is live (created and not removed).
    pub fn live_text(&self, path: &str) -> Option<&str> {
        self.files
            .get(path)
            .filter(|file| file.live)
            .map(|file| file.text.as_str())
    }

    /// Whether the file was ever created.
    pub fn was_created(&self, slot: FileSlot) -> bool {
        self.files.contains_key(slot.path())
    }

    /// The live files as the model takes them.
    pub fn inputs(&self) -> Vec<SourceInput> {
        self.files
            .iter()
            .filter(|(_, file)| file.live)
            .map(|(path, file)| SourceInput {
                path: (*path).to_owned(),
                text: file.text.clone(),
                is_library: file.library,
            })
            .collect()
    }

    /// Sets the settings' extra builtins.
    pub fn set_settings_builtins(&mut self, names: &[&str]) {
        self.builtins.settings = ExtraBuiltins::sorted(names);
    }

    /// Sets the environment's extra builtins.
    pub fn set_environment_builtins(&mut self, names: &[&str]) {
        self.builtins.environment = ExtraBuiltins::sorted(names);
    }

    /// The names the settings and the environment add to the builtins.
    pub fn builtins(&self) -> &ExtraBuiltins {
        &self.builtins
    }

    /// The paths of every file ever created.
    pub fn created(&self) -> BTreeSet<&'static str> {
        self.files.keys().copied().collect()
    }
}

/// Applies an edit to `text`; `None` when it cannot apply (nothing to restore).
pub fn apply_edit(text: &str, edit: &Edit, history: &[String]) -> Option<String> {
    let clamp = |at: u16| floor_char_boundary(text, usize::from(at).min(text.len()));
    let splice = |at: u16, len: u16, insert: &str| {
        let start = clamp(at);
        let end = floor_char_boundary(text, start.saturating_add(usize::from(len)).min(text.len()));
        let mut out = String::with_capacity(text.len() + insert.len());
        out.push_str(&text[..start]);
        out.push_str(insert);
        out.push_str(&text[end..]);
        out
    };
    Some(match edit {
        Edit::Insert { at, text: insert } => splice(*at, 0, &insert.render()),
        Edit::Delete { at, len } => splice(*at, *len, ""),
        Edit::Replace {
            at,
            len,
            text: insert,
        } => splice(*at, *len, &insert.render()),
        Edit::ReplaceAll(new) => new.render(),
        Edit::Clear => String::new(),
        Edit::Restore(back) => {
            let back = usize::from(*back) % history.len().max(1);
            history.get(history.len().checked_sub(back + 1)?)?.clone()
        }
    })
}

fn floor_char_boundary(text: &str, mut at: usize) -> usize {
    while at > 0 && !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

fn truncate_at_char_boundary(text: &mut String, max: usize) {
    if text.len() > max {
        let at = floor_char_boundary(text, max);
        text.truncate(at);
    }
}
