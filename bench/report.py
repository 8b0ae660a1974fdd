"""The benchmark's results as readable tables, each goal with met / NOT MET."""

from __future__ import annotations

from typing import Any


def _table(headers: list[str], rows: list[list[Any]]) -> str:
    cells = [headers, *[[str(cell) for cell in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in cells
    ]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def _met(ok: bool | None) -> str:
    return "-" if ok is None else ("met" if ok else "NOT MET")


def _kb(size: int) -> str:
    return f"{size / 1024:,.0f} KB" if size < 1024**2 else f"{size / 1024**2:,.1f} MB"


def _usd(value: float) -> str:
    return f"${value:,.2f}" if value >= 0.01 or value == 0 else f"${value:,.4f}"


def cold_start_section(cold: dict[str, Any]) -> str:
    base = cold["baseline"]
    rows = [
        [
            "baseline (Powertools, 1 GetItem)",
            f"{base['import_median_s']:.3f} s",
            f"{base['first_median_s']:.3f} s",
            f"{base['warm_median_s'] * 1000:.1f} ms",
            f"{base['cold_overhead_median_s']:.3f} s",
            "1.00",
            "",
            "",
        ]
    ]
    acks = []
    for name, f in cold["functions"].items():
        if "failed" in f:
            reason = f["failed"].strip().splitlines()[-1][:60]
            rows.append([name, "FAILED", reason, "", "", "", f"<= {f['goal_ratio']}", "NOT MET"])
            continue
        rows.append(
            [
                name,
                f"{f['import_median_s']:.3f} s",
                f"{f['first_median_s']:.3f} s",
                f"{f['warm_median_s'] * 1000:.1f} ms",
                f"{f['cold_overhead_median_s']:.3f} s",
                f"{f['cold_overhead_ratio']:.2f}",
                f"<= {f['goal_ratio']}",
                _met(f["cold_overhead_ratio"] <= f["goal_ratio"]),
            ]
        )
        if "cold_ack_ratio" in f:
            acks.append(
                f"  {name} cold acknowledgement (b), fresh process to the 200 response: slash command"
                f" {f['cold_ack_median_s']['slash_command']:.3f} s, button click"
                f" {f['cold_ack_median_s']['button_click']:.3f} s; the slower over the baseline's (b):"
                f" {f['cold_ack_ratio']:.2f} (goal <= {f['ack_goal_ratio']}:"
                f" {_met(f['cold_ack_ratio'] <= f['ack_goal_ratio'])})"
            )
    return (
        f"COLD START (median of {cold['runs']} fresh processes each; baseline measured in the same run)\n"
        "  (a) import; (b) import + first invocation with a documented event against moto and the local\n"
        "  fakes; (c) a warm invocation of the same kind of event in the same process. Cold overhead =\n"
        "  (b) - (c), per process; its ratio to the baseline's (import + first GetItem - a warm GetItem).\n"
        + _table(
            ["function", "(a) import", "(b) first", "(c) warm", "(b)-(c)", "ratio", "goal", ""],
            rows,
        )
        + ("\n" + "\n".join(acks) if acks else "")
    )


def snapstart_section(option: dict[str, Any]) -> str:
    rows = [
        [
            line["item"],
            f"{line['quantity']:,.0f}",
            f"${line['unit_price']:.10f}".rstrip("0"),
            _usd(line["monthly_usd"]),
        ]
        for line in option["lines"]
    ]
    changed = "; ".join(
        f"{name} (a) {f['import_median_s']:.3f} s, (b) {f['first_median_s']:.3f} s"
        for name, f in option["would_change"].items()
        if "import_median_s" in f
    )
    return (
        f"SNAPSTART (template parameter SnapStart, default {option['default']}; prices of"
        f" {option['prices_recorded_on']})\n"
        f"  It would change these cold starts: {changed}.\n"
        f"  NOT MEASURED: {option['why_not_measured']}.\n"
        + _table(["if turned on", "quantity", "unit price", "a month"], rows)
        + f"\n  {_usd(option['monthly_usd'])} a month, in no total above (off by default)"
    )


def sizes_section(sizes: dict[str, Any]) -> str:
    if "error" in sizes:
        return f"SIZES\n  {sizes['error']}"
    rows = [[name, s["files"], _kb(s["bytes"]), _kb(s["zip_bytes"])] for name, s in sizes.items()]
    return "SIZES (sam build output; zip = deflated in memory, as uploaded)\n" + _table(
        ["built", "files", "unzipped", "zip"], rows
    )


def detection_section(detection: dict[str, Any]) -> str:
    suite, synthetics, chains = (
        detection["suite"],
        detection["synthetics_with_alarm"],
        detection["measured_chains"],
    )
    rows = [
        [
            "suite (runner every minute)",
            f"{suite['median_s']} s",
            f"{suite['p95_s']} s",
            f"{suite['worst_s']} s",
            f"median <= {suite['goal_median_s']:.0f} s, worst <= {suite['goal_worst_s']:.0f} s",
            _met(suite["meets_goal"]),
        ],
        [
            "Synthetics 1-min canary + alarm",
            f"{synthetics['median_s']} s",
            f"{synthetics['p95_s']} s",
            f"{synthetics['worst_s']} s",
            "",
            "",
        ],
    ]
    assumed = ", ".join(f"{name} {a['seconds']:g} s" for name, a in detection["assumptions"].items())
    return (
        f"DETECTION TO PAGE ({detection['outages']} outages at random moments, seed {detection['seed']}, "
        f"clock {detection['clock']})\n"
        + _table(["", "median", "p95", "worst", "goal", ""], rows)
        + f"\n  measured ({chains['samples']} real chains, bookshop"
        f" +{chains['bookshop_added_latency_ms']} ms a"
        f" request): runner to PutEvents median {chains['runner_to_put_events_median_s']} s"
        f" (max {chains['runner_to_put_events_max_s']} s); cold router to page median"
        f" {chains['router_cold_to_page_median_s']} s (max {chains['router_cold_to_page_max_s']} s)"
        f"\n  assumed (not measured here): {assumed}; alarm evaluation 0-60 s after its period closes"
    )


def per_issue_section(per_issue: dict[str, Any]) -> str:
    rows = []
    for label, f in per_issue.items():
        if "error" in f:
            rows.append([label, "FAILED: " + f["error"].splitlines()[-1][:90], "", "NOT MET"])
        elif "warm_invocation_s" in f:
            rows.append(
                [
                    label,
                    f"warm {f['warm_invocation_s']} s (first {f['first_invocation_s']} s)",
                    f"<= {f['goal_s']} s",
                    _met(f["meets_goal"]),
                ]
            )
        elif "p95_ms" in f and "median_ms" in f:
            rows.append(
                [
                    label,
                    f"median {f['median_ms']} ms, p95 {f['p95_ms']} ms (n={f['n']})",
                    f"p95 <= {f['goal_p95_ms']:.0f} ms",
                    _met(f["meets_goal"]),
                ]
            )
        elif "slash_command" in f:
            for kind in ("slash_command", "button_click"):
                k = f[kind]
                rows.append(
                    [
                        f"{label}: {kind}",
                        f"p50 {k['p50_ms']} ms, p95 {k['p95_ms']} ms (n={k['n']})",
                        f"p95 <= {k['goal_p95_ms']:.0f} ms",
                        _met(k["meets_goal"]),
                    ]
                )
        elif "within_goal" in f:
            rows.append(
                [
                    label,
                    f"median {f['median_s']} s, max {f['max_s']} s",
                    f"<= {f['goal_s']} s",
                    _met(f["within_goal"]),
                ]
            )
        elif "seconds" in f:
            rows.append([label, f"{f['seconds']} s ({f['timeline_entries']} timeline entries)", "", "-"])
        elif "median_s" in f:
            rows.append([label, f"median {f['median_s']} s (in a fresh process, no network)", "", "-"])
        else:
            rows.append([label, f"median {f['median_ms']} ms ({f['widgets']} widgets)", "", "-"])
    return "PER-ISSUE FIGURES (each issue's own benchmark)\n" + _table(
        ["figure", "measured", "goal", ""], rows
    )


def cost_section(cost: dict[str, Any]) -> str:
    def rows(lines: list[dict[str, Any]]) -> list[list[Any]]:
        return [
            [
                line["item"],
                f"{line['quantity']:,.4g}",
                f"{line['unit_price']:.4g} {line['unit']}",
                _usd(line["monthly_usd"]),
                line["note"],
            ]
            for line in lines
        ]

    headers = ["item", "quantity", "price", "a month", "how"]
    return (
        f"COST A MONTH: 10 journeys every minute (prices recorded {cost['prices_recorded_on']};"
        f" {cost['prices']})\n"
        "Running cost of the journeys (as the issue itemises it):\n"
        + _table(headers, rows(cost["running"]))
        + f"\n  running total {_usd(cost['running_total_usd'])}  (goal <= ${cost['running_goal_usd']:.0f}:"
        f" {_met(cost['running_meets_goal'])})\n"
        "The suite's fixed costs, whatever it watches:\n"
        + _table(headers, rows(cost["fixed"]))
        + f"\n  fixed total {_usd(cost['fixed_total_usd'])};  GRAND TOTAL {_usd(cost['grand_total_usd'])}"
        f" ({'within' if cost['grand_total_within_goal_amount'] else 'above'}"
        f" ${cost['running_goal_usd']:.0f})\n"
        f"  after the always-free tiers, if nothing else in the account uses them:"
        f" running {_usd(cost['after_always_free_tiers']['running_usd'])},"
        f" fixed {_usd(cost['after_always_free_tiers']['fixed_usd'])},"
        f" total {_usd(cost['after_always_free_tiers']['grand_total_usd'])}\n"
        "The same 10 journeys as CloudWatch Synthetics canaries (runs only; their alarms etc. left out):\n"
        + _table(headers, rows(cost["synthetics"]))
        + f"\n  Synthetics {_usd(cost['synthetics_total_usd'])} ="
        f" {cost['synthetics_over_running']}x the running"
        f" cost (goal >= {cost['ratio_goal']:.0f}x: {_met(cost['ratio_meets_goal'])});"
        f" {cost['synthetics_over_grand_total']}x the grand total"
    )


def goals(results: dict[str, Any]) -> list[tuple[str, bool]]:
    found = []
    for name, f in results["cold_start"]["functions"].items():
        if name.endswith("@before"):
            continue
        found.append((f"cold overhead (b)-(c) {name} <= {f['goal_ratio']}x baseline's", f["meets_goal"]))
        if "cold_ack_ratio" in f:
            found[-1] = (found[-1][0], f["cold_overhead_ratio"] <= f["goal_ratio"])
            found.append(
                (
                    f"cold acknowledgement {name} <= {f['ack_goal_ratio']}x baseline's (b)",
                    f["cold_ack_ratio"] <= f["ack_goal_ratio"],
                )
            )
    suite = results["detection"]["suite"]
    found.append(("detection to page: median <= 40 s and worst <= 75 s", suite["meets_goal"]))
    for label, f in results["per_issue"].items():
        if "error" in f:
            found.append((f"{label} (the benchmark failed)", False))
        elif "slash_command" in f:
            found += [
                (f"{label}: {kind} p95", f[kind]["meets_goal"]) for kind in ("slash_command", "button_click")
            ]
        elif "meets_goal" in f or "within_goal" in f:
            found.append((label, f.get("meets_goal", f.get("within_goal"))))
    cost = results["cost"]
    found.append(("running cost of 10 journeys <= $5 a month", cost["running_meets_goal"]))
    found.append(("Synthetics >= 100x the running cost", cost["ratio_meets_goal"]))
    return found


def render(results: dict[str, Any]) -> str:
    listed = goals(results)
    summary = "\n".join(f"  {'met    ' if ok else 'NOT MET'}  {what}" for what, ok in listed)
    met = sum(ok for _, ok in listed)
    return "\n\n".join(
        [
            cold_start_section(results["cold_start"]),
            sizes_section(results["sizes"]),
            detection_section(results["detection"]),
            per_issue_section(results["per_issue"]),
            cost_section(results["cost"]),
            snapstart_section(results["cost"]["snapstart_option"]),
            f"GOALS: {met} of {len(listed)} met\n{summary}",
        ]
    )
