//! The production Hub client against the simulator over real HTTP, one module per area.

mod commits;
mod discussions;
mod errors;
mod repos;
mod spaces;
mod webhooks;
