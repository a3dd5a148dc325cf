"""Peer for bench/labels.sh: verifies a Kakehashi label (a DSSE envelope) with the DSSE reference
implementation in securesystemslib, against the ed25519 key the trust root names. Exit 0 valid."""
import base64
import json
import sys

from securesystemslib.dsse import Envelope
from securesystemslib.signer import SSlibKey


def main() -> int:
    label, root = sys.argv[1], sys.argv[2]
    env = Envelope.from_dict(json.load(open(label, encoding="utf-8")))
    keys = {}
    for k in json.load(open(root, encoding="utf-8"))["keys"]:
        raw = base64.b64decode(k["public_key"])
        keys[k["keyid"]] = SSlibKey(k["keyid"], "ed25519", "ed25519", {"public": raw.hex()})
    env.verify(list(keys.values()), 1)
    statement = json.loads(env.pae().split(b" ", 4)[4])
    assert statement["predicate"]["verificationResult"] == "PASSED"
    return 0


if __name__ == "__main__":
    sys.exit(main())
