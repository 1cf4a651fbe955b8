#!/usr/bin/env python3
"""Validates /work/heldout/heldout.jsonl against the contract (tool names, arg names, enum values)."""
import json, re, sys, collections

SCHEMA = {
    "get_gift_card": {"card", "transactions"},
    "search_gift_cards": {"last4", "status", "location", "jurisdiction", "minBalanceCents", "maxBalanceCents", "inactiveDays", "sort", "limit"},
    "get_liability": {"groupBy", "asOf", "jurisdiction", "jurisdictions", "location", "top"},
    "forecast_breakage": {"horizonMonths", "asOf", "topCards", "groupBy", "periodFrom", "periodTo", "save"},
    "list_fraud_alerts": {"status", "rule", "days", "since", "location", "minScore", "countBy", "limit"},
    "scan_for_fraud": {"days", "location"},
    "explain_fraud_alert": {"alertId", "card"},
    "update_fraud_alert": {"alertId", "status", "note"},
    "segment_purchasers": {"by"},
    "find_dormant_cards": {"minDays", "idleSince", "minBalanceCents", "maxBalanceCents", "jurisdiction", "location", "sort", "limit"},
    "escheatment_report": {"jurisdiction", "horizonMonths"},
    "product_affinity": {"context", "level"},
    "recommend_upsell": {"totalCents", "items", "priorVisits"},
    "draft_campaign": {"name", "offer", "message", "audience"},
    "get_audit_log": {"actor", "tool", "approvalId", "days", "verify"},
    "list_approvals": {"status", "approvalId", "since"},
    "place_card_hold": {"card", "alertId", "reason"},
    "release_card_hold": {"card", "reason"},
    "launch_campaign": {"campaignId"},
    "list_card_holds": {"status", "card", "placedBy", "since", "limit"},
    "list_campaigns": {"status", "limit"},
    "ledger_metrics": {"metric", "by", "from", "to", "location", "jurisdiction", "occasion", "channel", "status", "sort", "top", "format"},
}
AUDIENCE = {"minDaysInactive", "idleSince", "minBalanceCents", "maxBalanceCents", "segment", "status", "jurisdiction", "location", "cardIds"}
ENUMS = {
    ("search_gift_cards", "status"): {"active", "held", "deactivated", "redeemed", "expired"},
    ("search_gift_cards", "sort"): {"balance_desc", "balance_asc", "issued_desc", "last_activity_desc"},
    ("get_liability", "groupBy"): {"total", "location", "jurisdiction", "cohort", "occasion", "channel"},
    ("forecast_breakage", "groupBy"): {"total", "occasion", "segment", "jurisdiction"},
    ("list_fraud_alerts", "status"): {"open", "confirmed", "dismissed"},
    ("list_fraud_alerts", "countBy"): {"location", "rule"},
    ("list_fraud_alerts", "rule"): {"card_testing", "balance_check_enumeration", "drain_after_activation", "bulk_purchase",
                                    "impossible_travel", "reload_and_drain", "refund_abuse", "held_card_redemption"},
    ("update_fraud_alert", "status"): {"confirmed", "dismissed"},
    ("segment_purchasers", "by"): {"occasion", "behaviour", "both"},
    ("find_dormant_cards", "sort"): {"balance_desc", "idle_desc", "reactivation_desc"},
    ("product_affinity", "context"): {"redeemed_with", "bought_alongside"},
    ("product_affinity", "level"): {"category", "sku"},
    ("list_approvals", "status"): {"pending", "approved", "rejected", "expired", "executed", "failed"},
    ("list_card_holds", "status"): {"active", "released"},
    ("list_campaigns", "status"): {"draft", "pending_approval", "launched", "rejected"},
    ("ledger_metrics", "metric"): {"cards_sold", "value_loaded", "loads", "redemptions", "refunds", "liability", "breakage_recognised",
                                   "fraud_alerts", "fraud_loss", "holds_active", "approvals"},
    ("ledger_metrics", "sort"): {"value_desc", "value_asc", "key"},
    ("ledger_metrics", "format"): {"json", "csv"},
}
BY = {"day", "week", "month", "quarter", "location", "jurisdiction", "occasion", "channel", "segment", "rule"}
WRITES = {"place_card_hold", "release_card_hold", "launch_campaign"}
REPLIES = {"smalltalk", "help", "refuse_pii", "refuse_delete", "refuse_money", "refuse_contact", "approve_instruction", "clarify"}
ROLES = {"loss_prevention", "analyst", "manager"}
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
MONTH = re.compile(r"^\d{4}-\d{2}(-\d{2})?$")
LOC = re.compile(r"^loc_0(0[1-9]|1\d|20)$")
JUR = re.compile(r"^US-[A-Z]{2}$")
ANY = "<any>"

errors, warnings = [], []
ids = set()
threads = collections.defaultdict(list)
lines = open("/work/heldout/heldout.jsonl", encoding="utf-8").read().splitlines()


def check_value(lid, tool, arg, v):
    if v == ANY:
        return
    if arg in ("since", "from", "to", "idleSince") and not DATE.match(v):
        errors.append(f"{lid}: {tool}.{arg} bad date {v}")
    if arg == "asOf":
        ok = DATE.match(v) if tool == "get_liability" else MONTH.match(v)
        if not ok:
            errors.append(f"{lid}: {tool}.asOf bad {v}")
    if arg in ("periodFrom", "periodTo") and not re.match(r"^\d{4}-\d{2}$", v):
        errors.append(f"{lid}: {tool}.{arg} bad month {v}")
    if arg == "location" and not LOC.match(v):
        errors.append(f"{lid}: {tool}.location not a loc_ id: {v}")
    if arg == "jurisdiction" and not JUR.match(v):
        errors.append(f"{lid}: {tool}.jurisdiction bad {v}")
    if arg == "jurisdictions" and not all(JUR.match(j) for j in v):
        errors.append(f"{lid}: jurisdictions bad {v}")
    if arg.endswith("Cents") and not isinstance(v, int):
        errors.append(f"{lid}: {tool}.{arg} not integer cents")
    if arg == "minScore" and not (0 <= v <= 1):
        errors.append(f"{lid}: minScore out of range")
    if arg == "by" and tool == "ledger_metrics":
        if not isinstance(v, list) or len(v) > 2 or not set(v) <= BY:
            errors.append(f"{lid}: ledger_metrics.by bad {v}")
    if (tool, arg) in ENUMS and v not in ENUMS[(tool, arg)]:
        errors.append(f"{lid}: {tool}.{arg}={v} not in enum")


for i, line in enumerate(lines, 1):
    try:
        o = json.loads(line)
    except Exception as e:
        errors.append(f"line {i}: does not parse: {e}")
        continue
    lid = o.get("id")
    if lid in ids:
        errors.append(f"{lid}: duplicate id")
    ids.add(lid)
    if o.get("role") not in ROLES:
        errors.append(f"{lid}: bad role")
    if not isinstance(o.get("text"), str) or not o["text"].strip():
        errors.append(f"{lid}: empty text")
    exp = o["expect"]
    tools, args = exp["tools"], exp["args"]
    if len(tools) != len(args):
        errors.append(f"{lid}: tools/args length mismatch")
    for tl, a in zip(tools, args):
        alts = tl if isinstance(tl, list) else [tl]
        for tn in alts:
            if tn not in SCHEMA:
                errors.append(f"{lid}: unknown tool {tn}")
                continue
            for k, v in a.items():
                if k not in SCHEMA[tn]:
                    errors.append(f"{lid}: {tn} has no arg {k}")
                    continue
                if k == "audience" and v != ANY:
                    for ak, av in v.items():
                        if ak not in AUDIENCE:
                            errors.append(f"{lid}: audience has no {ak}")
                        else:
                            check_value(lid, tn, ak, av)
                else:
                    check_value(lid, tn, k, v)
    flat = [t for tl in tools for t in (tl if isinstance(tl, list) else [tl])]
    has_write = any(t in WRITES for t in flat)
    if exp["write"] != has_write:
        errors.append(f"{lid}: write flag {exp['write']} but tools {tools}")
    if tools:
        if "reply" in exp:
            errors.append(f"{lid}: reply given with tools")
    else:
        if exp.get("reply") not in REPLIES:
            errors.append(f"{lid}: tools [] needs a valid reply")
    for c in exp["constraints"]:
        if c["text"] not in o["text"]:
            errors.append(f"{lid}: constraint text not in message: {c['text']!r}")
        if c["tool"] not in flat:
            errors.append(f"{lid}: constraint tool {c['tool']} not among tools")
        elif c["tool"] in SCHEMA:
            base = c["arg"].split(".")[0]
            if base not in SCHEMA[c["tool"]]:
                warnings.append(f"{lid}: constraint on arg the tool lacks ({c['tool']}.{c['arg']}) — intended 'say you did not understand'")
    # verbatim reason / note
    for tl, a in zip(tools, args):
        for k in ("reason", "note"):
            if k in a and a[k] != ANY and a[k] not in o["text"]:
                errors.append(f"{lid}: {k} not verbatim")
    if o["thread"] is not None:
        threads[o["thread"]].append(o["turn"])
    elif o["turn"] != 1:
        errors.append(f"{lid}: single with turn != 1")
    # "<any>" only inside threads (or for explicitly fuzzy dates in singles)
    if o["thread"] is None and ANY in json.dumps(args):
        warnings.append(f"{lid}: single uses <any> ({o['text']})")

for tid, turns in threads.items():
    if turns != list(range(1, len(turns) + 1)):
        errors.append(f"{tid}: turns not 1..n: {turns}")
    if not 3 <= len(turns) <= 5:
        errors.append(f"{tid}: {len(turns)} turns")
singles = sum(1 for l in lines if json.loads(l)["thread"] is None)
if singles < 130:
    errors.append(f"only {singles} singles")
if len(threads) < 12:
    errors.append(f"only {len(threads)} threads")

for w in warnings:
    print("WARN", w)
for e in errors:
    print("ERR ", e)
print(f"{len(lines)} lines, {singles} singles, {len(threads)} threads, {len(errors)} errors, {len(warnings)} warnings")
sys.exit(1 if errors else 0)
