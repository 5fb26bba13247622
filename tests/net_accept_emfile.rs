//! `accept` out of file descriptors backs off without spinning and recovers.

use std::time::Duration;

use mirage::Core;
use mirage::net::TcpListener;
use mirage::time::Instant;

/// CPU time this process has used (user + system).
fn cpu_time() -> Duration {
    // SAFETY: `getrusage` fills the zeroed struct we pass.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: valid pointer to a `rusage`.
    assert_eq!(unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) }, 0);
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    tv(usage.ru_utime) + tv(usage.ru_stime)
}

#[test]
fn accept_waits_out_descriptor_exhaustion_and_then_accepts() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let mut core = Core::new().unwrap();
    // A client waits in the backlog (connected by the kernel, not yet accepted).
    let _client = std::net::TcpStream::connect(addr).unwrap();

    // Use up every descriptor below a lowered limit.
    let mut limit: libc::rlimit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: valid pointer to an `rlimit`.
    let rc = unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) };
    assert_eq!(rc, 0);
    let original = limit;
    let mut hogs = Vec::new();
    let accepted = core.run(async {
        // Register the listener with the Core while descriptors are still available.
        let first = mirage::time::timeout(Duration::from_millis(1), listener.accept()).await;
        assert!(first.is_ok(), "the waiting client is accepted at once");
        drop(first);
        let _second_client = std::net::TcpStream::connect(addr).unwrap();

        let lowered = libc::rlimit {
            rlim_cur: 256,
            rlim_max: original.rlim_max,
        };
        // SAFETY: valid pointer to an `rlimit`.
        let rc = unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &lowered) };
        assert_eq!(rc, 0);
        while let Ok(file) = std::fs::File::open("/dev/null") {
            hogs.push(file);
        }

        // Accept now fails with EMFILE inside; it must wait, not spin and not fail.
        let accept = mirage::spawn(async move {
            let result = listener.accept().await.map(|(_, peer)| peer);
            (result, listener)
        });
        let (cpu_before, wall_before) = (cpu_time(), Instant::now());
        mirage::time::sleep(Duration::from_millis(300)).await;
        let (cpu, wall) = (cpu_time() - cpu_before, wall_before.elapsed());
        assert!(!accept.is_finished(), "accept gave up instead of waiting");
        assert!(
            cpu < wall / 2,
            "accept spun while out of descriptors: {cpu:?} CPU in {wall:?}"
        );

        // Free descriptors: the pending accept recovers by itself.
        hogs.clear();
        // SAFETY: valid pointer to an `rlimit`.
        let rc = unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &original) };
        assert_eq!(rc, 0);
        let (result, _listener) = mirage::time::timeout(Duration::from_secs(10), accept)
            .await
            .expect("accept did not recover after descriptors freed up")
            .unwrap();
        result
    });
    assert!(accepted.unwrap().ip().is_loopback());
}
