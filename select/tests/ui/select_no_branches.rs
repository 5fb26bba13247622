async fn race() -> u32 {
    mirage::select! {
        biased;
    }
}

fn main() {
    drop(race());
}
