//! `mirage::io::{stdin, stdout, stderr}` on real descriptors 0, 1 and 2: each test runs this
//! binary again as a child, in the role `MIRAGE_STDIO_ROLE` names, with pipes for its
//! standard streams, and checks what comes out of them.
//!
//! The binary has its own `main` (`harness = false` in Cargo.toml), so that no test
//! harness writes into the child's stdout. `main` runs every test in turn (or those whose
//! name contains an argument), each bounded by [`GUARD`]: a child that hangs is killed and
//! the test fails.

use std::future::Future;
use std::io::Write as _;
use std::process::Stdio;
use std::time::Duration;

use mirage::Core;
use mirage::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader, stderr, stdin, stdout};
use mirage::process::{Child, Command};
use mirage::time::timeout;

/// The environment variable that makes this binary a child in the role it names.
const ROLE: &str = "MIRAGE_STDIO_ROLE";
/// The bound on each test: far beyond what it needs, so only a hang reaches it.
const GUARD: Duration = Duration::from_secs(30);
const MIB: usize = 1 << 20;

const TESTS: &[(&str, fn())] = &[
    ("a_megabyte_echoes_from_stdin_to_stdout_in_order", echo),
    (
        "reads_return_what_came_then_zero_at_end_of_input",
        read_to_eof,
    ),
    (
        "large_writes_to_stdout_and_stderr_arrive_complete_in_order",
        large_writes,
    ),
    (
        "a_closed_stdout_fails_with_broken_pipe_at_the_next_write_or_flush",
        broken_pipe,
    ),
    (
        "a_read_dropped_while_it_waits_loses_no_bytes",
        cancelled_read,
    ),
    (
        "dropping_stdout_waits_for_its_last_write",
        drop_without_flush,
    ),
    ("fds_and_debug", fds_and_debug),
];

fn main() {
    if let Ok(role) = std::env::var(ROLE) {
        return child_role(&role);
    }
    let mut args = std::env::args().skip(1);
    let (mut filters, mut skips) = (Vec::new(), Vec::new());
    while let Some(arg) = args.next() {
        match arg.as_str() {
            // None of these tests is ignored.
            "--ignored" => return,
            "--list" => {
                for (name, _) in TESTS {
                    println!("{name}: test");
                }
                return;
            }
            "--skip" => skips.extend(args.next()),
            // The harness's options that take a value, which is no filter.
            "--test-threads" | "--format" | "--color" | "--logfile" | "-Z" => {
                args.next();
            }
            _ if arg.starts_with('-') => {}
            _ => filters.push(arg),
        }
    }
    let chosen = TESTS.iter().filter(|(name, _)| {
        (filters.is_empty() || filters.iter().any(|f| name.contains(f.as_str())))
            && !skips.iter().any(|s| name.contains(s.as_str()))
    });
    let mut passed = 0;
    for (name, test) in chosen {
        print!("test {name} ... ");
        std::io::stdout().flush().unwrap();
        test();
        println!("ok");
        passed += 1;
    }
    println!("\nio_stdio: {passed} passed");
}

/// Runs `test` on a new Core; fails if it runs past [`GUARD`]. Children are spawned with
/// `kill_on_drop`, so a guard that fires also ends them.
fn run<F: Future<Output = ()>>(test: F) {
    let mut core = Core::new().unwrap();
    core.run(async {
        timeout(GUARD, test)
            .await
            .expect("the test ran past its guard")
    });
}

/// This binary as a child in `role`, its three streams piped.
fn spawn(role: &str) -> Child {
    Command::new(std::env::current_exe().unwrap())
        .env(ROLE, role)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap()
}

/// Waits for `child`; fails, with what it wrote to stderr, unless it exited with 0 (a
/// child killed by a signal, SIGPIPE included, has no exit code).
async fn expect_success(mut child: Child) {
    let mut errors = String::new();
    if let Some(mut stderr) = child.stderr.take() {
        stderr.read_to_string(&mut errors).await.unwrap();
    }
    let status = child.wait().await.unwrap();
    assert!(
        status.success(),
        "the child ended with {status}; its stderr: {errors}"
    );
}

/// `len` bytes that differ from their neighbours, so a lost, repeated or swapped chunk shows.
fn pattern(len: usize, seed: u32) -> Vec<u8> {
    (0..len as u32)
        .map(|i| (i.wrapping_mul(seed) % 251) as u8)
        .collect()
}

fn echo() {
    run(async {
        let mut child = spawn("echo");
        let mut input = child.stdin.take().unwrap();
        let mut output = child.stdout.take().unwrap();
        let data = pattern(MIB, 13);
        let sent = data.clone();
        // Far more than a pipe holds: the child reads while it writes.
        let writer = mirage::spawn(async move {
            input.write_all(&sent).await.unwrap();
            // Dropped: the child's stdin ends.
        });
        let mut echoed = Vec::new();
        output.read_to_end(&mut echoed).await.unwrap();
        writer.await.unwrap();
        assert_eq!(echoed.len(), data.len());
        assert!(echoed == data, "every byte came back, in order");
        expect_success(child).await;
    });
}

fn read_to_eof() {
    run(async {
        let mut child = spawn("read_to_eof");
        let mut input = child.stdin.take().unwrap();
        input.write_all(b"abc").await.unwrap();
        drop(input);
        let mut report = String::new();
        let mut output = child.stdout.take().unwrap();
        output.read_to_string(&mut report).await.unwrap();
        // Asked for 16, given the 3 there were; then end of input, and again.
        assert_eq!(report, "abc 0 0\n");
        expect_success(child).await;
    });
}

fn large_writes() {
    run(async {
        let mut child = spawn("large_writes");
        let mut output = child.stdout.take().unwrap();
        let mut errors = child.stderr.take().unwrap();
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let (read_out, read_err) =
            mirage::join!(output.read_to_end(&mut out), errors.read_to_end(&mut err));
        read_out.unwrap();
        read_err.unwrap();
        assert_eq!((out.len(), err.len()), (MIB, MIB));
        assert!(out == pattern(MIB, 13), "stdout complete and in order");
        assert!(err == pattern(MIB, 31), "stderr complete and in order");
        assert!(child.wait().await.unwrap().success());
    });
}

fn broken_pipe() {
    run(async {
        let mut child = spawn("broken_pipe");
        // The reader goes first; then the child's end of input tells it so.
        drop(child.stdout.take());
        drop(child.stdin.take());
        let mut report = String::new();
        let mut errors = child.stderr.take().unwrap();
        errors.read_to_string(&mut report).await.unwrap();
        let status = child.wait().await.unwrap();
        assert!(
            status.success(),
            "not killed by SIGPIPE: {status}; {report}"
        );
        // Each write hands its bytes over at once; its failure shows at the next write or
        // flush, which took none of their own.
        assert_eq!(
            report,
            "write: Ok(2)\nwrite: Err(BrokenPipe)\nwrite: Ok(2)\nflush: Err(BrokenPipe)\n"
        );
    });
}

fn cancelled_read() {
    run(async {
        let mut child = spawn("cancelled_read");
        let mut input = child.stdin.take().unwrap();
        let mut output = BufReader::new(child.stdout.take().unwrap()).lines();
        // The child's first read timed out while its pool thread still waits for input.
        assert_eq!(
            output.next_line().await.unwrap().as_deref(),
            Some("waiting")
        );
        input.write_all(b"hello\n").await.unwrap();
        assert_eq!(output.next_line().await.unwrap().as_deref(), Some("hello"));
        drop(input);
        assert_eq!(
            output.next_line().await.unwrap().as_deref(),
            Some("end of input")
        );
        assert_eq!(output.next_line().await.unwrap(), None);
        expect_success(child).await;
    });
}

fn drop_without_flush() {
    run(async {
        let mut child = spawn("drop_without_flush");
        let mut output = child.stdout.take().unwrap();
        // Read slowly at first, so that the child's write is still going when it drops its
        // `Stdout` and exits.
        mirage::time::sleep(Duration::from_millis(20)).await;
        let mut out = Vec::new();
        output.read_to_end(&mut out).await.unwrap();
        assert_eq!(
            out.len(),
            MIB,
            "the whole write came out before the child exited"
        );
        assert!(out == pattern(MIB, 7));
        expect_success(child).await;
    });
}

fn fds_and_debug() {
    use std::os::fd::{AsFd, AsRawFd};
    assert_eq!(stdin().as_fd().as_raw_fd(), 0);
    assert_eq!(stdout().as_fd().as_raw_fd(), 1);
    assert_eq!(stderr().as_raw_fd(), 2);
    let debug = format!("{:?}", stdout());
    assert!(debug.starts_with("Stdout { fd: 1"), "{debug}");
    assert!(debug.contains("busy: false"), "{debug}");
}

/// The child's side: `role` names what it does with its standard streams.
fn child_role(role: &str) {
    let mut core = Core::new().unwrap();
    core.run(async {
        match role {
            "echo" => {
                let (mut input, mut output) = (stdin(), stdout());
                // An odd size, unlike the pipe's chunks: reads return less than asked.
                let mut buf = vec![0; 3001];
                loop {
                    let n = input.read(&mut buf).await.unwrap();
                    if n == 0 {
                        break;
                    }
                    output.write_all(&buf[..n]).await.unwrap();
                }
                output.flush().await.unwrap();
            }
            "read_to_eof" => {
                let mut input = stdin();
                let mut buf = [0; 16];
                let n = input.read(&mut buf).await.unwrap();
                let first = String::from_utf8_lossy(&buf[..n]).into_owned();
                let second = input.read(&mut buf).await.unwrap();
                let third = input.read(&mut buf).await.unwrap();
                let mut output = stdout();
                let report = format!("{first} {second} {third}\n");
                output.write_all(report.as_bytes()).await.unwrap();
                output.flush().await.unwrap();
            }
            "large_writes" => {
                let (mut output, mut errors) = (stdout(), stderr());
                let out = pattern(MIB, 13);
                let err = pattern(MIB, 31);
                let to_stdout = async {
                    // Chunks of many sizes, and one beyond the rest.
                    let mut rest = &out[..];
                    for size in [1, 7, 4096, 100_000].into_iter().cycle() {
                        if rest.is_empty() {
                            break;
                        }
                        let (chunk, tail) = rest.split_at(size.min(rest.len()));
                        output.write_all(chunk).await.unwrap();
                        rest = tail;
                    }
                    output.flush().await.unwrap();
                };
                let to_stderr = async {
                    errors.write_all(&err).await.unwrap();
                    errors.flush().await.unwrap();
                };
                mirage::join!(to_stdout, to_stderr);
            }
            "broken_pipe" => {
                let mut input = stdin();
                // The parent closes our stdin once it closed the reading end of our stdout.
                let mut buf = [0; 8];
                assert_eq!(input.read(&mut buf).await.unwrap(), 0);
                let mut output = stdout();
                let mut report = String::new();
                for line in [&b"a\n"[..], b"b\n", b"c\n"] {
                    let result = output.write(line).await.map_err(|err| err.kind());
                    report += &format!("write: {result:?}\n");
                }
                let result = output.flush().await.map_err(|err| err.kind());
                report += &format!("flush: {result:?}\n");
                let mut errors = stderr();
                errors.write_all(report.as_bytes()).await.unwrap();
                errors.flush().await.unwrap();
            }
            "cancelled_read" => {
                let (mut input, mut output) = (stdin(), stdout());
                let mut buf = [0; 64];
                let waited = timeout(Duration::from_millis(20), input.read(&mut buf)).await;
                assert!(waited.is_err(), "nothing was sent yet");
                output.write_all(b"waiting\n").await.unwrap();
                output.flush().await.unwrap();
                // The dropped read's bytes come first, two at a time.
                let mut line = Vec::new();
                while line.last() != Some(&b'\n') {
                    let n = input.read(&mut buf[..2]).await.unwrap();
                    assert!(n > 0, "end of input within the line");
                    line.extend_from_slice(&buf[..n]);
                }
                output.write_all(&line).await.unwrap();
                assert_eq!(input.read(&mut buf).await.unwrap(), 0);
                output.write_all(b"end of input\n").await.unwrap();
                output.flush().await.unwrap();
            }
            "drop_without_flush" => {
                let mut output = stdout();
                output.write_all(&pattern(MIB, 7)).await.unwrap();
                drop(output);
                // Exits at once, as a `main` that returns: only the drop held it back.
                std::process::exit(0);
            }
            _ => panic!("unknown role {role}"),
        }
    });
}
