//! What a worker tells its campaign, and the per-run input file it leaves behind.
//!
//! Messages are JSON lines on the worker's stdout, one [`WorkerMessage`] each (serde's
//! internally tagged form, `{"type":"stats",...}`). A line that does not parse is ignored by
//! the campaign but kept, like stderr, among the worker's last lines for a crash report.
//!
//! The per-run input ([`InputRecord`]) is written before every run with one positioned write of
//! a header (length and hash) and the script's bytes; a worker killed at any point leaves
//! either the previous record or the new one whole, and a reader checks the hash, so a torn
//! or truncated file is never taken for a script (an empty script once was kept as a crash
//! input when the file was truncated and rewritten in two steps).

use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// One message of a worker.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum WorkerMessage {
    /// Totals of this worker's life so far.
    Stats {
        /// Scripts run.
        runs: u64,
        /// Background batches cancelled.
        cancelled: u64,
        /// Its corpus size.
        corpus: u64,
        /// Answers compared with the model.
        checked: u64,
    },
    /// A finding whose signature this worker had not reported before.
    Finding {
        /// The finding's signature.
        signature: String,
        /// The input's bytes, written in the worker's work directory.
        artifact: PathBuf,
    },
    /// The watchdog's report, sent just before it aborts the worker.
    Hang {
        /// What hung, in words.
        report: String,
    },
    /// The worker cannot go on for a reason that is not a finding (an I/O error such as a full
    /// disk); the campaign stops with this error instead of restarting it.
    Fatal {
        /// The error, naming the path.
        error: String,
    },
}

impl WorkerMessage {
    /// The message as one line (without the newline).
    pub fn to_line(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|error| {
            format!(r#"{{"type":"fatal","error":"cannot encode a message: {error}"}}"#)
        })
    }

    /// Parses one line; `None` for anything else a worker printed.
    pub fn parse(line: &str) -> Option<WorkerMessage> {
        serde_json::from_str(line).ok()
    }
}

const RECORD_MAGIC: &[u8; 4] = b"SFI1";

/// The file a worker writes its current input to before each run.
pub struct InputRecord {
    file: File,
    path: PathBuf,
    buffer: Vec<u8>,
}

impl InputRecord {
    /// Creates (or truncates) the record at `path`.
    pub fn create(path: &Path) -> io::Result<InputRecord> {
        let file = File::create(path).map_err(|error| with_path(error, "create", path))?;
        Ok(InputRecord {
            file,
            path: path.to_owned(),
            buffer: Vec::new(),
        })
    }

    /// Records `bytes` as the current input: one write of header and bytes at offset 0.
    pub fn write(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.buffer.clear();
        self.buffer.extend_from_slice(RECORD_MAGIC);
        self.buffer
            .extend_from_slice(&(bytes.len() as u64).to_le_bytes());
        self.buffer
            .extend_from_slice(&crate::util::content_hash(bytes).to_le_bytes());
        self.buffer.extend_from_slice(bytes);
        self.file
            .write_all_at(&self.buffer, 0)
            .map_err(|error| with_path(error, "write", &self.path))
    }

    /// The input recorded at `path`, if the file holds a whole record.
    pub fn read(path: &Path) -> Option<Vec<u8>> {
        let data = std::fs::read(path).ok()?;
        let rest = data.strip_prefix(RECORD_MAGIC)?;
        let len = u64::from_le_bytes(rest.get(..8)?.try_into().ok()?) as usize;
        let hash = u64::from_le_bytes(rest.get(8..16)?.try_into().ok()?);
        let bytes = rest.get(16..16 + len)?;
        (crate::util::content_hash(bytes) == hash).then(|| bytes.to_vec())
    }
}

/// `error` with the operation and path in its message, keeping its kind (a full disk stays
/// `StorageFull`).
pub fn with_path(error: io::Error, what: &str, path: &Path) -> io::Error {
    io::Error::new(
        error.kind(),
        format!("cannot {what} {}: {error}", path.display()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_round_trip_as_json_lines() {
        let messages = [
            WorkerMessage::Stats {
                runs: 3,
                cancelled: 1,
                corpus: 9,
                checked: 40,
            },
            WorkerMessage::Finding {
                signature: "Salsa: panic `a \"b\"\n\\` at x".to_owned(),
                artifact: PathBuf::from("/w/finding-1.bin"),
            },
            WorkerMessage::Hang {
                report: "step 3 (query)".to_owned(),
            },
            WorkerMessage::Fatal {
                error: "No space left on device".to_owned(),
            },
        ];
        for message in messages {
            let line = message.to_line();
            assert!(!line.contains('\n'), "{line}");
            assert_eq!(WorkerMessage::parse(&line), Some(message));
        }
        assert_eq!(WorkerMessage::parse("thread 'main' panicked"), None);
    }

    #[test]
    fn a_record_reads_back_whole_and_a_torn_one_does_not() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let path = dir.path().join("worker-0.input");
        let mut record = InputRecord::create(&path).expect("created");
        assert_eq!(InputRecord::read(&path), None, "empty file");
        record.write(b"a long first input").expect("written");
        record.write(b"short").expect("written");
        assert_eq!(InputRecord::read(&path), Some(b"short".to_vec()));
        // The longer first input's tail is still in the file, after the record: ignored. A
        // torn record (fewer bytes than the header promises, or other bytes) is refused.
        let mut data = std::fs::read(&path).expect("read");
        let record = RECORD_MAGIC.len() + 16 + b"short".len();
        assert!(data.len() > record);
        data.truncate(record - 2);
        std::fs::write(&path, &data).expect("written");
        assert_eq!(InputRecord::read(&path), None);
        data.extend_from_slice(b"XY");
        std::fs::write(&path, &data).expect("written");
        assert_eq!(InputRecord::read(&path), None);
    }
}
