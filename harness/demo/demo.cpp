// SPDX-License-Identifier: GPL-2.0
//
// flowlane-demo: the seed article's TCP example played through libflowlane.
//
//   client 10.0.1.2 --- eth0 [ router ] eth1 --- server 10.0.2.2
//
//   table ip filter {
//     flowtable f { hook ingress priority 0; devices = { eth0, eth1 }; }
//     chain y {
//       type filter hook forward priority 0; policy accept;
//       ip protocol tcp flow add @f
//       counter
//     }
//   }
//
// Every frame first meets the flowtable (the core's fastpath) in the ingress
// hook; misses take a small model of the classic path (routing, conntrack, the
// forward chain above). The demo prints each packet's path and why, the
// conntrack table with [OFFLOAD], the chain counter, teardown on FIN and the
// expiry of an idle UDP flow on a virtual clock.
#include <arpa/inet.h>

#include <cstdio>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "flowlane/flowtable.h"
#include "harness/fakes/flow_builder.h"
#include "harness/fakes/frames.h"
#include "harness/platform/platform.h"

namespace {

using flfake::Bytes;
using flfake::FrameSpec;

// ----------------------------------------------------------------- conntrack

struct Conn {
	std::string key;        // "proto src:sport > dst:dport" of the original direction
	uint8_t proto;
	FrameSpec orig;         // first packet, for tuples
	bool confirmed = false; // passed the whole slowpath once
	bool seen_reply = false;
	bool established = false;
	bool offloaded = false;
	bool dying = false;
	int state_tcp_fin = 0;
};

std::map<std::string, Conn> conns;
std::string pending_note; // printed after the current packet's line

std::string conn_key(uint8_t proto, const std::string &a, uint16_t ap, const std::string &b, uint16_t bp)
{
	return (proto == 6 ? "tcp " : "udp ") + a + ":" + std::to_string(ap) + " > " + b + ":" +
	       std::to_string(bp);
}

bool ct_alive(void *ct) { return !static_cast<Conn *>(ct)->dying; }
void ct_teardown(void *ct, enum fl_teardown_reason why)
{
	auto *c = static_cast<Conn *>(ct);
	c->offloaded = false;
	const char *r = why == FL_TEARDOWN_TCP_FIN_RST ? "FIN/RST"
			: why == FL_TEARDOWN_TIMEOUT   ? "idle timeout"
						       : "teardown";
	pending_note += std::string("      conntrack takes back ") + c->key + " (" + r + ")\n";
}
void ct_release(void *) {}

const struct fl_flowtable_ops kOps = {ct_alive, ct_teardown, ct_release, nullptr, nullptr, nullptr};

// ----------------------------------------------------------------- router

struct Router {
	fl_flowtable *ft = nullptr;
	uint64_t chain_packets = 0, chain_bytes = 0;
	int seq = 0;

	// The forward chain "y": flow add @f for TCP, then counter.
	void forward_chain(Conn &c, const FrameSpec &fs, size_t len, std::string &why)
	{
		bool fin_rst = fs.proto == 6 && (fs.tcp_flags & 0x05);
		// 6.1: TCP is offloaded once established, never on FIN/RST; the entry
		// must be confirmed and not offloaded yet.
		if (fs.proto == 6 && c.confirmed && c.established && !c.offloaded && !fin_rst) {
			if (offload(c))
				why += ", flow add @f: offloaded";
		}
		chain_packets++;
		chain_bytes += len;
	}

	bool offload(Conn &c)
	{
		flfake::FlowSpec s;
		s.l4proto = c.proto;
		s.client = c.orig.saddr;
		s.server = c.orig.daddr;
		s.client_port = c.orig.sport;
		s.server_port = c.orig.dport;
		fl_flow_params p = flfake::make_params(s);
		p.ct = &c;
		fl_flow *flow;
		if (fl_flow_create(ft, &p, &flow))
			return false;
		if (fl_flowtable_add(ft, flow)) {
			fl_flow_free(ft, flow);
			return false;
		}
		c.offloaded = true;
		return true;
	}

	Conn &track(const FrameSpec &fs, bool &reply)
	{
		std::string k = conn_key(fs.proto, fs.saddr, fs.sport, fs.daddr, fs.dport);
		std::string rk = conn_key(fs.proto, fs.daddr, fs.dport, fs.saddr, fs.sport);
		reply = false;
		if (conns.count(rk)) {
			reply = true;
			return conns[rk];
		}
		Conn &c = conns[k];
		if (c.key.empty()) {
			c.key = k;
			c.proto = fs.proto;
			c.orig = fs;
		}
		return c;
	}

	void slowpath(const FrameSpec &fs, size_t len, std::string why)
	{
		bool reply;
		Conn &c = track(fs, reply);
		if (reply)
			c.seen_reply = true;
		if (c.seen_reply && fs.proto == 6 && !reply && (fs.tcp_flags & 0x10))
			c.established = true; // the handshake's final ACK
		if (fs.proto == 17 && c.seen_reply)
			c.established = true;
		forward_chain(c, fs, len, why);
		c.confirmed = true;
		std::printf(" slow  %s\n%s", why.c_str(), pending_note.c_str());
		pending_note.clear();
	}

	void packet(const char *dev, int ifindex, FrameSpec fs)
	{
		Bytes frame = flfake::build_frame(fs);
		std::vector<uint8_t> buf(64 + frame.size());
		std::memcpy(buf.data() + 64, frame.data(), frame.size());
		fl_packet pkt = {};
		pkt.data = buf.data() + 64;
		pkt.len = pkt.headlen = static_cast<fl_u32>(frame.size());
		pkt.headroom = 64;
		pkt.iifindex = ifindex;
		pkt.flags = FL_PKT_BUILD_L2;
		fl_result res;
		std::printf("%3d %6.1fs %s  %-48s", ++seq, flplat::now_ticks() / 1000.0 - t0, dev,
			    describe(fs).c_str());
		fl_rcu_read_lock();
		fl_fastpath(ft, &pkt, &res);
		fl_rcu_read_unlock();
		if (res.verdict == FL_VERDICT_XMIT) {
			std::printf(" FAST  %s hit, out ifindex %d, ttl %d -> %d\n",
				    res.dir == FL_DIR_ORIGINAL ? "original" : "reply", res.xmit->ifindex,
				    fs.ttl, flfake::read_ip(res.out_data + res.l3_offset).ttl);
			return;
		}
		slowpath(fs, frame.size() - 14, fl_slow_reason_name(res.reason));
	}

	static std::string describe(const FrameSpec &fs)
	{
		std::string flags;
		if (fs.proto == 6) {
			flags = " [";
			if (fs.tcp_flags & 0x02)
				flags += "S";
			if (fs.tcp_flags & 0x01)
				flags += "F";
			if (fs.tcp_flags & 0x04)
				flags += "R";
			if (fs.tcp_flags & 0x10)
				flags += ".";
			flags += "]";
		} else {
			flags = " udp";
		}
		return fs.saddr + ":" + std::to_string(fs.sport) + " > " + fs.daddr + ":" +
		       std::to_string(fs.dport) + flags + " len " + std::to_string(fs.payload);
	}

	double t0 = flplat::now_ticks() / 1000.0;
};

FrameSpec tcp(bool from_client, uint8_t flags, size_t payload)
{
	FrameSpec f;
	f.proto = 6;
	f.saddr = from_client ? "10.0.1.2" : "10.0.2.2";
	f.daddr = from_client ? "10.0.2.2" : "10.0.1.2";
	f.sport = from_client ? 47562 : 80;
	f.dport = from_client ? 80 : 47562;
	f.tcp_flags = flags;
	f.payload = payload;
	f.src = from_client ? flfake::kClientMac : flfake::kServerMac;
	f.dst = from_client ? flfake::kRouterClientMac : flfake::kRouterServerMac;
	return f;
}

FrameSpec udp(bool from_client, size_t payload)
{
	FrameSpec f = tcp(from_client, 0, payload);
	f.proto = 17;
	f.sport = from_client ? 5353 : 53;
	f.dport = from_client ? 53 : 5353;
	return f;
}

bool print_flow(fl_flow *flow, void *arg)
{
	auto *ft = static_cast<fl_flowtable *>(arg);
	auto *c = static_cast<Conn *>(fl_flow_ct(flow));
	fl_u64 pk[2], by[2];
	fl_flow_counters(flow, FL_DIR_ORIGINAL, &pk[0], &by[0]);
	fl_flow_counters(flow, FL_DIR_REPLY, &pk[1], &by[1]);
	std::printf("  %s %d %s  fastpath packets %llu/%llu bytes %llu/%llu%s\n",
		    c->proto == 6 ? "tcp" : "udp", c->proto, c->key.c_str() + 4,
		    static_cast<unsigned long long>(pk[0]), static_cast<unsigned long long>(pk[1]),
		    static_cast<unsigned long long>(by[0]), static_cast<unsigned long long>(by[1]),
		    (fl_flow_flags(flow) & FL_FLOW_TEARDOWN) ? "" : " [OFFLOAD]");
	(void)ft;
	return true;
}

void listing(Router &r)
{
	std::printf("\n# conntrack -L (flows in the flowtable)\n");
	if (!fl_flowtable_iterate(r.ft, print_flow, r.ft))
		std::printf("  (none)\n");
	std::printf("# nft list chain ip filter y\n  ip protocol tcp flow add @f\n  counter packets %llu bytes %llu\n\n",
		    static_cast<unsigned long long>(r.chain_packets),
		    static_cast<unsigned long long>(r.chain_bytes));
}

} // namespace

int main()
{
	flplat::set_clock_mode(flplat::ClockMode::Manual);
	flplat::set_work_mode(flplat::WorkMode::Manual);
	Router r;
	fl_flowtable_config cfg = {};
	cfg.ops = &kOps;
	cfg.gc_interval_ms = 1000;
	if (fl_flowtable_create(&cfg, &r.ft)) {
		std::fprintf(stderr, "flowlane-demo: cannot create the flowtable\n");
		return 1;
	}
	std::printf("flowlane demo: client 10.0.1.2 -- eth0 [router] eth1 -- server 10.0.2.2\n"
		    "ruleset: table ip filter { flowtable f { hook ingress priority 0; devices = { eth0, eth1 }; }\n"
		    "         chain y { type filter hook forward priority 0; policy accept;\n"
		    "                   ip protocol tcp flow add @f; counter } }\n\n"
		    "  # time   dev   packet                                           path\n");
	r.packet("eth0", 1, tcp(true, 0x02, 0));  // SYN
	r.packet("eth1", 2, tcp(false, 0x12, 0)); // SYN-ACK
	r.packet("eth0", 1, tcp(true, 0x10, 0));  // ACK: established, offloaded
	for (int i = 0; i < 3; i++) {
		flplat::advance_ms(10);
		r.packet("eth0", 1, tcp(true, 0x18, 512));
		r.packet("eth1", 2, tcp(false, 0x18, 1400));
	}
	r.packet("eth0", 1, udp(true, 40));
	r.packet("eth1", 2, udp(false, 120));
	listing(r);

	std::printf("The client closes: FIN leaves the fastpath and takes the flow down.\n");
	r.packet("eth0", 1, tcp(true, 0x11, 0));
	r.packet("eth1", 2, tcp(false, 0x11, 0));
	r.packet("eth0", 1, tcp(true, 0x10, 0));
	flplat::advance_ms(1000); // one GC pass unlinks the torn-down flow
	listing(r);

	std::printf("The UDP conversation (not offloaded by this ruleset) stays on the slowpath;\n"
		    "now let an offloaded flow idle: a new TCP connection, then 31 s of silence.\n");
	FrameSpec s2 = tcp(true, 0x02, 0);
	s2.sport = 47563;
	FrameSpec a2 = tcp(false, 0x12, 0);
	a2.dport = 47563;
	FrameSpec k2 = tcp(true, 0x10, 0);
	k2.sport = 47563;
	r.packet("eth0", 1, s2);
	r.packet("eth1", 2, a2);
	r.packet("eth0", 1, k2);
	r.packet("eth0", 1, k2);
	listing(r);
	flplat::advance_ms(31000);
	std::printf("after 31 s idle (flowtable timeout 30 s, GC every second):\n%s", pending_note.c_str());
	pending_note.clear();
	listing(r);


	{
		struct fl_stats st;
		fl_flowtable_stats(r.ft, &st);
		std::printf("# flowlane statistics\n  hits %llu, flows added %llu, teardowns %llu, gc freed %llu\n",
			    static_cast<unsigned long long>(st.hits),
			    static_cast<unsigned long long>(st.flows_added),
			    static_cast<unsigned long long>(st.teardowns),
			    static_cast<unsigned long long>(st.gc_freed));
		for (unsigned i = 1; i < FL_SLOW_REASON_COUNT; i++)
			if (st.slow[i])
				std::printf("  slowpath %-12s %llu\n", fl_slow_reason_name(i),
					    static_cast<unsigned long long>(st.slow[i]));
	}
	fl_flowtable_destroy(r.ft);
	return 0;
}
