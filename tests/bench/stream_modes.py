"""TTFT and leaked tokens of hold_back vs stream_first through the proxy: python -m tests.bench.stream_modes"""
import statistics
import time

import openai

from tests.api.conftest import proxy_config, start_proxy
from tests.fakes.guard import FakeTEIGuard
from tests.fakes.upstream import FakeUpstream, ServerThread

fake = FakeUpstream(); tei = FakeTEIGuard()
with ServerThread(fake) as up, ServerThread(tei) as g:
    fake.url = up.url
    for mode, release in (("hold_back", "every_window"), ("hold_back", "first_window"), ("stream_first", "every_window")):
        cfg = proxy_config(fake, guards={"input": [], "output": ["tei"], "definitions": {"tei": {"kind": "tei", "url": g.url, "labels": {"MALICIOUS": "violence", "BENIGN": None}}}, "stream": {"mode": mode, "window_tokens": 64, "stride_tokens": 16, "release": release}})
        with start_proxy(cfg) as p:
            c = openai.OpenAI(base_url=p.url + "/v1", api_key="x", max_retries=0)
            fake.script.answer_text = " ".join(f"w{i}" for i in range(200)); fake.script.chunk_delay = 0.02
            tt = []; leaks = []
            for i in range(5):
                s = time.perf_counter(); first = None
                for ch in c.chat.completions.create(model="fake-gpt", messages=[{"role": "user", "content": f"q{i}"}], stream=True):
                    if ch.choices and ch.choices[0].delta.content and first is None:
                        first = time.perf_counter() - s
                tt.append(first)
            fake.script.answer_text = " ".join([f"w{i}" for i in range(40)] + ["BOMB"] + [f"a{i}" for i in range(100)])
            for i in range(5):
                text = "".join(ch.choices[0].delta.content or "" for ch in c.chat.completions.create(model="fake-gpt", messages=[{"role": "user", "content": f"z{i}"}], stream=True) if ch.choices)
                words = text.split(); leaks.append(len(words) - words.index("BOMB") - 1 if "BOMB" in words else -1)
            print(mode, release if mode == "hold_back" else "", "TTFT p50 ms (20 ms/token upstream)", round(statistics.median(tt) * 1000, 1), "tokens leaked after the first unsafe token:", leaks)
