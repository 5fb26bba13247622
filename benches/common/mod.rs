//! Helpers shared by the benchmark harnesses that run servers as child processes
//! (`benches/echo.rs`, `benches/http.rs`): argument and environment parsing, running tools
//! under a command prefix, and the statistics of their tables.

#![allow(dead_code)] // each harness uses its own subset

use std::env;
use std::io::{self, Write};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Command, Stdio};

/// Tells the orchestrator, on stdout, where a server listens.
pub fn announce(addr: SocketAddr) -> io::Result<()> {
    let mut out = io::stdout().lock();
    writeln!(out, "listening {addr}")?;
    out.flush()
}

/// `prefix… program`, e.g. `taskset -c 0 valgrind … <exe>`.
pub fn command(prefix: &[String], program: &Path) -> Command {
    match prefix.split_first() {
        Some((first, rest)) => {
            let mut cmd = Command::new(first);
            cmd.args(rest).arg(program);
            cmd
        }
        None => Command::new(program),
    }
}

/// A comma-separated list from the environment variable `name`, or from `default`.
pub fn env_list<T: std::str::FromStr>(name: &str, default: &str) -> Vec<T> {
    env::var(name)
        .unwrap_or_else(|_| default.into())
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect()
}

/// A number from the environment variable `name`, or `default`.
pub fn env_num<T: std::str::FromStr>(name: &str, default: T) -> T {
    env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A table cell: the value, or `n/a`.
pub fn fmt_opt(value: Option<f64>, decimals: usize) -> String {
    match value {
        Some(v) if v.is_finite() => format!("{v:.decimals$}"),
        _ => "n/a".into(),
    }
}

/// An `InvalidInput` error with `msg`.
pub fn invalid(msg: impl Into<String>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, msg.into())
}

/// The median of the known values.
pub fn median(values: impl Iterator<Item = Option<f64>>) -> Option<f64> {
    let mut values: Vec<f64> = values.flatten().filter(|v| v.is_finite()).collect();
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let mid = values.len() / 2;
    Some(if values.len() % 2 == 1 {
        values[mid]
    } else {
        (values[mid - 1] + values[mid]) / 2.0
    })
}

/// Parses a command-line argument, naming `what` in the error.
pub fn parse<T: std::str::FromStr>(arg: Option<&String>, what: &str) -> io::Result<T> {
    arg.and_then(|a| a.parse().ok())
        .ok_or_else(|| invalid(format!("missing or bad {what}")))
}

/// `a / b`, when both are known.
pub fn ratio(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    Some(a? / b?)
}

/// Whether an external tool runs here.
pub fn tool_works(program: &str, args: &[&str]) -> bool {
    Command::new(program)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// The `perf stat` events of the `epoll_wait` calls (either form), counted beside
/// `raw_syscalls:sys_enter` to show how much of a server's system call count is waiting.
pub const EPOLL_EVENTS: &str = "syscalls:sys_enter_epoll_wait,syscalls:sys_enter_epoll_pwait";

/// A server's system calls over a measured window, and the `epoll_wait` calls among them.
pub type SyscallCounts = (u64, u64);

/// From `perf stat -x ,` output with `raw_syscalls:sys_enter` and [`EPOLL_EVENTS`]: all
/// system calls, and the `epoll_wait` ones among them.
pub fn perf_counts(text: &str) -> io::Result<SyscallCounts> {
    let bad = || io::Error::other(format!("perf said {text:?}"));
    let count = |line: &str| line.split(',').next()?.trim().parse::<u64>().ok();
    let total = text
        .lines()
        .find(|l| l.contains(",raw_syscalls:sys_enter,"))
        .and_then(count)
        .ok_or_else(bad)?;
    let epoll = text
        .lines()
        .filter(|l| l.contains(",syscalls:sys_enter_epoll_"))
        .map(|l| count(l).ok_or_else(bad))
        .sum::<io::Result<u64>>()?;
    Ok((total, epoll))
}

/// A network bench's `main`: `server …` and `client …` run the pieces, `run` (or
/// `cargo bench`, which passes `--bench`) the whole comparison; no arguments, or test
/// harness flags (`cargo test --all-targets`), only the smoke check. Exits 1 with `name:
/// error` on failure.
pub fn dispatch(
    name: &str,
    server: fn(&[String]) -> io::Result<()>,
    client: fn(&[String]) -> io::Result<()>,
    run: fn() -> io::Result<()>,
    smoke: fn() -> io::Result<()>,
) {
    let args: Vec<String> = env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("server") => server(&args[1..]),
        Some("client") => client(&args[1..]),
        Some("run") => run(),
        _ if args.iter().any(|a| a == "--bench") => run(),
        None => smoke(),
        Some(arg) if arg.starts_with('-') => smoke(),
        Some(other) => Err(invalid(format!("unknown sub-command {other:?}"))),
    };
    if let Err(err) = result {
        eprintln!("{name}: {err}");
        std::process::exit(1);
    }
}

/// Which measuring tools this machine has; each missing one is reported once, and its
/// figures are left `n/a`.
pub struct Tools {
    pub taskset: bool,
    pub perf: bool,
    pub valgrind: bool,
}

impl Tools {
    /// Probes for `taskset`, `perf` with the `raw_syscalls:sys_enter` event, and `valgrind`,
    /// saying on stderr (prefixed `name:`) what is missing.
    pub fn detect(name: &str) -> Tools {
        let tools = Tools {
            taskset: tool_works("taskset", &["-c", "0", "true"]),
            perf: tool_works("perf", &["stat", "-e", "raw_syscalls:sys_enter", "true"]),
            valgrind: tool_works("valgrind", &["--version"]),
        };
        if !tools.taskset {
            eprintln!("{name}: taskset unavailable: servers and clients run unpinned");
        }
        if !tools.perf {
            eprintln!(
                "{name}: `perf stat -e raw_syscalls:sys_enter` unavailable: no syscall counts"
            );
        }
        if !tools.valgrind {
            eprintln!("{name}: valgrind unavailable: no instruction counts");
        }
        tools
    }

    /// The command prefix that pins a process to `cpu` (empty without `taskset`).
    pub fn pin(&self, cpu: &str) -> Vec<String> {
        if self.taskset {
            vec!["taskset".into(), "-c".into(), cpu.into()]
        } else {
            Vec::new()
        }
    }
}
