/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The CLI from a unit test: correlate_main() with stdout and stderr
 * captured into buffers.
 */
#ifndef FW_TEST_RUN_CLI_H
#define FW_TEST_RUN_CLI_H

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "correlate/correlate.h"

/* Runs correlate_main with stdout and stderr captured into files. */
static int run_cli(char **argv, int argc, char *out, size_t outsz, char *err,
		   size_t errsz)
{
	char opath[] = "/tmp/fwout.XXXXXX", epath[] = "/tmp/fwerr.XXXXXX";
	int ofd = mkstemp(opath), efd = mkstemp(epath);
	int save_out = dup(1), save_err = dup(2), rc;
	ssize_t n;

	fflush(stdout);
	dup2(ofd, 1);
	dup2(efd, 2);
	rc = correlate_main(argc, argv);
	fflush(stdout);
	fflush(stderr);
	dup2(save_out, 1);
	dup2(save_err, 2);
	close(save_out);
	close(save_err);
	n = pread(ofd, out, outsz - 1, 0);
	out[n > 0 ? n : 0] = '\0';
	n = pread(efd, err, errsz - 1, 0);
	err[n > 0 ? n : 0] = '\0';
	close(ofd);
	close(efd);
	unlink(opath);
	unlink(epath);
	return rc;
}

#endif
