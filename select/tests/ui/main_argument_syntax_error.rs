#[mirage::main(start_paused = )]
async fn main() {}
