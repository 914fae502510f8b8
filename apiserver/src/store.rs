//! What the apiserver keeps in MongoDB for sign-in: login sessions (the current refresh token by hash,
//! the spent ones to recognise their reuse), API tokens and each user's token generation. Expired entries
//! go by TTL indexes, and all of it survives an apiserver restart.

use mongodb::bson::{doc, DateTime};
use mongodb::options::{IndexOptions, ReturnDocument};
use mongodb::{Collection, Database, IndexModel};
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// A login session: who, its current refresh token (by hash) and its two deadlines. Every access token
/// of the session names it (`sid`) and works only while it exists.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Session {
    #[serde(rename = "_id")]
    pub sid: String,
    pub user: String,
    /// The ChaosUser's uid at sign-in.
    pub uid: String,
    /// The user's token generation when the session started (read before the password was checked):
    /// once the generation moves on (a password change, a reset, a disable), the session ends, even one
    /// started while that change was being made.
    #[serde(default)]
    pub gen: i64,
    /// SHA-256 of the current refresh token, hex.
    pub refresh_hash: String,
    pub created_at: DateTime,
    /// The absolute end (`SESSION_LIFETIME` after sign-in): no refresh goes past it.
    pub ends_at: DateTime,
    /// When the current refresh token expires: [`sliding_expiry`] of the last sign-in or refresh. The
    /// record goes once past it (TTL index).
    pub expires_at: DateTime,
}

/// When a refresh token issued `now` expires: `sliding` later, but never after the session's end.
pub fn sliding_expiry(now: DateTime, sliding: Duration, ends_at: DateTime) -> DateTime {
    let millis = i64::try_from(sliding.as_millis()).unwrap_or(i64::MAX);
    DateTime::from_millis(now.timestamp_millis().saturating_add(millis)).min(ends_at)
}

/// A refresh token already exchanged, kept until it would have expired: presenting it again means it
/// was copied, so its whole session ends.
#[derive(Serialize, Deserialize, Clone, Debug)]
#[serde(rename_all = "camelCase")]
struct Spent {
    #[serde(rename = "_id")]
    refresh_hash: String,
    sid: String,
    user: String,
    expires_at: DateTime,
}

/// What presenting a refresh token did.
#[derive(Debug, Clone, PartialEq)]
pub enum Rotation {
    /// It was the session's current token: the session now holds the new one (and its new expiry).
    Rotated(Session),
    /// It had been exchanged before: the session it belonged to has been ended.
    Reused { sid: String, user: String },
    /// No live session has or had it (unknown, expired, or its session ended).
    Unknown,
}

/// An API token's record: it is valid while this exists and has not expired (and its claims still
/// match the user's uid and token generation).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ApiToken {
    #[serde(rename = "_id")]
    pub id: String,
    pub user: String,
    /// The ChaosUser's uid when created (absent in records from before tokens were bound to it).
    #[serde(default)]
    pub uid: String,
    pub name: String,
    pub created_at: DateTime,
    pub expires_at: DateTime,
}

#[derive(Serialize, Deserialize, Clone, Debug)]
struct Generation {
    #[serde(rename = "_id")]
    user: String,
    gen: i64,
    /// Whether the user was last seen disabled (so a disable moves the generation on once).
    #[serde(default)]
    disabled: bool,
}

/// The sign-in collections.
#[derive(Clone)]
pub struct AuthStore {
    sessions: Collection<Session>,
    spent: Collection<Spent>,
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
            spent: db.collection("auth_spent_refresh_tokens"),
            api_tokens: db.collection("auth_api_tokens"),
            generations: db.collection("auth_generations"),
        };
        store.sessions.create_indexes([ttl_index(), by("refreshHash"), by("user")]).await?;
        store.spent.create_index(ttl_index()).await?;
        store.api_tokens.create_indexes([ttl_index(), by("user")]).await?;
        Ok(store)
    }
}

/// The sign-in records, as the handlers use them: kept in MongoDB by [`AuthStore`], in memory by the
/// router tests' fake. Errors are the store's (shown to clients only as "internal error").
#[async_trait::async_trait]
pub trait TokenStore: Send + Sync {
    async fn create_session(&self, session: &Session) -> anyhow::Result<()>;
    /// The session `sid`, if it has not ended or expired.
    async fn session(&self, sid: &str) -> anyhow::Result<Option<Session>>;
    /// Exchanges the refresh token hashed `hash` for the one hashed `new_hash`, which expires `sliding`
    /// from now (not after the session's end). A token exchanged before ends its session.
    async fn rotate(&self, hash: &str, new_hash: &str, sliding: Duration) -> anyhow::Result<Rotation>;
    /// The session whose current or spent refresh token is hashed `hash` (for a logout by cookie).
    async fn session_of_refresh(&self, hash: &str) -> anyhow::Result<Option<String>>;
    /// Ends one login session: its refresh token and every access token of it stop working.
    async fn end_session(&self, sid: &str) -> anyhow::Result<()>;
    /// The user's current token generation (0 until first moved on).
    async fn generation(&self, user: &str) -> anyhow::Result<i64>;
    /// Moves the user's token generation on, which invalidates every token issued before, ends all of
    /// the user's sessions and deletes their API tokens. Returns the new generation.
    async fn invalidate_user(&self, user: &str) -> anyhow::Result<i64>;
    /// Records that the user is `disabled` as the cluster now says. Becoming disabled (however it was
    /// done: the API, kubectl, GitOps) invalidates every token as [`TokenStore::invalidate_user`] does,
    /// once per disable, so enabling the user again does not bring old tokens back. True if it did.
    async fn note_disabled(&self, user: &str, disabled: bool) -> anyhow::Result<bool>;
    async fn add_api_token(&self, token: &ApiToken) -> anyhow::Result<()>;
    /// The API token `id`, if it exists and has not expired.
    async fn api_token(&self, id: &str) -> anyhow::Result<Option<ApiToken>>;
    /// The unexpired API tokens of the user `user` with uid `uid`, newest first.
    async fn api_tokens(&self, user: &str, uid: &str) -> anyhow::Result<Vec<ApiToken>>;
    /// Revokes the user's API token `id`; false if the user has no such token.
    async fn delete_api_token(&self, user: &str, id: &str) -> anyhow::Result<bool>;
}

impl AuthStore {
    async fn end_all(&self, user: &str) -> mongodb::error::Result<()> {
        self.sessions.delete_many(doc! { "user": user }).await?;
        self.api_tokens.delete_many(doc! { "user": user }).await?;
        Ok(())
    }
}

#[async_trait::async_trait]
impl TokenStore for AuthStore {
    async fn create_session(&self, session: &Session) -> anyhow::Result<()> {
        self.sessions.insert_one(session).await?;
        Ok(())
    }

    async fn session(&self, sid: &str) -> anyhow::Result<Option<Session>> {
        let session = self.sessions.find_one(doc! { "_id": sid }).await?;
        Ok(session.filter(|s| s.expires_at > DateTime::now()))
    }

    async fn rotate(&self, hash: &str, new_hash: &str, sliding: Duration) -> anyhow::Result<Rotation> {
        let now = DateTime::now();
        if let Some(session) = self.sessions.find_one(doc! { "refreshHash": hash }).await? {
            if session.expires_at <= now {
                self.end_session(&session.sid).await?;
                return Ok(Rotation::Unknown);
            }
            // remembered as spent first: from here on, presenting it again is a reuse
            let spent = Spent {
                refresh_hash: hash.into(),
                sid: session.sid.clone(),
                user: session.user.clone(),
                expires_at: session.expires_at,
            };
            match self.spent.insert_one(&spent).await {
                Ok(_) => {}
                Err(err) if is_duplicate(&err) => {}
                Err(err) => return Err(err.into()),
            }
            let expires_at = sliding_expiry(now, sliding, session.ends_at);
            let rotated = Session { refresh_hash: new_hash.into(), expires_at, ..session.clone() };
            // the whole record is replaced, on the condition that it still holds the token presented
            let replaced = self
                .sessions
                .replace_one(doc! { "_id": &session.sid, "refreshHash": hash }, &rotated)
                .await?;
            if replaced.modified_count == 1 {
                return Ok(Rotation::Rotated(rotated));
            }
            // another request exchanged the same token in between: that is a reuse too
            self.end_session(&session.sid).await?;
            return Ok(Rotation::Reused { sid: session.sid, user: session.user });
        }
        match self.spent.find_one(doc! { "_id": hash }).await? {
            Some(spent) => {
                self.end_session(&spent.sid).await?;
                Ok(Rotation::Reused { sid: spent.sid, user: spent.user })
            }
            None => Ok(Rotation::Unknown),
        }
    }

    async fn session_of_refresh(&self, hash: &str) -> anyhow::Result<Option<String>> {
        if let Some(session) = self.sessions.find_one(doc! { "refreshHash": hash }).await? {
            return Ok(Some(session.sid));
        }
        Ok(self.spent.find_one(doc! { "_id": hash }).await?.map(|s| s.sid))
    }

    async fn end_session(&self, sid: &str) -> anyhow::Result<()> {
        self.sessions.delete_one(doc! { "_id": sid }).await?;
        Ok(())
    }

    async fn generation(&self, user: &str) -> anyhow::Result<i64> {
        Ok(self.generations.find_one(doc! { "_id": user }).await?.map(|g| g.gen).unwrap_or(0))
    }

    async fn invalidate_user(&self, user: &str) -> anyhow::Result<i64> {
        let updated = self
            .generations
            .find_one_and_update(doc! { "_id": user }, doc! { "$inc": { "gen": 1_i64 } })
            .upsert(true)
            .return_document(ReturnDocument::After)
            .await?;
        self.end_all(user).await?;
        Ok(updated.map(|g| g.gen).unwrap_or(1))
    }

    async fn note_disabled(&self, user: &str, disabled: bool) -> anyhow::Result<bool> {
        // read, then replace on the condition that nothing moved the generation meanwhile (whole records
        // are written, never single fields, so every MongoDB-protocol server keeps the types)
        for _ in 0..10 {
            let current = self.generations.find_one(doc! { "_id": user }).await?;
            let (gen, was) = current.as_ref().map(|g| (g.gen, g.disabled)).unwrap_or((0, false));
            if was == disabled {
                return Ok(false);
            }
            let next = Generation { user: user.into(), gen: if disabled { gen + 1 } else { gen }, disabled };
            let written = match current {
                None => match self.generations.insert_one(&next).await {
                    Ok(_) => true,
                    Err(err) if is_duplicate(&err) => false,
                    Err(err) => return Err(err.into()),
                },
                Some(_) => {
                    let filter = doc! { "_id": user, "gen": gen };
                    self.generations.replace_one(filter, &next).await?.matched_count == 1
                }
            };
            if written {
                if disabled {
                    self.end_all(user).await?;
                }
                return Ok(disabled);
            }
        }
        Ok(false)
    }

    async fn add_api_token(&self, token: &ApiToken) -> anyhow::Result<()> {
        self.api_tokens.insert_one(token).await?;
        Ok(())
    }

    async fn api_token(&self, id: &str) -> anyhow::Result<Option<ApiToken>> {
        let token = self.api_tokens.find_one(doc! { "_id": id }).await?;
        Ok(token.filter(|t| t.expires_at > DateTime::now()))
    }

    async fn api_tokens(&self, user: &str, uid: &str) -> anyhow::Result<Vec<ApiToken>> {
        use futures::TryStreamExt;
        let now = DateTime::now();
        let tokens: Vec<ApiToken> = self
            .api_tokens
            .find(doc! { "user": user })
            .sort(doc! { "createdAt": -1 })
            .await?
            .try_collect()
            .await?;
        Ok(tokens.into_iter().filter(|t| t.expires_at > now && t.uid == uid).collect())
    }

    async fn delete_api_token(&self, user: &str, id: &str) -> anyhow::Result<bool> {
        Ok(self.api_tokens.delete_one(doc! { "_id": id, "user": user }).await?.deleted_count == 1)
    }
}

fn is_duplicate(err: &mongodb::error::Error) -> bool {
    matches!(
        err.kind.as_ref(),
        mongodb::error::ErrorKind::Write(mongodb::error::WriteFailure::WriteError(e)) if e.code == 11000
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refresh_token_expires_after_the_sliding_time_but_never_after_the_session() {
        let now = DateTime::from_millis(1_000_000);
        let hour = Duration::from_secs(3600);
        let far = DateTime::from_millis(1_000_000 + 10 * 3_600_000);
        assert_eq!(sliding_expiry(now, hour, far), DateTime::from_millis(1_000_000 + 3_600_000));
        let soon = DateTime::from_millis(1_000_000 + 60_000);
        assert_eq!(sliding_expiry(now, hour, soon), soon, "capped at the session's end");
        assert_eq!(sliding_expiry(now, Duration::MAX, far), far, "no overflow");
    }
}
