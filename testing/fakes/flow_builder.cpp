// SPDX-License-Identifier: GPL-2.0
#include "testing/fakes/flow_builder.h"

#include <arpa/inet.h>
#include <cstring>
#include <stdexcept>

namespace flfake {

const std::array<uint8_t, 6> kClientMac = {0x02, 0x00, 0x00, 0x00, 0x01, 0x02};
const std::array<uint8_t, 6> kRouterClientMac = {0x02, 0x00, 0x00, 0x00, 0x01, 0x01};
const std::array<uint8_t, 6> kServerMac = {0x02, 0x00, 0x00, 0x00, 0x02, 0x02};
const std::array<uint8_t, 6> kRouterServerMac = {0x02, 0x00, 0x00, 0x00, 0x02, 0x01};

struct fl_addr parse_addr(int ipver, const std::string &s)
{
	struct fl_addr a;
	std::memset(&a, 0, sizeof(a));
	if (inet_pton(ipver == 4 ? AF_INET : AF_INET6, s.c_str(), a.b) != 1)
		throw std::invalid_argument("bad address " + s);
	return a;
}

namespace {

void set_encap(struct fl_tuple &t, const std::vector<fl_encap> &encap)
{
	t.encap_num = static_cast<fl_u8>(encap.size());
	for (size_t i = 0; i < encap.size() && i < FL_ENCAP_MAX; i++)
		t.encap[i] = encap[i];
}

struct fl_xmit make_xmit(const FlowSpec &s, int ifindex, const std::array<uint8_t, 6> &src,
			 const std::array<uint8_t, 6> &dst, FakeRoute *route)
{
	struct fl_xmit x;
	std::memset(&x, 0, sizeof(x));
	x.kind = s.xmit_kind;
	x.mtu = s.mtu;
	x.ifindex = ifindex;
	x.hw_ifindex = ifindex;
	std::memcpy(x.h_source, src.data(), 6);
	std::memcpy(x.h_dest, dst.data(), 6);
	x.route = route;
	return x;
}

} // namespace

struct fl_flow_params make_params(const FlowSpec &s)
{
	struct fl_flow_params p;
	std::memset(&p, 0, sizeof(p));
	struct fl_tuple &o = p.tuple[FL_DIR_ORIGINAL];
	struct fl_tuple &r = p.tuple[FL_DIR_REPLY];
	fl_tuple_init(&o);
	fl_tuple_init(&r);
	uint8_t l3 = s.ipver == 4 ? FL_L3_IPV4 : FL_L3_IPV6;
	o.l3proto = r.l3proto = l3;
	o.l4proto = r.l4proto = s.l4proto;

	o.src = parse_addr(s.ipver, s.client);
	o.src_port = htons(s.client_port);
	o.dst = parse_addr(s.ipver, s.dnat ? s.dnat_addr : s.server);
	o.dst_port = htons(s.dnat ? s.dnat_port : s.server_port);
	o.iifindex = s.client_if;
	set_encap(o, s.client_encap);

	r.src = parse_addr(s.ipver, s.server);
	r.src_port = htons(s.server_port);
	r.dst = parse_addr(s.ipver, s.snat ? s.snat_addr : s.client);
	r.dst_port = htons(s.snat ? s.snat_port : s.client_port);
	r.iifindex = s.server_if;
	set_encap(r, s.server_encap);

	p.xmit[FL_DIR_ORIGINAL] = make_xmit(s, s.server_if, kRouterServerMac, kServerMac, s.route[0]);
	p.xmit[FL_DIR_REPLY] = make_xmit(s, s.client_if, kRouterClientMac, kClientMac, s.route[1]);
	p.ct = s.ct;
	return p;
}

FrameSpec flow_frame(const FlowSpec &s, enum fl_dir dir)
{
	FrameSpec f;
	f.ipver = s.ipver;
	f.proto = s.l4proto;
	if (dir == FL_DIR_ORIGINAL) {
		f.saddr = s.client;
		f.daddr = s.dnat ? s.dnat_addr : s.server;
		f.sport = s.client_port;
		f.dport = s.dnat ? s.dnat_port : s.server_port;
		f.src = kClientMac;
		f.dst = kRouterClientMac;
		for (const fl_encap &e : s.client_encap)
			f.vlans.push_back({e.proto, e.id});
	} else {
		f.saddr = s.server;
		f.daddr = s.snat ? s.snat_addr : s.client;
		f.sport = s.server_port;
		f.dport = s.snat ? s.snat_port : s.client_port;
		f.src = kServerMac;
		f.dst = kRouterServerMac;
		for (const fl_encap &e : s.server_encap)
			f.vlans.push_back({e.proto, e.id});
	}
	return f;
}

} // namespace flfake
