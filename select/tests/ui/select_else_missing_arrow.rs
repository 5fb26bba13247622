async fn race() -> u32 {
    mirage::select! {
        n = std::future::ready(1) => n,
        else 0
    }
}

fn main() {
    drop(race());
}
