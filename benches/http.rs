//! HTTP benchmark (issue 6): Mirage's HTTP server example beside hyper 1.x on tokio's
//! current-thread runtime and `may_minihttp` on one `may` worker, same run, same load.
//!
//! # Running it
//!
//! ```text
//! cargo bench --bench http
//! ```
//!
//! needs Linux, `wrk`, `taskset`, `perf` (with `raw_syscalls:sys_enter` readable: run as
//! root or lower `kernel.perf_event_paranoid`) and `valgrind`; a missing `perf` or
//! `valgrind` leaves its column `n/a`, a missing `wrk` leaves the timed columns `n/a`. It
//! takes four to seven minutes and ends with a markdown table. Environment variables narrow
//! or lengthen it:
//!
//! - `HTTP_SERVERS` (default `mirage,hyper,may`), `HTTP_DEPTHS` (requests per write, 1 is
//!   no pipelining; default `1,16`), `HTTP_CONNS` (default 64);
//! - `HTTP_WARMUP` / `HTTP_SECONDS`: the unmeasured `wrk` run before each measured one, and
//!   the measured one, seconds (default 1 and 5); `HTTP_CLIENT_SECONDS`: the run of this
//!   binary's own client after it (default 2; 0 skips it); `HTTP_REPEATS`: such runs per
//!   server and depth, alternating the servers (default 3; the table shows the median of
//!   each column);
//! - `HTTP_CG_REQUESTS`: the smaller request count of the callgrind runs (default 25600; the
//!   larger is twice it); `HTTP_CG_REPEATS`: how many such pairs (default 3; the table shows
//!   the median);
//! - `HTTP_SERVER_CPU` / `HTTP_CLIENT_CPU` (default 0 and 1).
//!
//! Without `--bench` (`cargo test --all-targets`) it only checks that the three servers
//! answer `/plaintext` alike. The sub-commands run the pieces by hand (the binary is
//! `$CARGO_TARGET_DIR/release/deps/http-*`, built by `cargo bench --bench http --no-run`):
//!
//! ```text
//! http server mirage|hyper|may <addr>
//! http client <addr> --conns <n> --depth <d> --requests <per-connection>
//! http client <addr> --conns <n> --depth <d> --seconds <s>
//! ```
//!
//! A server prints `listening <addr>` first and serves until its standard input closes
//! (then it exits at once, so callgrind writes its output): keep a pipe open when running
//! one by hand, e.g. `sleep 1d | http server mirage 127.0.0.1:8080`. The client is the
//! exact-count load generator of the callgrind runs, and a second latency measure: one
//! tokio current-thread runtime, `<n>` connections, each writing `<d>` requests at once
//! (wrk's request bytes) and reading the `<d>` answers, until it has sent
//! `<per-connection>` or for `<s>` seconds; it checks every answer and prints the answers,
//! the seconds, and the p50/p99 of a batch's latency (write to last answer).
//!
//! # What it measures
//!
//! For each server × depth, the server pinned to one CPU and the load generator to the
//! other, all servers answering `GET /plaintext` with `Hello, World!` and `Content-Type`,
//! `Content-Length`, `Date` and `Server` headers:
//!
//! - **req/s**, **p50/p99 ms**: `taskset -c 1 wrk -t1 -c64 -d<s> --latency`; at depth 16 a
//!   Lua script makes every write 16 requests (TechEmpower's `pipeline.lua`), and wrk's
//!   latency is then that of a batch. wrk "corrects" its latencies for coordinated omission
//!   with synthetic samples spaced by the mean interval between *requests* per connection,
//!   16 times too short when pipelining, and it then often loses them below the minimum it
//!   scans from: it prints `99% 0.00us`, shown `n/a` here. Hence also
//! - **client req/s**, **client p99 ms**: this binary's timed client (same connections and
//!   depth, uncorrected per-batch latency), for `HTTP_CLIENT_SECONDS` after the wrk run.
//!
//!   Neither load generator keeps the server busy on this 2-vCPU VM (the server's CPU is
//!   about a third used at depth 1): round trips are bound by wake-up latency, and the
//!   machine is shared. Noisy: judge the server by the two counts below.
//! - **syscalls/req**: `perf stat -e raw_syscalls:sys_enter -p <server>` (all its threads)
//!   enabled through `--control` just before the measured wrk run starts and disabled just
//!   after it ends, divided by the requests wrk counted. The 64 accepts and closes add
//!   about 0.001 per request. **epoll_wait/req** is the share of `epoll_wait` in it
//!   (counted alongside): the rest is one read and one write per request (per 16 requests
//!   at depth 16).
//! - **instr/req**: user-space instructions of the server (callgrind `Ir`, all threads),
//!   from two runs of the exact-count client with N and 2N requests:
//!   (Ir(2N) − Ir(N)) / N, which cancels start-up, accept and teardown. Under valgrind the
//!   server is slow, so each `epoll_wait` finds more connections ready than natively; all
//!   servers see the same.

#![allow(missing_docs)] // a bench binary

// The Mirage server is the example's own modules, as `tests/http_server.rs` compiles them.
#[allow(dead_code, unused_imports)] // its unit tests are not compiled here
#[path = "../examples/http_server/chunked.rs"]
mod chunked;
#[allow(dead_code)]
#[path = "../examples/http_server/config.rs"]
mod config;
#[allow(dead_code, unused_imports)] // its unit tests are not compiled here
#[path = "../examples/http_server/connection.rs"]
mod connection;
#[allow(dead_code, unused_imports)] // its unit tests are not compiled here
#[path = "../examples/http_server/date.rs"]
mod date;
#[allow(dead_code)]
#[path = "../examples/http_server/event.rs"]
mod event;
#[allow(dead_code, unused_imports)] // its unit tests are not compiled here
#[path = "../examples/http_server/request.rs"]
mod request;
#[allow(dead_code, unused_imports)] // its unit tests are not compiled here
#[path = "../examples/http_server/response.rs"]
mod response;
#[allow(dead_code)]
#[path = "../examples/http_server/routes.rs"]
mod routes;
#[allow(dead_code)]
#[path = "../examples/http_server/server.rs"]
mod server;

#[path = "http/hyper_server.rs"]
mod hyper_server;
#[path = "http/may_server.rs"]
mod may_server;

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
use std::process::{Child, ChildStdin, Command, Stdio};
use std::rc::Rc;
use std::time::{Duration, Instant};

const BODY: &[u8] = b"Hello, World!";

/// wrk's pipelining script: `depth` requests (wrk's own request bytes) per write.
const PIPELINE_LUA: &str = r#"init = function(args)
  local depth = tonumber(args[1]) or 1
  local r = {}
  for i = 1, depth do
    r[i] = wrk.format()
  end
  req = table.concat(r)
end

request = function()
  return req
end
"#;

fn main() {
    dispatch("http", server_command, client_command, run, smoke);
}

// ---------------------------------------------------------------------------------------
// Servers.

fn server_command(args: &[String]) -> io::Result<()> {
    let name = args.first().map(String::as_str);
    let addr: SocketAddr = parse(args.get(1), "address")?;
    // Exit as soon as the orchestrator closes our stdin: the same for every server, and
    // nothing in any server's request path.
    std::thread::spawn(|| {
        let _ = io::copy(&mut io::stdin().lock(), &mut io::sink());
        std::process::exit(0);
    });
    match name {
        Some("mirage") => serve_mirage(addr),
        Some("hyper") => hyper_server::serve(addr),
        Some("may") => may_server::serve(addr),
        _ => Err(invalid("server mirage|hyper|may <addr>")),
    }
}

/// The example's server, as its `main.rs` runs it (without the Ctrl-C handler).
fn serve_mirage(addr: SocketAddr) -> io::Result<()> {
    let listener = mirage::net::TcpListener::bind(addr)?;
    announce(listener.local_addr()?)?;
    let mut core = mirage::Core::new()?;
    core.run(server::serve(
        listener,
        config::Config::default(),
        std::future::pending(),
    ))
}

// ---------------------------------------------------------------------------------------
// The exact-count client (callgrind runs and the smoke test).

/// The request wrk sends for `http://<addr>/plaintext`.
fn request_bytes(addr: SocketAddr) -> Vec<u8> {
    format!("GET /plaintext HTTP/1.1\r\nHost: {addr}\r\n\r\n").into_bytes()
}

fn client_command(args: &[String]) -> io::Result<()> {
    let addr: SocketAddr = parse(args.first(), "address")?;
    let mut load = Load {
        conns: 64,
        per_conn: None,
        depth: 1,
        seconds: None,
    };
    let mut rest = args[1..].iter();
    while let Some(flag) = rest.next() {
        match flag.as_str() {
            "--conns" => load.conns = parse(rest.next(), "--conns")?,
            "--requests" => load.per_conn = Some(parse(rest.next(), "--requests")?),
            "--depth" => load.depth = parse::<u64>(rest.next(), "--depth")?.max(1),
            "--seconds" => load.seconds = Some(parse(rest.next(), "--seconds")?),
            other => return Err(invalid(format!("unknown client flag {other:?}"))),
        }
    }
    if load.per_conn.is_some() == load.seconds.is_some() {
        return Err(invalid("give exactly one of --requests and --seconds"));
    }
    let (answered, elapsed, mut latencies) = drive(addr, &load)?;
    latencies.sort_unstable();
    let pct = |p: f64| -> f64 {
        if latencies.is_empty() {
            return f64::NAN;
        }
        let i = ((latencies.len() as f64 * p).ceil() as usize).clamp(1, latencies.len()) - 1;
        f64::from(latencies[i]) / 1e6
    };
    println!(
        "RESULT responses={answered} seconds={elapsed:.6} p50_ms={:.3} p99_ms={:.3}",
        pct(0.50),
        pct(0.99)
    );
    Ok(())
}

/// What the client sends: `conns` connections, each writing `depth` requests at once and
/// reading their answers, `per_conn` requests each or for `seconds`.
struct Load {
    conns: usize,
    per_conn: Option<u64>,
    depth: u64,
    seconds: Option<f64>,
}

/// Runs `load`: the checked answers, the seconds it took, and (timed runs only) each
/// batch's latency from its write to its last answer, in nanoseconds.
fn drive(addr: SocketAddr, load: &Load) -> io::Result<(u64, f64, Vec<u32>)> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .enable_time()
        .build()?;
    let local = tokio::task::LocalSet::new();
    let (conns, per_conn, depth, seconds) = (load.conns, load.per_conn, load.depth, load.seconds);
    local.block_on(&rt, async move {
        let mut streams = Vec::with_capacity(conns);
        for _ in 0..conns {
            let stream = tokio::net::TcpStream::connect(addr).await?;
            stream.set_nodelay(true)?;
            streams.push(stream);
        }
        let stop = Rc::new(Cell::new(false));
        let latencies = Rc::new(RefCell::new(Vec::new()));
        let start = Instant::now();
        let tasks: Vec<_> = streams
            .into_iter()
            .map(|stream| {
                let conn = Conn {
                    addr,
                    per_conn,
                    depth,
                    stop: Rc::clone(&stop),
                    latencies: seconds.map(|_| Rc::clone(&latencies)),
                };
                tokio::task::spawn_local(conn.run(stream))
            })
            .collect();
        if let Some(seconds) = seconds {
            tokio::time::sleep(Duration::from_secs_f64(seconds)).await;
            stop.set(true);
        }
        let mut answered = 0;
        for task in tasks {
            answered += task.await.expect("client task panicked")?;
        }
        let elapsed = start.elapsed().as_secs_f64();
        let latencies = latencies.take();
        Ok((answered, elapsed, latencies))
    })
}

/// One client connection.
struct Conn {
    addr: SocketAddr,
    per_conn: Option<u64>,
    depth: u64,
    stop: Rc<Cell<bool>>,
    latencies: Option<Rc<RefCell<Vec<u32>>>>,
}

impl Conn {
    async fn run(self, mut stream: tokio::net::TcpStream) -> io::Result<u64> {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};

        let one = request_bytes(self.addr);
        let mut out = Vec::new();
        let mut buf = Vec::with_capacity(64 * 1024);
        let mut answered = 0;
        loop {
            let batch = match self.per_conn {
                Some(n) if answered >= n => break,
                Some(n) => self.depth.min(n - answered),
                None if self.stop.get() => break,
                None => self.depth,
            };
            out.clear();
            for _ in 0..batch {
                out.extend_from_slice(&one);
            }
            let t = Instant::now();
            stream.write_all(&out).await?;
            let mut left = batch;
            while left > 0 {
                match parse_response(&buf)? {
                    Some(len) => {
                        buf.drain(..len);
                        left -= 1;
                        answered += 1;
                    }
                    None => {
                        if buf.capacity() - buf.len() < 4096 {
                            buf.reserve(64 * 1024);
                        }
                        if stream.read_buf(&mut buf).await? == 0 {
                            return Err(io::Error::other("server closed the connection"));
                        }
                    }
                }
            }
            if let Some(latencies) = &self.latencies {
                let ns = u32::try_from(t.elapsed().as_nanos()).unwrap_or(u32::MAX);
                latencies.borrow_mut().push(ns);
            }
        }
        Ok(answered)
    }
}

/// The length of the `200 Hello, World!` response at the start of `buf`, `None` when it is
/// not all there yet.
fn parse_response(buf: &[u8]) -> io::Result<Option<usize>> {
    let Some(head_len) = buf.windows(4).position(|w| w == b"\r\n\r\n") else {
        return Ok(None);
    };
    let head = &buf[..head_len];
    if !head.starts_with(b"HTTP/1.1 200 ") {
        return Err(io::Error::other(format!(
            "unexpected response {:?}",
            String::from_utf8_lossy(head)
        )));
    }
    let length = header(head, "content-length")
        .and_then(|v| std::str::from_utf8(v).ok()?.trim().parse::<usize>().ok())
        .ok_or_else(|| io::Error::other("response without Content-Length"))?;
    let total = head_len + 4 + length;
    if buf.len() < total {
        return Ok(None);
    }
    if &buf[head_len + 4..total] != BODY {
        return Err(io::Error::other("unexpected response body"));
    }
    Ok(Some(total))
}

/// The value of header `name` in a response head.
fn header<'a>(head: &'a [u8], name: &str) -> Option<&'a [u8]> {
    head.split(|&b| b == b'\n').skip(1).find_map(|line| {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let colon = line.iter().position(|&b| b == b':')?;
        line[..colon]
            .eq_ignore_ascii_case(name.as_bytes())
            .then(|| line[colon + 1..].trim_ascii())
    })
}

// ---------------------------------------------------------------------------------------
// The orchestrator.

/// One measured configuration's numbers (any of them unknown).
#[derive(Default, Clone)]
struct Row {
    syscalls_per_req: Option<f64>,
    /// The `epoll_wait` share of `syscalls_per_req`: how many events each wait found.
    epoll_per_req: Option<f64>,
    instr_per_req: Option<f64>,
    req_per_sec: Option<f64>,
    p50_ms: Option<f64>,
    p99_ms: Option<f64>,
    /// The same from this binary's client (no coordinated-omission correction).
    client_req_per_sec: Option<f64>,
    client_p99_ms: Option<f64>,
}

/// What wrk printed.
struct WrkResult {
    requests: u64,
    req_per_sec: f64,
    p50_ms: Option<f64>,
    p99_ms: Option<f64>,
}

/// What this binary's timed client printed.
struct ClientResult {
    req_per_sec: f64,
    p99_ms: f64,
}

fn run() -> io::Result<()> {
    let exe = env::current_exe()?;
    let servers: Vec<String> = env_list("HTTP_SERVERS", "mirage,hyper,may");
    let depths: Vec<u64> = env_list("HTTP_DEPTHS", "1,16");
    let conns: usize = env_num("HTTP_CONNS", 64).max(1);
    let warmup: u64 = env_num("HTTP_WARMUP", 1);
    let seconds: u64 = env_num("HTTP_SECONDS", 5).max(1);
    let client_seconds: f64 = env_num("HTTP_CLIENT_SECONDS", 2.0);
    let repeats: usize = env_num("HTTP_REPEATS", 3).max(1);
    let cg_requests: u64 = env_num("HTTP_CG_REQUESTS", 25_600);
    let cg_repeats: usize = env_num("HTTP_CG_REPEATS", 3).max(1);
    let server_cpu: String = env_num("HTTP_SERVER_CPU", "0".to_string());
    let client_cpu: String = env_num("HTTP_CLIENT_CPU", "1".to_string());

    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("http");
    fs::create_dir_all(&dir)?;
    let script = dir.join("pipeline.lua");
    fs::write(&script, PIPELINE_LUA)?;
    let have_wrk = tool_works("wrk", &["--version"]) || tool_works("which", &["wrk"]);
    if !have_wrk {
        eprintln!("http: wrk unavailable (apt-get install wrk): no timed runs");
    }
    let tools = Tools::detect("http");
    let ctx = Ctx {
        exe: &exe,
        dir: &dir,
        script: &script,
        conns,
        server_pin: tools.pin(&server_cpu),
        client_pin: tools.pin(&client_cpu),
    };

    let mut rows: Vec<(u64, String, Row)> = Vec::new();
    for &depth in &depths {
        // Timed runs, alternating the servers so that all see the same noise.
        let mut samples: Vec<Vec<Row>> = vec![Vec::new(); servers.len()];
        if have_wrk {
            for rep in 1..=repeats {
                for (name, samples) in servers.iter().zip(&mut samples) {
                    let timing = Timing {
                        warmup,
                        seconds,
                        client_seconds,
                        perf: tools.perf,
                    };
                    let (wrk, syscalls, client) = ctx.timed_run(name, depth, &timing)?;
                    eprintln!(
                        "http: {name} depth {depth}, timed run {rep}/{repeats}: {} requests, \
                         {:.0} req/s, p99 {} ms, {} server syscalls; own client {} req/s, \
                         p99 {} ms",
                        wrk.requests,
                        wrk.req_per_sec,
                        fmt_opt(wrk.p99_ms, 3),
                        syscalls.map_or("n/a".into(), |n| format!("{} ({} epoll_wait)", n.0, n.1)),
                        fmt_opt(client.as_ref().map(|c| c.req_per_sec), 0),
                        fmt_opt(client.as_ref().map(|c| c.p99_ms), 3),
                    );
                    if wrk.requests > 0 {
                        samples.push(Row {
                            syscalls_per_req: syscalls.map(|n| n.0 as f64 / wrk.requests as f64),
                            epoll_per_req: syscalls.map(|n| n.1 as f64 / wrk.requests as f64),
                            instr_per_req: None,
                            req_per_sec: Some(wrk.req_per_sec),
                            p50_ms: wrk.p50_ms,
                            p99_ms: wrk.p99_ms,
                            client_req_per_sec: client.as_ref().map(|c| c.req_per_sec),
                            client_p99_ms: client.as_ref().map(|c| c.p99_ms),
                        });
                    }
                }
            }
        }
        for (name, samples) in servers.iter().zip(&samples) {
            let mut row = Row {
                syscalls_per_req: median(samples.iter().map(|r| r.syscalls_per_req)),
                epoll_per_req: median(samples.iter().map(|r| r.epoll_per_req)),
                instr_per_req: None,
                req_per_sec: median(samples.iter().map(|r| r.req_per_sec)),
                p50_ms: median(samples.iter().map(|r| r.p50_ms)),
                p99_ms: median(samples.iter().map(|r| r.p99_ms)),
                client_req_per_sec: median(samples.iter().map(|r| r.client_req_per_sec)),
                client_p99_ms: median(samples.iter().map(|r| r.client_p99_ms)),
            };
            if tools.valgrind {
                let mut per_req = Vec::new();
                for rep in 1..=cg_repeats {
                    let small = ctx.callgrind_run(name, depth, cg_requests)?;
                    let large = ctx.callgrind_run(name, depth, 2 * cg_requests)?;
                    let ir = (large.0 as f64 - small.0 as f64) / (large.1 - small.1) as f64;
                    eprintln!(
                        "http: {name} depth {depth}, callgrind {rep}/{cg_repeats}: Ir {} for {} \
                         requests, {} for {}: {ir:.0} per request",
                        small.0, small.1, large.0, large.1
                    );
                    per_req.push(Some(ir));
                }
                row.instr_per_req = median(per_req.into_iter());
            }
            rows.push((depth, name.clone(), row));
        }
    }
    print!("{}", table(&rows, conns));
    Ok(())
}

/// Each server answers a few hundred requests, plain and pipelined, with the headers the
/// benchmark requires; no tools needed: what `cargo test --all-targets` runs.
fn smoke() -> io::Result<()> {
    let exe = env::current_exe()?;
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("http");
    let ctx = Ctx {
        exe: &exe,
        dir: &dir,
        script: &dir,
        conns: 4,
        server_pin: Vec::new(),
        client_pin: Vec::new(),
    };
    for name in ["mirage", "hyper", "may"] {
        let mut server = ctx.start_server(&[], name)?;
        let result = check_headers(server.addr).and_then(|()| {
            let load = |per_conn, depth| Load {
                conns: 4,
                per_conn: Some(per_conn),
                depth,
                seconds: None,
            };
            let (plain, _, _) = drive(server.addr, &load(50, 1))?;
            let (pipelined, _, _) = drive(server.addr, &load(64, 16))?;
            if plain != 200 || pipelined != 256 {
                return Err(io::Error::other(format!(
                    "{plain} of 200 plain and {pipelined} of 256 pipelined requests answered"
                )));
            }
            Ok(())
        });
        server.stop()?;
        result.map_err(|err| io::Error::other(format!("{name}: {err}")))?;
    }
    println!("http: all servers answer /plaintext; run `cargo bench --bench http` to measure");
    Ok(())
}

/// One request with std's blocking socket: the answer has the headers every server must
/// send.
fn check_headers(addr: SocketAddr) -> io::Result<()> {
    let mut stream = std::net::TcpStream::connect(addr)?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    stream.write_all(&request_bytes(addr))?;
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let len = loop {
        if let Some(len) = parse_response(&buf)? {
            break len;
        }
        let n = stream.read(&mut chunk)?;
        if n == 0 {
            return Err(io::Error::other("closed before answering"));
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head_len = buf.windows(4).position(|w| w == b"\r\n\r\n").unwrap_or(len);
    let head = &buf[..head_len];
    let has = |name: &str, want: Option<&[u8]>| match header(head, name) {
        Some(value) => want.is_none_or(|w| value == w),
        None => false,
    };
    if !(has("content-type", Some(b"text/plain"))
        && has("content-length", Some(b"13"))
        && has("date", None)
        && has("server", None))
    {
        return Err(io::Error::other(format!(
            "missing or wrong headers in {:?}",
            String::from_utf8_lossy(head)
        )));
    }
    Ok(())
}

/// How long the timed runs last, and whether perf counts.
struct Timing {
    warmup: u64,
    seconds: u64,
    client_seconds: f64,
    perf: bool,
}

struct Ctx<'a> {
    exe: &'a Path,
    dir: &'a Path,
    script: &'a Path,
    conns: usize,
    server_pin: Vec<String>,
    client_pin: Vec<String>,
}

/// A started server; closing its stdin makes it exit.
struct Server {
    child: Child,
    stdin: Option<ChildStdin>,
    addr: SocketAddr,
}

impl Server {
    fn stop(&mut self) -> io::Result<()> {
        drop(self.stdin.take());
        let status = self.child.wait()?;
        if !status.success() {
            return Err(io::Error::other(format!("server exited with {status}")));
        }
        Ok(())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if self.stdin.is_some() {
            drop(self.stdin.take());
            let _ = self.child.wait();
        }
    }
}

impl Ctx<'_> {
    /// Starts `prefix… <exe> server <name> 127.0.0.1:0` and reads its address.
    fn start_server(&self, prefix: &[String], name: &str) -> io::Result<Server> {
        let mut cmd = command(prefix, self.exe);
        cmd.args(["server", name, "127.0.0.1:0"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        let mut child = cmd.spawn()?;
        let stdin = child.stdin.take();
        let stdout = child.stdout.take().expect("piped");
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line)?;
        let addr = line
            .trim()
            .strip_prefix("listening ")
            .and_then(|a| a.parse().ok());
        let mut server = Server {
            child,
            stdin,
            addr: "0.0.0.0:0".parse().expect("an address"),
        };
        match addr {
            Some(addr) => server.addr = addr,
            None => {
                let _ = server.child.kill();
                return Err(io::Error::other(format!("{name} server said {line:?}")));
            }
        }
        Ok(server)
    }

    /// `taskset -c <client> wrk -t1 -c<conns> -d<seconds>s --latency [pipelining] <url>`.
    fn wrk(&self, addr: SocketAddr, depth: u64, seconds: u64) -> io::Result<WrkResult> {
        let mut cmd = command(&self.client_pin, Path::new("wrk"));
        cmd.args([
            "-t1".to_string(),
            format!("-c{}", self.conns),
            format!("-d{seconds}s"),
            "--latency".into(),
        ]);
        if depth > 1 {
            cmd.arg("-s").arg(self.script);
        }
        cmd.arg(format!("http://{addr}/plaintext"));
        if depth > 1 {
            cmd.args(["--".to_string(), depth.to_string()]);
        }
        let output = cmd.stderr(Stdio::inherit()).output()?;
        let text = String::from_utf8_lossy(&output.stdout);
        if !output.status.success() {
            return Err(io::Error::other(format!(
                "wrk failed: {}: {text}",
                output.status
            )));
        }
        parse_wrk(&text)
    }

    /// A warm-up wrk run, then a measured one (wrk's numbers, and the server's system calls
    /// during it), then this binary's timed client.
    fn timed_run(
        &self,
        name: &str,
        depth: u64,
        timing: &Timing,
    ) -> io::Result<(WrkResult, Option<SyscallCounts>, Option<ClientResult>)> {
        let mut server = self.start_server(&self.server_pin, name)?;
        if timing.warmup > 0 {
            self.wrk(server.addr, depth, timing.warmup)?;
        }
        let mut counter = if timing.perf {
            Some(PerfCounter::start(self.dir, server.child.id())?)
        } else {
            None
        };
        let wrk = self.wrk(server.addr, depth, timing.seconds);
        let syscalls = match counter.as_mut() {
            Some(counter) => Some(counter.finish()?),
            None => None,
        };
        let wrk = wrk?;
        let client = if timing.client_seconds > 0.0 {
            let args = [
                "--depth".to_string(),
                depth.to_string(),
                "--seconds".into(),
                timing.client_seconds.to_string(),
            ];
            let fields = self.client(server.addr, &args)?;
            let field = |name: &str| fields.get(name).copied().unwrap_or(f64::NAN);
            Some(ClientResult {
                req_per_sec: field("responses") / field("seconds"),
                p99_ms: field("p99_ms"),
            })
        } else {
            None
        };
        server.stop()?;
        Ok((wrk, syscalls, client))
    }

    /// Runs `<exe> client <addr> --conns <conns> <args…>` on the client CPU: its `RESULT`
    /// fields.
    fn client(
        &self,
        addr: SocketAddr,
        args: &[String],
    ) -> io::Result<std::collections::HashMap<String, f64>> {
        let output = command(&self.client_pin, self.exe)
            .arg("client")
            .arg(addr.to_string())
            .args(["--conns", &self.conns.to_string()])
            .args(args)
            .stderr(Stdio::inherit())
            .output()?;
        let text = String::from_utf8_lossy(&output.stdout);
        let line = text.lines().find_map(|l| l.strip_prefix("RESULT "));
        match line {
            Some(line) if output.status.success() => Ok(line
                .split_whitespace()
                .filter_map(|kv| {
                    let (k, v) = kv.split_once('=')?;
                    Some((k.to_string(), v.parse().ok()?))
                })
                .collect()),
            _ => Err(io::Error::other(format!(
                "client {} said {text:?}",
                output.status
            ))),
        }
    }

    /// The server under callgrind for `requests` requests (rounded down to a multiple of
    /// the connection count and the depth): (Ir, requests).
    fn callgrind_run(&self, name: &str, depth: u64, requests: u64) -> io::Result<(u64, u64)> {
        let conns = self.conns as u64;
        let per_conn = (requests / conns / depth).max(1) * depth;
        let total = per_conn * conns;
        let out = self
            .dir
            .join(format!("callgrind.{name}.d{depth}.{total}.out"));
        let _ = fs::remove_file(&out);
        let mut prefix = self.server_pin.clone();
        prefix.extend([
            "valgrind".into(),
            "--tool=callgrind".into(),
            "--quiet".into(),
            format!("--callgrind-out-file={}", out.display()),
        ]);
        let mut server = self.start_server(&prefix, name)?;
        let args = [
            "--requests".to_string(),
            per_conn.to_string(),
            "--depth".into(),
            depth.to_string(),
        ];
        let answered = self.client(server.addr, &args)?.get("responses").copied();
        if answered != Some(total as f64) {
            return Err(io::Error::other(format!(
                "{name} under callgrind: {answered:?} of {total} requests answered"
            )));
        }
        // Let the server see every connection close (slow under valgrind) before it exits.
        std::thread::sleep(Duration::from_millis(500));
        server.stop()?;
        let text = fs::read_to_string(&out)?;
        let ir = text
            .lines()
            .find_map(|l| {
                l.strip_prefix("summary:")
                    .or_else(|| l.strip_prefix("totals:"))
            })
            .and_then(|v| v.split_whitespace().next()?.parse().ok())
            .ok_or_else(|| io::Error::other("no totals in callgrind output"))?;
        Ok((ir, total))
    }
}

/// `perf stat -e raw_syscalls:sys_enter -p <pid>`, started disabled and enabled through its
/// `--control` fifos, so that it counts exactly between [`start`] and [`finish`].
///
/// [`start`]: PerfCounter::start
/// [`finish`]: PerfCounter::finish
struct PerfCounter {
    child: Child,
    ctl: fs::File,
    ack: fs::File,
    out: PathBuf,
}

impl PerfCounter {
    fn start(dir: &Path, pid: u32) -> io::Result<PerfCounter> {
        let ctl = dir.join("perf-ctl.fifo");
        let ack = dir.join("perf-ack.fifo");
        for fifo in [&ctl, &ack] {
            let _ = fs::remove_file(fifo);
            if !tool_works("mkfifo", &[&fifo.display().to_string()]) {
                return Err(io::Error::other("mkfifo failed"));
            }
        }
        let out = dir.join("perf.txt");
        let _ = fs::remove_file(&out);
        let child = Command::new("perf")
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
            .arg(&out)
            .arg("-p")
            .arg(pid.to_string())
            .stdout(Stdio::null())
            .stderr(fs::File::create(dir.join("perf.err"))?)
            .spawn()?;
        // Opening blocks until perf has opened its ends: that is the hand-shake.
        let ctl_file = fs::OpenOptions::new().write(true).open(&ctl)?;
        let ack_file = fs::File::open(&ack)?;
        let mut counter = PerfCounter {
            child,
            ctl: ctl_file,
            ack: ack_file,
            out,
        };
        counter.command("enable")?;
        Ok(counter)
    }

    /// Stops counting; the system calls counted, and the `epoll_wait` calls among them.
    fn finish(&mut self) -> io::Result<SyscallCounts> {
        self.command("disable")?;
        // SAFETY: plain FFI call; the pid is our own child's, which we have not waited for.
        unsafe { libc::kill(self.child.id() as libc::pid_t, libc::SIGINT) };
        self.child.wait()?;
        perf_counts(&fs::read_to_string(&self.out)?)
    }

    /// Sends `enable`/`disable` and waits for perf's `ack`.
    fn command(&mut self, command: &str) -> io::Result<()> {
        self.ctl.write_all(format!("{command}\n").as_bytes())?;
        // perf writes "ack\n" and its C string's NUL: read up to the newline, skip NULs.
        let mut reply = Vec::new();
        let mut byte = [0u8; 1];
        while byte[0] != b'\n' {
            self.ack.read_exact(&mut byte)?;
            reply.push(byte[0]);
        }
        if reply.iter().filter(|&&b| b != 0).copied().ne(*b"ack\n") {
            return Err(io::Error::other("perf did not acknowledge"));
        }
        Ok(())
    }
}

/// Reads wrk's summary: `N requests in`, `Requests/sec:`, and the 50% and 99% lines of
/// `--latency`. Errors and non-2xx answers fail the run.
fn parse_wrk(text: &str) -> io::Result<WrkResult> {
    let bad = || io::Error::other(format!("could not read wrk's output: {text}"));
    if text.contains("Non-2xx") || text.contains("Socket errors") {
        return Err(io::Error::other(format!("wrk saw errors: {text}")));
    }
    let requests = text
        .lines()
        .find_map(|l| l.trim().split_once(" requests in "))
        .and_then(|(n, _)| n.trim().parse().ok())
        .ok_or_else(bad)?;
    let req_per_sec = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("Requests/sec:"))
        .and_then(|v| v.trim().parse().ok())
        .ok_or_else(bad)?;
    let percentile = |p: &str| -> Option<f64> {
        text.lines().find_map(|l| {
            let mut fields = l.split_whitespace();
            (fields.next()? == p).then_some(())?;
            duration_ms(fields.next()?)
        })
    };
    Ok(WrkResult {
        requests,
        req_per_sec,
        p50_ms: percentile("50%"),
        p99_ms: percentile("99%"),
    })
}

/// wrk's `812.00us`, `1.23ms`, `2.00s`, `1.50m` in milliseconds. wrk prints `0.00us` for
/// a percentile its coordinated-omission correction broke (it adds samples below the
/// minimum it then scans from, which happens when pipelining): that is `None`.
fn duration_ms(text: &str) -> Option<f64> {
    let split = text.find(|c: char| c.is_ascii_alphabetic())?;
    let (value, unit) = text.split_at(split);
    let value: f64 = value.parse().ok()?;
    let scale = match unit {
        "us" => 1e-3,
        "ms" => 1.0,
        "s" => 1e3,
        "m" => 60e3,
        "h" => 3600e3,
        _ => return None,
    };
    Some(value * scale).filter(|&ms| ms > 0.0)
}

fn table(rows: &[(u64, String, Row)], conns: usize) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "\n| server | depth | syscalls/req | epoll_wait/req | instr/req | req/s | p50 ms | \
         p99 ms | client req/s | client p99 ms |"
    );
    let _ = writeln!(out, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    let mut i = 0;
    while i < rows.len() {
        let depth = rows[i].0;
        let group: Vec<_> = rows[i..].iter().take_while(|r| r.0 == depth).collect();
        i += group.len();
        for (_, name, row) in &group {
            let _ = writeln!(
                out,
                "| {name} | {depth} | {} | {} | {} | {} | {} | {} | {} | {} |",
                fmt_opt(row.syscalls_per_req, 3),
                fmt_opt(row.epoll_per_req, 3),
                fmt_opt(row.instr_per_req, 0),
                fmt_opt(row.req_per_sec, 0),
                fmt_opt(row.p50_ms, 3),
                fmt_opt(row.p99_ms, 3),
                fmt_opt(row.client_req_per_sec, 0),
                fmt_opt(row.client_p99_ms, 3),
            );
        }
        let find = |name: &str| group.iter().find(|r| r.1 == name).map(|r| &r.2);
        let Some(m) = find("mirage") else { continue };
        for peer in ["hyper", "may"] {
            if let Some(p) = find(peer) {
                let _ = writeln!(
                    out,
                    "| **mirage/{peer}** | {depth} | {} | {} | {} | {} | {} | {} | {} | {} |",
                    fmt_opt(ratio(m.syscalls_per_req, p.syscalls_per_req), 3),
                    fmt_opt(ratio(m.epoll_per_req, p.epoll_per_req), 3),
                    fmt_opt(ratio(m.instr_per_req, p.instr_per_req), 3),
                    fmt_opt(ratio(m.req_per_sec, p.req_per_sec), 3),
                    fmt_opt(ratio(m.p50_ms, p.p50_ms), 3),
                    fmt_opt(ratio(m.p99_ms, p.p99_ms), 3),
                    fmt_opt(ratio(m.client_req_per_sec, p.client_req_per_sec), 3),
                    fmt_opt(ratio(m.client_p99_ms, p.client_p99_ms), 3),
                );
            }
        }
    }
    let _ = writeln!(
        out,
        "\n{conns} connections; depth = requests per write (16: pipelined). Goals (issue 6): \
         instr/req ratio <= 0.3 vs hyper and < 1 vs may; syscalls/req ratio <= 1 vs both; \
         req/s ratio >= 1 and p99 ratio <= 1 vs both (noisy: see the doc)."
    );
    out
}
