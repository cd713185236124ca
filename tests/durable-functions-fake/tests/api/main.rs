//! Integration tests: every test starts its own fake in-process on
//! 127.0.0.1:0 and checks one row of the wire behaviour over real HTTP.

mod common;

mod entities;
mod events;
mod instance_commands;
mod lifecycle;
mod list;
mod purge;
mod rewind_restart;
mod routing;
mod start;
mod status;
