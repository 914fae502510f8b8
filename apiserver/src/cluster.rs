//! The apiserver's view of Kubernetes: its own client, clients impersonating users, the caches of users
//! and projects, and the Secrets it owns (password hashes, the JWT key, the first admin's password).

use crate::config::Config;
use chaoscenter_crds::access::{
    password_secret, user_identity, MUST_CHANGE_KEY, PASSWORD_HASH_KEY, USER_LABEL,
};
use chaoscenter_crds::common::LocalObjectReference;
use chaoscenter_crds::user::GlobalRole;
use chaoscenter_crds::{ChaosUser, ChaosUserSpec, Project};
use k8s_openapi::api::core::v1::Secret;
use k8s_openapi::ByteString;
use kube::api::{Api, ObjectMeta, PostParams};
use kube::runtime::reflector::{self, ObjectRef, Store};
use kube::runtime::{watcher, WatchStreamExt};
use kube::{Client, Resource, ResourceExt};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

/// The field manager the cluster records for the apiserver's writes (sent as its User-Agent).
pub const FIELD_MANAGER: &str = "chaoscenter-apiserver";
/// The impersonation header carrying the user-info extra `chaoscenter.io/via` (the `/` percent-encoded).
const VIA_HEADER: &str = "impersonate-extra-chaoscenter.io%2fvia";
/// The Secret holding the JWT signing key (key `signingKey`).
pub const SIGNING_KEY_SECRET: &str = "chaoscenter-jwt";
/// The Secret holding the first admin's initial password (keys `username`, `password`) until it is
/// changed. `make up` prints it.
pub const INITIAL_ADMIN_SECRET: &str = "chaoscenter-initial-admin";

/// A user's password record, from their Secret.
#[derive(Clone, Debug)]
pub struct PasswordRecord {
    pub hash: String,
    pub must_change: bool,
}

/// Kubernetes, as the apiserver uses it.
pub struct Cluster {
    /// The apiserver's own identity: reads, its Secrets, and the few writes no user role can make.
    pub client: Client,
    base: kube::Config,
    impersonated: Mutex<HashMap<String, Client>>,
    pub namespace: String,
    pub users: Store<ChaosUser>,
    pub projects: Store<Project>,
    create_labels: BTreeMap<String, String>,
}

impl Cluster {
    /// Connects, and starts caching users and projects (wait for [`Cluster::ready`] before serving).
    pub async fn connect(config: &Config) -> anyhow::Result<Arc<Self>> {
        let mut base = kube::Config::infer().await?;
        // the cluster records our writes under FIELD_MANAGER (it is taken from the User-Agent)
        let agent = format!("{FIELD_MANAGER}/{}", env!("CARGO_PKG_VERSION"));
        base.headers.push((axum::http::header::USER_AGENT, axum::http::HeaderValue::from_str(&agent)?));
        let client = Client::try_from(base.clone())?;
        let users = cache::<ChaosUser>(&client);
        let projects = cache::<Project>(&client);
        Ok(Arc::new(Self {
            client,
            base,
            impersonated: Mutex::default(),
            namespace: config.namespace.clone(),
            users,
            projects,
            create_labels: config.create_labels.clone(),
        }))
    }

    /// Resolves once both caches hold a full list.
    pub async fn ready(&self) {
        let _ = self.users.wait_until_ready().await;
        let _ = self.projects.wait_until_ready().await;
    }

    fn secrets(&self) -> Api<Secret> {
        Api::namespaced(self.client.clone(), &self.namespace)
    }

    /// The JWT signing key: read from its Secret, or created (512 random bits) on first start.
    pub async fn signing_key(&self) -> anyhow::Result<Vec<u8>> {
        let api = self.secrets();
        for _ in 0..3 {
            if let Some(secret) = api.get_opt(SIGNING_KEY_SECRET).await? {
                let key =
                    secret.data.unwrap_or_default().remove("signingKey").map(|b| b.0).unwrap_or_default();
                anyhow::ensure!(!key.is_empty(), "Secret {SIGNING_KEY_SECRET} has no key signingKey");
                return Ok(key);
            }
            let key: [u8; 64] = rand::random();
            let secret = Secret {
                metadata: ObjectMeta {
                    name: Some(SIGNING_KEY_SECRET.into()),
                    labels: self.labels(),
                    ..Default::default()
                },
                data: Some(BTreeMap::from([("signingKey".to_string(), ByteString(key.to_vec()))])),
                ..Default::default()
            };
            match api.create(&PostParams::default(), &secret).await {
                Ok(_) => {
                    tracing::info!(secret = SIGNING_KEY_SECRET, "created the JWT signing key");
                    return Ok(key.to_vec());
                }
                // another replica made it first: read theirs
                Err(kube::Error::Api(s)) if s.code == 409 => continue,
                Err(err) => return Err(err.into()),
            }
        }
        anyhow::bail!("could not read or create Secret {SIGNING_KEY_SECRET}")
    }

    /// Creates the first admin if the user `admin` does not exist: a random password, stored hashed for
    /// the user and in clear in [`INITIAL_ADMIN_SECRET`] until the admin changes it.
    pub async fn bootstrap_admin(
        &self,
        admin: &str,
        passwords: &crate::passwords::Passwords,
    ) -> anyhow::Result<()> {
        let users: Api<ChaosUser> = Api::all(self.client.clone());
        if users.get_opt(admin).await?.is_some() {
            return Ok(());
        }
        let password = crate::passwords::random_password();
        let hash = passwords.hash(&password).await;
        let mut user = ChaosUser::new(
            admin,
            ChaosUserSpec {
                display_name: "Administrator".into(),
                role: GlobalRole::Admin,
                password_secret_ref: Some(LocalObjectReference { name: password_secret(admin) }),
                ..Default::default()
            },
        );
        user.metadata.labels = self.labels();
        let user = match users.create(&PostParams::default(), &user).await {
            Ok(user) => user,
            Err(kube::Error::Api(s)) if s.code == 409 => return Ok(()),
            Err(err) => return Err(err.into()),
        };
        self.set_password(&user, &hash, true).await?;
        let mut labels = self.create_labels.clone();
        labels.insert(USER_LABEL.into(), admin.into());
        let initial = Secret {
            metadata: ObjectMeta {
                name: Some(INITIAL_ADMIN_SECRET.into()),
                labels: Some(labels),
                ..Default::default()
            },
            string_data: Some(BTreeMap::from([
                ("username".to_string(), admin.to_string()),
                ("password".to_string(), password),
            ])),
            ..Default::default()
        };
        let secrets = self.secrets();
        if secrets.get_opt(INITIAL_ADMIN_SECRET).await?.is_some() {
            secrets.delete(INITIAL_ADMIN_SECRET, &Default::default()).await?;
        }
        secrets.create(&PostParams::default(), &initial).await?;
        tracing::info!(
            user = admin,
            secret = INITIAL_ADMIN_SECRET,
            "created the first admin; the initial password is in the Secret and must be changed at first login"
        );
        Ok(())
    }
}

/// Kubernetes as the handlers use it: users and projects (from the caches), password records, and
/// clients for writes: the apiserver's own, or one impersonating a user so that RBAC decides. [`Cluster`]
/// is the real one; the router tests use an in-memory API server behind the same clients.
#[async_trait::async_trait]
pub trait ClusterApi: Send + Sync {
    /// The apiserver's own identity: reads, its Secrets, and the few writes no user role can make.
    fn client(&self) -> Client;
    /// A client acting as user `user` (`chaoscenter:<user>`): Kubernetes RBAC decides what it may do.
    fn as_user(&self, user: &str) -> Result<Client, kube::Error>;
    /// Labels for an object the apiserver creates.
    fn labels(&self) -> Option<BTreeMap<String, String>>;
    /// The user `name`, from the cache or (just created) from the API.
    async fn user(&self, name: &str) -> Result<Option<Arc<ChaosUser>>, kube::Error>;
    /// The user `name` read from the API, never the cache: what issues tokens (sign-in, refresh) must
    /// see a disable at once, not when the cache catches up.
    async fn user_live(&self, name: &str) -> Result<Option<Arc<ChaosUser>>, kube::Error>;
    /// The project `name`, from the cache.
    fn project(&self, name: &str) -> Option<Arc<Project>>;
    /// Every project, from the cache.
    fn projects(&self) -> Vec<Arc<Project>>;
    /// The user's password record; `None` if the user has no password.
    async fn password(&self, user: &str) -> Result<Option<PasswordRecord>, kube::Error>;
    /// Stores the user's password hash, owned by the ChaosUser so that deleting the user deletes it.
    async fn set_password(&self, user: &ChaosUser, hash: &str, must_change: bool) -> Result<(), kube::Error>;
    /// Forgets the first admin's initial password once it has been changed.
    async fn forget_initial_password(&self, user: &str);
}

#[async_trait::async_trait]
impl ClusterApi for Cluster {
    fn client(&self) -> Client {
        self.client.clone()
    }

    fn as_user(&self, user: &str) -> Result<Client, kube::Error> {
        let mut clients = self.impersonated.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(client) = clients.get(user) {
            return Ok(client.clone());
        }
        let mut config = self.base.clone();
        config.auth_info.impersonate = Some(user_identity(user));
        config.auth_info.impersonate_groups = None;
        // tells the admission webhook this write comes through the apiserver (the audit log has it already)
        config.headers.push((
            axum::http::HeaderName::from_static(VIA_HEADER),
            axum::http::HeaderValue::from_static(crate::webhook::review::VIA_APISERVER),
        ));
        let client = Client::try_from(config)?;
        if clients.len() > 1000 {
            clients.clear();
        }
        clients.insert(user.to_string(), client.clone());
        Ok(client)
    }

    fn labels(&self) -> Option<BTreeMap<String, String>> {
        (!self.create_labels.is_empty()).then(|| self.create_labels.clone())
    }

    async fn user(&self, name: &str) -> Result<Option<Arc<ChaosUser>>, kube::Error> {
        if let Some(user) = self.users.get(&ObjectRef::new(name)) {
            return Ok(Some(user));
        }
        self.user_live(name).await
    }

    async fn user_live(&self, name: &str) -> Result<Option<Arc<ChaosUser>>, kube::Error> {
        Ok(Api::<ChaosUser>::all(self.client.clone()).get_opt(name).await?.map(Arc::new))
    }

    fn project(&self, name: &str) -> Option<Arc<Project>> {
        self.projects.get(&ObjectRef::new(name))
    }

    fn projects(&self) -> Vec<Arc<Project>> {
        self.projects.state()
    }

    async fn password(&self, user: &str) -> Result<Option<PasswordRecord>, kube::Error> {
        let Some(secret) = self.secrets().get_opt(&password_secret(user)).await? else {
            return Ok(None);
        };
        // only a Secret the apiserver wrote for this user counts
        if secret.labels().get(USER_LABEL).map(String::as_str) != Some(user) {
            tracing::warn!(user, "ignoring a password Secret without the user's label");
            return Ok(None);
        }
        let data = secret.data.unwrap_or_default();
        let text = |key: &str| data.get(key).and_then(|b| String::from_utf8(b.0.clone()).ok());
        Ok(text(PASSWORD_HASH_KEY).map(|hash| PasswordRecord {
            hash,
            must_change: text(MUST_CHANGE_KEY).as_deref() == Some("true"),
        }))
    }

    async fn set_password(&self, user: &ChaosUser, hash: &str, must_change: bool) -> Result<(), kube::Error> {
        let name = user.name_any();
        let mut labels = self.create_labels.clone();
        labels.insert(USER_LABEL.into(), name.clone());
        let secret = Secret {
            metadata: ObjectMeta {
                name: Some(password_secret(&name)),
                namespace: Some(self.namespace.clone()),
                labels: Some(labels),
                owner_references: user.controller_owner_ref(&()).map(|mut o| {
                    o.controller = Some(false);
                    o.block_owner_deletion = None;
                    vec![o]
                }),
                ..Default::default()
            },
            type_: Some("Opaque".into()),
            data: Some(BTreeMap::from([
                (PASSWORD_HASH_KEY.to_string(), ByteString(hash.as_bytes().to_vec())),
                (MUST_CHANGE_KEY.to_string(), ByteString(must_change.to_string().into_bytes())),
            ])),
            ..Default::default()
        };
        let api = self.secrets();
        match api.get_opt(&password_secret(&name)).await? {
            Some(existing) => {
                let mut secret = secret;
                secret.metadata.resource_version = existing.metadata.resource_version;
                api.replace(&password_secret(&name), &PostParams::default(), &secret).await?;
            }
            None => {
                api.create(&PostParams::default(), &secret).await?;
            }
        }
        Ok(())
    }

    async fn forget_initial_password(&self, user: &str) {
        let secrets = self.secrets();
        if let Ok(Some(secret)) = secrets.get_opt(INITIAL_ADMIN_SECRET).await {
            if secret.labels().get(USER_LABEL).map(String::as_str) == Some(user) {
                if let Err(err) = secrets.delete(INITIAL_ADMIN_SECRET, &Default::default()).await {
                    tracing::warn!(%err, "could not delete the initial admin password Secret");
                }
            }
        }
    }
}

/// A cache of every `K`, kept current by a watch for the life of the process.
fn cache<K>(client: &Client) -> Store<K>
where
    K: kube::Resource<DynamicType = ()>
        + Clone
        + std::fmt::Debug
        + serde::de::DeserializeOwned
        + Send
        + Sync
        + 'static,
{
    use futures::StreamExt;
    let (reader, writer) = reflector::store();
    let stream = watcher(Api::<K>::all(client.clone()), watcher::Config::default().any_semantic())
        .default_backoff()
        .reflect(writer)
        .applied_objects();
    tokio::spawn(async move {
        futures::pin_mut!(stream);
        while let Some(event) = stream.next().await {
            if let Err(err) = event {
                tracing::warn!(%err, kind = %K::kind(&()), "watch error (retrying)");
            }
        }
    });
    reader
}
