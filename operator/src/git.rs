//! The hub controller's git client: a shallow fetch (depth 1) of one branch into a per-hub cache over
//! https or ssh, with credentials from the hub's Secret, size limits, and the fetched commit's files read
//! into a map — with every error message stripped of credentials.

use chaoscenter_hub::Files;
use gix::bstr::ByteSlice;
use std::num::NonZeroU32;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// What a fetch may hold: beyond any of these the hub is refused (`TooLarge`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// The repository's objects on disk after the fetch (`HUB_MAX_REPO_BYTES`).
    pub repo_bytes: u64,
    /// Files under the hub's path (`HUB_MAX_FILES`).
    pub files: usize,
    /// One file under the hub's path (`HUB_MAX_FILE_BYTES`).
    pub file_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self { repo_bytes: 50 << 20, files: 5000, file_bytes: 1 << 20 }
    }
}

/// How to authenticate to the repository (from the hub's Secret).
#[derive(Clone, Default)]
pub enum Credentials {
    #[default]
    None,
    /// https basic authentication (a token is a password; see `docs/hubs.md`).
    Basic { username: String, password: String },
    /// ssh: a private key, and the known_hosts the server's host key must be in (always checked).
    Ssh { private_key: String, known_hosts: String },
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::None => f.write_str("None"),
            Self::Basic { username, .. } => write!(f, "Basic({username}, <redacted>)"),
            Self::Ssh { .. } => f.write_str("Ssh(<redacted>)"),
        }
    }
}

/// Why a fetch failed; each becomes the `Synced=False` condition's reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FetchError {
    /// The hub's spec cannot be fetched as written (e.g. the URL, the branch, the path).
    #[error("{0}")]
    InvalidSpec(String),
    /// The server refused the credentials (or asked for some and none were given).
    #[error("{0}")]
    AuthenticationFailed(String),
    /// A limit was exceeded.
    #[error("{0}")]
    TooLarge(String),
    /// Anything else: the network, the server, the repository on disk.
    #[error("{0}")]
    FetchFailed(String),
}

impl FetchError {
    /// The PascalCase reason for the condition.
    pub fn reason(&self) -> &'static str {
        match self {
            Self::InvalidSpec(_) => "InvalidSpec",
            Self::AuthenticationFailed(_) => "AuthenticationFailed",
            Self::TooLarge(_) => "TooLarge",
            Self::FetchFailed(_) => "FetchFailed",
        }
    }
}

/// What to fetch.
#[derive(Clone, Debug)]
pub struct Request {
    pub url: String,
    pub branch: String,
    /// The folder of the repository to read (empty: all of it).
    pub path: String,
    pub credentials: Credentials,
    /// The hub's cache (a bare repository, created when missing).
    pub cache: PathBuf,
    pub limits: Limits,
    /// The commit synced last: when the branch still points there and the cache holds it, nothing is
    /// downloaded and no file is read.
    pub known: Option<String>,
}

/// What a fetch found.
#[derive(Clone, Debug, PartialEq)]
pub enum Fetched {
    /// The branch still points at the known commit.
    Unchanged,
    /// A new commit and the files under the hub's path.
    Changed { revision: String, files: Files },
}

/// Fetches `req` (blocking: run it with `spawn_blocking`). Errors never hold credentials.
pub fn fetch(req: &Request) -> Result<Fetched, FetchError> {
    let url = req.url.trim();
    if is_ssh(url) {
        if !matches!(req.credentials, Credentials::Ssh { .. }) {
            return Err(FetchError::InvalidSpec(
                "spec.git.secretRef: an ssh repository needs a Secret with `ssh-privatekey` and `known_hosts`".into(),
            ));
        }
    } else if !(url.starts_with("https://") || url.starts_with("http://")) {
        return Err(FetchError::InvalidSpec(format!("spec.git.url: {} is not an https URL", redact(url))));
    }
    if let Some(parsed) = url::Url::parse(url).ok().filter(|_| !is_ssh(url)) {
        if !parsed.username().is_empty() || parsed.password().is_some() {
            return Err(FetchError::InvalidSpec(
                "spec.git.url: credentials do not belong in the URL; put them in the Secret named by spec.git.secretRef".into(),
            ));
        }
    }
    if gix::refs::PartialName::try_from(req.branch.as_str()).is_err() || req.branch.starts_with('-') {
        return Err(FetchError::InvalidSpec(format!(
            "spec.git.branch: {:?} is not a branch name",
            req.branch
        )));
    }
    let ssh_dir = ssh_dir(&req.cache);
    let mut result = fetch_inner(req, url, &ssh_dir);
    if let Err(FetchError::FetchFailed(_) | FetchError::AuthenticationFailed(_)) = &result {
        // ssh's own words (its log) say why better than a broken pipe does
        if let Some(why) = ssh_failure(&ssh_dir) {
            result = Err(why);
        }
    }
    // the key never outlives the fetch
    let _ = std::fs::remove_dir_all(&ssh_dir);
    if result.is_err() && !matches!(result, Err(FetchError::InvalidSpec(_))) {
        // a partial or odd cache costs only a re-fetch; never let it poison the next attempt
        let _ = std::fs::remove_dir_all(&req.cache);
    }
    result
}

// the credentials callback's error type is gix's own, and large
#[allow(clippy::result_large_err)]
fn fetch_inner(req: &Request, url: &str, ssh_dir: &Path) -> Result<Fetched, FetchError> {
    let failed = |what: &str, e: &dyn std::fmt::Display| {
        FetchError::FetchFailed(format!("{what}: {}", redact(&e.to_string())))
    };
    let mut repo = open_or_init(&req.cache).map_err(|e| failed("the hub's cache", &e))?;
    if let Credentials::Ssh { private_key, known_hosts } = &req.credentials {
        let command =
            ssh_command(ssh_dir, private_key, known_hosts).map_err(|e| failed("writing the ssh key", &e))?;
        repo.config_snapshot_mut()
            .set_value(&gix::config::tree::Core::SSH_COMMAND, command.as_str())
            .map_err(|e| failed("configuring ssh", &e))?;
    }
    let refspec = format!("+refs/heads/{0}:refs/remotes/origin/{0}", req.branch);
    let remote = repo
        .remote_at(url)
        .map_err(|e| FetchError::InvalidSpec(format!("spec.git.url: {}", redact(&e.to_string()))))?
        .with_refspecs([refspec.as_str()], gix::remote::Direction::Fetch)
        .map_err(|e| FetchError::InvalidSpec(format!("spec.git.branch: {}", redact(&e.to_string()))))?;
    let creds = req.credentials.clone();
    let asked = Arc::new(AtomicBool::new(false));
    let asked_in = asked.clone();
    let connection = remote
        .connect(gix::remote::Direction::Fetch)
        .map_err(|e| classify(&e, false))?
        // never the configured helpers or a prompt: only what the Secret holds
        .with_credentials(move |action| {
            use gix::credentials::helper::Action;
            match action {
                Action::Get(ctx) => {
                    asked_in.store(true, Ordering::SeqCst);
                    match &creds {
                        Credentials::Basic { username, password } => {
                            Ok(Some(gix::credentials::protocol::Outcome {
                                identity: gix::sec::identity::Account {
                                    username: username.clone(),
                                    password: password.clone(),
                                    oauth_refresh_token: None,
                                },
                                next: ctx.into(),
                            }))
                        }
                        Credentials::None | Credentials::Ssh { .. } => {
                            Err(gix::credentials::protocol::Error::IdentityMissing {
                                context: gix::credentials::protocol::Context::default(),
                            })
                        }
                    }
                }
                Action::Store(_) | Action::Erase(_) => Ok(None),
            }
        });
    let interrupt = Arc::new(AtomicBool::new(false));
    let anonymous = matches!(req.credentials, Credentials::None);
    let prepared = connection.prepare_fetch(gix::progress::Discard, Default::default()).map_err(|e| {
        if anonymous && asked.load(Ordering::SeqCst) {
            FetchError::AuthenticationFailed(
                "the server asks for credentials and spec.git.secretRef names no Secret holding them".into(),
            )
        } else {
            classify(&e, asked.load(Ordering::SeqCst))
        }
    })?;
    let wanted = format!("refs/heads/{}", req.branch);
    let tip = prepared
        .ref_map()
        .mappings
        .iter()
        .find(|m| m.remote.as_name().map(|n| n.as_bstr() == wanted.as_bytes()).unwrap_or(false))
        .and_then(|m| m.remote.as_id().map(|id| id.to_owned()))
        .ok_or_else(|| {
            FetchError::InvalidSpec(format!("spec.git.branch: the repository has no branch {:?}", req.branch))
        })?;
    if req.known.as_deref() == Some(tip.to_string().as_str()) && repo.has_object(tip) {
        return Ok(Fetched::Unchanged);
    }

    // the pack being received is watched: past the limit the fetch is interrupted
    let too_large = Arc::new(AtomicBool::new(false));
    let done = Arc::new(AtomicBool::new(false));
    let watcher = {
        let (dir, limit, interrupt, too_large, done) =
            (req.cache.clone(), req.limits.repo_bytes, interrupt.clone(), too_large.clone(), done.clone());
        std::thread::spawn(move || {
            while !done.load(Ordering::SeqCst) {
                if dir_size(&dir) > limit {
                    too_large.store(true, Ordering::SeqCst);
                    interrupt.store(true, Ordering::SeqCst);
                    return;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        })
    };
    let received = prepared
        .with_shallow(gix::remote::fetch::Shallow::DepthAtRemote(NonZeroU32::MIN))
        .receive(gix::progress::Discard, &interrupt);
    done.store(true, Ordering::SeqCst);
    let _ = watcher.join();
    let repo_too_large = || {
        FetchError::TooLarge(format!(
            "the repository is larger than HUB_MAX_REPO_BYTES ({} bytes) at depth 1",
            req.limits.repo_bytes
        ))
    };
    if too_large.load(Ordering::SeqCst) {
        return Err(repo_too_large());
    }
    received.map_err(|e| classify(&e, asked.load(Ordering::SeqCst)))?;
    if dir_size(&req.cache) > req.limits.repo_bytes {
        return Err(repo_too_large());
    }
    let files = read_files(&repo, tip, &req.path, &req.limits)?;
    Ok(Fetched::Changed { revision: tip.to_string(), files })
}

/// Whether `url` is an ssh URL (`ssh://…` or scp-like `user@host:path`).
fn is_ssh(url: &str) -> bool {
    url.starts_with("ssh://") || (!url.contains("://") && url.contains('@') && url.contains(':'))
}

/// Where a fetch's ssh key and known_hosts are written: beside the cache, removed after the fetch. The
/// leading dot keeps it apart from every hub's cache (Kubernetes names start with a letter or digit).
fn ssh_dir(cache: &Path) -> PathBuf {
    let mut name = std::ffi::OsString::from(".");
    name.push(cache.file_name().unwrap_or_default());
    name.push(".ssh");
    cache.with_file_name(name)
}

/// Makes the hubs' cache `root` (only the operator may read it) and removes the ssh keys a fetch
/// interrupted by a crash left in it (`<namespace>/.<hub>.ssh`); run once at start, before any fetch.
pub fn prepare_cache(root: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new().recursive(true).mode(0o700).create(root)?;
    for namespace in std::fs::read_dir(root)?.flatten().map(|ns| ns.path()).filter(|p| p.is_dir()) {
        let Ok(entries) = std::fs::read_dir(&namespace) else { continue };
        for dir in entries.flatten().map(|e| e.path()) {
            let name = dir.file_name().unwrap_or_default().to_string_lossy().into_owned();
            if name.starts_with('.') && name.ends_with(".ssh") {
                std::fs::remove_dir_all(&dir)?;
                tracing::info!(dir = %dir.display(), "removed an ssh key left by an interrupted fetch");
            }
        }
    }
    Ok(())
}

/// Writes the key (0600) and known_hosts into `dir` and returns the ssh command that uses exactly them:
/// no user or system ssh configuration, host keys always checked, never a prompt.
fn ssh_command(dir: &Path, private_key: &str, known_hosts: &str) -> std::io::Result<String> {
    use std::io::Write;
    use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
    let _ = std::fs::remove_dir_all(dir);
    std::fs::DirBuilder::new().recursive(true).mode(0o700).create(dir)?;
    let write = |name: &str, content: &str| -> std::io::Result<PathBuf> {
        let path = dir.join(name);
        let mut file = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(&path)?;
        file.write_all(content.as_bytes())?;
        if !content.ends_with('\n') {
            file.write_all(b"\n")?;
        }
        Ok(path)
    };
    let key = write("key", private_key)?;
    let hosts = write("known_hosts", known_hosts)?;
    let quote = |p: &Path| format!("'{}'", p.display().to_string().replace('\'', "'\\''"));
    Ok(format!(
        "ssh -F /dev/null -E {} -i {} -o IdentitiesOnly=yes -o UserKnownHostsFile={} -o GlobalKnownHostsFile=/dev/null \
         -o StrictHostKeyChecking=yes -o BatchMode=yes -o ConnectTimeout=20",
        quote(&dir.join("ssh.log")),
        quote(&key),
        quote(&hosts)
    ))
}

/// Why ssh failed, from its log (written by `-E`), when it says.
fn ssh_failure(dir: &Path) -> Option<FetchError> {
    let log = std::fs::read_to_string(dir.join("ssh.log")).ok()?;
    let last = redact(log.lines().rev().find(|l| !l.trim().is_empty())?.trim());
    let lower = log.to_lowercase();
    Some(
        if lower.contains("host key verification failed") || lower.contains("host identification has changed")
        {
            FetchError::AuthenticationFailed(format!(
            "the server's host key is not in the Secret's known_hosts (host keys are always checked): {last}"
        ))
        } else if lower.contains("permission denied") {
            FetchError::AuthenticationFailed(format!("the server refused the ssh key: {last}"))
        } else {
            FetchError::FetchFailed(format!("ssh: {last}"))
        },
    )
}

/// The hub's cache, opened without any user or system git configuration (no helpers, no rewrites).
fn open_or_init(dir: &Path) -> Result<gix::Repository, Box<dyn std::error::Error + Send + Sync>> {
    if dir.join("HEAD").exists() {
        if let Ok(repo) = gix::open_opts(dir, gix::open::Options::isolated()) {
            return Ok(repo);
        }
        std::fs::remove_dir_all(dir)?;
    }
    std::fs::create_dir_all(dir)?;
    gix::init_bare(dir)?;
    Ok(gix::open_opts(dir, gix::open::Options::isolated())?)
}

/// The files of `commit` under `path`, keyed by their path from the repository's root.
fn read_files(
    repo: &gix::Repository,
    commit: gix::ObjectId,
    path: &str,
    limits: &Limits,
) -> Result<Files, FetchError> {
    let failed =
        |e: &dyn std::fmt::Display| FetchError::FetchFailed(format!("reading the fetched commit: {e}"));
    let root = path.trim_matches('/');
    let commit = repo.find_commit(commit).map_err(|e| failed(&e))?;
    let mut tree = commit.tree().map_err(|e| failed(&e))?;
    if !root.is_empty() {
        let entry = tree.lookup_entry_by_path(root).map_err(|e| failed(&e))?.ok_or_else(|| {
            FetchError::InvalidSpec(format!("spec.git.path: {root:?} is not in the repository"))
        })?;
        if !entry.mode().is_tree() {
            return Err(FetchError::InvalidSpec(format!("spec.git.path: {root:?} is not a folder")));
        }
        tree = entry.object().map_err(|e| failed(&e))?.into_tree();
    }
    let mut recorder = gix::traverse::tree::Recorder::default();
    tree.traverse().breadthfirst(&mut recorder).map_err(|e| failed(&e))?;
    let mut files = Files::new();
    for entry in recorder.records.iter().filter(|e| e.mode.is_blob()) {
        if files.len() >= limits.files {
            return Err(FetchError::TooLarge(format!(
                "{} holds more than HUB_MAX_FILES ({}) files",
                if root.is_empty() { "the repository" } else { root },
                limits.files
            )));
        }
        let name = entry.filepath.to_str_lossy();
        let full = if root.is_empty() { name.to_string() } else { format!("{root}/{name}") };
        let header = repo.find_header(entry.oid).map_err(|e| failed(&e))?;
        if header.size() > limits.file_bytes {
            return Err(FetchError::TooLarge(format!(
                "{full} is {} bytes, more than HUB_MAX_FILE_BYTES ({})",
                header.size(),
                limits.file_bytes
            )));
        }
        let blob = repo.find_blob(entry.oid).map_err(|e| failed(&e))?;
        files.insert(full, blob.data.clone());
    }
    Ok(files)
}

/// The bytes of every file under `dir`.
fn dir_size(dir: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else { return 0 };
    entries
        .flatten()
        .map(|e| match e.file_type() {
            Ok(t) if t.is_dir() => dir_size(&e.path()),
            Ok(_) => e.metadata().map(|m| m.len()).unwrap_or(0),
            Err(_) => 0,
        })
        .sum()
}

/// Classifies a gix error by its chain; the message is redacted.
fn classify(err: &(dyn std::error::Error + 'static), asked: bool) -> FetchError {
    let mut chain = Vec::new();
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = cur {
        let text = e.to_string();
        if chain.last() != Some(&text) {
            chain.push(text);
        }
        cur = e.source();
    }
    let message = redact(&chain.join(": "));
    let lower = message.to_lowercase();
    if lower.contains("host key verification failed") {
        return FetchError::AuthenticationFailed(format!(
            "the server's host key is not in the Secret's known_hosts (host keys are always checked): {message}"
        ));
    }
    // a server that cannot be reached refused nothing, whatever else the message holds
    let unreachable =
        ["connection refused", "tcp connect error", "dns error", "timed out", "no route to host"]
            .iter()
            .any(|m| lower.contains(m));
    // HTTP statuses as words of their own: a port such as 40195 is not a 401
    let status = |code: &str| lower.split(|c: char| !c.is_ascii_alphanumeric()).any(|word| word == code);
    if unreachable {
        FetchError::FetchFailed(message)
    } else if asked
        || lower.contains("permission denied")
        || status("401")
        || status("403")
        || lower.contains("authentication")
        || lower.contains("identity")
    {
        FetchError::AuthenticationFailed(format!("the server refused the credentials: {message}"))
    } else {
        FetchError::FetchFailed(message)
    }
}

/// `text` without the secrets it seems to hold: one place for it, `chaoscenter_core::redact` (the userinfo of
/// URLs, credentials, secret-named values, tokens).
pub use chaoscenter_core::redact::redact;

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct Text(&'static str);
    impl std::fmt::Display for Text {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str(self.0)
        }
    }
    impl std::error::Error for Text {}

    #[test]
    fn an_unreachable_server_is_a_failed_fetch_and_a_port_is_not_a_status() {
        let refused = Text("error sending request for url (https://127.0.0.1:40195/charts/info/refs?service=git-upload-pack): client error (Connect): tcp connect error: Connection refused (os error 111)");
        assert_eq!(classify(&refused, false).reason(), "FetchFailed");
        let on_port =
            Text("error sending request for url (https://127.0.0.1:40195/x): received HTTP status 500");
        assert_eq!(classify(&on_port, false).reason(), "FetchFailed");
        let denied = Text("received HTTP status 401 from https://127.0.0.1:40195/x");
        assert_eq!(classify(&denied, false).reason(), "AuthenticationFailed");
        assert_eq!(classify(&Text("HTTP 403 Forbidden"), false).reason(), "AuthenticationFailed");
    }

    #[test]
    fn refuses_credentials_in_the_url_and_ssh() {
        let req = |url: &str| Request {
            url: url.into(),
            branch: "main".into(),
            path: String::new(),
            credentials: Credentials::None,
            cache: std::env::temp_dir().join("chaoscenter-git-test-never-created"),
            limits: Limits::default(),
            known: None,
        };
        let err = fetch(&req("https://bob:s3cret@example.invalid/x.git")).unwrap_err();
        assert_eq!(err.reason(), "InvalidSpec");
        assert!(!err.to_string().contains("s3cret"), "{err}");
        // ssh needs a key and known_hosts
        assert_eq!(fetch(&req("ssh://git@example.invalid/x.git")).unwrap_err().reason(), "InvalidSpec");
        assert_eq!(fetch(&req("git@example.invalid:x.git")).unwrap_err().reason(), "InvalidSpec");
        let mut bad = req("https://example.invalid/x.git");
        bad.branch = "a..b".into();
        assert_eq!(fetch(&bad).unwrap_err().reason(), "InvalidSpec");
    }

    #[test]
    fn a_key_directory_is_never_a_hubs_cache_and_start_removes_only_keys() {
        let root = std::env::temp_dir().join(format!("chaoscenter-git-prepare-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        prepare_cache(&root).unwrap();
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&root).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o700, "only the operator may read the cache");
        // hub `a`'s key directory, and the cache of a hub named `a.ssh` (a valid Kubernetes name)
        let key_dir = ssh_dir(&root.join("ns").join("a"));
        let namesake = root.join("ns").join("a.ssh");
        assert_ne!(key_dir, namesake);
        std::fs::create_dir_all(&key_dir).unwrap();
        std::fs::write(key_dir.join("key"), "secret").unwrap();
        std::fs::create_dir_all(&namesake).unwrap();
        prepare_cache(&root).unwrap();
        assert!(!key_dir.exists(), "a crash's key is removed");
        assert!(namesake.exists(), "a hub's cache is kept");
        std::fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn debug_hides_the_password() {
        let c = Credentials::Basic { username: "bob".into(), password: "s3cret".into() };
        assert!(!format!("{c:?}").contains("s3cret"));
    }
}
