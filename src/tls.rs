//! The one TLS stack: rustls with ring as its only crypto provider, for MQTT (mqtts/wss) and
//! REST alike, trusting the system's roots as rustls-native-certs finds them (which honours
//! `SSL_CERT_FILE`/`SSL_CERT_DIR`).
//!
//! Why ring: rumqttc 0.25 links ring whatever its features (its error type comes from
//! rustls-webpki 0.102), so choosing aws-lc-rs would compile two providers; ring alone also
//! builds faster from clean and gives a smaller wheel (figures in README, "Packaging").
//! Every config is built with an explicit provider, never the process default, so nothing
//! depends on which crate happened to install one first.

use std::sync::{Arc, Mutex};

use rustls::crypto::CryptoProvider;
use rustls::{ClientConfig, RootCertStore};

fn provider() -> Arc<CryptoProvider> {
    static PROVIDER: std::sync::OnceLock<Arc<CryptoProvider>> = std::sync::OnceLock::new();
    PROVIDER.get_or_init(|| Arc::new(rustls::crypto::ring::default_provider())).clone()
}

/// The system's trust store. Cached per value of `SSL_CERT_FILE`/`SSL_CERT_DIR`, failure
/// included, because reading a certificate directory costs milliseconds: after `warm_roots`
/// on a blocking thread, the runtime thread only ever reads the cache. Loaded without holding
/// the lock, so a reader of the cache never waits on another thread's disk reads.
fn roots() -> Result<Arc<RootCertStore>, String> {
    type Key = (Option<String>, Option<String>);
    type Cache = Option<(Key, Result<Arc<RootCertStore>, String>)>;
    static ROOTS: Mutex<Cache> = Mutex::new(None);
    let key = (std::env::var("SSL_CERT_FILE").ok(), std::env::var("SSL_CERT_DIR").ok());
    if let Some((k, cached)) = ROOTS.lock().unwrap_or_else(|p| p.into_inner()).as_ref() {
        if *k == key {
            return cached.clone();
        }
    }
    let loaded = rustls_native_certs::load_native_certs();
    let mut store = RootCertStore::empty();
    let (added, _ignored) = store.add_parsable_certificates(loaded.certs);
    let roots = if added == 0 {
        Err(format!("no trusted CA certificates found ({} errors)", loaded.errors.len()))
    } else {
        Ok(Arc::new(store))
    };
    *ROOTS.lock().unwrap_or_else(|p| p.into_inner()) = Some((key, roots.clone()));
    roots
}

/// Loads the trust store into the cache unless it is there already (the first load reads a
/// certificate bundle or directory: file I/O, milliseconds). For a blocking thread, ahead of
/// `mqtt_config` on the shared runtime thread, which then finds it cached.
pub fn warm_roots() {
    let _ = roots();
}

fn config_with(roots: Arc<RootCertStore>, alpn: &[&[u8]]) -> ClientConfig {
    let mut config = ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .expect("ring supports rustls' default protocol versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    config
}

/// For an MQTT connection attempt; `websocket` asks for HTTP/1.1 by ALPN (the upgrade).
pub fn mqtt_config(websocket: bool) -> Result<Arc<ClientConfig>, String> {
    let alpn: &[&[u8]] = if websocket { &[b"http/1.1"] } else { &[] };
    Ok(Arc::new(config_with(roots()?, alpn)))
}

/// For a REST client. Without any trusted root the client is still built (plain-HTTP
/// endpoints such as the simulator work); an https request then fails naming the unknown
/// issuer, rather than the whole client failing to exist.
pub fn rest_config() -> ClientConfig {
    let roots = roots().unwrap_or_else(|_| Arc::new(RootCertStore::empty()));
    config_with(roots, &[b"http/1.1"])  // reqwest is built without HTTP/2
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_config_uses_ring() {
        let rest = rest_config();
        assert!(Arc::ptr_eq(rest.crypto_provider(), &provider()));
        assert_eq!(rest.alpn_protocols, vec![b"http/1.1".to_vec()]);
    }

    #[test]
    fn a_missing_bundle_is_an_error_for_mqtt_and_empty_roots_for_rest() {
        // SSL_CERT_FILE naming a file with no certificate; SSL_CERT_DIR pointing nowhere.
        let dir = std::env::temp_dir().join(format!("nwp500-tls-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let empty = dir.join("empty.pem");
        std::fs::write(&empty, b"").unwrap();
        std::env::set_var("SSL_CERT_FILE", &empty);
        std::env::set_var("SSL_CERT_DIR", dir.join("none"));
        assert!(mqtt_config(true).unwrap_err().contains("no trusted CA"));
        assert!(rest_config().alpn_protocols.len() == 1);
        std::env::remove_var("SSL_CERT_FILE");
        std::env::remove_var("SSL_CERT_DIR");
        let _ = std::fs::remove_dir_all(dir);
    }
}
