//! Ends a user's tokens when the cluster shows the user disabled, however that was done (the API,
//! kubectl, GitOps): enabling the user again later does not bring old tokens back.

use crate::store::TokenStore;
use chaoscenter_crds::ChaosUser;
use futures::StreamExt;
use kube::api::Api;
use kube::runtime::{watcher, WatchStreamExt};
use kube::ResourceExt;
use std::sync::Arc;

/// Watches every ChaosUser for the life of the process and records each one's `disabled` in the store.
pub fn end_tokens_of_disabled_users(client: kube::Client, store: Arc<dyn TokenStore>) {
    let stream = watcher(Api::<ChaosUser>::all(client), watcher::Config::default().any_semantic())
        .default_backoff()
        .applied_objects();
    tokio::spawn(async move {
        futures::pin_mut!(stream);
        while let Some(event) = stream.next().await {
            let user = match event {
                Ok(user) => user,
                Err(err) => {
                    tracing::warn!(%err, "watch error on ChaosUsers (retrying)");
                    continue;
                }
            };
            let name = user.name_any();
            match store.note_disabled(&name, user.spec.disabled).await {
                Ok(true) => {
                    tracing::info!(user = %name, "user disabled: every session and token of theirs ended")
                }
                Ok(false) => {}
                Err(err) => {
                    tracing::warn!(user = %name, %err, "could not record whether the user is disabled")
                }
            }
        }
    });
}
