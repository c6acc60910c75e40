//! Exact thread interleavings: the schedule a shuttle build runs a script under (the runner
//! is `crate::exec::schedule`).
//!
//! With the `shuttle` feature, salsa's locks, atomics and thread-locals are shuttle's, and a
//! script runs as one shuttle execution: every thread (the main one, the background pool's,
//! a parallel batch's tasks) is a coroutine, and at each synchronisation point a
//! [`Schedule`] picks which runs next. The schedule is a few numbers, chosen by the script
//! ([`Schedule::of_script`]) or written in a corpus entry's `schedule:` line, so the input
//! alone replays the exact interleaving.
//!
//! Two strategies, both seeded:
//! - **PCT** (probabilistic concurrency testing, Burckhardt et al., ASPLOS 2010): each thread a
//!   random priority, the highest runnable one runs, and at `depth - 1` random points among
//!   the first `horizon` scheduling decisions the running thread drops to the lowest priority.
//!   A bug that needs `d` ordering constraints is found with probability at least
//!   `1 / (n k^(d-1))` per run. Shuttle's own `PctScheduler` learns the horizon from a first
//!   un-preempted execution; a script runs once, so the horizon is part of the schedule here.
//! - **Random**: a uniformly random runnable thread at every decision.
//!
//! The schedule's numbers are independent of the script, so the minimizer keeps the
//! schedule while it shrinks the script, and then tries smaller depths (fewer preemptions).

use std::fmt;
use std::str::FromStr;

/// Which strategy picks the next thread.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Strategy {
    /// Random priorities, `depth - 1` priority drops within `horizon` decisions.
    Pct {
        /// 1 to 8; 1 runs the threads in priority order with no preemption.
        depth: u8,
        /// The decisions (points where more than one thread could run) the drops fall among.
        horizon: u32,
    },
    /// A uniformly random runnable thread at every decision.
    Random,
}

/// One exact interleaving of a script's threads: a strategy and its seed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Schedule {
    /// How threads are picked.
    pub strategy: Strategy,
    /// Seeds the strategy's random choices.
    pub seed: u64,
}

/// The largest PCT depth a schedule may ask for.
pub const MAX_DEPTH: u8 = 8;

impl Schedule {
    /// The schedule an input's bytes choose: three in four PCT (depth 1 to 4, horizon 256 to
    /// 16,384 decisions), else random; the seed from the same hash. Any change to the bytes
    /// picks another schedule, which is what a fuzzer mutating them wants.
    pub fn of_bytes(bytes: &[u8]) -> Schedule {
        let hash = crate::util::content_hash(bytes);
        let mut state = hash;
        let seed = splitmix64(&mut state);
        let strategy = if hash & 3 == 3 {
            Strategy::Random
        } else {
            Strategy::Pct {
                depth: 1 + ((hash >> 2) % 4) as u8,
                horizon: 256 << ((hash >> 4) % 7),
            }
        };
        Schedule { strategy, seed }
    }

    /// The schedule a script chooses: [`Schedule::of_bytes`] of its text form, which is the
    /// same for the script a fuzzer's bytes decode to and for the entry it is written as
    /// (whose texts are literals, and so encode to other bytes).
    pub fn of_script(script: &super::EditScript) -> Schedule {
        Schedule::of_bytes(super::syntax::script_to_text(script).as_bytes())
    }

    /// The same schedule with one preemption fewer, if it has any: what the minimizer tries.
    pub fn shallower(self) -> Option<Schedule> {
        match self.strategy {
            Strategy::Pct { depth, horizon } if depth > 1 => Some(Schedule {
                strategy: Strategy::Pct {
                    depth: depth - 1,
                    horizon,
                },
                seed: self.seed,
            }),
            _ => None,
        }
    }
}

/// `pct depth=3 horizon=4096 seed=0x…` or `random seed=0x…`: the form of a corpus entry's
/// `schedule:` line.
impl fmt::Display for Schedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.strategy {
            Strategy::Pct { depth, horizon } => {
                write!(f, "pct depth={depth} horizon={horizon} ")?;
            }
            Strategy::Random => write!(f, "random ")?,
        }
        write!(f, "seed={:#018x}", self.seed)
    }
}

impl FromStr for Schedule {
    type Err = String;

    fn from_str(text: &str) -> Result<Schedule, String> {
        let mut words = text.split_whitespace();
        let kind = words.next().ok_or("an empty schedule")?;
        let (mut depth, mut horizon, mut seed) = (None, None, None);
        for word in words {
            let (key, value) = word
                .split_once('=')
                .ok_or_else(|| format!("`{word}` in a schedule is not `key=value`"))?;
            let bad = |what: &str| format!("schedule `{key}={value}`: {what}");
            match key {
                "depth" => depth = Some(value.parse::<u8>().map_err(|e| bad(&e.to_string()))?),
                "horizon" => {
                    horizon = Some(value.parse::<u32>().map_err(|e| bad(&e.to_string()))?);
                }
                "seed" => {
                    let digits = value.strip_prefix("0x").unwrap_or(value);
                    seed = Some(u64::from_str_radix(digits, 16).map_err(|e| bad(&e.to_string()))?);
                }
                _ => return Err(format!("unknown schedule key `{key}`")),
            }
        }
        let seed = seed.ok_or("a schedule needs `seed=0x…`")?;
        let strategy = match kind {
            "pct" => {
                let depth = depth.unwrap_or(3);
                if !(1..=MAX_DEPTH).contains(&depth) {
                    return Err(format!("PCT depth {depth} is not in 1..={MAX_DEPTH}"));
                }
                let horizon = horizon.unwrap_or(4096);
                if horizon == 0 {
                    return Err("a PCT horizon of 0 decisions".to_owned());
                }
                Strategy::Pct { depth, horizon }
            }
            "random" if depth.is_none() && horizon.is_none() => Strategy::Random,
            "random" => return Err("a random schedule takes only `seed`".to_owned()),
            other => return Err(format!("unknown schedule strategy `{other}` (pct, random)")),
        };
        Ok(Schedule { strategy, seed })
    }
}

/// SplitMix64: the schedule's random numbers (small, seedable, and ours: a dependency's
/// generator could change its stream in a minor release and break every recorded schedule).
pub(crate) fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_schedule_reads_back_what_it_writes() {
        for bytes in [&b""[..], b"a", b"abc", &[0xff; 40]] {
            let schedule = Schedule::of_bytes(bytes);
            let text = schedule.to_string();
            assert_eq!(text.parse::<Schedule>(), Ok(schedule), "{text}");
        }
        assert_eq!(
            "random seed=0x10".parse::<Schedule>(),
            Ok(Schedule {
                strategy: Strategy::Random,
                seed: 16
            })
        );
    }

    #[test]
    fn bad_schedules_say_what_is_wrong() {
        for (text, error) in [
            ("", "empty"),
            ("pct depth=3", "needs `seed"),
            ("pct depth=0 seed=0x1", "not in 1..=8"),
            ("pct depth=3 horizon=0 seed=0x1", "horizon of 0"),
            ("fifo seed=0x1", "unknown schedule strategy"),
            ("random depth=2 seed=0x1", "only `seed`"),
            ("pct depth seed=0x1", "not `key=value`"),
            ("pct seed=0xzz", "seed=0xzz"),
        ] {
            let message = text.parse::<Schedule>().unwrap_err();
            assert!(message.contains(error), "{text}: {message}");
        }
    }

    #[test]
    fn inputs_choose_both_strategies_and_every_depth() {
        let schedules: Vec<Schedule> = (0u32..400)
            .map(|n| Schedule::of_bytes(&n.to_le_bytes()))
            .collect();
        assert!(schedules.iter().any(|s| s.strategy == Strategy::Random));
        for want in 1..=4 {
            assert!(
                schedules
                    .iter()
                    .any(|s| matches!(s.strategy, Strategy::Pct { depth, .. } if depth == want)),
                "no depth {want}"
            );
        }
        let shallower = Schedule {
            strategy: Strategy::Pct {
                depth: 2,
                horizon: 256,
            },
            seed: 7,
        }
        .shallower();
        assert_eq!(
            shallower.map(|s| s.strategy),
            Some(Strategy::Pct {
                depth: 1,
                horizon: 256
            })
        );
        assert_eq!(shallower.and_then(Schedule::shallower), None);
    }
}
