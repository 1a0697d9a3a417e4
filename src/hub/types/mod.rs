//! Typed request and response bodies of the Hub calls the client makes (hub-api.md).

pub mod commit;
pub mod discussion;
pub mod repo;
pub mod space;
pub mod webhook;
