//! The one integration-test binary: real RabbitMQ, the Hub simulator and the app on local ports.

mod generator;
mod helpers;
mod receiver;
mod spine;
