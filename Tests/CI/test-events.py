#!/usr/bin/env python3
"""Reads a Swift Testing event stream (JSON lines, version 0) and says how the run went.

Usage: test-events.py EVENTS_FILE TAG

Prints one line per finding and exits:
  0  the run ended and every test passed;
  1  the run ended with failures, all of them in tests carrying TAG (directly or through a suite): their rerun
     filters are printed on lines starting "rerun ", one per test;
  2  a test without TAG failed (no rerun may hide it), or the run never ended (the process crashed: every test
     after the one printed did not run).
"""
import json
import re
import sys


def main() -> int:
    path, tag = sys.argv[1], "." + sys.argv[2]
    tags: dict[str, set[str]] = {}
    suites: set[str] = set()
    failed: list[str] = []
    started: list[str] = []
    ended = False
    with open(path, encoding="utf-8") as stream:
        for line in stream:
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                continue  # a line cut by a crash
            payload = record.get("payload", {})
            if record.get("kind") == "test":
                tags[payload["id"]] = set(payload.get("_tags", []))
                if payload.get("kind") == "suite":
                    suites.add(payload["id"])
                continue
            kind = payload.get("kind")
            if kind == "testStarted":
                started.append(payload["testID"])
            elif kind == "testEnded":
                symbols = {message.get("symbol") for message in payload.get("messages", [])}
                if "fail" in symbols and payload["testID"] not in failed:
                    failed.append(payload["testID"])
            elif kind == "runEnded":
                ended = True

    def inherited_tags(test_id: str) -> set[str]:
        # A suite's tags apply to everything inside it; ids nest as Module.Suite/function()/File.swift:L:C.
        return set().union(*(names for owner, names in tags.items() if test_id == owner or test_id.startswith(owner + "/")))

    if not ended:
        last = started[-1] if started else "(none started)"
        print(f"crashed: the test process ended without finishing the run; last test started: {last}")
        return 2
    failed = [test for test in failed if test not in suites]  # a suite fails with its tests
    if not failed:
        return 0
    untagged = [test for test in failed if tag not in inherited_tags(test)]
    for test in untagged:
        print(f"failed without the {tag} tag (not rerun): {test}")
    if untagged:
        return 2
    for test in failed:
        # Module.Suite/name(args:)/File.swift:L:C -> a filter matching that one function.
        function = re.sub(r"/[^/]*\.swift:\d+:\d+$", "", test)
        print("rerun " + re.escape(function))
    return 1


if __name__ == "__main__":
    sys.exit(main())
