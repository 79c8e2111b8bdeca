/* SPDX-License-Identifier: GPL-2.0 */
#ifndef FW_CLI_H
#define FW_CLI_H

/* The subcommands; each takes argv with argv[0] naming it. */
int trace_main(int argc, char **argv);
int snapshot_main(int argc, char **argv);
int correlate_main(int argc, char **argv);
int demo_main(int argc, char **argv);
int reap_main(int argc, char **argv);

#endif
