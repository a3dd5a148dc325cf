#!/usr/bin/env python3
"""Writes a generated CycloneDX 1.5 JSON SBOM with N components for scan benchmarks.

usage: bench/gen_sbom.py N OUT.json

Components are spread over npm, PyPI, Go, crates.io and Maven with real package names that
have advisories (so the matcher does real work) and synthetic ones, at old and new versions.
Deterministic: the same N gives the same file.
"""
import json, random, sys

REAL = {
    "npm": ["lodash", "minimist", "express", "axios", "node-fetch", "ws", "jsonwebtoken", "moment", "qs", "semver"],
    "pypi": ["django", "requests", "urllib3", "flask", "jinja2", "pyyaml", "pillow", "cryptography", "numpy", "setuptools"],
    "golang": ["golang.org/x/crypto", "golang.org/x/net", "github.com/docker/docker", "google.golang.org/grpc", "github.com/gin-gonic/gin"],
    "cargo": ["regex", "tokio", "hyper", "openssl", "time", "smallvec", "rand", "chrono", "serde_yaml", "crossbeam-channel"],
    "maven": ["org.apache.logging.log4j/log4j-core", "com.fasterxml.jackson.core/jackson-databind", "org.springframework/spring-core"],
}
VERSIONS = ["0.1.0", "0.9.3", "1.0.0", "1.2.0", "1.4.7", "2.0.0", "2.14.1", "3.1.2", "4.17.20", "0.0.0-20220829220503-c86fa9a7ed90"]


def main():
    n, out = int(sys.argv[1]), sys.argv[2]
    rnd = random.Random(42)
    comps = []
    types = list(REAL)
    for i in range(n):
        ty = types[i % len(types)]
        name = rnd.choice(REAL[ty]) if i % 3 == 0 else f"synthetic-{ty}-{i}"
        v = rnd.choice(VERSIONS)
        if ty == "golang":
            v = "v" + v
        comps.append({"type": "library", "name": name.split("/")[-1], "version": v, "purl": f"pkg:{ty}/{name}@{v}"})
    json.dump({"bomFormat": "CycloneDX", "specVersion": "1.5", "version": 1, "components": comps}, open(out, "w"))


if __name__ == "__main__":
    main()
