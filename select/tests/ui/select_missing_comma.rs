async fn race() -> u32 {
    mirage::select! {
        n = std::future::ready(1) => n + 1
        n = std::future::ready(2) => n + 2,
    }
}

fn main() {
    drop(race());
}
