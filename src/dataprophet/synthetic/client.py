"""Generators behind an OpenAI-compatible chat API, with a reply cache on disk.

One request per image: the prompt text, then the image as a base64 data URL. The ``openai``
client does the retrying: timeouts, dropped connections, 408, 409, 429 (honouring
Retry-After) and 5xx are retried ``max_retries`` times with exponential backoff. Requests
run ``concurrency`` at a time and at most ``requests_per_minute`` a minute.

Every reply is written to the cache as soon as it arrives (one small JSON file, written
atomically), keyed by everything that shapes it: model, base URL, prompt, image hash,
temperature, token cap and image detail. A rerun, or a run resumed after a crash or a kill,
sends only the requests that have no cached reply, so no reply is paid for twice. A request
that still fails after its retries is not cached; the others finish first, then the stage
stops and says how many failed, and a rerun resends only those.

A 200 reply that is not a chat completion with text (an HTML page from a proxy, no
``choices``, ``content: null`` or empty) is a fault like a 500: it is retried up to
``max_retries`` times, never cached, and the error names the generator and the image. An
empty reply cached by an earlier version counts as missing and is asked again. Messages
count the retries that really happened (the client's own, read from the
``x-stainless-retry-count`` header it sends, and ours for malformed replies).

The key is read from the environment variable the generator names and is given to the client
only: it is never written to the cache, a log or a result, and error messages are scrubbed of
it. The cache keeps the reply text and token usage, no headers.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

from dataprophet.io.atomic import write_json
from dataprophet.settings import GeneratorSettings

# Errors after which no other request can succeed: stop at once instead of paying for more.
FATAL = ("AuthenticationError", "PermissionDeniedError", "NotFoundError", "BadRequestError")


class GenerationError(ValueError):
    """Requests that failed after their retries; the message says how many and why."""


class MalformedReplyError(Exception):
    """A 200 reply that is not a chat completion with text."""


def reply_text(response) -> str:
    """The text of a chat completion; MalformedReplyError saying what is wrong otherwise."""
    if isinstance(response, str | bytes):
        start = (response.decode(errors="replace") if isinstance(response, bytes) else response)[:60]
        raise MalformedReplyError(f"the reply is not JSON (it starts {start.strip()!r}; a proxy or login page?)")
    choices = getattr(response, "choices", None)
    if not choices:
        raise MalformedReplyError("the reply has no choices")
    message = getattr(choices[0], "message", None)
    content = getattr(message, "content", None)
    if not isinstance(content, str) or not content.strip():
        raise MalformedReplyError(f"the reply's content is {'null' if content is None else 'empty'}")
    return content


def _retries(count: int) -> str:
    return "with no retry" if count == 0 else f"after {count} retr{'y' if count == 1 else 'ies'}"


def api_key(generator: GeneratorSettings) -> str:
    key = os.environ.get(generator.api_key_env, "")
    if not key:
        raise GenerationError(
            f"generator {generator.name!r}: the environment variable {generator.api_key_env} that should hold "
            f"its API key is not set"
        )
    return key


def scrub(text: str, secret: str) -> str:
    return text.replace(secret, "<key>") if secret else text


class RateLimiter:
    """At most ``per_minute`` acquisitions a minute, spaced evenly (0 = no limit)."""

    def __init__(self, per_minute: float):
        self.interval = 60.0 / per_minute if per_minute > 0 else 0.0
        self.next = time.monotonic()
        self.lock = threading.Lock()

    def acquire(self) -> None:
        if not self.interval:
            return
        with self.lock:
            now = time.monotonic()
            wait = self.next - now
            self.next = max(now, self.next) + self.interval
        if wait > 0:
            time.sleep(wait)


class ReplyCache:
    """One JSON file per reply under ``folder``/<generator name>/."""

    def __init__(self, folder: Path, generator: GeneratorSettings, prompt: str):
        self.folder = Path(folder) / generator.name
        self.generator = generator
        self.prompt = prompt

    def key(self, image_sha: str) -> str:
        g = self.generator
        parts = [g.model, g.base_url, self.prompt, image_sha, repr(g.temperature), str(g.max_tokens), g.detail]
        return hashlib.sha256("\x00".join(parts).encode()).hexdigest()

    def path(self, image_sha: str) -> Path:
        key = self.key(image_sha)
        return self.folder / key[:2] / f"{key}.json"

    def get(self, image_sha: str) -> str | None:
        path = self.path(image_sha)
        if not path.exists():
            return None
        reply = json.loads(path.read_text())["reply"]
        return reply if isinstance(reply, str) and reply.strip() else None  # never a good reply: ask again

    def put(self, image_sha: str, reply: str, usage: dict | None) -> None:
        write_json(
            {
                "model": self.generator.model,
                "base_url": self.generator.base_url,
                "prompt_sha256": hashlib.sha256(self.prompt.encode()).hexdigest(),
                "image_sha256": image_sha,
                "reply": reply,
                "usage": usage or {},
            },
            self.path(image_sha),
        )


def image_sha(png: bytes) -> str:
    return hashlib.sha256(png).hexdigest()


def _mime(data: bytes) -> str:
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "image/png"
    if data[:3] == b"\xff\xd8\xff":
        return "image/jpeg"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return "image/png"


def messages(prompt: str, image: bytes, detail: str) -> list[dict]:
    url = f"data:{_mime(image)};base64,{base64.b64encode(image).decode()}"
    return [
        {
            "role": "user",
            "content": [
                {"type": "text", "text": prompt},
                {"type": "image_url", "image_url": {"url": url, "detail": detail}},
            ],
        }
    ]


class ApiGenerator:
    """Replies of one API generator for many images, through the cache."""

    def __init__(self, generator: GeneratorSettings, cache: ReplyCache, settings):
        from openai import DefaultHttpxClient, OpenAI

        self.generator = generator
        self.cache = cache
        self.settings = settings
        self.key = api_key(generator)
        self.tries = threading.local()  # the client's retries of the current request, per thread
        self.client = OpenAI(
            base_url=generator.base_url,
            api_key=self.key,
            max_retries=settings.max_retries,
            timeout=settings.timeout,
            http_client=DefaultHttpxClient(event_hooks={"request": [self._count_retry]}),
        )
        self.limiter = RateLimiter(settings.requests_per_minute)
        self.stop = threading.Event()

    def _count_retry(self, request) -> None:
        self.tries.client = max(
            getattr(self.tries, "client", 0), int(request.headers.get("x-stainless-retry-count", 0))
        )

    def request(self, image: bytes) -> tuple[str, dict | None]:
        g = self.generator
        kwargs = {"model": g.model, "messages": messages(self.cache.prompt, image, g.detail)}
        kwargs["max_completion_tokens"] = g.max_tokens
        if g.temperature is not None:
            kwargs["temperature"] = g.temperature
        response = self.client.chat.completions.create(**kwargs)
        reply = reply_text(response)
        usage = response.usage.model_dump() if getattr(response, "usage", None) is not None else None
        return reply, usage

    def _one(self, rid: str, image: bytes) -> tuple[str | None, int]:
        """(reply or None when stopped, retries taken); a malformed reply is retried like a
        fault, and an exception carries ``retries`` too."""
        sha = image_sha(image)
        cached = self.cache.get(sha)
        if cached is not None:
            return cached, 0
        retries = 0
        while True:
            if self.stop.is_set():
                return None, retries
            self.limiter.acquire()
            self.tries.client = 0
            try:
                reply, usage = self.request(image)
            except MalformedReplyError as exc:
                retries += self.tries.client
                if retries < self.settings.max_retries:
                    retries += 1
                    time.sleep(min(0.5 * 2 ** (retries - 1), 8.0))
                    continue
                error = MalformedReplyError(
                    f"generator {self.generator.name!r}, image {rid} (sha256 {sha[:12]}): {exc}; not cached"
                )
                error.retries = retries
                raise error from None
            except Exception as exc:
                exc.retries = retries + self.tries.client
                raise
            self.cache.put(sha, reply, usage)
            return reply, retries + self.tries.client

    def replies(self, images: dict[str, bytes], label: str = "") -> dict[str, str]:
        """{row id: reply} for ``images`` ({row id: image bytes}); raises GenerationError
        after every other request has finished when some failed."""
        out: dict[str, str] = {}
        failures: list[tuple[str, str]] = []
        done = 0
        started = time.time()
        with ThreadPoolExecutor(max_workers=self.settings.concurrency) as pool:
            futures = {pool.submit(self._one, rid, image): rid for rid, image in images.items()}
            for future in as_completed(futures):
                rid = futures[future]
                try:
                    reply, _ = future.result()
                except Exception as exc:  # noqa: BLE001 -- the client's errors, reported together below
                    text = f"{type(exc).__name__}: {scrub(str(exc), self.key)}"
                    failures.append((rid, f"{_retries(getattr(exc, 'retries', 0))} (first: {text})"))
                    if type(exc).__name__ in FATAL:
                        self.stop.set()
                    continue
                if reply is not None:
                    out[rid] = reply
                done += 1
                if done % 200 == 0:
                    print(
                        f"{label} {self.generator.name}: {done}/{len(images)} replies ({time.time() - started:.0f} s)"
                    )
        if failures or len(out) < len(images):
            first = failures[0][1] if failures else "(stopped after a fatal error)"
            raise GenerationError(
                f"generator {self.generator.name!r}: {len(images) - len(out)} of {len(images)} requests got no reply "
                f"{first}; the {len(out)} replies received are cached under {self.cache.folder}, so a rerun sends "
                f"only the missing ones"
            )
        return out
