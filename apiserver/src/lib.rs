//! The ChaosCenter apiserver: the auth API (users, sessions, API tokens, membership) over the CRDs, with
//! every change made impersonating the caller; later the GraphQL facade, the MongoDB mirror and the UI.
#![forbid(unsafe_code)]

pub mod app;
#[cfg(test)]
pub(crate) mod app_tests;
pub mod audit;
pub mod auth;
pub mod client;
pub mod cluster;
pub mod config;
pub mod error;
#[cfg(test)]
pub(crate) mod fakes;
pub mod graphql;
#[cfg(test)]
mod graphql_tests;
pub mod history_store;
pub mod metrics;
pub mod mirror;
pub mod passwords;
pub mod store;
pub mod throttle;
pub mod tokens;
pub mod webhook;
