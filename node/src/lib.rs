//! The ChaosCenter node agent: applies and reverts node-level faults (ChaosInjection objects of its node):
//! network faults inside target pods' network namespaces, container kills, stressors in containers'
//! cgroups or on the node, disk fills, DNS and HTTP interception; journals what it created, and publishes
//! what its node can do on a Lease.

pub mod agent;
pub mod caps;
pub mod cgroup;
pub mod config;
pub mod controller;
pub mod cri;
pub mod dns;
pub mod engine;
pub mod fill;
pub mod held;
pub mod http;
pub mod inject;
pub mod journal;
pub mod kill;
pub mod lease;
pub mod netns;
pub mod plan;
pub mod stress;
