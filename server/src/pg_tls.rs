//! No TLS to a Postgres on the same machine unless asked for.
//!
//! sqlx's default `sslmode=prefer` takes TLS whenever the server offers it,
//! and Debian's Postgres does. On loopback that protects nothing (the bytes
//! never leave the kernel) and costs both sides CPU on every statement: the
//! scale suite's profile showed OpenSSL in Postgres's own samples. So on
//! loopback, with no `sslmode` in the URL and no `PGSSLMODE`, connections
//! are plain; any other host keeps the default, and an explicit mode wins.

use sqlx::postgres::{PgConnectOptions, PgSslMode};

pub fn plain_on_loopback(opts: PgConnectOptions, url: &str, env_mode: Option<&str>) -> PgConnectOptions {
    let host = opts.get_host();
    let loopback = opts.get_socket().is_some()
        || host == "localhost"
        || host.trim_matches(['[', ']']).parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback());
    if loopback && !url.contains("sslmode=") && env_mode.is_none() {
        opts.ssl_mode(PgSslMode::Disable)
    } else {
        opts
    }
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use super::*;

    fn mode(url: &str, env: Option<&str>) -> PgSslMode {
        let opts = PgConnectOptions::from_str(url).unwrap();
        plain_on_loopback(opts, url, env).get_ssl_mode()
    }

    #[test]
    fn loopback_is_plain_unless_a_mode_is_asked_for() {
        assert!(matches!(mode("postgres://postgres@127.0.0.1:5432/db", None), PgSslMode::Disable));
        assert!(matches!(mode("postgres://postgres@localhost/db", None), PgSslMode::Disable));
        assert!(matches!(mode("postgres://postgres@[::1]:5432/db", None), PgSslMode::Disable));
        assert!(matches!(mode("postgres://postgres@127.0.0.1/db?sslmode=require", None), PgSslMode::Require));
        assert!(!matches!(mode("postgres://postgres@127.0.0.1/db", Some("require")), PgSslMode::Disable));
    }

    #[test]
    fn another_host_keeps_the_default() {
        assert!(matches!(mode("postgres://app@db.example.com:5432/db", None), PgSslMode::Prefer));
        assert!(matches!(mode("postgres://app@10.0.0.7/db", None), PgSslMode::Prefer));
    }
}
