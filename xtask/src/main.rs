//! Project automation: `cargo xtask codegen [--check]`.

fn main() {}
