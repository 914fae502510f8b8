//! The user-space fault engine, for kernels without the netem qdisc: a thread inside the pod's network
//! namespace reads the netfilter queue the agent's NFQUEUE rules feed (`--queue-bypass`: while no engine
//! reads it, packets pass untouched) and drops, delays, duplicates or corrupts each packet.

use crate::netns::NetNs;
use crate::plan::{EngineFault, AGENT_MARK};
use anyhow::Context as _;
use nix::sys::socket::{
    self, sockopt, AddressFamily, MsgFlags, SockFlag, SockProtocol, SockType, SockaddrIn,
};
use rand::Rng;
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::os::fd::{AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Without the queue socket's descriptor (see [`open_queue`]) the engine polls its non-blocking socket:
/// the longest it then sleeps, the delay's granularity.
const TICK: Duration = Duration::from_micros(500);
/// With the descriptor it waits for packets or the next due time, at most this long (so a stop is seen).
const IDLE: Duration = Duration::from_millis(20);

/// Counters of what the engine did.
#[derive(Debug, Default)]
pub struct Counters {
    pub packets: AtomicU64,
    pub affected: AtomicU64,
}

/// A running engine; stopping it releases every held packet.
pub struct Engine {
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
    pub counters: Arc<Counters>,
    /// It sleeps until a packet or a due time (it found its socket's descriptor), rather than polling.
    pub waits_on_socket: bool,
}

impl Engine {
    /// Starts an engine on `queue` in namespace `ns`; returns once the queue is bound (so rules feeding it
    /// can be added).
    pub fn start(ns: NetNs, queue: u16, fault: EngineFault) -> anyhow::Result<Self> {
        let stop = Arc::new(AtomicBool::new(false));
        let counters = Arc::new(Counters::default());
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let (stop2, counters2) = (stop.clone(), counters.clone());
        let thread = std::thread::Builder::new().name(format!("nfq-{queue}")).spawn(move || {
            let setup = || -> anyhow::Result<(nfq::Queue, Option<RawFd>, Option<OwnedFd>)> {
                ns.enter()?;
                let (mut q, fd) = open_queue()?;
                q.bind(queue).with_context(|| format!("failed to bind netfilter queue {queue}"))?;
                // delay needs no packet bytes: metadata only keeps held packets small
                let range =
                    if matches!(fault, EngineFault::Delay { .. } | EngineFault::Drop) { 0 } else { u16::MAX };
                q.set_copy_range(queue, range)?;
                q.set_fail_open(queue, true)?;
                q.set_queue_max_len(queue, 16384)?;
                q.set_nonblocking(true);
                let raw = match fault {
                    EngineFault::Duplicate { .. } => {
                        let fd = socket::socket(
                            AddressFamily::Inet,
                            SockType::Raw,
                            SockFlag::SOCK_CLOEXEC,
                            SockProtocol::Raw,
                        )
                        .context("failed to open a raw socket for duplicates")?;
                        let mark =
                            u32::from_str_radix(AGENT_MARK.trim_start_matches("0x"), 16).unwrap_or_default();
                        socket::setsockopt(&fd, sockopt::Mark, &mark)
                            .context("failed to mark the raw socket")?;
                        Some(fd)
                    }
                    _ => None,
                };
                Ok((q, fd, raw))
            };
            match setup() {
                Ok((q, fd, raw)) => {
                    if fd.is_none() {
                        tracing::warn!(
                            queue,
                            "the queue socket's descriptor was not found: polling every {TICK:?}"
                        );
                    }
                    let _ = ready_tx.send(Ok(fd.is_some()));
                    if let Err(e) = run(q, fd, queue, raw, &fault, &stop2, &counters2) {
                        tracing::error!(queue, "the fault engine stopped: {e:#}");
                    }
                }
                Err(e) => {
                    let _ = ready_tx.send(Err(e));
                }
            }
        })?;
        let waits_on_socket = ready_rx.recv().context("the fault engine thread died")??;
        Ok(Self { stop, thread: Some(thread), counters, waits_on_socket })
    }

    /// Stops it: every held packet is released, the queue unbound.
    pub fn stop(mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Engine {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

/// A packet held until `due` (`seq` keeps equal due times in arrival order).
struct Held {
    due: Instant,
    seq: u64,
    msg: nfq::Message,
}
impl PartialEq for Held {
    fn eq(&self, o: &Self) -> bool {
        (self.due, self.seq) == (o.due, o.seq)
    }
}
impl Eq for Held {}
impl PartialOrd for Held {
    fn partial_cmp(&self, o: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Held {
    fn cmp(&self, o: &Self) -> std::cmp::Ordering {
        (self.due, self.seq).cmp(&(o.due, o.seq))
    }
}

/// netem's correlated random numbers, approximately: each value in [-1, 1] carries `correlation` percent
/// of the previous one.
pub struct Correlated {
    last: f64,
    rho: f64,
}

impl Correlated {
    pub fn new(correlation: f64) -> Self {
        Self { last: 0.0, rho: (correlation / 100.0).clamp(0.0, 1.0) }
    }
    pub fn next(&mut self, rng: &mut impl Rng) -> f64 {
        let u: f64 = rng.random_range(-1.0..=1.0);
        self.last = (1.0 - self.rho) * u + self.rho * self.last;
        self.last
    }
}

fn run(
    mut q: nfq::Queue,
    fd: Option<RawFd>,
    queue: u16,
    raw: Option<OwnedFd>,
    fault: &EngineFault,
    stop: &AtomicBool,
    counters: &Counters,
) -> anyhow::Result<()> {
    let mut rng = rand::rng();
    let mut held: BinaryHeap<Reverse<Held>> = BinaryHeap::new();
    let mut jitter = Correlated::new(match fault {
        EngineFault::Delay { correlation, .. } => *correlation,
        _ => 0.0,
    });
    let mut seq = 0u64;
    while !stop.load(Ordering::SeqCst) {
        for _ in 0..1024 {
            let mut msg = match q.recv() {
                Ok(m) => m,
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e).context("failed to read the netfilter queue"),
            };
            counters.packets.fetch_add(1, Ordering::Relaxed);
            msg.set_verdict(nfq::Verdict::Accept);
            match fault {
                EngineFault::Drop => {
                    msg.set_verdict(nfq::Verdict::Drop);
                    counters.affected.fetch_add(1, Ordering::Relaxed);
                }
                EngineFault::Delay { latency_ms, jitter_ms, .. } => {
                    let ms = f64::from(*latency_ms) + f64::from(*jitter_ms) * jitter.next(&mut rng);
                    let due = Instant::now() + Duration::from_secs_f64(ms.max(0.0) / 1000.0);
                    seq += 1;
                    held.push(Reverse(Held { due, seq, msg }));
                    counters.affected.fetch_add(1, Ordering::Relaxed);
                    continue;
                }
                EngineFault::Duplicate { percent } => {
                    if rng.random_bool((percent / 100.0).clamp(0.0, 1.0)) {
                        if let Some(fd) = &raw {
                            if send_copy(fd, msg.get_payload()).is_ok() {
                                counters.affected.fetch_add(1, Ordering::Relaxed);
                            }
                        }
                    }
                }
                EngineFault::Corrupt { percent } => {
                    if rng.random_bool((percent / 100.0).clamp(0.0, 1.0)) {
                        let bit = rng.random::<u32>() as usize;
                        if corrupt(msg.get_payload_mut(), bit) {
                            counters.affected.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                }
            }
            q.verdict(msg).context("failed to give a verdict")?;
        }
        let now = Instant::now();
        while held.peek().is_some_and(|h| h.0.due <= now) {
            if let Some(Reverse(h)) = held.pop() {
                q.verdict(h.msg).context("failed to release a held packet")?;
            }
        }
        let due = held.peek().map(|h| h.0.due.saturating_duration_since(Instant::now()));
        match fd {
            Some(fd) => wait_readable(fd, due.unwrap_or(IDLE).min(IDLE)),
            None => std::thread::sleep(due.unwrap_or(TICK).min(TICK)),
        }
    }
    while let Some(Reverse(h)) = held.pop() {
        let _ = q.verdict(h.msg);
    }
    let _ = q.unbind(queue);
    Ok(())
}

/// Opens a netfilter queue socket in the calling thread's namespace and finds its descriptor: the nfq
/// crate keeps it private, and only with it can the engine sleep until a packet or a due time instead of
/// waking every [`TICK`]. The descriptor is the one new socket in the process's table (openings are
/// serialized) that the namespace lists as a NETLINK_NETFILTER socket; `None` when that is unclear.
fn open_queue() -> anyhow::Result<(nfq::Queue, Option<RawFd>)> {
    static OPENING: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _one_at_a_time = OPENING.lock().unwrap_or_else(|p| p.into_inner());
    let sockets = || -> Vec<(RawFd, String)> {
        std::fs::read_dir("/proc/thread-self/fd")
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|e| {
                let fd: RawFd = e.file_name().to_str()?.parse().ok()?;
                let target = std::fs::read_link(e.path()).ok()?;
                let inode = target.to_str()?.strip_prefix("socket:[")?.strip_suffix(']')?.to_string();
                Some((fd, inode))
            })
            .collect()
    };
    let before = sockets();
    let q = nfq::Queue::open().context("failed to open the netfilter queue socket")?;
    let netfilter: Vec<String> = std::fs::read_to_string("/proc/thread-self/net/netlink")
        .unwrap_or_default()
        .lines()
        .skip(1)
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            // columns: sk Eth Pid Groups Rmem Wmem Dump Locks Drops Inode; NETLINK_NETFILTER is 12
            (f.len() >= 10 && f[1] == "12").then(|| f[9].to_string())
        })
        .collect();
    let new: Vec<RawFd> = sockets()
        .into_iter()
        .filter(|(fd, inode)| !before.iter().any(|(b, _)| b == fd) && netfilter.contains(inode))
        .map(|(fd, _)| fd)
        .collect();
    Ok((q, (new.len() == 1).then(|| new[0])))
}

/// Waits until the queue socket `fd` has a packet, or `timeout` passes.
#[allow(unsafe_code)]
fn wait_readable(fd: RawFd, timeout: Duration) {
    // SAFETY: `fd` is the queue socket found by `open_queue`; the `nfq::Queue` owning it lives in the
    // caller's frame for the whole engine loop, so the descriptor stays open while it is borrowed here.
    let borrowed = unsafe { BorrowedFd::borrow_raw(fd) };
    let mut fds = [nix::poll::PollFd::new(borrowed, nix::poll::PollFlags::POLLIN)];
    let timeout = nix::sys::time::TimeSpec::from_duration(timeout);
    let _ = nix::poll::ppoll(&mut fds, Some(timeout), None);
}

/// Sends a copy of IPv4 packet `packet` (headers included) through the marked raw socket.
fn send_copy(fd: &OwnedFd, packet: &[u8]) -> anyhow::Result<()> {
    anyhow::ensure!(packet.len() >= 20 && packet[0] >> 4 == 4, "not an IPv4 packet");
    let dest = SockaddrIn::new(packet[16], packet[17], packet[18], packet[19], 0);
    socket::sendto(fd.as_raw_fd(), packet, &dest, MsgFlags::empty())?;
    Ok(())
}

/// Flips bit `bit` (modulo the payload's size) of the payload past the IPv4 and transport headers of
/// `packet`, leaving the checksums as they are (as netem does); false when there is no payload.
pub fn corrupt(packet: &mut [u8], bit: usize) -> bool {
    let Some(start) = payload_offset(packet) else { return false };
    let len = packet.len() - start;
    if len == 0 {
        return false;
    }
    let bit = bit % (len * 8);
    packet[start + bit / 8] ^= 1 << (bit % 8);
    true
}

/// Where the transport payload of an IPv4 packet starts.
fn payload_offset(packet: &[u8]) -> Option<usize> {
    if packet.len() < 20 || packet[0] >> 4 != 4 {
        return None;
    }
    let ihl = usize::from(packet[0] & 0x0f) * 4;
    let transport = match packet[9] {
        6 => usize::from(*packet.get(ihl + 12)? >> 4) * 4,
        17 | 1 => 8,
        _ => 0,
    };
    let start = ihl + transport;
    (start <= packet.len()).then_some(start)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn udp(payload: &[u8]) -> Vec<u8> {
        let mut p = vec![0x45, 0, 0, 0, 0, 0, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2];
        p.extend([0u8; 8]);
        p.extend(payload);
        p
    }

    #[test]
    fn corruption_flips_one_bit_of_the_payload_only() {
        let original = udp(b"hello");
        for bit in [0, 7, 8, 39, 40, 12345] {
            let mut p = original.clone();
            assert!(corrupt(&mut p, bit));
            assert_eq!(p[..28], original[..28], "headers untouched");
            let flipped: u32 = p.iter().zip(&original).map(|(a, b)| (a ^ b).count_ones()).sum();
            assert_eq!(flipped, 1);
        }
        let mut empty = udp(b"");
        assert!(!corrupt(&mut empty, 3), "no payload, nothing to corrupt");
        assert!(!corrupt(&mut [0x60, 0, 0], 0), "not IPv4");
        // TCP with a 32-byte header (data offset 8)
        let mut tcp = vec![0x45, 0, 0, 0, 0, 0, 0, 0, 64, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2];
        tcp.extend([0u8; 12]);
        tcp.push(8 << 4);
        tcp.extend([0u8; 19]);
        tcp.push(b'x');
        assert_eq!(payload_offset(&tcp), Some(52));
        assert!(corrupt(&mut tcp, 1));
        assert_eq!(tcp[52], b'x' ^ 2);
    }

    #[test]
    fn correlated_jitter_stays_in_bounds_and_carries_over() {
        let mut rng = rand::rng();
        let mut free = Correlated::new(0.0);
        let mut sticky = Correlated::new(90.0);
        let (mut jumps_free, mut jumps_sticky) = (0.0, 0.0);
        let (mut last_f, mut last_s) = (0.0, 0.0);
        for _ in 0..10_000 {
            let (f, s) = (free.next(&mut rng), sticky.next(&mut rng));
            assert!((-1.0..=1.0).contains(&f) && (-1.0..=1.0).contains(&s));
            jumps_free += f64::abs(f - last_f);
            jumps_sticky += f64::abs(s - last_s);
            (last_f, last_s) = (f, s);
        }
        assert!(jumps_sticky < jumps_free / 3.0, "{jumps_sticky} vs {jumps_free}");
    }
}
