/* SPDX-License-Identifier: GPL-2.0 */
#ifndef FW_LOGFILE_H
#define FW_LOGFILE_H

/*
 * The file a trace appends its records to (-o). It is opened never
 * through a symlink planted at its path, and keeps what is there: several
 * tracers may append to one log. SIGHUP reopens it, for log rotation.
 */

/* @path, or stdout when NULL. Returns the fd, or -1 with errno. */
int fw_logfile_open(const char *path);

/* Replaces *@fd with a new open of @path (nothing for stdout). Returns 0,
 * or -1 with errno, *@fd kept. */
int fw_logfile_reopen(const char *path, int *fd);

#endif
