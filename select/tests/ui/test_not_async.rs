#[mirage::test]
fn runs() {}

fn main() {}
