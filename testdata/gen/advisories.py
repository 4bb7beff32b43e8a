#!/usr/bin/env python3
"""Regenerate testdata/advisories: the small advisory set the CLI golden tests import.

Real records: every OSV record in ../shared/vulndb/osv/{Go,PyPI}/all.zip that names a module or
distribution used by the fixtures in testdata/scan (go-module/go.mod, python/requirements.txt)
or the Go fixtures under testdata/src and testdata/bin; the CISA KEV entries for their CVE
aliases (real catalog, subset). Synthetic, labelled so: the EPSS scores (no EPSS snapshot is
available offline; scores are derived from a hash of the CVE id) and the Debian records
(ids TEST-DEB-…), which exercise source-package matching on testdata/images.

Run from the repository root: python3 testdata/gen/advisories.py
"""
import csv, hashlib, io, json, os, re, shutil, zipfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SHARED = os.path.join(ROOT, "..", "shared", "vulndb")
OUT = os.path.join(ROOT, "testdata", "advisories")

def pep503(n):
    return re.sub(r"[-_.]+", "-", n).lower()

def go_modules():
    mods = {"stdlib", "toolchain"}
    for gm in ["testdata/scan/go-module/go.mod", "testdata/src/go/go.mod"]:
        for line in open(os.path.join(ROOT, gm)):
            m = re.match(r"^\s*(?:require\s+)?([a-z0-9.\-/]+\.[a-z]+/[^\s]+)\s+v", line)
            if m:
                mods.add(m.group(1))
    return mods

def py_names():
    names = set()
    for line in open(os.path.join(ROOT, "testdata/scan/python/requirements.txt")):
        line = line.split("#")[0].strip()
        if "==" in line:
            names.add(pep503(line.split("==")[0]))
    return names

def main():
    shutil.rmtree(OUT, ignore_errors=True)
    os.makedirs(OUT)
    cves = set()
    wanted = {"Go": go_modules(), "PyPI": py_names()}
    for eco, names in wanted.items():
        z = zipfile.ZipFile(os.path.join(SHARED, "osv", eco, "all.zip"))
        out = zipfile.ZipFile(os.path.join(OUT, f"osv-{eco}.zip"), "w", zipfile.ZIP_DEFLATED)
        for n in sorted(z.namelist()):
            rec = json.loads(z.read(n))
            hit = False
            for a in rec.get("affected", []):
                pn = a.get("package", {}).get("name", "")
                if (pep503(pn) if eco == "PyPI" else pn) in names:
                    hit = True
            if not hit:
                continue
            info = zipfile.ZipInfo(n, date_time=(2026, 1, 1, 0, 0, 0))
            out.writestr(info, z.read(n), zipfile.ZIP_DEFLATED)
            cves.update(a for a in rec.get("aliases", []) if a.startswith("CVE-"))
            if rec["id"].startswith("CVE-"):
                cves.add(rec["id"])
        out.close()
    kev = json.load(open(os.path.join(SHARED, "kev", "known_exploited_vulnerabilities.json")))
    kev["vulnerabilities"] = [v for v in kev["vulnerabilities"] if v["cveID"] in cves]
    kev["count"] = len(kev["vulnerabilities"])
    json.dump(kev, open(os.path.join(OUT, "kev.json"), "w"), indent=2)
    with open(os.path.join(OUT, "epss-synthetic.csv"), "w", newline="") as f:
        f.write("#model_version:v2025.03.14,score_date:2026-11-01T12:55:00Z\n")
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["cve", "epss", "percentile"])
        for c in sorted(cves):
            h = int(hashlib.sha256(c.encode()).hexdigest()[:8], 16) / 0xFFFFFFFF
            score = round(h ** 4, 5)  # most scores small, a few large, as in real EPSS data
            w.writerow([c, f"{score:.5f}", f"{min(0.99999, h):.5f}"])
    deb = os.path.join(OUT, "debian-synthetic")
    os.makedirs(deb)
    recs = [
        ("TEST-DEB-2026-0001", "zlib", "Debian:12", [{"introduced": "0"}, {"fixed": "1:1.2.13.dfsg-1+deb12u1"}], "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"),
        ("TEST-DEB-2026-0002", "python-urllib3", "Debian:12", [{"introduced": "0"}, {"fixed": "1.26.12-1+deb12u5"}], "CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:U/C:H/I:N/A:N"),
        ("TEST-DEB-2026-0003", "xz-utils", "Debian:12", [{"introduced": "0"}, {"fixed": "5.4.1-1+deb12u1"}], None),
        ("TEST-DEB-2026-0004", "zlib", "Debian:11", [{"introduced": "0"}, {"fixed": "1:1.2.11.dfsg-2+deb11u3"}], None),
    ]
    for id_, pkg, eco, events, vec in recs:
        r = {"schema_version": "1.6.0", "id": id_, "modified": "2026-11-01T00:00:00Z", "published": "2026-11-01T00:00:00Z",
             "summary": f"synthetic test advisory for the {pkg} source package",
             "details": "Synthetic record for hallmark's tests, shaped like OSV's Debian records; not a real advisory.",
             "affected": [{"package": {"ecosystem": eco, "name": pkg, "purl": f"pkg:deb/debian/{pkg}?arch=source"},
                           "ranges": [{"type": "ECOSYSTEM", "events": events}]}]}
        if vec:
            r["severity"] = [{"type": "CVSS_V3", "score": vec}]
        json.dump(r, open(os.path.join(deb, id_ + ".json"), "w"), indent=2)

main()
