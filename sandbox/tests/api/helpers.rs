//! The shared harness: a started org, a token, and request helpers that return status, headers and JSON together.

use callpop_sandbox::{Sandbox, SandboxConfig};
use reqwest::Method;
use reqwest::header::HeaderMap;
use serde_json::Value;

/// The API version the tests call.
pub(crate) const VERSION: &str = "v62.0";

/// An answer: status, headers and the body as JSON (`Value::Null` when empty or not JSON).
#[derive(Debug)]
pub(crate) struct Answer {
    pub(crate) status: u16,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Value,
    pub(crate) text: String,
}

impl Answer {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|value| value.to_str().ok())
    }
}

/// A running org with a live access token for the integration user.
#[derive(Debug)]
pub(crate) struct TestOrg {
    pub(crate) sandbox: Sandbox,
    pub(crate) http: reqwest::Client,
    pub(crate) token: String,
}

impl TestOrg {
    pub(crate) async fn start() -> Self {
        Self::start_with(SandboxConfig::default()).await
    }

    pub(crate) async fn start_with(config: SandboxConfig) -> Self {
        let sandbox = Sandbox::start(config).await.expect("the org starts");
        let token = sandbox.issue_token().access_token;
        let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("a client");
        Self { sandbox, http, token }
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.sandbox.base_url())
    }

    /// The URL of a data resource, e.g. `data("sobjects/Lead")`.
    pub(crate) fn data(&self, resource: &str) -> String {
        self.url(&format!("/services/data/{VERSION}/{resource}"))
    }

    pub(crate) async fn answer(response: reqwest::Response) -> Answer {
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let text = response.text().await.expect("a readable body");
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Answer { status, headers, body, text }
    }

    /// Calls a data resource with the org's token.
    pub(crate) async fn call(&self, method: Method, resource: &str, body: Option<Value>) -> Answer {
        self.call_with_token(&self.token, method, resource, body).await
    }

    pub(crate) async fn call_with_token(
        &self,
        token: &str,
        method: Method,
        resource: &str,
        body: Option<Value>,
    ) -> Answer {
        let mut request = self.http.request(method, self.data(resource)).bearer_auth(token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        Self::answer(request.send().await.expect("the org answers")).await
    }

    pub(crate) async fn get(&self, resource: &str) -> Answer {
        self.call(Method::GET, resource, None).await
    }

    pub(crate) async fn post(&self, resource: &str, body: Value) -> Answer {
        self.call(Method::POST, resource, Some(body)).await
    }

    pub(crate) async fn patch(&self, resource: &str, body: Value) -> Answer {
        self.call(Method::PATCH, resource, Some(body)).await
    }

    /// Creates a record through REST and returns its id, asserting the 201.
    pub(crate) async fn create(&self, object: &str, fields: Value) -> String {
        let answer = self.post(&format!("sobjects/{object}"), fields).await;
        assert_eq!(answer.status, 201, "creating a {object}: {}", answer.text);
        answer.body["id"].as_str().expect("an id").to_owned()
    }

    /// Runs a SOQL query and returns the whole answer.
    pub(crate) async fn query_answer(&self, soql: &str) -> Answer {
        let response = self.http.get(self.data("query")).bearer_auth(&self.token).query(&[("q", soql)]).send().await;
        Self::answer(response.expect("the org answers")).await
    }

    /// Runs a SOQL query and returns its records.
    pub(crate) async fn query(&self, soql: &str) -> Vec<Value> {
        let answer = self.query_answer(soql).await;
        assert_eq!(answer.status, 200, "{soql}: {}", answer.text);
        answer.body["records"].as_array().cloned().unwrap_or_default()
    }

    /// Runs a SOSL search and returns the whole answer.
    pub(crate) async fn search(&self, sosl: &str) -> Answer {
        let response = self.http.get(self.data("search")).bearer_auth(&self.token).query(&[("q", sosl)]).send().await;
        Self::answer(response.expect("the org answers")).await
    }

    /// Inserts a record with no checks, through the control API (as a seed would).
    pub(crate) async fn seed_record(&self, object: &str, fields: Value) -> String {
        let url = self.url(&format!("/__control/objects/{object}/records"));
        let answer = Self::answer(self.http.post(url).json(&fields).send().await.expect("the org answers")).await;
        answer.body["id"].as_str().expect("an id").to_owned()
    }

    /// Calls the control API.
    pub(crate) async fn control(&self, method: Method, path: &str, body: Option<Value>) -> Answer {
        let mut request = self.http.request(method, self.url(&format!("/__control/{path}")));
        if let Some(body) = body {
            request = request.json(&body);
        }
        Self::answer(request.send().await.expect("the org answers")).await
    }
}
