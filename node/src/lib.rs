//! The ChaosCenter node agent: applies and reverts node-level network faults (ChaosInjection objects of
//! its node) inside target pods' network namespaces, journals what it created, and publishes what its node
//! can do on a Lease.

pub mod agent;
pub mod caps;
pub mod config;
pub mod controller;
pub mod cri;
pub mod engine;
pub mod inject;
pub mod journal;
pub mod lease;
pub mod netns;
pub mod plan;
