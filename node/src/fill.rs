//! disk-fill: a file of the asked size in the container's writable layer or a mounted volume, refused where the node's disk would pass its threshold, removed afterwards.

use crate::held::{Held, Record, Scene, Started};
use chaoscenter_crds::injection::NodeFault;
use std::io::Write;
use std::path::{Path, PathBuf};

const MIB: u64 = 1 << 20;

fn fault<'a>(scene: &'a Scene<'_>) -> Result<(&'a Option<String>, u64, &'a str), String> {
    match &scene.spec.fault {
        NodeFault::DiskFill { container, bytes, path } => Ok((container, *bytes, path)),
        other => Err(format!("{} is not disk-fill", other.name())),
    }
}

/// The file the fill will write (nothing is touched yet): `.chaoscenter-fill-<uid>` in the directory
/// `path` of the container, as a host path that outlives the container's process where the agent can see
/// one (the overlay's upper layer, a volume's directory), else through the process's root.
pub async fn prepare(scene: &Scene<'_>) -> Result<Record, String> {
    let (container, _, path) = fault(scene)?;
    let c =
        crate::cri::target_container(&scene.config.cri_socket, &scene.spec.target.uid, container.as_deref())
            .await
            .map_err(|e| format!("failed to find the target container: {e:#}"))?;
    let through_root = PathBuf::from(format!("/proc/{}/root", c.pid)).join(path.trim_start_matches('/'));
    if !through_root.is_dir() {
        return Err(format!("path {path:?} is not a directory in container {}", c.name));
    }
    let visible = || -> Option<PathBuf> {
        let inside = std::fs::read_to_string(format!("/proc/{}/mountinfo", c.pid)).ok()?;
        let here = std::fs::read_to_string("/proc/self/mountinfo").ok()?;
        let host = crate::cgroup::host_path(
            &crate::cgroup::parse_mountinfo(&inside),
            &crate::cgroup::parse_mountinfo(&here),
            path,
        )?;
        host.is_dir().then_some(host)
    };
    let dir = visible().unwrap_or(through_root);
    let short: String = scene.injection_uid.chars().filter(char::is_ascii_alphanumeric).take(12).collect();
    let file = dir.join(format!(".chaoscenter-fill-{short}"));
    Ok(Record { files: vec![file.display().to_string()], ..Default::default() })
}

/// Starts the fault of `scene`: refuses where the filesystem would be more used than the agent's
/// threshold, then writes the file with real blocks (zeros, synced).
pub async fn start(scene: &Scene<'_>, record: &mut Record) -> Result<Started, String> {
    let (_, bytes, path) = fault(scene)?;
    if bytes == 0 {
        return Err("disk-fill needs a size above 0 bytes".into());
    }
    let file = PathBuf::from(record.files.first().ok_or("disk-fill has no file in its record")?);
    let dir = file.parent().ok_or("the fill file has no directory")?.to_path_buf();
    let fs = nix::sys::statvfs::statvfs(&dir)
        .map_err(|e| format!("failed to read the filesystem of {}: {e}", dir.display()))?;
    // as df counts: used of what is used plus what may still be written (blocks reserved for root and
    // ones a thin-provisioned disk cannot back are not room)
    let block = fs.fragment_size() as u64;
    let used = (fs.blocks() as u64).saturating_sub(fs.blocks_free() as u64) * block;
    let total = used + fs.blocks_available() as u64 * block;
    let max = scene.config.disk_fill_max_used_percent;
    let after = used_percent(used + bytes, total);
    if after > max {
        return Err(format!(
            "the filesystem holding {path} would be {after:.1} % used after {} MiB (it is {:.1} % used of {} MiB); the agent's limit is {max} % (DISK_FILL_MAX_USED_PERCENT)",
            bytes / MIB,
            used_percent(used, total),
            total / MIB
        ));
    }
    let target = file.clone();
    tokio::task::spawn_blocking(move || write_zeros(&target, bytes))
        .await
        .map_err(|e| format!("the fill's writer failed: {e}"))?
        .map_err(|e| {
            let _ = std::fs::remove_file(&file);
            format!("failed to write {} MiB under {path}: {e}", bytes / MIB)
        })?;
    let name = file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let shown = Path::new(path).join(name);
    let note = format!(
        "wrote {} MiB to {} ({:.1} % of its filesystem used after)",
        bytes / MIB,
        shown.display(),
        after
    );
    Ok(Started { held: Box::new(Fill { file, note }), mechanism: "fill-file" })
}

fn used_percent(used: u64, total: u64) -> f64 {
    if total == 0 {
        100.0
    } else {
        used as f64 * 100.0 / total as f64
    }
}

/// Writes `bytes` zeros to `file` in 1 MiB chunks and syncs it (real blocks: a preallocated file is not
/// counted as used by every filesystem).
fn write_zeros(file: &Path, bytes: u64) -> std::io::Result<()> {
    let chunk = vec![0u8; MIB as usize];
    let mut f = std::fs::File::create(file)?;
    let mut left = bytes;
    while left > 0 {
        let n = left.min(MIB) as usize;
        f.write_all(&chunk[..n])?;
        left -= n as u64;
    }
    f.sync_all()
}

struct Fill {
    file: PathBuf,
    note: String,
}

#[async_trait::async_trait]
impl Held for Fill {
    async fn release(self: Box<Self>) -> anyhow::Result<Vec<String>> {
        match std::fs::remove_file(&self.file) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Ok(vec![format!("file {} ({e})", self.file.display())]),
        }
        Ok(if self.file.exists() { vec![format!("file {}", self.file.display())] } else { vec![] })
    }

    fn note(&self) -> Option<String> {
        Some(self.note.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fill_is_written_with_real_blocks() {
        use std::os::unix::fs::MetadataExt;
        let dir = std::env::temp_dir().join(format!("chaoscenter-fill-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("f");
        write_zeros(&file, 3 * MIB + 5).unwrap();
        let meta = std::fs::metadata(&file).unwrap();
        assert_eq!(meta.len(), 3 * MIB + 5);
        assert!(meta.blocks() * 512 >= 3 * MIB, "{} blocks", meta.blocks());
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(used_percent(50, 200), 25.0);
        assert_eq!(used_percent(1, 0), 100.0, "an empty filesystem has no room");
    }
}
