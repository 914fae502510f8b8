//! Finding a pod's network namespace through the container runtime's CRI API: the pod's ready sandbox
//! (by the kubelet's `io.kubernetes.pod.uid` label) and its process id, from the sandbox's verbose status.
//! The sandbox (pause) process holds the namespace, so a crash-looping app container does not matter.

use anyhow::Context as _;
use hyper_util::rt::TokioIo;
use k8s_cri::v1::runtime_service_client::RuntimeServiceClient;
use k8s_cri::v1::{
    ListPodSandboxRequest, PodSandboxFilter, PodSandboxState, PodSandboxStateValue, PodSandboxStatusRequest,
};
use std::path::{Path, PathBuf};
use std::time::Duration;
use tonic::transport::{Endpoint, Uri};

/// How long one CRI call may take.
const CALL_TIMEOUT: Duration = Duration::from_secs(10);

/// The process id of the ready sandbox of the pod with `pod_uid`.
pub async fn sandbox_pid(socket: &Path, pod_uid: &str) -> anyhow::Result<u32> {
    tokio::time::timeout(CALL_TIMEOUT, lookup(socket, pod_uid)).await.with_context(|| {
        format!("the container runtime at {} did not answer within {CALL_TIMEOUT:?}", socket.display())
    })?
}

async fn lookup(socket: &Path, pod_uid: &str) -> anyhow::Result<u32> {
    let path: PathBuf = socket.to_path_buf();
    let channel = Endpoint::try_from("http://[::]:0")?
        .connect_with_connector(tower::service_fn(move |_: Uri| {
            let path = path.clone();
            async move { Ok::<_, std::io::Error>(TokioIo::new(tokio::net::UnixStream::connect(path).await?)) }
        }))
        .await
        .with_context(|| format!("failed to connect to the container runtime at {}", socket.display()))?;
    let mut client = RuntimeServiceClient::new(channel);
    let filter = PodSandboxFilter {
        id: String::new(),
        state: Some(PodSandboxStateValue { state: PodSandboxState::SandboxReady as i32 }),
        label_selector: [("io.kubernetes.pod.uid".to_string(), pod_uid.to_string())].into(),
    };
    let mut sandboxes = client
        .list_pod_sandbox(ListPodSandboxRequest { filter: Some(filter) })
        .await
        .context("ListPodSandbox failed")?
        .into_inner()
        .items;
    sandboxes.sort_by_key(|s| std::cmp::Reverse(s.created_at));
    let sandbox = sandboxes
        .first()
        .with_context(|| format!("the runtime has no ready sandbox for pod uid {pod_uid}"))?;
    let status = client
        .pod_sandbox_status(PodSandboxStatusRequest { pod_sandbox_id: sandbox.id.clone(), verbose: true })
        .await
        .context("PodSandboxStatus failed")?
        .into_inner();
    let info = status.info.get("info").context("the runtime's sandbox status has no verbose info")?;
    pid_of(info).with_context(|| format!("sandbox {} has no process id in its verbose info", sandbox.id))
}

/// The `pid` in a sandbox's verbose info JSON (containerd and CRI-O both report it there).
fn pid_of(info: &str) -> Option<u32> {
    let value: serde_json::Value = serde_json::from_str(info).ok()?;
    value.get("pid")?.as_u64().and_then(|p| u32::try_from(p).ok()).filter(|p| *p > 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pid_comes_from_the_verbose_info() {
        assert_eq!(pid_of(r#"{"pid": 4242, "processStatus": "running"}"#), Some(4242));
        assert_eq!(pid_of(r#"{"pid": 0}"#), None);
        assert_eq!(pid_of(r#"{"pid": 1}"#), None, "never the host's init");
        assert_eq!(pid_of("not json"), None);
    }
}
