async fn race() -> u32 {
    let count = 3u32;
    mirage::select! {
        n = count => n,
        n = std::future::ready(1) => n,
    }
}

fn main() {
    drop(race());
}
