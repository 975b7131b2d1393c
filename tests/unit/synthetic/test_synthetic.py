"""The synthetic pool: reply validation, the procedural generators, and the API path against a
local server on the loopback address (faults, cache, resume after a kill, dry run, keys)."""

from __future__ import annotations

import hashlib
import http.server
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter

import numpy as np
import pandas as pd
import pytest

from dataprophet.data.suite import generate_splits
from dataprophet.io.contract import read_table, write_table
from dataprophet.settings import ConfigError, SynthesizeSettings, to_flags
from dataprophet.synthetic import client as client_module
from dataprophet.synthetic.client import GenerationError, RateLimiter
from dataprophet.synthetic.pairs import estimate_tokens, parse_reply
from dataprophet.synthetic.procedural import ProceduralGenerator, pixel_facts
from dataprophet.synthetic.synthesize import split_images, synthesize

KEY_ENV = "DP_TEST_GENERATOR_KEY"
KEY = "sk-planted-4f1c9e2b7a6d5e8f0c3b2a1908172635"


# ----------------------------------------------------------------------------- validation


def pairs(n=5, **change):
    items = [{"question": f"question {i}?", "answer": f"answer {i}"} for i in range(n)]
    for i, (field, value) in change.items():
        items[int(i)][field] = value
    return items


def test_valid_reply_gives_every_pair():
    kept, rejects = parse_reply(json.dumps(pairs()), 5, 8)
    assert [p["answer"] for p in kept] == [f"answer {i}" for i in range(5)] and rejects == []


@pytest.mark.parametrize(
    "text, reason",
    [
        ("Here you go:\n" + json.dumps(pairs()), "not valid JSON"),
        (json.dumps(pairs(4)), "4 items, expected 5"),
        (json.dumps({"question": "q", "answer": "a"}), "JSON dict, not an array"),
        (json.dumps(pairs())[:40], "not valid JSON"),
        ("", "empty reply"),
    ],
)
def test_a_broken_reply_is_rejected_whole_with_its_reason(text, reason):
    kept, rejects = parse_reply(text, 5, 8)
    assert kept == [] and len(rejects) == 1
    assert rejects[0]["item"] == -1 and reason in rejects[0]["reason"]


def test_fenced_and_wrapped_replies_are_read():
    fenced = "```json\n" + json.dumps(pairs()) + "\n```"
    wrapped = json.dumps({"pairs": pairs()})
    for text in (fenced, wrapped):
        assert len(parse_reply(text, 5, 8)[0]) == 5


@pytest.mark.parametrize(
    "change, reason",
    [
        ({(1, "answer"): ""}, "empty answer"),
        ({(1, "question"): "  "}, "empty question"),
        ({(1, "answer"): "one two three four five six seven eight nine"}, "answer longer than 8 words"),
        ({(1, "answer"): "red<|im_end|>"}, "special token"),
        ({(1, "question"): "what is <image> here?"}, "special token"),
        ({(1, "question"): "Question 0 ?"}, "repeats the question of item 0"),
    ],
)
def test_a_bad_pair_is_rejected_alone(change, reason):
    items = pairs()
    for (i, field), value in change.items():
        items[i][field] = value
    kept, rejects = parse_reply(json.dumps(items), 5, 8)
    assert len(kept) == 4 and [r["item"] for r in rejects] == [1]
    assert rejects[0]["reason"] == reason


def test_token_estimate_counts_requests_and_caps():
    est = estimate_tokens(10, 5, 64, 64, "low", 1000)
    assert est["requests"] == 10 and est["output_tokens_at_most"] == 10_000
    assert est["input_tokens"] > 10 * 85  # the image plus the prompt text
    assert (
        estimate_tokens(1, 5, 2048, 2048, "high", 1)["input_tokens"]
        > estimate_tokens(1, 5, 64, 64, "high", 1)["input_tokens"] - 1
    )


# ----------------------------------------------------------------------------- procedural generators


def test_pixel_facts_read_colours_and_sides():
    import random

    pixels = np.full((64, 64, 3), 255, dtype=np.uint8)
    pixels[10:30, 2:20] = (220, 35, 35)  # red, top-left
    facts = pixel_facts(pixels, random.Random(0))
    assert facts["background"][1] == "white"
    assert facts["main"][1] == "red" and facts["count"][1] == "1"
    assert facts["side"] == ("red", "left") and facts["half"] == ("red", "top")


@pytest.mark.parametrize("style", ["paraphrase", "target_form"])
def test_procedural_reply_is_valid_deterministic_and_restates_the_fact(style):
    from dataprophet.io.contract import decode_image
    from dataprophet.settings import GeneratorSettings

    row = generate_splits("count_shapes", {"train": 3}, seed=0)["train"][0]
    gen = ProceduralGenerator(GeneratorSettings(name="g", style=style), seed=0)
    pixels = np.asarray(decode_image(row["image"]))
    text = gen.reply(row, pixels, 5)
    assert text == gen.reply(row, pixels, 5)
    kept, rejects = parse_reply(text, 5, 8)
    assert len(kept) == 5 and not rejects
    answers = {p["answer"] for p in kept}
    assert row["answers"][0].lower() in answers
    if style == "target_form":
        assert row["question"] in {p["question"] for p in kept}


def test_error_and_format_profiles_show_in_the_pool(tmp_path):
    """A generator with rates 1.0 breaks every reply (each one then loses the whole reply or
    one pair) or gets every restated fact wrong."""
    train = tmp_path / "train" / "count_shapes.parquet"
    write_table(generate_splits("count_shapes", {"train": 20}, seed=0)["train"], train)
    broken = SynthesizeSettings(generators=[{"name": "bad", "malformed_rate": 1.0}], images=20)
    out = tmp_path / "pool.parquet"
    synthesize("count_shapes", train, out, tmp_path / "rejects.csv", None, broken)
    rejects = pd.read_csv(tmp_path / "rejects.csv")
    assert rejects["source_image"].nunique() == 20 == len(rejects)
    assert len(read_table(out)) == 100 - 5 * (rejects["item"] == -1).sum() - (rejects["item"] >= 0).sum()
    wrong = SynthesizeSettings(
        generators=[{"name": "w", "error_rate": 1.0, "style": "target_form"}], images=20, instructions=False
    )  # bare questions, to find the restated facts by their question
    synthesize("count_shapes", train, out, tmp_path / "rejects.csv", None, wrong)
    pool = read_table(out)
    source = read_table(train).set_index("id")
    facts = pool[pool["question"].isin(source["question"])]
    assert len(facts) and all(
        a[0] != source.loc[s, "answers"][0] for s, a in zip(facts["source_image"], facts["answers"])
    )


def test_pairs_of_a_multiple_choice_source_are_scored_by_exact_match(tmp_path):
    train = tmp_path / "train" / "vqa_scene.parquet"
    write_table(generate_splits("vqa_scene", {"train": 4}, seed=0)["train"], train)
    assert set(read_table(train)["metric"]) == {"multiple_choice"}
    settings = SynthesizeSettings(generators=[{"name": "g"}], images=4)
    synthesize("vqa_scene", train, tmp_path / "pool.parquet", tmp_path / "rejects.csv", None, settings)
    pool = read_table(tmp_path / "pool.parquet")
    assert set(pool["metric"]) == {"exact_match"} and pool["choices"].isna().all()


def test_images_are_split_into_disjoint_equal_halves():
    ids = [f"i{k}" for k in range(11)]
    shares = split_images(ids, ["a", "b"], seed=3)
    assert sorted(shares["a"] + shares["b"]) == sorted(ids)
    assert abs(len(shares["a"]) - len(shares["b"])) <= 1 and not set(shares["a"]) & set(shares["b"])
    assert shares == split_images(ids, ["a", "b"], seed=3) != split_images(ids, ["a", "b"], seed=4)


def test_generator_settings_are_checked():
    with pytest.raises(ConfigError, match="needs"):
        SynthesizeSettings(generators=[{"name": "x", "kind": "openai", "model": "m"}])
    with pytest.raises(ConfigError, match="distinct names"):
        SynthesizeSettings(generators=[{"name": "x"}, {"name": "x"}])
    with pytest.raises(ConfigError, match="letters, digits"):
        SynthesizeSettings(generators=[{"name": "a/b"}])
    with pytest.raises(ConfigError, match="unknown key"):
        SynthesizeSettings(generators=[{"name": "a", "api_key": "sk-oops"}])


def test_rate_limiter_spaces_requests(monkeypatch):
    clock = {"t": 0.0}
    monkeypatch.setattr(client_module.time, "monotonic", lambda: clock["t"])
    monkeypatch.setattr(client_module.time, "sleep", lambda s: clock.__setitem__("t", clock["t"] + s))
    limiter = RateLimiter(per_minute=120)  # one every 0.5 s
    for _ in range(5):
        limiter.acquire()
    assert clock["t"] == pytest.approx(2.0)
    RateLimiter(0).acquire()  # no limit: returns at once


# ----------------------------------------------------------------------------- the API path


def reply_for(image_key: str) -> str:
    return json.dumps([{"question": f"what is shown {image_key[:6]} {i}?", "answer": f"thing {i}"} for i in range(5)])


def completion(n: int, model: str, action: str, key: str) -> bytes:
    """The chat-completion body of a 200 reply: valid pairs, or the scripted malformed content."""
    content = "this is not JSON at all" if action == "malformed" else reply_for(key)
    content = {"null": None, "empty": ""}.get(action, content)
    choice = {"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}
    return json.dumps(
        {
            "id": f"c{n}",
            "object": "chat.completion",
            "created": 0,
            "model": model,
            "choices": [] if action == "nochoices" else [choice],
            "usage": {"prompt_tokens": 100, "completion_tokens": 50, "total_tokens": 150},
        }
    ).encode()


class ScriptedHandler(http.server.BaseHTTPRequestHandler):
    """Answers each POST as ``api.plan`` says: ok, hang, drop, sleep, 429, 500, html or a
    malformed 200 (malformed, null, empty, nochoices). ``api`` is set on a subclass per server."""

    api: FakeApi

    def log_message(self, *args):
        pass

    def send(self, status: int, payload: bytes, content_type: str = "application/json", **headers: str) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def do_POST(self):
        api = self.api
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        url = body["messages"][0]["content"][1]["image_url"]["url"]
        key = hashlib.sha256(url.encode()).hexdigest()
        with api.lock:
            api.received += 1
            n = api.received
            api.auth.add(self.headers.get("Authorization", ""))
        action = api.plan(n, key)
        if action == "hang":
            with api.lock:
                api.hanging += 1
            api.release.wait(60)
            action = "drop"
        if action == "drop":
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        if action == "sleep":
            time.sleep(2.0)
            action = "ok"
        if action in ("429", "500"):
            payload = json.dumps({"error": {"message": f"scripted {action}"}}).encode()
            self.send(int(action), payload, **({"Retry-After": "0"} if action == "429" else {}))
            return
        if action == "html":
            self.send(200, b"<html><body>Please sign in</body></html>", "text/html")
            return
        self.send(200, completion(n, body["model"], action, key))
        with api.lock:
            api.answered[key] += 1


class FakeApi:
    """An OpenAI-compatible chat endpoint on 127.0.0.1 whose behaviour per request is scripted
    by ``plan(request number, image key) -> action``."""

    def __init__(self):
        self.plan = lambda n, key: "ok"
        self.lock = threading.Lock()
        self.received = 0
        self.answered: Counter = Counter()
        self.auth: set[str] = set()
        self.release = threading.Event()
        self.hanging = 0
        handler = type("Handler", (ScriptedHandler,), {"api": self})
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def api(monkeypatch):
    monkeypatch.setenv(KEY_ENV, KEY)
    server = FakeApi()
    yield server
    server.close()


N_IMAGES = 6


@pytest.fixture
def train(tmp_path):
    path = tmp_path / "data" / "train" / "count_shapes.parquet"
    write_table(generate_splits("count_shapes", {"train": N_IMAGES}, seed=0)["train"], path)
    return path


def api_settings(url: str, **extra) -> SynthesizeSettings:
    gens = [
        {"name": n, "kind": "openai", "model": m, "base_url": url, "api_key_env": KEY_ENV, "stands_in_for": s}
        for n, m, s in (("gpt", "fake-gpt", "GPT-5"), ("gem", "fake-gem", "Gemini 2.5 Pro"))
    ]
    values = {"generators": gens, "send": True, "concurrency": 1, "timeout": 1.0, "max_retries": 2, **extra}
    return SynthesizeSettings(**values)


def run(train, tmp_path, settings):
    out = tmp_path / "data" / "synthetic" / "count_shapes.parquet"
    rejects = tmp_path / "data" / "synthetic" / "rejects" / "count_shapes.csv"
    synthesize("count_shapes", train, out, rejects, tmp_path / "cache", settings)
    return out, rejects


def test_dry_run_prints_the_estimate_and_sends_nothing(api, train, tmp_path, capsys):
    out, _ = run(train, tmp_path, api_settings(api.url, dry_run=True))
    printed = capsys.readouterr().out
    assert api.received == 0 and not out.exists()
    assert "3 requests to send" in printed and "input tokens" in printed and "dry run" in printed


def test_a_real_run_needs_send(api, train, tmp_path):
    with pytest.raises(ValueError, match="6 API requests would be sent.*--send"):
        run(train, tmp_path, api_settings(api.url, send=False))
    assert api.received == 0


def test_a_missing_key_stops_before_any_request(api, train, tmp_path, monkeypatch):
    monkeypatch.delenv(KEY_ENV)
    with pytest.raises(GenerationError, match=f"{KEY_ENV}.*not set"):
        run(train, tmp_path, api_settings(api.url))
    assert api.received == 0


def test_429_dropped_connection_and_timeout_are_retried(api, train, tmp_path):
    api.plan = lambda n, key: {1: "429", 2: "drop", 3: "sleep"}.get(n, "ok")  # all on the first image
    out, rejects = run(train, tmp_path, api_settings(api.url, max_retries=3))
    pool = read_table(out)
    assert len(pool) == N_IMAGES * 5 and sorted(api.answered.values()) == [1] * N_IMAGES
    assert api.received >= N_IMAGES + 3  # each fault cost one more request
    assert set(pool["generator"]) == {"gpt", "gem"} and pool["source_image"].nunique() == N_IMAGES
    assert pd.read_csv(rejects).empty


def test_a_persistent_500_fails_the_stage_and_a_rerun_sends_only_what_failed(api, train, tmp_path):
    victim = {}

    def plan(n, key):
        victim.setdefault("key", key)
        return "500" if key == victim["key"] else "ok"

    api.plan = plan
    with pytest.raises(GenerationError, match="1 of 3 requests got no reply after 2 retries.*InternalServerError"):
        run(train, tmp_path, api_settings(api.url))
    assert not (tmp_path / "data" / "synthetic" / "count_shapes.parquet").exists()
    assert api.received == 3 + N_IMAGES - 1  # the failing one three times, the others (both generators) once
    api.plan = lambda n, key: "ok"
    before = api.received
    out, _ = run(train, tmp_path, api_settings(api.url))
    assert api.received - before == 1 and len(read_table(out)) == N_IMAGES * 5


@pytest.mark.parametrize("fault", ["html", "nochoices", "null", "empty"])
def test_a_malformed_200_reply_is_a_fault_retried_and_never_cached(api, train, tmp_path, fault):
    api.plan = lambda n, key: fault if n <= 2 else "ok"  # the first image, twice
    out, _ = run(train, tmp_path, api_settings(api.url, max_retries=2))
    assert len(read_table(out)) == N_IMAGES * 5 and api.received == N_IMAGES + 2
    replies = [json.loads(p.read_text())["reply"] for p in (tmp_path / "cache").rglob("*.json")]
    assert len(replies) == N_IMAGES and all(r.strip() for r in replies)


@pytest.mark.parametrize(
    ("fault", "reason"),
    [
        ("html", "the reply is not JSON \\(it starts '<html><body>Please sign in"),
        ("nochoices", "the reply has no choices"),
        ("null", "the reply's content is null"),
        ("empty", "the reply's content is empty"),
    ],
)
def test_a_persistent_malformed_reply_names_generator_and_image_and_is_not_cached(api, train, tmp_path, fault, reason):
    victim = {}

    def plan(n, key):
        victim.setdefault("key", key)
        return fault if key == victim["key"] else "ok"

    api.plan = plan
    with pytest.raises(
        GenerationError,
        match=f"1 of 3 requests got no reply after 2 retries \\(first: MalformedReplyError: "
        f"generator 'gpt', image count_shapes-\\S+ \\(sha256 [0-9a-f]{{12}}\\): {reason}",
    ):
        run(train, tmp_path, api_settings(api.url, max_retries=2))
    api.plan = lambda n, key: "ok"
    before = api.received
    out, _ = run(train, tmp_path, api_settings(api.url))
    assert api.received - before == 1 and len(read_table(out)) == N_IMAGES * 5  # the bad reply was not cached


@pytest.mark.parametrize(("max_retries", "said"), [(0, "with no retry"), (1, "after 1 retry"), (3, "after 3 retries")])
def test_messages_count_the_retries_that_happened(api, train, tmp_path, max_retries, said):
    api.plan = lambda n, key: "500"
    with pytest.raises(GenerationError, match=f"3 of 3 requests got no reply {said} \\(first: InternalServerError"):
        run(train, tmp_path, api_settings(api.url, max_retries=max_retries))
    assert api.received == N_IMAGES * (max_retries + 1)  # every image (both generators), 1 + retries tries each


def test_a_cached_empty_reply_is_asked_again(api, train, tmp_path):
    out, _ = run(train, tmp_path, api_settings(api.url))
    for path in (tmp_path / "cache").rglob("*.json"):  # as an earlier version could have cached them
        record = json.loads(path.read_text())
        path.write_text(json.dumps({**record, "reply": ""}))
    before = api.received
    out.unlink()
    run(train, tmp_path, api_settings(api.url))
    assert api.received - before == N_IMAGES


def test_a_malformed_reply_is_rejected_with_its_reason_and_not_asked_again(api, train, tmp_path):
    api.plan = lambda n, key: "malformed" if n == 1 else "ok"
    out, rejects = run(train, tmp_path, api_settings(api.url))
    assert len(read_table(out)) == (N_IMAGES - 1) * 5
    table = pd.read_csv(rejects)
    assert len(table) == 1 and table["reason"].iloc[0].startswith("not valid JSON") and table["item"].iloc[0] == -1
    before = api.received
    out.unlink()
    run(train, tmp_path, api_settings(api.url))
    assert api.received == before  # every reply, the malformed one too, came from the cache


def test_every_reply_rejected_is_an_error_and_nothing_is_written(api, train, tmp_path):
    api.plan = lambda n, key: "malformed"
    with pytest.raises(ValueError, match="every reply was rejected"):
        run(train, tmp_path, api_settings(api.url))
    assert not (tmp_path / "data" / "synthetic" / "count_shapes.parquet").exists()


def test_cache_hits_on_rerun_send_nothing(api, train, tmp_path, capsys):
    run(train, tmp_path, api_settings(api.url))
    first = api.received
    capsys.readouterr()
    run(train, tmp_path, api_settings(api.url, dry_run=True))
    assert "3 cached, 0 requests to send" in capsys.readouterr().out
    run(train, tmp_path, api_settings(api.url, send=False))  # nothing to send: no --send needed
    assert api.received == first == N_IMAGES


def test_the_key_is_written_nowhere(api, train, tmp_path, capsys):
    api.plan = lambda n, key: "500" if n == 1 else "ok"  # an error message passes through too
    run(train, tmp_path, api_settings(api.url))
    printed = capsys.readouterr()
    assert api.auth == {f"Bearer {KEY}"}  # the key was used
    written = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert any("cache" in p.parts for p in written)
    leaks = [p for p in written if KEY.encode() in p.read_bytes() or KEY_ENV.encode() in p.read_bytes()]
    assert leaks == [] and KEY not in printed.out + printed.err


def test_a_run_killed_mid_pool_resumes_without_lost_or_repeated_requests(api, train, tmp_path):
    answered_before_kill = 3
    api.plan = lambda n, key: "ok" if n <= answered_before_kill else "hang"
    settings = api_settings(api.url, concurrency=2)
    out = tmp_path / "data" / "synthetic" / "count_shapes.parquet"
    rejects = tmp_path / "rejects.csv"
    command = [
        sys.executable, "-m", "dataprophet", "synthesize", "--dataset", "count_shapes", "--train", str(train),
        "--out", str(out), "--rejects", str(rejects), "--cache", str(tmp_path / "cache"), *_split(to_flags(settings)),
    ]  # fmt: skip
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    deadline = time.time() + 60
    while (sum(api.answered.values()) < answered_before_kill or api.hanging < 1) and time.time() < deadline:
        time.sleep(0.05)
    assert sum(api.answered.values()) == answered_before_kill and api.hanging >= 1
    time.sleep(0.3)  # the answered replies reach the cache
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert not out.exists()
    cached = list((tmp_path / "cache").rglob("*.json"))
    assert len(cached) == answered_before_kill
    api.plan = lambda n, key: "ok"
    api.release.set()
    synthesize("count_shapes", train, out, rejects, tmp_path / "cache", settings)
    assert sorted(api.answered.values()) == [1] * N_IMAGES  # every image answered once: none lost, none twice
    assert len(read_table(out)) == N_IMAGES * 5


def _split(flags: str) -> list[str]:
    import shlex

    return shlex.split(flags)


def test_errors_scrub_the_key():
    assert client_module.scrub(f"Incorrect API key provided: {KEY}.", KEY) == "Incorrect API key provided: <key>."
    assert os.environ.get(KEY_ENV) is None  # the fixture's key does not leak between tests


# ----------------------------------------------------------------------------- per-sample selection


def _pool(tmp_path, rng):
    from dataprophet.prophet.factors import FeatureSet, save_features

    def unit(n, d=8):
        x = rng.normal(size=(n, d))
        return x / np.linalg.norm(x, axis=1, keepdims=True)

    tables, features = [], []
    for name in ("count_shapes", "chart_bar"):
        records = generate_splits(name, {"train": 6}, seed=0)["train"]
        for k, r in enumerate(records):
            r.update(id=f"{r['id']}-g{k % 2}-0", generator=f"g{k % 2}", source_image=r["id"])
        tables.append(tmp_path / "synthetic" / f"{name}.parquet")
        write_table(records, tables[-1], extra=("generator", "source_image"))
        fs = FeatureSet(
            q=unit(6), a=unit(6), i=unit(6), qa=unit(6), nll=rng.uniform(0.5, 2, 6), ids=[r["id"] for r in records]
        )
        features.append(tmp_path / "features" / f"{name}.npz")
        save_features(fs, features[-1])
    target = tmp_path / "test" / "chart_bar.npz"
    save_features(
        FeatureSet(q=unit(5), a=unit(5), i=unit(5), qa=unit(5), nll=rng.uniform(0.5, 2, 5), ids=list("vwxyz")), target
    )
    return tables, features, target


def test_synthetic_selection_takes_the_top_scores_or_a_threshold_and_counts_generators(tmp_path):
    from dataprophet.selection.synthetic_select import synthetic_select
    from dataprophet.settings import SyntheticSelectSettings

    tables, features, target = _pool(tmp_path, np.random.default_rng(0))
    gens = {"g0": "GPT-5", "g1": "Gemini 2.5 Pro"}
    settings = SyntheticSelectSettings(budget=4, targets=("chart_bar",), warmup_samples=3, generators=gens)
    mixtures, scores, shares = tmp_path / "mix", tmp_path / "scores.parquet", tmp_path / "shares.csv"
    synthetic_select(tables, features, [target], mixtures, scores, shares, settings)
    m = pd.read_parquet(scores)["chart_bar"]
    chosen = pd.read_csv(mixtures / "synthetic_dataprophet" / "chart_bar.ids.csv")
    assert list(chosen["id"]) == list(m.sort_values(ascending=False).index[:4])  # best first
    assert len(pd.read_csv(mixtures / "synthetic_uniform" / "all.ids.csv")) == 4
    assert len(pd.read_csv(mixtures / "synthetic_warmup" / "all.ids.csv")) == 3
    table = pd.read_csv(shares)
    pooled = table[table["selection"] == "pooled over targets"].set_index("generator")
    assert pooled["dataprophet"].sum() == pytest.approx(1.0) and pooled.loc["g1", "paper"] == 0.62
    share_g0 = (chosen["generator"] == "g0").mean()
    assert pooled.loc["g0", "dataprophet"] == pytest.approx(share_g0)
    cut = float(m.sort_values(ascending=False).iloc[6])
    threshold = SyntheticSelectSettings(budget=4, targets=("chart_bar",), warmup_samples=3, threshold=cut)
    synthetic_select(tables, features, [target], mixtures, scores, shares, threshold)
    assert len(pd.read_csv(mixtures / "synthetic_dataprophet" / "chart_bar.ids.csv")) == 7
    with pytest.raises(ValueError, match="larger than the synthetic pool"):
        synthetic_select(tables, features, [target], mixtures, scores, shares, SyntheticSelectSettings(
            budget=13, targets=("chart_bar",), warmup_samples=3))  # fmt: skip


def test_the_pool_is_read_without_its_images_and_chosen_rows_whole_in_the_chosen_order(tmp_path):
    from dataprophet.selection.synthetic_select import chosen_rows, read_pool

    tables, _, _ = _pool(tmp_path, np.random.default_rng(0))
    pool = read_pool(tables)
    assert "image" not in pool.columns and len(pool) == 12
    assert list(pool["source"]) == ["count_shapes"] * 6 + ["chart_bar"] * 6
    whole = pd.concat([read_table(t) for t in tables], ignore_index=True).set_index("id")
    ids = [pool["id"][7], pool["id"][2], pool["id"][11], pool["id"][0]]  # across both tables, not in file order
    rows = chosen_rows(tables, pool.set_index("id")["source"], ids)
    assert list(rows["id"]) == ids
    assert list(rows["source"]) == ["chart_bar", "count_shapes", "chart_bar", "count_shapes"]
    for column in ("image", "question", "generator", "source_image"):
        assert list(rows[column]) == list(whole.loc[ids, column]), column


def test_reading_some_rows_or_columns_keeps_file_order_and_names_what_is_missing(tmp_path):
    tables, _, _ = _pool(tmp_path, np.random.default_rng(0))
    whole = read_table(tables[0])
    some = read_table(tables[0], ids=[whole["id"][4], whole["id"][1]])
    assert list(some["id"]) == [whole["id"][1], whole["id"][4]]  # file order
    assert list(read_table(tables[0], columns=["id", "generator"]).columns) == ["id", "generator"]
    with pytest.raises(ValueError, match=r"count_shapes\.parquet: no column\(s\) \['colour'\]"):
        read_table(tables[0], columns=["id", "colour"])
    plain = tmp_path / "plain.parquet"
    write_table(generate_splits("count_shapes", {"train": 2}, seed=0)["train"], plain)
    from dataprophet.selection.synthetic_select import read_pool

    with pytest.raises(
        ValueError, match=r"not a synthetic table: .*plain\.parquet: no column\(s\) \['generator', 'source_image'\]"
    ):
        read_pool([plain])


def test_rows_by_id_come_from_every_row_group_in_file_order(tmp_path, monkeypatch):
    import pyarrow.parquet as pq

    from dataprophet.io import contract

    monkeypatch.setattr(contract, "ROW_GROUP_ROWS", 2)
    records = generate_splits("count_shapes", {"train": 6}, seed=0)["train"]
    path = tmp_path / "grouped.parquet"
    write_table(records, path)
    assert pq.read_metadata(path).num_row_groups == 3
    ids = [records[5]["id"], records[0]["id"], records[3]["id"]]
    some = read_table(path, ids=ids)
    assert list(some["id"]) == [records[0]["id"], records[3]["id"], records[5]["id"]]
    assert some.equals(read_table(path).iloc[[0, 3, 5]].reset_index(drop=True))
    assert read_table(path, ids=["no such id"]).empty
