//! Small helpers with no knowledge of salsa or scripts: a stable content hash, atomic file
//! writes, today's date, and a seeded random stream.
//!
//! The module depends on nothing else in the crate, so any module can use it without an import
//! cycle. It promises that [`content_hash`] and [`Fnv`] give the same value on every build and
//! platform (file names and campaign features depend on it), and that [`write_atomically`]
//! leaves either the old file or the whole new one, never a mix. It does not promise that a
//! write survives a power failure on every file system: the directory sync is best effort.

use std::io::{self, Write as _};
use std::path::Path;

/// FNV-1a of `bytes`: stable across builds and platforms, for naming files by content.
pub fn content_hash(bytes: &[u8]) -> u64 {
    let mut hasher = Fnv::default();
    std::hash::Hasher::write(&mut hasher, bytes);
    std::hash::Hasher::finish(&hasher)
}

/// The FNV-1a hasher behind [`content_hash`], for hashing through `Hash` (the campaign's
/// feedback features): deterministic, unlike `std`'s randomly keyed hasher.
pub struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Self {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
}

impl std::hash::Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.0 = (self.0 ^ u64::from(byte)).wrapping_mul(0x100_0000_01b3);
        }
    }
}

/// Writes `bytes` to `path` atomically, creating its directory first.
///
/// The bytes go to a temporary file in the same directory (a rename is atomic only within one
/// file system), which is synced and then renamed over `path`; the directory is synced after
/// (best effort) so that the rename itself is durable. A crash leaves the old file or the new
/// one, and at worst a stray hidden `.tmp*` file.
///
/// The error's message names `path`; its [`io::ErrorKind`] is the original one, so a caller
/// can still tell a full disk ([`io::ErrorKind::StorageFull`]) from other failures.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> io::Result<()> {
    write(path, bytes, true)
}

/// [`write_atomically`] to a file that must not exist yet: when `path` exists (or another
/// process creates it first), nothing is written and the error is
/// [`io::ErrorKind::AlreadyExists`].
pub fn write_new(path: &Path, bytes: &[u8]) -> io::Result<()> {
    write(path, bytes, false)
}

fn write(path: &Path, bytes: &[u8], replace: bool) -> io::Result<()> {
    let named = |error: io::Error| {
        io::Error::new(
            error.kind(),
            format!("cannot write {}: {error}", path.display()),
        )
    };
    let parent = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(parent).map_err(named)?;
    let mut builder = tempfile::Builder::new();
    // tempfile creates files readable by their owner only (0o600); ask for what `fs::write`
    // gives (0o666 less the umask), since entries and reports are shared and committed.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        builder.permissions(std::fs::Permissions::from_mode(0o666));
    }
    let mut file = builder.tempfile_in(parent).map_err(named)?;
    file.write_all(bytes).map_err(named)?;
    file.as_file().sync_all().map_err(named)?;
    // On failure `persist` hands the temporary file back; dropping it deletes it.
    if replace {
        file.persist(path).map_err(|error| named(error.error))?;
    } else {
        file.persist_noclobber(path)
            .map_err(|error| named(error.error))?;
    }
    // Best effort: opening a directory for syncing is not supported everywhere (Windows), and
    // the new file is already complete either way.
    if let Ok(directory) = std::fs::File::open(parent) {
        let _ = directory.sync_all();
    }
    Ok(())
}

/// A `kB` field of `/proc/PROCESS/status` (`VmRSS`, `VmHWM`), for `PROCESS` `self` or a pid;
/// `None` off Linux.
pub fn proc_status_kib(process: &str, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{process}/status")).ok()?;
    let line = status.lines().find(|line| {
        line.strip_prefix(field)
            .is_some_and(|rest| rest.starts_with(':'))
    })?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Today's date in UTC, `YYYY-MM-DD` (metadata only; never used in a decision).
pub fn today() -> String {
    let seconds = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs());
    civil_date((seconds / 86_400) as i64)
}

/// `YYYY-MM-DD` of a day counted from 1970-01-01 (Howard Hinnant's `civil_from_days`).
pub fn civil_date(days: i64) -> String {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_civil() {
        assert_eq!(civil_date(0), "1970-01-01");
        assert_eq!(civil_date(11_016), "2000-02-29");
        assert_eq!(civil_date(20_782), "2026-11-25");
        assert_eq!(today().len(), 10);
    }

    #[test]
    fn this_process_has_a_resident_size() {
        if cfg!(target_os = "linux") {
            let rss = proc_status_kib("self", "VmRSS").expect("VmRSS on Linux");
            let peak = proc_status_kib("self", "VmHWM").expect("VmHWM on Linux");
            assert!(rss > 0 && peak >= rss, "{rss} {peak}");
        }
        assert_eq!(proc_status_kib("self", "NoSuchField"), None);
    }

    #[test]
    fn the_content_hash_is_fnv_1a() {
        // Published FNV-1a 64 test vectors: file names on disk depend on these values.
        assert_eq!(content_hash(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(content_hash(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(content_hash(b"foobar"), 0x8594_4171_f739_67e8);
    }

    #[test]
    fn atomic_writes_create_the_directory_replace_whole_files_and_leave_nothing_behind() {
        let scratch = tempfile::tempdir().expect("a scratch directory");
        let dir = scratch.path().join("util");
        let path = dir.join("nested").join("entry.sfz");
        write_atomically(&path, b"first").expect("the first write");
        write_atomically(&path, b"second").expect("the second write");
        assert_eq!(std::fs::read(&path).ok(), Some(b"second".to_vec()));
        let names: Vec<_> = std::fs::read_dir(dir.join("nested"))
            .expect("the directory exists")
            .flatten()
            .map(|entry| entry.file_name())
            .collect();
        assert_eq!(names, ["entry.sfz"], "no temporary file is left");
        // The same mode as a plain `fs::write`, not tempfile's owner-only default.
        let plain = dir.join("plain");
        std::fs::write(&plain, b"plain").expect("a plain write");
        let mode = |path: &Path| std::fs::metadata(path).expect("metadata").permissions();
        assert_eq!(mode(&path), mode(&plain));
        std::fs::remove_file(&plain).expect("remove");
        // A new file is never written over an existing one.
        let error = write_new(&path, b"third").expect_err("the file exists");
        assert_eq!(error.kind(), io::ErrorKind::AlreadyExists);
        assert_eq!(std::fs::read(&path).ok(), Some(b"second".to_vec()));
        write_new(&dir.join("nested/new.sfz"), b"new").expect("a new file");
        std::fs::remove_file(dir.join("nested/new.sfz")).expect("remove");
        // A directory where the file should be: the error names the path and keeps its kind.
        let error = write_atomically(&dir.join("nested"), b"x").expect_err("a directory");
        assert!(error.to_string().contains("nested"), "{error}");
    }
}

/// A deterministic stream of fuzz inputs (splitmix64): the same seed gives the same inputs,
/// for seeded smoke tests, the benchmark and the built-in runner.
#[derive(Clone, Debug)]
pub struct SeededInputs {
    state: u64,
}

impl SeededInputs {
    /// Starts the stream at `seed`.
    pub fn new(seed: u64) -> Self {
        SeededInputs { state: seed }
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// The next input: 64 to 1,023 random bytes, which decode to scripts of about 30 steps.
    pub fn next_input(&mut self) -> Vec<u8> {
        let len = 64 + (self.next_u64() % 960) as usize;
        (0..len).map(|_| self.next_u64() as u8).collect()
    }
}

impl SeededInputs {
    /// A number below `bound` (0 when `bound` is 0).
    pub fn below(&mut self, bound: usize) -> usize {
        if bound == 0 {
            0
        } else {
            (self.next_u64() % bound as u64) as usize
        }
    }
}
