#!/bin/sh
# kube-router, like kube-proxy, must program the iptables backend (legacy or nft) the node
# already uses, or its rules are never consulted. Like upstream's iptables-wrapper,
# pick the backend that holds more rules, then run the real kube-router.
legacy=$( (iptables-legacy-save; ip6tables-legacy-save) 2>/dev/null | grep -c '^-')
nft=$( (iptables-nft-save; ip6tables-nft-save) 2>/dev/null | grep -c '^-')
mode=nft
[ "$legacy" -gt "$nft" ] && mode=legacy
update-alternatives --set iptables "/usr/sbin/iptables-$mode" >/dev/null
update-alternatives --set ip6tables "/usr/sbin/ip6tables-$mode" >/dev/null
exec /usr/local/bin/kube-router.real "$@"
