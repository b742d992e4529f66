"""A throw-away certificate authority for TLS tests (uses ``cryptography``).

``TestCA()`` creates, in a private temp dir:

* ``ca.pem``      the self-signed CA certificate (``ca_path``)
* ``server.pem``  a server certificate signed by that CA (``cert_path``)
* ``server.key``  its unencrypted PKCS#8 private key (``key_path``)
* ``bundle.pem``  the CA followed by the system roots, if present
                  (``bundle_path``; meant for ``SSL_CERT_FILE``)

The server certificate's SANs are ``localhost``, ``127.0.0.1`` and the
namespace-side address of every /30 that :class:`support.netns.NetNamespace`
may pick (198.51.100.2, .6, .10, ... .254), so one CA serves any namespace;
``extra_dns`` / ``extra_ips`` add more. Keys are ECDSA P-256 (fast to make,
accepted by OpenSSL/mosquitto, rustls and awscrt).
"""

from __future__ import annotations

import datetime as _dt
import ipaddress
import os
import shutil
import tempfile
from typing import Iterable

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

SYSTEM_BUNDLE = "/etc/ssl/certs/ca-certificates.crt"
# ns-side address of each /30 in 198.51.100.0/24 (see netns.py)
NETNS_IPS = [f"198.51.100.{4 * k + 2}" for k in range(64)]


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "nwp500 tests"),
                      x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _pem_key(key) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


class TestCA:
    __test__ = False  # not a pytest test class

    def __init__(self, extra_dns: Iterable[str] = (), extra_ips: Iterable[str] = (),
                 days: int = 30, directory: str | None = None) -> None:
        self.dir = directory or tempfile.mkdtemp(prefix="nwp500-ca-")
        self._owns_dir = directory is None
        now = _dt.datetime.now(_dt.timezone.utc)
        start, end = now - _dt.timedelta(hours=1), now + _dt.timedelta(days=days)

        self.ca_key = ec.generate_private_key(ec.SECP256R1())
        ca_ski = x509.SubjectKeyIdentifier.from_public_key(self.ca_key.public_key())
        self.ca_cert = (
            x509.CertificateBuilder()
            .subject_name(_name("nwp500 test CA")).issuer_name(_name("nwp500 test CA"))
            .public_key(self.ca_key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(start).not_valid_after(end)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                         content_commitment=False, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False,
                                         encipher_only=False, decipher_only=False), critical=True)
            .add_extension(ca_ski, critical=False)
            .sign(self.ca_key, hashes.SHA256())
        )

        self.dns_names = ["localhost", *extra_dns]
        self.ip_addresses = list(dict.fromkeys(["127.0.0.1", *NETNS_IPS, *extra_ips]))
        sans = [x509.DNSName(d) for d in self.dns_names]
        sans += [x509.IPAddress(ipaddress.ip_address(ip)) for ip in self.ip_addresses]
        self.server_key = ec.generate_private_key(ec.SECP256R1())
        self.server_cert = (
            x509.CertificateBuilder()
            .subject_name(_name("localhost")).issuer_name(self.ca_cert.subject)
            .public_key(self.server_key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(start).not_valid_after(end)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=False, crl_sign=False,
                                         content_commitment=False, key_encipherment=False,
                                         data_encipherment=False, key_agreement=True,
                                         encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.SubjectAlternativeName(sans), critical=False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(self.server_key.public_key()),
                           critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski),
                           critical=False)
            .sign(self.ca_key, hashes.SHA256())
        )

        ca_pem = self.ca_cert.public_bytes(serialization.Encoding.PEM)
        self.ca_path = self._write("ca.pem", ca_pem)
        self.cert_path = self._write("server.pem",
                                     self.server_cert.public_bytes(serialization.Encoding.PEM))
        self.key_path = self._write("server.key", _pem_key(self.server_key), mode=0o600)
        bundle = ca_pem
        if os.path.exists(SYSTEM_BUNDLE):
            with open(SYSTEM_BUNDLE, "rb") as f:
                bundle += b"\n" + f.read()
        self.bundle_path = self._write("bundle.pem", bundle)

    def _write(self, name: str, data: bytes, mode: int = 0o644) -> str:
        path = os.path.join(self.dir, name)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        return path

    def ssl_context(self):
        """A client-side :class:`ssl.SSLContext` trusting only this CA."""
        import ssl
        return ssl.create_default_context(cafile=self.ca_path)

    def cleanup(self) -> None:
        if self._owns_dir:
            shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self) -> "TestCA":
        return self

    def __exit__(self, *exc) -> None:
        self.cleanup()
