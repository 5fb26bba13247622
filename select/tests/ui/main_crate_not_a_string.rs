#[mirage::main(crate = mirage)]
async fn main() {}
