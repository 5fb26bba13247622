#[mirage::test(start_paused = true, start_paused = false)]
async fn runs() {}

fn main() {}
