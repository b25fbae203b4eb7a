// SPDX-License-Identifier: GPL-2.0
//
// A model of Linux connection tracking, enough for the flowtable's behaviour:
// TCP and UDP connections keyed by both directions' tuples, TCP states with
// Linux's default timeouts, confirmation, NAT bindings (the reply tuple), the
// offload bit, accounting, and the hand-back a flowtable does on teardown.
#ifndef FLOWLANE_SIM_CONNTRACK_H
#define FLOWLANE_SIM_CONNTRACK_H

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "flowlane/flowtable.h"
#include "sim/net/packet.h"

namespace flsim {

struct CtTuple {
	IpAddr src, dst;
	uint8_t proto = 0;
	uint16_t sport = 0, dport = 0;
	bool operator<(const CtTuple &o) const;
	CtTuple reversed() const { return CtTuple{dst, src, proto, dport, sport}; }
};

enum class TcpState { None, SynSent, SynRecv, Established, FinWait, CloseWait, LastAck, TimeWait, Close };
const char *tcp_state_name(TcpState s);

class Conntrack;

struct Conn {
	uint64_t id = 0;
	Conntrack *owner = nullptr;
	CtTuple orig, reply; // reply: as the answering host sends it (NAT applied)
	TcpState tcp = TcpState::None;
	bool confirmed = false, seen_reply = false, assured = false;
	bool offload = false, dying = false;
	bool snat = false, dnat = false;
	uint32_t mark = 0;
	uint64_t expires_ms = 0;
	uint64_t packets[2] = {0, 0}, bytes[2] = {0, 0};
	int flow_refs = 0;                     // flows holding this entry
	std::string last_teardown;            // why the flowtable last gave it back
	bool closing_fin[2] = {false, false}; // FIN seen per direction
	uint16_t mss[2] = {0, 0};             // TCP: the MSS each direction's SYN announced
};

// What conntrack says about one packet.
struct CtInfo {
	Conn *conn = nullptr;
	int dir = 0;          // 0 original, 1 reply
	bool is_new = false;  // conntrack's NEW (no reply seen yet)
	bool invalid = false; // conntrack's INVALID
	bool untracked = false;
};

class Conntrack {
public:
	// Find or create the entry of @v (prerouting). TCP without SYN and no
	// entry: picked up mid-stream, as Linux does by default.
	CtInfo lookup(const PacketView &v, uint64_t now_ms);
	// The live entry of @v, if any, without creating one; @dir: its direction.
	const Conn *find(const PacketView &v, int &dir) const;
	// The packet went through: TCP state, reply seen, timeouts, accounting.
	void update(const CtInfo &ci, const PacketView &v, uint64_t now_ms);
	// First packet leaves the box: the entry becomes confirmed.
	void confirm(Conn &c);
	// A first packet dropped before confirmation: forget the entry.
	void discard(Conn *c);
	// NAT: the answering side sees @reply (sets the reply tuple; re-keys).
	void set_reply(Conn &c, const CtTuple &reply);
	bool reply_in_use(const CtTuple &reply) const;
	// Expire idle entries that no flow holds.
	unsigned gc(uint64_t now_ms);

	std::vector<const Conn *> entries() const;
	size_t size() const { return conns_.size(); }
	// Flowtable teardowns seen, by reason.
	const std::map<std::string, uint64_t> &teardowns() const { return teardowns_; }

	// The core's view of these entries (struct fl_flowtable_ops).
	static const struct fl_flowtable_ops *flow_ops();
	// The clock the callbacks use (ms of virtual time).
	void set_clock(const uint64_t *now_ms);

private:
	void index(Conn &c);
	void unindex(Conn &c);
	void tcp_update(Conn &c, int dir, uint8_t flags);
	uint64_t timeout_ms(const Conn &c) const;

	std::map<CtTuple, std::pair<Conn *, int>> index_;
	std::map<uint64_t, std::unique_ptr<Conn>> conns_;
	uint64_t next_id_ = 1;
	const uint64_t *clock_ = nullptr;
	std::map<std::string, uint64_t> teardowns_;
	friend struct CtOps;
};

} // namespace flsim

#endif // FLOWLANE_SIM_CONNTRACK_H
