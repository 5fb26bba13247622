#[mirage::test(flavor = "multi_thread")]
async fn runs() {}

fn main() {}
