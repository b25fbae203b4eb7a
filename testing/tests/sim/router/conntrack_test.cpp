// SPDX-License-Identifier: GPL-2.0
//
// The simulator's conntrack model on its own: the TCP state machine with
// Linux's timeouts, mid-stream pickup, UDP assurance, NAT re-keying, lookups
// that do not create, GC, and the hand-back a flowtable does, on each table's
// own clock.
#include <catch2/catch.hpp>

#include "sim/net/frames.h"
#include "sim/router/conntrack.h"

using namespace flsim;

namespace {

PacketView packet(bool reply, uint8_t proto, uint8_t flags = 0x10)
{
	flfake::FrameSpec s;
	s.proto = proto;
	s.tcp_flags = flags;
	if (reply) {
		s.saddr = "10.0.2.2";
		s.daddr = "10.0.1.2";
		s.sport = 80;
		s.dport = 40000;
	}
	auto v = parse_packet(flfake::build_frame(s));
	REQUIRE(v);
	return *v;
}

// One packet through conntrack as the classic path runs it: lookup, update, confirm.
CtInfo pass(Conntrack &ct, const PacketView &v, uint64_t now)
{
	CtInfo ci = ct.lookup(v, now);
	ct.update(ci, v, now);
	if (ci.conn)
		ct.confirm(*ci.conn);
	return ci;
}

} // namespace

TEST_CASE("conntrack: the TCP state machine and its timeouts", "[sim][conntrack]")
{
	Conntrack ct;
	CtInfo ci = pass(ct, packet(false, 6, 0x02), 0);
	REQUIRE(ci.conn);
	const Conn &c = *ci.conn;
	CHECK(ci.is_new);
	CHECK(c.tcp == TcpState::SynSent);
	CHECK(c.expires_ms == 120000);
	CHECK(pass(ct, packet(true, 6, 0x12), 10).dir == 1);
	CHECK(c.tcp == TcpState::SynRecv);
	CHECK_FALSE(c.assured);
	pass(ct, packet(false, 6, 0x10), 20);
	CHECK(c.tcp == TcpState::Established);
	CHECK(c.assured);
	CHECK(c.expires_ms == 20 + 432000000ull);
	pass(ct, packet(false, 6, 0x11), 30);
	CHECK(c.tcp == TcpState::FinWait);
	pass(ct, packet(true, 6, 0x11), 40);
	CHECK(c.tcp == TcpState::LastAck);
	pass(ct, packet(false, 6, 0x10), 50);
	CHECK(c.tcp == TcpState::TimeWait);
	CHECK(c.expires_ms == 50 + 120000);
	CHECK(c.packets[0] == 4);
	CHECK(c.packets[1] == 2);
	CHECK(ct.size() == 1);
	pass(ct, packet(true, 6, 0x14), 60);
	CHECK(c.tcp == TcpState::Close);
	CHECK(c.expires_ms == 60 + 10000);
	CHECK(ct.gc(60 + 9999) == 0);
	CHECK(ct.gc(60 + 10000) == 1);
	CHECK(ct.size() == 0);
}

TEST_CASE("conntrack: pickup mid-stream, RST for nothing, untracked", "[sim][conntrack]")
{
	Conntrack ct;
	CtInfo ci = pass(ct, packet(false, 6, 0x18), 0);
	REQUIRE(ci.conn);
	CHECK(ci.conn->tcp == TcpState::Established);
	CHECK_FALSE(ci.conn->assured); // assured needs the reply direction
	Conntrack fresh;
	CtInfo rst = fresh.lookup(packet(false, 6, 0x04), 0);
	CHECK(rst.invalid);
	CHECK(rst.conn == nullptr);
	CHECK(fresh.size() == 0);
	PacketView icmp = packet(false, 6);
	icmp.proto = 1;
	CHECK(fresh.lookup(icmp, 0).untracked);
}

TEST_CASE("conntrack: UDP is assured by its first reply; timeouts 30 s then 120 s", "[sim][conntrack]")
{
	Conntrack ct;
	CtInfo ci = pass(ct, packet(false, 17), 0);
	REQUIRE(ci.conn);
	const Conn &c = *ci.conn;
	CHECK(c.expires_ms == 30000);
	CHECK_FALSE(c.assured);
	pass(ct, packet(true, 17), 1000);
	CHECK(c.seen_reply);
	CHECK(c.assured);
	CHECK(c.expires_ms == 121000);
	// An offloaded entry does not expire on conntrack's clock.
	const_cast<Conn &>(c).offload = true;
	CHECK(ct.gc(10000000) == 0);
	CHECK(ct.size() == 1);
}

TEST_CASE("conntrack: find does not create; NAT re-keys the reply", "[sim][conntrack]")
{
	Conntrack ct;
	int dir = -1;
	CHECK(ct.find(packet(false, 17), dir) == nullptr);
	CHECK(ct.size() == 0);
	CtInfo ci = pass(ct, packet(false, 17), 0);
	CHECK(ct.find(packet(true, 17), dir) == ci.conn);
	CHECK(dir == 1);
	// Masquerade: the server now answers 10.0.2.1:1024.
	CtTuple reply = ci.conn->reply;
	REQUIRE(parse_ip("10.0.2.1", reply.dst));
	reply.dport = 1024;
	CHECK_FALSE(ct.reply_in_use(reply));
	ct.set_reply(*ci.conn, reply);
	CHECK(ct.reply_in_use(reply));
	CHECK(ct.find(packet(true, 17), dir) == nullptr); // the old reply tuple is gone
	PacketView r = packet(true, 17);
	r.dst = reply.dst;
	r.dport = 1024;
	CHECK(ct.find(r, dir) == ci.conn);
	CHECK(dir == 1);
}

TEST_CASE("conntrack: a flowtable's hand-back restarts the timeout on the table's own clock", "[sim][conntrack]")
{
	uint64_t now_a = 5000, now_b = 900000;
	Conntrack a, b;
	a.set_clock(&now_a);
	b.set_clock(&now_b);
	CtInfo ca = pass(a, packet(false, 17), 0);
	CtInfo cb = pass(b, packet(false, 6, 0x18), 0);
	ca.conn->offload = cb.conn->offload = true;
	const struct fl_flowtable_ops *ops = Conntrack::flow_ops();
	ops->ct_teardown(ca.conn, FL_TEARDOWN_TIMEOUT);
	ops->ct_teardown(cb.conn, FL_TEARDOWN_TCP_FIN_RST);
	CHECK_FALSE(ca.conn->offload);
	CHECK(ca.conn->expires_ms == 5000 + 30000);
	CHECK(cb.conn->expires_ms == 900000 + 432000000ull);
	CHECK(a.teardowns().at("timeout") == 1);
	CHECK(b.teardowns().at("fin-rst") == 1);
	CHECK(a.teardowns().count("fin-rst") == 0);
	// Accounting from the flowtable lands in the entry's direction.
	ops->ct_account(ca.conn, FL_DIR_REPLY, 3, 300);
	CHECK(ca.conn->packets[1] == 3);
	CHECK(ca.conn->bytes[1] == 300);
}
