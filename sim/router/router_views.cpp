// SPDX-License-Identifier: GPL-2.0
//
// What the router shows: conntrack -L, nft list counters, tc -s filter show
// per offloading device, flowtable statistics, and the run's totals.
#include <map>
#include <sstream>

#include "sim/router/router.h"
#include "sim/router/router_internal.h"
#include "sim/router/nic_views.h"

namespace flsim {

namespace {

// Whether each conntrack entry has a flow, and whether hardware holds it.
using OffloadMap = std::map<const void *, bool>;

bool note_flow(struct fl_flow *flow, void *arg)
{
	(*static_cast<OffloadMap *>(arg))[fl_flow_ct(flow)] = fl_flow_flags(flow) & FL_FLOW_HW_OFFLOADED;
	return true;
}

void print_tuple(std::ostringstream &s, const CtTuple &t, uint64_t packets, uint64_t bytes)
{
	s << " src=" << t.src.str() << " dst=" << t.dst.str() << " sport=" << t.sport << " dport=" << t.dport
	  << " packets=" << packets << " bytes=" << bytes;
}

} // namespace

std::string Router::conntrack_list() const
{
	OffloadMap flows;
	for (auto &ft : flowtables_)
		fl_flowtable_iterate(ft->core, note_flow, &flows); // takes RCU itself
	std::ostringstream s;
	for (const Conn *c : ct_.entries()) {
		auto f = flows.find(c);
		if (!c->offload)
			f = flows.end(); // torn down: conntrack's own timer runs again
		bool tcp = c->orig.proto == 6;
		s << (tcp ? "tcp      6" : "udp      17");
		// Linux 6.1's ctnetlink dumps neither the timeout nor the TCP state of
		// an offloaded entry (the flowtable owns both), so conntrack -L shows none.
		if (f == flows.end()) {
			int64_t left = (static_cast<int64_t>(c->expires_ms) - static_cast<int64_t>(now_ms_)) / 1000;
			s << ' ' << (left < 0 ? 0 : left);
			if (tcp)
				s << ' ' << tcp_state_name(c->tcp);
		}
		print_tuple(s, c->orig, c->packets[0], c->bytes[0]);
		if (!c->seen_reply)
			s << " [UNREPLIED]";
		print_tuple(s, c->reply, c->packets[1], c->bytes[1]);
		if (c->assured)
			s << " [ASSURED]";
		if (f != flows.end())
			s << (f->second ? " [HW_OFFLOAD]" : " [OFFLOAD]");
		s << " mark=" << c->mark << " use=" << 1 + c->flow_refs << '\n';
	}
	s << "conntrack v1.4.7 (flowlane sim): " << ct_.entries().size() << " flow entries have been shown.\n";
	return s.str();
}

std::string Router::counters_list() const
{
	std::ostringstream s;
	for (const Table &t : rs_.tables) {
		if (t.counters.empty())
			continue;
		s << "table " << family_name(t.family) << ' ' << t.name << " {\n";
		for (const NamedCounter &c : t.counters)
			s << "\tcounter " << c.name << " {\n\t\tpackets " << c.packets << " bytes " << c.bytes << "\n\t}\n";
		s << "}\n";
	}
	return s.str();
}

std::string Router::tc_list() const
{
	flviews::NameOf name = [this](int ifindex) {
		const Link *l = topo_.link(ifindex);
		return l ? l->name : "if" + std::to_string(ifindex);
	};
	std::ostringstream s;
	for (auto &ft : flowtables_) {
		for (auto &nic : ft->nics) {
			for (int port : ft->ifindexes) {
				if (!nic->bound(port))
					continue;
				s << "$ tc -s filter show dev " << name(port) << " ingress  # flowtable " << ft->name << '\n'
				  << flviews::tc_show(*nic, port, name);
			}
		}
	}
	return s.str();
}

std::string Router::flowtable_stats() const
{
	std::ostringstream s;
	for (auto &ft : flowtables_) {
		s << "flowtable " << family_name(ft->table->family) << ' ' << ft->table->name << ' ' << ft->name
		  << ": flows " << fl_flowtable_count(ft->core) << ", tcp timeout "
		  << fl_flowtable_timeout(ft->core, 6) << "s, udp timeout " << fl_flowtable_timeout(ft->core, 17) << 's'
		  << (ft->counter ? ", counter" : "") << (ft->offload ? ", offload" : "") << '\n';
		if (!ft->off)
			continue;
		struct fl_offload_stats st = {};
		fl_offload_stats(ft->off, &st);
		s << "  hardware: adds " << st.adds << ", refused " << st.add_failed << ", removals " << st.dels
		  << ", stats polls " << st.stats_polls << ", kept alive " << st.refreshed << '\n';
	}
	return s.str();
}

RouterStats Router::stats() const
{
	RouterStats st = stats_;
	st.teardowns = ct_.teardowns();
	st.hw_offloaded = 0;
	for (auto &ft : flowtables_) {
		if (!ft->off)
			continue;
		struct fl_offload_stats os = {};
		fl_offload_stats(ft->off, &os);
		st.hw_offloaded += os.adds;
	}
	return st;
}

} // namespace flsim
