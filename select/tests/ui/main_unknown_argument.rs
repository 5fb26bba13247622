#[mirage::main(unknown = 1)]
async fn main() {}
