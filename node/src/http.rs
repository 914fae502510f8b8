//! The HTTP faults: a transparent proxy in the pod's network namespace for one port, inbound or outbound, adding latency, resetting connections, replacing the status, body or headers of matching exchanges.
//!
//! Inbound, connections to the pod's port are redirected in PREROUTING (the proxy's own connection to
//! the app is local, so it is not); outbound, the pod's connections to the remote port are redirected in
//! OUTPUT, except the proxy's own (marked). Each connection is served by hyper's HTTP/1 server and its
//! requests are forwarded over one HTTP/1 client connection to the original destination
//! (`SO_ORIGINAL_DST`); connections opened before the fault are not intercepted.

use crate::dns::{original_destination, Proxy};
use crate::held::{nat_chain, Record, Scene, Started};
use crate::netns::SocketMaker;
use crate::plan::{agent_mark, AGENT_MARK};
use bytes::Bytes;
use chaoscenter_crds::injection::{HttpDirection, HttpMatch, NodeFault};
use http_body_util::{combinators::BoxBody, BodyExt, Full};
use hyper::body::Incoming;
use hyper::header::{HeaderName, HeaderValue, CONTENT_LENGTH, TRANSFER_ENCODING};
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use std::net::SocketAddr;
use std::os::fd::{AsFd, OwnedFd};
use std::sync::Arc;
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};

/// Connections served at once; more are closed.
const MAX_CONNECTIONS: usize = 256;
/// How long a client may take to send a request's headers.
const HEADER_TIMEOUT: Duration = Duration::from_secs(30);
/// How long connecting to the original destination may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// What the proxy does to a matching exchange.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Action {
    pub latency: Option<Duration>,
    pub abort: bool,
    pub status: Option<StatusCode>,
    pub body: Option<Bytes>,
    pub headers: Vec<(HeaderName, HeaderValue)>,
}

/// An HTTP fault: which exchanges, and what happens to them.
#[derive(Clone, Debug, PartialEq)]
pub struct HttpFault {
    pub http: HttpMatch,
    pub action: Action,
}

impl HttpFault {
    /// The fault `fault` describes, or which of its fields is wrong.
    pub fn of(fault: &NodeFault) -> Result<Self, String> {
        let body = |b: &Option<String>| b.as_ref().map(|b| Bytes::from(b.clone()));
        let (http, action) = match fault {
            NodeFault::HttpLatency { http, latency_ms } => (
                http,
                Action { latency: Some(Duration::from_millis(u64::from(*latency_ms))), ..Default::default() },
            ),
            NodeFault::HttpAbort { http } => (http, Action { abort: true, ..Default::default() }),
            NodeFault::HttpStatus { http, status, body: b } => {
                let status = StatusCode::from_u16(*status)
                    .map_err(|_| format!("status: {status} is not an HTTP status"))?;
                (http, Action { status: Some(status), body: body(b), ..Default::default() })
            }
            NodeFault::HttpModify { http, body: b, headers } => {
                let headers = headers
                    .iter()
                    .map(|(name, value)| {
                        Ok((
                            HeaderName::try_from(name.as_str())
                                .map_err(|_| format!("headers.{name}: not a header name"))?,
                            HeaderValue::try_from(value.as_str())
                                .map_err(|_| format!("headers.{name}: not a header value"))?,
                        ))
                    })
                    .collect::<Result<_, String>>()?;
                (http, Action { body: body(b), headers, ..Default::default() })
            }
            other => return Err(format!("{} is not an HTTP fault", other.name())),
        };
        if http.port == 0 {
            return Err("http.port: 0 is not a port".into());
        }
        Ok(Self { http: http.clone(), action })
    }

    /// True when a request with `method` for `path` is one the fault applies to.
    pub fn matches(&self, method: &str, path: &str) -> bool {
        self.http.method.as_deref().is_none_or(|m| m == method)
            && self.http.path_prefix.as_deref().is_none_or(|p| path.starts_with(p))
    }

    /// `response` as the fault changes it: status, then headers, then the body (with its length).
    pub fn change<B>(&self, response: Response<B>) -> Response<BoxBody<Bytes, hyper::Error>>
    where
        B: hyper::body::Body<Data = Bytes, Error = hyper::Error> + Send + Sync + 'static,
    {
        let (mut parts, body) = response.into_parts();
        if let Some(status) = self.action.status {
            parts.status = status;
        }
        for (name, value) in &self.action.headers {
            parts.headers.insert(name.clone(), value.clone());
        }
        let body = match &self.action.body {
            Some(new) => {
                parts.headers.remove(TRANSFER_ENCODING);
                parts.headers.insert(CONTENT_LENGTH, HeaderValue::from(new.len()));
                Full::new(new.clone()).map_err(|never| match never {}).boxed()
            }
            None => body.boxed(),
        };
        Response::from_parts(parts, body)
    }
}

/// The nat rules that send the fault's connections to the proxy's `port`.
pub fn nat_rules(chain: &str, http: &HttpMatch, port: u16) -> Vec<Vec<String>> {
    let s = |v: &[&str]| v.iter().map(|a| a.to_string()).collect::<Vec<_>>();
    let (dport, to) = (http.port.to_string(), port.to_string());
    let mut rule = s(&["-w", "-t", "nat", "-A", chain, "-p", "tcp", "--dport", &dport]);
    let parent = match http.direction {
        // the proxy's connection to the app is local (OUTPUT), so PREROUTING never sees it
        HttpDirection::Inbound => "PREROUTING",
        HttpDirection::Outbound => {
            rule.extend(s(&["-m", "mark", "!", "--mark", AGENT_MARK]));
            "OUTPUT"
        }
    };
    rule.extend(s(&["-j", "REDIRECT", "--to-ports", &to]));
    vec![s(&["-w", "-t", "nat", "-N", chain]), rule, s(&["-w", "-t", "nat", "-I", parent, "1", "-j", chain])]
}

/// Starts the fault of `scene`.
pub async fn start(scene: &Scene<'_>, _record: &mut Record) -> Result<Started, String> {
    let fault = Arc::new(HttpFault::of(&scene.spec.fault)?);
    let ns = scene.netns.ok_or("an HTTP fault needs a pod")?;
    // inbound, REDIRECT in PREROUTING sends to the incoming interface's address: any address
    let bind = match fault.http.direction {
        HttpDirection::Inbound => "0.0.0.0:0",
        HttpDirection::Outbound => "127.0.0.1:0",
    };
    let listener = ns
        .run(move || {
            let listener = std::net::TcpListener::bind(bind)?;
            listener.set_nonblocking(true)?;
            Ok(listener)
        })
        .await
        .map_err(|e| format!("failed to open the proxy's socket in the pod: {e:#}"))?;
    let maker = Arc::new(
        SocketMaker::new(ns, agent_mark())
            .map_err(|e| format!("failed to enter the pod's namespace: {e:#}"))?,
    );
    let io = |e: std::io::Error| format!("failed to use the proxy's socket: {e}");
    let port = listener.local_addr().map_err(io)?.port();
    let listener = TcpListener::from_std(listener).map_err(io)?;
    let mut proxy = Proxy::new(ns, nat_chain(scene.injection_uid))?;
    proxy.tcp_ports.push(port);
    proxy.tasks.push(tokio::spawn(serve(listener, maker, fault.clone())));
    proxy
        .redirect(nat_rules(&proxy.chain, &fault.http, port))
        .await
        .map_err(|e| format!("failed to redirect the pod's HTTP traffic: {e}"))?;
    tracing::info!(chain = %proxy.chain, port, http = ?fault.http, "HTTP proxy started");
    Ok(Started { held: Box::new(proxy), mechanism: "http-proxy" })
}

/// Accepts the redirected connections, each served in a task of its own (at most [`MAX_CONNECTIONS`]);
/// the tasks end with this one.
async fn serve(listener: TcpListener, maker: Arc<SocketMaker>, fault: Arc<HttpFault>) {
    let mut connections = tokio::task::JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                if connections.len() >= MAX_CONNECTIONS {
                    continue;
                }
                connections.spawn(serve_connection(stream, maker.clone(), fault.clone()));
            }
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
}

/// Why the proxy ends a connection without an answer.
#[derive(Debug, thiserror::Error)]
enum Refused {
    #[error("reset by the fault")]
    Reset,
    #[error("failed to reach {0}")]
    Unreachable(SocketAddr),
    #[error(transparent)]
    Upstream(#[from] hyper::Error),
}

type Upstream = hyper::client::conn::http1::SendRequest<Incoming>;

/// Serves one client connection: its requests go, one at a time, to the original destination.
async fn serve_connection(client: TcpStream, maker: Arc<SocketMaker>, fault: Arc<HttpFault>) {
    let Some(destination) = original_destination(&client) else { return };
    // a connection made to the proxy's port itself was not redirected: never serve it (it would loop)
    if client.local_addr().ok() == Some(destination) {
        return;
    }
    let _ = client.set_nodelay(true);
    // a second descriptor of the client's socket, to set SO_LINGER 0 (reset on close) when aborting
    let Ok(raw) = client.as_fd().try_clone_to_owned() else { return };
    let raw = Arc::new(raw);
    let upstream: Arc<tokio::sync::Mutex<Option<Upstream>>> = Arc::default();
    let service = hyper::service::service_fn(move |request: Request<Incoming>| {
        let (fault, maker, upstream, raw) = (fault.clone(), maker.clone(), upstream.clone(), raw.clone());
        async move { exchange(request, &fault, &maker, &upstream, destination, &raw).await }
    });
    let _ = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_TIMEOUT)
        .serve_connection(TokioIo::new(client), service)
        .await;
}

/// One request and its response, with the fault applied when the request matches.
async fn exchange(
    request: Request<Incoming>,
    fault: &HttpFault,
    maker: &SocketMaker,
    upstream: &tokio::sync::Mutex<Option<Upstream>>,
    destination: SocketAddr,
    raw: &OwnedFd,
) -> Result<Response<BoxBody<Bytes, hyper::Error>>, Refused> {
    let matched = fault.matches(request.method().as_str(), request.uri().path());
    if matched && fault.action.abort {
        let zero = nix::libc::linger { l_onoff: 1, l_linger: 0 };
        let _ = nix::sys::socket::setsockopt(raw, nix::sys::socket::sockopt::Linger, &zero);
        // the error ends the connection; its last descriptor closing with SO_LINGER 0 sends a reset
        return Err(Refused::Reset);
    }
    if let (true, Some(latency)) = (matched, fault.action.latency) {
        tokio::time::sleep(latency).await;
    }
    let mut upstream = upstream.lock().await;
    let ready = match upstream.as_mut() {
        Some(sender) => sender.ready().await.is_ok(),
        None => false,
    };
    if !ready {
        *upstream = Some(connect(maker, destination).await?);
    }
    let sender = upstream.as_mut().ok_or(Refused::Unreachable(destination))?;
    let response = sender.send_request(request).await?;
    Ok(if matched { fault.change(response) } else { response.map(BodyExt::boxed) })
}

/// A new HTTP/1 client connection to `destination` from the pod's namespace, driven in a task that ends
/// when its sender is dropped.
async fn connect(maker: &SocketMaker, destination: SocketAddr) -> Result<Upstream, Refused> {
    let unreachable = || Refused::Unreachable(destination);
    let socket = maker.tcp().await.map_err(|_| unreachable())?;
    let stream = tokio::time::timeout(CONNECT_TIMEOUT, socket.connect(destination))
        .await
        .map_err(|_| unreachable())?
        .map_err(|_| unreachable())?;
    let _ = stream.set_nodelay(true);
    let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    tokio::spawn(async move {
        let _ = connection.await;
    });
    Ok(sender)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matching(method: Option<&str>, path_prefix: Option<&str>) -> HttpMatch {
        HttpMatch {
            port: 8080,
            direction: HttpDirection::Inbound,
            method: method.map(String::from),
            path_prefix: path_prefix.map(String::from),
        }
    }

    #[test]
    fn requests_match_by_method_and_path_prefix() {
        let fault =
            HttpFault::of(&NodeFault::HttpAbort { http: matching(Some("GET"), Some("/api/")) }).unwrap();
        assert!(fault.matches("GET", "/api/users"));
        assert!(!fault.matches("POST", "/api/users"));
        assert!(!fault.matches("GET", "/apix"));
        let any = HttpFault::of(&NodeFault::HttpAbort { http: matching(None, None) }).unwrap();
        assert!(any.matches("DELETE", "/"));
        assert!(any.action.abort);
    }

    #[test]
    fn a_status_or_modify_fault_rewrites_the_response_and_its_length() {
        let fault = HttpFault::of(&NodeFault::HttpModify {
            http: matching(None, None),
            body: Some("changed".into()),
            headers: [("X-Chaos".to_string(), "yes".to_string())].into_iter().collect(),
        })
        .unwrap();
        let original = Response::builder()
            .status(200)
            .header(CONTENT_LENGTH, "2")
            .body(Full::new(Bytes::from("ok")).map_err(|never| match never {}))
            .unwrap();
        let changed = fault.change(original);
        assert_eq!(changed.status(), 200);
        assert_eq!(changed.headers()["x-chaos"], "yes");
        assert_eq!(changed.headers()[CONTENT_LENGTH], "7");
        let status =
            HttpFault::of(&NodeFault::HttpStatus { http: matching(None, None), status: 503, body: None })
                .unwrap();
        let original = Response::builder()
            .header(CONTENT_LENGTH, "2")
            .body(Full::new(Bytes::from("ok")).map_err(|never| match never {}))
            .unwrap();
        let changed = status.change(original);
        assert_eq!(
            (changed.status(), &changed.headers()[CONTENT_LENGTH]),
            (StatusCode::SERVICE_UNAVAILABLE, &HeaderValue::from(2))
        );
        let bad = HttpFault::of(&NodeFault::HttpModify {
            http: matching(None, None),
            body: None,
            headers: [("bad name".to_string(), "x".to_string())].into_iter().collect(),
        });
        assert!(bad.unwrap_err().contains("headers.bad name"));
    }

    #[test]
    fn inbound_redirects_in_prerouting_and_outbound_in_output_sparing_the_agents_connections() {
        let joined = |http: &HttpMatch| {
            nat_rules("CC-abc-N", http, 40000).iter().map(|r| r.join(" ")).collect::<Vec<_>>()
        };
        assert_eq!(
            joined(&matching(None, None)),
            vec![
                "-w -t nat -N CC-abc-N",
                "-w -t nat -A CC-abc-N -p tcp --dport 8080 -j REDIRECT --to-ports 40000",
                "-w -t nat -I PREROUTING 1 -j CC-abc-N",
            ]
        );
        let out = HttpMatch { direction: HttpDirection::Outbound, port: 80, ..Default::default() };
        assert_eq!(
            joined(&out)[1..],
            [
                format!("-w -t nat -A CC-abc-N -p tcp --dport 80 -m mark ! --mark {AGENT_MARK} -j REDIRECT --to-ports 40000"),
                "-w -t nat -I OUTPUT 1 -j CC-abc-N".to_string(),
            ]
        );
    }
}
