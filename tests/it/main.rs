//! The one integration-test binary: real RabbitMQ, the Hub simulator and the app on local ports.

mod deploy;
mod helpers;
mod receiver;
