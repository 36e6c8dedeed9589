"""Cluster mode on loopback: nginx, 2 Rasa and 2 action servers, PostgreSQL, Redis.

Everything comes from Debian's packages (scripts/install_system_deps.sh).

    python -m scripts.cluster run      # `make cluster`: start everything, Ctrl-C stops it

* nginx (``CLUSTER_PORT``, default 8000) is the only public port: the web page, the
  REST and plain-text webhooks and the HTTP API (round robin over the Rasa servers;
  a request refused by a dead one goes to the other), and socket.io (sticky by client
  address, ``ip_hash``, with the WebSocket upgrade).
* Rasa server *i* talks to action server *i*; both Rasa servers share PostgreSQL (the
  tracker store, database ``tracker``), Redis (the lock store, db 1) and the socket.io
  message queue (Redis db 2, ``SOCKETIO_MESSAGE_QUEUE``), so a bot message produced on
  one replica reaches a socket held by the other. The action servers share
  PostgreSQL's ``reflections`` database. The web app runs once.
* Every generated file (nginx.conf, the shared keys and token, logs) is under
  var/cluster/; endpoints.yml and credentials.yml are used as they are (their
  variables are set per process).
"""

import argparse
import os
import secrets
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional

from scripts import serve
from tests.servers import PostgresServer, RedisServer, free_port, wait_port

ROOT = Path(__file__).resolve().parent.parent

CLUSTER_DIR = ROOT / "var" / "cluster"

NGINX_CONF = """\
worker_processes 1;
daemon off;
pid {dir}/nginx.pid;
error_log {dir}/logs/nginx-error.log warn;
events {{ worker_connections 2048; }}
http {{
  access_log off;
  client_body_temp_path {dir}/nginx-tmp/body;
  proxy_temp_path {dir}/nginx-tmp/proxy;
  fastcgi_temp_path {dir}/nginx-tmp/fastcgi;
  uwsgi_temp_path {dir}/nginx-tmp/uwsgi;
  scgi_temp_path {dir}/nginx-tmp/scgi;
  client_max_body_size 64k;
  upstream rasa {{
{rasa_servers}
    keepalive 64;
  }}
  upstream rasa_sticky {{
    ip_hash;
{rasa_servers}
  }}
  upstream web {{ server 127.0.0.1:{web_port}; }}
  map $http_upgrade $connection_upgrade {{ default upgrade; '' close; }}
  server {{
    listen 127.0.0.1:{port};
    proxy_set_header Host $host;
    proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
    proxy_read_timeout 120s;
    # Which replica answered (the cluster tests read it).
    add_header X-Upstream $upstream_addr always;
    location /socket.io/ {{
      proxy_pass http://rasa_sticky;
      proxy_http_version 1.1;
      proxy_set_header Upgrade $http_upgrade;
      proxy_set_header Connection $connection_upgrade;
      proxy_buffering off;
    }}
    location ~ ^/(webhooks|model|conversations|status|version|domain)(/|$) {{
      proxy_pass http://rasa;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      # A replica that refuses the connection is skipped; a request it already
      # received is never sent twice (POSTs are not retried).
      proxy_next_upstream error timeout;
    }}
    location / {{
      proxy_pass http://web;
    }}
  }}
}}
"""


@dataclass
class Cluster:
    """The processes of the cluster, and how to stop, kill and restart parts of it."""

    directory: Path = CLUSTER_DIR
    port: int = 8000
    replicas: int = 2
    extra: Dict[str, str] = field(default_factory=dict)
    postgres: Optional[PostgresServer] = None
    redis: Optional[RedisServer] = None
    pairs: List[serve.Servers] = field(default_factory=list)
    rasa_ports: List[int] = field(default_factory=list)
    others: List[subprocess.Popen] = field(default_factory=list)
    env: Dict[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        """The address of nginx, the cluster's only public one."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def token(self) -> str:
        """The API token shared by the Rasa servers."""
        return self.env["RASA_API_TOKEN"]

    def shared_environment(self) -> Dict[str, str]:
        """Variables every process of the cluster gets (the secrets are shared)."""
        assert self.postgres is not None and self.redis is not None
        return {
            "PAUSE_VAR_DIR": str(self.directory),
            "RASA_API_TOKEN": secrets.token_urlsafe(24),
            "SESSION_SECRET": secrets.token_urlsafe(32),
            "EXPORT_SECRET": secrets.token_urlsafe(32),
            "PAUSE_DATA_KEYS": _data_key(),
            "TRACKER_DB_URL": self.postgres.create_database("tracker"),
            "REFLECTIONS_DB_URL": self.postgres.create_database("reflections"),
            "REDIS_HOST": "127.0.0.1",
            "REDIS_PORT": str(self.redis.port),
            "REDIS_DB": "1",
            "SOCKETIO_MESSAGE_QUEUE": f"redis://127.0.0.1:{self.redis.port}/2",
            "WEB_ORIGIN": self.url,
            "WEB_PORT": str(free_port()),
            **self.extra,
        }

    def start(self) -> "Cluster":
        """Start every process, and return when nginx answers for all of them."""
        shutil.rmtree(self.directory, ignore_errors=True)
        (self.directory / "logs").mkdir(parents=True)
        (self.directory / "nginx-tmp").mkdir()
        try:
            self.postgres = PostgresServer().start()
            self.redis = RedisServer().start()
            self.env = self.shared_environment()
            self.rasa_ports = [free_port() for _ in range(self.replicas)]
            # Replica 1 first: it creates the schemas; the others then start side by side.
            self.pairs.append(self._start_pair(0))
            rest: List[Optional[serve.Servers]] = [None] * (self.replicas - 1)
            errors: List[BaseException] = []

            def start_one(i: int) -> None:
                try:
                    rest[i - 1] = self._start_pair(i)
                except BaseException as error:  # re-raised below
                    errors.append(error)

            threads = [threading.Thread(target=start_one, args=(i,))
                       for i in range(1, self.replicas)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            self.pairs += [pair for pair in rest if pair is not None]
            if errors:
                raise errors[0]
            self._start_web()
            self._start_nginx()
        except BaseException:
            self.stop()
            raise
        return self

    def _start_pair(self, i: int) -> serve.Servers:
        overrides = {
            **self.env,
            "RASA_PORT": str(self.rasa_ports[i]),
            "ACTION_PORT": str(free_port()),
        }
        return serve.start(overrides, log_dir=self.directory / "logs" / f"replica-{i + 1}")

    def _start_web(self) -> None:
        env = serve.server_environment(
            serve.load_settings({**os.environ, **self.env}),
            {**self.env, "RASA_PORT": str(self.port)},  # the page's socket goes to nginx
        )
        log = open(self.directory / "logs" / "webapp.log", "a")
        process = subprocess.Popen(
            [str(serve.BIN / "python"), "-m", "webapp"], cwd=ROOT, env=env,
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        self.others.append(process)
        wait_port(int(self.env["WEB_PORT"]))

    def _start_nginx(self) -> None:
        servers = "\n".join(
            f"    server 127.0.0.1:{p} max_fails=1 fail_timeout=10s;" for p in self.rasa_ports
        )
        conf = self.directory / "nginx.conf"
        conf.write_text(NGINX_CONF.format(
            dir=self.directory, port=self.port, web_port=self.env["WEB_PORT"],
            rasa_servers=servers,
        ))
        nginx = shutil.which("nginx") or "/usr/sbin/nginx"
        if not Path(nginx).exists():
            raise RuntimeError("nginx is not installed (scripts/install_system_deps.sh)")
        log = open(self.directory / "logs" / "nginx.log", "a")
        process = subprocess.Popen(
            [nginx, "-c", str(conf), "-p", str(self.directory)],
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        self.others.append(process)
        wait_port(self.port)
        serve.wait_for(f"{self.url}/", 30, process)  # the page, through nginx

    def kill_rasa(self, i: int) -> None:
        """Kill Rasa server ``i`` (SIGKILL, as a crash would)."""
        rasa = self.pairs[i].processes[1]
        os.killpg(rasa.pid, signal.SIGKILL)
        rasa.wait()

    def restart_postgres(self, down_seconds: float = 0.0) -> None:
        """Stop PostgreSQL, wait ``down_seconds``, start it again (same data)."""
        assert self.postgres is not None
        self.postgres.restart(down_seconds)

    def stop(self) -> None:
        """Stop every process this cluster started."""
        for process in reversed(self.others):
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                try:
                    process.wait(10)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
        self.others.clear()
        for pair in self.pairs:
            pair.stop()
        self.pairs.clear()
        if self.redis is not None:
            self.redis.stop()
            self.redis = None
        if self.postgres is not None:
            self.postgres.stop()
            self.postgres = None


def _data_key() -> str:
    from cryptography.fernet import Fernet

    return Fernet.generate_key().decode("ascii")


def main(argv: Optional[List[str]] = None) -> int:
    """Entry point; see the module docstring."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["run"])
    parser.add_argument("--port", type=int, default=int(os.environ.get("CLUSTER_PORT", "8000")))
    args = parser.parse_args(argv)
    if not serve.MODEL.exists():
        print(f"No model at {serve.MODEL}: run `make train` first.", file=sys.stderr)
        return 1

    def _stop(signum: int, frame: object) -> None:
        raise SystemExit(0)

    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, _stop)
    cluster = Cluster(port=args.port)
    started = time.perf_counter()
    try:
        cluster.start()
        print(f"\n  Pause cluster ready in {time.perf_counter() - started:.0f} s.")
        print(f"    web page     : {cluster.url}/")
        print(f"    REST webhook : {cluster.url}/webhooks/rest/webhook   (API token)")
        print(f"    API token    : {cluster.token}")
        print(f"    Rasa servers : {', '.join(str(p) for p in cluster.rasa_ports)} (loopback)")
        print(f"    logs         : {cluster.directory / 'logs'}\n  Press Ctrl-C to stop.",
              flush=True)
        while True:
            time.sleep(1)
    finally:
        cluster.stop()


if __name__ == "__main__":
    sys.exit(main())
