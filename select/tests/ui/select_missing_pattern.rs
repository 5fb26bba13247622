async fn race() {
    mirage::select! {
        std::future::ready(1) => {}
    }
}

fn main() {
    drop(race());
}
