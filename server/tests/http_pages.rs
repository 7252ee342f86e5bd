//! Pages, plain-form endpoints, session cookies, health and metrics.

mod common;

use common::{client, Srv, PASSWORD};
use sqlx::PgPool;

fn session_cookie(res: &reqwest::Response) -> Option<String> {
    res.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("ts_session="))
        .map(str::to_owned)
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn the_login_form_works_without_javascript_and_cycles_the_session(db: PgPool) {
    let s = Srv::start(db).await;
    s.signup("alice@x.io", "Acme").await;
    let c = client();
    let form = |pw: &str| [("email", "alice@x.io".to_string()), ("password", pw.to_string())];

    let bad = c
        .post(format!("{}/login", s.url))
        .header("origin", &s.url)
        .form(&form("wrong password"))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 303);
    let loc = bad.headers()["location"].to_str().unwrap();
    assert!(loc.starts_with("/login?error=invalid_credentials"), "{loc}");
    assert!(!loc.contains("wrong"), "the password must never be echoed: {loc}");

    let page = c.get(format!("{}{loc}", s.url)).send().await.unwrap().text().await.unwrap();
    assert!(
        page.contains("That email and password don&#x27;t match.")
            || page.contains("That email and password don't match."),
        "{page}"
    );

    let before = c.get(format!("{}/login", s.url)).send().await.unwrap();
    let before_cookie = session_cookie(&before);
    let ok = c
        .post(format!("{}/login", s.url))
        .header("origin", &s.url)
        .form(&form(PASSWORD))
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 303);
    assert_eq!(ok.headers()["location"], "/");
    let cookie = session_cookie(&ok).expect("a session cookie");
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"), "{cookie}");
    assert!(!cookie.contains("Secure"), "plain-HTTP deployments must still get the cookie");
    assert_ne!(Some(cookie.clone()), before_cookie);

    let home = c.get(format!("{}/", s.url)).send().await.unwrap();
    assert_eq!(home.status(), 200);
    let html = home.text().await.unwrap();
    assert!(html.contains("Acme"), "the shell shows the workspace name");
    // Signed in, /login goes to the app.
    assert_eq!(c.get(format!("{}/login", s.url)).send().await.unwrap().headers()["location"], "/");

    let out = c.post(format!("{}/logout", s.url)).header("origin", &s.url).send().await.unwrap();
    assert_eq!(out.headers()["location"], "/login");
    assert_eq!(c.get(format!("{}/people", s.url)).send().await.unwrap().headers()["location"], "/login");
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn signup_form_errors_point_at_the_field_and_keep_safe_values(db: PgPool) {
    let s = Srv::start(db).await;
    let c = client();
    let res = c
        .post(format!("{}/signup", s.url))
        .header("origin", &s.url)
        .form(&[
            ("workspace_name", "Acme"),
            ("display_name", "Alice"),
            ("email", "alice@x"),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    let loc = res.headers()["location"].to_str().unwrap().to_string();
    assert!(
        loc.contains("error=invalid_arguments")
            && loc.contains("field=email")
            && loc.contains("workspace_name=Acme"),
        "{loc}"
    );
    assert!(!loc.contains("horse"));
    let html = c.get(format!("{}{loc}", s.url)).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("Enter a valid email address."), "{html}");
    assert!(html.contains(r#"aria-invalid="true""#));
    assert_eq!(common::count(&s.db, "account").await, 0);

    let ok = c
        .post(format!("{}/signup", s.url))
        .header("origin", &s.url)
        .form(&[
            ("workspace_name", "Acme"),
            ("display_name", "Alice"),
            ("email", "alice@x.io"),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(ok.headers()["location"], "/");
    assert_eq!(common::count(&s.db, "workspace").await, 1);
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn invite_page_shows_the_workspace_or_why_the_link_is_dead(db: PgPool) {
    let s = Srv::start(db).await;
    s.signup("alice@x.io", "Acme").await;
    let (_, inv) = s
        .call("invites.create", serde_json::json!({"role": "member", "expires_in_hours": 24, "max_uses": 1}))
        .await;
    let url = inv["url"].as_str().unwrap();
    let c = client();
    let page = c.get(url).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("Acme") && page.contains("Join workspace"), "{page}");
    let path = url.trim_start_matches(&s.url);
    let joined = c
        .post(url)
        .header("origin", &s.url)
        .form(&[("display_name", "Bob"), ("email", "bob@x.io"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(joined.headers()["location"], "/");
    let again = client().get(url).send().await.unwrap().text().await.unwrap();
    assert!(again.contains("already been used up"), "{again}");
    let dead = client()
        .post(format!("{}{path}", s.url))
        .header("origin", &s.url)
        .form(&[("display_name", "Eve"), ("email", "eve@x.io"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert!(dead.headers()["location"].to_str().unwrap().contains("error=invite_used_up"));
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn health_readiness_and_metrics(db: PgPool) {
    let s = Srv::start(db).await;
    let c = client();
    assert_eq!(c.get(format!("{}/healthz", s.url)).send().await.unwrap().status(), 200);
    let ready: serde_json::Value =
        c.get(format!("{}/readyz", s.url)).send().await.unwrap().json().await.unwrap();
    assert_eq!(ready["database"], "up");
    s.call("auth.test", serde_json::json!({})).await;
    let m = c.get(format!("{}/metrics", s.url)).send().await.unwrap().text().await.unwrap();
    assert!(m.contains("http_requests_total"), "{m}");
    assert!(m.contains(r#"route="/api/auth.test""#), "{m}");
    assert!(m.contains("http_request_duration_seconds_bucket"), "{m}");
    // Every page but the public ones needs a session, unknown ones too.
    let missing = c.get(format!("{}/no/such/page", s.url)).send().await.unwrap();
    assert_eq!(missing.status(), 303);
    assert_eq!(missing.headers()["location"], "/login");
    s.signup("alice@x.io", "Acme").await;
    let missing = s.client.get(format!("{}/no/such/page", s.url)).send().await.unwrap();
    assert_eq!(missing.status(), 404);
}

#[sqlx::test(migrator = "server::MIGRATOR")]
async fn html_in_names_is_rendered_as_text(db: PgPool) {
    let s = Srv::start(db).await;
    let (st, _) = s
        .call(
            "auth.signup",
            serde_json::json!({"workspace_name": "<img src=x onerror=alert(1)>", "email": "x@x.io",
                               "password": PASSWORD, "display_name": "<script>alert(2)</script>"}),
        )
        .await;
    assert_eq!(st, 200);
    let html = s.client.get(format!("{}/", s.url)).send().await.unwrap().text().await.unwrap();
    assert!(!html.contains("<script>alert(2)</script>"), "raw script tag in page");
    assert!(!html.contains("<img src=x"), "raw img tag in page");
    assert!(html.contains("&lt;script&gt;alert(2)&lt;/script&gt;"), "escaped name missing");
}
