#!/usr/bin/env python3
"""Precision and recall of `kakehashi pcap --format json --show-secrets` against the labels
bench/gen_pcap.py wrote.

usage: bench/pcap_score.py LABELS.json REPORT.json
"""
import json, sys

def score(name, truth, found):
    tp = len(truth & found)
    precision = tp / len(found) if found else 1.0
    recall = tp / len(truth) if truth else 1.0
    print("%-12s labelled %7d  found %7d  correct %7d  precision %.4f  recall %.4f"
          % (name, len(truth), len(found), tp, precision, recall))
    return precision, recall

def main():
    labels = json.load(open(sys.argv[1]))
    report = json.load(open(sys.argv[2]))
    creds = {(c["protocol"], c["src"], c["dst"], c["username"], c["secret"]) for c in labels["credentials"]}
    found = {(f["protocol"], f["src"], f["dst"], f.get("username"), f.get("secret"))
             for f in report["findings"] if f["kind"] == "credentials_in_clear"}
    results = [score("credentials", creds, found)]
    sni = {(s["client"], s["sni"]) for s in labels["sni"]}
    results.append(score("tls sni", sni, {(t["client"], t["sni"]) for t in report["tls"] if t.get("sni")}))
    results.append(score("dns names", set(labels["dns"]), {d["query"] for d in report["dns"]}))
    ics = {(i["protocol"], i["src"], i["dst"]) for i in labels.get("ics", [])}
    results.append(score("ics writes", ics, {(f["protocol"], f["src"], f["dst"])
                                              for f in report["findings"] if f["kind"] == "ics_operation"}))
    if report.get("not_listed"):
        print("not listed (bounds reached):", report["not_listed"])
    sys.exit(0 if all(p == 1.0 and r == 1.0 for p, r in results) else 1)

if __name__ == "__main__":
    main()
