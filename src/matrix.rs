//! Points the whole suite at another salsa without editing a file: a crates.io release
//! (0.26.0 to 0.28.5 are tested) or a local checkout.
//!
//! `salsa-fuzz salsa <VERSION|PATH> <cargo arguments…>` writes a generated copy of this
//! package's manifest under `target/salsa-matrix/<key>/` whose only change is the salsa
//! dependency (and, for a release, its two macro crates pinned to the same version, which salsa
//! itself requires only with `^`), links `src/`, `tests/`, `corpus/`, `build.rs` and the fuzz
//! targets back to this checkout, copies the lock files so every other dependency stays at our
//! pins, and runs cargo on the generated manifest (`--manifest-path`, or `--fuzz-dir` for
//! `cargo fuzz`). `build.rs` reads the salsa line of whichever manifest it is built from, so
//! `src/db/compat.rs` picks the matching API and findings name that salsa.

mod shuttle_patch;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The oldest release whose synchronization primitives the shuttle patch knows
/// (`src/matrix/shuttle_patch.rs`).
pub const SHUTTLE_OLDEST: (u32, u32, u32) = (0, 24, 0);

/// The salsa of the 2024 API (no fixpoint iteration, `return_ref`, `#[id]` fields): 0.18.x and
/// the git revisions of its development (their manifests say 0.18.0). It is built next to the
/// pinned salsa, for `src/legacy/` (`cfg(salsa_2024)`). Older salsa (0.17 and before) had query
/// groups, which neither database is written for.
pub const API_2024: ((u32, u32, u32), (u32, u32, u32)) = ((0, 18, 0), (0, 18, u32::MAX));

/// The oldest and newest crates.io releases the suite is tested against.
pub const TESTED: (&str, &str) = ("0.22.0", "0.28.5");

/// Which salsa to build against.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SalsaSpec {
    /// A crates.io release, `X.Y.Z`.
    Release(String),
    /// A local checkout of salsa's repository (its root manifest is the `salsa` package).
    Path(PathBuf),
    /// `X.Y.Z+shuttle`: a release's source with the shuttle shim patched
    /// ([`shuttle_patch`]), built with salsa's and this crate's `shuttle` feature: every
    /// script runs under an exact, seeded interleaving.
    Shuttle(String),
}

impl SalsaSpec {
    /// `0.27.0` is a release; anything else must be a directory holding salsa's manifest.
    pub fn parse(text: &str) -> Result<SalsaSpec, String> {
        if let Some(version) = text.strip_suffix("+shuttle") {
            if !is_version(version) {
                return Err(format!("`{text}`: expected `X.Y.Z+shuttle`"));
            }
            if parse_version(version) < Some(SHUTTLE_OLDEST) {
                return Err(format!(
                    "`{text}`: the shuttle patch knows the primitives of salsa 0.24.0 and later"
                ));
            }
            return Ok(SalsaSpec::Shuttle(version.to_owned()));
        }
        if is_version(text) {
            let spec = SalsaSpec::Release(text.to_owned());
            spec.refuse_query_groups()?;
            return Ok(spec);
        }
        let path = Path::new(text);
        if !path.exists() {
            return Err(format!(
                "`{text}` is neither a salsa version (X.Y.Z) nor an existing directory"
            ));
        }
        let path = path
            .canonicalize()
            .map_err(|error| format!("{text}: {error}"))?;
        let manifest = path.join("Cargo.toml");
        let text_of = std::fs::read_to_string(&manifest)
            .map_err(|error| format!("{}: {error}", manifest.display()))?;
        if !text_of.lines().any(|line| {
            let line = line.trim().replace(' ', "");
            line == "name=\"salsa\""
        }) {
            return Err(format!(
                "{} is not salsa's manifest (no `name = \"salsa\"`)",
                manifest.display()
            ));
        }
        let spec = SalsaSpec::Path(path);
        spec.refuse_query_groups()?;
        Ok(spec)
    }

    /// An error for a salsa older than the 2024 API (query groups).
    fn refuse_query_groups(&self) -> Result<(), String> {
        match self.version() {
            Some(version) if version < API_2024.0 => Err(format!(
                "salsa {}.{}.{} predates the 2024 API (query groups): the suite needs 0.18.0 or later",
                version.0, version.1, version.2
            )),
            _ => Ok(()),
        }
    }

    /// The directory name under `target/salsa-matrix/`.
    pub fn key(&self) -> String {
        match self {
            SalsaSpec::Release(version) => version.clone(),
            SalsaSpec::Shuttle(version) => format!("{version}+shuttle"),
            SalsaSpec::Path(path) => format!(
                "path-{:016x}",
                crate::util::content_hash(path.to_string_lossy().as_bytes())
            ),
        }
    }

    /// The dependency lines that replace `salsa = "=…"` in the generated manifest.
    fn dependency_lines(&self) -> String {
        match self {
            SalsaSpec::Release(version) => format!(
                "salsa = \"={version}\"\nsalsa-macros = \"={version}\"\nsalsa-macro-rules = \"={version}\"\n"
            ),
            SalsaSpec::Path(path) => {
                format!(
                    "salsa = {{ path = {} }}\n",
                    toml_string(&path.to_string_lossy())
                )
            }
            // salsa's `shuttle` feature comes with this crate's (on by default there).
            SalsaSpec::Shuttle(version) => format!(
                "salsa = {{ path = \"salsa\" }}\n\
                 salsa-macros = \"={version}\"\nsalsa-macro-rules = \"={version}\"\n"
            ),
        }
    }

    /// The dependency line that adds a 2024-API salsa next to the pinned one.
    fn dependency_lines_2024(&self) -> String {
        match self {
            SalsaSpec::Path(path) => format!(
                "salsa-2024 = {{ package = \"salsa\", path = {} }}\n",
                toml_string(&path.to_string_lossy())
            ),
            SalsaSpec::Release(version) | SalsaSpec::Shuttle(version) => {
                format!("salsa-2024 = {{ package = \"salsa\", version = \"={version}\" }}\n")
            }
        }
    }

    /// The salsa release this spec builds: the version itself, or a checkout's package version.
    fn version(&self) -> Option<(u32, u32, u32)> {
        match self {
            SalsaSpec::Release(version) | SalsaSpec::Shuttle(version) => parse_version(version),
            SalsaSpec::Path(path) => {
                let manifest = std::fs::read_to_string(path.join("Cargo.toml")).ok()?;
                let package = manifest.split("[package]").nth(1)?;
                let line = package
                    .lines()
                    .map(str::trim)
                    .find(|line| line.starts_with("version"))?;
                parse_version(line.split_once('=')?.1.trim().trim_matches('"'))
            }
        }
    }

    /// Whether this is a checkout of salsa's 2024 API, which the main database cannot be built
    /// on: it is built next to the pinned salsa instead, and `run` uses `src/legacy/`.
    pub fn is_2024_api(&self) -> bool {
        matches!(self, SalsaSpec::Path(_) | SalsaSpec::Release(_))
            && self
                .version()
                .is_some_and(|version| (API_2024.0..=API_2024.1).contains(&version))
    }

    /// A release outside the tested range still builds if its API matches one we know; say so.
    pub fn warning(&self) -> Option<String> {
        if self.is_2024_api() {
            return Some(
                "this salsa has the 2024 API (no fixpoint iteration): it is built next to the \
                 pinned salsa, and `run` and `repro` use the per-file database of src/legacy/"
                    .to_owned(),
            );
        }
        let (SalsaSpec::Release(version) | SalsaSpec::Shuttle(version)) = self else {
            return None;
        };
        let parsed = parse_version(version)?;
        let (oldest, newest) = TESTED;
        let in_range = parsed >= parse_version(oldest)? && parsed <= parse_version(newest)?;
        (!in_range).then(|| {
            format!(
                "salsa {version} is outside the tested range {oldest} to {newest}; building anyway"
            )
        })
    }
}

fn is_version(text: &str) -> bool {
    parse_version(text).is_some()
}

/// A line of our manifest's `[features]` table whose array names a salsa feature that
/// `version` does not have (`persistence` came with 0.24.0, `shuttle` with 0.23.0), rewritten
/// without it: cargo refuses a manifest whose feature names a dependency's missing feature,
/// even when the feature is off. `None` for every other line, and for a line that is not one
/// `name = [..]` array.
fn without_missing_features(version: (u32, u32, u32), line: &str) -> Option<String> {
    const MISSING: [(&str, (u32, u32, u32)); 2] = [
        ("\"salsa/persistence\"", (0, 24, 0)),
        ("\"salsa/shuttle\"", (0, 23, 0)),
    ];
    let (name, array) = line.split_once('=')?;
    let elements = array.trim().strip_prefix('[')?.strip_suffix(']')?;
    let all: Vec<&str> = elements
        .split(',')
        .map(str::trim)
        .filter(|element| !element.is_empty())
        .collect();
    let kept: Vec<&str> = all
        .iter()
        .copied()
        .filter(|element| {
            !MISSING
                .iter()
                .any(|(feature, since)| element == feature && version < *since)
        })
        .collect();
    (kept.len() != all.len()).then(|| format!("{}= [{}]", name, kept.join(", ")))
}

/// `X.Y.Z` as numbers.
pub fn parse_version(text: &str) -> Option<(u32, u32, u32)> {
    let mut parts = text.split('.');
    let version = (
        parts.next()?.parse().ok()?,
        parts.next()?.parse().ok()?,
        parts.next()?.parse().ok()?,
    );
    parts.next().is_none().then_some(version)
}

fn toml_string(text: &str) -> String {
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
}

/// The generated package for one salsa.
#[derive(Clone, Debug)]
pub struct Generated {
    /// The package directory (`target/salsa-matrix/<key>`).
    pub dir: PathBuf,
}

impl Generated {
    /// The generated manifest.
    pub fn manifest(&self) -> PathBuf {
        self.dir.join("Cargo.toml")
    }

    /// The generated cargo-fuzz directory.
    pub fn fuzz_dir(&self) -> PathBuf {
        self.dir.join("fuzz")
    }

    /// Where `cargo build --profile PROFILE` puts the `salsa-fuzz` binary.
    pub fn binary(&self, profile: &str) -> PathBuf {
        self.dir.join("target").join(profile).join("salsa-fuzz")
    }
}

/// Writes (or refreshes) the generated package for `spec` under `root/target/salsa-matrix/`,
/// where `root` is this checkout.
pub fn generate(root: &Path, spec: &SalsaSpec) -> Result<Generated, String> {
    let manifest_path = root.join("Cargo.toml");
    let manifest = std::fs::read_to_string(&manifest_path)
        .map_err(|error| format!("{}: {error}", manifest_path.display()))?;
    let generated = generated_manifest(&manifest, spec).ok_or_else(|| {
        format!(
            "{} has no `salsa = …` line to replace",
            manifest_path.display()
        )
    })?;
    write_generated(root, spec, &generated)
}

/// This package's manifest `manifest` with the salsa dependency `spec` asks for; `None` if it
/// has no `salsa = …` line.
fn generated_manifest(manifest: &str, spec: &SalsaSpec) -> Option<String> {
    let mut replaced = false;
    let mut generated = String::from(
        "# Generated by `salsa-fuzz salsa`; edits are overwritten. The checkout's manifest with\n\
         # one change: the salsa dependency.\n",
    );
    let shuttle = matches!(spec, SalsaSpec::Shuttle(_));
    // A 2024-API checkout is built next to the pinned salsa, whose features all exist.
    let version = spec.version().filter(|_| !spec.is_2024_api());
    let mut in_features = false;
    for line in manifest.lines() {
        if line.starts_with('[') {
            in_features = line.trim() == "[features]";
        }
        if shuttle && line.trim_start().starts_with("default = [") {
            // The shuttle build runs every script under shuttle: the feature joins the default.
            generated.push_str(&line.replacen("default = [", "default = [\"shuttle\", ", 1));
            generated.push('\n');
        } else if let Some(line) = version
            .filter(|_| in_features)
            .and_then(|version| without_missing_features(version, line))
        {
            generated.push_str(&line);
            generated.push('\n');
        } else if !replaced && line.trim_start().starts_with("salsa = ") {
            if spec.is_2024_api() {
                // The pinned salsa stays for everything else; the 2024 one joins it.
                generated.push_str(line);
                generated.push('\n');
                generated.push_str(&spec.dependency_lines_2024());
            } else {
                generated.push_str(&spec.dependency_lines());
            }
            replaced = true;
        } else {
            generated.push_str(line);
            generated.push('\n');
        }
    }
    if !replaced {
        return None;
    }
    generated.push_str("\n# Its own workspace, apart from the checkout's.\n[workspace]\n");
    if shuttle {
        // The patched salsa copy inside it is a dependency, not a member.
        generated.push_str("exclude = [\"salsa\"]\n");
    }
    Some(generated)
}

/// Writes the generated package under `target/salsa-matrix/`: the manifest, links to this
/// checkout's sources, the lock files and the fuzz crate.
fn write_generated(root: &Path, spec: &SalsaSpec, generated: &str) -> Result<Generated, String> {
    let shuttle = matches!(spec, SalsaSpec::Shuttle(_));
    let dir = root.join("target/salsa-matrix").join(spec.key());
    let fuzz = dir.join("fuzz");
    std::fs::create_dir_all(&fuzz).map_err(|error| format!("{}: {error}", fuzz.display()))?;
    if let SalsaSpec::Shuttle(version) = spec {
        copy_patched_salsa(root, version, &dir.join("salsa"))?;
    }
    write_if_changed(&dir.join("Cargo.toml"), generated)?;
    for name in ["src", "tests", "corpus", "build.rs", "README.md"] {
        link(&root.join(name), &dir.join(name))?;
    }
    copy(&root.join("Cargo.lock"), &dir.join("Cargo.lock"))?;

    // The fuzz crate's manifest names `path = ".."`, which is now the generated package.
    let mut fuzz_manifest = std::fs::read_to_string(root.join("fuzz/Cargo.toml"))
        .map_err(|error| format!("fuzz/Cargo.toml: {error}"))?;
    if shuttle {
        // The targets depend on this crate without its default features: turn shuttle on
        // there too, or salsa's primitives would be shuttle's outside any execution.
        fuzz_manifest =
            fuzz_manifest.replacen("[features]\n", "[features]\ndefault = [\"shuttle\"]\n", 1);
    }
    write_if_changed(&fuzz.join("Cargo.toml"), &fuzz_manifest)?;
    for name in ["fuzz_targets", "dict", "options"] {
        link(&root.join("fuzz").join(name), &fuzz.join(name))?;
    }
    copy(&root.join("fuzz/Cargo.lock"), &fuzz.join("Cargo.lock"))?;
    Ok(Generated { dir })
}

/// `$CARGO_HOME/registry/src` (`$CARGO_HOME` defaults to `~/.cargo`): where cargo unpacks the
/// crates it downloads, one directory per registry.
pub fn registry_sources() -> Option<PathBuf> {
    let cargo_home = std::env::var_os("CARGO_HOME")
        .filter(|home| !home.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cargo")))?;
    Some(cargo_home.join("registry/src"))
}

/// The registry source of salsa `version` (`…/registry/src/*/salsa-VERSION`): the first
/// registry, by name, that has it.
pub fn registry_source(version: &str) -> Option<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(registry_sources()?)
        .ok()?
        .flatten()
        .map(|registry| registry.path().join(format!("salsa-{version}")))
        .filter(|dir| dir.join("Cargo.toml").is_file())
        .collect();
    found.sort();
    found.into_iter().next()
}

/// Puts salsa `version`'s source, patched for shuttle, at `dir`: from cargo's registry,
/// which a build against the plain release fills first when it lacks the version.
fn copy_patched_salsa(root: &Path, version: &str, dir: &Path) -> Result<(), String> {
    let source = match registry_source(version) {
        Some(source) => source,
        None => {
            let release = generate(root, &SalsaSpec::Release(version.to_owned()))?;
            let status = Command::new("cargo")
                .args(["fetch", "--manifest-path"])
                .arg(release.manifest())
                .status()
                .map_err(|error| format!("could not run cargo: {error}"))?;
            if !status.success() {
                return Err(format!("cargo could not fetch salsa {version} ({status})"));
            }
            registry_source(version).ok_or_else(|| {
                format!("cargo fetched salsa {version}, but it is not under the registry sources")
            })?
        }
    };
    shuttle_patch::prepare(&source, dir)
}

/// Rewrites `path` only when its content differs, so cargo's fingerprints stay fresh.
fn write_if_changed(path: &Path, content: &str) -> Result<(), String> {
    if std::fs::read_to_string(path).is_ok_and(|old| old == content) {
        return Ok(());
    }
    crate::util::write_atomically(path, content.as_bytes())
        .map_err(|error| format!("{}: {error}", path.display()))
}

fn copy(from: &Path, to: &Path) -> Result<(), String> {
    let content =
        std::fs::read_to_string(from).map_err(|error| format!("{}: {error}", from.display()))?;
    write_if_changed(to, &content)
}

fn link(target: &Path, link: &Path) -> Result<(), String> {
    if std::fs::read_link(link).is_ok_and(|existing| existing == target) {
        return Ok(());
    }
    let _ = std::fs::remove_file(link);
    std::os::unix::fs::symlink(target, link)
        .map_err(|error| format!("{} -> {}: {error}", link.display(), target.display()))
}

/// The cargo command line that runs `args` (a cargo command line without `cargo`) against the
/// generated package: `--manifest-path` after the subcommand, or `--fuzz-dir` after
/// `fuzz <subcommand>`. A leading `+toolchain` stays first.
pub fn cargo_command(generated: &Generated, args: &[String]) -> Result<Command, String> {
    let mut args = args.to_vec();
    let mut command = Command::new("cargo");
    if args.first().is_some_and(|first| first.starts_with('+')) {
        command.arg(args.remove(0));
    }
    let Some(subcommand) = args.first().cloned() else {
        return Err(
            "no cargo command given (e.g. `test`, `run --release -- run`, `fuzz run edit_script`)"
                .to_owned(),
        );
    };
    if subcommand == "fuzz" {
        let Some(fuzz_command) = args.get(1).cloned() else {
            return Err(
                "`fuzz` needs a cargo-fuzz command (e.g. `fuzz run edit_script`)".to_owned(),
            );
        };
        command.args(["fuzz", &fuzz_command, "--fuzz-dir"]);
        command.arg(generated.fuzz_dir());
        command.args(&args[2..]);
    } else {
        command
            .arg(&subcommand)
            .arg("--manifest-path")
            .arg(generated.manifest());
        command.args(&args[1..]);
    }
    Ok(command)
}

/// Builds the release `salsa-fuzz` binary against `spec` and returns its path.
pub fn build_release_binary(root: &Path, spec: &SalsaSpec) -> Result<PathBuf, String> {
    build_binary(root, spec, "release", None)
}

/// Builds the `salsa-fuzz` binary against `spec` with a cargo profile of this package's
/// manifest (`release`, or `mutants` for the mutation benchmark's incremental rebuilds) and
/// returns its path. Cargo's diagnostics go to `log` when given (a mutant that does not
/// compile is an expected outcome there, not noise for the terminal), else to stderr.
pub fn build_binary(
    root: &Path,
    spec: &SalsaSpec,
    profile: &str,
    log: Option<&Path>,
) -> Result<PathBuf, String> {
    let generated = generate(root, spec)?;
    let mut command = Command::new("cargo");
    command
        .args(["build", "--profile", profile, "--bin", "salsa-fuzz"])
        .arg("--manifest-path")
        .arg(generated.manifest());
    match log {
        Some(path) => {
            let file = std::fs::File::create(path)
                .map_err(|error| format!("{}: {error}", path.display()))?;
            command.stdout(Stdio::null()).stderr(file);
        }
        None => {
            command.arg("--quiet");
        }
    }
    let status = command
        .status()
        .map_err(|error| format!("could not run cargo: {error}"))?;
    if !status.success() {
        return Err(format!(
            "building against salsa {} failed ({status})",
            spec.key()
        ));
    }
    Ok(generated.binary(profile))
}

/// `salsa-fuzz salsa SPEC CARGO-ARGS...`: runs cargo with `cargo_args` against the salsa
/// `spec` names (a usage error is `Err` before anything runs) and returns cargo's status.
pub fn run_cargo_against(
    spec: &str,
    cargo_args: &[String],
    log: &mut dyn FnMut(&str),
) -> Result<std::process::ExitStatus, String> {
    let spec = SalsaSpec::parse(spec)?;
    if let Some(warning) = spec.warning() {
        log(&warning);
    }
    let root = checkout_root()?;
    let generated = generate(&root, &spec)?;
    let mut command = cargo_command(&generated, cargo_args)?;
    log(&format!(
        "salsa {} via {}",
        spec.key(),
        generated.manifest().display()
    ));
    command
        .status()
        .map_err(|error| format!("could not run cargo: {error}"))
}

/// `corpus check DIR --salsa SPEC`: builds this suite against that salsa and replays the
/// corpus there, so an upgrade's fixes and regressions show as verdicts; returns the built
/// suite's status.
pub fn corpus_check_against(
    spec: &str,
    dir: &Path,
    log: &mut dyn FnMut(&str),
) -> Result<std::process::ExitStatus, String> {
    let spec = SalsaSpec::parse(spec)?;
    // Fail on a missing or empty directory before spending minutes on a build.
    let entries = crate::corpus::entries_under(dir).map_err(|error| error.to_string())?;
    if entries.is_empty() {
        return Err(format!(
            "{}: no corpus entries (`.sfz` files) here",
            dir.display()
        ));
    }
    let root = checkout_root()?;
    log(&format!("building against salsa {} ...", spec.key()));
    let binary = build_release_binary(&root, &spec)?;
    Command::new(binary)
        .args(["corpus", "check"])
        .arg(dir)
        .status()
        .map_err(|error| format!("could not run the built suite: {error}"))
}

/// This checkout's root: the directory holding the `salsa-fuzz` manifest, found from the
/// current directory upwards.
pub fn checkout_root() -> Result<PathBuf, String> {
    let start = std::env::current_dir().map_err(|error| format!("current directory: {error}"))?;
    let mut dir: &Path = &start;
    loop {
        let manifest = dir.join("Cargo.toml");
        if std::fs::read_to_string(&manifest)
            .is_ok_and(|text| text.contains("name = \"salsa-fuzz\""))
            && !manifest_is_generated(&manifest)
        {
            return Ok(dir.to_path_buf());
        }
        dir = dir.parent().ok_or_else(|| {
            format!(
                "no salsa-fuzz checkout at or above {} (run this from the repository)",
                start.display()
            )
        })?;
    }
}

fn manifest_is_generated(manifest: &Path) -> bool {
    std::fs::read_to_string(manifest)
        .is_ok_and(|text| text.starts_with("# Generated by `salsa-fuzz salsa`"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_and_paths_are_told_apart() {
        assert_eq!(
            SalsaSpec::parse("0.27.0"),
            Ok(SalsaSpec::Release("0.27.0".to_owned()))
        );
        let error = SalsaSpec::parse("0.27").unwrap_err();
        assert!(error.contains("neither a salsa version"), "{error}");
        let error = SalsaSpec::parse(env!("CARGO_MANIFEST_DIR")).unwrap_err();
        assert!(error.contains("is not salsa's manifest"), "{error}");
        assert!(SalsaSpec::Release("0.21.1".to_owned()).warning().is_some());
        assert!(SalsaSpec::Release("0.25.0".to_owned()).warning().is_none());
        assert!(SalsaSpec::Release("0.27.2".to_owned()).warning().is_none());
        let error = SalsaSpec::parse("0.23.0+shuttle").unwrap_err();
        assert!(error.contains("0.24.0 and later"), "{error}");
    }

    #[test]
    fn features_an_old_release_lacks_are_left_out() {
        let persistence = "persistence = [\"salsa/persistence\"]";
        let shuttle = "shuttle = [\"dep:shuttle\", \"salsa/shuttle\"]";
        assert_eq!(
            without_missing_features((0, 23, 0), persistence),
            Some("persistence = []".to_owned())
        );
        assert_eq!(without_missing_features((0, 24, 0), persistence), None);
        assert_eq!(without_missing_features((0, 23, 0), shuttle), None);
        assert_eq!(
            without_missing_features((0, 22, 0), shuttle),
            Some("shuttle = [\"dep:shuttle\"]".to_owned())
        );
        assert_eq!(
            without_missing_features((0, 22, 0), "shuttle = [\"salsa/shuttle\",\"dep:shuttle\"]"),
            Some("shuttle = [\"dep:shuttle\"]".to_owned())
        );
        // Not one array: left alone.
        assert_eq!(without_missing_features((0, 22, 0), "shuttle = ["), None);
        assert_eq!(
            without_missing_features((0, 22, 0), "# \"salsa/shuttle\""),
            None
        );
        assert_eq!(
            without_missing_features((0, 22, 0), "salsa = \"=0.28.5\""),
            None
        );
    }

    #[test]
    fn cargo_arguments_go_to_the_generated_package() {
        let generated = Generated {
            dir: PathBuf::from("/g"),
        };
        let args = |list: &[&str]| list.iter().map(|arg| (*arg).to_owned()).collect::<Vec<_>>();
        let render = |command: Command| {
            command
                .get_args()
                .map(|arg| arg.to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join(" ")
        };
        let test = cargo_command(&generated, &args(&["test", "--release"])).unwrap();
        assert_eq!(render(test), "test --manifest-path /g/Cargo.toml --release");
        let fuzz = cargo_command(
            &generated,
            &args(&["+nightly", "fuzz", "run", "edit_script"]),
        )
        .unwrap();
        assert_eq!(
            render(fuzz),
            "+nightly fuzz run --fuzz-dir /g/fuzz edit_script"
        );
        assert!(cargo_command(&generated, &[]).is_err());
    }

    /// A checkout of salsa's 2024 API is built next to the pinned salsa, whose features all
    /// stay; a newer checkout replaces it, without the features its release lacks.
    #[test]
    fn a_2024_api_checkout_joins_the_pinned_salsa() {
        let checkout = |version: &str| {
            let dir = tempfile::tempdir().unwrap();
            std::fs::write(
                dir.path().join("Cargo.toml"),
                format!("[package]\nname = \"salsa\"\nversion = \"{version}\"\n"),
            )
            .unwrap();
            let spec = SalsaSpec::parse(&dir.path().to_string_lossy()).unwrap();
            (dir, spec)
        };
        let ours = "[package]\nname = \"salsa-fuzz\"\n[features]\n\
                    persistence = [\"salsa/persistence\"]\n[dependencies]\nsalsa = \"=0.28.5\"\n";

        let (dir, old) = checkout("0.18.0");
        assert!(old.is_2024_api());
        assert!(old.warning().unwrap().contains("2024 API"));
        let manifest = generated_manifest(ours, &old).unwrap();
        assert!(manifest.contains("\nsalsa = \"=0.28.5\"\n"), "{manifest}");
        let path = dir.path().canonicalize().unwrap();
        let line = format!(
            "salsa-2024 = {{ package = \"salsa\", path = {} }}",
            toml_string(&path.to_string_lossy())
        );
        assert!(manifest.contains(&line), "{manifest}");
        assert!(
            manifest.contains("persistence = [\"salsa/persistence\"]"),
            "{manifest}"
        );

        let older = tempfile::tempdir().unwrap();
        std::fs::write(
            older.path().join("Cargo.toml"),
            "[package]\nname = \"salsa\"\nversion = \"0.17.0\"\n",
        )
        .unwrap();
        let error = SalsaSpec::parse(&older.path().to_string_lossy()).unwrap_err();
        assert!(error.contains("predates the 2024 API"), "{error}");
        assert!(SalsaSpec::parse("0.17.0").is_err());

        let (_dir, newer) = checkout("0.22.0");
        assert!(!newer.is_2024_api());
        let manifest = generated_manifest(ours, &newer).unwrap();
        assert!(!manifest.contains("salsa-2024"), "{manifest}");
        assert!(!manifest.contains("=0.28.5"), "{manifest}");
        assert!(manifest.contains("persistence = []"), "{manifest}");
        let release = SalsaSpec::Release("0.18.0".to_owned());
        assert!(release.is_2024_api());
        let manifest = generated_manifest(ours, &release).unwrap();
        assert!(manifest.contains("\nsalsa = \"=0.28.5\"\n"), "{manifest}");
        assert!(
            manifest.contains("salsa-2024 = { package = \"salsa\", version = \"=0.18.0\" }"),
            "{manifest}"
        );
    }
}
