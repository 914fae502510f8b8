//! The ChaosCenter operator: controllers for workflows and runs (around `chaoscenter-core`'s validator
//! and engine), faults injected through the Kubernetes API, probes, caches, metrics and leader election.
#![forbid(unsafe_code)]

pub mod config;
pub mod controllers;
pub mod faults;
pub mod git;
pub mod leader;
pub mod metrics;
pub mod probes;
pub mod runlog;
pub mod server;
#[cfg(test)]
mod testing;
pub mod world;
