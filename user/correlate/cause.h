/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What killed a lost close (cause.c): from the drops each end's host
 * recorded, with conntrack's view of them, the hosts' facts (conntrack's
 * timeouts, keepalive) and what each tracer traced, one enum fw_cause
 * and its sentence in the host's own numbers. Private to the engine.
 */
#ifndef FW_CORRELATE_CAUSE_H
#define FW_CORRELATE_CAUSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct fw_corr;
struct fw_finding;
struct fw_rec;
struct conn;
struct end;
struct judgement;

/* Conntrack's view of an end's latest dropped FIN/RST in one direction. */
struct ct_seen {
	uint8_t ct; /* enum fw_ct_view */
	bool hooked_known, hooked;
};

/*
 * What an end's records say of where its closes died; small, as every
 * end has one (counts saturate).
 */
struct end_cause {
	struct ct_seen out; /* its own, dropped on the way out */
	struct ct_seen in;  /* the peer's, dropped on arrival */
	uint8_t ka_cnt;	    /* its keepalive settings in its latest
			     * snapshot; 0: not known */
	uint16_t ka_idle_s, ka_intvl_s;
	uint16_t rst_drops_out; /* its RSTs its own host dropped */
	uint16_t rst_drops_in;	/* the peer's RSTs its host dropped */
	uint32_t in_idle_ms;	/* its idle at the first drop on arrival,
				 * UINT32_MAX: not known */
	uint32_t user_timeout_ms;
	const char *out_reason; /* drop_reason_last: its drop records'
				 * reason when they are gone */
	const char *rst_in_reason;
};

/* Sentences are cut at this length. */
#define FW_CAUSE_TEXT_MAX 512

/* A new end's: nothing known yet. */
void cause_end_init(struct end_cause *ec);

/* What record r says of e's drops and keepalive (from apply_record). */
void cause_apply_record(struct fw_corr *c, struct end *e,
			const struct fw_rec *r);

/*
 * Fills f->cause (its text in buf) for the judgement's lost close, and
 * the ends' keepalive settings.
 */
void cause_fill(const struct fw_corr *c, const struct conn *cn,
		const struct judgement *j, struct fw_finding *f, char *buf,
		size_t sz);

#endif
