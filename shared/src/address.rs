//! Whether an IP address is globally reachable, so that a webhook cannot be aimed at
//! the worker's or anyone's internal network (SSRF).
//!
//! The ranges are those of the IANA IPv4 and IPv6 Special-Purpose Address Registries
//! whose "Globally Reachable" is not `True`, plus multicast, the reserved 240.0.0.0/4
//! and the deprecated IPv6 site-local fec0::/10. IPv6 is judged allow-first: only the
//! global unicast space 2000::/3 can be reachable, so ::/128, ::1, the IPv4-compatible
//! ::/96 and IPv4-mapped ::ffff:0:0/96, 64:ff9b:1::/48, 100::/64, 5f00::/16, fc00::/7,
//! fe80::/10, fec0::/10 and ff00::/8 are refused without a list of their own. Two
//! prefixes carry an IPv4 address that a router will reach, and that address is judged
//! instead: the NAT64 well-known prefix 64:ff9b::/96 and 6to4 2002::/16.
//!
//! A few ranges are refused whole although the registry marks a handful of addresses
//! in them reachable (anycast relays in 192.0.0.0/24 and 2001::/23); none of them is a
//! webhook receiver.
//!
//! Pure `std`: it depends on nothing else in this crate.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// IPv4 networks no webhook may reach, with their prefix lengths.
const NOT_GLOBAL_V4: [(Ipv4Addr, u32); 15] = [
    (Ipv4Addr::new(0, 0, 0, 0), 8),       // "this network"
    (Ipv4Addr::new(10, 0, 0, 0), 8),      // private
    (Ipv4Addr::new(100, 64, 0, 0), 10),   // shared address space (carrier-grade NAT)
    (Ipv4Addr::new(127, 0, 0, 0), 8),     // loopback
    (Ipv4Addr::new(169, 254, 0, 0), 16),  // link-local (cloud metadata)
    (Ipv4Addr::new(172, 16, 0, 0), 12),   // private
    (Ipv4Addr::new(192, 0, 0, 0), 24),    // IETF protocol assignments
    (Ipv4Addr::new(192, 0, 2, 0), 24),    // documentation (TEST-NET-1)
    (Ipv4Addr::new(192, 88, 99, 0), 24),  // deprecated 6to4 relay anycast
    (Ipv4Addr::new(192, 168, 0, 0), 16),  // private
    (Ipv4Addr::new(198, 18, 0, 0), 15),   // benchmarking
    (Ipv4Addr::new(198, 51, 100, 0), 24), // documentation (TEST-NET-2)
    (Ipv4Addr::new(203, 0, 113, 0), 24),  // documentation (TEST-NET-3)
    (Ipv4Addr::new(224, 0, 0, 0), 4),     // multicast
    (Ipv4Addr::new(240, 0, 0, 0), 4),     // reserved, and 255.255.255.255 broadcast
];

/// Global unicast, the only IPv6 space that can be reachable (but for NAT64).
const GLOBAL_UNICAST: (Ipv6Addr, u32) = (Ipv6Addr::new(0x2000, 0, 0, 0, 0, 0, 0, 0), 3);

/// The NAT64 well-known prefix: the last 32 bits are the IPv4 address reached.
const NAT64: (Ipv6Addr, u32) = (Ipv6Addr::new(0x64, 0xff9b, 0, 0, 0, 0, 0, 0), 96);

/// 6to4: bits 16 to 47 are the IPv4 address of the relay reached.
const SIX_TO_FOUR: (Ipv6Addr, u32) = (Ipv6Addr::new(0x2002, 0, 0, 0, 0, 0, 0, 0), 16);

/// Special-purpose networks inside 2000::/3 that are not globally reachable.
const NOT_GLOBAL_V6_UNICAST: [(Ipv6Addr, u32); 3] = [
    // IETF protocol assignments: Teredo 2001::/32, benchmarking 2001:2::/48, ORCHID.
    (Ipv6Addr::new(0x2001, 0, 0, 0, 0, 0, 0, 0), 23),
    (Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 0), 32), // documentation
    (Ipv6Addr::new(0x3fff, 0, 0, 0, 0, 0, 0, 0), 20),     // documentation
];

/// Whether `ip` is an address on the public internet.
pub fn is_globally_reachable(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(ip) => is_globally_reachable_v4(ip),
        IpAddr::V6(ip) => is_globally_reachable_v6(ip),
    }
}

pub fn is_globally_reachable_v4(ip: Ipv4Addr) -> bool {
    !NOT_GLOBAL_V4.iter().any(|&(network, len)| {
        let mask = u32::MAX.checked_shl(32 - len).unwrap_or(0);
        u32::from(ip) & mask == u32::from(network)
    })
}

pub fn is_globally_reachable_v6(ip: Ipv6Addr) -> bool {
    let bits = u128::from(ip);
    if within(ip, NAT64) {
        // The low 32 bits, kept on purpose by the cast.
        return is_globally_reachable_v4(Ipv4Addr::from(bits as u32));
    }
    if within(ip, SIX_TO_FOUR) {
        return is_globally_reachable_v4(Ipv4Addr::from((bits >> 80) as u32));
    }
    within(ip, GLOBAL_UNICAST)
        && !NOT_GLOBAL_V6_UNICAST
            .iter()
            .any(|&network| within(ip, network))
}

fn within(ip: Ipv6Addr, (network, len): (Ipv6Addr, u32)) -> bool {
    let mask = u128::MAX.checked_shl(128 - len).unwrap_or(0);
    u128::from(ip) & mask == u128::from(network)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn v4(text: &str) -> bool {
        is_globally_reachable(IpAddr::V4(text.parse().expect("a test address")))
    }

    fn v6(text: &str) -> bool {
        is_globally_reachable(IpAddr::V6(text.parse().expect("a test address")))
    }

    #[test]
    fn every_special_purpose_ipv4_range_is_unreachable_from_its_first_to_its_last_address() {
        for (first, last, range) in [
            ("0.0.0.0", "0.255.255.255", "this network"),
            ("10.0.0.0", "10.255.255.255", "private"),
            ("100.64.0.0", "100.127.255.255", "shared (CGNAT)"),
            ("127.0.0.0", "127.255.255.255", "loopback"),
            ("169.254.0.0", "169.254.255.255", "link-local"),
            ("172.16.0.0", "172.31.255.255", "private"),
            ("192.0.0.0", "192.0.0.255", "IETF protocol assignments"),
            ("192.0.2.0", "192.0.2.255", "TEST-NET-1"),
            ("192.88.99.0", "192.88.99.255", "6to4 relay anycast"),
            ("192.168.0.0", "192.168.255.255", "private"),
            ("198.18.0.0", "198.19.255.255", "benchmarking"),
            ("198.51.100.0", "198.51.100.255", "TEST-NET-2"),
            ("203.0.113.0", "203.0.113.255", "TEST-NET-3"),
            ("224.0.0.0", "239.255.255.255", "multicast"),
            ("240.0.0.0", "255.255.255.255", "reserved and broadcast"),
        ] {
            assert!(!v4(first), "{first} ({range})");
            assert!(!v4(last), "{last} ({range})");
        }
    }

    #[test]
    fn the_neighbours_of_special_purpose_ipv4_ranges_are_reachable() {
        for ip in [
            "1.0.0.0",
            "9.255.255.255",
            "11.0.0.0",
            "100.63.255.255",
            "100.128.0.0",
            "126.255.255.255",
            "128.0.0.0",
            "169.253.255.255",
            "169.255.0.0",
            "172.15.255.255",
            "172.32.0.0",
            "192.0.1.0",
            "192.0.3.0",
            "192.88.98.255",
            "192.167.255.255",
            "192.169.0.0",
            "198.17.255.255",
            "198.20.0.0",
            "198.51.99.255",
            "203.0.112.255",
            "223.255.255.255",
        ] {
            assert!(v4(ip), "{ip}");
        }
    }

    #[test]
    fn special_purpose_ipv6_ranges_are_unreachable() {
        for (ip, range) in [
            ("::", "unspecified"),
            ("::1", "loopback"),
            ("::7f00:1", "IPv4-compatible 127.0.0.1"),
            ("::5db8:d822", "IPv4-compatible, deprecated"),
            ("::ffff:7f00:1", "IPv4-mapped 127.0.0.1"),
            ("::ffff:5db8:d822", "IPv4-mapped, never routed as such"),
            ("64:ff9b::7f00:1", "NAT64 of 127.0.0.1"),
            ("64:ff9b::c0a8:101", "NAT64 of 192.168.1.1"),
            ("64:ff9b::ffff:ffff", "NAT64 of the broadcast address"),
            ("64:ff9b:1::5db8:d822", "local-use IPv4/IPv6 translation"),
            ("100::1", "discard-only"),
            ("100:0:0:1::1", "dummy prefix"),
            ("2001::1", "Teredo"),
            ("2001:0:4136:e378:8000:63bf:3fff:fdd2", "Teredo"),
            ("2001:2::1", "benchmarking"),
            ("2001:1ff:ffff::1", "IETF protocol assignments"),
            ("2001:db8::1", "documentation"),
            ("2001:db8:ffff::1", "documentation"),
            ("3fff::1", "documentation"),
            ("3fff:fff:ffff::1", "documentation"),
            ("2002:7f00:1::", "6to4 of 127.0.0.1"),
            ("2002:a00:1::1", "6to4 of 10.0.0.1"),
            ("2002:a9fe:a9fe::1", "6to4 of 169.254.169.254"),
            ("5f00::1", "SRv6 SIDs"),
            ("fc00::1", "unique local"),
            ("fdff:ffff::1", "unique local"),
            ("fe80::1", "link-local"),
            ("febf:ffff::1", "link-local"),
            ("fec0::1", "site-local, deprecated"),
            ("feff::1", "site-local, deprecated"),
            ("ff02::1", "multicast"),
            ("ff0e::1", "multicast, global scope"),
            ("4000::1", "unassigned, outside 2000::/3"),
        ] {
            assert!(!v6(ip), "{ip} ({range})");
        }
    }

    #[test]
    fn global_unicast_and_translations_of_public_ipv4_are_reachable() {
        for ip in [
            "2606:4700:4700::1111",
            "2a00:1450:4001::200e",
            "2001:200::1",
            "2001:db7:ffff::1",
            "2001:db9::1",
            "3ffe::1",
            "3fff:1000::1",
            "64:ff9b::5db8:d822",
            "2002:5db8:d822::1",
            "2620:4f:8000::1",
        ] {
            assert!(v6(ip), "{ip}");
        }
    }

    proptest! {
        #[test]
        fn what_std_calls_internal_is_never_reachable(bits: u32) {
            let ip = Ipv4Addr::from(bits);
            if ip.is_private() || ip.is_loopback() || ip.is_link_local() || ip.is_broadcast()
                || ip.is_multicast() || ip.is_unspecified() || ip.is_documentation()
            {
                prop_assert!(!is_globally_reachable_v4(ip));
            }
        }

        #[test]
        fn an_embedded_ipv4_address_is_judged_as_itself(bits: u32, rest: u64) {
            let ip = Ipv4Addr::from(bits);
            let reachable = is_globally_reachable_v4(ip);
            let nat64 = Ipv6Addr::from((0x64_ff9b_u128 << 96) | u128::from(bits));
            prop_assert_eq!(is_globally_reachable_v6(nat64), reachable);
            let six_to_four =
                Ipv6Addr::from((0x2002_u128 << 112) | (u128::from(bits) << 80) | u128::from(rest));
            prop_assert_eq!(is_globally_reachable_v6(six_to_four), reachable);
            prop_assert!(!is_globally_reachable_v6(ip.to_ipv6_mapped()));
            prop_assert!(!is_globally_reachable_v6(ip.to_ipv6_compatible()));
        }

        #[test]
        fn what_std_calls_internal_in_ipv6_is_never_reachable(bits: u128) {
            let ip = Ipv6Addr::from(bits);
            if ip.is_loopback() || ip.is_unspecified() || ip.is_multicast()
                || ip.is_unique_local() || ip.is_unicast_link_local()
            {
                prop_assert!(!is_globally_reachable_v6(ip));
            }
        }
    }
}
