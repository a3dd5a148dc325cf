//! The tunnel headers and QUIC Initial packets on arbitrary bytes: the first byte picks the
//! parser, the rest is its input. What they give back is used the way the analyser uses it (the
//! inner packet's bytes are read, CRYPTO frames gathered into a ClientHello and parsed).
#![no_main]

use libfuzzer_sys::fuzz_target;
use netcap::fuzzing::*;

fuzz_target!(|data: &[u8]| {
    let Some((&which, p)) = data.split_first() else { return };
    let d = match which % 10 {
        0 => gre(p),
        1 => vxlan(p),
        2 => geneve(p),
        3 => gtp_u(p),
        4 => mpls(p),
        5 => pppoe(p),
        6 => teredo(p),
        7 => ayiya(p),
        8 => {
            std::hint::black_box(ethernet(p));
            return;
        }
        _ => {
            // a client Initial, with and without a remembered connection ID, then the ClientHello
            let cid = p.get(..8);
            let _ = long_header(p);
            for original in [None, cid] {
                if let Ok(init) = client_initial(p, original) {
                    let mut hs = Handshake::default();
                    for (offset, data) in init.crypto {
                        hs.add(offset, data);
                    }
                    if let Some(record) = hs.client_hello_record() {
                        drop(client_hello(&record));
                    }
                }
            }
            return;
        }
    };
    if let netcap::fuzzing::Decap::Inner(_, inner) = d {
        let bytes = match inner {
            Inner::Ethernet(b) | Inner::Ip(b) | Inner::Ppp(b) | Inner::Mpls(b) | Inner::Wifi(b) => b,
        };
        std::hint::black_box(bytes.iter().map(|b| *b as u64).sum::<u64>());
    }
});
