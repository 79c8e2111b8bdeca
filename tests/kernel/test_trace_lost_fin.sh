#!/usr/bin/env bash
# A FIN lost on its way to the server (an nft rule drops the FINs of one
# client port as a middlebox would), traced with each transport. The
# client must be seen in FIN_WAIT1 retransmitting its FIN while the server
# stays ESTABLISHED; a second connection, closed at the same time from
# another port, must close cleanly.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/scenarios.sh"

fw_scenario_setup
fw_scenario_lost_fin trace_lost_fin/ring ring 4 30001 30002
fw_scenario_lost_fin trace_lost_fin/perf perf 4 30011 30012
# The FIN dropped in the client's own output hook instead: FIN_WAIT1 and a
# server in ESTABLISHED all the same, but no retransmission to see.
fw_scenario_fin_blocked trace_lost_fin/blocked_in_client ring 4 30021
