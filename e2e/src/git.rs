//! A real git server on loopback for the hub tests: `git http-backend` (the smart HTTP protocol, v2
//! included) run as a CGI behind a small axum server over https (a test CA the operator is told to trust
//! with `SSL_CERT_FILE`) with optional basic auth, and repositories built with the `git` command.

use crate::wait_for;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, Request, Response, StatusCode, Uri};
use base64::Engine;
use chaoscenter_crds::common::Condition;
use chaoscenter_crds::ChaosHub;
use k8s_openapi::api::core::v1::Secret;
use kube::api::{Api, PostParams};
use kube::Client;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::AsyncWriteExt;

/// A git repository the test builds (a non-bare repository with one branch, `main`).
pub struct Repo {
    pub dir: PathBuf,
}

impl Repo {
    /// An empty repository `name` under `root` (the server's project root).
    pub fn init(root: &Path, name: &str) -> Self {
        let dir = root.join(name);
        std::fs::create_dir_all(&dir).unwrap();
        let repo = Self { dir };
        repo.git(&["init", "-q", "-b", "main"]);
        repo.git(&["config", "user.email", "e2e@chaoscenter.invalid"]);
        repo.git(&["config", "user.name", "e2e"]);
        // http-backend serves a non-bare repository's .git when receive/upload are allowed (export all)
        repo
    }

    /// Runs `git` in the repository, panicking with its output when it fails.
    pub fn git(&self, args: &[&str]) -> String {
        let out = Command::new("git").current_dir(&self.dir).args(args).output().expect("git runs");
        assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    /// Writes `files` (path → content) and commits them all; returns the new commit's id.
    pub fn commit(&self, message: &str, files: &[(&str, &[u8])]) -> String {
        for (path, content) in files {
            let path = self.dir.join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, content).unwrap();
        }
        self.git(&["add", "-A"]);
        self.git(&["commit", "-q", "-m", message]);
        self.git(&["rev-parse", "HEAD"])
    }
}

/// What the server saw.
#[derive(Default)]
pub struct Seen {
    /// upload-pack requests that asked for a pack (protocol v2 `command=fetch`, or v0/v1 `want` lines).
    pub pack_fetches: AtomicUsize,
    /// Requests refused for missing or wrong credentials.
    pub unauthorized: AtomicUsize,
}

struct Shared {
    root: PathBuf,
    auth: Option<(String, String)>,
    seen: Arc<Seen>,
}

/// `git http-backend` on 127.0.0.1, serving the repositories under its root. Stops when dropped.
pub struct GitServer {
    pub addr: std::net::SocketAddr,
    pub root: PathBuf,
    /// The PEM of the CA that signed the server's certificate (give it to the operator as `SSL_CERT_FILE`).
    pub ca_file: PathBuf,
    pub seen: Arc<Seen>,
    task: tokio::task::JoinHandle<()>,
}

impl GitServer {
    /// Serves `root` (a temp dir the test fills with [`Repo`]s); with `auth`, every request needs those
    /// basic credentials.
    pub async fn start(root: &Path, auth: Option<(&str, &str)>) -> Self {
        Self::start_at(root, auth, "127.0.0.1:0").await
    }

    /// Like [`GitServer::start`], on a given address (to restart a stopped server where it was).
    pub async fn start_at(root: &Path, auth: Option<(&str, &str)>, addr: &str) -> Self {
        let seen = Arc::new(Seen::default());
        let shared = Arc::new(Shared {
            root: root.to_path_buf(),
            auth: auth.map(|(u, p)| (u.to_string(), p.to_string())),
            seen: seen.clone(),
        });
        let app = axum::Router::new().fallback(serve).with_state(shared);
        let tcp = tokio::net::TcpListener::bind(addr).await.unwrap();
        let addr = tcp.local_addr().unwrap();
        let (ca, acceptor) = tls();
        let ca_file = root.join(format!("ca-{}.pem", addr.port()));
        std::fs::write(&ca_file, ca).unwrap();
        let listener = TlsListener { tcp, acceptor, addr };
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self { addr, root: root.to_path_buf(), ca_file, seen, task }
    }

    /// The URL of repository `name`.
    pub fn url(&self, name: &str) -> String {
        format!("https://{}/{name}", self.addr)
    }

    /// Stops serving (connections are refused from now on).
    pub fn stop(&self) {
        self.task.abort();
    }
}

impl Drop for GitServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A test CA (its PEM) and a TLS acceptor with a certificate it signed for 127.0.0.1 and localhost.
fn tls() -> (String, tokio_rustls::TlsAcceptor) {
    use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};
    use rustls::pki_types::{pem::PemObject, CertificateDer, PrivateKeyDer};
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    ca.distinguished_name.push(rcgen::DnType::CommonName, "chaoscenter-e2e-git-ca");
    let ca_key = KeyPair::generate().unwrap();
    let ca_cert = ca.self_signed(&ca_key).unwrap();
    let issuer = Issuer::new(ca, ca_key);
    let leaf = CertificateParams::new(vec!["127.0.0.1".to_string(), "localhost".to_string()]).unwrap();
    let leaf_key = KeyPair::generate().unwrap();
    let cert = leaf.signed_by(&leaf_key, &issuer).unwrap();
    let chain = vec![CertificateDer::from_pem_slice(cert.pem().as_bytes()).unwrap()];
    let key = PrivateKeyDer::from_pem_slice(leaf_key.serialize_pem().as_bytes()).unwrap();
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .unwrap();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    (ca_cert.pem(), tokio_rustls::TlsAcceptor::from(Arc::new(config)))
}

/// TLS over the test server's TCP listener (a failed handshake drops that connection only).
struct TlsListener {
    tcp: tokio::net::TcpListener,
    acceptor: tokio_rustls::TlsAcceptor,
    addr: std::net::SocketAddr,
}

impl axum::serve::Listener for TlsListener {
    type Io = tokio_rustls::server::TlsStream<tokio::net::TcpStream>;
    type Addr = std::net::SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            let Ok((stream, peer)) = self.tcp.accept().await else { continue };
            if let Ok(Ok(tls)) =
                tokio::time::timeout(std::time::Duration::from_secs(10), self.acceptor.accept(stream)).await
            {
                return (tls, peer);
            }
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        Ok(self.addr)
    }
}

async fn serve(State(shared): State<Arc<Shared>>, request: Request<Body>) -> Response<Body> {
    let (parts, body) = request.into_parts();
    if let Some((user, password)) = &shared.auth {
        let expected = format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
        );
        if parts.headers.get("authorization").and_then(|v| v.to_str().ok()) != Some(expected.as_str()) {
            shared.seen.unauthorized.fetch_add(1, Ordering::SeqCst);
            return Response::builder()
                .status(StatusCode::UNAUTHORIZED)
                .header("WWW-Authenticate", "Basic realm=\"git\"")
                .body(Body::from("unauthorized"))
                .unwrap();
        }
    }
    let body = axum::body::to_bytes(body, 256 << 20).await.unwrap_or_default();
    if parts.uri.path().ends_with("/git-upload-pack") {
        let text = String::from_utf8_lossy(&body);
        if text.contains("command=fetch") || text.contains("want ") {
            shared.seen.pack_fetches.fetch_add(1, Ordering::SeqCst);
        }
    }
    match cgi(&shared.root, &parts.method, &parts.uri, &parts.headers, &body).await {
        Ok(response) => response,
        Err(e) => Response::builder()
            .status(StatusCode::INTERNAL_SERVER_ERROR)
            .body(Body::from(format!("http-backend: {e}")))
            .unwrap(),
    }
}

/// Runs `git http-backend` for one request and turns its CGI output into a response.
async fn cgi(
    root: &Path,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
) -> std::io::Result<Response<Body>> {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    let mut cmd = tokio::process::Command::new("git");
    cmd.arg("http-backend")
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("GIT_PROJECT_ROOT", root)
        .env("GIT_HTTP_EXPORT_ALL", "1")
        .env("REQUEST_METHOD", method.as_str())
        .env("PATH_INFO", uri.path())
        .env("QUERY_STRING", uri.query().unwrap_or(""))
        .env("CONTENT_TYPE", header("content-type"))
        .env("CONTENT_LENGTH", body.len().to_string())
        .env("GIT_PROTOCOL", header("git-protocol"))
        .env("HTTP_CONTENT_ENCODING", header("content-encoding"))
        .env("REMOTE_ADDR", "127.0.0.1")
        .env("REMOTE_USER", "e2e")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child = cmd.spawn()?;
    let mut stdin = child.stdin.take().expect("piped");
    let input = body.to_vec();
    let writer = tokio::spawn(async move {
        let _ = stdin.write_all(&input).await;
    });
    let out = child.wait_with_output().await?;
    let _ = writer.await;
    let split = out
        .stdout
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|i| (i, 4))
        .or_else(|| out.stdout.windows(2).position(|w| w == b"\n\n").map(|i| (i, 2)));
    let Some((end, skip)) = split else {
        return Err(std::io::Error::other(format!(
            "no CGI headers: {}",
            String::from_utf8_lossy(&out.stderr)
        )));
    };
    let mut response = Response::builder().status(StatusCode::OK);
    for line in String::from_utf8_lossy(&out.stdout[..end]).lines() {
        let Some((name, value)) = line.split_once(':') else { continue };
        let value = value.trim();
        if name.eq_ignore_ascii_case("status") {
            let code = value.split_whitespace().next().and_then(|c| c.parse().ok()).unwrap_or(500);
            response = response.status(code);
        } else if let Ok(value) = HeaderValue::from_str(value) {
            response = response.header(name, value);
        }
    }
    Ok(response.body(Body::from(out.stdout[end + skip..].to_vec())).unwrap())
}

/// An OpenSSH server on 127.0.0.1 (Debian's `openssh-server`) that lets one client key log in as the
/// current user and run `git-upload-pack` on the repositories under a root. Stops when dropped.
pub struct SshServer {
    pub port: u16,
    /// The client's private key (OpenSSH format), for the hub's Secret.
    pub client_key: String,
    /// The `known_hosts` line for this server's host key.
    pub known_hosts: String,
    child: std::process::Child,
}

impl SshServer {
    /// Starts sshd with fresh host and client keys written under `dir`.
    pub async fn start(dir: &Path) -> Self {
        std::fs::create_dir_all(dir).unwrap();
        let keygen = |name: &str| {
            let path = dir.join(name);
            let _ = std::fs::remove_file(&path);
            let out = Command::new("ssh-keygen")
                .args(["-q", "-t", "ed25519", "-N", "", "-C", "e2e", "-f"])
                .arg(&path)
                .output()
                .expect("ssh-keygen runs");
            assert!(out.status.success(), "ssh-keygen: {}", String::from_utf8_lossy(&out.stderr));
            path
        };
        let host_key = keygen("host_key");
        let client_key = keygen("client_key");
        std::fs::copy(dir.join("client_key.pub"), dir.join("authorized_keys")).unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let config = dir.join("sshd_config");
        std::fs::write(
            &config,
            format!(
                "Port {port}\nListenAddress 127.0.0.1\nHostKey {}\nAuthorizedKeysFile {}\nPasswordAuthentication no\n\
                 KbdInteractiveAuthentication no\nPubkeyAuthentication yes\nPermitRootLogin prohibit-password\n\
                 StrictModes no\nUsePAM no\nPidFile none\n",
                host_key.display(),
                dir.join("authorized_keys").display()
            ),
        )
        .unwrap();
        // sshd's privilege separation directory
        let _ = std::fs::create_dir_all("/run/sshd");
        let child = Command::new("/usr/sbin/sshd")
            .args(["-D", "-e", "-f"])
            .arg(&config)
            .stderr(std::fs::File::create(dir.join("sshd.log")).unwrap())
            .spawn()
            .expect("sshd (openssh-server, see e2e/deps.sh) starts");
        crate::wait_for(std::time::Duration::from_secs(30), "sshd listening", || async move {
            tokio::net::TcpStream::connect(("127.0.0.1", port)).await.ok().map(|_| ())
        })
        .await;
        let host_pub = std::fs::read_to_string(host_key.with_extension("pub")).unwrap();
        let host_pub: Vec<&str> = host_pub.split_whitespace().take(2).collect();
        Self {
            port,
            client_key: std::fs::read_to_string(client_key).unwrap(),
            known_hosts: format!("[127.0.0.1]:{port} {}\n", host_pub.join(" ")),
            child,
        }
    }

    /// The ssh URL of the repository at `path` (absolute) on this server.
    pub fn url(&self, path: &Path) -> String {
        let user = std::env::var("USER").unwrap_or_else(|_| "root".into());
        format!("ssh://{user}@127.0.0.1:{}{}", self.port, path.display())
    }
}

impl Drop for SshServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An HTTP CONNECT proxy on 127.0.0.1 that records where it tunnelled to (`host:port` of each CONNECT).
pub struct ConnectProxy {
    pub addr: std::net::SocketAddr,
    pub tunnels: Arc<std::sync::Mutex<Vec<String>>>,
    task: tokio::task::JoinHandle<()>,
}

impl ConnectProxy {
    pub async fn start() -> Self {
        use tokio::io::AsyncReadExt;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let tunnels: Arc<std::sync::Mutex<Vec<String>>> = Default::default();
        let seen = tunnels.clone();
        let task = tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                let seen = seen.clone();
                tokio::spawn(async move {
                    // the request head, byte by byte up to the blank line (a CONNECT has no body)
                    let mut head = Vec::new();
                    let mut byte = [0u8; 1];
                    while !head.ends_with(b"\r\n\r\n") && head.len() < 8192 {
                        if client.read_exact(&mut byte).await.is_err() {
                            return;
                        }
                        head.push(byte[0]);
                    }
                    let head = String::from_utf8_lossy(&head).to_string();
                    let mut words = head.split_whitespace();
                    let (Some("CONNECT"), Some(target)) = (words.next(), words.next()) else {
                        let _ = client.write_all(b"HTTP/1.1 405 Method Not Allowed\r\n\r\n").await;
                        return;
                    };
                    seen.lock().unwrap().push(target.to_string());
                    let Ok(mut upstream) = tokio::net::TcpStream::connect(target).await else {
                        let _ = client.write_all(b"HTTP/1.1 502 Bad Gateway\r\n\r\n").await;
                        return;
                    };
                    if client.write_all(b"HTTP/1.1 200 Connection established\r\n\r\n").await.is_ok() {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
                    }
                });
            }
        });
        Self { addr, tunnels, task }
    }

    /// Where it tunnelled to so far.
    pub fn targets(&self) -> Vec<String> {
        self.tunnels.lock().unwrap().clone()
    }
}

impl Drop for ConnectProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Generous: a sync is a fetch on loopback, but the machine is shared and slow.
pub const SYNC: Duration = Duration::from_secs(90);

/// Every file under `dir`, relative to it.
pub fn files_under(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = vec![];
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            for (name, content) in files_under(&path) {
                out.push((format!("{}/{name}", entry.file_name().to_string_lossy()), content));
            }
        } else {
            out.push((entry.file_name().to_string_lossy().to_string(), std::fs::read(&path).unwrap()));
        }
    }
    out
}

pub fn scratch(ns: &str, what: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("chaoscenter-e2e-{ns}-{what}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

pub async fn secret(client: &Client, ns: &str, name: &str, data: &[(&str, &str)]) {
    let secret: Secret = serde_json::from_value(serde_json::json!({
        "metadata": {"name": name},
        "stringData": data.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect::<std::collections::BTreeMap<_, _>>(),
    }))
    .unwrap();
    Api::<Secret>::namespaced(client.clone(), ns).create(&PostParams::default(), &secret).await.unwrap();
}

pub async fn git_hub(
    client: &Client,
    ns: &str,
    name: &str,
    url: &str,
    path: Option<&str>,
    secret: Option<&str>,
) {
    let mut git = serde_json::json!({"url": url, "branch": "main"});
    if let Some(path) = path {
        git["path"] = path.into();
    }
    if let Some(secret) = secret {
        git["secretRef"] = serde_json::json!({"name": secret});
    }
    let hub: ChaosHub = serde_json::from_value(serde_json::json!({
        "apiVersion": "chaoscenter.io/v1alpha1", "kind": "ChaosHub",
        "metadata": {"name": name},
        "spec": {"source": "Git", "git": git, "syncInterval": "1h"},
    }))
    .unwrap();
    Api::<ChaosHub>::namespaced(client.clone(), ns).create(&PostParams::default(), &hub).await.unwrap();
}

pub fn condition(hub: &ChaosHub, type_: &str) -> Option<Condition> {
    hub.status.as_ref()?.conditions.iter().find(|c| c.type_ == type_).cloned()
}

/// Waits until hub `name`'s status satisfies `check`.
pub async fn wait_hub(
    client: &Client,
    ns: &str,
    name: &str,
    what: &str,
    check: impl Fn(&ChaosHub) -> bool,
) -> ChaosHub {
    let api: Api<ChaosHub> = Api::namespaced(client.clone(), ns);
    wait_for(SYNC, what, || async { api.get(name).await.ok().filter(|h| check(h)) }).await
}
