"""Golden files: saved pages and the parser's reviewed output (``python -m devtools.savefixture``).

A change of extraction shows up here as a diff of ``output.json``: review it, then save
the fixture again.
"""

import json
from dataclasses import fields

import pytest

from crawler.items import Post
from devtools.savefixture import GOLDEN, NOT_PARSED, page_of, parse_output

CASES = sorted(path for path in GOLDEN.iterdir() if (path / "output.json").exists())
PARSED_FIELDS = [f.name for f in fields(Post) if f.name not in NOT_PARSED]


@pytest.fixture(scope="module")
def outputs():
    results = {}
    for folder in CASES:
        url = json.loads((folder / "meta.json").read_text())["url"]
        results[folder.name] = (parse_output(url, page_of(folder)), json.loads((folder / "output.json").read_text()))
    return results


def test_there_are_golden_files_of_real_and_replica_pages():
    names = {c.name for c in CASES}
    assert "voa-child-care" in names
    assert {"replica-seed-post", "replica-two-authors", "replica-no-image-no-tags", "replica-embed-video"} <= names
    # Page kinds seen on real Pangea sites, reconstructed from their described markup.
    assert {
        "reconstructed-factcheck-claimreview",
        "reconstructed-external-content-embeds",
        "reconstructed-audio-programme",
    } <= names


@pytest.mark.parametrize("field", PARSED_FIELDS)
@pytest.mark.parametrize("case", [c.name for c in CASES])
def test_field(outputs, case, field):
    actual, expected = outputs[case]
    assert actual[field] == expected[field]


@pytest.mark.parametrize("case", [c.name for c in CASES])
def test_no_extra_or_missing_fields(outputs, case):
    # The reviewed file is the independent side: a field the parser adds or drops shows here.
    actual, expected = outputs[case]
    assert sorted(actual) == sorted(expected)


def test_savefixture_round_trip(tmp_path):
    from devtools.savefixture import save

    folder = GOLDEN / "replica-two-authors"
    url = json.loads((folder / "meta.json").read_text())["url"]
    saved = save("copy", url, page_of(folder), golden=tmp_path)
    assert json.loads((saved / "output.json").read_text()) == json.loads((folder / "output.json").read_text())
