//! dns-error and dns-spoof: a DNS proxy in the pod's network namespace that the pod's queries are redirected to, answering matched names itself and forwarding the rest.
//!
//! UDP queries to each of the pod's nameservers (its resolv.conf) go to one proxy socket per nameserver,
//! which forwards unmatched queries to that nameserver; TCP queries to port 53 go to one listener, which
//! forwards them to their original destination (`SO_ORIGINAL_DST`). The proxy's own queries carry the
//! agent's mark, which the redirect rules skip. Messages are parsed by the small, bounded codec below.

use crate::held::{nat_chain, remove_nat_chains, Held, Record, Scene, Started};
use crate::netns::{bound_ports, run, NetNs, SocketMaker};
use crate::plan::{agent_mark, AGENT_MARK};
use chaoscenter_crds::injection::{DnsErrorCode, NodeFault};
use std::collections::HashMap;
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream, UdpSocket};
use tokio::task::JoinHandle;

/// The largest query the proxy takes (answers may be larger, up to what the client allowed).
const MAX_MESSAGE: usize = 4096;
/// How long a forwarded query waits for the nameserver.
const UPSTREAM_TIMEOUT: Duration = Duration::from_secs(2);
/// Forwarded UDP queries awaiting an answer, per nameserver; more are dropped (the client retries).
const MAX_PENDING: usize = 1024;
/// TCP connections served at once; more are closed.
const MAX_TCP: usize = 64;
/// How long a TCP connection may stay idle between queries.
const TCP_IDLE: Duration = Duration::from_secs(10);
/// The TTL of the proxy's own answers: none, so no cache keeps them after the revert.
const TTL: u32 = 0;

/// What the proxy answers for a matched name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Answer {
    /// This response code (NXDOMAIN 3, SERVFAIL 2), no records.
    Error(u8),
    /// This address for A queries, no records (NOERROR) for other types.
    Spoof(Ipv4Addr),
}

/// The names a fault answers itself: exact names, and `*.suffix` for any name strictly below `suffix`.
#[derive(Clone, Debug, Default)]
pub struct Rules {
    exact: HashMap<String, Answer>,
    /// (suffix with its leading dot, answer), longest suffix first.
    wildcards: Vec<(String, Answer)>,
}

/// A name as the proxy compares it: lower case, without the trailing dot.
fn normal(name: &str) -> String {
    name.trim_end_matches('.').to_ascii_lowercase()
}

impl Rules {
    /// The rules of a dns-error or dns-spoof fault.
    pub fn of(fault: &NodeFault) -> Result<Self, String> {
        let pairs: Vec<(String, Answer)> = match fault {
            NodeFault::DnsError { names, error } => {
                let rcode = match error {
                    DnsErrorCode::Nxdomain => 3,
                    DnsErrorCode::Servfail => 2,
                };
                names.iter().map(|n| (n.clone(), Answer::Error(rcode))).collect()
            }
            NodeFault::DnsSpoof { answers } => answers
                .iter()
                .map(|(name, ip)| {
                    ip.parse()
                        .map(|ip| (name.clone(), Answer::Spoof(ip)))
                        .map_err(|_| format!("answers.{name}: {ip:?} is not an IPv4 address"))
                })
                .collect::<Result<_, _>>()?,
            other => return Err(format!("{} is not a DNS fault", other.name())),
        };
        let mut rules = Self::default();
        for (pattern, answer) in pairs {
            let pattern = normal(&pattern);
            match pattern.strip_prefix("*.") {
                Some(suffix) => rules.wildcards.push((format!(".{suffix}"), answer)),
                None => {
                    rules.exact.insert(pattern, answer);
                }
            }
        }
        rules.wildcards.sort_by_key(|(suffix, _)| std::cmp::Reverse(suffix.len()));
        Ok(rules)
    }

    /// The answer for `name` (an exact name first, then the longest matching wildcard), if any.
    pub fn answer(&self, name: &str) -> Option<Answer> {
        let name = normal(name);
        if let Some(a) = self.exact.get(&name) {
            return Some(*a);
        }
        self.wildcards.iter().find(|(suffix, _)| name.ends_with(suffix.as_str())).map(|(_, a)| *a)
    }
}

/// The question of a standard query.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Query {
    /// The name, lower case, labels joined by dots (no trailing dot; the root is empty).
    pub name: String,
    pub qtype: u16,
    pub qclass: u16,
    /// Where the question ends in the message.
    end: usize,
}

const TYPE_A: u16 = 1;
const TYPE_ANY: u16 = 255;
const CLASS_IN: u16 = 1;

fn u16_at(msg: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes([*msg.get(at)?, *msg.get(at + 1)?]))
}

/// The question of `msg` when it is a standard query (QR 0, opcode QUERY) with exactly one question;
/// `None` for anything else, which the proxy forwards untouched.
pub fn parse_query(msg: &[u8]) -> Option<Query> {
    let flags = *msg.get(2)?;
    if flags & 0x80 != 0 || (flags >> 3) & 0x0f != 0 || u16_at(msg, 4)? != 1 {
        return None;
    }
    let mut at = 12;
    let mut name = String::new();
    loop {
        let len = usize::from(*msg.get(at)?);
        at += 1;
        if len == 0 {
            break;
        }
        // a question's name is never compressed; label types other than plain ones are not for us
        if len > 63 || name.len() + len + 1 > 255 {
            return None;
        }
        let label = msg.get(at..at + len)?;
        if !name.is_empty() {
            name.push('.');
        }
        name.extend(label.iter().map(|b| char::from(b.to_ascii_lowercase())));
        at += len;
    }
    let (qtype, qclass) = (u16_at(msg, at)?, u16_at(msg, at + 2)?);
    Some(Query { name, qtype, qclass, end: at + 4 })
}

/// The response to `query` (whose question is `q`) that `answer` makes: the question echoed, the query's
/// id, opcode and recursion-desired bit kept, and an A record when `answer` spoofs an A (or ANY) query.
pub fn reply(query: &[u8], q: &Query, answer: Answer) -> Vec<u8> {
    let (rcode, address) = match answer {
        Answer::Error(rcode) => (rcode & 0x0f, None),
        Answer::Spoof(ip) => {
            (0, (q.qclass == CLASS_IN && matches!(q.qtype, TYPE_A | TYPE_ANY)).then_some(ip))
        }
    };
    let mut out = Vec::with_capacity(q.end + 16);
    out.extend_from_slice(&query[..2]);
    // QR, the opcode (0), AA, and RD as asked; RA, the rcode
    out.push(0x80 | 0x04 | (query[2] & 0x01));
    out.push(0x80 | rcode);
    out.extend_from_slice(&[0, 1, 0, u8::from(address.is_some()), 0, 0, 0, 0]);
    out.extend_from_slice(&query[12..q.end]);
    if let Some(ip) = address {
        // the name as a pointer to the question's, type A, class IN, the TTL, 4 bytes of address
        out.extend_from_slice(&[0xc0, 12, 0, 1, 0, 1]);
        out.extend_from_slice(&TTL.to_be_bytes());
        out.extend_from_slice(&[0, 4]);
        out.extend_from_slice(&ip.octets());
    }
    out
}

/// The response the proxy gives itself to `msg`, if it is a query for a matched name.
pub fn respond(rules: &Rules, msg: &[u8]) -> Option<Vec<u8>> {
    let q = parse_query(msg)?;
    if q.qclass != CLASS_IN {
        return None;
    }
    let answer = rules.answer(&q.name)?;
    Some(reply(msg, &q, answer))
}

/// The IPv4 nameservers of a resolv.conf.
pub fn parse_nameservers(resolv_conf: &str) -> Vec<Ipv4Addr> {
    let mut servers: Vec<Ipv4Addr> = resolv_conf
        .lines()
        .filter_map(|l| {
            let mut words = l.split_whitespace();
            (words.next()? == "nameserver").then_some(())?;
            words.next()?.parse().ok()
        })
        .collect();
    servers.dedup();
    servers.truncate(3);
    servers
}

/// The pod's nameservers: the resolv.conf seen by its sandbox process, else by another process in its
/// network namespace (the pause container of some runtimes has none; the app containers mount the one
/// kubelet wrote).
fn pod_nameservers(sandbox_pid: u32, ns: &NetNs) -> Result<Vec<Ipv4Addr>, String> {
    let read = |pid: u32| {
        std::fs::read_to_string(format!("/proc/{pid}/root/etc/resolv.conf"))
            .ok()
            .map(|t| parse_nameservers(&t))
            .filter(|s| !s.is_empty())
    };
    if let Some(servers) = read(sandbox_pid) {
        return Ok(servers);
    }
    let wanted = format!("net:[{}]", ns.inode());
    let found = std::fs::read_dir("/proc").ok().into_iter().flatten().flatten().find_map(|e| {
        let pid: u32 = e.file_name().to_str()?.parse().ok()?;
        let link = std::fs::read_link(format!("/proc/{pid}/ns/net")).ok()?;
        (link.to_str()? == wanted).then(|| read(pid)).flatten()
    });
    found.ok_or_else(|| "found no IPv4 nameserver in the pod's /etc/resolv.conf".to_string())
}

/// The nat rules: each nameserver's UDP queries to its proxy port, all TCP queries to `tcp_port`, the
/// agent's own queries (marked) left alone; then the jump from OUTPUT.
pub fn nat_rules(chain: &str, udp: &[(Ipv4Addr, u16)], tcp_port: u16) -> Vec<Vec<String>> {
    let mut rules = vec![vec!["-w".into(), "-t".into(), "nat".into(), "-N".into(), chain.to_string()]];
    let rule = |matches: Vec<String>, port: u16| {
        let mut args: Vec<String> = ["-w", "-t", "nat", "-A", chain].into_iter().map(String::from).collect();
        args.extend(matches);
        args.extend(
            ["-m", "mark", "!", "--mark", AGENT_MARK, "-j", "REDIRECT", "--to-ports"].map(String::from),
        );
        args.push(port.to_string());
        args
    };
    for (server, port) in udp {
        let m = ["-d", &format!("{server}/32"), "-p", "udp", "--dport", "53"].map(String::from).to_vec();
        rules.push(rule(m, *port));
    }
    rules.push(rule(["-p", "tcp", "--dport", "53"].map(String::from).to_vec(), tcp_port));
    rules.push(["-w", "-t", "nat", "-I", "OUTPUT", "1", "-j", chain].map(String::from).to_vec());
    rules
}

/// Starts the fault of `scene`.
pub async fn start(scene: &Scene<'_>, _record: &mut Record) -> Result<Started, String> {
    let rules = Arc::new(Rules::of(&scene.spec.fault)?);
    let ns = scene.netns.ok_or("a DNS fault needs a pod")?;
    let pid = scene.sandbox_pid.ok_or("a DNS fault needs the pod's sandbox")?;
    let servers = pod_nameservers(pid, ns)?;
    let mark = agent_mark();
    let wanted = servers.clone();
    // every socket is made inside the pod's namespace, where it stays whichever thread uses it
    let (sockets, listener) = ns
        .run(move || {
            let mut sockets = vec![];
            for server in wanted {
                let listen = std::net::UdpSocket::bind("127.0.0.1:0")?;
                let upstream = std::net::UdpSocket::bind("0.0.0.0:0")?;
                nix::sys::socket::setsockopt(&upstream, nix::sys::socket::sockopt::Mark, &mark)?;
                upstream.connect(SocketAddrV4::new(server, 53))?;
                listen.set_nonblocking(true)?;
                upstream.set_nonblocking(true)?;
                sockets.push((server, listen, upstream));
            }
            let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
            listener.set_nonblocking(true)?;
            Ok((sockets, listener))
        })
        .await
        .map_err(|e| format!("failed to open the proxy's sockets in the pod: {e:#}"))?;
    let maker = Arc::new(
        SocketMaker::new(ns, mark).map_err(|e| format!("failed to enter the pod's namespace: {e:#}"))?,
    );
    let mut proxy = Proxy::new(ns, nat_chain(scene.injection_uid))?;
    let mut redirects = vec![];
    let io = |e: std::io::Error| format!("failed to use the proxy's sockets: {e}");
    for (server, listen, upstream) in sockets {
        let port = listen.local_addr().map_err(io)?.port();
        redirects.push((server, port));
        proxy.udp_ports.push(port);
        let (listen, upstream) =
            (UdpSocket::from_std(listen).map_err(io)?, UdpSocket::from_std(upstream).map_err(io)?);
        proxy.tasks.push(tokio::spawn(serve_udp(listen, upstream, rules.clone())));
    }
    let tcp_port = listener.local_addr().map_err(io)?.port();
    proxy.tcp_ports.push(tcp_port);
    let listener = TcpListener::from_std(listener).map_err(io)?;
    proxy.tasks.push(tokio::spawn(serve_tcp(listener, maker, rules)));
    proxy
        .redirect(nat_rules(&proxy.chain, &redirects, tcp_port))
        .await
        .map_err(|e| format!("failed to redirect the pod's DNS queries: {e}"))?;
    // a resolver that keeps its UDP port would stay on its conntrack entry (nat is decided per flow)
    // until that expires; without it, its next query is redirected too
    let _ = ns
        .run(|| {
            forget_flows(&["-p", "udp", "--dport", "53"]);
            Ok(())
        })
        .await;
    tracing::info!(chain = %proxy.chain, nameservers = ?redirects, tcp_port, "DNS proxy started");
    Ok(Started { held: Box::new(proxy), mechanism: "dns-proxy" })
}

/// A proxy of the agent in a pod's namespace (DNS or HTTP): its tasks, its sockets' ports, and the nat
/// chain that redirects traffic to it.
pub(crate) struct Proxy {
    ns: NetNs,
    pub chain: String,
    /// The tasks serving the proxy's sockets (each owns its sockets and the connections it accepted).
    pub tasks: Vec<JoinHandle<()>>,
    pub udp_ports: Vec<u16>,
    pub tcp_ports: Vec<u16>,
}

impl Proxy {
    pub fn new(ns: &NetNs, chain: String) -> Result<Self, String> {
        let ns = ns.try_clone().map_err(|e| format!("failed to hold the pod's namespace: {e:#}"))?;
        Ok(Self { ns, chain, tasks: vec![], udp_ports: vec![], tcp_ports: vec![] })
    }

    /// Runs the iptables `commands` that create the chain and the jump to it; on failure stops the tasks
    /// (the caller's undo removes the chain, as the record lists it).
    pub async fn redirect(&mut self, commands: Vec<Vec<String>>) -> Result<(), String> {
        let installed = self
            .ns
            .run(move || {
                for args in &commands {
                    run("iptables", &args.iter().map(String::as_str).collect::<Vec<_>>())?;
                }
                Ok(())
            })
            .await;
        if let Err(e) = installed {
            self.stop().await;
            return Err(format!("{e:#}"));
        }
        Ok(())
    }

    async fn stop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
        for task in self.tasks.drain(..) {
            let _ = task.await;
        }
    }
}

/// Deletes the conntrack entries matching `filter` in the calling thread's namespace (best effort: without
/// the conntrack tool, such flows keep their old path until their entries expire).
fn forget_flows(filter: &[&str]) {
    let mut args = vec!["-D"];
    args.extend_from_slice(filter);
    if let Err(e) = run("conntrack", &args) {
        // it exits 1 when nothing matched
        if !e.to_string().contains("0 flow entries") {
            tracing::debug!("conntrack: {e:#}");
        }
    }
}

impl Drop for Proxy {
    /// A proxy dropped unreleased (a start that failed half-way) leaves no task behind.
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

#[async_trait::async_trait]
impl Held for Proxy {
    async fn release(mut self: Box<Self>) -> anyhow::Result<Vec<String>> {
        // the proxy first: the connections it closes still have their redirect undone on the way back
        // (with the namespace's last nat rule gone, the kernel unhooks nat, and a reply from the proxy's
        // port, such as its FIN, would reach the client unaltered, which drops it: the client would
        // hang); in between, a new connection or query is refused, for the few milliseconds iptables takes
        self.stop().await;
        let chains = vec![self.chain.clone()];
        let mut left = self.ns.run(move || remove_nat_chains(&chains)).await?;
        // UDP flows redirected to the proxy would stay redirected to its closed port until their
        // conntrack entries expire (up to minutes for a resolver that keeps its port)
        let udp = self.udp_ports.clone();
        let _ = self
            .ns
            .run(move || {
                for port in udp {
                    forget_flows(&["-p", "udp", "--reply-port-src", &port.to_string()]);
                }
                Ok(())
            })
            .await;
        let (udp, tcp) = (self.udp_ports.clone(), self.tcp_ports.clone());
        let open = self
            .ns
            .run(move || {
                let (bound, listening) = (bound_ports("udp")?, bound_ports("tcp")?);
                let udp = udp.into_iter().filter(|p| bound.contains(p)).map(|p| format!("UDP port {p}"));
                let tcp = tcp.into_iter().filter(|p| listening.contains(p)).map(|p| format!("TCP port {p}"));
                Ok(udp.chain(tcp).collect::<Vec<_>>())
            })
            .await?;
        left.extend(open);
        Ok(left)
    }
}

/// A forwarded query awaiting its answer.
struct Pending {
    client: SocketAddr,
    id: [u8; 2],
    sent: Instant,
}

/// Serves the UDP queries redirected from one nameserver to `listen`, forwarding unmatched ones through
/// `upstream` (connected to that nameserver) under ids of the proxy's own.
async fn serve_udp(listen: UdpSocket, upstream: UdpSocket, rules: Arc<Rules>) {
    let mut pending: HashMap<u16, Pending> = HashMap::new();
    let mut next_id: u16 = rand::random();
    // a client may allow answers larger than queries (EDNS): never cut one short
    let (mut query, mut answer) = (vec![0u8; MAX_MESSAGE], vec![0u8; usize::from(u16::MAX)]);
    let mut sweep = tokio::time::interval(UPSTREAM_TIMEOUT);
    loop {
        tokio::select! {
            got = listen.recv_from(&mut query) => {
                let Ok((len, client)) = got else { continue };
                let msg = &mut query[..len];
                if msg.len() < 12 {
                    continue;
                }
                if let Some(reply) = respond(&rules, msg) {
                    let _ = listen.send_to(&reply, client).await;
                    continue;
                }
                if pending.len() >= MAX_PENDING {
                    pending.retain(|_, p| p.sent.elapsed() < UPSTREAM_TIMEOUT);
                    if pending.len() >= MAX_PENDING {
                        continue;
                    }
                }
                while pending.contains_key(&next_id) {
                    next_id = next_id.wrapping_add(1);
                }
                let id = [msg[0], msg[1]];
                msg[..2].copy_from_slice(&next_id.to_be_bytes());
                pending.insert(next_id, Pending { client, id, sent: Instant::now() });
                next_id = next_id.wrapping_add(1);
                let _ = upstream.send(msg).await;
            }
            got = upstream.recv(&mut answer) => {
                let Ok(len) = got else { continue };
                let Some(ours) = u16_at(&answer[..len], 0) else { continue };
                let Some(p) = pending.remove(&ours) else { continue };
                if p.sent.elapsed() < UPSTREAM_TIMEOUT {
                    answer[..2].copy_from_slice(&p.id);
                    let _ = listen.send_to(&answer[..len], p.client).await;
                }
            }
            _ = sweep.tick() => pending.retain(|_, p| p.sent.elapsed() < UPSTREAM_TIMEOUT),
        }
    }
}

/// Serves the TCP queries redirected to `listener`, each connection in a task of its own (at most
/// [`MAX_TCP`]); the tasks end with this one.
async fn serve_tcp(listener: TcpListener, maker: Arc<SocketMaker>, rules: Arc<Rules>) {
    let mut connections = tokio::task::JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                if connections.len() >= MAX_TCP {
                    continue;
                }
                connections.spawn(serve_tcp_connection(stream, maker.clone(), rules.clone()));
            }
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
}

/// The original destination of a redirected connection.
pub(crate) fn original_destination(stream: &TcpStream) -> Option<SocketAddr> {
    let addr = nix::sys::socket::getsockopt(stream, nix::sys::socket::sockopt::OriginalDst).ok()?;
    let ip = Ipv4Addr::from(u32::from_be(addr.sin_addr.s_addr));
    Some(SocketAddr::V4(SocketAddrV4::new(ip, u16::from_be(addr.sin_port))))
}

/// Reads one length-prefixed DNS message of at most `max` bytes.
async fn read_framed<R: AsyncReadExt + Unpin>(r: &mut R, max: usize) -> Option<Vec<u8>> {
    let len = usize::from(r.read_u16().await.ok()?);
    if len > max {
        return None;
    }
    let mut msg = vec![0u8; len];
    r.read_exact(&mut msg).await.ok()?;
    Some(msg)
}

async fn write_framed<W: AsyncWriteExt + Unpin>(w: &mut W, msg: &[u8]) -> Option<()> {
    let len = u16::try_from(msg.len()).ok()?;
    let mut framed = Vec::with_capacity(msg.len() + 2);
    framed.extend_from_slice(&len.to_be_bytes());
    framed.extend_from_slice(msg);
    w.write_all(&framed).await.ok()
}

async fn serve_tcp_connection(mut client: TcpStream, maker: Arc<SocketMaker>, rules: Arc<Rules>) {
    let Some(destination) = original_destination(&client) else { return };
    // a connection made to the proxy's port itself was not redirected: never serve it (it would loop)
    if client.local_addr().ok() == Some(destination) {
        return;
    }
    let mut upstream: Option<TcpStream> = None;
    loop {
        let Ok(Some(query)) = tokio::time::timeout(TCP_IDLE, read_framed(&mut client, MAX_MESSAGE)).await
        else {
            return;
        };
        let answer = match respond(&rules, &query) {
            Some(reply) => reply,
            None => {
                let forwarded = tokio::time::timeout(UPSTREAM_TIMEOUT, async {
                    if upstream.is_none() {
                        upstream = Some(maker.tcp().await.ok()?.connect(destination).await.ok()?);
                    }
                    let server = upstream.as_mut()?;
                    write_framed(server, &query).await?;
                    read_framed(server, usize::from(u16::MAX)).await
                })
                .await;
                match forwarded {
                    Ok(Some(answer)) => answer,
                    _ => return,
                }
            }
        };
        if write_framed(&mut client, &answer).await.is_none() {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    /// A query for `name` of `qtype`, id 0x1234, recursion desired.
    fn query(name: &str, qtype: u16) -> Vec<u8> {
        let mut msg = vec![0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0];
        for label in name.split('.').filter(|l| !l.is_empty()) {
            msg.push(label.len() as u8);
            msg.extend_from_slice(label.as_bytes());
        }
        msg.push(0);
        msg.extend_from_slice(&qtype.to_be_bytes());
        msg.extend_from_slice(&CLASS_IN.to_be_bytes());
        msg
    }

    fn spoof(pairs: &[(&str, &str)]) -> Rules {
        let answers: BTreeMap<String, String> =
            pairs.iter().map(|(n, ip)| (n.to_string(), ip.to_string())).collect();
        Rules::of(&NodeFault::DnsSpoof { answers }).unwrap()
    }

    #[test]
    fn names_match_exactly_or_strictly_below_a_wildcard_ignoring_case_and_the_trailing_dot() {
        let rules =
            spoof(&[("web.test", "10.1.2.3"), ("*.svc.test", "10.9.9.9"), ("*.a.svc.test", "10.0.0.1")]);
        let a = |ip: &str| Some(Answer::Spoof(ip.parse().unwrap()));
        assert_eq!(rules.answer("web.test"), a("10.1.2.3"));
        assert_eq!(rules.answer("WEB.Test."), a("10.1.2.3"));
        assert_eq!(rules.answer("x.web.test"), None);
        assert_eq!(rules.answer("db.svc.test"), a("10.9.9.9"));
        assert_eq!(rules.answer("x.y.svc.test"), a("10.9.9.9"));
        assert_eq!(rules.answer("b.a.svc.test"), a("10.0.0.1"), "the longest wildcard wins");
        assert_eq!(rules.answer("svc.test"), None, "a wildcard matches only names below it");
        assert_eq!(rules.answer("evilsvc.test"), None);
        assert_eq!(rules.answer("other.test"), None);
        let bad = Rules::of(&NodeFault::DnsSpoof {
            answers: [("x.test".to_string(), "10.1".to_string())].into_iter().collect(),
        });
        assert!(bad.unwrap_err().contains("answers.x.test"));
    }

    #[test]
    fn a_matched_name_gets_the_error_code_with_its_question_and_others_are_forwarded() {
        let rules = Rules::of(&NodeFault::DnsError {
            names: vec!["*.blocked.test".into()],
            error: DnsErrorCode::Servfail,
        })
        .unwrap();
        let q = query("api.blocked.test", 28);
        let r = respond(&rules, &q).unwrap();
        assert_eq!(&r[..2], &[0x12, 0x34]);
        assert_eq!(r[2], 0x85, "QR, AA, RD");
        assert_eq!(r[3] & 0x0f, 2, "SERVFAIL");
        assert_eq!(&r[4..12], &[0, 1, 0, 0, 0, 0, 0, 0]);
        assert_eq!(&r[12..], &q[12..], "the question echoed");
        assert_eq!(respond(&rules, &query("blocked.test", 1)), None);
        assert_eq!(respond(&rules, &query("example.com", 1)), None);
        let nx = Rules::of(&NodeFault::DnsError {
            names: vec!["gone.test".into()],
            error: DnsErrorCode::Nxdomain,
        })
        .unwrap();
        assert_eq!(respond(&nx, &query("gone.test", 1)).unwrap()[3] & 0x0f, 3);
    }

    #[test]
    fn a_spoofed_name_gets_an_a_record_and_an_empty_answer_for_other_types() {
        let rules = spoof(&[("web.test", "10.1.2.3")]);
        let q = query("Web.Test", TYPE_A);
        let r = respond(&rules, &q).unwrap();
        assert_eq!(r[3] & 0x0f, 0);
        assert_eq!(&r[6..8], &[0, 1], "one answer");
        let answer = &r[q.len()..];
        assert_eq!(answer, &[0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 0, 0, 4, 10, 1, 2, 3]);
        let aaaa = respond(&rules, &query("web.test", 28)).unwrap();
        assert_eq!((aaaa[3] & 0x0f, &aaaa[6..8]), (0, &[0u8, 0][..]), "NOERROR, no records");
        assert_eq!(aaaa.len(), query("web.test", 28).len());
    }

    #[test]
    fn only_plain_standard_queries_are_parsed() {
        let q = query("a.b", 1);
        assert_eq!(parse_query(&q).unwrap().name, "a.b");
        let mut response = q.clone();
        response[2] |= 0x80;
        assert_eq!(parse_query(&response), None);
        let mut update = q.clone();
        update[2] = 5 << 3;
        assert_eq!(parse_query(&update), None);
        let mut two = q.clone();
        two[5] = 2;
        assert_eq!(parse_query(&two), None);
        let mut compressed = q.clone();
        compressed[12] = 0xc0;
        assert_eq!(parse_query(&compressed), None);
        assert_eq!(parse_query(&q[..q.len() - 1]), None);
        let long = query(&vec!["a".repeat(63); 5].join("."), 1);
        assert_eq!(parse_query(&long), None, "a name over 255 bytes");
    }

    #[test]
    fn hostile_messages_never_panic() {
        let rules = Rules::of(&NodeFault::DnsError {
            names: vec!["*.test".into(), "x".into()],
            error: DnsErrorCode::Nxdomain,
        })
        .unwrap();
        let valid = query("a.b.test", 1);
        for len in 0..=valid.len() {
            let _ = respond(&rules, &valid[..len]);
        }
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for _ in 0..20_000 {
            let len = (next() % 80) as usize;
            let mut msg: Vec<u8> = (0..len).map(|_| next() as u8).collect();
            if msg.len() > 5 && next() % 2 == 0 {
                // mostly a well-formed header, so the name parser sees the noise
                msg[2] = 0;
                msg[4] = 0;
                msg[5] = 1;
            }
            if let Some(r) = respond(&rules, &msg) {
                assert!(r.len() >= 12);
            }
        }
    }

    #[test]
    fn nameservers_come_from_resolv_conf_and_the_rules_skip_the_agents_own_queries() {
        let conf = "search default.svc\nnameserver 10.96.0.10\nnameserver fd00::1\n# nameserver 1.1.1.1\nnameserver 10.0.0.2\n";
        assert_eq!(parse_nameservers(conf), vec![Ipv4Addr::new(10, 96, 0, 10), Ipv4Addr::new(10, 0, 0, 2)]);
        let rules: Vec<String> = nat_rules("CC-abc-N", &[(Ipv4Addr::new(10, 96, 0, 10), 40001)], 40002)
            .iter()
            .map(|r| r.join(" "))
            .collect();
        assert_eq!(
            rules,
            vec![
                "-w -t nat -N CC-abc-N".to_string(),
                format!("-w -t nat -A CC-abc-N -d 10.96.0.10/32 -p udp --dport 53 -m mark ! --mark {AGENT_MARK} -j REDIRECT --to-ports 40001"),
                format!("-w -t nat -A CC-abc-N -p tcp --dport 53 -m mark ! --mark {AGENT_MARK} -j REDIRECT --to-ports 40002"),
                "-w -t nat -I OUTPUT 1 -j CC-abc-N".to_string(),
            ]
        );
    }
}
