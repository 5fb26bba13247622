async fn race() -> u32 {
    mirage::select! {
        n std::future::ready(1) => n,
    }
}

fn main() {
    drop(race());
}
