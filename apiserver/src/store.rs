//! What the apiserver keeps in MongoDB for sign-in: sessions (refresh tokens, by hash), revoked access
//! tokens, API tokens and each user's token generation. Expired entries go by TTL indexes, and all of it
//! survives an apiserver restart.

use mongodb::bson::{doc, DateTime};
use mongodb::options::{IndexOptions, ReturnDocument};
use mongodb::{Collection, Database, IndexModel};
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// A login session: the hash of its current refresh token.
#[derive(Serialize, Deserialize, Clone, Debug)]
#[serde(rename_all = "camelCase")]
pub struct Session {
    /// SHA-256 of the refresh token, hex.
    #[serde(rename = "_id")]
    pub refresh_hash: String,
    pub sid: String,
    pub user: String,
    pub expires_at: DateTime,
}

/// A revoked access token, kept until it would have expired anyway.
#[derive(Serialize, Deserialize, Clone, Debug)]
#[serde(rename_all = "camelCase")]
struct Revoked {
    #[serde(rename = "_id")]
    jti: String,
    user: String,
    expires_at: DateTime,
}

/// An API token's record: it is valid while this exists and has not expired.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ApiToken {
    #[serde(rename = "_id")]
    pub id: String,
    pub user: String,
    pub name: String,
    pub created_at: DateTime,
    pub expires_at: DateTime,
}

#[derive(Serialize, Deserialize, Clone, Debug)]
struct Generation {
    #[serde(rename = "_id")]
    user: String,
    gen: i64,
}

/// The sign-in collections.
#[derive(Clone)]
pub struct AuthStore {
    sessions: Collection<Session>,
    revoked: Collection<Revoked>,
    api_tokens: Collection<ApiToken>,
    generations: Collection<Generation>,
}

fn ttl_index() -> IndexModel {
    IndexModel::builder()
        .keys(doc! { "expiresAt": 1 })
        .options(IndexOptions::builder().expire_after(Duration::ZERO).build())
        .build()
}

fn by(field: &str) -> IndexModel {
    IndexModel::builder().keys(doc! { field: 1 }).build()
}

impl AuthStore {
    /// The collections of `db`, with their indexes created.
    pub async fn open(db: &Database) -> mongodb::error::Result<Self> {
        let store = Self {
            sessions: db.collection("auth_sessions"),
            revoked: db.collection("auth_revoked_tokens"),
            api_tokens: db.collection("auth_api_tokens"),
            generations: db.collection("auth_generations"),
        };
        store.sessions.create_indexes([ttl_index(), by("sid"), by("user")]).await?;
        store.revoked.create_index(ttl_index()).await?;
        store.api_tokens.create_indexes([ttl_index(), by("user")]).await?;
        Ok(store)
    }

    pub async fn create_session(&self, session: &Session) -> mongodb::error::Result<()> {
        self.sessions.insert_one(session).await.map(|_| ())
    }

    /// Consumes a refresh token: its session record, if it exists and has not expired.
    pub async fn take_session(&self, refresh_hash: &str) -> mongodb::error::Result<Option<Session>> {
        let session = self.sessions.find_one_and_delete(doc! { "_id": refresh_hash }).await?;
        Ok(session.filter(|s| s.expires_at > DateTime::now()))
    }

    /// Ends one login session (its refresh token stops working).
    pub async fn end_session(&self, sid: &str) -> mongodb::error::Result<()> {
        self.sessions.delete_many(doc! { "sid": sid }).await.map(|_| ())
    }

    /// Revokes one access token until `expires_at`.
    pub async fn revoke(&self, jti: &str, user: &str, expires_at: DateTime) -> mongodb::error::Result<()> {
        let record = Revoked { jti: jti.into(), user: user.into(), expires_at };
        match self.revoked.insert_one(record).await {
            Ok(_) => Ok(()),
            // revoked twice is revoked
            Err(err) if is_duplicate(&err) => Ok(()),
            Err(err) => Err(err),
        }
    }

    pub async fn is_revoked(&self, jti: &str) -> mongodb::error::Result<bool> {
        Ok(self.revoked.find_one(doc! { "_id": jti }).await?.is_some())
    }

    /// The user's current token generation (0 until first moved on).
    pub async fn generation(&self, user: &str) -> mongodb::error::Result<i64> {
        Ok(self.generations.find_one(doc! { "_id": user }).await?.map(|g| g.gen).unwrap_or(0))
    }

    /// Moves the user's token generation on, which invalidates every token issued before, and ends all
    /// of the user's sessions. Returns the new generation.
    pub async fn invalidate_user(&self, user: &str) -> mongodb::error::Result<i64> {
        let updated = self
            .generations
            .find_one_and_update(doc! { "_id": user }, doc! { "$inc": { "gen": 1_i64 } })
            .upsert(true)
            .return_document(ReturnDocument::After)
            .await?;
        self.sessions.delete_many(doc! { "user": user }).await?;
        Ok(updated.map(|g| g.gen).unwrap_or(1))
    }

    pub async fn add_api_token(&self, token: &ApiToken) -> mongodb::error::Result<()> {
        self.api_tokens.insert_one(token).await.map(|_| ())
    }

    /// The API token `id`, if it exists and has not expired.
    pub async fn api_token(&self, id: &str) -> mongodb::error::Result<Option<ApiToken>> {
        let token = self.api_tokens.find_one(doc! { "_id": id }).await?;
        Ok(token.filter(|t| t.expires_at > DateTime::now()))
    }

    /// The user's unexpired API tokens, newest first.
    pub async fn api_tokens(&self, user: &str) -> mongodb::error::Result<Vec<ApiToken>> {
        use futures::TryStreamExt;
        let now = DateTime::now();
        let tokens: Vec<ApiToken> = self
            .api_tokens
            .find(doc! { "user": user })
            .sort(doc! { "createdAt": -1 })
            .await?
            .try_collect()
            .await?;
        Ok(tokens.into_iter().filter(|t| t.expires_at > now).collect())
    }

    /// Revokes the user's API token `id`; false if the user has no such token.
    pub async fn delete_api_token(&self, user: &str, id: &str) -> mongodb::error::Result<bool> {
        Ok(self.api_tokens.delete_one(doc! { "_id": id, "user": user }).await?.deleted_count == 1)
    }
}

fn is_duplicate(err: &mongodb::error::Error) -> bool {
    matches!(
        err.kind.as_ref(),
        mongodb::error::ErrorKind::Write(mongodb::error::WriteFailure::WriteError(e)) if e.code == 11000
    )
}
