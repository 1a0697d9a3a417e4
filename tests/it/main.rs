//! The one integration-test binary: real RabbitMQ, the Hub simulator and the app on local ports.

mod generator;
mod helpers;
mod hub_client;
mod receiver;
mod sim;
mod spine;
