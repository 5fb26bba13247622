#[mirage::main]
fn main() {}
