"""Fill the nginx.conf template beside this file for a list of app processes.

    python deploy/render.py --listen 8080 --backend 127.0.0.1:8501 --backend 127.0.0.1:8502 > nginx.conf
    python deploy/render.py --listen 443 --tls-certificate /etc/ssl/mlp.crt --tls-key /etc/ssl/mlp.key --backend ...

The processes may live on other machines (--backend 10.0.0.12:8501); nginx then needs its own prefix folder:
nginx -p DIR -c nginx.conf (deploy/serve.py does all of this on one machine).
"""
from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

TEMPLATE = Path(__file__).with_name("nginx.conf")
ADDRESS = re.compile(r"^(?:(?P<host>[A-Za-z0-9.\-]+|\[[0-9A-Fa-f:]+\]):)?(?P<port>\d{1,5})$")
MAX_FAILS, FAIL_TIMEOUT = 3, "15s"


def check_address(text: str, need_host: bool) -> str:
    """`host:port` (or a bare port where a host is optional), else a ValueError that says what was wrong."""
    match = ADDRESS.match(text.strip())
    if not match or not 0 < int(match["port"]) < 65536 or (need_host and not match["host"]):
        wanted = "HOST:PORT" if need_host else "PORT or ADDRESS:PORT"
        raise ValueError(f"{text!r} is not an address nginx can use: write {wanted}, e.g. 127.0.0.1:8501")
    return text.strip()


def render(listen: str, backends: list[str], tls: tuple[str, str] | None = None) -> str:
    """The nginx configuration: `listen` for browsers (over TLS with `tls`, a certificate and its key: the affinity
    cookie is then marked Secure), one upstream server and one health location per backend."""
    if not backends:
        raise ValueError("nginx needs at least one app process behind it (--backend HOST:PORT)")
    listen = check_address(listen, need_host=False)
    tls_lines = ""
    if tls is not None:
        certificate, key = (str(Path(name).resolve()) for name in tls)
        for name in (certificate, key):
            if not Path(name).is_file() or any(c in name for c in ';{}"\'\n'):
                raise ValueError(f"{name!r} is not a file nginx can read as a TLS certificate or key")
        listen += " ssl"
        tls_lines = (f'        ssl_certificate "{certificate}";\n        ssl_certificate_key "{key}";\n'
                     "        ssl_protocols TLSv1.2 TLSv1.3;\n"
                     '        add_header Strict-Transport-Security "max-age=31536000" always;')
    backends = [check_address(b, need_host=True) for b in backends]
    servers = "\n".join(f"        server {b} max_fails={MAX_FAILS} fail_timeout={FAIL_TIMEOUT};" for b in backends)
    health = "\n".join(f"        location = /_health/{i} {{\n            proxy_pass http://{b}/_stcore/health;\n"
                       f"        }}" for i, b in enumerate(backends, start=1))
    text = TEMPLATE.read_text()
    text = text.replace("@TLS@\n", tls_lines + "\n" if tls_lines else "")
    return text.replace("@LISTEN@", listen).replace("@SERVERS@", servers).replace("@HEALTH@", health)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--listen", default="8080", help="where nginx answers browsers: PORT or ADDRESS:PORT")
    parser.add_argument("--backend", action="append", default=[], metavar="HOST:PORT",
                        help="one app process (streamlit run app.py); repeat for each")
    parser.add_argument("--tls-certificate", metavar="FILE", help="serve HTTPS with this certificate (PEM)")
    parser.add_argument("--tls-key", metavar="FILE", help="the certificate's private key (PEM)")
    args = parser.parse_args(argv)
    if (args.tls_certificate is None) != (args.tls_key is None):
        parser.error("--tls-certificate and --tls-key go together")
    tls = (args.tls_certificate, args.tls_key) if args.tls_certificate else None
    try:
        sys.stdout.write(render(args.listen, args.backend, tls))
    except ValueError as error:
        parser.error(str(error))
    return 0


if __name__ == "__main__":
    sys.exit(main())
