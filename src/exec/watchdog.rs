//! The watchdog: reports a step that does not finish within a bound as a hang, instead of a
//! silent libFuzzer timeout. A salsa deadlock cannot be unwound from, so after printing the
//! report (step, its kind, what every background batch was doing) it aborts the process; the
//! stable runner restarts the worker and keeps the input, libFuzzer saves a crash artifact.

use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::thread::JoinHandle;
use std::time::Duration;

/// A heartbeat: which step is running.
pub struct Watchdog {
    beats: Option<Sender<(usize, &'static str)>>,
    thread: Option<JoinHandle<()>>,
}

impl Watchdog {
    /// Starts watching; a step that takes longer than `limit` aborts the process.
    pub fn start(limit: Duration) -> Watchdog {
        let (beats, receiver) = mpsc::channel::<(usize, &'static str)>();
        let thread = std::thread::Builder::new()
            .name("salsa-fuzz-watchdog".to_owned())
            .spawn(move || {
                let mut current = (0, "start");
                loop {
                    match receiver.recv_timeout(limit) {
                        Ok(step) => current = step,
                        Err(RecvTimeoutError::Disconnected) => return,
                        Err(RecvTimeoutError::Timeout) => {
                            eprintln!(
                                "salsa-fuzz: HANG: step {} ({}) did not finish within {limit:?}; \
                                 a salsa deadlock is likely (a write waiting for a handle that \
                                 never drops, or a cycle across threads). Aborting.",
                                current.0, current.1
                            );
                            std::process::abort();
                        }
                    }
                }
            })
            .ok();
        Watchdog {
            beats: Some(beats),
            thread,
        }
    }

    /// Records that step `index`, of kind `what`, has started.
    pub fn beat(&self, index: usize, what: &'static str) {
        if let Some(beats) = &self.beats {
            let _ = beats.send((index, what));
        }
    }
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        self.beats.take();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
