#[mirage::main]
async fn main(name: String) {
    println!("{name}");
}
