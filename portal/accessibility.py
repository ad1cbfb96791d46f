"""The figures of the accessibility statement, as the browser tests measured them.

``portal/tests/test_browser_accessibility_audit.py`` opens every page of the « Plan du site » (and the
login page) at each screen size, runs axe-core on it, and writes what it found to
``portal/accessibility_audit/<size>.json`` when run with ``ACCESSIBILITY_AUDIT_WRITE=1``; otherwise it
checks that the files say what it measured. The statement shows these files: no figure is typed by hand.
"""
import json
from pathlib import Path

AUDIT_DIR = Path(__file__).resolve().parent / "accessibility_audit"
SIZES = {"desktop": "ordinateur (1280 × 900 px)", "phone": "téléphone (390 × 844 px, écran tactile)"}
IMPACTS = ("critical", "serious", "moderate", "minor")
IMPACT_LABELS = {"critical": "critiques", "serious": "graves", "moderate": "modérées", "minor": "mineures"}


def audit_path(size):
    return AUDIT_DIR / f"{size}.json"


def audit_results():
    """{size: the recorded run} for each size that has a file, in ``SIZES`` order."""
    results = {}
    for size in SIZES:
        path = audit_path(size)
        if path.exists():
            results[size] = json.loads(path.read_text(encoding="utf-8"))
    return results


def statement_figures():
    """What the statement shows: per size the pages checked and the violations by impact, the rules that
    found something, the pages, the tools' versions and the date of the run."""
    results = audit_results()
    sizes = []
    rules = {}
    for size, run in results.items():
        sizes.append({
            "label": SIZES[size], "pages": len(run["pages"]),
            "violations": [(IMPACT_LABELS[impact], run["violations_by_impact"].get(impact, 0)) for impact in IMPACTS],
            "total": sum(run["violations_by_impact"].values()),
            "horizontal_scroll": run.get("pages_with_horizontal_scroll"),
        })
        for rule in run["rules"]:
            entry = rules.setdefault(rule["id"], {
                "id": rule["id"], "impact": rule["impact"], "impact_label": IMPACT_LABELS[rule["impact"]][:-1],
                "help_url": rule["help_url"], "count": 0, "pages": 0, "sizes": [],
            })
            entry["count"] += rule["count"]
            entry["pages"] += rule["pages"]
            entry["sizes"].append(SIZES[size].split(" ")[0])
    runs = list(results.values())
    return {
        "sizes": sizes,
        "rules": sorted(rules.values(), key=lambda rule: (IMPACTS.index(rule["impact"]), rule["id"])),
        "pages": runs[0]["pages"] if runs else [],
        "axe_version": runs[0]["axe_version"] if runs else "",
        "browser": runs[0]["browser"] if runs else "",
        "date": max(run["date"] for run in runs) if runs else "",
    }
