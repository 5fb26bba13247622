#[mirage::main]
const async fn main() {}
