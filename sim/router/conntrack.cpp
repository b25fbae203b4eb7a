// SPDX-License-Identifier: GPL-2.0
#include "sim/router/conntrack.h"

#include <cstring>
#include <tuple>

namespace flsim {

namespace {

constexpr uint64_t kSec = 1000;

// Linux's default conntrack timeouts.
uint64_t tcp_timeout(TcpState s)
{
	switch (s) {
	case TcpState::SynSent:
		return 120 * kSec;
	case TcpState::SynRecv:
		return 60 * kSec;
	case TcpState::Established:
		return 432000 * kSec;
	case TcpState::FinWait:
		return 120 * kSec;
	case TcpState::CloseWait:
		return 60 * kSec;
	case TcpState::LastAck:
		return 30 * kSec;
	case TcpState::TimeWait:
		return 120 * kSec;
	default:
		return 10 * kSec;
	}
}

} // namespace

bool CtTuple::operator<(const CtTuple &o) const
{
	int c = std::memcmp(src.b, o.src.b, 16);
	if (c)
		return c < 0;
	c = std::memcmp(dst.b, o.dst.b, 16);
	if (c)
		return c < 0;
	return std::tie(src.ipver, proto, sport, dport) < std::tie(o.src.ipver, o.proto, o.sport, o.dport);
}

const char *tcp_state_name(TcpState s)
{
	static const char *names[] = {"NONE",       "SYN_SENT", "SYN_RECV",  "ESTABLISHED", "FIN_WAIT",
				      "CLOSE_WAIT", "LAST_ACK", "TIME_WAIT", "CLOSE"};
	return names[static_cast<int>(s)];
}

void Conntrack::index(Conn &c)
{
	index_[c.orig] = {&c, 0};
	index_[c.reply] = {&c, 1};
}

void Conntrack::unindex(Conn &c)
{
	auto drop = [&](const CtTuple &t) {
		auto it = index_.find(t);
		if (it != index_.end() && it->second.first == &c)
			index_.erase(it);
	};
	drop(c.orig);
	drop(c.reply);
}

uint64_t Conntrack::timeout_ms(const Conn &c) const
{
	if (c.orig.proto == 6)
		return tcp_timeout(c.tcp);
	return c.seen_reply ? 120 * kSec : 30 * kSec;
}

CtInfo Conntrack::lookup(const PacketView &v, uint64_t now_ms)
{
	CtInfo ci;
	if (!v.has_ports()) {
		ci.untracked = true;
		return ci;
	}
	CtTuple t{v.src, v.dst, v.proto, v.sport, v.dport};
	auto it = index_.find(t);
	if (it != index_.end() && !it->second.first->dying) {
		ci.conn = it->second.first;
		ci.dir = it->second.second;
		// A reply, the first included, is already ESTABLISHED (IP_CT_ESTABLISHED_REPLY).
		ci.is_new = ci.dir == 0 && !ci.conn->seen_reply;
		return ci;
	}
	if (v.proto == 6 && (v.tcp_flags & 0x04)) {
		ci.invalid = true; // RST for nothing we know
		return ci;
	}
	auto c = std::make_unique<Conn>();
	c->id = next_id_++;
	c->owner = this;
	c->orig = t;
	c->reply = t.reversed();
	if (v.proto == 6)
		c->tcp = (v.tcp_flags & 0x12) == 0x02 ? TcpState::SynSent : TcpState::Established;
	c->expires_ms = now_ms + timeout_ms(*c);
	ci.conn = c.get();
	ci.is_new = true;
	conns_[c->id] = std::move(c);
	index(*ci.conn);
	return ci;
}

const Conn *Conntrack::find(const PacketView &v, int &dir) const
{
	if (!v.has_ports())
		return nullptr;
	auto it = index_.find(CtTuple{v.src, v.dst, v.proto, v.sport, v.dport});
	if (it == index_.end() || it->second.first->dying)
		return nullptr;
	dir = it->second.second;
	return it->second.first;
}

void Conntrack::tcp_update(Conn &c, int dir, uint8_t flags)
{
	bool syn = flags & 0x02, ack = flags & 0x10, fin = flags & 0x01, rst = flags & 0x04;
	if (rst) {
		c.tcp = TcpState::Close;
		return;
	}
	switch (c.tcp) {
	case TcpState::SynSent:
		if (dir == 1 && syn && ack)
			c.tcp = TcpState::SynRecv;
		break;
	case TcpState::SynRecv:
		if (dir == 0 && ack && !syn) {
			c.tcp = TcpState::Established;
			c.assured = true;
		}
		break;
	default:
		break;
	}
	if (fin && !c.closing_fin[dir]) {
		c.closing_fin[dir] = true;
		c.tcp = c.closing_fin[!dir] ? TcpState::LastAck : TcpState::FinWait;
	} else if (ack && !fin && c.tcp == TcpState::LastAck && c.closing_fin[!dir]) {
		c.tcp = TcpState::TimeWait;
	}
}

void Conntrack::update(const CtInfo &ci, const PacketView &v, uint64_t now_ms)
{
	Conn *c = ci.conn;
	if (!c)
		return;
	if (ci.dir == 1 && !c->seen_reply) {
		c->seen_reply = true;
		if (c->orig.proto == 17)
			c->assured = true;
	}
	if (c->orig.proto == 6)
		tcp_update(*c, ci.dir, v.tcp_flags);
	if (v.mss)
		c->mss[ci.dir] = v.mss;
	c->packets[ci.dir]++;
	c->bytes[ci.dir] += v.l3len();
	if (!c->offload)
		c->expires_ms = now_ms + timeout_ms(*c);
}

void Conntrack::confirm(Conn &c) { c.confirmed = true; }

void Conntrack::discard(Conn *c)
{
	if (!c || c->confirmed)
		return;
	unindex(*c);
	conns_.erase(c->id);
}

void Conntrack::set_reply(Conn &c, const CtTuple &reply)
{
	unindex(c);
	c.reply = reply;
	c.snat = !(c.reply.dst == c.orig.src) || c.reply.dport != c.orig.sport;
	c.dnat = !(c.reply.src == c.orig.dst) || c.reply.sport != c.orig.dport;
	index(c);
}

bool Conntrack::reply_in_use(const CtTuple &reply) const { return index_.count(reply) != 0; }

unsigned Conntrack::gc(uint64_t now_ms)
{
	unsigned n = 0;
	for (auto it = conns_.begin(); it != conns_.end();) {
		Conn &c = *it->second;
		bool expired = !c.offload && static_cast<int64_t>(now_ms - c.expires_ms) >= 0;
		if (expired && !c.dying) {
			c.dying = true; // flows see it dying and hand it back
			unindex(c);
		}
		if (c.dying && c.flow_refs == 0) {
			it = conns_.erase(it);
			n++;
			continue;
		}
		++it;
	}
	return n;
}

std::vector<const Conn *> Conntrack::entries() const
{
	std::vector<const Conn *> v;
	for (auto &[id, c] : conns_)
		if (!c->dying)
			v.push_back(c.get());
	return v;
}

// ------------------------------------------------------------------ flow ops

struct CtOps {
	static Conn *of(void *ct) { return static_cast<Conn *>(ct); }
	static bool alive(void *ct) { return !of(ct)->dying; }
	static void teardown(void *ct, enum fl_teardown_reason why)
	{
		static const char *names[] = {"", "fin-rst", "timeout", "ct-dying", "route-stale", "device",
					      "explicit", "xmit-failed"};
		Conn *c = of(ct);
		c->offload = false;
		unsigned w = static_cast<unsigned>(why);
		c->last_teardown = w < 8 ? names[w] : "?";
		Conntrack &owner = *c->owner;
		owner.teardowns_[c->last_teardown]++;
		// Conntrack's own timeout restarts from now (its table's clock), relative, never zero.
		c->expires_ms = (owner.clock_ ? *owner.clock_ : 0) + owner.timeout_ms(*c);
	}
	static void release(void *ct) { of(ct)->flow_refs--; }
	static void account(void *ct, enum fl_dir dir, fl_u64 packets, fl_u64 bytes)
	{
		of(ct)->packets[dir] += packets;
		of(ct)->bytes[dir] += bytes;
	}
};

void Conntrack::set_clock(const uint64_t *now_ms) { clock_ = now_ms; }

const struct fl_flowtable_ops *Conntrack::flow_ops()
{
	static const struct fl_flowtable_ops ops = {CtOps::alive, CtOps::teardown, CtOps::release,
						    CtOps::account, nullptr, nullptr};
	return &ops;
}

} // namespace flsim
