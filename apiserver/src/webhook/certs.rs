//! The webhook's TLS identity: a CA and serving certificate it makes itself and keeps in a Secret, the
//! certificate it serves (swapped without a restart), and the `caBundle` of the webhook configurations.
//!
//! Rotation never refuses a valid request: the bundle holds the new CA and the previous one before any
//! replica serves the new certificate, so the Kubernetes API server trusts either while they change over.

use k8s_openapi::api::admissionregistration::v1::{
    MutatingWebhookConfiguration, ValidatingWebhookConfiguration,
};
use k8s_openapi::api::core::v1::Secret;
use k8s_openapi::ByteString;
use kube::api::{Api, ObjectMeta, PostParams};
use kube::Client;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};
use std::time::Duration;

/// The Secret keys: the serving certificate and key, the CA, and the CA before the last rotation.
const TLS_CRT: &str = "tls.crt";
const TLS_KEY: &str = "tls.key";
const CA_CRT: &str = "ca.crt";
const CA_PREVIOUS: &str = "ca-previous.crt";
/// Annotation on the Secret: when its certificate expires (RFC 3339).
const NOT_AFTER_ANNOTATION: &str = "chaoscenter.io/not-after";
/// How long a generated certificate is valid, and how long before its end it is replaced.
const VALIDITY_DAYS: i64 = 365;
const RENEW_BEFORE_DAYS: i64 = 30;
/// How long to let the Kubernetes API server pick up a new `caBundle` before serving a new certificate (its
/// informer usually takes milliseconds; rotation is rare, so the margin is generous).
const BUNDLE_SETTLE: Duration = Duration::from_secs(10);
/// How often the Secret and the bundle are checked.
const CHECK_EVERY: Duration = Duration::from_secs(2);

/// Where the certificate comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CaMode {
    /// The webhook makes its CA and certificate and keeps the configurations' `caBundle` current.
    SelfManaged,
    /// Another tool (e.g. cert-manager with its CA injector) writes the Secret and the `caBundle`; the
    /// webhook only serves what the Secret holds.
    External,
}

/// The webhook's certificate settings.
#[derive(Clone, Debug)]
pub struct CertConfig {
    pub namespace: String,
    pub secret: String,
    /// The names of the webhook configurations (one Mutating, one Validating) whose bundle is kept current.
    pub configuration: String,
    /// DNS names and IP addresses the certificate is valid for.
    pub hosts: Vec<String>,
    pub mode: CaMode,
}

/// The certificate being served; swapped in place when the Secret changes.
#[derive(Debug)]
pub struct ServingCert {
    current: RwLock<Option<Arc<CertifiedKey>>>,
}

impl ResolvesServerCert for ServingCert {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        self.current.read().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

impl ServingCert {
    pub fn new() -> Arc<Self> {
        Arc::new(Self { current: RwLock::new(None) })
    }

    fn set(&self, key: Arc<CertifiedKey>) {
        *self.current.write().unwrap_or_else(|e| e.into_inner()) = Some(key);
    }

    pub fn ready(&self) -> bool {
        self.current.read().unwrap_or_else(|e| e.into_inner()).is_some()
    }
}

/// The PEM texts of one generation of certificates.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Material {
    cert: String,
    key: String,
    ca: String,
    previous_ca: Option<String>,
    not_after: String,
}

fn generate(hosts: &[String], previous_ca: Option<String>) -> anyhow::Result<Material> {
    use rcgen::{
        BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
        KeyUsagePurpose,
    };
    let now = jiff::Timestamp::now();
    let end = now + jiff::SignedDuration::from_hours(24 * VALIDITY_DAYS);
    let ymd = |t: jiff::Timestamp| {
        let d = t.to_zoned(jiff::tz::TimeZone::UTC).date();
        rcgen::date_time_ymd(i32::from(d.year()), d.month() as u8, d.day() as u8)
    };
    let yesterday = now - jiff::SignedDuration::from_hours(24);
    let mut ca = CertificateParams::new(Vec::<String>::new())?;
    ca.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    ca.distinguished_name.push(DnType::CommonName, format!("chaoscenter-webhook-ca-{}", now.as_second()));
    ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::DigitalSignature];
    ca.not_before = ymd(yesterday);
    // the CA outlives its certificate by a day, so the pair expires as one
    ca.not_after = ymd(end + jiff::SignedDuration::from_hours(24));
    let ca_key = KeyPair::generate()?;
    let ca_cert = ca.self_signed(&ca_key)?;
    let issuer = Issuer::new(ca, ca_key);
    let mut leaf = CertificateParams::new(hosts.to_vec())?;
    leaf.distinguished_name.push(DnType::CommonName, hosts.first().cloned().unwrap_or_default());
    leaf.use_authority_key_identifier_extension = true;
    leaf.key_usages = vec![KeyUsagePurpose::DigitalSignature, KeyUsagePurpose::KeyEncipherment];
    leaf.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    leaf.not_before = ymd(yesterday);
    leaf.not_after = ymd(end);
    let leaf_key = KeyPair::generate()?;
    let cert = leaf.signed_by(&leaf_key, &issuer)?;
    Ok(Material {
        cert: cert.pem(),
        key: leaf_key.serialize_pem(),
        ca: ca_cert.pem(),
        previous_ca,
        not_after: end.to_string(),
    })
}

fn certified_key(material: &Material) -> anyhow::Result<Arc<CertifiedKey>> {
    let chain: Vec<CertificateDer<'static>> =
        CertificateDer::pem_slice_iter(material.cert.as_bytes()).collect::<Result<_, _>>()?;
    let key = PrivateKeyDer::from_pem_slice(material.key.as_bytes())?;
    let provider = rustls::crypto::ring::default_provider();
    Ok(Arc::new(CertifiedKey::from_der(chain, key, &provider)?))
}

fn from_secret(secret: &Secret) -> Option<Material> {
    let data = secret.data.as_ref()?;
    let text = |key: &str| data.get(key).and_then(|b| String::from_utf8(b.0.clone()).ok());
    Some(Material {
        cert: text(TLS_CRT)?,
        key: text(TLS_KEY)?,
        ca: text(CA_CRT).unwrap_or_default(),
        previous_ca: text(CA_PREVIOUS),
        not_after: secret
            .metadata
            .annotations
            .as_ref()
            .and_then(|a| a.get(NOT_AFTER_ANNOTATION))
            .cloned()
            .unwrap_or_default(),
    })
}

fn to_secret(config: &CertConfig, material: &Material) -> Secret {
    let mut data = BTreeMap::from([
        (TLS_CRT.to_string(), ByteString(material.cert.clone().into_bytes())),
        (TLS_KEY.to_string(), ByteString(material.key.clone().into_bytes())),
        (CA_CRT.to_string(), ByteString(material.ca.clone().into_bytes())),
    ]);
    if let Some(previous) = &material.previous_ca {
        data.insert(CA_PREVIOUS.to_string(), ByteString(previous.clone().into_bytes()));
    }
    Secret {
        metadata: ObjectMeta {
            name: Some(config.secret.clone()),
            namespace: Some(config.namespace.clone()),
            labels: Some(BTreeMap::from([(
                "app.kubernetes.io/part-of".to_string(),
                "chaoscenter".to_string(),
            )])),
            annotations: Some(BTreeMap::from([(
                NOT_AFTER_ANNOTATION.to_string(),
                material.not_after.clone(),
            )])),
            ..Default::default()
        },
        type_: Some("kubernetes.io/tls".into()),
        data: Some(data),
        ..Default::default()
    }
}

fn due(material: &Material) -> bool {
    match material.not_after.parse::<jiff::Timestamp>() {
        Ok(end) => end - jiff::SignedDuration::from_hours(24 * RENEW_BEFORE_DAYS) < jiff::Timestamp::now(),
        // a Secret written by something else (no annotation): External mode serves it as it is
        Err(_) => false,
    }
}

/// The bundle every replica writes for `material`: its CA, then the one before (deterministic, so replicas
/// agree).
fn bundle(material: &Material) -> String {
    let mut text = material.ca.clone();
    if let Some(previous) = material.previous_ca.as_ref().filter(|p| **p != material.ca) {
        text.push_str(previous);
    }
    text
}

/// Keeps the Secret, the served certificate and the configurations' bundle current, for the life of the
/// process. Returns only if the stop signal fires.
pub async fn maintain(client: Client, config: CertConfig, serving: Arc<ServingCert>) {
    let secrets: Api<Secret> = Api::namespaced(client.clone(), &config.namespace);
    let mut served: Option<Material> = None;
    loop {
        if let Err(err) = step(&client, &secrets, &config, &serving, &mut served).await {
            tracing::warn!(error = %err, secret = %config.secret, "webhook certificate upkeep failed; retrying");
        }
        tokio::time::sleep(CHECK_EVERY).await;
    }
}

async fn step(
    client: &Client,
    secrets: &Api<Secret>,
    config: &CertConfig,
    serving: &ServingCert,
    served: &mut Option<Material>,
) -> anyhow::Result<()> {
    let stored = secrets.get_opt(&config.secret).await?;
    let material = match (stored.as_ref().and_then(from_secret), &config.mode) {
        (Some(m), CaMode::External) => m,
        (Some(m), CaMode::SelfManaged) if !due(&m) => m,
        (None, CaMode::External) => {
            anyhow::bail!("Secret {} has no tls.crt/tls.key yet (it is managed externally)", config.secret)
        }
        (old, CaMode::SelfManaged) => {
            // none, or due: a new CA and certificate; the CA served until now stays in the bundle
            let previous = served.as_ref().map(|m| m.ca.clone()).or(old.map(|m| m.ca));
            let fresh = generate(&config.hosts, previous)?;
            let mut secret = to_secret(config, &fresh);
            let written = match &stored {
                None => secrets.create(&PostParams::default(), &secret).await,
                Some(s) => {
                    secret.metadata.resource_version = s.metadata.resource_version.clone();
                    secrets.replace(&config.secret, &PostParams::default(), &secret).await
                }
            };
            match written {
                Ok(_) => {
                    tracing::info!(secret = %config.secret, not_after = %fresh.not_after, "generated a CA and certificate for the webhook")
                }
                // another replica wrote one first: use that on the next check
                Err(kube::Error::Api(e)) if e.code == 409 => return Ok(()),
                Err(e) => return Err(e.into()),
            }
            fresh
        }
    };
    if served.as_ref() == Some(&material) {
        if config.mode == CaMode::SelfManaged {
            ensure_bundle(client, config, &bundle(&material)).await?;
        }
        return Ok(());
    }
    let key = certified_key(&material)?;
    if config.mode == CaMode::SelfManaged {
        let changed = ensure_bundle(client, config, &bundle(&material)).await?;
        // the API server trusts the new CA before anyone serves a certificate it signed
        if changed && served.is_some() {
            tokio::time::sleep(BUNDLE_SETTLE).await;
        }
    }
    serving.set(key);
    tracing::info!(secret = %config.secret, not_after = %material.not_after, "webhook certificate in use");
    *served = Some(material);
    Ok(())
}

/// Sets `caBundle` on every webhook of both configurations; returns whether anything changed. A missing
/// configuration is skipped (not installed yet).
async fn ensure_bundle(client: &Client, config: &CertConfig, pem: &str) -> anyhow::Result<bool> {
    let wanted = ByteString(pem.as_bytes().to_vec());
    let mut changed = false;
    let mutating: Api<MutatingWebhookConfiguration> = Api::all(client.clone());
    if let Some(mut c) = mutating.get_opt(&config.configuration).await? {
        let hooks = c.webhooks.get_or_insert_with(Vec::new);
        if hooks.iter().any(|w| w.client_config.ca_bundle.as_ref() != Some(&wanted)) {
            hooks.iter_mut().for_each(|w| w.client_config.ca_bundle = Some(wanted.clone()));
            mutating.replace(&config.configuration, &PostParams::default(), &c).await?;
            changed = true;
        }
    }
    let validating: Api<ValidatingWebhookConfiguration> = Api::all(client.clone());
    if let Some(mut c) = validating.get_opt(&config.configuration).await? {
        let hooks = c.webhooks.get_or_insert_with(Vec::new);
        if hooks.iter().any(|w| w.client_config.ca_bundle.as_ref() != Some(&wanted)) {
            hooks.iter_mut().for_each(|w| w.client_config.ca_bundle = Some(wanted.clone()));
            validating.replace(&config.configuration, &PostParams::default(), &c).await?;
            changed = true;
        }
    }
    if changed {
        tracing::info!(configuration = %config.configuration, "updated the webhook configurations' caBundle");
    }
    Ok(changed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_certificates_load_and_carry_their_expiry() {
        let hosts = vec!["chaoscenter-webhook.chaoscenter-system.svc".to_string(), "127.0.0.1".to_string()];
        let m = generate(&hosts, Some("OLD".into())).unwrap();
        certified_key(&m).unwrap();
        assert!(!due(&m), "a fresh certificate is not due for renewal");
        assert!(bundle(&m).starts_with(&m.ca) && bundle(&m).ends_with("OLD"));
        let config = CertConfig {
            namespace: "ns".into(),
            secret: "s".into(),
            configuration: "c".into(),
            hosts,
            mode: CaMode::SelfManaged,
        };
        assert_eq!(from_secret(&to_secret(&config, &m)), Some(m.clone()));
        let old = Material { not_after: "2026-01-01T00:00:00Z".into(), ..m };
        assert!(due(&old));
    }
}
