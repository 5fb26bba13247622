async fn both() -> (u32, u32) {
    let count = 3u32;
    mirage::join!(std::future::ready(1), count)
}

fn main() {
    drop(both());
}
