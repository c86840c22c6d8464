#!/usr/bin/env python3
"""What a `swift test` log says went wrong: the issues recorded, the tests that failed, and
the tests that started but never ended (what was running when a hung run was stopped).

Usage: test_report.py LOG. Reads swift-testing's and XCTest's console output; prints nothing
when every test that started ended and passed.
"""
import collections
import re
import sys

STARTED = re.compile(r"^◇ Test (.+) started\.$")
ENDED = re.compile(r"^[✔✘] Test (.+?)(?: with \d+ test cases?)? (passed|failed) after ")
ISSUE = re.compile(r"^✘ Test (.+?) recorded an issue(?: with \d+ arguments?.*?)? at (.+)$")
SKIPPED = re.compile(r"^➜ Test (.+) skipped")
XC_STARTED = re.compile(r"^Test Case '(.+)' started")
XC_ENDED = re.compile(r"^Test Case '(.+)' (passed|failed|skipped) \(")
XC_ISSUE = re.compile(r"^(\S+\.swift:\d+): error: (.+)$")
CRASH = re.compile(r"(Fatal error|Precondition failed|Assertion failed|Segmentation fault|signal \d+|Illegal instruction)")


def report(lines):
    running = collections.Counter()
    order = {}
    failed, issues, crashes = [], [], []
    for number, line in enumerate(lines):
        line = line.rstrip("\n")
        if m := STARTED.match(line):
            name = m.group(1)
            if name.startswith("case passing ") or name == "run":
                continue
            running[name] += 1
            order.setdefault(name, number)
        elif m := ENDED.match(line):
            name = m.group(1)
            if name == "run" or name.startswith("run with "):
                continue
            running[name] -= 1
            if m.group(2) == "failed":
                failed.append(name)
        elif m := SKIPPED.match(line):
            running[m.group(1)] -= 1
        elif m := ISSUE.match(line):
            issues.append(f"{m.group(1)}: {m.group(2)}")
        elif m := XC_STARTED.match(line):
            running[m.group(1)] += 1
            order.setdefault(m.group(1), number)
        elif m := XC_ENDED.match(line):
            running[m.group(1)] -= 1
            if m.group(2) == "failed":
                failed.append(m.group(1))
        elif m := XC_ISSUE.match(line):
            issues.append(f"{m.group(1)}: {m.group(2)}")
        elif CRASH.search(line) and not line.startswith(("◇", "✔", "↳")):
            crashes.append(line)
    unfinished = sorted((name for name, count in running.items() if count > 0), key=order.get)
    out = []
    if unfinished:
        out.append("still running when the run ended (a hang, or a crash):")
        out += [f"  {name}" for name in unfinished]
    if failed:
        out.append("failed:")
        out += [f"  {name}" for name in dict.fromkeys(failed)]
    if crashes:
        out.append("the test process reported a crash:")
        out += [f"  {line[:400]}" for line in crashes[:10]]
    if issues:
        out.append("issues recorded:")
        out += [f"  {issue[:400]}" for issue in dict.fromkeys(issues)][:40]
    return out


def main():
    with open(sys.argv[1], encoding="utf-8", errors="replace") as log:
        for line in report(log):
            print(line)


if __name__ == "__main__":
    main()
