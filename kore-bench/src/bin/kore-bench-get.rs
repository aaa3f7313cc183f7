//! `kore-bench-get`: one `get` path in a loop, to count its instructions
//! under callgrind or to time it against raw reqwest in interleaved rounds.
//!
//! ```text
//! kore-bench-get count PATH CALLS    # CALLS calls inside `counted_calls`
//! kore-bench-get pair PATH ROUNDS    # ROUNDS interleaved rounds vs raw_reqwest
//! ```
//!
//! PATH is one of `raw_reqwest`, `sdk`, `generated`, `generated_no_hooks`
//! (see `kore_bench::get`). The mock (`kore-bench-mock`, next to this
//! executable) runs in a child process, as in the benchmark.
//!
//! `count` is meant for
//!
//! ```text
//! valgrind --tool=callgrind --collect-atstart=no \
//!     --toggle-collect='*counted_calls*' kore-bench-get count sdk 1000
//! ```
//!
//! which counts the instructions of those calls alone (set-up, warm-up and
//! shutdown run outside the toggled function; valgrind does not follow the
//! mock). Instruction counts do not depend on what else the machine runs,
//! which makes them the steady companion of the timed, and on a shared
//! machine noisy, benchmark; `cargo xtask bench` runs this when valgrind is
//! installed. `pair` is a quick check of the timed ratio while working on
//! the SDK, without criterion's full run.

use std::process::ExitCode;

use kore_bench::get::{self, GetPath, GetPaths};
use kore_bench::{MockOptions, MockProcess};
use tokio::runtime::Runtime;

/// Calls per block in `pair` mode, as in the benchmark.
const CALLS_PER_BLOCK: usize = 250;

enum Mode {
    Count { calls: usize },
    Pair { rounds: usize },
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some((mode, path)) = parse(&args) else {
        let names: Vec<&str> = GetPath::ALL.iter().map(|p| p.name()).collect();
        eprintln!(
            "usage: kore-bench-get count PATH CALLS | kore-bench-get pair PATH ROUNDS\n\
             (PATH: {})",
            names.join(", ")
        );
        return ExitCode::FAILURE;
    };
    let pinned = matches!(mode, Mode::Pair { .. })
        .then(get::pin_to_one_cpu)
        .flatten();
    let mock_binary = match std::env::current_exe() {
        Ok(exe) => exe.with_file_name(format!("kore-bench-mock{}", std::env::consts::EXE_SUFFIX)),
        Err(error) => {
            eprintln!("kore-bench-get: cannot find my own executable: {error}");
            return ExitCode::FAILURE;
        }
    };
    let mock = match MockProcess::spawn(&mock_binary, MockOptions::clients(25)) {
        Ok(mock) => mock,
        Err(error) => {
            eprintln!(
                "kore-bench-get: cannot start {}: {error}",
                mock_binary.display()
            );
            return ExitCode::FAILURE;
        }
    };
    // The benchmark's runtime: current-thread, so every instruction of a
    // call (hyper's connection task included) runs on this thread.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a Tokio runtime");
    let paths = runtime.block_on(GetPaths::new(&mock));
    runtime.block_on(paths.warm_up(20));
    match mode {
        Mode::Count { calls } => {
            counted_calls(&runtime, &paths, path, calls);
            println!("{} {calls} calls", path.name());
        }
        Mode::Pair { rounds } => {
            let ratios = runtime.block_on(get::paired_ratios(
                rounds,
                CALLS_PER_BLOCK,
                || paths.get(GetPath::Raw),
                || paths.get(path),
            ));
            println!(
                "{} ÷ raw_reqwest over {rounds} rounds of {CALLS_PER_BLOCK} calls: median {:.3} \
                 (p10 {:.3}, p90 {:.3}); pinned to CPU {pinned:?}",
                path.name(),
                get::percentile(&ratios, 0.5),
                get::percentile(&ratios, 0.1),
                get::percentile(&ratios, 0.9),
            );
        }
    }
    ExitCode::SUCCESS
}

fn parse(args: &[String]) -> Option<(Mode, GetPath)> {
    let [mode, path, number] = args else {
        return None;
    };
    let path = GetPath::from_name(path)?;
    let number: usize = number.parse().ok().filter(|n| *n > 0)?;
    let mode = match mode.as_str() {
        "count" => Mode::Count { calls: number },
        "pair" => Mode::Pair { rounds: number },
        _ => return None,
    };
    Some((mode, path))
}

/// The calls callgrind counts (`--toggle-collect='*counted_calls*'`).
#[inline(never)]
fn counted_calls(runtime: &Runtime, paths: &GetPaths, path: GetPath, calls: usize) {
    runtime.block_on(async {
        for _ in 0..calls {
            paths.get(path).await;
        }
    });
}
