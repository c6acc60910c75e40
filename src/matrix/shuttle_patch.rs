//! The salsa a shuttle build runs: a release's source, copied from cargo's registry, with one
//! documented patch to its `shuttle` shim.
//!
//! salsa's `sync.rs` wraps shuttle's `Mutex` and `Condvar` to mirror parking_lot's API, but
//! unwraps their `LockResult`s. parking_lot has no poisoning; shuttle's mutex, like std's, is
//! poisoned when a thread unwinds while holding it. salsa unwinds on purpose: `Cancelled`
//! (a write, a cancelled request) and a panic propagated to the threads waiting on a query
//! both unwind through salsa frames that hold its locks. Under shuttle the next `lock()` of
//! such a mutex then panics with `PoisonError`, which is why salsa's own shuttle tests exclude
//! every test that cancels or panics. The patch makes the shim do what parking_lot does, which
//! is what salsa runs with outside shuttle: take the lock and its data as they are.
//!
//! What it could hide: a salsa bug that leaves a lock's data half-updated when a thread
//! unwinds is invisible to poisoning in production too (parking_lot), so the patch hides
//! nothing that a release build would show.
//!
//! salsa 0.24.0 to 0.26.2 build their `shuttle` feature on shuttle 0.8; the copy's manifest
//! names shuttle 0.9.1 instead ([`shuttle_manifest`]), the same one-line change salsa made
//! itself for 0.27.0, so the mode's executions and salsa's primitives share one runtime.

use std::path::Path;

/// Each replacement the patch makes in `src/sync.rs`: the shim's three unwraps of a
/// `LockResult`.
const REPLACEMENTS: [(&str, &str); 3] = [
    (
        "self.0.lock().unwrap()",
        "self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner)",
    ),
    (
        "self.0.get_mut().unwrap()",
        "self.0.get_mut().unwrap_or_else(std::sync::PoisonError::into_inner)",
    ),
    (
        "self.0.wait(guard).unwrap()",
        "self.0.wait(guard).unwrap_or_else(std::sync::PoisonError::into_inner)",
    ),
];

/// The first line of a patched `sync.rs`, so a copy is patched once and recognised.
const MARK: &str = "// Patched by salsa-fuzz (src/matrix/shuttle_patch.rs): poisoning ignored, as with parking_lot.\n";

/// Applies the patch to the text of salsa's `src/sync.rs`.
pub fn patch_sync(text: &str) -> Result<String, String> {
    if text.starts_with(MARK) {
        return Ok(text.to_owned());
    }
    let mut patched = format!("{MARK}{text}");
    for (from, to) in REPLACEMENTS {
        let count = patched.matches(from).count();
        if count != 1 {
            return Err(format!(
                "salsa's src/sync.rs has `{from}` {count} times, not once: this salsa's shuttle \
                 shim is not the one the patch knows (salsa 0.24 to 0.28)"
            ));
        }
        patched = patched.replacen(from, to, 1);
    }
    Ok(patched)
}

/// The shuttle the mode drives: salsa's `shuttle` feature must use the same major version,
/// or salsa's primitives would belong to another shuttle runtime than the executions.
const SHUTTLE_MAJOR: &str = "0.9";

/// The version a salsa on shuttle 0.8 is moved to.
const SHUTTLE_VERSION: &str = "0.9.1";

/// The shuttle version salsa's published manifest names for its `shuttle` feature.
fn shuttle_version(manifest: &str) -> Option<String> {
    let mut lines = manifest
        .lines()
        .skip_while(|line| line.trim() != "[dependencies.shuttle]");
    lines
        .nth(1)
        .and_then(|line| line.trim().strip_prefix("version = "))
        .map(|version| version.trim_matches('"').to_owned())
}

/// The manifest salsa is built from under shuttle: as published when its `shuttle` feature is
/// on shuttle 0.9 (salsa 0.27.0 and later); moved to shuttle 0.9.1 when it is on 0.8 (salsa
/// 0.24.0 to 0.26.2). The move is the one salsa made itself: salsa#1105 changed the shuttle
/// line of its manifest from 0.8.1 to 0.9.1 and nothing in `src/`, and shuttle 0.9 kept every
/// API salsa's shim uses. Anything else is refused.
pub fn shuttle_manifest(manifest: &str) -> Result<String, String> {
    match shuttle_version(manifest) {
        Some(version) if version.starts_with(SHUTTLE_MAJOR) => Ok(manifest.to_owned()),
        Some(version) if version.starts_with("0.8") => {
            let moved = manifest.replacen(
                &format!("[dependencies.shuttle]\nversion = \"{version}\""),
                &format!("[dependencies.shuttle]\nversion = \"{SHUTTLE_VERSION}\""),
                1,
            );
            if shuttle_version(&moved).as_deref() == Some(SHUTTLE_VERSION) {
                Ok(moved)
            } else {
                Err(format!(
                    "could not move this salsa's `shuttle` dependency from {version} to \
                     {SHUTTLE_VERSION}: its manifest is not laid out as cargo publishes it"
                ))
            }
        }
        Some(version) => Err(format!(
            "this salsa's `shuttle` feature uses shuttle {version}; the shuttle mode drives \
             shuttle {SHUTTLE_MAJOR} and can move a salsa on 0.8 to it, nothing else"
        )),
        None => {
            Err("this salsa has no `shuttle` feature (salsa 0.23.0 and later have one)".to_owned())
        }
    }
}

/// Copies `from` into `to` (files and directories; symlinks are not followed).
pub fn copy_tree(from: &Path, to: &Path) -> Result<(), String> {
    std::fs::create_dir_all(to).map_err(|error| format!("{}: {error}", to.display()))?;
    let entries =
        std::fs::read_dir(from).map_err(|error| format!("{}: {error}", from.display()))?;
    for entry in entries {
        let entry = entry.map_err(|error| format!("{}: {error}", from.display()))?;
        let kind = entry
            .file_type()
            .map_err(|error| format!("{}: {error}", entry.path().display()))?;
        let target = to.join(entry.file_name());
        if kind.is_dir() {
            copy_tree(&entry.path(), &target)?;
        } else if kind.is_file() {
            std::fs::copy(entry.path(), &target)
                .map_err(|error| format!("{}: {error}", target.display()))?;
        }
    }
    Ok(())
}

/// Makes `dir` hold salsa `version`'s source with the patch applied, from `source` (the
/// registry's copy). An existing patched copy is kept.
pub fn prepare(source: &Path, dir: &Path) -> Result<(), String> {
    let manifest = source.join("Cargo.toml");
    let text = std::fs::read_to_string(&manifest)
        .map_err(|error| format!("{}: {error}", manifest.display()))?;
    let moved = shuttle_manifest(&text)?;
    let sync = dir.join("src/sync.rs");
    if std::fs::read_to_string(&sync).is_ok_and(|text| text.starts_with(MARK)) {
        return Ok(());
    }
    copy_tree(source, dir)?;
    // The manifest first: the mark on `sync.rs`, written last, says the copy is complete.
    let copied = dir.join("Cargo.toml");
    crate::util::write_atomically(&copied, moved.as_bytes())
        .map_err(|error| format!("{}: {error}", copied.display()))?;
    let text =
        std::fs::read_to_string(&sync).map_err(|error| format!("{}: {error}", sync.display()))?;
    let patched = patch_sync(&text)?;
    crate::util::write_atomically(&sync, patched.as_bytes())
        .map_err(|error| format!("{}: {error}", sync.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHIM: &str = "pub fn lock(&self) -> MutexGuard<'_, T> {\n    self.0.lock().unwrap()\n}\n\
        pub fn get_mut(&mut self) -> &mut T {\n    self.0.get_mut().unwrap()\n}\n\
        pub fn wait(&self, guard: G) -> G {\n    self.0.wait(guard).unwrap()\n}\n";

    #[test]
    fn the_patch_replaces_each_unwrap_once_and_only_once() {
        let patched = patch_sync(SHIM).unwrap();
        assert!(!patched.contains(".unwrap()"), "{patched}");
        assert_eq!(patched.matches("PoisonError::into_inner").count(), 3);
        assert_eq!(patch_sync(&patched).unwrap(), patched, "patching twice");
        let error = patch_sync(&SHIM.replace("self.0.get_mut().unwrap()", "todo!()")).unwrap_err();
        assert!(error.contains("0 times"), "{error}");
    }

    #[test]
    fn a_salsa_on_shuttle_0_8_is_moved_to_0_9_and_nothing_else_changes() {
        let manifest = |version: &str| {
            format!(
                "[dependencies.serde]\nversion = \"1\"\n\n[dependencies.shuttle]\nversion = \"{version}\"\noptional = true\n"
            )
        };
        // (as published, as built): 0.9 kept, 0.8 moved to 0.9.1.
        for (published, built) in [
            ("0.9.1", "0.9.1"),
            ("0.9.3", "0.9.3"),
            ("0.8.1", "0.9.1"),
            ("0.8.0", "0.9.1"),
        ] {
            assert_eq!(
                shuttle_manifest(&manifest(published)).unwrap(),
                manifest(built),
                "{published}"
            );
        }
        let error = shuttle_manifest(&manifest("0.7.0")).unwrap_err();
        assert!(error.contains("uses shuttle 0.7.0"), "{error}");
        let error = shuttle_manifest("[dependencies.serde]\nversion = \"1\"\n").unwrap_err();
        assert!(error.contains("no `shuttle` feature"), "{error}");
    }

    #[test]
    fn the_patch_fits_the_salsa_this_suite_pins() {
        // Cargo unpacked a release to build this crate (a local checkout has no registry copy).
        if crate::db::compat::SALSA.contains("(path ") {
            return;
        }
        let version = crate::known_bugs::release_of(crate::db::compat::SALSA);
        let parsed = crate::matrix::parse_version(version).expect("a release's version");
        if parsed < crate::matrix::SHUTTLE_OLDEST {
            return;
        }
        let source = crate::matrix::registry_source(version)
            .expect("cargo's registry holds the salsa built here");
        let text = std::fs::read_to_string(source.join("src/sync.rs")).unwrap();
        assert!(patch_sync(&text).is_ok());
        // Taken as published from 0.27.0 on (shuttle 0.9), moved to 0.9.1 before (shuttle
        // 0.8), as the README says.
        let manifest = std::fs::read_to_string(source.join("Cargo.toml")).unwrap();
        let moved = shuttle_manifest(&manifest).unwrap();
        assert!(
            shuttle_version(&moved).is_some_and(|built| built.starts_with(SHUTTLE_MAJOR)),
            "salsa {version}"
        );
        let on_shuttle_0_9 = crate::matrix::parse_version(version) >= Some((0, 27, 0));
        assert_eq!(moved == manifest, on_shuttle_0_9, "salsa {version}");
    }
}
