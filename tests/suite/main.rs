//! The integration tests: the `courant` binary run on real files, against real SMTP servers,
//! in a real browser. One test binary (as cargo and just do), so the crate is linked once; a
//! module per area.

mod common;

mod admin;
mod architecture;
mod archive;
mod bad_input;
mod bounces;
mod browser;
mod check_rules;
mod commands;
mod dkim;
mod faults;
mod imap;
mod inbox;
mod init;
mod ledger;
mod list;
mod manage;
mod preview;
mod properties;
mod public;
mod real_world;
mod schedule;
mod seed_snapshots;
mod send;
mod unsubscribe;
