//! Hub sync against a real git server on loopback (`git http-backend` with basic auth): first sync,
//! re-sync on a new commit, an unchanged commit skipped, a failed fetch keeping the last catalogue, wrong
//! credentials, an oversized repository, credentials appearing nowhere, and the built-in hub each project
//! gets once.

use chaoscenter_crds::access::{HUB_CREDENTIALS_BINDING, HUB_CREDENTIALS_ROLE};
use chaoscenter_crds::common::ConditionStatus;
use chaoscenter_crds::hub::{
    BUILTIN_HUB, BUILTIN_HUB_ANNOTATION, SYNC_NOW_ANNOTATION, SYNC_NOW_HANDLED_ANNOTATION,
};
use chaoscenter_crds::template::HUB_LABEL;
use chaoscenter_crds::{ChaosHub, ChaosTemplate, Project};
use chaoscenter_e2e::access::CONTROL_PLANE;
use chaoscenter_e2e::git::{condition, git_hub, scratch, secret, wait_hub, GitServer, Repo, SYNC};
use chaoscenter_e2e::{ensure_crds, events_for, wait_for, with_namespace, Operator};
use k8s_openapi::api::rbac::v1::RoleBinding;
use kube::api::{Api, DeleteParams, Patch, PatchParams, PostParams};
use kube::{Client, ResourceExt};
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::time::Duration;

/// A kubeconfig for the install's operator ServiceAccount (with its role in the test namespace, and the
/// hub-credentials binding it keeps in project namespaces), so the operator has exactly the access the
/// install grants it.
async fn operator_identity(client: &Client, ns: &str) -> PathBuf {
    chaoscenter_e2e::access::ensure_rbac().await;
    chaoscenter_e2e::access::grant_local_roles(client, ns).await;
    let binding: RoleBinding = serde_json::from_value(serde_json::json!({
        "metadata": {"name": HUB_CREDENTIALS_BINDING},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": HUB_CREDENTIALS_ROLE},
        "subjects": [{"kind": "ServiceAccount", "name": "chaoscenter-operator", "namespace": CONTROL_PLANE}],
    }))
    .unwrap();
    Api::<RoleBinding>::namespaced(client.clone(), ns)
        .create(&PostParams::default(), &binding)
        .await
        .unwrap();
    chaoscenter_e2e::access::service_account_kubeconfig(client, "chaoscenter-operator", ns).await
}

/// Asks for a sync now and waits until the operator handled that ask.
async fn sync_now(client: &Client, ns: &str, name: &str, value: &str) -> ChaosHub {
    let api: Api<ChaosHub> = Api::namespaced(client.clone(), ns);
    let patch = serde_json::json!({"metadata": {"annotations": {SYNC_NOW_ANNOTATION: value}}});
    api.patch(name, &PatchParams::default(), &Patch::Merge(&patch)).await.unwrap();
    wait_hub(client, ns, name, &format!("sync-now {value} handled"), |h| {
        h.annotations().get(SYNC_NOW_HANDLED_ANNOTATION).map(String::as_str) == Some(value)
            && h.status.as_ref().and_then(|s| s.last_synced_at.clone()).is_some()
    })
    .await
}

fn synced(hub: &ChaosHub) -> Option<(ConditionStatus, String, String)> {
    condition(hub, "Synced").map(|c| (c.status, c.reason, c.message))
}

#[tokio::test]
async fn syncs_resyncs_skips_an_unchanged_commit_and_keeps_the_last_catalogue_when_the_server_is_gone() {
    with_namespace("hub-sync", &[], |client, ns| async move {
        ensure_crds(&client).await;
        let root = scratch(&ns, "repos");
        let cache = scratch(&ns, "cache");
        let password = format!("pw-{ns}-Zq9");
        let repo = Repo::init(&root, "charts");
        let first = repo.commit(
            "first",
            &[
                ("README.md", b"not part of the hub's path"),
                ("templates/a.yaml", b"a: 1\n"),
                ("templates/nested/b.yaml", b"b: 2\n"),
            ],
        );
        let server = GitServer::start(&root, Some(("hubuser", &password))).await;
        let for_server = server.url("");
        secret(&client, &ns, "hub-creds", &[("url", &for_server), ("username", "hubuser"), ("password", &password)])
            .await;
        // a template the hub no longer offers: the first sync removes it
        let stale: ChaosTemplate = serde_json::from_value(serde_json::json!({
            "apiVersion": "chaoscenter.io/v1alpha1", "kind": "ChaosTemplate",
            "metadata": {"name": "demo-gone", "labels": {HUB_LABEL: "demo"}},
            "spec": {"hub": "demo", "name": "gone", "displayName": "Gone", "description": "gone", "category": "old", "source": {"layout": "ChaosCenter", "path": "x"}, "supported": true},
        }))
        .unwrap();
        let templates: Api<ChaosTemplate> = Api::namespaced(client.clone(), &ns);
        templates.create(&PostParams::default(), &stale).await.unwrap();
        let operator = Operator::start_with(
            &ns,
            &[("HUB_CACHE_DIR", cache.to_str().unwrap()), ("SSL_CERT_FILE", server.ca_file.to_str().unwrap())],
        );

        // 1. the first sync: the branch's commit, the files under the hub's path, Synced and Ready
        git_hub(&client, &ns, "demo", &server.url("charts"), Some("templates"), Some("hub-creds")).await;
        let hub = wait_hub(&client, &ns, "demo", "the first sync", |h| {
            h.status.as_ref().and_then(|s| s.revision.as_deref()) == Some(first.as_str())
        })
        .await;
        let status = hub.status.clone().unwrap();
        assert_eq!(synced(&hub).unwrap().0, ConditionStatus::True, "{status:?}");
        assert_eq!(condition(&hub, "Ready").unwrap().status, ConditionStatus::True, "{status:?}");
        assert!(status.last_synced_at.is_some() && status.templates.is_some(), "{status:?}");
        assert_eq!(server.seen.pack_fetches.load(Ordering::SeqCst), 1, "one pack fetched");
        assert!(server.seen.unauthorized.load(Ordering::SeqCst) >= 1, "the server asked for credentials");
        let fetched = wait_for(SYNC, "the fetch logged", || async {
            let logs = operator.logs();
            logs.lines().find(|l| l.contains("hub fetched") && l.contains(&first)).map(String::from)
        })
        .await;
        assert!(fetched.contains("files=2"), "only the two files under templates/ are read: {fetched}");
        wait_for(SYNC, "the stale template deleted", || async {
            templates.get_opt("demo-gone").await.unwrap().is_none().then_some(())
        })
        .await;

        // 2. a new commit, synced on demand
        let second = repo.commit("second", &[("templates/c.yaml", b"c: 3\n")]);
        let hub = sync_now(&client, &ns, "demo", "1").await;
        assert_eq!(hub.status.as_ref().unwrap().revision.as_deref(), Some(second.as_str()));
        assert_eq!(server.seen.pack_fetches.load(Ordering::SeqCst), 2, "the new commit fetched");
        let before = hub.status.as_ref().unwrap().last_synced_at.clone();

        // 3. the same commit again: nothing downloaded, nothing parsed, only lastSyncedAt and the condition
        let hub = sync_now(&client, &ns, "demo", "2").await;
        let status = hub.status.clone().unwrap();
        assert_eq!(status.revision.as_deref(), Some(second.as_str()));
        assert_ne!(status.last_synced_at, before, "the unchanged sync is recorded");
        let (state, _, message) = synced(&hub).unwrap();
        assert_eq!(state, ConditionStatus::True);
        assert!(message.contains("unchanged"), "{message}");
        assert_eq!(server.seen.pack_fetches.load(Ordering::SeqCst), 2, "no pack fetched for an unchanged commit");

        // 4. the server is gone: Synced=False with the reason, Ready stays True with the last catalogue
        server.stop();
        let hub = sync_now(&client, &ns, "demo", "3").await;
        let status = hub.status.clone().unwrap();
        let (state, reason, message) = synced(&hub).unwrap();
        assert_eq!((state, reason.as_str()), (ConditionStatus::False, "FetchFailed"), "{message}");
        let ready = condition(&hub, "Ready").unwrap();
        assert_eq!(ready.status, ConditionStatus::True, "{ready:?}");
        assert!(ready.message.contains("last sync failed"), "{ready:?}");
        assert_eq!(status.revision.as_deref(), Some(second.as_str()), "the last revision is kept");
        chaoscenter_e2e::wait_events(&client, &ns, "demo", "a FetchFailed Event", |events| {
            events.iter().any(|(reason, _)| reason == "FetchFailed")
        })
        .await;

        // 5. the password appears nowhere but its Secret: not in the hub, its Events, or the operator's log
        let hub_json = serde_json::to_string(&hub).unwrap();
        let events = format!("{:?}", events_for(&client, &ns, "demo").await);
        let logs = operator.logs();
        for (what, text) in [("the hub", &hub_json), ("its Events", &events), ("the operator's log", &logs)] {
            assert!(!text.contains(&password), "the password appears in {what}");
        }
        let _ = std::fs::remove_dir_all(root);
        let _ = std::fs::remove_dir_all(cache);
    })
    .await;
}

#[tokio::test]
async fn wrong_or_missing_credentials_give_a_clear_condition() {
    with_namespace("hub-auth", &[], |client, ns| async move {
        ensure_crds(&client).await;
        let root = scratch(&ns, "repos");
        let cache = scratch(&ns, "cache");
        Repo::init(&root, "private").commit("first", &[("t.yaml", b"t: 1\n")]);
        let server = GitServer::start(&root, Some(("hubuser", "the-right-one"))).await;
        let wrong = format!("wrong-{ns}-Xy7");
        let for_server = server.url("");
        secret(&client, &ns, "wrong", &[("url", &for_server), ("username", "hubuser"), ("password", &wrong)])
            .await;
        // the right credentials, but for another server: never sent to this one
        let (right, elsewhere) = ("the-right-one", "https://127.0.0.1:9/");
        secret(
            &client,
            &ns,
            "elsewhere",
            &[("url", elsewhere), ("username", "hubuser"), ("password", right)],
        )
        .await;
        secret(&client, &ns, "no-url", &[("username", "hubuser"), ("password", right)]).await;
        // as the install's operator: reading the Secret a hub names is all the Secret access it has
        let kubeconfig = operator_identity(&client, &ns).await;
        let operator = Operator::start_with(
            &ns,
            &[
                ("HUB_CACHE_DIR", cache.to_str().unwrap()),
                ("SSL_CERT_FILE", server.ca_file.to_str().unwrap()),
                ("KUBECONFIG", kubeconfig.to_str().unwrap()),
            ],
        );
        git_hub(&client, &ns, "wrong", &server.url("private"), None, Some("wrong")).await;
        git_hub(&client, &ns, "anonymous", &server.url("private"), None, None).await;
        git_hub(&client, &ns, "missing", &server.url("private"), None, Some("no-such-secret")).await;
        git_hub(&client, &ns, "elsewhere", &server.url("private"), None, Some("elsewhere")).await;
        git_hub(&client, &ns, "no-url", &server.url("private"), None, Some("no-url")).await;
        for (hub, reason) in [
            ("wrong", "AuthenticationFailed"),
            ("anonymous", "AuthenticationFailed"),
            ("missing", "SecretMissing"),
            ("elsewhere", "SecretNotForURL"),
            ("no-url", "InvalidSpec"),
        ] {
            let found = wait_hub(&client, &ns, hub, &format!("{hub}: Synced=False"), |h| {
                synced(h).is_some_and(|(s, _, _)| s == ConditionStatus::False)
            })
            .await;
            let (_, got, message) = synced(&found).unwrap();
            assert_eq!(got, reason, "{hub}: {message}");
            // nothing was ever synced: the hub is not ready either, for the same reason
            let ready = condition(&found, "Ready").unwrap();
            assert_eq!((ready.status, ready.reason.as_str()), (ConditionStatus::False, reason), "{hub}");
            assert!(found.status.as_ref().unwrap().revision.is_none());
        }
        assert!(server.seen.unauthorized.load(Ordering::SeqCst) >= 2);
        // nothing fetched: the right password, in a Secret for another server, was never sent here
        assert_eq!(server.seen.pack_fetches.load(Ordering::SeqCst), 0);
        let missing = wait_hub(&client, &ns, "missing", "missing", |_| true).await;
        assert!(synced(&missing).unwrap().2.contains("no-such-secret"), "the message names the Secret");
        let no_url = wait_hub(&client, &ns, "no-url", "no-url", |_| true).await;
        assert!(synced(&no_url).unwrap().2.contains("`url`"), "the message names the missing key");
        let events = format!("{:?}", events_for(&client, &ns, "wrong").await);
        let hub = format!("{:?}", wait_hub(&client, &ns, "wrong", "wrong", |_| true).await);
        for (what, text) in
            [("the hub", &hub), ("its Events", &events), ("the operator's log", &operator.logs())]
        {
            assert!(!text.contains(&wrong), "the password appears in {what}");
        }
        let _ = std::fs::remove_file(kubeconfig);
        let _ = std::fs::remove_dir_all(root);
        let _ = std::fs::remove_dir_all(cache);
    })
    .await;
}

/// Bytes that do not compress (xorshift), so the pack is as large as the file.
fn noise(len: usize) -> Vec<u8> {
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

#[tokio::test]
async fn an_oversized_repository_is_refused_naming_the_limit() {
    with_namespace("hub-big", &[], |client, ns| async move {
        ensure_crds(&client).await;
        let root = scratch(&ns, "repos");
        let cache = scratch(&ns, "cache");
        Repo::init(&root, "big").commit("big", &[("blob.bin", &noise(600 << 10))]);
        let many: Vec<(String, Vec<u8>)> =
            (0..6).map(|i| (format!("t{i}.yaml"), format!("n: {i}\n").into_bytes())).collect();
        let many: Vec<(&str, &[u8])> = many.iter().map(|(p, c)| (p.as_str(), c.as_slice())).collect();
        Repo::init(&root, "many").commit("many", &many);
        let server = GitServer::start(&root, None).await;
        let _operator = Operator::start_with(
            &ns,
            &[
                ("HUB_CACHE_DIR", cache.to_str().unwrap()),
                ("SSL_CERT_FILE", server.ca_file.to_str().unwrap()),
                ("HUB_MAX_REPO_BYTES", "200000"),
                ("HUB_MAX_FILES", "4"),
            ],
        );
        git_hub(&client, &ns, "big", &server.url("big"), None, None).await;
        git_hub(&client, &ns, "many", &server.url("many"), None, None).await;
        for (hub, limit) in [("big", "HUB_MAX_REPO_BYTES"), ("many", "HUB_MAX_FILES")] {
            let found = wait_hub(&client, &ns, hub, &format!("{hub}: Synced=False"), |h| {
                synced(h).is_some_and(|(s, _, _)| s == ConditionStatus::False)
            })
            .await;
            let (_, reason, message) = synced(&found).unwrap();
            assert_eq!(reason, "TooLarge", "{hub}: {message}");
            assert!(message.contains(limit), "{hub}: the message names {limit}: {message}");
            assert!(found.status.as_ref().unwrap().revision.is_none(), "{hub}: nothing synced");
        }
        let _ = std::fs::remove_dir_all(root);
        let _ = std::fs::remove_dir_all(cache);
    })
    .await;
}

#[tokio::test]
async fn each_project_gets_the_builtin_hub_once_and_a_deleted_one_stays_deleted() {
    with_namespace("hub-builtin", &[], |client, ns| async move {
        ensure_crds(&client).await;
        let scope = "chaoscenter.io/e2e-scope";
        // as the install's operator: creating the hub is within its access
        let kubeconfig = operator_identity(&client, &ns).await;
        let _operator = Operator::start_with(
            &ns,
            &[
                ("WATCH_SELECTOR", &format!("{scope}={ns}")),
                ("KUBECONFIG", kubeconfig.to_str().unwrap()),
                ("SERVICE_ACCOUNT_NAMESPACE", CONTROL_PLANE),
            ],
        );
        let name = format!("hb-{}", ns.rsplit('-').next().unwrap());
        let project: Project = serde_json::from_value(serde_json::json!({
            "apiVersion": "chaoscenter.io/v1alpha1", "kind": "Project",
            "metadata": {"name": name, "labels": {scope: ns, chaoscenter_e2e::E2E_LABEL: "true"}},
            "spec": {"displayName": "builtin hub"},
        }))
        .unwrap();
        let projects: Api<Project> = Api::all(client.clone());
        projects.create(&PostParams::default(), &project).await.unwrap();
        let home = chaoscenter_crds::access::project_namespace(&name);
        let hubs: Api<ChaosHub> = Api::namespaced(client.clone(), &home);
        let hub =
            wait_for(SYNC, "the built-in hub", || async { hubs.get_opt(BUILTIN_HUB).await.ok().flatten() })
                .await;
        assert_eq!(hub.spec.source, chaoscenter_crds::hub::HubSource::Builtin);
        // and the operator, as the install's account, may read hub credentials there (and only there)
        let bindings: Api<RoleBinding> = Api::namespaced(client.clone(), &home);
        let binding = wait_for(SYNC, "the hub-credentials binding", || async {
            bindings.get_opt(HUB_CREDENTIALS_BINDING).await.ok().flatten()
        })
        .await;
        assert_eq!(binding.role_ref.name, HUB_CREDENTIALS_ROLE);
        let subject = &binding.subjects.unwrap()[0];
        assert_eq!(
            (subject.kind.as_str(), subject.name.as_str(), subject.namespace.as_deref()),
            ("ServiceAccount", "chaoscenter-operator", Some(CONTROL_PLANE))
        );
        let marked = wait_for(SYNC, "the project marked", || async {
            projects.get(&name).await.ok().filter(|p| p.annotations().contains_key(BUILTIN_HUB_ANNOTATION))
        })
        .await;

        // deleted by a user: the next reconciles of the project leave it deleted
        hubs.delete(BUILTIN_HUB, &DeleteParams::default()).await.unwrap();
        wait_for(SYNC, "the hub gone", || async {
            hubs.get_opt(BUILTIN_HUB).await.unwrap().is_none().then_some(())
        })
        .await;
        let patch =
            serde_json::json!({"spec": {"description": "changed, so the project is reconciled again"}});
        projects.patch(&name, &PatchParams::default(), &Patch::Merge(&patch)).await.unwrap();
        let generation = marked.metadata.generation.unwrap() + 1;
        wait_for(SYNC, "the changed project reconciled", || async {
            let p = projects.get(&name).await.ok()?;
            (p.status?.observed_generation? >= generation).then_some(())
        })
        .await;
        tokio::time::sleep(Duration::from_secs(2)).await;
        assert!(hubs.get_opt(BUILTIN_HUB).await.unwrap().is_none(), "the deleted built-in hub came back");
        let _ = projects.delete(&name, &DeleteParams::background()).await;
        let _ = std::fs::remove_file(kubeconfig);
    })
    .await;
}

#[tokio::test]
async fn syncs_over_ssh_only_with_the_known_host_key() {
    with_namespace("hub-ssh", &[], |client, ns| async move {
        ensure_crds(&client).await;
        let root = scratch(&ns, "repos");
        let cache = scratch(&ns, "cache");
        let repo = Repo::init(&root, "charts");
        let first = repo.commit("first", &[("t.yaml", b"t: 1\n")]);
        let (sshd, sshd_other) = (scratch(&ns, "sshd"), scratch(&ns, "sshd-other"));
        let server = chaoscenter_e2e::git::SshServer::start(&sshd).await;
        let other = chaoscenter_e2e::git::SshServer::start(&sshd_other).await;
        let key = server.client_key.clone();
        let for_server = server.url(&root);
        let for_server = for_server.as_str();
        secret(
            &client,
            &ns,
            "ssh",
            &[("url", for_server), ("ssh-privatekey", &key), ("known_hosts", &server.known_hosts)],
        )
        .await;
        secret(&client, &ns, "no-hosts", &[("url", for_server), ("ssh-privatekey", &key)]).await;
        // the host key of another server: this one's must not be accepted
        let wrong_hosts =
            other.known_hosts.replace(&format!(":{}", other.port), &format!(":{}", server.port));
        secret(
            &client,
            &ns,
            "wrong-hosts",
            &[("url", for_server), ("ssh-privatekey", &key), ("known_hosts", &wrong_hosts)],
        )
        .await;
        // a key the server does not know
        let stranger = other.client_key.clone();
        secret(
            &client,
            &ns,
            "wrong-key",
            &[("url", for_server), ("ssh-privatekey", &stranger), ("known_hosts", &server.known_hosts)],
        )
        .await;
        // a key left by a fetch a crash interrupted: the operator removes it when it starts
        let crashed = cache.join(&ns).join(".crashed.ssh");
        std::fs::create_dir_all(&crashed).unwrap();
        std::fs::write(crashed.join("key"), &key).unwrap();
        let operator = Operator::start_with(&ns, &[("HUB_CACHE_DIR", cache.to_str().unwrap())]);
        let url = server.url(&repo.dir);
        git_hub(&client, &ns, "wrong-key", &url, None, Some("wrong-key")).await;
        git_hub(&client, &ns, "ssh", &url, None, Some("ssh")).await;
        git_hub(&client, &ns, "no-hosts", &url, None, Some("no-hosts")).await;
        git_hub(&client, &ns, "wrong-hosts", &url, None, Some("wrong-hosts")).await;
        let hub = wait_hub(&client, &ns, "ssh", "the ssh sync", |h| {
            h.status.as_ref().and_then(|s| s.revision.as_deref()) == Some(first.as_str())
        })
        .await;
        assert_eq!(synced(&hub).unwrap().0, ConditionStatus::True);
        for (hub, reason, words) in [
            ("no-hosts", "InvalidSpec", "known_hosts"),
            ("wrong-hosts", "AuthenticationFailed", "host key"),
            ("wrong-key", "AuthenticationFailed", "refused the ssh key"),
        ] {
            let found = wait_hub(&client, &ns, hub, &format!("{hub}: Synced=False"), |h| {
                synced(h).is_some_and(|(s, _, _)| s == ConditionStatus::False)
            })
            .await;
            let (_, got, message) = synced(&found).unwrap();
            assert_eq!(got, reason, "{hub}: {message}");
            assert!(message.contains(words), "{hub}: {message}");
        }
        // one fetch for the one good hub: the Syncing status write it caused must not fetch again
        let metrics = chaoscenter_e2e::scrape(&operator.metrics_addr().await).await;
        let synced_count =
            chaoscenter_e2e::sample(&metrics, r#"chaoscenter_hub_syncs_total{result="Synced"}"#);
        assert_eq!(synced_count, Some(1.0), "the ssh hub was fetched more than once");
        // the private key appears nowhere but its Secret, and is not left on disk
        let secret_line = key.lines().nth(2).unwrap().to_string();
        for hub in ["ssh", "no-hosts", "wrong-hosts"] {
            let found = format!("{:?}", wait_hub(&client, &ns, hub, hub, |_| true).await);
            let events = format!("{:?}", events_for(&client, &ns, hub).await);
            assert!(!found.contains(&secret_line) && !events.contains(&secret_line), "{hub}");
        }
        assert!(!operator.logs().contains(&secret_line), "the key appears in the operator's log");
        // a failing hub retries (with backoff) and holds the key on disk while its fetch runs: the key must
        // be gone between fetches; one never removed fails here
        let leftover = || {
            let grep = std::process::Command::new("grep").args(["-rl", &secret_line]).arg(&cache).output();
            String::from_utf8_lossy(&grep.unwrap().stdout).into_owned()
        };
        let mut found = leftover();
        for _ in 0..100 {
            if found.is_empty() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
            found = leftover();
        }
        assert!(found.is_empty(), "the key was left in the cache: {found}");
        assert!(!crashed.exists(), "the key a crash left was not removed at start");
        let _ = std::fs::remove_dir_all(root);
        drop((server, other));
        let _ = std::fs::remove_dir_all(sshd);
        let _ = std::fs::remove_dir_all(sshd_other);
        let _ = std::fs::remove_dir_all(cache);
    })
    .await;
}

#[tokio::test]
async fn fetches_through_the_proxy_named_by_the_environment() {
    with_namespace("hub-proxy", &[], |client, ns| async move {
        ensure_crds(&client).await;
        let root = scratch(&ns, "repos");
        let cache = scratch(&ns, "cache");
        let first = Repo::init(&root, "charts").commit("first", &[("t.yaml", b"t: 1\n")]);
        let server = GitServer::start(&root, None).await;
        let proxy = chaoscenter_e2e::git::ConnectProxy::start().await;
        let proxy_url = format!("http://{}", proxy.addr);
        let _operator = Operator::start_with(
            &ns,
            &[
                ("HUB_CACHE_DIR", cache.to_str().unwrap()),
                ("SSL_CERT_FILE", server.ca_file.to_str().unwrap()),
                ("HTTPS_PROXY", &proxy_url),
                ("NO_PROXY", ""),
            ],
        );
        git_hub(&client, &ns, "proxied", &server.url("charts"), None, None).await;
        wait_hub(&client, &ns, "proxied", "the sync through the proxy", |h| {
            h.status.as_ref().and_then(|s| s.revision.as_deref()) == Some(first.as_str())
        })
        .await;
        let git = server.addr.to_string();
        assert!(proxy.targets().contains(&git), "no tunnel to {git}: {:?}", proxy.targets());
        let _ = std::fs::remove_dir_all(root);
        let _ = std::fs::remove_dir_all(cache);
    })
    .await;
}
