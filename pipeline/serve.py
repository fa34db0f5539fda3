"""The model server SageMaker hosting starts (``docker run <image> serve``): GET /ping and
POST /invocations.

As AWS documents it (SageMaker Developer Guide, "Custom Inference Code with Hosting Services"): the
model.tar.gz is extracted to /opt/ml/model, and the container answers on port 8080, or on
``SAGEMAKER_BIND_TO_PORT`` where SageMaker sets it ("Run Real-time Predictions with an Inference
Pipeline"). It wraps ``pipeline.inference`` (model_fn / input_fn / predict_fn / output_fn) with the
standard library's threading HTTP server; the model is loaded once, before the port opens.
"""

from __future__ import annotations

import os
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from backend.errors import CuratorError
from pipeline.inference import JSON, LoadedModel, input_fn, model_fn, output_fn, predict_fn


def make_handler(loaded: LoadedModel) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
            self._reply(200 if self.path == "/ping" else 404, b"", "text/plain")

        def do_POST(self) -> None:  # noqa: N802
            if self.path != "/invocations":
                return self._reply(404, b"", "text/plain")
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            try:
                texts = input_fn(body, self.headers.get("Content-Type", JSON))
                payload, kind = output_fn(predict_fn(texts, loaded), self.headers.get("Accept", JSON))
            except (CuratorError, ValueError) as exc:
                return self._reply(400, str(exc).encode(), "text/plain")
            self._reply(200, payload.encode("utf-8"), kind)

        def _reply(self, status: int, body: bytes, kind: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:  # quiet: SageMaker logs requests itself
            pass

    return Handler


MODEL_DIR = "/opt/ml/model"


def main() -> None:
    try:
        loaded = model_fn(MODEL_DIR)
    except CuratorError as exc:  # a damaged or crafted model folder: say so, never a traceback
        print(f"error: {exc.problem}", file=sys.stderr)
        if exc.fix:
            print(f"what to do: {exc.fix}", file=sys.stderr)
        raise SystemExit(2) from None
    port = int(os.environ.get("SAGEMAKER_BIND_TO_PORT", "8080"))
    ThreadingHTTPServer(("0.0.0.0", port), make_handler(loaded)).serve_forever()


if __name__ == "__main__":
    main()
