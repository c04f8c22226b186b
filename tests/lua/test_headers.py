"""Every lua/*.lua opens with a header that matches its file name and its body."""

import re

import pytest

from engine import scripts

SCRIPTS = sorted(scripts.all_scripts().values(), key=lambda s: s.name)


def split(script):
    match = re.match(r"\s*--\[\[(.*?)\]\](.*)", script.source, re.S)
    assert match, f"{script.path.name} must open with a --[[ ... ]] header"
    return match.group(1), match.group(2)


def indices(pattern, text):
    return {int(n) for n in re.findall(pattern, text)}


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda s: s.path.name)
def test_header_names_the_script_and_what_it_returns(script):
    header, _ = split(script)
    assert header.strip().startswith(f"{script.name}:"), "the header starts with '<name>: what it does'"
    assert re.search(r"^\s*Returns\b", header, re.M), "the header says what the script returns"


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda s: s.path.name)
def test_header_lists_exactly_the_keys_of_the_file_name(script):
    header, body = split(script)
    declared = indices(r"KEYS\[(\d+)\]", header)
    assert declared == set(range(1, script.numkeys + 1)), (
        f"{script.path.name} takes {script.numkeys} keys; its header lists KEYS{sorted(declared)}"
    )
    used = indices(r"KEYS\[(\d+)\]", body)
    assert used == declared, f"body uses KEYS{sorted(used)}, header lists KEYS{sorted(declared)}"
    assert "#KEYS" not in body and "KEYS[i" not in body, "keys are named one by one"


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda s: s.path.name)
def test_header_lists_every_argument_the_body_reads(script):
    header, body = split(script)
    fixed = indices(r"ARGV\[(\d+)\](?!\.\.)", header)
    rest = indices(r"ARGV\[(\d+)\.\.\]", header)
    assert fixed == set(range(1, len(fixed) + 1)), f"ARGV are numbered 1..n: {sorted(fixed)}"
    used = indices(r"ARGV\[(\d+)\]", body)
    assert used == fixed, f"body reads ARGV{sorted(used)}, header lists ARGV{sorted(fixed)}"
    if rest:
        (start,) = rest
        assert start == len(fixed) + 1, "the variadic ARGV[n..] follows the fixed ones"
        assert "#ARGV" in body, "a variadic ARGV[n..] is read up to #ARGV"
    else:
        assert "#ARGV" not in body, "a body that reads #ARGV declares ARGV[n..]"


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda s: s.path.name)
def test_no_cjson_on_user_data(script):
    assert "cjson" not in script.source, "JSON is encoded and decoded in Python (cjson rounds numbers)"


def test_a_call_with_the_wrong_key_count_is_refused():
    script = scripts.load("put_profile")
    with pytest.raises(TypeError, match="takes 1 keys"):
        script(None, ["a", "b"], [])


def test_file_names_follow_the_convention(tmp_path):
    bad = tmp_path / "PutProfile.lua"
    bad.write_text("--[[ x ]]")
    with pytest.raises(ValueError, match=r"<verb_noun>-<numkeys>\.lua"):
        scripts.Script(bad)
