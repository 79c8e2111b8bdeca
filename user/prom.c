// SPDX-License-Identifier: GPL-2.0
/* The Prometheus text exposition format, written atomically. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "prom.h"
#include "schema.h"

static void free_names(struct fw_prom *p)
{
	free(p->path);
	free(p->tmp);
	p->path = p->tmp = NULL;
	p->f = NULL;
}

int fw_prom_open(struct fw_prom *p, const char *path)
{
	const char *base = strrchr(path, '/');
	size_t dirlen = base ? (size_t)(base - path) + 1 : 0;
	int fd;

	base = base ? base + 1 : path;
	p->f = NULL;
	if (!*base) {
		errno = EISDIR;
		return -1;
	}
	p->path = strdup(path);
	/* dir/.base.XXXXXX: hidden, and no .prom suffix */
	p->tmp = malloc(strlen(path) + 9);
	if (!p->path || !p->tmp) {
		free_names(p);
		errno = ENOMEM;
		return -1;
	}
	sprintf(p->tmp, "%.*s.%s.XXXXXX", (int)dirlen, path, base);
	fd = mkstemp(p->tmp);
	if (fd < 0 || !(p->f = fdopen(fd, "w"))) {
		int err = errno;

		if (fd >= 0) {
			close(fd);
			unlink(p->tmp);
		}
		free_names(p);
		errno = err;
		return -1;
	}
	return 0;
}

void fw_prom_family(struct fw_prom *p, const char *name, const char *type,
		    const char *help)
{
	fprintf(p->f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* Label values are UTF-8 with \\, \" and \n escaped; an invalid byte
 * becomes U+FFFD, which the format requires. */
static void put_label_value(FILE *f, const char *v)
{
	const unsigned char *u = (const unsigned char *)v;
	size_t n = strlen(v), len, bad;

	for (size_t i = 0; i < n; i += len) {
		len = fw_utf8_len(u + i, n - i, &bad);
		if (!len) {
			fputs("\xef\xbf\xbd", f);
			len = bad;
		} else if (u[i] == '\\' || u[i] == '"') {
			fputc('\\', f);
			fputc(u[i], f);
		} else if (u[i] == '\n') {
			fputs("\\n", f);
		} else {
			fwrite(u + i, 1, len, f);
		}
	}
}

void fw_prom_sample(struct fw_prom *p, const char *name,
		    const struct fw_prom_label *labels, size_t nlabels,
		    double value)
{
	fputs(name, p->f);
	for (size_t i = 0; i < nlabels; i++) {
		fprintf(p->f, "%c%s=\"", i ? ',' : '{', labels[i].name);
		put_label_value(p->f, labels[i].value);
		fputc('"', p->f);
	}
	/* integers as integers: counters up to 2^53 stay exact */
	if (value == (double)(int64_t)value)
		fprintf(p->f, "%s %" PRId64 "\n", nlabels ? "}" : "",
			(int64_t)value);
	else
		fprintf(p->f, "%s %.3f\n", nlabels ? "}" : "", value);
}

void fw_prom_single(struct fw_prom *p, const char *name, const char *type,
		    const char *help, double value)
{
	fw_prom_family(p, name, type, help);
	fw_prom_sample(p, name, NULL, 0, value);
}

int fw_prom_commit(struct fw_prom *p)
{
	int err = 0;

	if (fflush(p->f) || ferror(p->f) || fchmod(fileno(p->f), 0644) ||
	    fsync(fileno(p->f)))
		err = errno ? errno : EIO;
	if (fclose(p->f) && !err)
		err = errno;
	if (!err && rename(p->tmp, p->path))
		err = errno;
	if (err)
		unlink(p->tmp);
	free_names(p);
	errno = err;
	return err ? -1 : 0;
}

void fw_prom_abort(struct fw_prom *p)
{
	if (!p->f)
		return;
	fclose(p->f);
	unlink(p->tmp);
	free_names(p);
}
