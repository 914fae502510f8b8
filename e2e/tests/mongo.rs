//! The MongoDB-protocol server the harness starts (nx-27017) answers the Rust driver.

use mongodb::bson::{doc, Document};

#[tokio::test]
async fn the_test_database_stores_and_finds_documents() {
    let client =
        mongodb::Client::with_uri_str(chaoscenter_e2e::mongodb_uri()).await.expect("valid MongoDB URI");
    let db = client.database("chaoscenter_e2e");
    db.run_command(doc! {"ping": 1}).await.expect("ping");
    let runs = db.collection::<Document>(&format!("runs_{}", std::process::id()));
    runs.insert_many(vec![doc! {"name": "a", "score": 100.0}, doc! {"name": "b", "score": 50.0}])
        .await
        .unwrap();
    let found = runs.find_one(doc! {"name": "b"}).await.unwrap().expect("document b");
    assert_eq!(found.get_f64("score").unwrap(), 50.0);
    assert_eq!(runs.count_documents(doc! {"score": {"$gte": 60.0}}).await.unwrap(), 1);
    runs.drop().await.unwrap();
}
