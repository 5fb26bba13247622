async fn race() -> u32 {
    mirage::select! {
        else => 0,
    }
}

fn main() {
    drop(race());
}
