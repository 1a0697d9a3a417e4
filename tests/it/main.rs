//! The one integration-test binary: real RabbitMQ, the Hub simulator and the app on local ports.

mod approver;
mod cli;
mod deploy;
mod etiquette;
mod faults;
mod generator;
mod helpers;
mod load;
mod moves;
mod operator;
mod plan;
mod hub_client;
mod processes;
mod rate_limits;
mod receiver;
mod scaleout;
mod sim;
mod smoke;
mod smoke_honest;
mod tasks;
mod webhook_cli;
mod spine;
mod weights;
