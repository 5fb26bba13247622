#[mirage::test(start_paused = 1)]
async fn runs() {}

fn main() {}
