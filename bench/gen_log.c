// SPDX-License-Identifier: GPL-2.0
/*
 * Generates a realistic pair of `finwatch trace --json` logs for the
 * correlator's benchmark: many app clients talking to one Redis server,
 * each connection opened, used and closed, with a known share of them
 * losing the client's FIN on the way (a middlebox forgot the flow).
 *
 *   gen_log [-e EVENTS] [-c CONCURRENT] [-l LOST_EVERY] [-s SKEW_MS] DIR
 *
 * writes DIR/client.log and DIR/server.log, each in its own time order,
 * and prints what it wrote (events, connections, lost FINs) on stdout.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define T0  1795996800000000000ull
#define MS  1000000ull
#define SEC 1000000000ull

enum step {
	CL_SYN_SENT,
	CL_EST,
	SV_EST,
	CL_FW1,
	CL_CLOSE,
	SV_CW,
	CL_FW2,
	SV_CLOSE,
	SV_LA,
	CL_TW,
	SV_DONE,
	CL_RETX,
	CL_GIVE_UP,
	CL_DESTROY,
};

struct conn {
	uint32_t id;
	uint16_t cport;
	uint32_t isn_c, isn_s;
	uint32_t idle_ms;
	uint64_t t_open;
	uint8_t retx;
	uint8_t lost;
};

struct event {
	uint64_t t;
	struct conn *c;
	uint8_t step;
};

struct heap {
	struct event *ev;
	size_t n, cap;
};

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static uint64_t rnd_range(uint64_t lo, uint64_t hi)
{
	return lo + rnd() % (hi - lo + 1);
}

static void push(struct heap *h, uint64_t t, struct conn *c, int step)
{
	size_t i;

	if (h->n == h->cap) {
		h->cap = h->cap ? h->cap * 2 : 1024;
		h->ev = realloc(h->ev, h->cap * sizeof(*h->ev));
		if (!h->ev)
			exit(1);
	}
	i = h->n++;
	while (i && h->ev[(i - 1) / 2].t > t) {
		h->ev[i] = h->ev[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	h->ev[i] = (struct event){ t, c, (uint8_t)step };
}

static struct event pop(struct heap *h)
{
	struct event top = h->ev[0], last = h->ev[--h->n];
	size_t i = 0, k;

	for (;;) {
		k = 2 * i + 1;
		if (k >= h->n)
			break;
		if (k + 1 < h->n && h->ev[k + 1].t < h->ev[k].t)
			k++;
		if (last.t <= h->ev[k].t)
			break;
		h->ev[i] = h->ev[k];
		i = k;
	}
	if (h->n)
		h->ev[i] = last;
	return top;
}

struct out {
	FILE *cl, *sv;
	uint64_t skew_ns;
	uint64_t events;
};

/* One connection record; state change old->new of one end. */
static void rec(struct out *o, const struct event *e, const char *type,
		const char *old, const char *new, const char *extra)
{
	const struct conn *c = e->c;
	bool client = e->step != SV_EST && e->step != SV_CW &&
		      e->step != SV_CLOSE && e->step != SV_LA &&
		      e->step != SV_DONE;
	char isn[64] = "";

	if (e->step != CL_SYN_SENT)
		snprintf(isn, sizeof(isn),
			 ",\"isn_local\":%u,\"isn_remote\":%u",
			 client ? c->isn_c : c->isn_s,
			 client ? c->isn_s : c->isn_c);
	if (client)
		fprintf(o->cl,
			"{\"v\":1,\"type\":\"%s\",\"time_ns\":%llu,\"host\":"
			"\"app1\","
			"\"netns\":4026531840,\"sock\":%llu,\"family\":4,"
			"\"laddr\":\"10.20.0.%u\",\"lport\":%u,\"raddr\":\"10."
			"30.0.7\","
			"\"rport\":6379,\"role\":\"client\",\"oldstate\":\"%"
			"s\","
			"\"newstate\":\"%s\",\"pid\":%u,\"comm\":\"puma\"%s,"
			"\"active_open\":true,\"bytes_sent\":%u,\"bytes_"
			"received\":%u,"
			"\"retrans\":0,\"close_retrans\":%u%s}\n",
			type, (unsigned long long)e->t,
			(unsigned long long)(1000000 + c->id), 1 + c->id % 8,
			c->cport, old, new, 3000 + c->id % 8, isn, c->id % 5000,
			c->id % 9000, c->retx, extra);
	else
		fprintf(o->sv,
			"{\"v\":1,\"type\":\"%s\",\"time_ns\":%llu,\"host\":"
			"\"redis1\","
			"\"netns\":4026531841,\"sock\":%llu,\"family\":4,"
			"\"laddr\":\"10.30.0.7\",\"lport\":6379,\"raddr\":\"10."
			"20.0.%u\","
			"\"rport\":%u,\"role\":\"server\",\"oldstate\":\"%s\","
			"\"newstate\":\"%s\",\"pid\":812,\"comm\":\"redis-"
			"server\"%s,"
			"\"active_open\":false,\"bytes_sent\":%u,\"bytes_"
			"received\":%u,"
			"\"retrans\":0,\"close_retrans\":0%s}\n",
			type, (unsigned long long)(e->t + o->skew_ns),
			(unsigned long long)(7000000 + c->id), 1 + c->id % 8,
			c->cport, old, new, isn, c->id % 9000, c->id % 5000,
			extra);
	o->events++;
}

static void emit(struct out *o, struct heap *h, const struct event *e)
{
	struct conn *c = e->c;
	char idle[96];
	uint64_t rtt = 200000; /* 0.2 ms in a data centre */

	snprintf(idle, sizeof(idle), ",\"last_recv_ms\":%u,\"last_send_ms\":%u",
		 c->idle_ms, c->idle_ms + 1);
	switch (e->step) {
	case CL_SYN_SENT:
		rec(o, e, "state", "CLOSE", "SYN_SENT", "");
		push(h, e->t + rtt, c, CL_EST);
		push(h, e->t + rtt + rtt / 2, c, SV_EST);
		break;
	case CL_EST:
		rec(o, e, "state", "SYN_SENT", "ESTABLISHED", "");
		break;
	case SV_EST:
		rec(o, e, "state", "SYN_RECV", "ESTABLISHED", "");
		break;
	case CL_FW1:
		rec(o, e, "state", "ESTABLISHED", "FIN_WAIT1", idle);
		push(h, e->t, c, CL_CLOSE);
		if (c->lost) {
			push(h, e->t + 200 * MS, c, CL_RETX);
		} else {
			push(h, e->t + rtt / 2, c, SV_CW);
			push(h, e->t + rtt, c, CL_FW2);
		}
		break;
	case CL_CLOSE:
		rec(o, e, "close", "FIN_WAIT1", "CLOSE",
		    ",\"via\":\"tcp_close\"");
		break;
	case SV_CW:
		rec(o, e, "state", "ESTABLISHED", "CLOSE_WAIT", "");
		push(h, e->t + 50000, c, SV_CLOSE);
		break;
	case CL_FW2:
		rec(o, e, "state", "FIN_WAIT1", "FIN_WAIT2", "");
		break;
	case SV_CLOSE:
		rec(o, e, "close", "CLOSE_WAIT", "CLOSE",
		    ",\"via\":\"tcp_close\"");
		push(h, e->t, c, SV_LA);
		break;
	case SV_LA:
		rec(o, e, "state", "CLOSE_WAIT", "LAST_ACK", "");
		push(h, e->t + rtt / 2, c, CL_TW);
		push(h, e->t + rtt, c, SV_DONE);
		break;
	case CL_TW:
		rec(o, e, "state", "FIN_WAIT2", "TIME_WAIT", "");
		break;
	case SV_DONE:
		/* the last event of a clean connection */
		rec(o, e, "state", "LAST_ACK", "CLOSE", "");
		free(c);
		break;
	case CL_RETX:
		c->retx++;
		rec(o, e, "retransmit", "FIN_WAIT1", "FIN_WAIT1",
		    ",\"tcp_flags\":\"FIN|ACK\"");
		if (c->retx < 7)
			push(h, e->t + (200 * MS << c->retx), c, CL_RETX);
		else
			push(h, e->t + 25 * SEC, c, CL_GIVE_UP);
		break;
	case CL_GIVE_UP:
		rec(o, e, "state", "FIN_WAIT1", "CLOSE", "");
		push(h, e->t, c, CL_DESTROY);
		break;
	case CL_DESTROY:
		rec(o, e, "close", "CLOSE", "CLOSE", ",\"via\":\"destroy\"");
		free(c);
		break;
	}
}

static void usage(void)
{
	fprintf(stderr, "usage: gen_log [-e EVENTS] [-c CONCURRENT] "
			"[-l LOST_EVERY] [-s SKEW_MS] DIR\n");
	exit(2);
}

int main(int argc, char **argv)
{
	uint64_t want = 5000000, concurrent = 20000, lost_every = 1000;
	uint64_t skew_ms = 300, conns = 0, lost = 0, life_mean = 20 * SEC;
	struct heap h = { 0 };
	struct out o = { 0 };
	char path[4096];
	uint64_t t_next = T0 + SEC;
	int opt;

	while ((opt = getopt(argc, argv, "e:c:l:s:")) != -1) {
		switch (opt) {
		case 'e':
			want = strtoull(optarg, NULL, 10);
			break;
		case 'c':
			concurrent = strtoull(optarg, NULL, 10);
			break;
		case 'l':
			lost_every = strtoull(optarg, NULL, 10);
			break;
		case 's':
			skew_ms = strtoull(optarg, NULL, 10);
			break;
		default:
			usage();
		}
	}
	if (optind != argc - 1 || !concurrent)
		usage();
	o.skew_ns = skew_ms * MS;
	snprintf(path, sizeof(path), "%s/client.log", argv[optind]);
	o.cl = fopen(path, "w");
	snprintf(path, sizeof(path), "%s/server.log", argv[optind]);
	o.sv = fopen(path, "w");
	if (!o.cl || !o.sv) {
		perror(path);
		return 1;
	}
	fprintf(o.cl,
		"{\"v\":1,\"type\":\"start\",\"time_ns\":%llu,\"host\":"
		"\"app1\","
		"\"ports\":[6379],\"netns\":[],\"transport\":\"ring\","
		"\"version\":\"bench\",\"attach\":[\"tp\"]}\n",
		T0);
	fprintf(o.sv,
		"{\"v\":1,\"type\":\"start\",\"time_ns\":%llu,\"host\":"
		"\"redis1\","
		"\"ports\":[6379],\"netns\":[],\"transport\":\"ring\","
		"\"version\":\"bench\",\"attach\":[\"tp\"]}\n",
		T0 + o.skew_ns);
	while (o.events < want) {
		struct conn *c;

		while (h.n && h.ev[0].t <= t_next) {
			struct event e = pop(&h);

			emit(&o, &h, &e);
		}
		c = calloc(1, sizeof(*c));
		if (!c)
			return 1;
		c->id = (uint32_t)conns++;
		c->cport = (uint16_t)(32768 + c->id % 28000);
		c->isn_c = (uint32_t)rnd();
		c->isn_s = (uint32_t)rnd();
		c->t_open = t_next;
		c->lost = lost_every && c->id % lost_every == lost_every - 1;
		/* lost FINs follow long idles: the middlebox forgot the flow */
		c->idle_ms = c->lost ? (uint32_t)rnd_range(310000, 900000)
				     : (uint32_t)rnd_range(1, 290000);
		lost += c->lost;
		push(&h, t_next, c, CL_SYN_SENT);
		push(&h, t_next + rnd_range(SEC / 10, 2 * life_mean), c,
		     CL_FW1);
		t_next += life_mean / concurrent;
	}
	while (h.n) {
		struct event e = pop(&h);

		emit(&o, &h, &e);
	}
	/* both logs run on a while after the last close, then stop */
	t_next += 200 * SEC;
	fprintf(o.cl,
		"{\"v\":1,\"type\":\"stop\",\"time_ns\":%llu,\"host\":\"app1\","
		"\"events\":%llu,\"lost\":0}\n",
		(unsigned long long)t_next, (unsigned long long)o.events);
	fprintf(o.sv,
		"{\"v\":1,\"type\":\"stop\",\"time_ns\":%llu,\"host\":"
		"\"redis1\","
		"\"events\":%llu,\"lost\":0}\n",
		(unsigned long long)(t_next + o.skew_ns),
		(unsigned long long)o.events);
	fclose(o.cl);
	fclose(o.sv);
	free(h.ev);
	printf("events %llu connections %llu lost_fin %llu\n",
	       (unsigned long long)o.events + 4, (unsigned long long)conns,
	       (unsigned long long)lost);
	return 0;
}
