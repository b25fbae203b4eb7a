// SPDX-License-Identifier: GPL-2.0
/*
 * A userspace dataplane as libflowlane-dev's users write one, built only from
 * the installed package (`pkg-config --cflags --libs flowlane`): create a
 * flowtable, add one IPv4 TCP flow, look both directions up, tear it down.
 * Exit status 0 and one line "libflowlane: ok ..." when all of it works.
 */
#include <flowlane/flowtable.h>

#include <stdio.h>
#include <string.h>

static int releases;

static bool ct_alive(void *ct) { return true; }
static void ct_teardown(void *ct, enum fl_teardown_reason why) {}
static void ct_release(void *ct) { releases++; }

static const struct fl_flowtable_ops ops = {
	.ct_alive = ct_alive,
	.ct_teardown = ct_teardown,
	.ct_release = ct_release,
};

static void ipv4(struct fl_addr *a, unsigned char x, unsigned char y)
{
	memset(a, 0, sizeof(*a));
	a->b[0] = 10, a->b[1] = 0, a->b[2] = x, a->b[3] = y;
}

/* One direction: SRC:SPORT -> DST:DPORT arriving on IIF, sent directly out OIF. */
static void direction(struct fl_flow_params *p, enum fl_dir d, unsigned char src_net,
		      unsigned char dst_net, unsigned short sport, unsigned short dport, int iif, int oif)
{
	struct fl_tuple *t = &p->tuple[d];
	struct fl_xmit *x = &p->xmit[d];

	fl_tuple_init(t);
	ipv4(&t->src, src_net, 2);
	ipv4(&t->dst, dst_net, 2);
	t->src_port = (fl_be16)((sport >> 8) | (sport << 8));
	t->dst_port = (fl_be16)((dport >> 8) | (dport << 8));
	t->iifindex = iif;
	t->l3proto = FL_L3_IPV4;
	t->l4proto = FL_IPPROTO_TCP;
	t->dir = d;
	x->kind = FL_XMIT_DIRECT;
	x->ifindex = oif;
	x->mtu = 1500;
	memcpy(x->h_source, "\x02\x00\x00\x00\x00\x01", FL_ETH_ALEN);
	memcpy(x->h_dest, "\x02\x00\x00\x00\x00\x02", FL_ETH_ALEN);
}

int main(void)
{
	struct fl_flowtable_config cfg = { .ops = &ops, .family = FL_L3_IPV4 };
	struct fl_flow_params p;
	struct fl_flowtable *ft;
	struct fl_flow *flow, *hit;
	enum fl_dir dir = FL_DIR_ORIGINAL;
	int err;

	memset(&p, 0, sizeof(p));
	p.ct = &p;
	direction(&p, FL_DIR_ORIGINAL, 1, 2, 40000, 80, 1, 2);
	direction(&p, FL_DIR_REPLY, 2, 1, 80, 40000, 2, 1);
	err = fl_flowtable_create(&cfg, &ft);
	err = err ? err : fl_flow_create(ft, &p, &flow);
	err = err ? err : fl_flowtable_add(ft, flow);
	if (err) {
		fprintf(stderr, "libflowlane: setup failed: %d\n", err);
		return 1;
	}
	fl_rcu_read_lock();
	hit = fl_flowtable_lookup(ft, &p.tuple[FL_DIR_REPLY], &dir);
	fl_rcu_read_unlock();
	if (hit != flow || dir != FL_DIR_REPLY || fl_flowtable_count(ft) != 1) {
		fprintf(stderr, "libflowlane: lookup of the reply direction failed\n");
		return 1;
	}
	fl_flowtable_destroy(ft);
	if (releases != 1) {
		fprintf(stderr, "libflowlane: conntrack handle released %d times\n", releases);
		return 1;
	}
	printf("libflowlane: ok (flow added, reply direction found, table destroyed)\n");
	return 0;
}
