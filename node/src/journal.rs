//! The journal: one file per injection under the state directory, written before the agent touches a
//! pod and removed after a verified revert, so a restarted agent knows what to clean up.

use crate::held::Record;
use crate::plan::Created;
use anyhow::Context as _;
use serde::{Deserialize, Serialize};
use std::io::Write as _;
use std::path::{Path, PathBuf};

/// What one injection did (or is about to do) to one pod's network namespace.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Entry {
    pub injection_uid: String,
    pub namespace: String,
    pub name: String,
    pub run_name: String,
    pub run_uid: String,
    pub pod_uid: String,
    /// The pod's network namespace: its inode, and the sandbox process that held it (both 0 for a fault
    /// on the node itself).
    pub netns_inode: u64,
    pub sandbox_pid: u32,
    /// The mechanism's name, e.g. `nfqueue` or `cgroup-stressor`.
    pub mechanism: String,
    /// A network fault's chains, qdisc and queue.
    #[serde(default)]
    pub created: Created,
    /// A held fault's processes, files and nat chains.
    #[serde(default)]
    pub held: Record,
    /// When the fault must be gone (RFC 3339).
    pub expires_at: String,
}

/// The journal directory.
#[derive(Clone, Debug)]
pub struct Journal {
    dir: PathBuf,
}

impl Journal {
    /// The journal in `dir` (created if missing, readable by root only).
    pub fn open(dir: &Path) -> anyhow::Result<Self> {
        std::fs::create_dir_all(dir).with_context(|| format!("failed to create {}", dir.display()))?;
        Ok(Self { dir: dir.to_path_buf() })
    }

    fn path(&self, uid: &str) -> PathBuf {
        let safe: String = uid.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '-').collect();
        self.dir.join(format!("{safe}.json"))
    }

    /// Records `entry` durably (written to a temporary file, synced, renamed over the old one).
    pub fn write(&self, entry: &Entry) -> anyhow::Result<()> {
        let path = self.path(&entry.injection_uid);
        let tmp = path.with_extension("tmp");
        let mut file =
            std::fs::File::create(&tmp).with_context(|| format!("failed to create {}", tmp.display()))?;
        file.write_all(&serde_json::to_vec_pretty(entry)?)?;
        file.sync_all()?;
        std::fs::rename(&tmp, &path).with_context(|| format!("failed to write {}", path.display()))?;
        Ok(())
    }

    /// Forgets injection `uid` (nothing to do when it is not there).
    pub fn remove(&self, uid: &str) -> anyhow::Result<()> {
        match std::fs::remove_file(self.path(uid)) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                Err(e).context("failed to remove a journal entry")
            }
            _ => Ok(()),
        }
    }

    /// Every entry, and the files that could not be read (named, with the reason).
    pub fn list(&self) -> anyhow::Result<(Vec<Entry>, Vec<String>)> {
        let (mut entries, mut bad) = (vec![], vec![]);
        for file in
            std::fs::read_dir(&self.dir).with_context(|| format!("failed to read {}", self.dir.display()))?
        {
            let path = file?.path();
            if path.extension().is_none_or(|e| e != "json") {
                continue;
            }
            match std::fs::read(&path)
                .map_err(anyhow::Error::from)
                .and_then(|b| Ok(serde_json::from_slice(&b)?))
            {
                Ok(entry) => entries.push(entry),
                Err(e) => bad.push(format!("{}: {e}", path.display())),
            }
        }
        entries.sort_by(|a: &Entry, b| a.injection_uid.cmp(&b.injection_uid));
        Ok((entries, bad))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(uid: &str) -> Entry {
        Entry {
            injection_uid: uid.into(),
            namespace: "ns".into(),
            name: "inj".into(),
            run_name: "run".into(),
            run_uid: "r-1".into(),
            pod_uid: "p-1".into(),
            netns_inode: 4026532000,
            sandbox_pid: 4242,
            mechanism: "nfqueue".into(),
            created: Created { chains: vec!["CC-abc-O".into()], qdisc_handle: None, queue: Some(100) },
            held: Record::default(),
            expires_at: "2026-01-01T00:00:00Z".into(),
        }
    }

    #[test]
    fn entries_are_written_listed_and_removed() {
        let dir = std::env::temp_dir().join(format!("cc-journal-{}", std::process::id()));
        let journal = Journal::open(&dir).unwrap();
        journal.write(&entry("b-2")).unwrap();
        journal.write(&entry("a-1")).unwrap();
        journal.write(&entry("a-1")).unwrap();
        std::fs::write(dir.join("junk.json"), b"{").unwrap();
        let (entries, bad) = journal.list().unwrap();
        assert_eq!(entries.iter().map(|e| e.injection_uid.as_str()).collect::<Vec<_>>(), vec!["a-1", "b-2"]);
        assert_eq!(entries[0], entry("a-1"));
        assert_eq!(bad.len(), 1, "{bad:?}");
        journal.remove("a-1").unwrap();
        journal.remove("a-1").unwrap();
        journal.remove("../../etc/passwd").unwrap();
        assert_eq!(journal.list().unwrap().0.len(), 1);
        std::fs::remove_dir_all(dir).unwrap();
    }
}
