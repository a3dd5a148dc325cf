//! Each protocol parser on arbitrary bytes: the first byte picks the parser, the rest is its
//! input (libFuzzer's coverage guidance then explores every parser).
#![no_main]

use libfuzzer_sys::fuzz_target;
use netcap::fuzzing::*;

fuzz_target!(|data: &[u8]| {
    let Some((&which, p)) = data.split_first() else { return };
    match which % 18 {
        0 => drop(dns(p)),
        1 => drop(client_hello(p)),
        2 => drop(server_hello(p)),
        3 => drop(server_certificate(p)),
        4 => drop(http_request(p)),
        5 => {
            for mode in ["ftp", "pop3", "pop3-auth", "imap", "smtp"] {
                drop(line_credentials(mode, p));
            }
        }
        6 => drop(mqtt_connect(p)),
        7 => drop(snmp_community(p)),
        8 => drop(ics_operations(502, p)),
        9 => drop(ics_operations(102, p)),
        10 => drop(ics_operations(20000, p)),
        11 => drop(ics_operations(44818, p)),
        12 => drop(personal_data(p)),
        13 => drop(telnet_lines(p)),
        14 => drop(dhcp_names(p)),
        15 => drop(ssdp_server(p)),
        16 => drop((rlogin(p, true), bacnet_answer(p))),
        _ => drop((wifi_payload(p), ppp_payload(p))),
    }
});
