"""Compares a Schemathesis NDJSON report with the divergences kore-mock may show.

    python3 divergences.py REPORT.ndjson [EXPECTED.json]

Every failed check becomes one divergence, identified by the operation, the check and
where it failed (for a response that violates the schema, the schema location; else the
failure's title). Without EXPECTED every divergence is an error (the merged spec: kore-mock
must conform entirely). With EXPECTED, a divergence not listed there is an error, and so
is a listed one that no longer appears, so the list cannot go stale. Errors of the run
itself (a request that could not be sent, a schema that did not load) are errors too.

Exit status 0 when the report matches, 1 otherwise. Standard library only.
"""

import json
import re
import sys

SCHEMA_LOCATION = re.compile(r"^Schema at (\S+):$", re.MULTILINE)


def read(report_path):
    """(divergences: {key: example message}, test cases, run errors)"""
    divergences, cases, errors = {}, 0, []
    with open(report_path, encoding="utf-8") as report:
        for line in report:
            (kind, event), = json.loads(line).items()
            if kind in ("ScenarioFinished", "FuzzScenarioFinished"):
                recorder = event.get("recorder", {})
                cases += len(recorder.get("cases", {}))
                for checks in recorder.get("checks", {}).values():
                    for check in checks:
                        if check.get("status") != "failure":
                            continue
                        failure = check["failure_info"]["failure"]
                        location = SCHEMA_LOCATION.search(failure.get("message", ""))
                        key = (
                            failure.get("operation") or "",
                            check["name"],
                            location.group(1) if location else failure.get("title", ""),
                        )
                        divergences.setdefault(key, failure.get("message", ""))
            elif kind in ("NonFatalError", "FatalError"):
                info = event.get("info") or event.get("value") or event
                errors.append(json.dumps(info)[:2000])
    return divergences, cases, errors


def describe(key):
    operation, check, where = key
    return f"{operation} | {check} | {where}"


def main(argv):
    if len(argv) not in (2, 3):
        sys.exit(__doc__)
    divergences, cases, errors = read(argv[1])
    expected = {}
    if len(argv) == 3:
        with open(argv[2], encoding="utf-8") as listed:
            for entry in json.load(listed)["divergences"]:
                expected[(entry["operation"], entry["check"], entry["where"])] = entry
    unexpected = sorted(set(divergences) - set(expected))
    gone = sorted(set(expected) - set(divergences))
    seen = sorted(set(divergences) & set(expected))

    print(f"{cases} recorded test cases, {len(divergences)} divergences "
          f"({len(seen)} expected, {len(unexpected)} new), "
          f"{len(gone)} expected but not seen, {len(errors)} run errors")
    for key in seen:
        print(f"  expected: {describe(key)}  [correction {expected[key]['correction']}]")
    for key in unexpected:
        print(f"  NEW:      {describe(key)}")
        print("            " + divergences[key].replace("\n", "\n            ")[:3000])
    for key in gone:
        print(f"  GONE:     {describe(key)} — no longer reported: delete it from the list "
              "(and its correction, if KORE fixed its spec)")
    for error in errors:
        print(f"  ERROR:    {error}")
    return 1 if unexpected or gone or errors or cases == 0 else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
