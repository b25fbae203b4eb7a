// SPDX-License-Identifier: GPL-2.0
//
// The router's receive path, stage by stage; the flowtable glue is in
// router_flow.cpp and the views in router_views.cpp.
#include "sim/router/router.h"

#include <algorithm>
#include <cstring>

#include "platform/user/platform.h"
#include "sim/router/router_internal.h"

namespace flsim {

Router::Router(Ruleset rs, Topology topo, RouterOptions opts)
	: rs_(std::move(rs)), topo_(std::move(topo)), opts_(opts), eval_(rs_)
{
	flplat::set_clock_mode(flplat::ClockMode::Manual);
	flplat::set_work_mode(flplat::WorkMode::Manual);
	ct_.set_clock(&now_ms_);
}

Router::~Router()
{
	// Flowtables hand their flows back to conntrack: they go first.
	flowtables_.clear();
	flplat::run_pending();
}

Parsed<std::unique_ptr<Router>> Router::create(Ruleset rs, Topology topo, RouterOptions opts)
{
	std::unique_ptr<Router> r(new Router(std::move(rs), std::move(topo), opts));
	if (std::optional<Diag> err = r->setup_flowtables())
		return *err;
	return r;
}

// ------------------------------------------------------------------ clock

void Router::advance_ms(uint64_t ms)
{
	now_ms_ += ms;
	flplat::advance_ms(ms); // GC and hardware work, on the virtual clock
	ct_.gc(now_ms_);
}

// ------------------------------------------------------------------ receive

std::vector<EmittedFrame> Router::receive(const std::string &dev, const Bytes &frame)
{
	std::vector<EmittedFrame> out;
	TraceLine tl;
	tl.t_ms = now_ms_;
	tl.seq = ++seq_;
	tl.dev = dev;
	// The frame is parsed once; every stage below reads this view.
	std::optional<PacketView> v = parse_packet(frame);
	tl.summary = v ? v->summary() : "non-IP frame (" + std::to_string(frame.size()) + " bytes)";
	stats_.received++;
	const Link *phys = topo_.link(dev);
	if (!phys) {
		tl.path = "ignored";
		tl.reason = "no such device";
		stats_.ignored++;
	} else if (!topo_.is_up(*phys)) {
		tl.path = "drop";
		tl.reason = dev + " is down";
		stats_.dropped++;
	} else if (!try_hardware(*phys, frame, tl, out)) {
		if (v)
			mark_gso(*phys, *v);
		FastpathOutcome fast = try_fastpath(*phys, frame, v ? &*v : nullptr, tl, out);
		if (!fast.sent && v) {
			classic(*phys, frame, *v, fast, tl, out);
		} else if (!fast.sent) {
			tl.path = "ignored";
			tl.reason = "not an IP packet";
			stats_.ignored++;
		}
	}
	trace_.push_back(tl);
	flplat::run_pending(); // the workqueue gets to run soon after
	return out;
}

// A TCP packet longer than its wire's MTU cannot have crossed that wire whole:
// the capturing host built it by GRO (receive) or handed it to TSO (send). Its
// segments carry what the connection's MSS allows, within the wire's MTU.
void Router::mark_gso(const Link &phys, PacketView &v) const
{
	if (v.proto != 6 || v.fragment || !v.l4hdr || v.l3len() <= static_cast<size_t>(phys.mtu))
		return;
	size_t hdrs = (v.l4 - v.l3) + v.l4hdr;
	if (hdrs >= static_cast<size_t>(phys.mtu))
		return;
	size_t seg = static_cast<size_t>(phys.mtu) - hdrs;
	int dir = 0;
	const Conn *c = ct_.find(v, dir);
	uint16_t mss = c ? c->mss[!dir] : 0; // the receiver's announcement bounds the sender
	size_t opts = v.l4hdr - 20;
	if (mss > opts && mss - opts < seg)
		seg = mss - opts;
	v.gso_size = static_cast<uint16_t>(std::min<size_t>(seg, 0xffff));
}

bool Router::try_hardware(const Link &phys, const Bytes &frame, TraceLine &tl, std::vector<EmittedFrame> &out)
{
	for (auto &ft : flowtables_) {
		for (auto &nic : ft->nics) {
			auto hit = nic->receive(phys.ifindex, frame, flplat::now_ticks());
			if (!hit)
				continue;
			const Link *egress = topo_.link(hit->ifindex);
			out.push_back({egress ? egress->name : "?", now_ms_, hit->frame});
			tl.path = "hw";
			tl.reason = "rule on " + nic->name();
			tl.out_dev = egress ? egress->name : "?";
			stats_.hw++;
			return true;
		}
	}
	return false;
}

std::string Router::FastpathOutcome::slow_reason() const
{
	return tried ? fl_slow_reason_name(why) : "no flowtable";
}

Router::FastpathOutcome Router::try_fastpath(const Link &phys, const Bytes &frame, const PacketView *v,
					     TraceLine &tl, std::vector<EmittedFrame> &out)
{
	FastpathOutcome fo;
	for (auto &ft : flowtables_) {
		if (std::find(ft->ifindexes.begin(), ft->ifindexes.end(), phys.ifindex) == ft->ifindexes.end())
			continue;
		Bytes buf(kHeadroom + frame.size());
		std::copy(frame.begin(), frame.end(), buf.begin() + kHeadroom);
		struct fl_packet pkt = {};
		pkt.data = buf.data() + kHeadroom;
		pkt.len = pkt.headlen = static_cast<fl_u32>(frame.size());
		pkt.headroom = kHeadroom;
		pkt.iifindex = phys.ifindex;
		pkt.entry = FL_ENTRY_L2;
		pkt.flags = FL_PKT_BUILD_L2;
		if (v && v->csum_partial)
			pkt.flags |= FL_PKT_CSUM_PARTIAL;
		if (v && v->gso_size) {
			pkt.flags |= FL_PKT_GSO;
			pkt.gso_size = v->gso_size;
		}
		struct fl_result res;
		fl_rcu_read_lock();
		fl_fastpath(ft->core, &pkt, &res);
		bool sent = res.verdict == FL_VERDICT_XMIT && res.l2_written;
		const Link *egress = sent ? topo_.link(res.xmit->ifindex) : nullptr;
		if (egress) {
			out.push_back({egress->name, now_ms_, Bytes(res.out_data, res.out_data + res.out_len)});
			tl.path = "fast";
			tl.reason = std::string(res.dir == FL_DIR_ORIGINAL ? "hit original" : "hit reply") + " in " +
				    ft->name;
			tl.out_dev = egress->name;
		}
		fl_rcu_read_unlock();
		if (egress) {
			stats_.fast++;
			fo.sent = true;
			return fo;
		}
		// The first table with something to say beyond a miss gives the reason.
		if (!fo.tried || fo.why == FL_SLOW_NO_ENTRY)
			fo.why = static_cast<enum fl_slow_reason>(res.reason);
		fo.tried = true;
	}
	return fo;
}

const Link *Router::logical_input(const Link &phys, const PacketView &v) const
{
	const Link *cur = &phys;
	for (const VlanTag &tag : v.vlans) {
		const Link *next = nullptr;
		for (const Link &l : topo_.links)
			if (l.kind == "vlan" && l.parent == cur->name && l.vlan_id == tag.id && l.vlan_proto == tag.tpid)
				next = &l;
		if (!next)
			return nullptr;
		cur = next;
	}
	return cur;
}

bool Router::bridge_switch(const Link &port, const Link &bridge, const Bytes &frame, const PacketView &v,
			   TraceLine &tl, std::vector<EmittedFrame> &out)
{
	fdb_[bridge.name][mac_str(v.src_mac)] = port.name;
	bool to_bridge = v.dst_mac == bridge.mac || (v.dst_mac[0] & 1);
	if (to_bridge)
		return false;
	const Link *dst = egress_port(bridge, v.dst_mac);
	for (const Link &l : topo_.links) {
		if (l.master != bridge.name || l.name == port.name || (dst && l.name != dst->name) || !topo_.is_up(l))
			continue;
		out.push_back({l.name, now_ms_, frame});
		tl.out_dev += (tl.out_dev.empty() ? "" : ",") + l.name;
	}
	tl.path = "bridge";
	tl.reason = dst ? "switched" : "flooded";
	stats_.bridged++;
	return true;
}

namespace {

void drop(TraceLine &tl, RouterStats &st, const std::string &why)
{
	tl.path = "drop";
	tl.reason = why;
	st.dropped++;
}

// The addresses a packet of direction @dir carries once conntrack's NAT applies.
void translated(const Conn &c, int dir, IpAddr &src, uint16_t &sport, IpAddr &dst, uint16_t &dport)
{
	const CtTuple &other = dir == 0 ? c.reply : c.orig;
	src = other.dst;
	sport = other.dport;
	dst = other.src;
	dport = other.sport;
}

} // namespace

// One packet's trip through the classic path: what each stage learns and
// hands to the next.
struct Router::Trip {
	const Link &phys;
	const Bytes &frame;
	const PacketView &v;
	TraceLine &tl;
	std::vector<EmittedFrame> &out;
	const Link *in = nullptr; // logical ingress device
	CtInfo ci;
	bool first = false;       // the connection's first packet, not confirmed yet
	EvalPacket ep;
	PacketView routed;        // as forward and postrouting see it (after DNAT)
	RouteResult rr;
};

// The classic path in the kernel's order, one named stage each; a stage
// returns false when the packet's trip ends there.
void Router::classic(const Link &phys, const Bytes &frame, const PacketView &v, const FastpathOutcome &fast,
		     TraceLine &tl, std::vector<EmittedFrame> &out)
{
	Trip t{phys, frame, v, tl, out};
	if (!demux(t) || !prerouting(t) || !route_packet(t) || !forward(t) || !postrouting(t))
		return;
	transmit(t);
	tl.path = "slow";
	tl.reason = fast.slow_reason();
	stats_.slow++;
	stats_.slow_reasons[tl.reason]++;
}

// The trip ends with a drop; a first packet takes its unconfirmed entry along.
bool Router::reject(Trip &t, const std::string &why)
{
	ct_.discard(t.first ? t.ci.conn : nullptr);
	drop(t.tl, stats_, why);
	return false;
}

// VLAN demux, the bridge, and whether the frame is for this device at all.
bool Router::demux(Trip &t)
{
	t.in = logical_input(t.phys, t.v);
	if (!t.in)
		return reject(t, "no VLAN device for the frame's tag");
	if (!topo_.is_up(*t.in))
		return reject(t, t.in->name + " is down");
	if (!t.in->master.empty()) {
		const Link *br = topo_.link(t.in->master);
		if (br && bridge_switch(*t.in, *br, t.frame, t.v, t.tl, t.out))
			return false;
		t.in = br ? br : t.in;
	}
	if (t.v.dst_mac != t.in->mac && !(t.v.dst_mac[0] & 1)) {
		t.tl.path = "ignored";
		t.tl.reason = "not addressed to " + t.in->name;
		stats_.ignored++;
		return false;
	}
	return true;
}

// Conntrack, DNAT and the prerouting chains; conntrack moves its state here,
// as nf_conntrack_in does, so forward already sees the last ACK established.
bool Router::prerouting(Trip &t)
{
	t.ci = ct_.lookup(t.v, now_ms_);
	t.ep = EvalPacket{&t.v, t.in->name, "", t.ci};
	t.first = t.ci.conn && !t.ci.conn->confirmed && t.ci.dir == 0;
	if (t.first) {
		EvalResult nat = eval_.run("prerouting", true, t.ep, nullptr);
		if (nat.nat.kind == NatRequest::Dnat)
			apply_nat_request(nat.nat, t.ci, nullptr);
	}
	EvalResult pre = eval_.run("prerouting", false, t.ep, nullptr);
	if (pre.drop)
		return reject(t, "prerouting: " + pre.verdict_where);
	ct_.update(t.ci, t.v, now_ms_);
	return true;
}

// Local delivery or a route; TTL. Forward and postrouting then see the packet
// with prerouting's rewrite (DNAT, or the un-SNAT of a reply).
bool Router::route_packet(Trip &t)
{
	t.routed = t.v;
	if (t.ci.conn) {
		IpAddr src;
		uint16_t sport;
		translated(*t.ci.conn, t.ci.dir, src, sport, t.routed.dst, t.routed.dport);
	}
	if (is_local(t.routed.dst)) {
		if (t.ci.conn)
			ct_.confirm(*t.ci.conn);
		t.tl.path = "local";
		t.tl.reason = "for the router itself";
		stats_.local++;
		return false;
	}
	t.rr = route(t.routed.dst);
	if (!t.rr.dev)
		return reject(t, "no route to " + t.routed.dst.str());
	if (t.v.ttl <= 1)
		return reject(t, "TTL exceeded");
	t.ep.oif = t.rr.dev->name;
	t.ep.pkt = &t.routed;
	return true;
}

// The forward chains (where `flow add` offloads), then the egress MTU: a GSO
// super-packet passes when each of its segments fits (ip_exceeds_mtu).
bool Router::forward(Trip &t)
{
	FlowAddFn fa = [&](const Table &tb, const std::string &ft, std::string &note) {
		return flow_add(tb, ft, t.ci, t.v, note);
	};
	EvalResult fwd = eval_.run("forward", false, t.ep, fa);
	t.tl.notes.insert(t.tl.notes.end(), fwd.notes.begin(), fwd.notes.end());
	if (fwd.drop)
		return reject(t, "forward: " + fwd.verdict_where);
	if (t.v.segment_l3len() > static_cast<size_t>(t.rr.dev->mtu))
		return reject(t, "larger than " + t.rr.dev->name + "'s MTU " + std::to_string(t.rr.dev->mtu) +
					 " (the kernel sends ICMP fragmentation-needed)");
	return true;
}

// SNAT and masquerade on the first packet, the postrouting chains, and
// confirmation: the entry exists from here on.
bool Router::postrouting(Trip &t)
{
	if (t.first) {
		EvalResult nat = eval_.run("postrouting", true, t.ep, nullptr);
		if (nat.nat.kind == NatRequest::Snat || nat.nat.kind == NatRequest::Masquerade)
			apply_nat_request(nat.nat, t.ci, t.rr.dev);
	}
	EvalResult post = eval_.run("postrouting", false, t.ep, nullptr);
	if (post.drop)
		return reject(t, "postrouting: " + post.verdict_where);
	if (t.ci.conn)
		ct_.confirm(*t.ci.conn);
	return true;
}

// NAT as conntrack bound it, TTL, and the frame onto the egress wire.
void Router::transmit(Trip &t)
{
	const PacketView &v = t.v;
	IpAddr src = v.src, dst = v.dst;
	uint16_t sport = v.sport, dport = v.dport;
	if (t.ci.conn)
		translated(*t.ci.conn, t.ci.dir, src, sport, dst, dport);
	Bytes pkt = t.frame;
	if (!(src == v.src) || !(dst == v.dst) || sport != v.sport || dport != v.dport)
		rewrite_addresses(pkt, v, src, sport, dst, dport);
	decrement_ttl(pkt, v);
	emit(*t.rr.dev, t.rr.nexthop, pkt, v, t.out, t.tl);
}

void Router::emit(const Link &dev, const IpAddr &nexthop, Bytes &frame, const PacketView &v,
		  std::vector<EmittedFrame> &out, TraceLine &tl)
{
	MacAddr dmac = neighbour(dev, nexthop);
	Bytes wire = reframe(frame, v, dev.mac, dmac, wire_tags(dev));
	if (dev.kind == "bridge") {
		const Link *port = egress_port(dev, dmac);
		for (const Link &l : topo_.links) {
			if (l.master != dev.name || (port && l.name != port->name) || !topo_.is_up(l))
				continue;
			out.push_back({l.name, now_ms_, wire});
			tl.out_dev += (tl.out_dev.empty() ? "" : ",") + l.name;
		}
		return;
	}
	const Link *phys = topo_.lower(dev);
	out.push_back({phys->name, now_ms_, wire});
	tl.out_dev = dev.name == phys->name ? dev.name : dev.name + "@" + phys->name;
}

void Router::apply_nat_request(const NatRequest &nr, const CtInfo &ci, const Link *out)
{
	Conn &c = *ci.conn;
	CtTuple reply = c.reply;
	if (nr.kind == NatRequest::Dnat) {
		if (nr.target.has_addr) {
			reply.src = IpAddr{};
			reply.src.ipver = nr.target.ipver;
			std::memcpy(reply.src.b, nr.target.addr, 16);
		}
		if (nr.target.port)
			reply.sport = nr.target.port;
	} else {
		IpAddr a;
		if (nr.kind == NatRequest::Masquerade || !nr.target.has_addr) {
			if (!out || !primary_addr_dev(*out, reply.dst.ipver, a))
				return; // nothing to masquerade to: leave the packet alone
		} else {
			a.ipver = nr.target.ipver;
			std::memcpy(a.b, nr.target.addr, 16);
		}
		reply.dst = a;
		if (nr.target.port)
			reply.dport = nr.target.port;
		// Keep the port when free, as Linux does; else take the next free one.
		auto own = [&](const CtTuple &t) { return !(t < c.reply) && !(c.reply < t); };
		for (int i = 0; i < 64511 && !own(reply) && ct_.reply_in_use(reply); i++)
			reply.dport = static_cast<uint16_t>(1024 + (reply.dport - 1024 + 1) % 64511);
	}
	ct_.set_reply(c, reply);
}

// ------------------------------------------------------------------ topology

std::optional<Router::Attachment> Router::attachment(const IpAddr &host) const
{
	RouteResult rr = route(host);
	if (!rr.dev)
		return std::nullopt;
	Attachment a;
	a.dev = rr.dev->name;
	a.router_mac = rr.dev->mac;
	a.host_mac = neighbour(*rr.dev, host);
	a.tags = wire_tags(*rr.dev);
	const Link *port = topo_.lower(*rr.dev);
	if (rr.dev->kind == "bridge") {
		port = egress_port(*rr.dev, a.host_mac);
		for (const Link &l : topo_.links)
			if (!port && l.master == rr.dev->name)
				port = &l; // not learnt yet: the bridge's first port
		if (!port)
			return std::nullopt;
	}
	a.port = port->name;
	return a;
}

Router::RouteResult Router::route(const IpAddr &dst) const
{
	RouteResult best;
	int best_len = -1;
	auto consider = [&](const IpAddr &net, int plen, const Link *dev, const IpAddr &nh) {
		// A down device has no routes (Linux flushes or marks them dead).
		if (!dev || !topo_.is_up(*dev) || net.ipver != dst.ipver || plen <= best_len ||
		    !prefix_covers(net, plen, dst))
			return;
		best = {dev, nh};
		best_len = plen;
	};
	for (const Address &a : topo_.addrs)
		consider(a.addr, a.plen, topo_.link(a.dev), dst);
	for (const Route &r : topo_.routes) {
		const Link *dev = r.dev.empty() ? nullptr : topo_.link(r.dev);
		IpAddr nh = r.has_via ? r.via : dst;
		if (!dev && r.has_via) {
			RouteResult via;
			int via_len = -1;
			for (const Address &a : topo_.addrs)
				if (a.addr.ipver == nh.ipver && a.plen > via_len && prefix_covers(a.addr, a.plen, nh) &&
				    topo_.link(a.dev) && topo_.is_up(*topo_.link(a.dev))) {
					via = {topo_.link(a.dev), nh};
					via_len = a.plen;
				}
			dev = via.dev;
		}
		consider(r.dst, r.plen, dev, nh);
	}
	return best;
}

bool Router::is_local(const IpAddr &a) const
{
	return std::any_of(topo_.addrs.begin(), topo_.addrs.end(), [&](const Address &x) { return x.addr == a; });
}

MacAddr Router::neighbour(const Link &dev, const IpAddr &a) const
{
	for (const Neighbor &n : topo_.neighs) {
		const Link *on = topo_.link(n.dev);
		if (n.addr == a && on && topo_.lower(*on) == topo_.lower(dev))
			return n.mac;
	}
	return host_mac(a);
}

std::vector<VlanTag> Router::wire_tags(const Link &dev) const
{
	std::vector<VlanTag> tags;
	const Link *cur = &dev;
	while (cur && cur->kind == "vlan") {
		tags.insert(tags.begin(), VlanTag{cur->vlan_proto, cur->vlan_id});
		cur = topo_.link(cur->parent);
	}
	return tags;
}

const Link *Router::egress_port(const Link &bridge, const MacAddr &dst) const
{
	auto b = fdb_.find(bridge.name);
	if (b == fdb_.end())
		return nullptr;
	auto p = b->second.find(mac_str(dst));
	return p == b->second.end() ? nullptr : topo_.link(p->second);
}

const Link *Router::primary_addr_dev(const Link &dev, int ipver, IpAddr &addr) const
{
	for (const Address &a : topo_.addrs) {
		if (a.dev == dev.name && a.addr.ipver == ipver) {
			addr = a.addr;
			return &dev;
		}
	}
	return nullptr;
}

bool prefix_covers(const IpAddr &net, int plen, const IpAddr &a)
{
	if (net.ipver != a.ipver)
		return false;
	for (int i = 0; i < plen; i++) {
		int byte = i / 8, bit = 7 - i % 8;
		if (((net.b[byte] >> bit) & 1) != ((a.b[byte] >> bit) & 1))
			return false;
	}
	return true;
}

} // namespace flsim
