#!/usr/bin/env bash
# The clean close and the lost FIN over IPv6: 2001:db8::1 ->
# [2001:db8::2]:6379, family 6 and RFC 5952 addresses in every record.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/scenarios.sh"

fw_scenario_setup
fw_scenario_clean_close trace_ipv6/clean_close ring 6
fw_scenario_lost_fin trace_ipv6/lost_fin ring 6 30001 30002
