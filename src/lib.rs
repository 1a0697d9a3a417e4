//! lora-space-bot keeps the Gradio demo Space of a LoRA in step with the LoRA itself.
//!
//! End to end: the Hub POSTs a webhook to the [`http`] receiver, which verifies the shared
//! secret, keeps only main-branch content updates of linked LoRA repos ([`domain::hub_event`])
//! and publishes a signed [`domain::Job`] to RabbitMQ ([`queue`]) with publisher confirms.
//! A [`worker`] consumes it with manual acks and runs the [`worker::pipeline`]: fetch the LoRA
//! through the [`hub`] client, analyse its card ([`lora`]), plan and render the Space files
//! ([`space`]), diff them against the Space and open or update a pull request ([`publish`]).
//! The [`sim`] module is a Hub simulator speaking the same HTTP contract, used by tests,
//! `demo` and `sim`.

pub mod cli;
pub mod config;
pub mod demo;
pub mod domain;
pub mod http;
pub mod hub;
pub mod lora;
pub mod metrics;
pub mod publish;
pub mod queue;
pub mod shutdown;
pub mod sim;
pub mod smoke;
pub mod space;
pub mod telemetry;
pub mod worker;
