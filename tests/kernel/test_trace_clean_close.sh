#!/usr/bin/env bash
# A clean close over IPv4, traced with each transport: redis-cli PING from
# the client namespace to a real redis-server, the client closing first.
# Asserts the exact state sequence of both ends, their addresses, ports,
# roles and owners, the close records, and that the ISNs mirror.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/scenarios.sh"

fw_scenario_setup
fw_scenario_clean_close trace_clean_close/ring ring 4
fw_scenario_clean_close trace_clean_close/perf perf 4
