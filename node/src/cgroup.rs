//! Processes' cgroups and mounts as `/proc` shows them: a process's cgroup directories (v1 hierarchies and
//! the v2 unified one), moving a process into them, a memory cgroup's limit and usage, and where a path
//! inside a container lies on the host (its mounts read from `mountinfo`).

use std::path::{Path, PathBuf};

/// A line of `/proc/<pid>/cgroup`: a hierarchy (its controllers; none for the v2 unified one) and the
/// process's cgroup in it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Membership {
    /// e.g. `["cpu", "cpuacct"]`, `["name=systemd"]`; empty for v2.
    pub controllers: Vec<String>,
    pub path: String,
}

impl Membership {
    fn v2(&self) -> bool {
        self.controllers.is_empty()
    }
}

/// The lines of a `/proc/<pid>/cgroup` text (unreadable lines are skipped).
pub fn parse_cgroup(text: &str) -> Vec<Membership> {
    text.lines()
        .filter_map(|line| {
            let mut parts = line.splitn(3, ':');
            let id = parts.next()?;
            let controllers = parts.next()?;
            let path = parts.next()?;
            let controllers: Vec<String> =
                controllers.split(',').filter(|c| !c.is_empty()).map(String::from).collect();
            // id 0 with no controllers is the unified (v2) hierarchy
            (id == "0" || !controllers.is_empty()).then(|| Membership { controllers, path: path.to_string() })
        })
        .collect()
}

/// A line of `/proc/<pid>/mountinfo`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mount {
    /// `major:minor` of the filesystem.
    pub device: String,
    /// The directory of the filesystem this mount shows (a bind mount's source directory).
    pub root: String,
    pub mount_point: String,
    pub fstype: String,
    pub source: String,
    /// The filesystem's options, e.g. `upperdir=…` of an overlay, the controllers of a cgroup v1 mount.
    pub super_options: Vec<String>,
}

/// The lines of a `mountinfo` text (octal escapes such as `\040` decoded; unreadable lines skipped).
pub fn parse_mountinfo(text: &str) -> Vec<Mount> {
    text.lines()
        .filter_map(|line| {
            let (left, right) = line.split_once(" - ")?;
            let left: Vec<&str> = left.split(' ').collect();
            let right: Vec<&str> = right.split(' ').collect();
            Some(Mount {
                device: left.get(2)?.to_string(),
                root: unescape(left.get(3)?),
                mount_point: unescape(left.get(4)?),
                fstype: right.first()?.to_string(),
                source: unescape(right.get(1)?),
                super_options: right.get(2).map(|o| o.split(',').map(unescape).collect()).unwrap_or_default(),
            })
        })
        .collect()
}

/// Decodes mountinfo's `\ooo` escapes (space, tab, newline, backslash).
fn unescape(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let octal = bytes
            .get(i + 1..i + 4)
            .filter(|d| bytes[i] == b'\\' && d.iter().all(|b| (b'0'..=b'7').contains(b)));
        match octal.and_then(|d| u8::from_str_radix(std::str::from_utf8(d).ok()?, 8).ok()) {
            Some(b) => {
                out.push(b);
                i += 4;
            }
            None => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// One of a process's cgroup directories on this host.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Dir {
    /// The hierarchy's controllers (empty: the v2 unified hierarchy).
    pub controllers: Vec<String>,
    pub dir: PathBuf,
}

impl Dir {
    pub fn v2(&self) -> bool {
        self.controllers.is_empty()
    }

    pub fn has(&self, controller: &str) -> bool {
        self.controllers.iter().any(|c| c == controller)
    }
}

/// The directories of `memberships` under the cgroup mounts among `mounts` (a hierarchy not mounted here
/// is left out).
pub fn dirs(memberships: &[Membership], mounts: &[Mount]) -> Vec<Dir> {
    memberships
        .iter()
        .filter_map(|m| {
            let mount = mounts.iter().find(|mount| {
                if m.v2() {
                    mount.fstype == "cgroup2"
                } else {
                    mount.fstype == "cgroup"
                        && m.controllers.iter().all(|c| mount.super_options.iter().any(|o| o == c))
                }
            })?;
            // a mount of a cgroup below the hierarchy's root (a cgroup namespace) shows paths below it
            let rel = within(&m.path, &mount.root)?;
            Some(Dir { controllers: m.controllers.clone(), dir: join(Path::new(&mount.mount_point), rel) })
        })
        .collect()
}

/// `path` relative to `base` when `base` is one of its ancestors (component-wise), or itself.
fn within<'a>(path: &'a str, base: &str) -> Option<&'a str> {
    let base = base.trim_end_matches('/');
    let rest = path.strip_prefix(base)?;
    (rest.is_empty() || rest.starts_with('/')).then(|| rest.trim_start_matches('/'))
}

/// The cgroup directories of process `pid` on this host.
pub fn of_process(pid: u32) -> anyhow::Result<Vec<Dir>> {
    let cgroup = std::fs::read_to_string(format!("/proc/{pid}/cgroup"))?;
    let mounts = std::fs::read_to_string("/proc/self/mountinfo")?;
    let found = dirs(&parse_cgroup(&cgroup), &parse_mountinfo(&mounts));
    anyhow::ensure!(!found.is_empty(), "none of process {pid}'s cgroups is mounted here");
    Ok(found)
}

/// The root cgroup of each hierarchy this agent is in (a node stressor's place, outside every pod).
pub fn roots() -> anyhow::Result<Vec<Dir>> {
    let cgroup = std::fs::read_to_string("/proc/self/cgroup")?;
    let mounts = std::fs::read_to_string("/proc/self/mountinfo")?;
    let mounts = parse_mountinfo(&mounts);
    let at_root: Vec<Membership> = parse_cgroup(&cgroup)
        .into_iter()
        .filter_map(|m| {
            // the root as this mount shows it (the mount's own root, under a cgroup namespace)
            let mount_root = mounts
                .iter()
                .find(|mount| {
                    if m.v2() {
                        mount.fstype == "cgroup2"
                    } else {
                        mount.fstype == "cgroup"
                            && m.controllers.iter().all(|c| mount.super_options.iter().any(|o| o == c))
                    }
                })?
                .root
                .clone();
            Some(Membership { path: mount_root, ..m })
        })
        .collect();
    Ok(dirs(&at_root, &mounts))
}

/// Moves process `pid` into each of `dirs`; an error names the directory that refused it.
pub fn move_into(pid: u32, dirs: &[Dir]) -> Result<(), String> {
    for d in dirs {
        let procs = d.dir.join("cgroup.procs");
        std::fs::write(&procs, pid.to_string())
            .map_err(|e| format!("failed to move process {pid} into {}: {e}", procs.display()))?;
    }
    Ok(())
}

/// The directory among `dirs` that accounts memory: the v1 memory hierarchy's, else the v2 one when it has
/// the memory controller.
pub fn memory_dir(dirs: &[Dir]) -> Option<&Dir> {
    dirs.iter()
        .find(|d| d.has("memory"))
        .or_else(|| dirs.iter().find(|d| d.v2() && d.dir.join("memory.max").exists()))
}

/// The memory limit of cgroup `dir` (`None`: unlimited or unreadable).
pub fn memory_limit(dir: &Dir) -> Option<u64> {
    let file = if dir.v2() { "memory.max" } else { "memory.limit_in_bytes" };
    parse_limit(&std::fs::read_to_string(dir.dir.join(file)).ok()?)
}

/// The memory cgroup `dir` uses now.
pub fn memory_usage(dir: &Dir) -> Option<u64> {
    let file = if dir.v2() { "memory.current" } else { "memory.usage_in_bytes" };
    std::fs::read_to_string(dir.dir.join(file)).ok()?.trim().parse().ok()
}

/// A memory limit file's value: v2 writes `max` for none, v1 a number near 2^63 (rounded to pages).
pub fn parse_limit(text: &str) -> Option<u64> {
    let text = text.trim();
    if text == "max" {
        return None;
    }
    text.parse::<u64>().ok().filter(|v| *v < 1 << 62)
}

/// How much a memory stressor may hold so that the cgroup's usage stays `margin` below `limit`: `wanted`,
/// or less (then `true`: capped).
pub fn memory_cap(wanted: u64, limit: u64, usage: u64, margin: u64) -> (u64, bool) {
    let room = limit.saturating_sub(usage).saturating_sub(margin);
    if wanted > room {
        (room, true)
    } else {
        (wanted, false)
    }
}

/// Where `path` (absolute, inside a container whose mounts are `container`) lies in the mounts of this
/// agent (`host`): in the writable (upper) layer of the container's overlay root, or in the host's mount
/// of the same filesystem (a volume); `None` when neither is visible here.
pub fn host_path(container: &[Mount], host: &[Mount], path: &str) -> Option<PathBuf> {
    let (mount, rest) = container
        .iter()
        .filter_map(|m| within(path, &m.mount_point).map(|rest| (m, rest)))
        .max_by_key(|(m, _)| m.mount_point.trim_end_matches('/').len())?;
    if mount.fstype == "overlay" && mount.root == "/" {
        let upper = mount.super_options.iter().find_map(|o| o.strip_prefix("upperdir="))?;
        return Some(join(Path::new(upper), rest));
    }
    let (h, below) = host
        .iter()
        .filter(|h| h.device == mount.device)
        .filter_map(|h| within(&mount.root, &h.root).map(|below| (h, below)))
        .min_by_key(|(h, _)| h.mount_point.len())?;
    Some(join(&Path::new(&h.mount_point).join(below), rest))
}

fn join(base: &Path, rest: &str) -> PathBuf {
    if rest.is_empty() {
        base.to_path_buf()
    } else {
        base.join(rest)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const V1: &str = "12:pids:/kubepods/besteffort/pod1/abc\n\
        9:name=systemd:/kubepods/besteffort/pod1/abc\n\
        4:memory:/kubepods/besteffort/pod1/abc\n\
        2:cpu,cpuacct:/kubepods/besteffort/pod1/abc\n\
        0::/\n";

    fn mount(line: &str) -> Mount {
        parse_mountinfo(line).remove(0)
    }

    #[test]
    fn cgroup_lines_of_v1_and_v2() {
        let m = parse_cgroup(V1);
        assert_eq!(m.len(), 5);
        assert_eq!(m[3].controllers, vec!["cpu", "cpuacct"]);
        assert_eq!(m[3].path, "/kubepods/besteffort/pod1/abc");
        assert!(m[4].v2());
        assert_eq!(
            parse_cgroup("0::/kubepods.slice/cri-containerd-x.scope\n")[0].path,
            "/kubepods.slice/cri-containerd-x.scope"
        );
        assert_eq!(parse_cgroup("garbage\n3::/x\n"), vec![], "no controllers is only the v2 line");
    }

    #[test]
    fn cgroup_dirs_follow_the_mounts_on_a_hybrid_host() {
        let mounts = parse_mountinfo(
            "30 25 0:26 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid - cgroup cgroup rw,cpu,cpuacct\n\
             31 25 0:27 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n\
             32 25 0:28 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw,nsdelegate\n\
             33 25 0:29 / /sys/fs/cgroup/systemd rw - cgroup cgroup rw,xattr,name=systemd\n",
        );
        let d = dirs(&parse_cgroup(V1), &mounts);
        let paths: Vec<String> = d.iter().map(|d| d.dir.display().to_string()).collect();
        assert_eq!(
            paths,
            [
                "/sys/fs/cgroup/systemd/kubepods/besteffort/pod1/abc",
                "/sys/fs/cgroup/memory/kubepods/besteffort/pod1/abc",
                "/sys/fs/cgroup/cpu,cpuacct/kubepods/besteffort/pod1/abc",
                "/sys/fs/cgroup/unified",
            ],
            "pids is not mounted here, so it is left out"
        );
        assert_eq!(
            memory_dir(&d).unwrap().dir,
            Path::new("/sys/fs/cgroup/memory/kubepods/besteffort/pod1/abc")
        );
    }

    #[test]
    fn cgroup_dirs_on_a_v2_host_and_under_a_cgroup_namespace() {
        let mounts = parse_mountinfo("40 1 0:30 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n");
        let d = dirs(&parse_cgroup("0::/kubepods/pod1/abc\n"), &mounts);
        assert_eq!(d, vec![Dir { controllers: vec![], dir: "/sys/fs/cgroup/kubepods/pod1/abc".into() }]);
        // a mount of /kubepods only (as inside a cgroup namespace): paths outside it are not reachable
        let ns = parse_mountinfo("40 1 0:30 /kubepods /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n");
        assert_eq!(
            dirs(&parse_cgroup("0::/kubepods/pod1/abc\n"), &ns)[0].dir,
            Path::new("/sys/fs/cgroup/pod1/abc")
        );
        assert_eq!(dirs(&parse_cgroup("0::/system.slice\n"), &ns), vec![]);
        assert_eq!(dirs(&parse_cgroup("0::/kubepodsX\n"), &ns), vec![], "a prefix is not an ancestor");
    }

    #[test]
    fn memory_limits_and_the_cap_below_them() {
        assert_eq!(parse_limit("max\n"), None);
        assert_eq!(parse_limit("9223372036854771712\n"), None, "v1's unlimited");
        assert_eq!(parse_limit("134217728\n"), Some(128 << 20));
        assert_eq!(parse_limit("x"), None);
        let mib = 1 << 20;
        assert_eq!(memory_cap(64 * mib, 128 * mib, 10 * mib, 8 * mib), (64 * mib, false));
        assert_eq!(memory_cap(128 * mib, 128 * mib, 10 * mib, 8 * mib), (110 * mib, true));
        assert_eq!(memory_cap(mib, 128 * mib, 127 * mib, 8 * mib), (0, true), "no room at all");
    }

    #[test]
    fn mountinfo_lines_with_optional_fields_and_escapes() {
        let m = mount(
            "2201 2100 0:301 / / rw,relatime master:1 shared:2 - overlay overlay rw,lowerdir=/l1:/l2,upperdir=/var/lib/c/snapshots/9/fs,workdir=/var/lib/c/snapshots/9/work\n",
        );
        assert_eq!((m.device.as_str(), m.root.as_str(), m.mount_point.as_str()), ("0:301", "/", "/"));
        assert_eq!(m.fstype, "overlay");
        assert!(m.super_options.contains(&"upperdir=/var/lib/c/snapshots/9/fs".to_string()));
        let m = mount("1 2 8:1 /a\\040b /mnt/x\\134y rw - ext4 /dev/sda1 rw\n");
        assert_eq!((m.root.as_str(), m.mount_point.as_str()), ("/a b", "/mnt/x\\y"));
        assert_eq!(parse_mountinfo("short line\n"), vec![]);
    }

    #[test]
    fn a_container_path_on_the_host_is_in_its_upper_layer_or_the_volume_source() {
        let container = parse_mountinfo(
            "1 0 0:301 / / rw - overlay overlay rw,lowerdir=/l,upperdir=/snap/9/fs,workdir=/snap/9/work\n\
             2 1 8:1 /var/lib/kubelet/pods/p/volumes/kubernetes.io~empty-dir/data /data rw - ext4 /dev/vda rw\n\
             3 1 0:5 / /dev rw - tmpfs tmpfs rw\n",
        );
        let host = parse_mountinfo(
            "10 0 8:1 / / rw - ext4 /dev/vda rw\n\
             11 10 8:1 /var/lib/kubelet /var/lib/kubelet rw - ext4 /dev/vda rw\n",
        );
        assert_eq!(host_path(&container, &host, "/tmp").unwrap(), Path::new("/snap/9/fs/tmp"));
        assert_eq!(host_path(&container, &host, "/").unwrap(), Path::new("/snap/9/fs"));
        assert_eq!(
            host_path(&container, &host, "/data/x").unwrap(),
            Path::new("/var/lib/kubelet/pods/p/volumes/kubernetes.io~empty-dir/data/x")
        );
        assert_eq!(host_path(&container, &host, "/dev/shm"), None, "a tmpfs the host does not show");
        assert_eq!(host_path(&container, &host, "/database").unwrap(), Path::new("/snap/9/fs/database"));
    }
}
