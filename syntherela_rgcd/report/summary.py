"""The report's plain-language verdict: what is good and what is weak, from the run's scores.

Thresholds are the ones the project's results are read with: DDA 0.5 = indistinguishable and
GCFM's published figures sit at 0.51-0.73; DCR 0.5 = as far from the training rows as unseen
real rows (below 0.45: rows sit on training rows); rows equal to a real row are compared with
the share two halves of the real table have.
"""

from __future__ import annotations

GOOD_DETECTION, WEAK_DETECTION = 0.60, 0.75
COPYING_DCR = 0.45
COPY_POINTS = 2.0


def verdict(scores: dict) -> tuple[list[str], list[str]]:
    """(good, weak) sentences about one sample's scores (the run summary's ``scores[sample]``)."""
    good, weak = [], []
    for table, figure in sorted(scores.get("dda", {}).items()):
        accuracy = figure["accuracy"]
        if accuracy <= GOOD_DETECTION:
            good.append(f"A classifier barely tells real {table} rows with their children from synthetic ones "
                        f"(DDA {accuracy:.2f}; 0.5 = indistinguishable).")
        elif accuracy < WEAK_DETECTION:
            weak.append(f"A classifier tells real {table} rows with their children from synthetic ones fairly often "
                        f"(DDA {accuracy:.2f}; 0.5 = indistinguishable): see what gives them away below.")
        else:
            weak.append(f"Synthetic {table} rows with their children are easy to tell apart (DDA {accuracy:.2f}): "
                        "see what gives them away below.")
    for table, figure in sorted(scores.get("detection", {}).get("single_table", {}).items()):
        if figure["accuracy"] >= WEAK_DETECTION:
            weak.append(f"The {table} table alone is easy to tell apart (single-table detection {figure['accuracy']:.2f}).")
    for table, figure in sorted(scores.get("dcr", {}).items()):
        if figure["score"] < COPYING_DCR:
            weak.append(f"Synthetic {table} rows sit closer to training rows than unseen real rows do "
                        f"(DCR {figure['score']:.2f}; 0.5 = no sign of copying).")
    rows = scores.get("copying", {}).get("rows", {})
    for table, figure in sorted(rows.items()):
        synthetic, halves = figure.get("synthetic"), figure.get("real_halves") or 0.0
        if synthetic is not None and 100 * (synthetic - halves) > COPY_POINTS:
            weak.append(f"{100 * synthetic:.1f}% of synthetic {table} rows equal a real row on every column "
                        f"({100 * halves:.1f}% between two halves of the real table).")
    if scores.get("dcr") and not any(f["score"] < COPYING_DCR for f in scores["dcr"].values()):
        good.append("No table shows signs of copying by distance to the closest record (every DCR at least "
                    f"{COPYING_DCR}).")
    return good, weak
