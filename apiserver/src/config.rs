//! The apiserver's settings, from the environment.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::Duration;

/// Apiserver settings.
#[derive(Clone, Debug)]
pub struct Config {
    /// The control-plane namespace, where the apiserver keeps its Secrets: password hashes, the JWT key,
    /// the first admin's initial password (`CHAOSCENTER_NAMESPACE`, default `chaoscenter-system`).
    pub namespace: String,
    /// Where the HTTP server listens (`LISTEN_ADDR`, default `0.0.0.0:8080`).
    pub listen_addr: SocketAddr,
    /// The MongoDB connection string (`MONGODB_URI`, required).
    pub mongodb_uri: String,
    /// The database (`MONGODB_DATABASE`, default `chaoscenter`).
    pub database: String,
    /// The `iss` of the tokens this apiserver issues and accepts (`JWT_ISSUER`, default `chaoscenter`).
    pub issuer: String,
    /// The `aud` of the tokens (`JWT_AUDIENCE`, default `chaoscenter-api`).
    pub audience: String,
    /// How long an access token lives (`ACCESS_TOKEN_TTL`, default `15m`).
    pub access_ttl: Duration,
    /// How long a refresh token lives when unused (`REFRESH_TOKEN_TTL`, default `12h`; each refresh
    /// issues a new one): a session left alone that long ends.
    pub refresh_ttl: Duration,
    /// The most a login session lives however often it is refreshed (`SESSION_LIFETIME`, default `24h`,
    /// at most [`MAX_SESSION_LIFETIME`], at least `ACCESS_TOKEN_TTL` and `REFRESH_TOKEN_TTL`).
    pub session_lifetime: Duration,
    /// Which proxies' `X-Forwarded-For` and `X-Forwarded-Proto` are believed (`TRUSTED_PROXIES`, a
    /// comma-separated list of addresses or networks like `10.0.0.0/8`; default none: the client's
    /// address is the TCP peer's).
    pub trusted_proxies: Vec<crate::client::Net>,
    /// Whether the refresh-token cookie is `Secure` (`COOKIE_SECURE`: `auto` (default), `always`,
    /// `never`); see [`crate::client::CookieSecure`].
    pub cookie_secure: crate::client::CookieSecure,
    /// Where `/metrics` (Prometheus text) is served (`METRICS_ADDR`, e.g. `0.0.0.0:9090`; unset: not
    /// served). Apart from the API's port, so it need not be exposed with it.
    pub metrics_addr: Option<SocketAddr>,
    /// The name of the first admin, created with a random password on first start (`ADMIN_USERNAME`,
    /// default `admin`).
    pub admin_username: String,
    /// How many threads hash passwords, each holding argon2id's 19 MiB (`HASH_WORKERS`, default 2).
    pub hash_workers: usize,
    /// How many password checks may wait for a hashing thread (`HASH_QUEUE`, default 64); one more is
    /// answered 503 with `Retry-After` at once.
    pub hash_queue: usize,
    /// The built web UI, served at `/` with `index.html` for every other path (`UI_DIR`, default `ui/dist`).
    pub ui_dir: std::path::PathBuf,
    /// GraphQL introspection and the GraphiQL page at `/api/graphiql` (`GRAPHQL_INTROSPECTION=true`; off
    /// by default).
    pub graphql_introspection: bool,
    /// Labels put on every object the apiserver creates (`CREATE_LABELS`, `key=value,...`; e.g. to let a
    /// GitOps tool or a scoped operator recognise them).
    pub create_labels: BTreeMap<String, String>,
    /// The admission webhook (`WEBHOOK_ADDR`, e.g. `0.0.0.0:9443`; unset: no webhook is served).
    pub webhook: Option<crate::webhook::WebhookConfig>,
}

/// The longest `SESSION_LIFETIME` accepted.
pub const MAX_SESSION_LIFETIME: Duration = Duration::from_secs(30 * 86_400);

/// The GitOps controllers whose runs get trigger `GitOps` unless `GITOPS_USERNAMES` says otherwise.
const GITOPS_USERNAMES: &str = "system:serviceaccount:argocd:*,system:serviceaccount:flux-system:*";

impl Config {
    /// Reads the settings; a malformed value is an error naming the variable.
    pub fn from_env() -> anyhow::Result<Self> {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        let duration = |name: &str, default: &str| {
            let text = var(name).unwrap_or_else(|| default.into());
            chaoscenter_core::duration::parse(&text)
                .filter(|d| !d.is_zero())
                .ok_or_else(|| anyhow::anyhow!("{name}={text:?} is not a duration like 15m or 12h"))
        };
        let listen = var("LISTEN_ADDR").unwrap_or_else(|| "0.0.0.0:8080".into());
        let mut create_labels = BTreeMap::new();
        for pair in var("CREATE_LABELS").unwrap_or_default().split(',').filter(|p| !p.is_empty()) {
            let (k, v) = pair
                .split_once('=')
                .ok_or_else(|| anyhow::anyhow!("CREATE_LABELS: {pair:?} is not key=value"))?;
            create_labels.insert(k.trim().to_string(), v.trim().to_string());
        }
        let admin_username = var("ADMIN_USERNAME").unwrap_or_else(|| "admin".into());
        if let Some(why) = chaoscenter_crds::access::invalid_username(&admin_username) {
            anyhow::bail!("ADMIN_USERNAME={admin_username:?}: a username {why}");
        }
        let access_ttl = duration("ACCESS_TOKEN_TTL", "15m")?;
        let refresh_ttl = duration("REFRESH_TOKEN_TTL", "12h")?;
        let session_lifetime = duration("SESSION_LIFETIME", "24h")?;
        if session_lifetime > MAX_SESSION_LIFETIME {
            anyhow::bail!("SESSION_LIFETIME may be at most 30d");
        }
        if session_lifetime < access_ttl || session_lifetime < refresh_ttl {
            anyhow::bail!(
                "SESSION_LIFETIME ({session_lifetime:?}) must be at least ACCESS_TOKEN_TTL ({access_ttl:?}) and \
                 REFRESH_TOKEN_TTL ({refresh_ttl:?})"
            );
        }
        let mut trusted_proxies = Vec::new();
        for net in
            var("TRUSTED_PROXIES").unwrap_or_default().split(',').map(str::trim).filter(|n| !n.is_empty())
        {
            trusted_proxies.push(net.parse().map_err(|e| anyhow::anyhow!("TRUSTED_PROXIES: {e}"))?);
        }
        let cookie_secure = match var("COOKIE_SECURE").as_deref() {
            None | Some("auto") => crate::client::CookieSecure::Auto,
            Some("always") => crate::client::CookieSecure::Always,
            Some("never") => crate::client::CookieSecure::Never,
            Some(other) => anyhow::bail!("COOKIE_SECURE={other:?}: auto, always or never"),
        };
        let metrics_addr = match var("METRICS_ADDR") {
            None => None,
            Some(addr) => Some(
                addr.parse().map_err(|e| anyhow::anyhow!("METRICS_ADDR={addr:?} is not an address: {e}"))?,
            ),
        };
        let namespace = var("CHAOSCENTER_NAMESPACE").unwrap_or_else(|| "chaoscenter-system".into());
        let webhook = match var("WEBHOOK_ADDR") {
            None => None,
            Some(addr) => Some(webhook_config(&namespace, &addr, &var)?),
        };
        Ok(Self {
            namespace,
            webhook,
            listen_addr: listen
                .parse()
                .map_err(|e| anyhow::anyhow!("LISTEN_ADDR={listen:?} is not an address: {e}"))?,
            mongodb_uri: var("MONGODB_URI").ok_or_else(|| anyhow::anyhow!("MONGODB_URI is not set"))?,
            database: var("MONGODB_DATABASE").unwrap_or_else(|| "chaoscenter".into()),
            issuer: var("JWT_ISSUER").unwrap_or_else(|| "chaoscenter".into()),
            audience: var("JWT_AUDIENCE").unwrap_or_else(|| "chaoscenter-api".into()),
            access_ttl,
            refresh_ttl,
            session_lifetime,
            trusted_proxies,
            cookie_secure,
            metrics_addr,
            admin_username,
            hash_workers: match var("HASH_WORKERS") {
                None => 2,
                Some(n) => n
                    .parse()
                    .ok()
                    .filter(|n| (1..=64).contains(n))
                    .ok_or_else(|| anyhow::anyhow!("HASH_WORKERS={n:?} is not a number from 1 to 64"))?,
            },
            hash_queue: match var("HASH_QUEUE") {
                None => 64,
                Some(n) => n
                    .parse()
                    .ok()
                    .filter(|n| (1..=10_000).contains(n))
                    .ok_or_else(|| anyhow::anyhow!("HASH_QUEUE={n:?} is not a number from 1 to 10000"))?,
            },
            ui_dir: var("UI_DIR").unwrap_or_else(|| "ui/dist".into()).into(),
            graphql_introspection: match var("GRAPHQL_INTROSPECTION").as_deref() {
                None | Some("false") => false,
                Some("true") => true,
                Some(other) => anyhow::bail!("GRAPHQL_INTROSPECTION={other:?}: true or false"),
            },
            create_labels,
        })
    }
}

/// The webhook's settings: `WEBHOOK_ADDR`; `WEBHOOK_SECRET` (default `chaoscenter-webhook-tls`), the Secret
/// holding its certificate; `WEBHOOK_CONFIGURATION` (default `chaoscenter-webhook`), the Mutating- and
/// ValidatingWebhookConfiguration whose `caBundle` it keeps current; `WEBHOOK_HOSTS`, the names and
/// addresses its certificate is for (default the Service `chaoscenter-webhook` in the namespace, localhost
/// and 127.0.0.1); `WEBHOOK_CA` `self` (default) or `external` (cert-manager or another tool writes the
/// Secret and the bundle); `OPERATOR_USERNAME`, the operator's Kubernetes username (default its
/// ServiceAccount); `GITOPS_USERNAMES`, usernames (trailing `*` for any rest) of GitOps controllers.
fn webhook_config(
    namespace: &str,
    addr: &str,
    var: &dyn Fn(&str) -> Option<String>,
) -> anyhow::Result<crate::webhook::WebhookConfig> {
    use crate::webhook::certs::{CaMode, CertConfig};
    let list =
        |text: String| text.split(',').map(str::trim).filter(|s| !s.is_empty()).map(String::from).collect();
    let service = format!("chaoscenter-webhook.{namespace}.svc");
    let default_hosts = format!("{service},{service}.cluster.local,localhost,127.0.0.1");
    Ok(crate::webhook::WebhookConfig {
        listen: addr.parse().map_err(|e| anyhow::anyhow!("WEBHOOK_ADDR={addr:?} is not an address: {e}"))?,
        certs: CertConfig {
            namespace: namespace.to_string(),
            secret: var("WEBHOOK_SECRET").unwrap_or_else(|| "chaoscenter-webhook-tls".into()),
            configuration: var("WEBHOOK_CONFIGURATION").unwrap_or_else(|| "chaoscenter-webhook".into()),
            hosts: list(var("WEBHOOK_HOSTS").unwrap_or(default_hosts)),
            mode: match var("WEBHOOK_CA").as_deref() {
                None | Some("self") => CaMode::SelfManaged,
                Some("external") => CaMode::External,
                Some(other) => anyhow::bail!("WEBHOOK_CA={other:?}: self or external"),
            },
        },
        identities: crate::webhook::review::Identities {
            operator: var("OPERATOR_USERNAME")
                .unwrap_or_else(|| format!("system:serviceaccount:{namespace}:chaoscenter-operator")),
            gitops: list(var("GITOPS_USERNAMES").unwrap_or_else(|| GITOPS_USERNAMES.into())),
        },
    })
}
