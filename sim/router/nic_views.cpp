// SPDX-License-Identifier: GPL-2.0
#include "sim/router/nic_views.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cstdio>
#include <sstream>

namespace flviews {

namespace {

std::string hex32(uint32_t v)
{
	char buf[16];
	std::snprintf(buf, sizeof(buf), "0x%08x", v);
	return buf;
}

const char *htype_name(uint8_t h)
{
	switch (h) {
	case FL_HDR_ETH:
		return "eth";
	case FL_HDR_IPV4:
		return "ip4";
	case FL_HDR_IPV6:
		return "ip6";
	case FL_HDR_TCP:
		return "tcp";
	default:
		return "udp";
	}
}

std::string format_action(const struct fl_action &a, const NameOf &name)
{
	std::ostringstream o;
	switch (a.id) {
	case FL_ACT_MANGLE:
		o << "pedit ex munge " << htype_name(a.htype) << " offset " << a.mangle.offset << " val "
		  << hex32(a.mangle.val) << " mask " << hex32(a.mangle.mask) << " pipe";
		break;
	case FL_ACT_DEC_TTL:
		o << "pedit ex munge ip ttl dec pipe";
		break;
	case FL_ACT_CSUM:
		o << "csum (" << ((a.csum_flags & FL_CSUM_IPV4HDR) ? "iph" : "")
		  << ((a.csum_flags & FL_CSUM_TCP) ? " tcp" : "") << ((a.csum_flags & FL_CSUM_UDP) ? " udp" : "")
		  << ") pipe";
		break;
	case FL_ACT_VLAN_POP:
		o << "vlan pop pipe";
		break;
	case FL_ACT_VLAN_PUSH:
		o << "vlan push id " << a.vlan.id << " protocol " << (a.vlan.proto == 0x88a8 ? "802.1ad" : "802.1Q")
		  << " pipe";
		break;
	case FL_ACT_PPPOE_POP:
		o << "pppoe pop pipe";
		break;
	case FL_ACT_PPPOE_PUSH:
		o << "pppoe push sid " << a.pppoe.sid << " pipe";
		break;
	case FL_ACT_TUNNEL_ENCAP:
		o << "tunnel_key set id " << a.tunnel.key_id << " pipe";
		break;
	case FL_ACT_TUNNEL_DECAP:
		o << "tunnel_key unset pipe";
		break;
	case FL_ACT_REDIRECT:
		o << "mirred (Egress Redirect to device " << name(a.redirect.ifindex) << ") stolen";
		break;
	default:
		o << "unknown action " << static_cast<int>(a.id);
	}
	return o.str();
}

} // namespace

std::string addr_string(fl_u8 l3proto, const struct fl_addr &a)
{
	char buf[64];
	inet_ntop(l3proto == FL_L3_IPV4 ? AF_INET : AF_INET6, a.b, buf, sizeof(buf));
	return buf;
}

std::string format_rule(const struct fl_rule &r, const NameOf &name, uint64_t packets,
			uint64_t bytes, bool in_hw)
{
	const struct fl_rule_match &m = r.match;
	std::ostringstream o;
	bool v4 = m.l3proto == FL_L3_IPV4;
	o << "filter protocol " << (m.keys & FL_MATCH_VLAN ? "802.1Q" : v4 ? "ip" : "ipv6")
	  << " pref 1 flower chain 0 handle 0x" << std::hex << (r.cookie & 0xffffffffu) << std::dec << "\n";
	if (m.keys & FL_MATCH_VLAN)
		o << "  vlan_id " << m.vlan.id << "\n";
	if (m.keys & FL_MATCH_CVLAN)
		o << "  cvlan_id " << m.cvlan.id << "\n";
	if (m.keys & FL_MATCH_PPPOE)
		o << "  pppoe_sid " << m.pppoe_sid << "\n";
	o << "  indev " << name(m.ingress_ifindex) << "\n";
	o << "  eth_type " << (v4 ? "ipv4" : "ipv6") << "\n";
	o << "  ip_proto " << (m.ip_proto == 6 ? "tcp" : "udp") << "\n";
	o << "  src_ip " << addr_string(m.l3proto, m.src) << "\n";
	o << "  dst_ip " << addr_string(m.l3proto, m.dst) << "\n";
	o << "  src_port " << ntohs(m.sport) << "\n";
	o << "  dst_port " << ntohs(m.dport) << "\n";
	if (m.keys & FL_MATCH_TCP_FLAGS)
		o << "  tcp_flags 0x" << std::hex << static_cast<int>(m.tcp_flags) << "/0x"
		  << static_cast<int>(m.tcp_flags_mask) << std::dec << "\n";
	o << "  " << (in_hw ? "in_hw in_hw_count 1" : "not_in_hw") << "\n";
	for (uint32_t i = 0; i < r.num_actions; i++)
		o << "\taction order " << i + 1 << ": " << format_action(r.actions[i], name) << "\n";
	o << "\tSent " << bytes << " bytes " << packets << " pkt (dropped 0, overlimits 0 requeues 0)\n";
	return o.str();
}

std::string tc_show(const flmock::MockNic &nic, int port, const NameOf &name)
{
	std::string out;
	for (const flmock::MockNic::Rule &r : nic.rules_on(port))
		out += format_rule(r.rule, name, r.packets, r.bytes, true);
	return out;
}

namespace {

struct ListCtx {
	struct fl_flowtable *ft;
	std::vector<FlowLine> *lines;
};

bool list_one(struct fl_flow *flow, void *arg)
{
	auto *ctx = static_cast<ListCtx *>(arg);
	const struct fl_tuple *o = fl_flow_tuple(flow, FL_DIR_ORIGINAL);
	const struct fl_tuple *r = fl_flow_tuple(flow, FL_DIR_REPLY);
	unsigned flags = fl_flow_flags(flow);
	bool hw = flags & FL_FLOW_HW_OFFLOADED;
	std::ostringstream s;
	s << (o->l4proto == 6 ? "tcp      6 " : "udp      17 ") << std::max(0, fl_flow_expires_in(ctx->ft, flow))
	  << " src=" << addr_string(o->l3proto, o->src) << " dst=" << addr_string(o->l3proto, o->dst)
	  << " sport=" << ntohs(o->src_port) << " dport=" << ntohs(o->dst_port)
	  << " src=" << addr_string(r->l3proto, r->src) << " dst=" << addr_string(r->l3proto, r->dst)
	  << " sport=" << ntohs(r->src_port) << " dport=" << ntohs(r->dst_port);
	if (!(flags & FL_FLOW_TEARDOWN))
		s << (hw ? " [HW_OFFLOAD]" : " [OFFLOAD]");
	fl_u64 pk[2], by[2];
	fl_flow_counters(flow, FL_DIR_ORIGINAL, &pk[0], &by[0]);
	fl_flow_counters(flow, FL_DIR_REPLY, &pk[1], &by[1]);
	s << " packets=" << pk[0] << " bytes=" << by[0] << " packets=" << pk[1] << " bytes=" << by[1];
	ctx->lines->push_back({s.str(), hw});
	return true;
}

} // namespace

std::vector<FlowLine> conntrack_list(struct fl_flowtable *ft)
{
	std::vector<FlowLine> lines;
	ListCtx ctx{ft, &lines};
	fl_flowtable_iterate(ft, list_one, &ctx);
	std::sort(lines.begin(), lines.end(), [](const FlowLine &a, const FlowLine &b) { return a.text < b.text; });
	lines.erase(std::unique(lines.begin(), lines.end(),
				[](const FlowLine &a, const FlowLine &b) { return a.text == b.text; }),
		    lines.end());
	return lines;
}

} // namespace flviews
