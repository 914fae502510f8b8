//! The ChaosCenter operator: controllers for workflows and runs, the execution engine, faults injected
//! through the Kubernetes API, probes, metrics and leader election.
#![forbid(unsafe_code)]

pub mod config;
pub mod controllers;
pub mod engine;
pub mod faults;
pub mod leader;
pub mod metrics;
pub mod probes;
pub mod schedule;
pub mod server;
