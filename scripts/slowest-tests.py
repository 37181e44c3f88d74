#!/usr/bin/env python3
"""Prints the slowest tests of a cargo-nextest JUnit report, and the totals.

usage: slowest-tests.py JUNIT.xml [N]   (N = 15 by default)
"""
import sys
import xml.etree.ElementTree as ET


def main() -> int:
    if len(sys.argv) not in (2, 3):
        print(__doc__.strip(), file=sys.stderr)
        return 2
    path = sys.argv[1]
    try:
        n = int(sys.argv[2]) if len(sys.argv) == 3 else 15
    except ValueError:
        print(f"slowest-tests.py: N must be a whole number, got {sys.argv[2]!r}", file=sys.stderr)
        return 2
    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError) as e:
        print(f"slowest-tests.py: cannot read the JUnit report {path}: {e}", file=sys.stderr)
        return 1
    cases = []
    for case in root.iter("testcase"):
        failed = case.find("failure") is not None or case.find("error") is not None
        binary = case.get("classname", "")
        cases.append((float(case.get("time", "0")), case.get("name", "?"), binary, failed))
    cases.sort(reverse=True)
    width = max((len(name) for _, name, _, _ in cases[:n]), default=10)
    print(f"[test] the {min(n, len(cases))} slowest of {len(cases)} tests:")
    for seconds, name, binary, failed in cases[:n]:
        mark = "  FAILED" if failed else ""
        print(f"[test] {seconds:8.1f} s  {name:<{width}}  ({binary}){mark}")
    total = sum(c[0] for c in cases)
    failures = sum(1 for c in cases if c[3])
    print(f"[test] {len(cases)} tests, {failures} failed, {total:.0f} s of test time in all")
    return 0


if __name__ == "__main__":
    sys.exit(main())
