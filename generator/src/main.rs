//! The `capgen` command line.

fn main() {}
