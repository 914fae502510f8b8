//! The access harness: the install RBAC, the operator and apiserver running as their real
//! ServiceAccounts, an HTTP client for the auth API, and `kubectl --as` for comparing the two.

use crate::{kubectl, repo_root, wait_for, with_namespace, Operator, Process};
use chaoscenter_crds::common::ConditionStatus;
use chaoscenter_crds::{ChaosUser, Project};
use futures::FutureExt;
use k8s_openapi::api::core::v1::{Secret, ServiceAccount};
use k8s_openapi::api::rbac::v1::{ClusterRole, ClusterRoleBinding, RoleBinding, RoleRef, Subject};
use kube::api::{Api, DeleteParams, ListParams, ObjectMeta, PostParams};
use kube::Client;
use serde::Deserialize;
use serde_json::Value;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::path::PathBuf;
use std::time::Duration;
use tokio::sync::OnceCell;

/// The label (value: the test namespace) on every Project and ChaosUser a test creates; the test's
/// operator reconciles only those (`WATCH_SELECTOR`) and they are deleted when the test ends.
pub const SCOPE_LABEL: &str = "chaoscenter.io/e2e-scope";
/// Where the install puts the components' ServiceAccounts.
pub const CONTROL_PLANE: &str = "chaoscenter-system";

static RBAC_INSTALLED: OnceCell<()> = OnceCell::const_new();

/// Applies `config/rbac` (namespace, user roles, the components' identities and access) once.
pub async fn ensure_rbac() {
    RBAC_INSTALLED
        .get_or_init(|| async {
            let out = kubectl().args(["apply", "-k"]).arg(repo_root().join("config/rbac")).output().unwrap();
            assert!(
                out.status.success(),
                "kubectl apply -k config/rbac: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        })
        .await;
}

/// A kubeconfig for ServiceAccount `chaoscenter-system/<name>`, from its token Secret: the component
/// then has exactly the access the install grants it.
pub async fn service_account_kubeconfig(client: &Client, name: &str, tag: &str) -> PathBuf {
    let sas: Api<ServiceAccount> = Api::namespaced(client.clone(), CONTROL_PLANE);
    let secret_name = wait_for(Duration::from_secs(30), &format!("a token Secret for {name}"), || async {
        sas.get_opt(name).await.ok()??.secrets?.into_iter().find_map(|s| s.name)
    })
    .await;
    let secrets: Api<Secret> = Api::namespaced(client.clone(), CONTROL_PLANE);
    let token = wait_for(Duration::from_secs(30), "the ServiceAccount token", || async {
        let data = secrets.get_opt(&secret_name).await.ok()??.data?;
        String::from_utf8(data.get("token")?.0.clone()).ok()
    })
    .await;
    let out = kubectl().args(["config", "view", "--raw", "--minify", "-o", "json"]).output().unwrap();
    assert!(out.status.success(), "kubectl config view failed");
    let admin: Value = serde_json::from_slice(&out.stdout).unwrap();
    let cluster = admin["clusters"][0]["cluster"].clone();
    let mut cluster = cluster.as_object().cloned().unwrap();
    if let Some(path) = cluster.remove("certificate-authority").and_then(|p| p.as_str().map(String::from)) {
        use base64::Engine;
        let pem = std::fs::read(path).unwrap();
        cluster.insert(
            "certificate-authority-data".into(),
            base64::engine::general_purpose::STANDARD.encode(pem).into(),
        );
    }
    let config = serde_json::json!({
        "apiVersion": "v1", "kind": "Config", "current-context": "sa",
        "clusters": [{"name": "c", "cluster": cluster}],
        "users": [{"name": name, "user": {"token": token}}],
        "contexts": [{"name": "sa", "context": {"cluster": "c", "user": name}}],
    });
    let path = std::env::temp_dir().join(format!("chaoscenter-e2e-{name}-{tag}.kubeconfig"));
    std::fs::write(&path, serde_json::to_vec(&config).unwrap()).unwrap();
    path
}

/// Binds the components' namespace-local roles in `ns` (as the install does in chaoscenter-system), so a
/// test can use `ns` as their control-plane namespace.
pub async fn grant_local_roles(client: &Client, ns: &str) {
    let api: Api<RoleBinding> = Api::namespaced(client.clone(), ns);
    for sa in ["chaoscenter-operator", "chaoscenter-apiserver"] {
        let binding = RoleBinding {
            metadata: ObjectMeta { name: Some(format!("{sa}-local")), ..Default::default() },
            role_ref: RoleRef {
                api_group: "rbac.authorization.k8s.io".into(),
                kind: "ClusterRole".into(),
                name: format!("{sa}-local"),
            },
            subjects: Some(vec![Subject {
                kind: "ServiceAccount".into(),
                name: sa.into(),
                namespace: Some(CONTROL_PLANE.into()),
                api_group: None,
            }]),
        };
        api.create(&PostParams::default(), &binding).await.unwrap();
    }
}

/// The apiserver as a child process.
pub struct Apiserver {
    process: Process,
    pub url: String,
    env: Vec<(String, String)>,
}

impl Apiserver {
    /// Starts it with `env` and waits until it serves.
    pub async fn start(env: Vec<(String, String)>) -> Self {
        let ns = env
            .iter()
            .find(|(k, _)| k == "CHAOSCENTER_NAMESPACE")
            .map(|(_, v)| v.clone())
            .unwrap_or_default();
        let process = Process::spawn("chaoscenter-apiserver", &format!("apiserver-{ns}"), &env);
        let addr = process.log_value("serving", "listen").await;
        let url = format!("http://{addr}");
        // ready when /healthz answers, not merely when the line is logged
        wait_for(Duration::from_secs(30), "the apiserver's /healthz", || async {
            let resp = reqwest::get(format!("{url}/healthz")).await.ok()?;
            resp.status().is_success().then_some(())
        })
        .await;
        Self { process, url, env }
    }

    /// Stops it and starts it again with the same settings plus `extra` (same database and namespace).
    pub async fn restart(&mut self, extra: &[(&str, &str)]) {
        self.stop();
        self.start_again(extra).await;
    }

    /// Stops it with SIGTERM, requiring a clean exit.
    pub fn stop(&mut self) {
        assert!(self.process.stop(), "the apiserver did not stop cleanly:\n{}", self.logs());
    }

    /// Starts it again after [`Apiserver::stop`], with the same settings plus `extra`.
    pub async fn start_again(&mut self, extra: &[(&str, &str)]) {
        let mut env = self.env.clone();
        for (k, v) in extra {
            env.retain(|(key, _)| key != k);
            env.push((k.to_string(), v.to_string()));
        }
        *self = Self::start(env).await;
    }

    /// The MongoDB database it uses.
    pub async fn database(&self) -> mongodb::Database {
        let setting =
            |key: &str| self.env.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v.clone()).unwrap();
        mongodb::Client::with_uri_str(setting("MONGODB_URI"))
            .await
            .unwrap()
            .database(&setting("MONGODB_DATABASE"))
    }

    pub fn logs(&self) -> String {
        self.process.logs()
    }

    /// The process id (for memory readings).
    pub fn pid(&self) -> Option<u32> {
        self.process.pid()
    }

    /// Calls the API: `(status, JSON body or Null)`.
    pub async fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (u16, Value) {
        let answer = self.request(method, path, Req { token, body, ..Default::default() }).await;
        (answer.status, answer.body)
    }

    /// Calls the API with extra headers, from a chosen local address: the whole answer.
    pub async fn request(&self, method: &str, path: &str, req: Req<'_>) -> Answer {
        self.try_request(method, path, req).await.unwrap_or_else(|e| panic!("{method} {path}: {e}"))
    }

    /// Like [`Apiserver::request`], but a failed exchange (no answer, a dropped connection) is an error
    /// to inspect instead of a panic.
    pub async fn try_request(&self, method: &str, path: &str, req: Req<'_>) -> reqwest::Result<Answer> {
        let mut http = reqwest::Client::builder();
        if let Some(from) = req.from {
            // any 127.x address is the loopback interface's on Linux: a second "client machine"
            http = http.local_address(from);
        }
        let http = http.build().unwrap();
        let mut builder = http.request(method.parse().unwrap(), format!("{}{path}", self.url));
        if let Some(token) = req.token {
            builder = builder.bearer_auth(token);
        }
        for (name, value) in req.headers {
            builder = builder.header(*name, value.as_str());
        }
        if let Some(body) = req.body {
            builder = builder.json(&body);
        }
        if let Some((content_type, bytes)) = req.raw {
            if let Some(content_type) = content_type {
                builder = builder.header("content-type", content_type);
            }
            builder = builder.body(bytes);
        }
        let resp = builder.send().await?;
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let bytes = resp.bytes().await?;
        let text = String::from_utf8_lossy(&bytes).into_owned();
        Ok(Answer { status, headers, body: serde_json::from_str(&text).unwrap_or(Value::Null), text })
    }

    /// A value the apiserver logged on the first line containing `marker` (`key=value`).
    pub async fn log_value(&self, marker: &str, key: &str) -> String {
        self.process.log_value(marker, key).await
    }

    /// Runs a GraphQL operation as `token`: the `data`, or panics with the errors.
    pub async fn graphql(&self, token: &str, query: &str, variables: Value) -> Value {
        let (status, body) = self.graphql_raw(token, query, variables).await;
        assert!(status == 200 && body["errors"].is_null(), "{query}\n→ {status} {body}");
        body["data"].clone()
    }

    /// Runs a GraphQL operation as `token`: the HTTP status and the whole response.
    pub async fn graphql_raw(&self, token: &str, query: &str, variables: Value) -> (u16, Value) {
        self.call(
            "POST",
            "/api/graphql",
            Some(token),
            Some(serde_json::json!({"query": query, "variables": variables})),
        )
        .await
    }

    /// Logs in; the response body (the access token and the user) on success, else panics with the answer.
    pub async fn login(&self, user: &str, password: &str) -> Value {
        self.session(user, password).await.body
    }

    /// Logs in: the session as a browser holds it (the access token, the refresh token's cookie).
    pub async fn session(&self, user: &str, password: &str) -> Session {
        let body = serde_json::json!({"username": user, "password": password});
        let answer =
            self.request("POST", "/auth/login", Req { body: Some(body), ..Default::default() }).await;
        assert_eq!(answer.status, 200, "login as {user}: {}", answer.body);
        Session {
            access: answer.body["accessToken"].as_str().unwrap().to_string(),
            refresh: answer.refresh_cookie().expect("login sets the session cookie"),
            body: answer.body,
        }
    }

    /// `POST /auth/session/refresh` as the browser sends it: the cookie `refresh` and the CSRF header.
    pub async fn refresh(&self, refresh: &str) -> Answer {
        let headers = vec![("cookie", format!("{REFRESH_COOKIE}={refresh}")), (CSRF_HEADER, "1".to_string())];
        self.request("POST", "/auth/session/refresh", Req { headers: &headers, ..Default::default() }).await
    }

    /// `POST /auth/session/logout` with a bearer token: the status.
    pub async fn logout(&self, access: &str) -> u16 {
        self.call("POST", "/auth/session/logout", Some(access), None).await.0
    }

    /// Logs in and changes the forced first password; the new access token.
    pub async fn first_login(&self, user: &str, initial: &str, new: &str) -> String {
        let tokens = self.login(user, initial).await;
        assert_eq!(tokens["mustChangePassword"], true, "{tokens}");
        let (status, body) = self
            .call(
                "POST",
                "/auth/password",
                tokens["accessToken"].as_str(),
                Some(serde_json::json!({"currentPassword": initial, "newPassword": new})),
            )
            .await;
        assert_eq!(status, 200, "password change for {user}: {body}");
        body["accessToken"].as_str().unwrap().to_string()
    }
}

/// The refresh token's cookie.
pub const REFRESH_COOKIE: &str = chaoscenter_apiserver::auth::cookie::NAME;
/// The header a request with the cookie needs.
pub const CSRF_HEADER: &str = chaoscenter_apiserver::auth::cookie::CSRF_HEADER;

/// What a request carries besides method and path.
#[derive(Default)]
pub struct Req<'a> {
    pub token: Option<&'a str>,
    pub body: Option<Value>,
    pub headers: &'a [(&'static str, String)],
    /// The local address to connect from (the client address the apiserver sees).
    pub from: Option<std::net::IpAddr>,
    /// A body as bytes, with its content type (none: no `Content-Type` header), instead of `body`.
    pub raw: Option<(Option<&'a str>, Vec<u8>)>,
}

/// An answer: status, headers and the JSON body (or Null), and the body as text.
pub struct Answer {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
    pub text: String,
}

impl Answer {
    /// The refresh token the answer's `Set-Cookie` sets (`Some("")` when it clears the cookie).
    pub fn refresh_cookie(&self) -> Option<String> {
        self.headers.get_all("set-cookie").iter().filter_map(|v| v.to_str().ok()).find_map(|v| {
            let value = v.strip_prefix(REFRESH_COOKIE)?.strip_prefix('=')?;
            Some(value.split(';').next().unwrap_or_default().to_string())
        })
    }

    /// The answer's `Set-Cookie` for the refresh token, whole (its attributes).
    pub fn set_cookie(&self) -> Option<String> {
        self.headers
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|v| v.starts_with(REFRESH_COOKIE))
            .map(String::from)
    }
}

/// A signed-in session: the access token, the refresh token (the cookie's value) and the login's answer.
pub struct Session {
    pub access: String,
    pub refresh: String,
    pub body: Value,
}

/// One access test's world: its namespace (the control-plane namespace of its own operator and apiserver,
/// both running as the install's ServiceAccounts) and the first admin's credentials.
pub struct AccessWorld {
    pub client: Client,
    pub ns: String,
    pub api: Apiserver,
    /// The log of the test's operator.
    pub operator_log: PathBuf,
    pub admin: String,
    pub admin_password: String,
}

impl AccessWorld {
    /// The operator's log so far.
    pub fn operator_logs(&self) -> String {
        std::fs::read_to_string(&self.operator_log).unwrap_or_default()
    }

    /// Labels for objects the test creates itself.
    pub fn scope(&self) -> (String, String) {
        (SCOPE_LABEL.to_string(), self.ns.clone())
    }
}

/// Runs `body` in a fresh [`AccessWorld`]; afterwards deletes the test's Projects and ChaosUsers.
/// `extra_env` is the apiserver's.
pub async fn with_access<F, Fut>(prefix: &str, extra_env: &[(&str, &str)], body: F)
where
    F: FnOnce(AccessWorld) -> Fut,
    Fut: Future<Output = ()>,
{
    with_access_settings(prefix, &[], extra_env, body).await
}

/// [`with_access`] with settings for the operator too.
pub async fn with_access_settings<F, Fut>(
    prefix: &str,
    operator_env: &[(&str, &str)],
    extra_env: &[(&str, &str)],
    body: F,
) where
    F: FnOnce(AccessWorld) -> Fut,
    Fut: Future<Output = ()>,
{
    ensure_rbac().await;
    crate::ensure_crds(&crate::client().await).await;
    let extra: Vec<(String, String)> =
        extra_env.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    let operator_env: Vec<(String, String)> =
        operator_env.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    with_namespace(prefix, &[], |client, ns| async move {
        grant_local_roles(&client, &ns).await;
        let operator_kubeconfig = service_account_kubeconfig(&client, "chaoscenter-operator", &ns).await;
        let apiserver_kubeconfig = service_account_kubeconfig(&client, "chaoscenter-apiserver", &ns).await;
        let selector = format!("{SCOPE_LABEL}={ns}");
        let mut settings = vec![
            ("WATCH_SELECTOR", selector.as_str()),
            ("KUBECONFIG", operator_kubeconfig.to_str().unwrap()),
            ("SERVICE_ACCOUNT_NAMESPACE", CONTROL_PLANE),
        ];
        settings.extend(operator_env.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        let mut operator = Operator::start_with(&ns, &settings);
        let admin = format!("adm-{ns}");
        let mut env: Vec<(String, String)> = [
            ("RUST_LOG", "info,kube=warn"),
            ("CHAOSCENTER_NAMESPACE", ns.as_str()),
            ("LISTEN_ADDR", "127.0.0.1:0"),
            ("MONGODB_DATABASE", &ns.replace('-', "_")),
            ("ADMIN_USERNAME", &admin),
            ("CREATE_LABELS", &selector),
            ("KUBECONFIG", apiserver_kubeconfig.to_str().unwrap()),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        env.push(("MONGODB_URI".into(), crate::mongodb_uri()));
        env.extend(extra);
        let api = Apiserver::start(env).await;
        let secrets: Api<Secret> = Api::namespaced(client.clone(), &ns);
        let initial =
            secrets.get("chaoscenter-initial-admin").await.expect("the first admin's password Secret");
        let data = initial.data.unwrap_or_default();
        let admin_password = String::from_utf8(data["password"].0.clone()).unwrap();
        assert_eq!(String::from_utf8(data["username"].0.clone()).unwrap(), admin);
        let operator_log = operator.log.clone();
        let world =
            AccessWorld { client: client.clone(), ns: ns.clone(), api, operator_log, admin, admin_password };
        let result = AssertUnwindSafe(body(world)).catch_unwind().await;
        let stopped = operator.stop();
        let scoped = ListParams::default().labels(&selector);
        let dp = DeleteParams::background();
        let _ = Api::<Project>::all(client.clone()).delete_collection(&dp, &scoped).await;
        let _ = Api::<ChaosUser>::all(client.clone()).delete_collection(&dp, &scoped).await;
        for path in [operator_kubeconfig, apiserver_kubeconfig] {
            let _ = std::fs::remove_file(path);
        }
        if let Err(panic) = result {
            std::panic::resume_unwind(panic);
        }
        assert!(stopped, "the operator did not stop cleanly on SIGTERM:\n{}", operator.logs());
    })
    .await;
}

/// Runs `kubectl --as=chaoscenter:<user> <args>`: whether it succeeded, and its output.
pub fn kubectl_as(user: &str, args: &[&str]) -> (bool, String) {
    let out = kubectl().arg(format!("--as=chaoscenter:{user}")).args(args).output().unwrap();
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.success(), text)
}

/// How long the access helpers wait for the operator to catch up.
const ACCESS_WAIT: Duration = Duration::from_secs(60);

/// Waits until user `name` is `Ready`.
pub async fn wait_user_ready(client: &Client, name: &str) -> ChaosUser {
    let api: Api<ChaosUser> = Api::all(client.clone());
    wait_for(ACCESS_WAIT, &format!("user {name} Ready"), || async {
        let user = api.get_opt(name).await.ok()??;
        let ready = user
            .status
            .as_ref()?
            .conditions
            .iter()
            .any(|c| c.type_ == "Ready" && c.status == ConditionStatus::True);
        ready.then_some(user)
    })
    .await
}

/// Waits until the impersonation role names `user` (the apiserver may then act for them).
pub async fn wait_impersonable(client: &Client, user: &str) {
    let api: Api<ClusterRole> = Api::all(client.clone());
    let identity = format!("chaoscenter:{user}");
    wait_for(ACCESS_WAIT, &format!("{identity} in the impersonation role"), || async {
        let role = api.get_opt("chaoscenter:apiserver-impersonate").await.ok()??;
        role.rules?
            .iter()
            .any(|r| r.resource_names.as_ref().is_some_and(|n| n.contains(&identity)))
            .then_some(())
    })
    .await;
}

/// The admin's first login and forced password change; waits until the admin's access is in place.
pub async fn admin_token(w: &AccessWorld) -> String {
    wait_user_ready(&w.client, &w.admin).await;
    wait_impersonable(&w.client, &w.admin).await;
    let token = w.api.first_login(&w.admin, &w.admin_password, "admin-new-password-1").await;
    let bindings: Api<ClusterRoleBinding> = Api::all(w.client.clone());
    let name = format!("chaoscenter:admin:{}", w.admin);
    wait_for(ACCESS_WAIT, "the admin binding", || async { bindings.get_opt(&name).await.ok()? }).await;
    token
}

/// Creates a user through the API and does their first login; their access token.
pub async fn new_user(w: &AccessWorld, admin: &str, name: &str, password: &str) -> String {
    let (status, body) = w
        .api
        .call(
            "POST",
            "/auth/users",
            Some(admin),
            Some(serde_json::json!({"username": name, "password": "initial-password-1"})),
        )
        .await;
    assert_eq!(status, 201, "create {name}: {body}");
    wait_user_ready(&w.client, name).await;
    wait_impersonable(&w.client, name).await;
    w.api.first_login(name, "initial-password-1", password).await
}

/// The admission webhook of `config/webhook`, installed for one test: called by URL on the test's own
/// apiserver, and only for objects labelled with the test's scope (so other tests in the cluster are not
/// asked). Removed again when dropped.
pub struct InstalledWebhook {
    client: Client,
}

/// A free loopback address for a test apiserver's webhook (`WEBHOOK_ADDR`).
pub fn free_webhook_addr() -> String {
    let socket = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    socket.local_addr().unwrap().to_string()
}

/// The apiserver settings that serve the webhook on `addr` as in a real install (the operator as its
/// ServiceAccount).
pub fn webhook_env(addr: &str) -> Vec<(&'static str, String)> {
    vec![
        ("WEBHOOK_ADDR", addr.to_string()),
        ("OPERATOR_USERNAME", format!("system:serviceaccount:{CONTROL_PLANE}:chaoscenter-operator")),
    ]
}

/// Installs `config/webhook/webhook.yaml` for the objects of scope `scope`, calling `https://<addr>`.
pub async fn install_webhook(client: &Client, addr: &str, scope: &str) -> InstalledWebhook {
    use k8s_openapi::api::admissionregistration::v1::{
        MutatingWebhookConfiguration, ValidatingWebhookConfiguration, WebhookClientConfig,
    };
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
    let text = std::fs::read_to_string(repo_root().join("config/webhook/webhook.yaml")).unwrap();
    let selector = LabelSelector {
        match_labels: Some([(SCOPE_LABEL.to_string(), scope.to_string())].into()),
        ..Default::default()
    };
    let by_url = |config: &mut WebhookClientConfig| {
        let path = config.service.take().and_then(|s| s.path).unwrap_or_default();
        config.url = Some(format!("https://{addr}{path}"));
    };
    let installed = InstalledWebhook { client: client.clone() };
    installed.remove().await;
    for doc in serde_yaml::Deserializer::from_str(&text) {
        let value = Value::deserialize(doc).unwrap();
        match value["kind"].as_str() {
            Some("MutatingWebhookConfiguration") => {
                let mut c: MutatingWebhookConfiguration = serde_json::from_value(value).unwrap();
                for hook in c.webhooks.iter_mut().flatten() {
                    by_url(&mut hook.client_config);
                    hook.object_selector = Some(selector.clone());
                }
                Api::<MutatingWebhookConfiguration>::all(client.clone())
                    .create(&PostParams::default(), &c)
                    .await
                    .unwrap();
            }
            Some("ValidatingWebhookConfiguration") => {
                let mut c: ValidatingWebhookConfiguration = serde_json::from_value(value).unwrap();
                for hook in c.webhooks.iter_mut().flatten() {
                    by_url(&mut hook.client_config);
                    hook.object_selector = Some(selector.clone());
                }
                Api::<ValidatingWebhookConfiguration>::all(client.clone())
                    .create(&PostParams::default(), &c)
                    .await
                    .unwrap();
            }
            _ => {}
        }
    }
    // the apiserver puts its CA into the new configurations' caBundle shortly after they appear; until
    // then the API server cannot call the webhook (x509) and every write in scope is refused with a 500
    wait_webhook_stamps(client, scope, scope).await;
    installed
}

/// Waits until the webhook answers for scope `scope` in namespace `ns`: a server-side dry-run create of
/// a workflow comes back stamped with its author.
pub async fn wait_webhook_stamps(client: &Client, scope: &str, ns: &str) {
    let probe: kube::api::DynamicObject = serde_json::from_value(serde_json::json!({
        "apiVersion": "chaoscenter.io/v1alpha1", "kind": "ChaosWorkflow",
        "metadata": {"name": "webhook-probe", "namespace": ns, "labels": {SCOPE_LABEL: scope}},
        "spec": {"steps": [{"name": "kill", "fault": {"type": "pod-delete", "duration": "30s",
            "target": {"namespace": scope, "selector": {"matchLabels": {"app": "web"}}, "mode": "one"}}}]}
    }))
    .unwrap();
    let api = crate::chaos_api(client, "ChaosWorkflow", ns);
    let dry_run = PostParams { dry_run: true, ..Default::default() };
    wait_for(Duration::from_secs(60), "the webhook to stamp a dry-run object", || async {
        let created = api.create(&dry_run, &probe).await.ok()?;
        created.metadata.annotations?.get(chaoscenter_crds::common::AUTHOR_ANNOTATION).map(drop)
    })
    .await;
}

impl InstalledWebhook {
    /// Removes both configurations (nothing is asked any more).
    pub async fn remove(&self) {
        use k8s_openapi::api::admissionregistration::v1::{
            MutatingWebhookConfiguration, ValidatingWebhookConfiguration,
        };
        let dp = DeleteParams::default();
        let _ = Api::<MutatingWebhookConfiguration>::all(self.client.clone())
            .delete("chaoscenter-webhook", &dp)
            .await;
        let _ = Api::<ValidatingWebhookConfiguration>::all(self.client.clone())
            .delete("chaoscenter-webhook", &dp)
            .await;
    }
}

impl Drop for InstalledWebhook {
    fn drop(&mut self) {
        // a failed test must not leave a webhook behind that refuses everyone else's writes
        let _ = kubectl()
            .args([
                "delete",
                "--ignore-not-found",
                "mutatingwebhookconfiguration,validatingwebhookconfiguration",
                "chaoscenter-webhook",
            ])
            .output();
    }
}
