#[mirage::test(crate = "mirage", crate = "other")]
async fn runs() {}

fn main() {}
