// SPDX-License-Identifier: GPL-2.0
/* The log a trace appends to: -o, and its reopening on SIGHUP. */
#include <fcntl.h>
#include <unistd.h>

#include "logfile.h"

int fw_logfile_open(const char *path)
{
	if (!path)
		return STDOUT_FILENO;
	return open(path,
		    O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC,
		    0640);
}

int fw_logfile_reopen(const char *path, int *fd)
{
	int fd2;

	if (!path)
		return 0; /* stdout is not ours to reopen */
	fd2 = fw_logfile_open(path);
	if (fd2 < 0)
		return -1;
	close(*fd);
	*fd = fd2;
	return 0;
}
