//! The instruction budget of a GET: what the SDK's two layers over the
//! generated client cost, line by line, and which guarantee each line pays for.
//!
//! `cargo xtask bench` counts three paths with callgrind: the generated
//! client alone, the generated client with the SDK's hooks
//! (`kore.raw().get_client()`), and the SDK call (`kore.clients().get(id)`).
//! Each layer's cost is the difference between two neighbouring profiles,
//! split by the functions the instructions ran in (their *self* cost, read
//! with `callgrind_annotate`). A function is assigned to the first
//! [`Line`] of its layer whose patterns match its name; what no pattern
//! matches is the layer's "other" line, so the lines always add up to the
//! measured difference.
//!
//! Two lines need reading with care. The compiler inlines freely, so code of
//! one function can run inside another's symbol: where a layer changes what
//! is inlined where, the "generated code, inlined elsewhere" line moves with
//! it. And the allocator's cost depends on the state of the heap, not only on
//! the allocations a layer makes: a few small allocations more per call make
//! glibc consolidate its free lists when reqwest later asks for a large
//! block, which is charged to the layer that made the heap that way.

use std::collections::HashMap;
use std::path::Path;
use std::process::Command;

/// One line of a layer's budget.
#[derive(Debug, Clone, Copy)]
pub struct Line {
    /// Short name, as recorded in `instructions.json`.
    pub key: &'static str,
    /// What the instructions do.
    pub what: &'static str,
    /// The guarantee they pay for (or why they cannot be avoided).
    pub pays_for: &'static str,
    /// Substrings of the function names (`file:function` as
    /// `callgrind_annotate` prints them) whose self cost this line takes.
    patterns: &'static [&'static str],
}

/// A layer: the step from one counted path to the next.
#[derive(Debug, Clone, Copy)]
pub struct Layer {
    /// The layer's name in the report.
    pub name: &'static str,
    /// The path below it (`kore-bench-get` names).
    pub from: &'static str,
    /// The path with it.
    pub to: &'static str,
    /// Its lines, most specific first; "other" is added when measured.
    pub lines: &'static [Line],
}

const ALLOCATOR: &[&str] = &[
    "malloc.c:",
    "arena.c:",
    "__rdl_alloc",
    "__rdl_dealloc",
    "__rust_alloc",
    "__rust_dealloc",
    "__rust_no_alloc_shim",
    "finish_grow",
    "do_reserve_and_handle",
];
const MEMCPY: &[&str] = &["memmove-vec-unaligned", ":__memcpy", ":memcpy"];
const SPANS: &[&str] = &[
    "tracing::",
    "span_visible",
    "drop_in_place<tracing::span::Span>",
];

/// The SDK's two layers over the generated client.
pub const LAYERS: [Layer; 2] = [
    Layer {
        name: "hooks (`kore.raw().get_client()` over the generated client alone)",
        from: "generated_no_hooks",
        to: "generated",
        lines: &[
            Line {
                key: "token",
                what: "the cached bearer token put on the request",
                pays_for: "authentication that refreshes itself (a read of the cache, no lock, no allocation)",
                patterns: &[
                    "as kore_clients_gen::hooks::RequestHooks>::prepare",
                    "transport::put_token",
                    "TokenCache::bearer_now",
                    "for kore_clients_gen::generated::Client>::pre",
                ],
            },
            Line {
                key: "spare",
                what: "the copy of the request kept to send it again (URL and headers)",
                pays_for: "retrying a read, and the one retry after a 401 with a fresh token: reqwest consumes what it sends",
                patterns: &[
                    "transport::spare",
                    "<alloc::vec::Vec<T,A> as core::clone::Clone>::clone",
                    "<alloc::string::String as core::clone::Clone>::clone",
                    "drop_in_place<http::header::map::HeaderMap>",
                    "drop_in_place<[http::header::map::Bucket",
                    "drop_in_place<reqwest::async_impl::request::Request>",
                    "drop_in_place<http::request::Parts>",
                    "bytes::bytes::static_clone",
                    "bytes::bytes::promotable_even_clone",
                    "bytes::bytes::shared_drop",
                ],
            },
            Line {
                key: "attempt",
                what: "starting and judging the attempt (counting it, the status, the retry decision)",
                pays_for: "the retry policy, the 401 rule, and the attempts and status an error reports",
                patterns: &[
                    "Transport::start_attempt",
                    "Transport::conclude",
                    "Transport::next",
                    "Attempts::new",
                    "transport::note_attempt",
                    "Operation::from_method_name",
                ],
            },
            Line {
                key: "dispatch",
                what: "the hooks object: a dynamic call and one boxed future per request",
                pays_for: "hooks as an object the generated crate can carry (progenitor's extension point; the orphan rule keeps the impl in kore-clients-gen)",
                patterns: &[
                    "as kore_clients_gen::hooks::RequestHooks>::send",
                    "for kore_clients_gen::generated::Client>::exec",
                    "drop_in_place<<kore_clients::transport::Transport as",
                ],
            },
            Line {
                key: "span",
                what: "the attempt's span, asked whether anyone listens (nobody does here)",
                pays_for: "per-attempt tracing for a subscriber that enables it",
                patterns: SPANS,
            },
            Line {
                key: "memcpy",
                what: "moving the request and the attempt's state into the boxed future",
                pays_for: "the same dispatch (the state crosses into the box once per request)",
                patterns: MEMCPY,
            },
            Line {
                key: "allocator",
                what: "the allocator: the spare's and the box's allocations, and glibc consolidating its free lists",
                pays_for: "the spare and the dispatch above; how much depends on the heap's state",
                patterns: ALLOCATOR,
            },
        ],
    },
    Layer {
        name: "call wrapper (`kore.clients().get(id)` over `kore.raw().get_client()`)",
        from: "generated",
        to: "sdk",
        lines: &[
            Line {
                key: "deadline",
                what: "the operation's deadline: a timer registered and removed per call",
                pays_for: "`operation_timeout`: one bound over every attempt, back-off and token wait of the call",
                patterns: &[
                    "tokio::time::",
                    "tokio::runtime::time::",
                    "tokio::runtime::Timer",
                    "tokio::runtime::scheduler::Handle::current",
                    "AtomicWaker::register_by_ref",
                    "Timespec",
                    "clock_gettime",
                    "std::time::Instant",
                ],
            },
            Line {
                key: "notes",
                what: "the call's notes slot (a task-local the hooks write to)",
                pays_for: "errors that say how many attempts were made, the last status, the token used and a kept answer",
                patterns: &[
                    "TaskLocalFuture",
                    "Notes::into_outcome",
                    "task_local",
                    "LocalKey",
                    "transport::recorded",
                ],
            },
            Line {
                key: "input",
                what: "checking the id before anything is sent",
                pays_for: "bad input gets a clear error before any network call",
                patterns: &["trim_matches"],
            },
            Line {
                key: "model",
                what: "the SDK's `Client` from the generated type, and the unknown-field check",
                pays_for: "the SDK's own model, and drift noted once per field",
                patterns: &["models::Client::from_raw", "kore_clients::drift::"],
            },
            Line {
                key: "span",
                what: "the operation's span, asked whether anyone listens (nobody does here)",
                pays_for: "per-operation tracing for a subscriber that enables it",
                patterns: SPANS,
            },
            Line {
                key: "layers",
                what: "the wrapper's own future and closures",
                pays_for: "mapping the generated result to `kore_clients::Error` (what happened, to which request, what to do)",
                patterns: &[
                    "futures_util::future::future::map::Map",
                    "futures_util::future::future::Map",
                    "call_keeping_answer",
                    "FnOnce::call_once",
                    "clients::Clients::get",
                ],
            },
            Line {
                key: "inlined",
                what: "generated code, inlined elsewhere (moves between the generated send and the wrapper's polls)",
                pays_for: "nothing: the same generated code, counted under another symbol",
                patterns: &[
                    "generated::builder::GetClient::send",
                    "<core::pin::Pin<P> as core::future::future::Future>::poll",
                    "kore_bench::get::GetPaths::get",
                    "for kore_clients_gen::generated::Client>::exec",
                ],
            },
            Line {
                key: "memcpy",
                what: "moving the call's future (about 2 KiB) through the wrapper's layers",
                pays_for: "the deadline, the notes slot and the mapping above (each wraps the generated future)",
                patterns: MEMCPY,
            },
            Line {
                key: "allocator",
                what: "the allocator",
                pays_for: "the heap's state (the wrapper allocates nothing on success)",
                patterns: ALLOCATOR,
            },
        ],
    },
];

/// The self cost of every function in a callgrind profile, by the name
/// `callgrind_annotate` prints (`file:function [object]`).
pub fn self_costs(profile: &Path) -> Result<HashMap<String, u64>, String> {
    let output = Command::new("callgrind_annotate")
        .args(["--auto=no", "--threshold=100"])
        .arg(profile)
        .output()
        .map_err(|e| format!("cannot run callgrind_annotate (it comes with valgrind): {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "callgrind_annotate {} failed ({}): {}",
            profile.display(),
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    Ok(parse_annotate(&String::from_utf8_lossy(&output.stdout)))
}

/// Reads `callgrind_annotate --auto=no` output: lines such as
/// `8,645,578 ( 9.24%)  ./string/…:__memcpy_avx_unaligned_erms [/usr/lib/…]`.
/// The `PROGRAM TOTALS` line and functions that cost nothing are left out.
pub fn parse_annotate(text: &str) -> HashMap<String, u64> {
    let mut costs = HashMap::new();
    for line in text.lines() {
        let line = line.trim_start();
        let Some((count, rest)) = line.split_once(' ') else {
            continue;
        };
        let Ok(count) = count.replace(',', "").parse::<u64>() else {
            continue;
        };
        let Some((_, name)) = rest.split_once(")") else {
            continue;
        };
        let name = name.trim();
        if name.is_empty() || name == "PROGRAM TOTALS" {
            continue;
        }
        *costs.entry(name.to_owned()).or_default() += count;
    }
    costs
}

/// A layer's budget: per-call instructions of each of its lines (its
/// `lines` in order, then `other`), from the self costs of the profiles
/// below and with it, each over `calls` calls, and the layer's measured
/// total.
pub fn layer_budget(
    layer: &Layer,
    below: &HashMap<String, u64>,
    with: &HashMap<String, u64>,
    total_delta: f64,
    calls: u32,
) -> Vec<(&'static str, f64)> {
    let mut per_line: Vec<f64> = vec![0.0; layer.lines.len()];
    let names = below
        .keys()
        .chain(with.keys().filter(|k| !below.contains_key(*k)));
    for name in names {
        let delta = *with.get(name).unwrap_or(&0) as f64 - *below.get(name).unwrap_or(&0) as f64;
        if let Some(index) = layer
            .lines
            .iter()
            .position(|line| line.patterns.iter().any(|p| name.contains(p)))
        {
            per_line[index] += delta;
        }
    }
    let calls = f64::from(calls);
    let mut budget: Vec<(&'static str, f64)> = layer
        .lines
        .iter()
        .zip(&per_line)
        .map(|(line, total)| (line.key, total / calls))
        .collect();
    let assigned: f64 = budget.iter().map(|(_, n)| n).sum();
    budget.push(("other", total_delta - assigned));
    budget
}

#[cfg(test)]
mod tests {
    use super::*;

    const ANNOTATE: &str = "\
--------------------------------------------------------------------------------
Ir                  file:function
--------------------------------------------------------------------------------
93,593,165 (100.0%)  PROGRAM TOTALS

8,645,578 ( 9.24%)  ./string/../sysdeps/x86_64/multiarch/memmove-vec-unaligned-erms.S:__memcpy_avx_unaligned_erms [/usr/lib/x86_64-linux-gnu/libc.so.6]
  878,000 ( 0.94%)  ???:kore_clients::transport::put_token [/work/target/release/kore-bench-get]
        .           ???:std::rt::lang_start_internal [/work/target/release/kore-bench-get]
";

    #[test]
    fn annotate_output_is_read_by_function() {
        let costs = parse_annotate(ANNOTATE);
        assert_eq!(costs.len(), 2, "{costs:?}");
        assert_eq!(
            costs["./string/../sysdeps/x86_64/multiarch/memmove-vec-unaligned-erms.S:__memcpy_avx_unaligned_erms [/usr/lib/x86_64-linux-gnu/libc.so.6]"],
            8_645_578
        );
        assert_eq!(
            costs["???:kore_clients::transport::put_token [/work/target/release/kore-bench-get]"],
            878_000
        );
    }

    #[test]
    fn a_layer_budget_adds_up_to_the_measured_difference() {
        let below: HashMap<String, u64> = [
            ("./malloc/./malloc/malloc.c:malloc [libc]".to_owned(), 1_000),
            ("???:hyper::x [bin]".to_owned(), 5_000),
        ]
        .into();
        let with: HashMap<String, u64> = [
            ("./malloc/./malloc/malloc.c:malloc [libc]".to_owned(), 3_000),
            ("???:hyper::x [bin]".to_owned(), 5_400),
            (
                "???:kore_clients::transport::put_token [bin]".to_owned(),
                600,
            ),
        ]
        .into();
        let layer = &LAYERS[0];
        // 2 calls; the layer measured 1,600 more per call in all.
        let budget = layer_budget(layer, &below, &with, 1_600.0, 2);
        let get = |key: &str| budget.iter().find(|(k, _)| *k == key).unwrap().1;
        assert_eq!(get("token"), 300.0);
        assert_eq!(get("allocator"), 1_000.0);
        assert_eq!(get("spare"), 0.0);
        // hyper's 400 over 2 calls is not assigned: it is `other`, with
        // whatever the threshold left out.
        assert_eq!(get("other"), 300.0);
        assert_eq!(budget.len(), layer.lines.len() + 1);
        let sum: f64 = budget.iter().map(|(_, n)| n).sum();
        assert_eq!(sum, 1_600.0);
    }

    #[test]
    fn every_line_has_a_unique_key_and_says_what_it_pays_for() {
        for layer in &LAYERS {
            let mut keys: Vec<&str> = layer.lines.iter().map(|l| l.key).collect();
            keys.sort_unstable();
            keys.dedup();
            assert_eq!(keys.len(), layer.lines.len(), "{}", layer.name);
            assert!(!keys.contains(&"other"), "`other` is added when measured");
            assert!(
                layer
                    .lines
                    .iter()
                    .all(|l| !l.pays_for.is_empty() && !l.patterns.is_empty())
            );
        }
    }
}
