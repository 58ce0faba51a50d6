//! Accounts, users, API keys, sessions and stream tickets.
//!
//! Secrets (API keys, session tokens, stream tickets) are stored only as SHA-256 hashes: they are long random
//! strings, so a fast hash is enough, and a database leak does not leak credentials. Passwords are argon2 hashes,
//! made by `auth`, never here.

use super::{SqlStore, in_write_tx, on_db};
use crate::model::{Account, ApiKeyInfo, Session, User};
use callpop_core::account::{Plan, Role};
use callpop_core::options::IntegrationOptions;
use chrono::{DateTime, Utc};
use sqlx::types::Json;

/// A new account, before it has an id.
#[derive(Debug, Clone)]
pub struct NewAccount {
    pub public_id: String,
    pub name: String,
    pub plan: Plan,
    pub default_region: String,
    pub public_base_url: String,
    pub options: IntegrationOptions,
}

/// A new user, before they have an id.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub account_id: i64,
    pub email: String,
    pub display_name: String,
    pub password_hash: String,
    pub role: Role,
    pub salesforce_user_id: Option<String>,
}

/// A session as an administrator sees it: never its token. Its public id is the first 16 hex characters of the
/// token's SHA-256 hash (64 bits: unique enough to name one of a user's sessions, useless for signing in).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct SessionInfo {
    pub id: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// A failed sign-in as stored.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct SignInFailure {
    pub email: String,
    pub client: String,
    pub failed_at: DateTime<Utc>,
}

/// How long failed sign-ins are kept: far longer than any throttling window.
const SIGN_IN_FAILURE_RETENTION: chrono::Duration = chrono::Duration::days(1);

#[async_trait::async_trait]
pub trait AccountStore {
    async fn create_account(&self, new: &NewAccount, now: DateTime<Utc>) -> sqlx::Result<Account>;
    async fn account(&self, account_id: i64) -> sqlx::Result<Option<Account>>;
    async fn account_by_public_id(&self, public_id: &str) -> sqlx::Result<Option<Account>>;
    /// Creates a user; fails with a unique violation when the email is taken.
    async fn create_user(&self, new: &NewUser, now: DateTime<Utc>) -> sqlx::Result<User>;
    /// The account's users, by id.
    async fn list_users(&self, account_id: i64) -> sqlx::Result<Vec<User>>;
    /// The user with this email (any case) and their password hash.
    async fn user_by_email(&self, email: &str) -> sqlx::Result<Option<(User, String)>>;
    /// The account's user the telephony side calls `reference` (their email).
    async fn user_by_reference(&self, account_id: i64, reference: &str) -> sqlx::Result<Option<User>>;
    async fn create_api_key(
        &self,
        account_id: i64,
        label: &str,
        prefix: &str,
        secret_hash: &str,
        now: DateTime<Utc>,
    ) -> sqlx::Result<i64>;
    /// The account's API keys, newest first (never their secrets: only hashes are stored).
    async fn list_api_keys(&self, account_id: i64) -> sqlx::Result<Vec<ApiKeyInfo>>;
    /// Revokes one of the account's keys; `false` when the account has no such key or it was already revoked.
    async fn revoke_api_key(&self, account_id: i64, key_id: i64, now: DateTime<Utc>) -> sqlx::Result<bool>;
    /// The account whose unrevoked API key hashes to `secret_hash`.
    async fn account_by_api_key(&self, secret_hash: &str) -> sqlx::Result<Option<Account>>;
    async fn create_session(
        &self,
        token_hash: &str,
        user_id: i64,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> sqlx::Result<()>;
    /// The unexpired session whose token hashes to `token_hash`.
    async fn session(&self, token_hash: &str, now: DateTime<Utc>) -> sqlx::Result<Option<Session>>;
    /// Ends a session (signing out): its token is refused from then on. `false` when there was none.
    async fn delete_session(&self, token_hash: &str) -> sqlx::Result<bool>;
    /// A stream ticket for the session whose token hashes to `session_hash`.
    async fn create_stream_ticket(
        &self,
        ticket_hash: &str,
        user_id: i64,
        session_hash: &str,
        expires_at: DateTime<Utc>,
    ) -> sqlx::Result<()>;
    /// Uses up a stream ticket: the first redemption before it expires, while its session lasts, gets the session
    /// and its token's hash (to watch it end); any later one, or one whose session ended, nothing.
    async fn redeem_stream_ticket(
        &self,
        ticket_hash: &str,
        now: DateTime<Utc>,
    ) -> sqlx::Result<Option<(Session, String)>>;
    /// The user's unexpired sessions, newest first.
    async fn list_sessions(&self, user_id: i64, now: DateTime<Utc>) -> sqlx::Result<Vec<SessionInfo>>;
    /// Ends one of the user's sessions by its public id; `false` when the user has no such session.
    async fn revoke_session(&self, user_id: i64, session_id: &str) -> sqlx::Result<bool>;
    /// Ends every session of the user; returns how many there were.
    async fn revoke_sessions(&self, user_id: i64) -> sqlx::Result<u64>;
    /// Replaces the user's password hash and ends all their sessions, in one transaction.
    async fn change_password(&self, user_id: i64, password_hash: &str) -> sqlx::Result<()>;
    /// Records a failed sign-in, and forgets failures older than a day.
    async fn record_sign_in_failure(&self, email: &str, client: &str, now: DateTime<Utc>) -> sqlx::Result<()>;
    /// The failed sign-ins since `since` for this email or from this client address.
    async fn sign_in_failures(
        &self,
        email: &str,
        client: &str,
        since: DateTime<Utc>,
    ) -> sqlx::Result<Vec<SignInFailure>>;
    /// Forgets the failures of this email from this address (after it signed in).
    async fn clear_sign_in_failures(&self, email: &str, client: &str) -> sqlx::Result<()>;
}

#[derive(sqlx::FromRow)]
struct AccountRow {
    id: i64,
    public_id: String,
    name: String,
    plan: String,
    default_region: String,
    public_base_url: String,
    options: Json<IntegrationOptions>,
}

impl TryFrom<AccountRow> for Account {
    type Error = sqlx::Error;
    fn try_from(row: AccountRow) -> Result<Self, Self::Error> {
        let plan = Plan::parse(&row.plan).ok_or_else(|| corrupt("accounts.plan", &row.plan))?;
        Ok(Account {
            id: row.id,
            public_id: row.public_id,
            name: row.name,
            plan,
            default_region: row.default_region,
            public_base_url: row.public_base_url,
            options: row.options.0,
        })
    }
}

#[derive(sqlx::FromRow)]
struct UserRow {
    id: i64,
    account_id: i64,
    email: String,
    display_name: String,
    password_hash: String,
    role: String,
    salesforce_user_id: Option<String>,
}

impl UserRow {
    fn into_user(self) -> sqlx::Result<(User, String)> {
        let role = Role::parse(&self.role).ok_or_else(|| corrupt("users.role", &self.role))?;
        let user = User {
            id: self.id,
            account_id: self.account_id,
            email: self.email,
            display_name: self.display_name,
            role,
            salesforce_user_id: self.salesforce_user_id,
        };
        Ok((user, self.password_hash))
    }
}

/// A stored value that no longer parses: the database was changed outside callpop.
pub(crate) fn corrupt(column: &str, value: &str) -> sqlx::Error {
    sqlx::Error::Decode(format!("unexpected value {value:?} in {column}").into())
}

const ACCOUNT_COLUMNS: &str = "id, public_id, name, plan, default_region, public_base_url, options";
const USER_COLUMNS: &str = "id, account_id, email, display_name, password_hash, role, salesforce_user_id";

impl SqlStore {
    async fn session_for_user(&self, user_id: i64) -> sqlx::Result<Option<Session>> {
        let Some(user) = self.user_by_id(user_id).await? else { return Ok(None) };
        let account = self.account(user.account_id).await?;
        Ok(account.map(|account| Session { user, account }))
    }

    pub(crate) async fn user_by_id(&self, user_id: i64) -> sqlx::Result<Option<User>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1");
        let row: Option<UserRow> = on_db!(self.db(), pool => {
            sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(user_id).fetch_optional(pool).await?
        });
        row.map(|row| row.into_user().map(|(user, _)| user)).transpose()
    }
}

#[async_trait::async_trait]
impl AccountStore for SqlStore {
    async fn create_account(&self, new: &NewAccount, now: DateTime<Utc>) -> sqlx::Result<Account> {
        let sql = format!(
            "INSERT INTO accounts (public_id, name, plan, default_region, public_base_url, options, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING {ACCOUNT_COLUMNS}"
        );
        let row: AccountRow = on_db!(self.db(), pool => {
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(&new.public_id)
                .bind(&new.name)
                .bind(new.plan.as_str())
                .bind(&new.default_region)
                .bind(&new.public_base_url)
                .bind(Json(new.options))
                .bind(now)
                .fetch_one(pool)
                .await?
        });
        row.try_into()
    }

    async fn account(&self, account_id: i64) -> sqlx::Result<Option<Account>> {
        let sql = format!("SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE id = $1");
        let row: Option<AccountRow> = on_db!(self.db(), pool => {
            sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(account_id).fetch_optional(pool).await?
        });
        row.map(Account::try_from).transpose()
    }

    async fn account_by_public_id(&self, public_id: &str) -> sqlx::Result<Option<Account>> {
        let sql = format!("SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE public_id = $1");
        let row: Option<AccountRow> = on_db!(self.db(), pool => {
            sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(public_id).fetch_optional(pool).await?
        });
        row.map(Account::try_from).transpose()
    }

    async fn create_user(&self, new: &NewUser, now: DateTime<Utc>) -> sqlx::Result<User> {
        let sql = format!(
            "INSERT INTO users (account_id, email, display_name, password_hash, role, salesforce_user_id, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING {USER_COLUMNS}"
        );
        let row: UserRow = on_db!(self.db(), pool => {
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(new.account_id)
                .bind(new.email.to_lowercase())
                .bind(&new.display_name)
                .bind(&new.password_hash)
                .bind(new.role.as_str())
                .bind(&new.salesforce_user_id)
                .bind(now)
                .fetch_one(pool)
                .await?
        });
        row.into_user().map(|(user, _)| user)
    }

    async fn list_users(&self, account_id: i64) -> sqlx::Result<Vec<User>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE account_id = $1 ORDER BY id");
        let rows: Vec<UserRow> = on_db!(self.db(), pool => {
            sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(account_id).fetch_all(pool).await?
        });
        rows.into_iter().map(|row| row.into_user().map(|(user, _)| user)).collect()
    }

    async fn user_by_email(&self, email: &str) -> sqlx::Result<Option<(User, String)>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE email = $1");
        let row: Option<UserRow> = on_db!(self.db(), pool => {
            sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(email.trim().to_lowercase()).fetch_optional(pool).await?
        });
        row.map(UserRow::into_user).transpose()
    }

    async fn user_by_reference(&self, account_id: i64, reference: &str) -> sqlx::Result<Option<User>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE account_id = $1 AND email = $2");
        let row: Option<UserRow> = on_db!(self.db(), pool => {
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(account_id)
                .bind(reference.trim().to_lowercase())
                .fetch_optional(pool)
                .await?
        });
        row.map(|row| row.into_user().map(|(user, _)| user)).transpose()
    }

    async fn create_api_key(
        &self,
        account_id: i64,
        label: &str,
        prefix: &str,
        secret_hash: &str,
        now: DateTime<Utc>,
    ) -> sqlx::Result<i64> {
        on_db!(self.db(), pool => {
            sqlx::query_scalar(
                "INSERT INTO api_keys (account_id, label, prefix, secret_hash, created_at)
                 VALUES ($1, $2, $3, $4, $5) RETURNING id",
            )
            .bind(account_id)
            .bind(label)
            .bind(prefix)
            .bind(secret_hash)
            .bind(now)
            .fetch_one(pool)
            .await
        })
    }

    async fn list_api_keys(&self, account_id: i64) -> sqlx::Result<Vec<ApiKeyInfo>> {
        let rows: Vec<(i64, String, String, DateTime<Utc>, Option<DateTime<Utc>>)> = on_db!(self.db(), pool => {
            sqlx::query_as(
                "SELECT id, label, prefix, created_at, revoked_at FROM api_keys WHERE account_id = $1 ORDER BY id DESC",
            )
            .bind(account_id)
            .fetch_all(pool)
            .await?
        });
        Ok(rows
            .into_iter()
            .map(|(id, label, prefix, created_at, revoked_at)| ApiKeyInfo { id, label, prefix, created_at, revoked_at })
            .collect())
    }

    async fn revoke_api_key(&self, account_id: i64, key_id: i64, now: DateTime<Utc>) -> sqlx::Result<bool> {
        let revoked = on_db!(self.db(), pool => {
            sqlx::query("UPDATE api_keys SET revoked_at = $1 WHERE id = $2 AND account_id = $3 AND revoked_at IS NULL")
                .bind(now)
                .bind(key_id)
                .bind(account_id)
                .execute(pool)
                .await?
                .rows_affected()
        });
        Ok(revoked == 1)
    }

    async fn account_by_api_key(&self, secret_hash: &str) -> sqlx::Result<Option<Account>> {
        let account_id: Option<i64> = on_db!(self.db(), pool => {
            sqlx::query_scalar("SELECT account_id FROM api_keys WHERE secret_hash = $1 AND revoked_at IS NULL")
                .bind(secret_hash)
                .fetch_optional(pool)
                .await?
        });
        match account_id {
            Some(account_id) => self.account(account_id).await,
            None => Ok(None),
        }
    }

    async fn create_session(
        &self,
        token_hash: &str,
        user_id: i64,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> sqlx::Result<()> {
        on_db!(self.db(), pool => {
            sqlx::query("INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)")
                .bind(token_hash)
                .bind(user_id)
                .bind(now)
                .bind(expires_at)
                .execute(pool)
                .await
                .map(|_| ())
        })
    }

    async fn session(&self, token_hash: &str, now: DateTime<Utc>) -> sqlx::Result<Option<Session>> {
        let user_id: Option<i64> = on_db!(self.db(), pool => {
            sqlx::query_scalar("SELECT user_id FROM sessions WHERE token_hash = $1 AND expires_at > $2")
                .bind(token_hash)
                .bind(now)
                .fetch_optional(pool)
                .await?
        });
        match user_id {
            Some(user_id) => self.session_for_user(user_id).await,
            None => Ok(None),
        }
    }

    async fn delete_session(&self, token_hash: &str) -> sqlx::Result<bool> {
        let deleted = on_db!(self.db(), pool => {
            sqlx::query("DELETE FROM stream_tickets WHERE session_hash = $1").bind(token_hash).execute(pool).await?;
            sqlx::query("DELETE FROM sessions WHERE token_hash = $1").bind(token_hash).execute(pool).await?.rows_affected()
        });
        Ok(deleted > 0)
    }

    async fn create_stream_ticket(
        &self,
        ticket_hash: &str,
        user_id: i64,
        session_hash: &str,
        expires_at: DateTime<Utc>,
    ) -> sqlx::Result<()> {
        on_db!(self.db(), pool => {
            sqlx::query(
                "INSERT INTO stream_tickets (ticket_hash, user_id, session_hash, expires_at) VALUES ($1, $2, $3, $4)",
            )
                .bind(ticket_hash)
                .bind(user_id)
                .bind(session_hash)
                .bind(expires_at)
                .execute(pool)
                .await
                .map(|_| ())
        })
    }

    async fn redeem_stream_ticket(
        &self,
        ticket_hash: &str,
        now: DateTime<Utc>,
    ) -> sqlx::Result<Option<(Session, String)>> {
        let session_hash: Option<String> = in_write_tx!(self.db(), tx => {
            // Expired tickets of anyone are swept here, so the table stays small without a separate job.
            sqlx::query("DELETE FROM stream_tickets WHERE expires_at <= $1").bind(now).execute(&mut *tx).await?;
            sqlx::query_scalar("DELETE FROM stream_tickets WHERE ticket_hash = $1 RETURNING session_hash")
                .bind(ticket_hash)
                .fetch_optional(&mut *tx)
                .await
        })?;
        // The ticket is worth its session: one signed out (or ended by an administrator) since gives nothing.
        let Some(session_hash) = session_hash else { return Ok(None) };
        Ok(self.session(&session_hash, now).await?.map(|session| (session, session_hash)))
    }
    async fn list_sessions(&self, user_id: i64, now: DateTime<Utc>) -> sqlx::Result<Vec<SessionInfo>> {
        on_db!(self.db(), pool => {
            sqlx::query_as(
                "SELECT substr(token_hash, 1, 16) AS id, created_at, expires_at FROM sessions
                 WHERE user_id = $1 AND expires_at > $2 ORDER BY created_at DESC",
            )
            .bind(user_id)
            .bind(now)
            .fetch_all(pool)
            .await
        })
    }

    async fn revoke_session(&self, user_id: i64, session_id: &str) -> sqlx::Result<bool> {
        on_db!(self.db(), pool => {
            sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND substr(token_hash, 1, 16) = $2")
                .bind(user_id)
                .bind(session_id)
                .execute(pool)
                .await
                .map(|done| done.rows_affected() > 0)
        })
    }

    async fn revoke_sessions(&self, user_id: i64) -> sqlx::Result<u64> {
        in_write_tx!(self.db(), tx => {
            sqlx::query("DELETE FROM stream_tickets WHERE user_id = $1").bind(user_id).execute(&mut *tx).await?;
            sqlx::query("DELETE FROM sessions WHERE user_id = $1")
                .bind(user_id)
                .execute(&mut *tx)
                .await
                .map(|done| done.rows_affected())
        })
    }

    async fn change_password(&self, user_id: i64, password_hash: &str) -> sqlx::Result<()> {
        in_write_tx!(self.db(), tx => {
            sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
                .bind(password_hash)
                .bind(user_id)
                .execute(&mut *tx)
                .await?;
            sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(user_id).execute(&mut *tx).await?;
            sqlx::query("DELETE FROM stream_tickets WHERE user_id = $1").bind(user_id).execute(&mut *tx).await?;
            Ok::<(), sqlx::Error>(())
        })
    }

    async fn record_sign_in_failure(&self, email: &str, client: &str, now: DateTime<Utc>) -> sqlx::Result<()> {
        in_write_tx!(self.db(), tx => {
            sqlx::query("DELETE FROM sign_in_failures WHERE failed_at < $1")
                .bind(now - SIGN_IN_FAILURE_RETENTION)
                .execute(&mut *tx)
                .await?;
            sqlx::query("INSERT INTO sign_in_failures (email, client, failed_at) VALUES ($1, $2, $3)")
                .bind(email)
                .bind(client)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            Ok::<(), sqlx::Error>(())
        })
    }

    async fn sign_in_failures(
        &self,
        email: &str,
        client: &str,
        since: DateTime<Utc>,
    ) -> sqlx::Result<Vec<SignInFailure>> {
        on_db!(self.db(), pool => {
            sqlx::query_as(
                "SELECT email, client, failed_at FROM sign_in_failures
                 WHERE (email = $1 OR client = $2) AND failed_at > $3",
            )
            .bind(email)
            .bind(client)
            .bind(since)
            .fetch_all(pool)
            .await
        })
    }

    async fn clear_sign_in_failures(&self, email: &str, client: &str) -> sqlx::Result<()> {
        on_db!(self.db(), pool => {
            sqlx::query("DELETE FROM sign_in_failures WHERE email = $1 AND client = $2")
                .bind(email)
                .bind(client)
                .execute(pool)
                .await
                .map(|_| ())
        })
    }
}
