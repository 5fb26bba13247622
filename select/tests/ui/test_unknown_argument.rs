#[mirage::test(unhandled_panic = "shutdown_runtime")]
async fn runs() {}

fn main() {}
