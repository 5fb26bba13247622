async fn race() -> u32 {
    mirage::select! {
        n = std::future::ready(1) => n,
        biased;
        n = std::future::ready(2) => n,
    }
}

fn main() {
    drop(race());
}
