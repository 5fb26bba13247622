//! TCP echo benchmark: a Mirage echo server beside a tokio current-thread echo server, same
//! run, same load generator.
//!
//! # Running it
//!
//! ```text
//! cargo bench --bench echo
//! ```
//!
//! needs Linux, `taskset`, `perf` (with `raw_syscalls:sys_enter` readable: run as root or
//! lower `kernel.perf_event_paranoid`) and `valgrind`; a missing tool leaves its column
//! `n/a`. It takes about six minutes and ends with a markdown table. Environment variables
//! narrow or lengthen it:
//!
//! - `ECHO_CONNS` (default `16,256`), `ECHO_SIZES` (bytes, default `64,4096`),
//!   `ECHO_RUNTIMES` (default `mirage,tokio`);
//! - `ECHO_WARMUP` / `ECHO_SECONDS`: warm-up and measured window of a timed run, seconds
//!   (default 1 and 3); `ECHO_REPEATS`: timed runs per runtime and configuration, alternating
//!   the runtimes (default 3; the table shows the median of each column);
//! - `ECHO_CG_MESSAGES`: the smaller of the two message counts of the callgrind runs
//!   (default 20000; the larger is twice it); `ECHO_CG_REPEATS`: how many such pairs
//!   (default 3; the table shows the median);
//! - `ECHO_SERVER_CPU` / `ECHO_CLIENT_CPU` (default 0 and 1).
//!
//! Without `--bench` (`cargo test --all-targets`) it only checks that both servers echo.
//! The sub-commands run the pieces by hand (the binary is
//! `$CARGO_TARGET_DIR/release/deps/echo-*`, built by `cargo bench --bench echo --no-run`):
//!
//! ```text
//! echo server mirage|tokio <addr> <connections>
//! echo client <addr> <connections> <size> --messages <per-connection>
//! echo client <addr> <connections> <size> --warmup <s> --seconds <s> [--perf-ctl <ctl>,<ack>]
//! ```
//!
//! The server accepts exactly `<connections>` connections, echoes on each with a 4 KiB buffer
//! until the peer closes, and exits once all have closed (so callgrind writes its output).
//! It prints `listening <addr>` first. The client is the load generator: one tokio
//! current-thread runtime, closed loop (each connection writes one message, reads the whole
//! echo, repeats), `TCP_NODELAY` on both ends.
//!
//! # What it measures
//!
//! For each runtime × connections × message size, with the server pinned to one CPU and
//! the client to the other:
//!
//! - **syscalls/msg**: `perf stat -e raw_syscalls:sys_enter -p <server>` over the measured
//!   window only (perf starts disabled; the client enables it through `--control` after its
//!   warm-up and disables it at the end), divided by the messages echoed in that window.
//!   Closed loop, one message in flight per connection: one `epoll_wait` returns at most
//!   `connections` events, so a runtime that reads and writes once per message cannot go
//!   below 2 + 1/connections (2.0625 at 16 connections).
//! - **epoll_wait/msg**: the `epoll_wait` calls among them (`syscalls:sys_enter_epoll_wait`
//!   and `_epoll_pwait`, counted alongside), so the rest is the reads and writes. How many
//!   events a wait finds depends on the load's rhythm more than on the runtime: a server
//!   that answers at once tends to wake once per message, and the same server's runs swing
//!   between that and batches of several.
//! - **instr/msg**: user-space instructions of the server (callgrind `Ir`), from two runs of
//!   N and 2N messages: (Ir(2N) − Ir(N)) / N, which cancels start-up, accept and teardown.
//!   The server is slow under valgrind, so it sees more connections ready per `epoll_wait`
//!   than natively, and at 4 KiB tokio's read that follows a full-buffer read sometimes
//!   already finds the next message (sparing the `WouldBlock` read); that varies from run
//!   to run by up to ~15%, hence the median of several pairs. (Mirage makes no such read:
//!   the kernel's `TCP_INQ` count tells it the socket is empty.)
//! - **msgs/s**, **p50/p99 µs**: round trips completed in the window and their latency, as
//!   the client sees them. On loopback most of the CPU is kernel TCP work and a shared
//!   machine is noisy: judge the runtime by the two counts, which noise hardly moves.

#![allow(missing_docs)] // a bench binary

mod common;

use common::{
    EPOLL_EVENTS, SyscallCounts, Tools, announce, command, dispatch, env_list, env_num, fmt_opt,
    invalid, median, parse, perf_counts, ratio, tool_works,
};
use std::cell::{Cell, RefCell};
use std::env;
use std::fmt::Write as _;
use std::fs;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::rc::Rc;
use std::time::{Duration, Instant};

const BUF_SIZE: usize = 4096;

fn main() {
    dispatch("echo", server, client, run, smoke);
}

// ---------------------------------------------------------------------------------------
// Servers: the same shape on both runtimes.

fn server(args: &[String]) -> io::Result<()> {
    let runtime = args.first().map(String::as_str);
    let addr: SocketAddr = parse(args.get(1), "address")?;
    let conns: usize = parse(args.get(2), "connection count")?;
    match runtime {
        Some("mirage") => serve_mirage(addr, conns),
        Some("tokio") => serve_tokio(addr, conns),
        _ => Err(invalid("server mirage|tokio <addr> <connections>")),
    }
}

fn serve_mirage(addr: SocketAddr, conns: usize) -> io::Result<()> {
    let listener = mirage::net::TcpListener::bind(addr)?;
    announce(listener.local_addr()?)?;
    let mut core = mirage::Core::new()?;
    core.run(async move {
        let mut tasks = Vec::with_capacity(conns);
        for _ in 0..conns {
            let (stream, _) = listener.accept().await?;
            stream.set_nodelay(true)?;
            tasks.push(mirage::spawn(async move {
                let mut buf = [0u8; BUF_SIZE];
                loop {
                    let n = stream.read(&mut buf).await?;
                    if n == 0 {
                        break;
                    }
                    stream.write_all(&buf[..n]).await?;
                }
                io::Result::Ok(())
            }));
        }
        for task in tasks {
            task.await.expect("echo task panicked")?;
        }
        Ok(())
    })
}

fn serve_tokio(addr: SocketAddr, conns: usize) -> io::Result<()> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()?;
    let local = tokio::task::LocalSet::new();
    local.block_on(&rt, async move {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        announce(listener.local_addr()?)?;
        let mut tasks = Vec::with_capacity(conns);
        for _ in 0..conns {
            let (mut stream, _) = listener.accept().await?;
            stream.set_nodelay(true)?;
            tasks.push(tokio::task::spawn_local(async move {
                let mut buf = [0u8; BUF_SIZE];
                loop {
                    let n = stream.read(&mut buf).await?;
                    if n == 0 {
                        break;
                    }
                    stream.write_all(&buf[..n]).await?;
                }
                io::Result::Ok(())
            }));
        }
        for task in tasks {
            task.await.expect("echo task panicked")?;
        }
        Ok(())
    })
}

// ---------------------------------------------------------------------------------------
// The load generator (tokio current-thread, closed loop), the same for both servers.

#[derive(Clone, Copy, PartialEq, Eq)]
enum Phase {
    Warmup,
    Measure,
    Stop,
}

struct Stats {
    phase: Cell<Phase>,
    /// Round-trip times of the messages completed while measuring, in nanoseconds.
    latencies: RefCell<Vec<u32>>,
}

fn client(args: &[String]) -> io::Result<()> {
    let addr: SocketAddr = parse(args.first(), "address")?;
    let conns: usize = parse(args.get(1), "connection count")?;
    let size: usize = parse(args.get(2), "message size")?;
    let mut per_conn: Option<u64> = None;
    let mut warmup = 1.0f64;
    let mut seconds = 3.0f64;
    let mut perf_ctl: Option<(PathBuf, PathBuf)> = None;
    let mut rest = args[3..].iter();
    while let Some(flag) = rest.next() {
        match flag.as_str() {
            "--messages" => per_conn = Some(parse(rest.next(), "--messages")?),
            "--warmup" => warmup = parse(rest.next(), "--warmup")?,
            "--seconds" => seconds = parse(rest.next(), "--seconds")?,
            "--perf-ctl" => {
                let value: String = parse(rest.next(), "--perf-ctl")?;
                let (ctl, ack) = value
                    .split_once(',')
                    .ok_or_else(|| invalid("--perf-ctl <ctl-fifo>,<ack-fifo>"))?;
                perf_ctl = Some((ctl.into(), ack.into()));
            }
            other => return Err(invalid(format!("unknown client flag {other:?}"))),
        }
    }

    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let local = tokio::task::LocalSet::new();
    let (count, elapsed, mut latencies) = local.block_on(&rt, async move {
        let mut streams = Vec::with_capacity(conns);
        for _ in 0..conns {
            let stream = tokio::net::TcpStream::connect(addr).await?;
            stream.set_nodelay(true)?;
            streams.push(stream);
        }
        let stats = Rc::new(Stats {
            phase: Cell::new(if per_conn.is_some() {
                Phase::Measure
            } else {
                Phase::Warmup
            }),
            latencies: RefCell::new(Vec::with_capacity(1 << 20)),
        });
        let start = Instant::now();
        let tasks: Vec<_> = streams
            .into_iter()
            .map(|stream| {
                tokio::task::spawn_local(connection(stream, size, per_conn, stats.clone()))
            })
            .collect();
        let mut window = Duration::ZERO;
        if per_conn.is_none() {
            let mut ctl = None;
            tokio::time::sleep(Duration::from_secs_f64(warmup)).await;
            if let Some((ctl_path, ack_path)) = &perf_ctl {
                // Opening blocks until perf has opened its ends: that is the hand-shake.
                let mut ctl_file = fs::OpenOptions::new().write(true).open(ctl_path)?;
                let mut ack_file = fs::File::open(ack_path)?;
                perf_command(&mut ctl_file, &mut ack_file, "enable")?;
                ctl = Some((ctl_file, ack_file));
            }
            stats.latencies.borrow_mut().clear();
            stats.phase.set(Phase::Measure);
            let t0 = Instant::now();
            tokio::time::sleep(Duration::from_secs_f64(seconds)).await;
            stats.phase.set(Phase::Stop);
            window = t0.elapsed();
            if let Some((mut ctl_file, mut ack_file)) = ctl {
                perf_command(&mut ctl_file, &mut ack_file, "disable")?;
            }
        }
        for task in tasks {
            task.await.expect("client task panicked")?;
        }
        if per_conn.is_some() {
            window = start.elapsed();
        }
        let latencies = stats.latencies.take();
        io::Result::Ok((latencies.len(), window, latencies))
    })?;
    latencies.sort_unstable();
    let pct = |p: f64| -> f64 {
        if latencies.is_empty() {
            return f64::NAN;
        }
        let i = ((latencies.len() as f64 * p).ceil() as usize).clamp(1, latencies.len()) - 1;
        f64::from(latencies[i]) / 1e3
    };
    println!(
        "RESULT messages={count} seconds={:.6} p50_us={:.1} p99_us={:.1}",
        elapsed.as_secs_f64(),
        pct(0.50),
        pct(0.99)
    );
    Ok(())
}

/// One closed-loop connection: write a message, read the whole echo, repeat.
async fn connection(
    mut stream: tokio::net::TcpStream,
    size: usize,
    messages: Option<u64>,
    stats: Rc<Stats>,
) -> io::Result<()> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let message = vec![0xA5u8; size];
    let mut echo = vec![0u8; size];
    let mut sent = 0u64;
    loop {
        if messages.is_some_and(|n| sent >= n) || stats.phase.get() == Phase::Stop {
            return Ok(());
        }
        let t = Instant::now();
        stream.write_all(&message).await?;
        stream.read_exact(&mut echo).await?;
        let rtt = t.elapsed();
        sent += 1;
        if stats.phase.get() == Phase::Measure {
            let ns = u32::try_from(rtt.as_nanos()).unwrap_or(u32::MAX);
            stats.latencies.borrow_mut().push(ns);
        }
    }
}

/// Sends `enable`/`disable` to `perf stat --control` and waits for its `ack`.
fn perf_command(ctl: &mut fs::File, ack: &mut fs::File, command: &str) -> io::Result<()> {
    ctl.write_all(format!("{command}\n").as_bytes())?;
    // perf writes "ack\n" and its C string's NUL: read up to the newline, skip NULs.
    let mut reply = Vec::new();
    let mut byte = [0u8; 1];
    while byte[0] != b'\n' {
        ack.read_exact(&mut byte)?;
        reply.push(byte[0]);
    }
    if reply.iter().filter(|&&b| b != 0).copied().ne(*b"ack\n") {
        return Err(io::Error::other("perf did not acknowledge"));
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// The orchestrator.

struct Config {
    conns: usize,
    size: usize,
}

#[derive(Default, Clone)]
struct Row {
    syscalls_per_msg: Option<f64>,
    /// The `epoll_wait` share of `syscalls_per_msg`: how many events each wait found.
    epoll_per_msg: Option<f64>,
    instr_per_msg: Option<f64>,
    msgs_per_sec: Option<f64>,
    p50_us: Option<f64>,
    p99_us: Option<f64>,
}

struct ClientResult {
    messages: u64,
    seconds: f64,
    p50_us: f64,
    p99_us: f64,
}

fn run() -> io::Result<()> {
    let exe = env::current_exe()?;
    let conns: Vec<usize> = env_list("ECHO_CONNS", "16,256");
    let sizes: Vec<usize> = env_list("ECHO_SIZES", "64,4096");
    let runtimes: Vec<String> = env_list("ECHO_RUNTIMES", "mirage,tokio");
    let warmup: f64 = env_num("ECHO_WARMUP", 1.0);
    let seconds: f64 = env_num("ECHO_SECONDS", 3.0);
    let repeats: usize = env_num("ECHO_REPEATS", 3).max(1);
    let cg_messages: u64 = env_num("ECHO_CG_MESSAGES", 20_000);
    let cg_repeats: usize = env_num("ECHO_CG_REPEATS", 3).max(1);
    let server_cpu: String = env_num("ECHO_SERVER_CPU", "0".to_string());
    let client_cpu: String = env_num("ECHO_CLIENT_CPU", "1".to_string());

    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("echo");
    fs::create_dir_all(&dir)?;
    let tools = Tools::detect("echo");
    let ctx = Ctx {
        exe: &exe,
        dir: &dir,
        server_pin: tools.pin(&server_cpu),
        client_pin: tools.pin(&client_cpu),
    };

    let configs: Vec<Config> = conns
        .iter()
        .flat_map(|&conns| sizes.iter().map(move |&size| Config { conns, size }))
        .collect();
    let mut rows: Vec<(usize, usize, String, Row)> = Vec::new();
    for config in &configs {
        let (c, s) = (config.conns, config.size);
        // Timed runs, alternating the runtimes so both see the same noise.
        let mut samples: Vec<Vec<Row>> = vec![Vec::new(); runtimes.len()];
        for rep in 1..=repeats {
            for (runtime, samples) in runtimes.iter().zip(&mut samples) {
                let (client, syscalls) =
                    ctx.timed_run(runtime, config, warmup, seconds, tools.perf)?;
                eprintln!(
                    "echo: {runtime} {c} conns {s} B, timed run {rep}/{repeats}: {} messages \
                     in {:.3} s, {} server syscalls, p99 {:.1} µs",
                    client.messages,
                    client.seconds,
                    syscalls.map_or("n/a".into(), |n| format!("{} ({} epoll_wait)", n.0, n.1)),
                    client.p99_us,
                );
                if client.messages > 0 {
                    let messages = client.messages as f64;
                    samples.push(Row {
                        syscalls_per_msg: syscalls.map(|n| n.0 as f64 / messages),
                        epoll_per_msg: syscalls.map(|n| n.1 as f64 / messages),
                        instr_per_msg: None,
                        msgs_per_sec: Some(messages / client.seconds),
                        p50_us: Some(client.p50_us),
                        p99_us: Some(client.p99_us),
                    });
                }
            }
        }
        for (runtime, samples) in runtimes.iter().zip(&samples) {
            let mut row = Row {
                syscalls_per_msg: median(samples.iter().map(|r| r.syscalls_per_msg)),
                epoll_per_msg: median(samples.iter().map(|r| r.epoll_per_msg)),
                instr_per_msg: None,
                msgs_per_sec: median(samples.iter().map(|r| r.msgs_per_sec)),
                p50_us: median(samples.iter().map(|r| r.p50_us)),
                p99_us: median(samples.iter().map(|r| r.p99_us)),
            };
            if tools.valgrind {
                let mut per_msg = Vec::new();
                for rep in 1..=cg_repeats {
                    let small = ctx.callgrind_run(runtime, config, cg_messages)?;
                    let large = ctx.callgrind_run(runtime, config, 2 * cg_messages)?;
                    let ir = (large.0 as f64 - small.0 as f64) / (large.1 - small.1) as f64;
                    eprintln!(
                        "echo: {runtime} {c} conns {s} B, callgrind {rep}/{cg_repeats}: Ir {} for \
                         {} messages, {} for {}: {ir:.0} per message",
                        small.0, small.1, large.0, large.1
                    );
                    per_msg.push(Some(ir));
                }
                row.instr_per_msg = median(per_msg.into_iter());
            }
            rows.push((c, s, runtime.clone(), row));
        }
    }
    print!("{}", table(&rows));
    Ok(())
}

/// A few hundred messages through each server, no tools needed: what `cargo test
/// --all-targets` runs.
fn smoke() -> io::Result<()> {
    let exe = env::current_exe()?;
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("echo");
    let ctx = Ctx {
        exe: &exe,
        dir: &dir,
        server_pin: Vec::new(),
        client_pin: Vec::new(),
    };
    for runtime in ["mirage", "tokio"] {
        for size in [64, 4096] {
            let config = Config { conns: 4, size };
            let (mut server, addr) = ctx.start_server(&[], runtime, config.conns)?;
            let client = ctx.client(addr, &config, &["--messages".into(), "50".into()])?;
            let status = server.wait()?;
            if !status.success() || client.messages != 200 {
                return Err(io::Error::other(format!(
                    "{runtime} {size} B: server {status}, {} messages echoed",
                    client.messages
                )));
            }
        }
    }
    println!("echo: both servers echo; run `cargo bench --bench echo` to measure");
    Ok(())
}

struct Ctx<'a> {
    exe: &'a Path,
    dir: &'a Path,
    server_pin: Vec<String>,
    client_pin: Vec<String>,
}

impl Ctx<'_> {
    /// Starts `prefix… <exe> server <runtime> 127.0.0.1:0 <conns>` and reads its address.
    fn start_server(
        &self,
        prefix: &[String],
        runtime: &str,
        conns: usize,
    ) -> io::Result<(Child, SocketAddr)> {
        let mut cmd = command(prefix, self.exe);
        cmd.args(["server", runtime, "127.0.0.1:0", &conns.to_string()])
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        let mut child = cmd.spawn()?;
        let stdout = child.stdout.take().expect("piped");
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line)?;
        let addr = line
            .trim()
            .strip_prefix("listening ")
            .and_then(|a| a.parse().ok())
            .ok_or_else(|| io::Error::other(format!("server said {line:?}")))?;
        Ok((child, addr))
    }

    fn client(
        &self,
        addr: SocketAddr,
        config: &Config,
        extra: &[String],
    ) -> io::Result<ClientResult> {
        let output = command(&self.client_pin, self.exe)
            .arg("client")
            .arg(addr.to_string())
            .arg(config.conns.to_string())
            .arg(config.size.to_string())
            .args(extra)
            .stderr(Stdio::inherit())
            .output()?;
        if !output.status.success() {
            return Err(io::Error::other(format!(
                "client failed: {}",
                output.status
            )));
        }
        let text = String::from_utf8_lossy(&output.stdout);
        let line = text
            .lines()
            .find(|l| l.starts_with("RESULT "))
            .ok_or_else(|| io::Error::other(format!("client said {text:?}")))?;
        let field = |name: &str| -> f64 {
            line.split_whitespace()
                .find_map(|kv| kv.strip_prefix(name)?.strip_prefix('='))
                .and_then(|v| v.parse().ok())
                .unwrap_or(f64::NAN)
        };
        Ok(ClientResult {
            messages: field("messages") as u64,
            seconds: field("seconds"),
            p50_us: field("p50_us"),
            p99_us: field("p99_us"),
        })
    }

    /// Warm-up, then a measured window: messages, latency, and the server's system calls in
    /// the window.
    fn timed_run(
        &self,
        runtime: &str,
        config: &Config,
        warmup: f64,
        seconds: f64,
        perf: bool,
    ) -> io::Result<(ClientResult, Option<SyscallCounts>)> {
        let (mut server, addr) = self.start_server(&self.server_pin, runtime, config.conns)?;
        let mut extra: Vec<String> = vec![
            "--warmup".into(),
            warmup.to_string(),
            "--seconds".into(),
            seconds.to_string(),
        ];
        let mut perf_child = None;
        let perf_out = self.dir.join("perf.txt");
        if perf {
            let ctl = self.dir.join("perf-ctl.fifo");
            let ack = self.dir.join("perf-ack.fifo");
            for fifo in [&ctl, &ack] {
                let _ = fs::remove_file(fifo);
                if !tool_works("mkfifo", &[&fifo.display().to_string()]) {
                    return Err(io::Error::other("mkfifo failed"));
                }
            }
            let _ = fs::remove_file(&perf_out);
            perf_child = Some(
                Command::new("perf")
                    .args([
                        "stat",
                        "-e",
                        "raw_syscalls:sys_enter",
                        "-e",
                        EPOLL_EVENTS,
                        "-x",
                        ",",
                        "-D",
                        "-1",
                    ])
                    .arg("--control")
                    .arg(format!("fifo:{},{}", ctl.display(), ack.display()))
                    .arg("-o")
                    .arg(&perf_out)
                    .arg("-p")
                    .arg(server.id().to_string())
                    .stdout(Stdio::null())
                    .stderr(fs::File::create(self.dir.join("perf.err"))?)
                    .spawn()?,
            );
            extra.push("--perf-ctl".into());
            extra.push(format!("{},{}", ctl.display(), ack.display()));
        }
        let client = self.client(addr, config, &extra)?;
        let status = server.wait()?;
        if !status.success() {
            return Err(io::Error::other(format!(
                "{runtime} server failed: {status}"
            )));
        }
        let mut syscalls = None;
        if let Some(mut perf) = perf_child {
            // perf stat -p exits once the server has.
            perf.wait()?;
            syscalls = Some(perf_counts(&fs::read_to_string(&perf_out)?)?);
        }
        Ok((client, syscalls))
    }

    /// The server under callgrind for `messages` messages (rounded down to a multiple of
    /// the connection count): (Ir, messages).
    fn callgrind_run(
        &self,
        runtime: &str,
        config: &Config,
        messages: u64,
    ) -> io::Result<(u64, u64)> {
        let per_conn = (messages / config.conns as u64).max(1);
        let out = self.dir.join(format!(
            "callgrind.{runtime}.{}c.{}b.{}.out",
            config.conns,
            config.size,
            per_conn * config.conns as u64
        ));
        let _ = fs::remove_file(&out);
        let mut prefix = self.server_pin.clone();
        prefix.extend([
            "valgrind".into(),
            "--tool=callgrind".into(),
            "--quiet".into(),
            format!("--callgrind-out-file={}", out.display()),
        ]);
        let (mut server, addr) = self.start_server(&prefix, runtime, config.conns)?;
        self.client(addr, config, &["--messages".into(), per_conn.to_string()])?;
        let status = server.wait()?;
        if !status.success() {
            return Err(io::Error::other(format!(
                "{runtime} server under callgrind failed: {status}"
            )));
        }
        let text = fs::read_to_string(&out)?;
        let ir = text
            .lines()
            .find_map(|l| {
                l.strip_prefix("summary:")
                    .or_else(|| l.strip_prefix("totals:"))
            })
            .and_then(|v| v.split_whitespace().next()?.parse().ok())
            .ok_or_else(|| io::Error::other("no totals in callgrind output"))?;
        Ok((ir, per_conn * config.conns as u64))
    }
}

fn table(rows: &[(usize, usize, String, Row)]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "\n| runtime | conns | size | syscalls/msg | epoll_wait/msg | instr/msg | msgs/s | p50 µs \
         | p99 µs |"
    );
    let _ = writeln!(out, "|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    let mut i = 0;
    while i < rows.len() {
        let (conns, size) = (rows[i].0, rows[i].1);
        let group: Vec<_> = rows[i..]
            .iter()
            .take_while(|r| r.0 == conns && r.1 == size)
            .collect();
        i += group.len();
        for (_, _, runtime, row) in &group {
            let _ = writeln!(
                out,
                "| {runtime} | {conns} | {size} B | {} | {} | {} | {} | {} | {} |",
                fmt_opt(row.syscalls_per_msg, 3),
                fmt_opt(row.epoll_per_msg, 3),
                fmt_opt(row.instr_per_msg, 0),
                fmt_opt(row.msgs_per_sec, 0),
                fmt_opt(row.p50_us, 1),
                fmt_opt(row.p99_us, 1),
            );
        }
        let find = |name: &str| group.iter().find(|r| r.2 == name).map(|r| &r.3);
        if let (Some(m), Some(t)) = (find("mirage"), find("tokio")) {
            let _ = writeln!(
                out,
                "| **mirage/tokio** | {conns} | {size} B | {} | {} | {} | {} | {} | {} |",
                fmt_opt(ratio(m.syscalls_per_msg, t.syscalls_per_msg), 3),
                fmt_opt(ratio(m.epoll_per_msg, t.epoll_per_msg), 3),
                fmt_opt(ratio(m.instr_per_msg, t.instr_per_msg), 3),
                fmt_opt(ratio(m.msgs_per_sec, t.msgs_per_sec), 3),
                fmt_opt(ratio(m.p50_us, t.p50_us), 3),
                fmt_opt(ratio(m.p99_us, t.p99_us), 3),
            );
        }
    }
    let _ = writeln!(
        out,
        "\nGoals (issue 4): syscalls/msg <= 2.05 at 64 B and <= tokio's at 4 KiB; \
         instr/msg ratio <= 0.5; msgs/s ratio >= 1 and p99 ratio <= 1 (noisy: see the doc)."
    );
    out
}
