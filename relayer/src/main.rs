//! `loopin-relayer`: see docs/relayer.md.

fn main() {}
