"""A Jobe client, written from Jobe's documented REST protocol (what Moodle's CodeRunner sends),
against the four services as real processes: every language with a valid program, stdin, a
compile error, a runtime error, a time limit, a memory limit, output over streamsize, the
file_list flow (404 → PUT → 204 → run), a bad run_spec (400), a wrong API key (401) and one
without the runs scope (403)."""

import base64
import hashlib
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import ADMIN
from tests.support.api import login

pytestmark = pytest.mark.e2e
API = "/jobe/index.php/restapi"

PROGRAMS = {
    "python3": "print(input()[::-1])",
    "c": '#include <stdio.h>\nint main(void) { char s[64]; scanf("%63s", s); printf("C %s\\n", s); return 0; }',
    "cpp": '#include <iostream>\n#include <string>\nint main() { std::string s; std::cin >> s; std::cout << "C++ " << s << "\\n"; }',
    "java": 'import java.util.Scanner;\npublic class Main { public static void main(String[] a) { System.out.println("Java " + new Scanner(System.in).next()); } }',
    "nodejs": "const s = require('fs').readFileSync(0, 'utf8').trim(); console.log('JS ' + s);",
}
EXPECTED = {
    "python3": "olleh\n",
    "c": "C hello\n",
    "cpp": "C++ hello\n",
    "java": "Java hello\n",
    "nodejs": "JS hello\n",
}


async def _key(gateway: httpx.AsyncClient) -> dict[str, str]:
    _, auth = await login(gateway, "coderunner")
    r = await gateway.post("/v1/api-keys", json={"name": "Moodle", "scopes": ["runs"]}, headers=auth)
    assert r.status_code == 201, r.text
    return {"X-API-KEY": r.json()["key"]}


async def _run(gateway: httpx.AsyncClient, key: dict[str, str], **spec: Any) -> httpx.Response:
    return await gateway.post(f"{API}/runs", json={"run_spec": spec}, headers=key, timeout=60)


async def test_every_language_and_every_outcome_as_jobe_answers_them(gateway: httpx.AsyncClient) -> None:
    key = await _key(gateway)
    listed = (await gateway.get(f"{API}/languages/")).json()
    assert {name for name, _ in listed} == set(PROGRAMS) and all(isinstance(v, str) for _, v in listed)

    for language, source in PROGRAMS.items():
        r = await _run(gateway, key, language_id=language, sourcecode=source, input="hello\n")
        assert r.status_code == 200, r.text
        assert (r.json()["outcome"], r.json()["stdout"]) == (15, EXPECTED[language]), (language, r.json())

    args = await _run(
        gateway,
        key,
        language_id="c",
        sourcecode='#include <stdio.h>\nint main(int c, char **v) { printf("%s %s\\n", NAME, v[1]); return 0; }',
        parameters={
            "compileargs": ["-std=c11", "-Wall", '-DNAME=\\"jobe\\"'],  # as Jobe's shell reads it
            "runargs": ["arg"],
            "linkargs": ["-lm"],
        },
    )
    assert (args.json()["outcome"], args.json()["stdout"]) == (15, "jobe arg\n"), args.json()

    # Java's file is named after its public class, as Jobe names it (CodeRunner's programs).
    prog = 'public class Prog { public static void main(String[] a) { System.out.println("named"); } }'
    named = await _run(gateway, key, language_id="java", sourcecode=prog)
    assert (named.json()["outcome"], named.json()["stdout"]) == (15, "named\n"), named.json()

    broken = await _run(gateway, key, language_id="c", sourcecode="int main(void) { return x; }")
    assert broken.json()["outcome"] == 11 and "x" in broken.json()["cmpinfo"]
    raised = await _run(gateway, key, language_id="python3", sourcecode="raise SystemExit('boom')")
    assert raised.json()["outcome"] == 12 and "boom" in raised.json()["stderr"]
    endless = await _run(
        gateway, key, language_id="python3", sourcecode="while True: pass", parameters={"cputime": 1}
    )
    assert endless.json()["outcome"] == 13
    hungry = await _run(
        gateway,
        key,
        language_id="python3",
        sourcecode="x = bytearray(400 * 1024 * 1024)\nprint(len(x))",
        parameters={"memorylimit": 64},
    )
    assert hungry.json()["outcome"] == 17, hungry.json()
    # As under Jobe's runguard: output past streamsize is cut off and the program goes on; printing
    # forever, it runs out of time.
    chatty = await _run(
        gateway,
        key,
        language_id="c",
        sourcecode='#include <stdio.h>\nint main(void) { while (1) printf("Hello"); }',
        parameters={"streamsize": 0.01, "cputime": 1},  # 10 KB
    )
    assert (chatty.json()["outcome"], len(chatty.json()["stdout"])) == (13, 10_240), chatty.json()
    # Jobe's streamsize (2 MB by default): 100 KB of output comes back whole.
    long = await _run(gateway, key, language_id="python3", sourcecode="print('x' * 100_000)")
    assert (long.json()["outcome"], len(long.json()["stdout"])) == (15, 100_001), long.json()["stderr"]
    # Jobe's Node.js is never compiled: a syntax error is a runtime error; Python's is checked first.
    node = await _run(gateway, key, language_id="nodejs", sourcecode="console.log('x'")
    assert node.json()["outcome"] == 12 and "SyntaxError" in node.json()["stderr"], node.json()
    python = await _run(gateway, key, language_id="python3", sourcecode="print('x'")
    assert python.json()["outcome"] == 11 and python.json()["cmpinfo"], python.json()
    blah = await _run(
        gateway,
        key,
        language_id="python3",
        sourcecode="",
        parameters={"interpreterargs": [r'-c "print(\"Blah\")"'], "runargs": ["a"]},
    )
    assert (blah.json()["outcome"], blah.json()["stdout"]) == (15, "Blah\n"), blah.json()
    # The sandbox's Python has NumPy and Matplotlib (Agg: a PNG saved to /tmp).
    plot = (
        "import numpy as np\nimport matplotlib\nmatplotlib.use('Agg')\nimport matplotlib.pyplot as plt\n"
        "plt.plot(np.linspace(0, 1, 50) ** 2)\nplt.savefig('/tmp/p.png')\nprint(open('/tmp/p.png', 'rb').read(4))"
    )
    drawn = await _run(gateway, key, language_id="python3", sourcecode=plot)
    assert (drawn.json()["outcome"], drawn.json()["stdout"]) == (15, "b'\\x89PNG'\n"), drawn.json()


async def test_file_list_flow_bad_run_specs_and_keys(gateway: httpx.AsyncClient) -> None:
    key = await _key(gateway)
    content = b"3 4\n"
    file_id = hashlib.md5(content).hexdigest()
    spec = {
        "language_id": "python3",
        "sourcecode": "a, b = map(int, open('numbers.txt').read().split())\nprint(a * b)",
        "file_list": [[file_id, "numbers.txt"]],
    }
    missing = await _run(gateway, key, **spec)
    assert missing.status_code == 404, missing.text
    assert (await gateway.head(f"{API}/files/{file_id}", headers=key)).status_code == 404
    put = await gateway.put(
        f"{API}/files/{file_id}", json={"file_contents": base64.b64encode(content).decode()}, headers=key
    )
    assert put.status_code == 204, put.text
    assert (await gateway.head(f"{API}/files/{file_id}", headers=key)).status_code == 204
    ran = await _run(gateway, key, **spec)
    assert (ran.status_code, ran.json()["outcome"], ran.json()["stdout"]) == (200, 15, "12\n"), ran.json()[
        "stderr"
    ]

    for bad, message in (
        ({"language_id": "python3"}, "sourcecode"),
        ({"sourcecode": "print(1)", "language_id": "cobol"}, "cobol"),
        ({"sourcecode": "print(1)", "language_id": "python3", "file_list": [["short", "a.txt"]]}, "file"),
        ({"sourcecode": "print(1)", "language_id": "python3", "sourcefilename": "../x.py"}, "sourcefilename"),
        (
            {"sourcecode": "print(1)", "language_id": "c", "parameters": {"compileargs": ["-fplugin=x"]}},
            "-fplugin",
        ),
        (
            {"sourcecode": "print(1)", "language_id": "c", "parameters": {"cputime": 151}},
            "cputime exceeds maximum allowed on this Jobe server (15 secs)",
        ),
        ({"sourcecode": "x", "language_id": "python3", "parameters": {"runargs": ['"open']}}, "runargs"),
    ):
        refused = await _run(gateway, key, **bad)
        assert refused.status_code == 400 and message in refused.json(), (bad, refused.text)
    no_spec = await gateway.post(f"{API}/runs", json={"nope": 1}, headers=key)
    assert no_spec.status_code == 400 and "run_spec" in no_spec.json()
    wrong = await _run(
        gateway, {"X-API-KEY": "gf_00000000_nope"}, language_id="python3", sourcecode="print(1)"
    )
    assert wrong.status_code == 401
    assert (await _run(gateway, {}, language_id="python3", sourcecode="print(1)")).status_code == 401
    _, auth = await login(gateway, "reader")
    reader = await gateway.post("/v1/api-keys", json={"name": "r", "scopes": ["read"]}, headers=auth)
    scoped = await _run(
        gateway, {"X-API-KEY": reader.json()["key"]}, language_id="python3", sourcecode="print(1)"
    )
    assert scoped.status_code == 403, "a key without the runs scope"


async def test_a_keys_files_are_its_users_alone(gateway: httpx.AsyncClient) -> None:
    """CodeRunner names a file by the MD5 of its content, so an id is guessable: another tenant's
    key neither sees, nor overwrites, nor runs with the file of that id."""
    alice, mallory = await _key(gateway), await _key(gateway)
    file_id = "d41d8cd98f00b204e9800998ecf8427e"
    put = {"file_contents": base64.b64encode(b"alice's data\n").decode()}
    assert (await gateway.put(f"{API}/files/{file_id}", json=put, headers=alice)).status_code == 204
    assert (await gateway.head(f"{API}/files/{file_id}", headers=mallory)).status_code == 404, "not theirs"
    evil = {"file_contents": base64.b64encode(b"mallory's data\n").decode()}
    assert (await gateway.put(f"{API}/files/{file_id}", json=evil, headers=mallory)).status_code == 204
    reader = "print(open('data.txt').read(), end='')"
    for key, expected in ((alice, "alice's data\n"), (mallory, "mallory's data\n")):
        r = await _run(
            gateway, key, language_id="python3", sourcecode=reader, file_list=[[file_id, "data.txt"]]
        )
        assert (r.status_code, r.json()["stdout"]) == (200, expected), r.text


async def test_a_key_carries_its_own_limit_on_runs(gateway: httpx.AsyncClient) -> None:
    """A Moodle site is one key: its owner may give it a limit no more generous than the
    deployment's; an admin any, none included; its bucket is the key's own."""
    _, auth = await login(gateway, "site")
    made = await gateway.post(
        "/v1/api-keys",
        json={"name": "Moodle", "scopes": ["runs"], "runs_rate": {"runs": 2, "per": "minute"}},
        headers=auth,
    )
    assert made.status_code == 201 and made.json()["runs_rate"] == {"runs": 2, "per": "minute"}, made.text
    limited = {"X-API-KEY": made.json()["key"]}
    spec = {"language_id": "python3", "sourcecode": "print(1)"}
    answers = [(await _run(gateway, limited, **spec)).status_code for _ in range(3)]
    assert answers == [200, 200, 429], answers
    other = await gateway.post("/v1/api-keys", json={"name": "other", "scopes": ["runs"]}, headers=auth)
    assert (await _run(gateway, {"X-API-KEY": other.json()["key"]}, **spec)).status_code == 200

    none = {"name": "greedy", "scopes": ["runs"], "runs_rate": {"runs": 0, "per": "hour"}}
    refused = await gateway.post("/v1/api-keys", json=none, headers=auth)
    assert refused.status_code == 403 and "runs_rate" in refused.text, refused.text
    _, admin = await login(gateway, "admin", ADMIN)
    key_id = made.json()["id"]
    unlimited = await gateway.put(
        f"/v1/api-keys/{key_id}/runs-rate", json={"runs": 0, "per": "hour"}, headers=admin
    )
    assert unlimited.status_code == 200 and unlimited.json()["runs_rate"]["runs"] == 0, unlimited.text
    forbidden = await gateway.put(f"/v1/api-keys/{key_id}/runs-rate", json=None, headers=auth)
    assert forbidden.status_code == 403, "only an admin sets a key's limit afterwards"
    answers = [(await _run(gateway, limited, **spec)).status_code for _ in range(4)]
    assert answers == [200] * 4, answers
