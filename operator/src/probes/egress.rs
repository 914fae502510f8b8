//! What http and prom probes may reach: the egress policy, checked on the addresses a request really
//! connects to, and the HTTP client pinned to the addresses it checked.
//!
//! A request to a URL is allowed when none of its host's resolved addresses is refused:
//! 1. never (whatever the allow list says): the Kubernetes API (the `kubernetes` Service's ClusterIP,
//!    its endpoints, the server of the operator's own kubeconfig) and `PROBE_EGRESS_DENY`;
//! 2. then `PROBE_EGRESS_ALLOW` allows what it names;
//! 3. else refused by default: loopback, link-local (cloud metadata), unspecified, multicast and broadcast
//!    addresses, cloud metadata addresses, and the control plane's namespace (its Services, endpoints and
//!    pods, and host names `*.<namespace>.svc…`).
//!
//! The name is resolved once, every address checked, and the request's client may connect only to those
//! addresses (no other name is resolved, no proxy, no redirect followed), so DNS rebinding and redirects
//! cannot lead a probe past the check.

use crate::world::Filler;
use futures::StreamExt;
use ipnet::IpNet;
use k8s_openapi::api::core::v1::{Endpoints, Pod, PodStatus, Service};
use kube::api::Api;
use kube::runtime::reflector::{self, Store};
use kube::runtime::{watcher, WatchStreamExt};
use reqwest::Url;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

/// The prefix of every refusal's message.
pub const REFUSED: &str = "refused by the egress policy";

/// One entry of `PROBE_EGRESS_ALLOW` or `PROBE_EGRESS_DENY`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Rule {
    /// Every address of a network, on any port: `10.0.0.0/8`, `fd00::/8`, or one address `127.0.0.1`.
    Net(IpNet),
    /// One address on one port: `127.0.0.1:9090`, `[::1]:9090`.
    Addr(SocketAddr),
    /// A host name as a probe's URL spells it, on one port: `prometheus.monitoring.svc:9090`.
    Host(String, u16),
}

impl Rule {
    /// Parses one entry; the error says which forms there are.
    pub fn parse(text: &str) -> Result<Self, String> {
        let not = || {
            format!(
                "{text:?} is not a network (10.0.0.0/8), an address (127.0.0.1), an address and port \
                 (127.0.0.1:9090, [::1]:9090) or a host and port (prometheus.monitoring.svc:9090)"
            )
        };
        if text.contains('/') {
            return text.parse::<IpNet>().map(|n| Rule::Net(n.trunc())).map_err(|_| not());
        }
        if let Ok(ip) = text.parse::<IpAddr>() {
            return Ok(Rule::Net(IpNet::from(ip)));
        }
        if let Ok(addr) = text.parse::<SocketAddr>() {
            return Ok(Rule::Addr(addr));
        }
        let (host, port) = text.rsplit_once(':').ok_or_else(not)?;
        let port: u16 = port.parse().ok().filter(|p| *p > 0).ok_or_else(not)?;
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        let label_ok = |l: &str| {
            !l.is_empty() && l.len() <= 63 && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        };
        if host.len() > 253 || !host.split('.').all(label_ok) {
            return Err(not());
        }
        Ok(Rule::Host(host, port))
    }

    /// Whether the rule covers a connection to `addr`, made for a URL whose host name is `host` (`None`
    /// for an address in the URL).
    fn matches(&self, host: Option<&str>, addr: SocketAddr) -> bool {
        match self {
            Rule::Net(net) => net.contains(&addr.ip()),
            Rule::Addr(a) => canonical(*a) == addr,
            Rule::Host(name, port) => host == Some(name.as_str()) && addr.port() == *port,
        }
    }
}

/// Parses a list of rules separated by commas or whitespace; the error names the entry.
pub fn parse_rules(text: &str) -> Result<Vec<Rule>, String> {
    text.split(|c: char| c == ',' || c.is_whitespace()).filter(|e| !e.is_empty()).map(Rule::parse).collect()
}

/// The settled part of the policy: the operator's configuration and its own Kubernetes API address.
#[derive(Clone, Debug, Default)]
pub struct Policy {
    /// `PROBE_EGRESS_ALLOW`: what is allowed although refused by default.
    pub allow: Vec<Rule>,
    /// `PROBE_EGRESS_DENY`: what is refused although allowed by default or by the allow list.
    pub deny: Vec<Rule>,
    /// The control plane's namespace (`CHAOSCENTER_NAMESPACE`).
    pub control_namespace: String,
    /// Where the operator's own client reaches the Kubernetes API (its kubeconfig's server, resolved).
    pub kube_api: Vec<SocketAddr>,
}

/// An address (on any port when `port` is `None`) the cluster says something about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Known {
    pub ip: IpAddr,
    pub port: Option<u16>,
}

impl Known {
    fn covers(&self, addr: SocketAddr) -> bool {
        self.ip.to_canonical() == addr.ip() && self.port.is_none_or(|p| p == addr.port())
    }
}

/// What the policy needs to know of the cluster, as lists (for tests and fixed setups).
#[derive(Clone, Debug, Default)]
pub struct Fixed {
    /// Addresses of the Kubernetes API.
    pub kube_api: Vec<Known>,
    /// Addresses of the control plane's namespace.
    pub control: Vec<Known>,
}

/// Caches of what the policy needs to know of the cluster, kept current by watches: the `kubernetes`
/// Service and its endpoints in `default`, and the Services, endpoints and pods of the control plane's
/// namespace.
#[derive(Clone)]
pub struct Caches {
    kubernetes: Store<Service>,
    kubernetes_endpoints: Store<Endpoints>,
    services: Store<Service>,
    endpoints: Store<Endpoints>,
    pods: Store<Pod>,
}

impl Caches {
    /// The caches and the tasks that fill them (run them until the operator stops).
    pub fn start(client: &kube::Client, control_namespace: &str) -> (Self, Vec<Filler>) {
        let only_kubernetes = || watcher::Config::default().fields("metadata.name=kubernetes").any_semantic();
        let all = || watcher::Config::default().any_semantic();
        let (kubernetes, a) = reflector::store();
        let (kubernetes_endpoints, b) = reflector::store();
        let (services, c) = reflector::store();
        let (endpoints, d) = reflector::store();
        let (pods, e) = reflector::store();
        let fillers: Vec<Filler> = vec![
            fill(a, watcher(Api::<Service>::namespaced(client.clone(), "default"), only_kubernetes())),
            fill(b, watcher(Api::<Endpoints>::namespaced(client.clone(), "default"), only_kubernetes())),
            fill(c, watcher(Api::<Service>::namespaced(client.clone(), control_namespace), all())),
            fill(d, watcher(Api::<Endpoints>::namespaced(client.clone(), control_namespace), all())),
            Box::pin(
                reflector::reflector(
                    e,
                    watcher(Api::<Pod>::namespaced(client.clone(), control_namespace), all())
                        .default_backoff()
                        .modify(addresses_only),
                )
                .for_each(|_| async {}),
            ),
        ];
        (Self { kubernetes, kubernetes_endpoints, services, endpoints, pods }, fillers)
    }

    /// Waits until every cache holds its first full list.
    async fn loaded(&self) -> bool {
        let (a, b, c, d, e) = futures::join!(
            self.kubernetes.wait_until_ready(),
            self.kubernetes_endpoints.wait_until_ready(),
            self.services.wait_until_ready(),
            self.endpoints.wait_until_ready(),
            self.pods.wait_until_ready()
        );
        a.is_ok() && b.is_ok() && c.is_ok() && d.is_ok() && e.is_ok()
    }

    fn is_kube_api(&self, addr: SocketAddr) -> bool {
        self.kubernetes.state().iter().any(|s| service_addresses(s).any(|k| k.covers(addr)))
            || self.kubernetes_endpoints.state().iter().any(|e| endpoint_addresses(e).any(|k| k.covers(addr)))
    }

    fn in_control_namespace(&self, addr: SocketAddr) -> bool {
        self.services.state().iter().any(|s| service_addresses(s).any(|k| k.covers(addr)))
            || self.services.state().iter().any(|s| node_ports(s).any(|p| p == addr.port()))
            || self.endpoints.state().iter().any(|e| endpoint_addresses(e).any(|k| k.covers(addr)))
            || self.pods.state().iter().any(|p| pod_addresses(p).any(|k| k.covers(addr)))
    }
}

fn fill<K>(
    writer: reflector::store::Writer<K>,
    stream: impl futures::Stream<Item = watcher::Result<watcher::Event<K>>> + Send + 'static,
) -> Filler
where
    K: kube::Resource<DynamicType = ()> + Clone + std::fmt::Debug + Send + Sync + 'static,
{
    Box::pin(reflector::reflector(writer, stream.default_backoff()).for_each(|_| async {}))
}

/// Keeps only a pod's addresses (a probe check reads nothing else of it).
fn addresses_only(pod: &mut Pod) {
    pod.spec = None;
    pod.metadata.managed_fields = None;
    pod.metadata.annotations = None;
    pod.status = pod.status.take().map(|s| PodStatus {
        pod_ip: s.pod_ip,
        pod_ips: s.pod_ips,
        host_ip: s.host_ip,
        ..PodStatus::default()
    });
}

/// A Service's addresses: its ClusterIPs on any port (they serve only it), its external and load
/// balancer addresses on its ports.
fn service_addresses(service: &Service) -> impl Iterator<Item = Known> + '_ {
    let spec = service.spec.as_ref();
    let cluster = spec
        .into_iter()
        .flat_map(|s| s.cluster_ips.iter().flatten().chain(s.cluster_ip.iter()))
        .filter_map(|ip| ip.parse().ok())
        .map(|ip| Known { ip, port: None });
    let ports: Vec<u16> = spec
        .into_iter()
        .flat_map(|s| s.ports.iter().flatten())
        .filter_map(|p| u16::try_from(p.port).ok())
        .collect();
    let outside: Vec<IpAddr> = spec
        .into_iter()
        .flat_map(|s| s.external_ips.iter().flatten())
        .chain(
            service
                .status
                .iter()
                .flat_map(|s| s.load_balancer.iter())
                .flat_map(|lb| lb.ingress.iter().flatten())
                .filter_map(|i| i.ip.as_ref()),
        )
        .filter_map(|ip| ip.parse().ok())
        .collect();
    let outside = outside
        .into_iter()
        .flat_map(move |ip| ports.clone().into_iter().map(move |p| Known { ip, port: Some(p) }));
    cluster.chain(outside)
}

/// A Service's node ports. They answer on every address of every node (and of load balancers in front),
/// so a probe to any address on one of the control plane's node ports is refused.
fn node_ports(service: &Service) -> impl Iterator<Item = u16> + '_ {
    service
        .spec
        .iter()
        .flat_map(|s| s.ports.iter().flatten())
        .filter_map(|p| p.node_port)
        .filter_map(|p| u16::try_from(p).ok())
}

/// An Endpoints object's addresses on its ports (on any port when it names none).
fn endpoint_addresses(endpoints: &Endpoints) -> impl Iterator<Item = Known> + '_ {
    endpoints.subsets.iter().flatten().flat_map(|subset| {
        let ports: Vec<Option<u16>> = match &subset.ports {
            Some(ports) if !ports.is_empty() => ports.iter().map(|p| u16::try_from(p.port).ok()).collect(),
            _ => vec![None],
        };
        subset
            .addresses
            .iter()
            .flatten()
            .chain(subset.not_ready_addresses.iter().flatten())
            .filter_map(|a| a.ip.parse::<IpAddr>().ok())
            .flat_map(move |ip| ports.clone().into_iter().map(move |port| Known { ip, port }))
    })
}

/// A pod's own addresses, on any port. A pod on its node's network has no address of its own (its node's
/// other services must stay reachable): it is left out; its Service's endpoints still name its ports.
fn pod_addresses(pod: &Pod) -> impl Iterator<Item = Known> + '_ {
    let status = pod.status.as_ref();
    let host = status.and_then(|s| s.host_ip.clone());
    status
        .into_iter()
        .flat_map(|s| s.pod_ips.iter().flatten().map(|p| &p.ip).chain(s.pod_ip.iter()))
        .filter(move |ip| Some(*ip) != host.as_ref())
        .filter_map(|ip| ip.parse().ok())
        .map(|ip| Known { ip, port: None })
}

/// Where the view of the cluster comes from.
#[derive(Clone)]
enum View {
    Caches(Caches),
    Fixed(Arc<Fixed>),
}

impl View {
    fn is_kube_api(&self, addr: SocketAddr) -> bool {
        match self {
            View::Caches(c) => c.is_kube_api(addr),
            View::Fixed(f) => f.kube_api.iter().any(|k| k.covers(addr)),
        }
    }

    fn in_control_namespace(&self, addr: SocketAddr) -> bool {
        match self {
            View::Caches(c) => c.in_control_namespace(addr),
            View::Fixed(f) => f.control.iter().any(|k| k.covers(addr)),
        }
    }
}

/// The policy and the view of the cluster it is applied with; cheap to clone.
#[derive(Clone)]
pub struct Egress {
    policy: Arc<Policy>,
    view: View,
}

impl Egress {
    /// The policy over caches of the cluster (see [`Caches::start`]).
    pub fn new(policy: Policy, caches: Caches) -> Self {
        Self { policy: Arc::new(policy), view: View::Caches(caches) }
    }

    /// The policy over a fixed view of the cluster.
    pub fn fixed(policy: Policy, view: Fixed) -> Self {
        Self { policy: Arc::new(policy), view: View::Fixed(Arc::new(view)) }
    }

    /// Whether a connection to `addr`, for a URL whose host is the name `host` (`None` for an address),
    /// is allowed; the error is why not, e.g. `169.254.169.254 is link-local`.
    pub fn decide(&self, host: Option<&str>, addr: SocketAddr) -> Result<(), String> {
        let addr = canonical(addr);
        let ip = addr.ip();
        let policy = &self.policy;
        if policy.kube_api.iter().any(|a| canonical(*a) == addr) || self.view.is_kube_api(addr) {
            return Err(format!("{addr} is the Kubernetes API"));
        }
        if policy.deny.iter().any(|r| r.matches(host, addr)) {
            return Err(format!("{addr} is on the operator's deny list (PROBE_EGRESS_DENY)"));
        }
        if policy.allow.iter().any(|r| r.matches(host, addr)) {
            return Ok(());
        }
        if let Some(class) = class(ip) {
            return Err(format!("{ip} is {class}"));
        }
        let ns = &policy.control_namespace;
        if let Some(host) = host.filter(|h| names_namespace(h, ns)) {
            return Err(format!("{host} is in the control plane's namespace {ns}"));
        }
        if self.view.in_control_namespace(addr) {
            return Err(format!("{ip} belongs to the control plane's namespace {ns}"));
        }
        Ok(())
    }

    /// An HTTP client for one request to `url`, which may connect only to the addresses of the URL's host
    /// that the policy allows; the error is the message for a probe's status (a refusal, or a host name
    /// that does not resolve). Waits at most `wait` for the view of the cluster to load.
    pub async fn client(&self, url: &Url, wait: Duration) -> Result<reqwest::Client, String> {
        if !matches!(url.scheme(), "http" | "https") {
            return Err(format!("{REFUSED}: only http and https are allowed"));
        }
        let port = url.port_or_known_default().unwrap_or(80);
        if let View::Caches(caches) = &self.view {
            if !matches!(tokio::time::timeout(wait, caches.loaded()).await, Ok(true)) {
                return Err(format!("{REFUSED}: the operator's view of the cluster is not loaded yet"));
            }
        }
        let (name, addrs) = match url.host() {
            Some(url::Host::Ipv4(ip)) => (None, vec![SocketAddr::new(ip.into(), port)]),
            Some(url::Host::Ipv6(ip)) => (None, vec![SocketAddr::new(ip.into(), port)]),
            Some(url::Host::Domain(domain)) => {
                let unresolved = || format!("the host name {domain} does not resolve");
                let addrs: Vec<SocketAddr> =
                    tokio::net::lookup_host((domain, port)).await.map_err(|_| unresolved())?.collect();
                if addrs.is_empty() {
                    return Err(unresolved());
                }
                (Some(domain), addrs)
            }
            None => return Err(format!("{REFUSED}: the URL has no host")),
        };
        let host = name.map(|n| n.trim_end_matches('.').to_ascii_lowercase());
        for addr in &addrs {
            self.decide(host.as_deref(), *addr).map_err(|why| match &host {
                Some(host) if !why.starts_with(host.as_str()) => format!("{REFUSED}: {host}: {why}"),
                _ => format!("{REFUSED}: {why}"),
            })?;
        }
        pinned_client(name, &addrs)
    }
}

/// The addresses (and port) a Kubernetes API server URL reaches; none when its host does not resolve
/// (then only the `kubernetes` Service and its endpoints stand for the API).
pub async fn addresses_of(server: &axum::http::Uri) -> Vec<SocketAddr> {
    let Some(host) = server.host() else { return Vec::new() };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let port = server.port_u16().unwrap_or(if server.scheme_str() == Some("http") { 80 } else { 443 });
    match tokio::net::lookup_host((host, port)).await {
        Ok(addrs) => addrs.map(canonical).collect(),
        Err(error) => {
            tracing::warn!(%server, %error, "the Kubernetes API's host does not resolve");
            Vec::new()
        }
    }
}

/// A client that connects to `addrs` for the host `name` and nowhere else: no other name resolves, no
/// proxy is used and no redirect is followed (a probe reports the 3xx); nothing is kept for later.
fn pinned_client(name: Option<&str>, addrs: &[SocketAddr]) -> Result<reqwest::Client, String> {
    let mut builder = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .dns_resolver(Arc::new(NoResolution))
        .pool_max_idle_per_host(0)
        .user_agent(concat!("chaoscenter-probe/", env!("CARGO_PKG_VERSION")));
    if let Some(name) = name {
        builder = builder.resolve_to_addrs(&name.to_ascii_lowercase(), addrs);
    }
    builder.build().map_err(|_| "the HTTP client could not be set up".to_string())
}

/// A resolver that resolves nothing: a pinned client knows its only host's addresses already.
struct NoResolution;

impl reqwest::dns::Resolve for NoResolution {
    fn resolve(&self, _: reqwest::dns::Name) -> reqwest::dns::Resolving {
        Box::pin(std::future::ready(Err("no other host name is resolved for a probe".into())))
    }
}

/// The address with an IPv4-mapped IPv6 address (`::ffff:127.0.0.1`) as the IPv4 address it is.
fn canonical(addr: SocketAddr) -> SocketAddr {
    SocketAddr::new(addr.ip().to_canonical(), addr.port())
}

/// The AWS metadata service's IPv6 address.
const AWS_METADATA_V6: Ipv6Addr = Ipv6Addr::new(0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x254);
/// Alibaba Cloud's metadata service.
const ALIBABA_METADATA: Ipv4Addr = Ipv4Addr::new(100, 100, 100, 200);

/// The class of an address refused by default, in words; `None` for the others.
fn class(ip: IpAddr) -> Option<&'static str> {
    match ip.to_canonical() {
        IpAddr::V4(v4) if v4.octets()[0] == 0 => Some("unspecified (0.0.0.0/8)"),
        IpAddr::V4(v4) if v4.is_loopback() => Some("loopback"),
        IpAddr::V4(v4) if v4.is_link_local() => Some("link-local"),
        IpAddr::V4(v4) if v4 == ALIBABA_METADATA => Some("a cloud metadata address"),
        IpAddr::V4(v4) if v4.is_broadcast() || v4.is_multicast() => Some("not a unicast address"),
        IpAddr::V6(v6) if v6.is_unspecified() => Some("unspecified"),
        IpAddr::V6(v6) if v6.is_loopback() => Some("loopback"),
        IpAddr::V6(v6) if v6.segments()[0] & 0xffc0 == 0xfe80 => Some("link-local"),
        IpAddr::V6(v6) if v6 == AWS_METADATA_V6 => Some("a cloud metadata address"),
        IpAddr::V6(v6) if v6.is_multicast() => Some("not a unicast address"),
        _ => None,
    }
}

/// Whether a host name names something in namespace `ns` by the cluster's DNS: `<service>.<ns>`,
/// `<service>.<ns>.svc[.<domain>]`, `<pod>.<service>.<ns>.svc…`, `<ip>.<ns>.pod…`.
fn names_namespace(host: &str, ns: &str) -> bool {
    if ns.is_empty() {
        return false;
    }
    let labels: Vec<&str> = host.trim_end_matches('.').split('.').collect();
    (labels.len() == 2 && labels[1] == ns)
        || labels.windows(2).skip(1).any(|pair| pair[0] == ns && matches!(pair[1], "svc" | "pod"))
}

#[cfg(test)]
mod egress_tests {
    use super::*;

    fn rules(text: &str) -> Vec<Rule> {
        parse_rules(text).unwrap()
    }

    fn addr(text: &str) -> SocketAddr {
        text.parse().unwrap()
    }

    fn egress(allow: &str, deny: &str) -> Egress {
        Egress::fixed(
            Policy {
                allow: rules(allow),
                deny: rules(deny),
                control_namespace: "chaoscenter-system".into(),
                kube_api: vec![addr("127.0.0.1:6443")],
            },
            Fixed {
                kube_api: vec![
                    Known { ip: "10.96.0.1".parse().unwrap(), port: None },
                    Known { ip: "192.168.1.10".parse().unwrap(), port: Some(6443) },
                ],
                control: vec![
                    Known { ip: "10.96.7.7".parse().unwrap(), port: None },
                    Known { ip: "10.88.0.9".parse().unwrap(), port: None },
                    Known { ip: "192.168.1.20".parse().unwrap(), port: Some(27017) },
                ],
            },
        )
    }

    #[test]
    fn rules_parse_networks_addresses_and_hosts() {
        assert_eq!(
            rules("10.0.0.0/8, 127.0.0.1 [::1]:9090\n127.0.0.1:8080,prometheus.monitoring.svc:9090 fd00::/8"),
            vec![
                Rule::Net("10.0.0.0/8".parse().unwrap()),
                Rule::Net("127.0.0.1/32".parse().unwrap()),
                Rule::Addr(addr("[::1]:9090")),
                Rule::Addr(addr("127.0.0.1:8080")),
                Rule::Host("prometheus.monitoring.svc".into(), 9090),
                Rule::Net("fd00::/8".parse().unwrap()),
            ]
        );
        assert_eq!(rules("10.1.2.3/8"), vec![Rule::Net("10.0.0.0/8".parse().unwrap())]);
        assert_eq!(rules("Prom.Example.:443"), vec![Rule::Host("prom.example".into(), 443)]);
        assert_eq!(rules(" , "), vec![]);
        for bad in [
            "10.0.0.0/33",
            "prometheus",
            "prom:0",
            "prom:99999",
            "a..b:80",
            "bad_host:80",
            "http://x:80",
            "::1:x",
        ] {
            let e = parse_rules(bad).unwrap_err();
            assert!(e.starts_with(&format!("{bad:?} is not a network")), "{bad}: {e}");
        }
    }

    #[test]
    fn link_local_loopback_and_unspecified_are_refused_by_default() {
        let e = egress("", "");
        for (to, why) in [
            ("169.254.169.254:80", "169.254.169.254 is link-local"),
            ("[fe80::1]:80", "fe80::1 is link-local"),
            ("[fd00:ec2::254]:80", "fd00:ec2::254 is a cloud metadata address"),
            ("100.100.100.200:80", "100.100.100.200 is a cloud metadata address"),
            ("127.0.0.1:8090", "127.0.0.1 is loopback"),
            ("127.1.2.3:80", "127.1.2.3 is loopback"),
            ("[::1]:80", "::1 is loopback"),
            ("[::ffff:169.254.169.254]:80", "169.254.169.254 is link-local"),
            ("[::ffff:127.0.0.1]:80", "127.0.0.1 is loopback"),
            ("0.0.0.0:80", "0.0.0.0 is unspecified (0.0.0.0/8)"),
            ("[::]:80", ":: is unspecified"),
            ("255.255.255.255:80", "255.255.255.255 is not a unicast address"),
            ("224.0.0.1:80", "224.0.0.1 is not a unicast address"),
        ] {
            assert_eq!(e.decide(None, addr(to)), Err(why.to_string()), "{to}");
        }
        for to in ["10.96.100.100:80", "8.8.8.8:443", "192.168.1.10:80", "[fd00::1]:9090", "100.64.0.1:80"] {
            assert_eq!(e.decide(None, addr(to)), Ok(()), "{to}");
        }
    }

    #[test]
    fn the_kubernetes_api_is_refused_even_when_allowed() {
        let e = egress("0.0.0.0/0, ::/0, 10.96.0.1:443, kubernetes.default.svc:443", "");
        for (to, why) in [
            ("10.96.0.1:443", "10.96.0.1:443 is the Kubernetes API"),
            ("10.96.0.1:80", "10.96.0.1:80 is the Kubernetes API"),
            ("192.168.1.10:6443", "192.168.1.10:6443 is the Kubernetes API"),
            ("127.0.0.1:6443", "127.0.0.1:6443 is the Kubernetes API"),
            ("[::ffff:127.0.0.1]:6443", "127.0.0.1:6443 is the Kubernetes API"),
        ] {
            assert_eq!(e.decide(Some("kubernetes.default.svc"), addr(to)), Err(why.to_string()), "{to}");
        }
        // the node's other ports, and loopback's, are what the allow list says
        assert_eq!(e.decide(None, addr("192.168.1.10:9100")), Ok(()));
        assert_eq!(e.decide(None, addr("127.0.0.1:9090")), Ok(()));
    }

    #[test]
    fn the_control_plane_namespace_is_refused_by_address_and_by_name() {
        let e = egress("", "");
        assert_eq!(
            e.decide(None, addr("10.96.7.7:80")),
            Err("10.96.7.7 belongs to the control plane's namespace chaoscenter-system".into())
        );
        assert_eq!(
            e.decide(None, addr("10.88.0.9:8080")),
            Err("10.88.0.9 belongs to the control plane's namespace chaoscenter-system".into())
        );
        assert_eq!(
            e.decide(None, addr("192.168.1.20:27017")),
            Err("192.168.1.20 belongs to the control plane's namespace chaoscenter-system".into())
        );
        assert_eq!(e.decide(None, addr("192.168.1.20:80")), Ok(()), "only the endpoint's port");
        for host in [
            "mongodb.chaoscenter-system",
            "chaoscenter-apiserver.chaoscenter-system.svc",
            "chaoscenter-apiserver.chaoscenter-system.svc.cluster.local.",
            "mongo-0.mongo.chaoscenter-system.svc.cluster.local",
            "10-88-0-9.chaoscenter-system.pod.cluster.local",
        ] {
            let why = e.decide(Some(host), addr("10.96.200.1:80")).unwrap_err();
            assert_eq!(why, format!("{host} is in the control plane's namespace chaoscenter-system"));
        }
        for host in [
            "chaoscenter-system.example.com",
            "web.shop.svc",
            "chaoscenter-system",
            "x.chaoscenter-system.example",
        ] {
            assert_eq!(e.decide(Some(host), addr("10.96.200.1:80")), Ok(()), "{host}");
        }
    }

    #[test]
    fn the_allow_list_lifts_default_refusals_and_the_deny_list_wins() {
        let e = egress(
            "127.0.0.1:9090, 169.254.0.0/16, mongodb.chaoscenter-system:8080, 10.96.7.7",
            "169.254.169.254",
        );
        assert_eq!(e.decide(None, addr("127.0.0.1:9090")), Ok(()));
        assert_eq!(e.decide(None, addr("127.0.0.1:9091")), Err("127.0.0.1 is loopback".into()));
        assert_eq!(e.decide(None, addr("169.254.10.1:80")), Ok(()));
        assert_eq!(
            e.decide(None, addr("169.254.169.254:80")),
            Err("169.254.169.254:80 is on the operator's deny list (PROBE_EGRESS_DENY)".into())
        );
        assert_eq!(e.decide(Some("mongodb.chaoscenter-system"), addr("10.96.200.1:8080")), Ok(()));
        assert!(e.decide(Some("mongodb.chaoscenter-system"), addr("10.96.200.1:27017")).is_err());
        assert_eq!(e.decide(None, addr("10.96.7.7:80")), Ok(()));
        let deny = egress("0.0.0.0/0", "10.20.0.0/16, db.example.com:27017, 10.30.0.5:5432");
        assert!(deny.decide(None, addr("10.20.3.4:80")).is_err());
        assert!(deny.decide(Some("db.example.com"), addr("10.40.0.1:27017")).is_err());
        assert_eq!(deny.decide(Some("db.example.com"), addr("10.40.0.1:80")), Ok(()));
        assert!(deny.decide(None, addr("10.30.0.5:5432")).is_err());
        assert_eq!(deny.decide(None, addr("10.30.0.5:80")), Ok(()));
    }

    #[test]
    fn cluster_objects_give_their_addresses() {
        let service: Service = serde_json::from_value(serde_json::json!({
            "spec": {"clusterIP": "10.96.0.1", "clusterIPs": ["10.96.0.1", "fd00:96::1"],
                     "externalIPs": ["203.0.113.5"], "ports": [{"port": 443}, {"port": 80}]},
            "status": {"loadBalancer": {"ingress": [{"ip": "198.51.100.7"}, {"hostname": "lb.example"}]}}
        }))
        .unwrap();
        let known: Vec<Known> = service_addresses(&service).collect();
        let k = |ip: &str, port: Option<u16>| Known { ip: ip.parse().unwrap(), port };
        for expected in [
            k("10.96.0.1", None),
            k("fd00:96::1", None),
            k("203.0.113.5", Some(443)),
            k("203.0.113.5", Some(80)),
            k("198.51.100.7", Some(443)),
        ] {
            assert!(known.contains(&expected), "{expected:?} in {known:?}");
        }
        assert_eq!(node_ports(&service).count(), 0);
        let node_port: Service = serde_json::from_value(serde_json::json!({"spec": {"type": "NodePort",
            "clusterIP": "10.96.0.9", "ports": [{"port": 8080, "nodePort": 30080}]}}))
        .unwrap();
        assert_eq!(node_ports(&node_port).collect::<Vec<_>>(), vec![30080]);
        let headless: Service =
            serde_json::from_value(serde_json::json!({"spec": {"clusterIP": "None"}})).unwrap();
        assert_eq!(service_addresses(&headless).count(), 0);
        let endpoints: Endpoints = serde_json::from_value(serde_json::json!({"subsets": [
            {"addresses": [{"ip": "192.168.1.10"}], "notReadyAddresses": [{"ip": "192.168.1.11"}], "ports": [{"port": 6443}]},
            {"addresses": [{"ip": "10.88.0.5"}]}
        ]}))
        .unwrap();
        assert_eq!(
            endpoint_addresses(&endpoints).collect::<Vec<_>>(),
            vec![k("192.168.1.10", Some(6443)), k("192.168.1.11", Some(6443)), k("10.88.0.5", None)]
        );
        let pod: Pod = serde_json::from_value(serde_json::json!({"status": {
            "podIP": "10.88.0.9", "podIPs": [{"ip": "10.88.0.9"}, {"ip": "fd00:88::9"}], "hostIP": "192.168.1.10"}}))
        .unwrap();
        let known: Vec<Known> = pod_addresses(&pod).collect();
        assert!(known.contains(&k("10.88.0.9", None)) && known.contains(&k("fd00:88::9", None)), "{known:?}");
        let host_network: Pod = serde_json::from_value(serde_json::json!({"status": {
            "podIP": "192.168.1.10", "podIPs": [{"ip": "192.168.1.10"}], "hostIP": "192.168.1.10"}}))
        .unwrap();
        assert_eq!(
            pod_addresses(&host_network).count(),
            0,
            "a pod on its node's network has no address of its own"
        );
    }

    #[tokio::test]
    async fn a_refused_url_is_never_connected_to() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let e = egress("", "");
        let wait = Duration::from_secs(5);
        let url = Url::parse(&format!("http://127.0.0.1:{port}/")).unwrap();
        let refused = e.client(&url, wait).await.unwrap_err();
        assert_eq!(refused, format!("{REFUSED}: 127.0.0.1 is loopback"));
        let url = Url::parse(&format!("http://localhost:{port}/")).unwrap();
        let refused = e.client(&url, wait).await.unwrap_err();
        assert!(refused.starts_with(&format!("{REFUSED}: localhost: ")), "{refused}");
        assert!(refused.ends_with(" is loopback"), "{refused}");
        let url = Url::parse(&format!("http://0x7f000001:{port}/")).unwrap();
        assert_eq!(e.client(&url, wait).await.unwrap_err(), format!("{REFUSED}: 127.0.0.1 is loopback"));
        // nothing connected
        let accepted = tokio::time::timeout(Duration::from_millis(200), listener.accept()).await;
        assert!(accepted.is_err(), "a connection was made");
    }

    #[tokio::test]
    async fn an_unresolvable_host_and_other_schemes_are_errors() {
        let e = egress("", "");
        let wait = Duration::from_secs(5);
        let url = Url::parse("http://no-such-host.invalid/").unwrap();
        assert_eq!(
            e.client(&url, wait).await.unwrap_err(),
            "the host name no-such-host.invalid does not resolve"
        );
        let url = Url::parse("file:///etc/passwd").unwrap();
        assert_eq!(
            e.client(&url, wait).await.unwrap_err(),
            format!("{REFUSED}: only http and https are allowed")
        );
    }

    #[tokio::test]
    async fn a_pinned_client_connects_only_to_the_checked_addresses() {
        // a name pinned to an allowed address is reached there, whatever the resolver would say
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let at = listener.local_addr().unwrap();
        let server =
            axum::serve(listener, axum::Router::new().route("/", axum::routing::get(|| async { "hi" })));
        tokio::spawn(async move { server.await.unwrap() });
        let client = pinned_client(Some("checked.example"), &[at]).unwrap();
        let answer = client.get(format!("http://checked.example:{}/", at.port())).send().await.unwrap();
        assert_eq!(answer.text().await.unwrap(), "hi");
        // any other name is not resolved at all
        let e = client.get(format!("http://localhost:{}/", at.port())).send().await.unwrap_err();
        assert!(e.is_connect(), "{e:?}");
    }
}
