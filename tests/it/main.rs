//! The single integration-test binary: one module per area.

mod hub_client;
mod sim;
