"""The run's memory: sets and mappings that answer as Python's own do, below their bound in
memory and past it from the run's temporary file, for keys in every script."""

import os
import random
import tracemalloc
from pathlib import Path

import pytest

from crawler.storage.spill import RunMemory
from crawler.storage.state import KnownPost

SITES = ["rferl.org", "svoboda.org", "radiofarda.com", "rfa.org", "당신.kr", "ازادی.org", "ວິທະຍຸ.la", "ខ្មែរ.org"]


def keys(n, seed=3):
    rng = random.Random(seed)
    made = []
    for i in range(n):
        kind = i % 3
        if kind == 0:
            made.append(rng.randrange(1, 40_000_000))
        elif kind == 1:
            made.append((rng.choice(SITES), rng.randrange(1, 40_000_000)))
        else:
            # Text as sites write it: a zero-width non-joiner in Persian, Khmer's combining marks.
            made.append(f"https://{rng.choice(SITES)}/a/\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645-{i}.html")
    return made


@pytest.mark.parametrize("bound", [1, 7, 10_000])
def test_a_set_answers_as_a_python_set_below_and_past_its_bound(bound):
    memory = RunMemory(keys_in_memory=bound)
    made = keys(300)
    kept, expected = memory.set(), set()
    for key in made + made[:40]:  # each key twice for some
        kept.add(key)
        expected.add(key)
        assert key in kept
        assert len(kept) == len(expected)
    kept.update(made[:10])
    for key in keys(300, seed=4):
        assert (key in kept) == (key in expected)
    assert set(kept) == expected
    assert kept.spilled == (bound < len(expected))
    memory.close()


@pytest.mark.parametrize("bound", [1, 5, 10_000])
def test_a_mapping_keeps_each_value_as_it_was_given(bound):
    memory = RunMemory(keys_in_memory=bound)
    made = keys(120)
    kept = memory.map(decode=lambda fields: KnownPost(*fields))
    expected = {}
    for i, key in enumerate(made):
        value = None if i % 4 == 0 else KnownPost(SITES[i % len(SITES)], f"https://{SITES[i % len(SITES)]}/a/{i}.html",
                                                    "2026-01-0%dT00:00:00+00:00" % (1 + i % 9), f'W/"{i}"', None, i % 5 == 0)
        kept[key] = value
        expected[key] = value
    kept[made[1]] = expected[made[1]] = None  # a value replaced
    for key, value in expected.items():
        assert key in kept
        assert kept[key] == value
        assert kept.get(key, "absent") == value
    assert kept.get(("rferl.org", -1), "absent") == "absent"
    with pytest.raises(KeyError):
        kept[("rferl.org", -1)]
    assert len(kept) == len(expected)
    flags = memory.map()
    flags.update(dict.fromkeys(made[:30], False))
    flags.update({made[0]: True})
    assert [flags[k] for k in made[:3]] == [True, False, False]
    assert kept.spilled == (bound < len(expected))
    memory.close()


def test_past_its_bound_a_set_holds_no_more_memory_as_it_grows(tmp_path, monkeypatch):
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", None)
    memory = RunMemory(keys_in_memory=1_000)
    kept = memory.set()
    tracemalloc.start()
    try:
        for i in range(2_000):
            kept.add(("svoboda.org", i))
        held_at_2k = tracemalloc.get_traced_memory()[0]
        for i in range(2_000, 30_000):
            kept.add(("svoboda.org", i))
        held_at_30k = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    assert len(kept) == 30_000 and ("svoboda.org", 29_999) in kept and ("svoboda.org", 30_000) not in kept
    # A Python set of 28,000 more keys holds megabytes; the spilled set holds none of them.
    assert held_at_30k - held_at_2k < 200_000
    files = list(tmp_path.glob("pangea-run-memory-*/memory.db"))
    assert len(files) == 1
    memory.close()
    assert not any(Path(tmp_path).iterdir()), os.listdir(tmp_path)


def test_a_spilled_set_leaves_the_file_when_it_is_dropped():
    memory = RunMemory(keys_in_memory=2)
    first = memory.set()
    first.update(range(5))
    second = memory.set()
    second.update(range(5))
    assert memory.spilled == 2
    del first
    assert memory.spilled == 1 and 4 in second
    memory.close()


def test_a_bound_below_one_is_refused():
    with pytest.raises(ValueError, match="at least 1"):
        RunMemory(keys_in_memory=0)
