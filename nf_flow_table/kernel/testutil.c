// SPDX-License-Identifier: GPL-2.0
/* Flow parameters for the self-check and the KUnit suites. */
#include <asm/byteorder.h>
#include <linux/string.h>
#include <linux/types.h>

#include "flowlane/flowtable.h"
#include "nf_flow_table/kernel/flowlane_kernel.h"

/*
 * Flow i: 10.(i>>16).(i>>8).(i)+1:(1024+(i&0x7fff)) -> 192.168.0.1:80 over TCP,
 * arriving on ifindex 1 and leaving on 2 (reply the other way), direct transmit.
 */
void flowlane_test_params(struct fl_flow_params *p, u32 i, void *ct)
{
	__be32 client = htonl(0x0a000001 + (i << 8));
	__be32 server = htonl(0xc0a80001);
	__be16 cport = htons(1024 + (i & 0x7fff));
	int d;

	memset(p, 0, sizeof(*p));
	for (d = 0; d < 2; d++) {
		fl_tuple_init(&p->tuple[d]);
		p->tuple[d].l3proto = FL_L3_IPV4;
		p->tuple[d].l4proto = FL_IPPROTO_TCP;
		p->xmit[d].kind = FL_XMIT_DIRECT;
		p->xmit[d].mtu = 1500;
		p->xmit[d].ifindex = d ? 1 : 2;
	}
	memcpy(p->tuple[0].src.b, &client, 4);
	memcpy(p->tuple[0].dst.b, &server, 4);
	p->tuple[0].src_port = cport;
	p->tuple[0].dst_port = htons(80);
	p->tuple[0].iifindex = 1;
	memcpy(p->tuple[1].src.b, &server, 4);
	memcpy(p->tuple[1].dst.b, &client, 4);
	p->tuple[1].src_port = htons(80);
	p->tuple[1].dst_port = cport;
	p->tuple[1].iifindex = 2;
	p->ct = ct;
}
